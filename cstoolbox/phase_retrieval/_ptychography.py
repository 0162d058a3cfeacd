"""2-D ptychography with a known probe: far-field intensities on a grid of scan positions and the direct
(lifted + angular synchronization) solver generalized to 2-D, robust to missing scan positions."""
import time
import warnings

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .._jit import njit
from ..backend import check_random_state
from ..exceptions import ConditioningWarning, ConvergenceWarning
from ..solvers._info import SolverInfo
from ._masks import check_int, check_real, check_unused_random_state
from ._sync import single_threaded_blas, smallest_eigenpair

__all__ = ["exponential_probe", "scan_positions", "ptychography_measurements", "ptychography_blockpr"]


def exponential_probe(delta, delta2=None):
    r"""Separable exponential probe ``P[j1, j2] = exp(-j1 / a1) exp(-j2 / a2)``, ``a = max(4, (delta - 1) / 2)``.

    The 2-D analogue of :func:`exponential_masks` (its window); every autocorrelation symbol of this probe
    is bounded away from zero, so the lifted 2-D system is well conditioned.

    Parameters
    ----------
    delta : int
        Probe support along axis 0 (``>= 2``).
    delta2 : int, optional
        Along axis 1 (default ``delta``).

    Returns
    -------
    probe : ndarray, shape (delta, delta2), complex128

    Examples
    --------
    >>> exponential_probe(3).shape
    (3, 3)
    """
    shape = (delta, delta if delta2 is None else delta2)
    for s in shape:
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)) or s < 2:
            raise ValueError(f"probe support must be ints >= 2, got {shape}")
    w = [np.exp(-np.arange(s) / max(4.0, (s - 1) / 2.0)) for s in shape]
    return (w[0][:, None] * w[1][None, :]).astype(np.complex128)


def scan_positions(shape, missing_fraction=0.0, random_state=None):
    """Boolean grid of scan positions (True = diffraction pattern recorded), a random fraction missing.

    Parameters
    ----------
    shape : (int, int)
        Image shape; positions are all cyclic shifts of the probe over the image.
    missing_fraction : float in [0, 1)
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    positions : ndarray of bool, shape ``shape``

    Examples
    --------
    >>> int(scan_positions((10, 10), 0.2, random_state=0).sum())
    80
    """
    try:
        n1, n2 = (check_int(v, "shape", 1) for v in shape)
    except (TypeError, ValueError):
        raise ValueError(f"shape must be a pair of ints >= 1, got {shape!r}") from None
    f = check_real(missing_fraction, "missing_fraction")
    if not 0.0 <= f < 1.0:
        raise ValueError(f"missing_fraction must be in [0, 1), got {missing_fraction}")
    rng = check_random_state(random_state)
    pos = np.ones(n1 * n2, dtype=bool)
    pos[rng.permutation(n1 * n2)[:int(round(f * n1 * n2))]] = False
    return pos.reshape(n1, n2)


def _check_probe(probe, shape):
    P = np.asarray(probe)
    if P.ndim != 2 or min(P.shape) < 2:
        raise ValueError(f"probe must be a 2-D array with both sides >= 2, got shape {P.shape}")
    if not np.all(np.isfinite(P)):
        raise ValueError("probe must be finite")
    n1, n2 = shape
    if n1 < 2 * P.shape[0] - 1 or n2 < 2 * P.shape[1] - 1:
        raise ValueError(f"image {shape} too small for probe {P.shape}: need n >= 2 * delta - 1 on each axis")
    return P.astype(np.complex128)


def _check_freq(n_freq, P):
    F = (2 * P.shape[0] - 1, 2 * P.shape[1] - 1) if n_freq is None else tuple(int(v) for v in (
        (n_freq, n_freq) if np.isscalar(n_freq) else n_freq))
    if len(F) != 2 or F[0] < 2 * P.shape[0] - 1 or F[1] < 2 * P.shape[1] - 1:
        raise ValueError(f"n_freq must be >= 2 * delta - 1 on each axis ({2 * P.shape[0] - 1}, "
                         f"{2 * P.shape[1] - 1}) so that the autocorrelation is not aliased, got {n_freq}")
    return F


