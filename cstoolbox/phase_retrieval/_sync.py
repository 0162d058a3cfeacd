"""From the band of ``x x^*`` to ``x``: magnitudes, angular synchronization, periodic banded eigensolver.

Band storage: ``Z[i, m + q]`` holds entry ``(i, (i + m) mod d)`` of a d x d periodic band matrix,
``m = -q..q`` (``q = delta - 1``, ``M = 2 q + 1`` columns).
"""
import numpy as np
import scipy.linalg

from .._jit import njit
from ._masks import check_band, check_int, check_real

try:  # banded LAPACK gains nothing from threads; oversubscribed BLAS threads slow it down many times
    from threadpoolctl import threadpool_limits as _threadpool_limits
except ImportError:  # pragma: no cover
    _threadpool_limits = None

__all__ = ["PeriodicBandedCholesky", "smallest_eigenpair", "angular_synchronization", "estimate_magnitudes"]


# ----------------------------------------------------------------------------------------- band helpers
@njit
def _hermitian_band_kernel(z, out):
    n, d, M = z.shape
    q = (M - 1) // 2
    for s in range(n):
        for i in range(d):
            for mi in range(M):
                j = (i + mi - q) % d
                out[s, i, mi] = 0.5 * (z[s, i, mi] + np.conj(z[s, j, M - 1 - mi]))


def hermitian_band(z):
    """``(X + X^*) / 2`` in band storage (any leading batch axes)."""
    z = np.asarray(z, dtype=np.complex128)
    zz = np.ascontiguousarray(z.reshape((-1,) + z.shape[-2:]))
    out = np.empty_like(zz)
    _hermitian_band_kernel(zz, out)
    return out.reshape(z.shape)


@njit
def _band_matvec_kernel(A, V, out):
    d, M = A.shape
    q = (M - 1) // 2
    p = V.shape[1]
    for i in range(d):
        for mi in range(M):
            a = A[i, mi]
            j = (i + mi - q) % d
            for c in range(p):
                out[i, c] += a * V[j, c]


def band_matvec(A, V):
    """``A @ V`` for a periodic band ``A`` (d, M) and ``V`` (d,) or (d, p)."""
    vec = V.ndim == 1
    V2 = np.ascontiguousarray(V[:, None] if vec else V)
    dt = np.result_type(A, V2)
    out = np.zeros(V2.shape, dtype=dt)
    _band_matvec_kernel(np.ascontiguousarray(A, dtype=dt), V2.astype(dt, copy=False), out)
    return out[:, 0] if vec else out


def band_todense(A):
    """Dense d x d matrix of a periodic band (tests and small problems)."""
    d, M = A.shape
    q = (M - 1) // 2
    D = np.zeros((d, d), dtype=A.dtype)
    i = np.arange(d)
    for mi in range(M):
        D[i, (i + mi - q) % d] += A[:, mi]
    return D