def _check_positions(positions, shape):
    if positions is None:
        return np.ones(shape, dtype=bool)
    pos = np.asarray(positions)
    if pos.shape != tuple(shape) or pos.dtype != bool:
        raise ValueError(f"positions must be a boolean array of shape {tuple(shape)}, got "
                         f"{pos.dtype} {pos.shape}")
    if not pos.any():
        raise ValueError("positions: no scan position recorded")
    return pos


def ptychography_measurements(image, probe, positions=None, n_freq=None, noise_snr_db=None, random_state=None):
    r"""Far-field ptychographic intensities ``I[l, k] = |sum_j P_j X_{l+j} exp(-2 pi i j.k / F)|^2``.

    Parameters
    ----------
    image : array_like, shape (n1, n2)
        Complex object (transmission function) ``X``, treated as periodic.
    probe : array_like, shape (delta1, delta2)
        Known probe ``P``.
    positions : ndarray of bool, shape (n1, n2), optional
        Recorded scan positions (default all ``n1 n2`` cyclic shifts); missing ones are returned as NaN.
    n_freq : int or (int, int), optional
        Far-field (DFT) size ``F >= 2 delta - 1`` per axis (default ``2 delta - 1``: twofold oversampling).
    noise_snr_db : float, optional
        Real Gaussian noise on the intensities, variance ``mean(I^2) / 10^(SNR/10)``.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    intensities : ndarray, shape (n1, n2, F1, F2)

    Examples
    --------
    >>> import numpy as np
    >>> I = ptychography_measurements(np.ones((8, 8)), exponential_probe(3))
    >>> I.shape
    (8, 8, 5, 5)
    """
    X = np.asarray(image)
    if X.ndim != 2 or not np.all(np.isfinite(X)):
        raise ValueError(f"image must be a finite 2-D array, got shape {X.shape}")
    P = _check_probe(probe, X.shape)
    F = _check_freq(n_freq, P)
    pos = _check_positions(positions, X.shape)
    n1, n2 = X.shape
    d1, d2 = P.shape
    i1 = (np.arange(n1)[:, None] + np.arange(d1)[None, :]) % n1
    i2 = (np.arange(n2)[:, None] + np.arange(d2)[None, :]) % n2
    patches = X[i1[:, None, :, None], i2[None, :, None, :]] * P  # (n1, n2, d1, d2)
    I = np.abs(np.fft.fft2(patches, s=F, axes=(-2, -1))) ** 2
    if noise_snr_db is None:
        check_unused_random_state(random_state)  # validated, not drawn from
    else:
        rng = check_random_state(random_state)
        sigma = np.sqrt(np.mean(I[pos] ** 2) / 10.0 ** (check_real(noise_snr_db, "noise_snr_db") / 10.0))
        I = I + sigma * rng.standard_normal(I.shape)
    I[~pos] = np.nan
    return I


@njit
def _greedy2d(Zr, offs, n1, n2, start):
    """Raster propagation of phases over the 2-D band graph; Zr[o, i1, i2] = x_i conj(x_{i+m_o})."""
    g = np.zeros((n1, n2), dtype=np.complex128)
    fixed = np.zeros((n1, n2), dtype=np.bool_)
    s1, s2 = start
    g[s1, s2] = 1.0
    fixed[s1, s2] = True
    for t1 in range(n1):
        for t2 in range(n2):
            a = (s1 + t1) % n1
            b = (s2 + t2) % n2
            if fixed[a, b]:
                continue
            acc = 0.0j
            for o in range(offs.shape[0]):
                j1 = (a - offs[o, 0]) % n1
                j2 = (b - offs[o, 1]) % n2
                if fixed[j1, j2]:  # z_{j,m} = x_j conj(x_{j+m}), j + m = (a, b)
                    acc += np.conj(Zr[o, j1, j2]) * g[j1, j2]
            r = abs(acc)
            g[a, b] = acc / r if r > 0 else 1.0
            fixed[a, b] = True
    return g


class _SparseShiftInvert:
    """``factor(sigma)`` / ``solve`` for a sparse Hermitian matrix by SuperLU with symmetric pivoting;
    positive definiteness is read off the pivots (Sylvester's law of inertia)."""

    def __init__(self, L):
        self.L = L.tocsc()
        self.n_factor = 0
        self.n_solve = 0
        self.sigma = None
        self.lu = None

    def factor(self, sigma):
        self.n_factor += 1
        A = (self.L - sigma * sp.identity(self.L.shape[0], format="csc")).tocsc()
        try:
            lu = spla.splu(A, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                           options=dict(SymmetricMode=True))
        except RuntimeError:  # exactly singular
            return False
        dU = lu.U.diagonal()
        if not (np.array_equal(lu.perm_r, lu.perm_c) and np.all(dU.real > 0)):
            return False
        self.lu, self.sigma = lu, sigma
        return True

    def solve(self, B):
        self.n_solve += B.shape[1] if B.ndim == 2 else 1
        return self.lu.solve(np.ascontiguousarray(B))


def ptychography_blockpr(intensities, probe, positions=None, sync="laplacian", sync_radius=2, tol=1e-12,
                         maxiter=50, refine_iter=None, refine_tol=1e-6, warn=True):
    r"""Direct 2-D ptychographic phase retrieval with a known probe, robust to missing scan positions.

    Parameters
    ----------
    intensities : array_like, shape (n1, n2, F1, F2)
        Far-field intensities for each scan position (NaN or ignored where ``positions`` is False), as from
        :func:`ptychography_measurements`.
    probe : array_like, shape (delta1, delta2)
        The known probe.
    positions : ndarray of bool, shape (n1, n2), optional
        Recorded positions; default: where ``intensities`` is finite.
    sync : {"laplacian", "greedy"}
        Weighted connection-Laplacian eigenvector (default) or greedy raster propagation.
    sync_radius : int
        The Laplacian uses the offsets with ``max(|m1|, |m2|) <= sync_radius`` (fewer nonzeros for the
        sparse factorization; all offsets enter the greedy start).
    tol, maxiter : float, int
        Eigensolver relative residual tolerance and iterations.
    refine_iter : int, optional
        Error-reduction passes on the recorded patterns after the direct solve (default 0 with all
        positions, 100 with missing ones).
    refine_tol : float
        Stop the refinement when the relative change of the image falls below this.
    warn : bool
        :class:`~cstoolbox.exceptions.ConditioningWarning` for an ill-conditioned probe,
        :class:`~cstoolbox.exceptions.ConvergenceWarning` when the refinement or the eigensolver stops early.

    Returns
    -------
    image_hat : ndarray, shape (n1, n2), complex128
        The object up to a global phase.
    info : SolverInfo
        ``history``: ``condition_number`` (``max|h| / min|h|`` over offsets and frequencies),
        ``missing_fraction``, ``refine_iterations``, ``refine_change``, eigensolver ``residual``,
        ``iterations``, ``n_factor``, timings.

    Notes
    -----
    The generalization implemented (after Sissouno et al. 2019, who solve the same lifted system): for scan
    position ``l`` the inverse DFT of the intensities is the autocorrelation of the exit wave
    ``y = P o X[l + .]`` (no aliasing since ``F >= 2 delta - 1``):
    ``r_l(m) = sum_j a_m(j) zeta_m(l + j)``, ``a_m(j) = conj(P_j) P_{j+m}``, ``zeta_m(i) = conj(X_i) X_{i+m}``.
    For each 2-D offset ``m`` (``|m_1| < delta_1``, ``|m_2| < delta_2``) this is a 2-D correlation over the
    scan positions, decoupled across offsets.  With all positions it is inverted by one 2-D FFT division by
    ``h_m(k) = sum_j a_m(j) exp(2 pi i k.j / n)`` (the 2-D version of the windowed-Fourier fast path).  The band
    entries ``x_i conj(x_{i+m})`` then form a Hermitian sparse matrix on the 2-D torus (pixels joined when their
    offset fits in the probe); magnitudes are ``sqrt|zeta_0|`` and phases the smallest eigenvector of the
    weighted connection Laplacian, computed by the same adaptive-shift inverse iteration as in 1-D with a
    sparse ``LDL^*``-type factorization (SuperLU, symmetric mode; positive pivots certify the shift is below the
    eigenvalue).  With missing positions ``Omega`` each offset's system has fewer equations (``|Omega|``) than
    unknowns (``n1 n2``), so the direct solve alone is underdetermined: each missing pattern is imputed by the
    mean of the recorded patterns at the nearest positions, the direct solver runs on the completed data, and
    error reduction with the known probe on the recorded patterns only refines it.

    References
    ----------
    B. Sissouno et al., "A direct solver for the phase retrieval problem in ptychographic imaging",
    Math. Comput. Simul. (2019).  M. A. Iwen et al., ACHA 48 (2020).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = (1 + rng.random((12, 12))) * np.exp(1j * rng.random((12, 12)))
    >>> P = exponential_probe(3)
    >>> X_hat, info = ptychography_blockpr(ptychography_measurements(X, P), P)
    >>> c = np.vdot(X_hat, X)
    >>> bool(np.linalg.norm(X - c / abs(c) * X_hat) < 1e-8 * np.linalg.norm(X))
    True
    """
    t0 = time.perf_counter()
    I = np.asarray(intensities)
    if not np.issubdtype(I.dtype, np.number) or np.iscomplexobj(I):
        raise TypeError(f"intensities must be real, got dtype {I.dtype}")
    I = I.astype(np.float64, copy=False)
    sync_radius = check_int(sync_radius, "sync_radius", 1)
    check_real(tol, "tol", 0.0)
    check_int(maxiter, "maxiter", 1)
    check_real(refine_tol, "refine_tol", 0.0)
    if I.ndim != 4:
        raise ValueError(f"intensities must have shape (n1, n2, F1, F2), got {I.shape}")
    n1, n2, F1, F2 = I.shape
    P = _check_probe(probe, (n1, n2))
    _check_freq((F1, F2), P)
    if positions is None:
        positions = np.all(np.isfinite(I), axis=(-2, -1))
    pos = _check_positions(positions, (n1, n2))
    if not np.all(np.isfinite(I[pos])):
        raise ValueError("intensities must be finite at the recorded positions")
    if sync not in ("laplacian", "greedy"):
        raise ValueError(f"sync must be 'laplacian' or 'greedy', got {sync!r}")
    d1, d2 = P.shape
    q1, q2 = d1 - 1, d2 - 1
    M1, M2 = 2 * q1 + 1, 2 * q2 + 1
    N = n1 * n2
    # autocorrelations r_l(m) for offsets m in [-q1, q1] x [-q2, q2]
    m1 = np.arange(-q1, q1 + 1)
    m2 = np.arange(-q2, q2 + 1)
    # kernels a_m(j) = conj(P_j) P_{j+m} and symbols h_m(k)
    A = np.zeros((M1, M2, n1, n2), dtype=np.complex128)
    for a_, mm1 in enumerate(m1):
        for b_, mm2 in enumerate(m2):
            j1 = np.arange(max(0, -mm1), min(d1, d1 - mm1))
            j2 = np.arange(max(0, -mm2), min(d2, d2 - mm2))
            A[a_, b_][np.ix_(j1, j2)] = np.conj(P[np.ix_(j1, j2)]) * P[np.ix_(j1 + mm1, j2 + mm2)]
    H = np.fft.ifft2(A, axes=(-2, -1)) * N
    absH = np.abs(H)
    cond = float(absH.max() / absH.min()) if absH.min() > 0 else np.inf
    if not np.isfinite(cond) or cond > 1e15:
        raise ValueError(f"the probe gives a singular lifted system (condition number {cond:.3g})")
    if warn and cond > 1e8:
        warnings.warn(f"ill-conditioned probe: lifted condition number {cond:.3g}", ConditioningWarning,
                      stacklevel=2)
    missing = 1.0 - pos.mean()
    m1 = np.arange(-q1, q1 + 1)
    m2 = np.arange(-q2, q2 + 1)

    def band_from(Ifull):
        r = np.fft.ifft2(Ifull, axes=(-2, -1))
        R = np.transpose(r[:, :, (m1 % F1)[:, None], (m2 % F2)[None, :]], (2, 3, 0, 1))  # (M1, M2, n1, n2)
        Zeta = np.fft.ifft2(np.fft.fft2(R, axes=(-2, -1)) / H, axes=(-2, -1))
        # Z[m, i] = x_i conj(x_{i+m}) = conj(zeta_m(i)), Hermitian-symmetrized with the -m entry
        Zb = np.conj(Zeta)
        Zs = np.empty_like(Zb)
        for a_ in range(M1):
            for b_ in range(M2):
                other = np.roll(Zb[M1 - 1 - a_, M2 - 1 - b_], (-m1[a_], -m2[b_]), axis=(0, 1))
                Zs[a_, b_] = 0.5 * (Zb[a_, b_] + np.conj(other))
        return Zs

    offs = np.array([(u, v) for u in m1 for v in m2 if (u, v) != (0, 0)], dtype=np.int64)
    near = np.array([max(abs(u), abs(v)) <= sync_radius for u, v in offs])

    def greedy_estimate(Zs):
        mag = np.sqrt(np.abs(Zs[q1, q2].real))
        Zr = np.ascontiguousarray(np.stack([Zs[u + q1, v + q2] for u, v in offs]))
        start = np.unravel_index(int(np.argmax(mag)), mag.shape)
        return mag, Zr, _greedy2d(Zr, offs, n1, n2, (int(start[0]), int(start[1])))

    if missing == 0.0:
        Zs = band_from(I)
    else:
        # missing diffraction patterns: the per-offset systems are underdetermined (fewer positions than
        # pixels), so the missing intensities are imputed by the mean of the recorded neighbouring positions;
        # the direct solution is then refined on the recorded patterns only (error reduction)
        Ifill = np.where(pos[:, :, None, None], I, 0.0)
        cnt = np.zeros((n1, n2))
        acc = np.zeros_like(Ifill)
        radius = 1
        while True:
            for s1 in range(-radius, radius + 1):
                for s2 in range(-radius, radius + 1):
                    cnt += np.roll(pos, (s1, s2), axis=(0, 1))
                    acc += np.roll(Ifill, (s1, s2), axis=(0, 1))
            if np.all(cnt[~pos] > 0) or radius > max(n1, n2):
                break
            radius += 1
            cnt[:] = 0.0
            acc[:] = 0.0
        Ifill[~pos] = acc[~pos] / np.maximum(cnt[~pos], 1)[:, None, None]
        Zs = band_from(Ifill)
    mag, Zr, g0 = greedy_estimate(Zs)
    t_lift = time.perf_counter() - t0
    ei = dict(iterations=0, residual=np.nan, n_factor=0, n_solve=0, converged=True)
    if sync == "laplacian":
        idx = np.arange(N).reshape(n1, n2)
        rows, cols, vals = [], [], []
        for o, (u, v) in enumerate(offs):
            if not near[o]:
                continue
            rows.append(idx.ravel())
            cols.append(np.roll(idx, (-u, -v), axis=(0, 1)).ravel())
            vals.append(-Zr[o].ravel())
        rows, cols, vals = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
        deg = np.zeros(N)
        np.add.at(deg, rows, np.abs(vals))
        L = sp.csr_matrix((np.concatenate([vals, deg]), (np.concatenate([rows, np.arange(N)]),
                                                         np.concatenate([cols, np.arange(N)]))), shape=(N, N))
        kk = [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)]
        t1 = np.arange(n1)[:, None] / n1
        t2 = np.arange(n2)[None, :] / n2
        V0 = np.stack([(g0 * np.exp(2j * np.pi * (a * t1 + b * t2))).ravel() for a, b in kk], axis=1)
        with single_threaded_blas():
            v, ei = smallest_eigenpair(None, V0, tol=tol, maxiter=maxiter, factorization=_SparseShiftInvert(L),
                                       matvec=lambda V: L @ V, scale=float(2.0 * deg.max()))
        av = np.abs(v)
        g = np.where(av > 0, v / np.where(av > 0, av, 1.0), 1.0).reshape(n1, n2)
    else:
        g = g0
    X_hat = mag * g
    n_ref = (0 if missing == 0.0 else 100) if refine_iter is None else int(refine_iter)
    ref_change = 0.0
    if n_ref > 0:
        X_hat, ref_change = _error_reduction_2d(X_hat, I, P, pos, n_ref, refine_tol)
    converged = bool(ei.get("converged", True))
    refined = n_ref == 0 or ref_change <= refine_tol
    status = "converged" if converged and refined else "max_iter"
    hist = dict(condition_number=cond, missing_fraction=float(missing), refine_iterations=n_ref,
                refine_change=ref_change,
                residual=ei.get("residual"), iterations=ei.get("iterations"), n_factor=ei.get("n_factor"),
                n_solve=ei.get("n_solve"), time_lifted=t_lift, time_sync=time.perf_counter() - t0 - t_lift)
    info = SolverInfo(solver=f"ptychography_blockpr[{sync}]", status=status, iterations=int(ei.get("iterations", 0)),
                      time=time.perf_counter() - t0, history=hist,
                      message=(f"{pos.sum()} of {N} positions, lifted condition number {cond:.3g}, "
                               f"FFT deconvolution{'' if missing == 0 else ' of neighbour-imputed patterns'}"
                               f"{f', {n_ref} ER passes on the recorded patterns' if n_ref else ''}"))
    if warn and not refined:
        warnings.warn(f"ptychography_blockpr: ER refinement stopped at relative change {ref_change:.2e} "
                      f"after {n_ref} passes", ConvergenceWarning, stacklevel=2)
    if warn and not converged:
        warnings.warn(f"ptychography_blockpr: eigensolver stopped at relative residual {ei.get('residual'):.2e}",
                      ConvergenceWarning, stacklevel=2)
    return X_hat, info