# ------------------------------------------------------------------ periodic banded Cholesky (folded)
def _fold_order(d):
    """Folding permutation: new position n holds original index 0, d-1, 1, d-2, 2, ..."""
    n = np.arange(d)
    orig = np.where(n % 2 == 0, n // 2, d - 1 - (n - 1) // 2)
    pos = np.empty(d, dtype=np.intp)
    pos[orig] = n
    return orig, pos


@njit
def _fold_bandwidth(pos, q):
    d = pos.size
    kd = 0
    for i in range(d):
        for m in range(q + 1):
            kd = max(kd, abs(pos[i] - pos[(i + m) % d]))
    return kd


@njit
def _fold_fill(A, pos, kd, ab):
    """Upper band storage ab[kd + r - c, c] = A_folded[r, c] (r <= c) of the folded periodic band."""
    d, M = A.shape
    q = (M - 1) // 2
    for i in range(d):
        for mi in range(M):
            j = (i + mi - q) % d
            pi, pj = pos[i], pos[j]
            if pi <= pj:
                ab[kd + pi - pj, pj] = A[i, mi]


class PeriodicBandedCholesky:
    r"""Shifted Cholesky factorization of a Hermitian *periodic* band matrix.

    The periodic band (half-bandwidth ``q``, with wrap-around corners) is symmetrically permuted by the
    folding order ``0, d-1, 1, d-2, 2, ...``, which turns it into an ordinary band matrix of half-bandwidth
    ``kd <= 2 q + 1`` with no corners; LAPACK's banded Cholesky (``?pbtrf`` / ``?pbtrs``) then factors
    ``A - sigma I`` in ``O(d q^2)`` and solves in ``O(d q)`` per right-hand side.  The factorization
    succeeds exactly when ``A - sigma I`` is positive definite, which the eigensolver uses as an exact
    test of ``sigma < lambda_min(A)``.

    Parameters
    ----------
    A : ndarray, shape (d, 2 q + 1)
        Hermitian periodic band in band storage (real symmetric or complex Hermitian), ``d >= 2 q + 1``.
    """

    def __init__(self, A):
        A = check_band(A, "A")
        d, M = A.shape
        q = (M - 1) // 2
        self.d, self.q = d, q
        self.dtype = A.dtype
        orig, pos = _fold_order(d)
        self.orig = orig
        kd = _fold_bandwidth(pos, q)
        self.kd = kd
        ab = np.zeros((kd + 1, d), dtype=np.complex128 if np.iscomplexobj(A) else np.float64)
        _fold_fill(np.ascontiguousarray(A, dtype=ab.dtype), pos, kd, ab)
        self.ab = ab
        self.pbtrf, self.pbtrs = scipy.linalg.get_lapack_funcs(("pbtrf", "pbtrs"), (ab,))
        self.sigma = None
        self.cb = None
        self.n_factor = 0
        self.n_solve = 0

    def factor(self, sigma):
        """Factor ``A - sigma I``; True on success (positive definite), False otherwise."""
        ab = self.ab.copy()
        ab[self.kd] -= sigma
        self.n_factor += 1
        cb, info = self.pbtrf(ab, lower=0, overwrite_ab=1)
        if info != 0:
            return False
        self.cb, self.sigma = cb, sigma
        return True

    def solve(self, B):
        """``(A - sigma I)^{-1} B`` for ``B`` of shape (d,) or (d, p)."""
        if self.cb is None:
            raise RuntimeError("factor() must succeed before solve()")
        Bf = np.asarray(B)[self.orig]
        X, info = self.pbtrs(self.cb, Bf, lower=0)
        if info != 0:  # pragma: no cover - LAPACK argument error
            raise RuntimeError(f"?pbtrs failed with info={info}")
        self.n_solve += 1 if Bf.ndim == 1 else Bf.shape[1]
        out = np.empty_like(X)
        out[self.orig] = X
        return out


class single_threaded_blas:
    """Context manager limiting BLAS/LAPACK to one thread (no-op without threadpoolctl)."""

    def __enter__(self):
        self._ctx = _threadpool_limits(1, user_api="blas") if _threadpool_limits is not None else None
        return self

    def __exit__(self, *exc):
        if self._ctx is not None:
            self._ctx.restore_original_limits()
        return False


def _orth(W):
    Q, _ = np.linalg.qr(W)
    return Q


def smallest_eigenpair(A, V0, tol=1e-13, maxiter=60, factorization=None, matvec=None, scale=None):
    r"""Smallest eigenpair of a Hermitian positive semidefinite periodic band matrix by shift-invert.

    Block inverse iteration with Rayleigh–Ritz on ``p`` vectors, the shift ``sigma`` raised toward
    ``lambda_min`` as the Ritz residual shrinks (``sigma <- theta_1 - 2 ||r_1||``), each shift factored by
    :class:`PeriodicBandedCholesky`: a successful Cholesky certifies ``sigma < lambda_1``, so the iteration
    always converges to the *smallest* eigenvector, at the rate ``(lambda_1 - sigma) / (lambda_2 - sigma)``
    that tends to zero like Rayleigh-quotient iteration (no plain Lanczos: the gap is tiny).

    Parameters
    ----------
    A : ndarray, shape (d, M)
        Band storage (ignored when both ``factorization`` and ``matvec`` are given).
    V0 : ndarray, shape (d, p)
        Initial block (the first column is the best guess).
    tol : float
        Stop when ``||A v - theta v|| <= tol * ||A||_inf`` (``||v|| = 1``).
    maxiter : int
    factorization : object with ``factor(sigma) -> bool`` and ``solve(B)``, optional
        Default :class:`PeriodicBandedCholesky` of ``A``.
    matvec : callable, optional
        ``V -> A V``; default the band product.
    scale : float, optional
        A bound on ``||A||`` for the relative tolerance (default ``max_i sum_j |A_ij|`` of the band).

    Returns
    -------
    v : ndarray, shape (d,)
    info : dict
        ``eigenvalue``, ``iterations``, ``residual`` (relative), ``converged``, ``n_factor``, ``n_solve``,
        ``shifts`` and ``residuals`` per iteration.
    """
    V0 = np.asarray(V0)
    if not np.issubdtype(V0.dtype, np.number) or V0.ndim != 2 or V0.shape[1] < 1:
        raise ValueError(f"V0 must be a numeric (d, p) block with p >= 1, got shape {V0.shape} and dtype {V0.dtype}")
    if not np.all(np.isfinite(V0)) or not np.any(V0[:, 0]):
        raise ValueError("V0 must be finite with a nonzero first column")
    check_real(tol, "tol", 0.0)
    check_int(maxiter, "maxiter", 1)
    if scale is not None:
        scale = check_real(scale, "scale", 0.0)
    if factorization is None or matvec is None:
        A = check_band(A, "A")
        if V0.shape[0] != A.shape[0]:
            raise ValueError(f"V0 has {V0.shape[0]} rows but the band A has d = {A.shape[0]}")
    if factorization is None:
        factorization = PeriodicBandedCholesky(A)
    if matvec is None:
        def matvec(V):
            return band_matvec(A, V)
    if scale is None:
        scale = float(np.max(np.sum(np.abs(A), axis=1)))
    if scale == 0.0:  # A = 0: every vector is an eigenvector
        v = V0[:, 0] / np.linalg.norm(V0[:, 0])
        return v, dict(eigenvalue=0.0, iterations=0, residual=0.0, converged=True, n_factor=0,
                       n_solve=0, shifts=[], residuals=[])
    def rayleigh_ritz(Q):
        AQ = matvec(Q)
        H = Q.conj().T @ AQ
        theta, Y = np.linalg.eigh(0.5 * (H + H.conj().T))
        V = Q @ Y
        AV = AQ @ Y
        return theta, V, float(np.linalg.norm(AV[:, 0] - theta[0] * V[:, 0]))

    def next_shift(theta, r_abs, sigma):
        """A shift just below lambda_1: theta_1 minus the smaller of r and a Temple-type bound."""
        target = theta[0] - r_abs
        if theta.size > 1 and theta[1] > theta[0]:
            target = max(target, theta[0] - r_abs ** 2 / (theta[1] - theta[0]))
        return max(target, sigma)

    def try_shift(target, fallback):
        for _ in range(3):
            if factorization.factor(target):
                return True
            target = fallback + 0.125 * (target - fallback)
        return False

    V = _orth(V0)
    sigma = -1e-10 * scale
    for _ in range(20):
        if factorization.factor(sigma):
            break
        sigma *= 10.0
    else:  # pragma: no cover - A is far from positive semidefinite
        raise ValueError("smallest_eigenpair needs a positive semidefinite matrix")
    shifts, residuals = [], []
    converged = False
    res = np.inf
    it = 0
    best = (np.inf, V[:, 0])
    for it in range(1, maxiter + 1):
        theta, V, r_abs = rayleigh_ritz(_orth(factorization.solve(V)))
        res = r_abs / scale
        shifts.append(float(factorization.sigma))
        residuals.append(res)
        if res < best[0]:
            best = (res, V[:, 0].copy())
        if res <= tol:
            converged = True
            break
        if it >= 4 and res > 0.5 * min(residuals[-4:-1]) and min(residuals[:-1]) < 1e4 * tol:
            break  # stagnated at the roundoff floor
        # raise the shift toward lambda_1 (kept below it: the Cholesky factorization must succeed)
        old = factorization.sigma
        rate = (theta[0] - old) / (theta[1] - old) if theta.size > 1 else 1.0
        target = next_shift(theta, r_abs, old)
        if target > old and rate > 1e-3:
            if not try_shift(target, old):
                factorization.factor(old)
    res_best, v = best
    v = v / np.linalg.norm(v)
    lam = float(np.real(np.vdot(v, matvec(v[:, None])[:, 0])))
    return v, dict(eigenvalue=lam, iterations=it, residual=res_best, converged=converged or res_best <= tol,
                   n_factor=factorization.n_factor, n_solve=factorization.n_solve, shifts=shifts,
                   residuals=residuals)


# ------------------------------------------------------------------------------------------- magnitudes
def estimate_magnitudes(Z, method="diag"):
    r"""Magnitude estimates ``|x_i|`` from the Hermitian band ``Z`` (d, 2 delta - 1) of ``x x^*``.

    ``"diag"``: ``sqrt(|Z_ii|)``.  ``"eig"``: the ``delta`` x ``delta`` principal blocks ``X[i:i+delta,
    i:i+delta]`` lie inside the band; their top eigenpair gives ``sqrt(lambda_1) |u_1|``, averaged over
    the ``delta`` blocks covering each index.  ``"log"``: least squares on ``log|Z_ij| = log|x_i| +
    log|x_j|`` over the band (a circulant system, solved by FFT).
    """
    Z = check_band(Z)
    d, M = Z.shape
    q = (M - 1) // 2
    delta = q + 1
    if method == "diag":
        return np.sqrt(np.abs(Z[:, q]))
    if method == "eig":
        i = np.arange(d)[:, None, None]
        a = np.arange(delta)[None, :, None]
        b = np.arange(delta)[None, None, :]
        B = Z[(i + a) % d, (b - a) + q]
        lam, U = np.linalg.eigh(B)
        est = np.sqrt(np.maximum(lam[:, -1], 0.0))[:, None] * np.abs(U[:, :, -1])  # (d, delta)
        acc = np.zeros(d)
        np.add.at(acc, (np.arange(d)[:, None] + np.arange(delta)[None, :]) % d, est)
        return acc / delta
    if method == "log":
        absZ = np.abs(Z[:, q:])  # m = 0..q
        floor = max(absZ.max(), 1e-300) * 1e-15
        t = np.log(np.maximum(absZ, floor))
        rhs = 2.0 * t[:, 0]
        for m in range(1, q + 1):
            rhs = rhs + t[:, m] + np.roll(t[:, m], m)
        k = np.arange(d)
        symbol = 4.0 + 2.0 * q + sum(2.0 * np.cos(2 * np.pi * k * m / d) for m in range(1, q + 1))
        y = np.real(np.fft.ifft(np.fft.fft(rhs) / symbol))
        return np.exp(y)
    raise ValueError(f"magnitude must be 'diag', 'eig' or 'log', got {method!r}")


# ---------------------------------------------------------------------------------- synchronization
@njit
def _greedy_kernel(Z, starts, real):
    n, d, M = Z.shape
    q = (M - 1) // 2
    out = np.zeros((n, d), dtype=np.complex128)
    for s in range(n):
        i0 = starts[s]
        out[s, i0] = 1.0
        for t in range(1, d):
            i = (i0 + t) % d
            acc = 0.0j
            for m in range(1, min(q, t) + 1):
                j = (i - m) % d
                acc += np.conj(Z[s, j, q + m]) * out[s, j]
            if real:
                out[s, i] = -1.0 if acc.real < 0 else 1.0
            else:
                a = abs(acc)
                out[s, i] = acc / a if a > 0 else 1.0
    return out


def greedy_phases(Z, start=None, real=False):
    """Greedy angular synchronization: from the largest ``|Z_ii|``, propagate phases along the band.

    Each new phase is the angle of ``sum_m conj(Z_{i-m, m}) g_{i-m}`` over already-fixed neighbours.
    """
    Zb = np.ascontiguousarray(Z[None].astype(np.complex128))
    s = int(np.argmax(np.abs(Z[:, (Z.shape[1] - 1) // 2]))) if start is None else int(start)
    return _greedy_kernel(Zb, np.array([s], dtype=np.int64), bool(real))[0]


def _sync_matrix(Z, method, real):
    """The PSD band matrix whose smallest eigenvector carries the phases."""
    d, M = Z.shape
    q = (M - 1) // 2
    if method == "laplacian":
        # L = diag(W 1) - W o sign(Z), Z without its diagonal, W = |Z|  (note W o sign(Z) = Z)
        L = -Z.copy()
        L[:, q] = 0.0
        L[:, q] = np.sum(np.abs(L), axis=1)
        A = L
    elif method == "eig":
        # X~ = X / |X| (tiny entries zeroed); smallest eigenvector of c I - X~, c = Gershgorin bound
        absZ = np.abs(Z)
        tiny = absZ <= 1e-13 * max(absZ.max(), 1e-300)
        Xt = np.where(tiny, 0.0, Z / np.where(tiny, 1.0, absZ))
        c = float(np.max(np.sum(np.abs(Xt), axis=1)))
        A = -Xt
        A[:, q] += c
    else:
        raise ValueError(f"sync must be 'laplacian', 'eig' or 'greedy', got {method!r}")
    return A.real.copy() if real else A


def _initial_block(g, p, real):
    d = g.size
    t = np.arange(d) / d
    cols = [g]
    k = 1
    while len(cols) < p:
        if real:
            cols.append(g * np.cos(2 * np.pi * k * t))
            if len(cols) < p:
                cols.append(g * np.sin(2 * np.pi * k * t))
        else:
            cols.append(g * np.exp(2j * np.pi * k * t))
            if len(cols) < p:
                cols.append(g * np.exp(-2j * np.pi * k * t))
        k += 1
    return np.stack(cols, axis=1)


def angular_synchronization(Z, method="laplacian", real=False, tol=1e-13, maxiter=60, block_size=4):
    r"""Phases ``g_i = x_i / |x_i|`` (up to a global phase) from the Hermitian band ``Z`` of ``x x^*``.

    Parameters
    ----------
    Z : ndarray, shape (d, 2 delta - 1)
        Hermitian band (:func:`lifted_solve` followed by symmetrization).
    method : {"laplacian", "eig", "greedy"}
        ``"laplacian"``: smallest eigenvector of the weighted graph connection Laplacian
        ``L = diag(W 1) - W o sign(Z)`` (``Z`` without its diagonal, ``W = |Z|``);
        ``"eig"``: top eigenvector of ``X~ = Z / |Z|`` (ACHA 2020); ``"greedy"``: propagation (2016).
    real : bool
        Real signal: phases are signs.
    tol, maxiter, block_size : eigensolver settings (see :func:`smallest_eigenpair`).

    Returns
    -------
    phases : ndarray, shape (d,)
    info : dict
        Eigensolver report (empty for ``"greedy"``).
    """
    Z = check_band(Z)
    if method not in ("laplacian", "eig", "greedy"):
        raise ValueError(f"sync must be 'laplacian', 'eig' or 'greedy', got {method!r}")
    check_real(tol, "tol", 0.0)
    check_int(maxiter, "maxiter", 1)
    block_size = check_int(block_size, "block_size", 1)
    g0 = greedy_phases(Z, real=real)
    if real:
        g0 = g0.real
    if method == "greedy":
        return g0, dict(iterations=0, converged=True, residual=np.nan, n_factor=0, n_solve=0)
    A = _sync_matrix(Z, method, real)
    V0 = _initial_block(g0, min(block_size, Z.shape[0]), real)
    with single_threaded_blas():
        v, info = smallest_eigenpair(A, V0, tol=tol, maxiter=maxiter)
    if real:
        v = np.real(v)
        ph = np.where(v < 0, -1.0, 1.0)
    else:
        a = np.abs(v)
        ph = np.where(a > 0, v / np.where(a > 0, a, 1.0), 1.0)
    return ph, info