def _error_reduction_2d(X, I, P, pos, n_iter, tol):
    """Error reduction with a known probe on the recorded patterns; returns (X, last relative change)."""
    n1, n2, F1, F2 = I.shape
    d1, d2 = P.shape
    l1, l2 = np.nonzero(pos)
    i1 = (l1[:, None] + np.arange(d1)[None, :]) % n1  # (n_pos, d1)
    i2 = (l2[:, None] + np.arange(d2)[None, :]) % n2
    r1 = i1[:, :, None]
    r2 = i2[:, None, :]
    amp = np.sqrt(np.maximum(I[l1, l2], 0.0))
    illum = np.zeros((n1, n2))
    for j1 in range(d1):  # for a fixed probe offset the pixels (l + j) are distinct: plain += is safe
        for j2 in range(d2):
            illum[i1[:, j1], i2[:, j2]] += abs(P[j1, j2]) ** 2
    lit = illum > 1e-12 * illum.max()
    change = np.inf
    for _ in range(n_iter):
        psi = np.fft.fft2(X[r1, r2] * P, s=(F1, F2), axes=(-2, -1))
        a = np.abs(psi)
        psi = amp * np.where(a > 0, psi / np.where(a > 0, a, 1.0), 1.0)
        ex = np.fft.ifft2(psi, axes=(-2, -1))[:, :d1, :d2]
        acc = np.zeros((n1, n2), dtype=np.complex128)
        ex = np.conj(P) * ex
        for j1 in range(d1):
            for j2 in range(d2):
                acc[i1[:, j1], i2[:, j2]] += ex[:, j1, j2]
        Xn = np.where(lit, acc / np.where(lit, illum, 1.0), X)
        change = float(np.linalg.norm(Xn - X) / max(np.linalg.norm(Xn), 1e-300))
        X = Xn
        if change <= tol:
            break
    return X, change
