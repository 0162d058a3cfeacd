r"""Direction decoders for one-bit compressed sensing: ``y = sign(A x)`` determines ``x / ||x||``.

Every decoder takes a measurement operator ``A`` (a dense matrix -- the main case, Gaussian with
N(0, 1) entries -- a scipy sparse matrix, or anything :func:`cstoolbox.operators.aslinearoperator`
accepts), the sign vector ``y`` in {-1, +1}^m and returns ``(x_hat, info)`` with ``||x_hat||_2 = 1``
and a :class:`~cstoolbox.solvers.SolverInfo`.

Decoders
--------
``passive``                 one shot: ``H_s(A^T y)`` normalized.
``biht``                    binary iterative hard thresholding (Jacques, Laska, Boufounos, Baraniuk 2013).
``normalized_biht``         BIHT with step ``sqrt(2 pi)/m`` and projection on the sphere at each step.
``aop``                     adaptive outlier pursuit (Yan, Yang, Osher 2012): BIHT that detects flipped bits.
``plan_vershynin_lp``       ``min ||z||_1`` s.t. ``y o (A z) >= 0``, ``sum_i y_i <a_i, z> = m``; HiGHS through
                            :func:`scipy.optimize.linprog` (full LP or cutting planes) or cvxpy (reference).
``plan_vershynin_convex``   ``max sum_i y_i <a_i, z>`` s.t. ``||z||_2 <= 1``, ``||z||_1 <= sqrt(s)`` in closed form
                            (soft thresholding), with a cvxpy reference.

``force_support`` (indices always kept by the hard-thresholding decoders) serves the lifted problem of
:mod:`cstoolbox.onebit`, whose last coordinate is known to be non-zero.
"""
import numbers
import time
import warnings

import numpy as np
import scipy.sparse as sp

from ..exceptions import ConvergenceWarning
from ._info import SolverInfo

__all__ = ["passive", "biht", "normalized_biht", "aop", "plan_vershynin_lp", "plan_vershynin_convex",
           "one_bit_sign", "hamming_mismatch"]

_LP_METHODS = ("cutting-plane", "highs", "cvxpy")


# --------------------------------------------------------------------------------------------- helpers
def one_bit_sign(v):
    """``sign`` with ``sign(0) = +1`` (as float ±1), the convention of every one-bit routine here.

    Examples
    --------
    >>> import numpy as np
    >>> one_bit_sign(np.array([-2.0, 0.0, 3.0]))
    array([-1.,  1.,  1.])
    """
    v = np.asarray(v)
    if v.dtype.kind not in "biuf":
        raise TypeError(f"one_bit_sign needs a real numeric array, got dtype {v.dtype}")
    if not np.isfinite(v).all():  # NaN >= 0 is False: it would silently become -1
        raise ValueError("one_bit_sign got NaN or inf; the sign of a non-finite value is undefined")
    return np.where(v >= 0, 1.0, -1.0)


def hamming_mismatch(A, x, y):
    """Number of measurements whose sign ``sign(A x)`` differs from ``y``."""
    op = _Measurement(A)
    y = _check_signs(y, op.m)
    x = np.asarray(x)
    if x.dtype.kind not in "biuf" or x.shape != (op.n,):
        raise ValueError(f"x must be a real vector of length {op.n}, got shape {x.shape} and dtype {x.dtype}")
    if not np.isfinite(x).all():
        raise ValueError("x contains NaN or inf")
    return int(np.count_nonzero(one_bit_sign(op.mv(x.astype(np.float64))) != y))


class _Measurement:
    """Forward/adjoint application of A: NumPy fast path for dense arrays, else a cstoolbox operator."""

    def __init__(self, A, name="A"):
        from ..operators._base import _check_matrix_values  # noqa: PLC0415  (layer 3)

        if isinstance(A, (list, tuple)):  # a nested list is a dense matrix (same path, same answer)
            A = np.asarray(A)
        if isinstance(A, np.ndarray):
            if A.ndim != 2:
                raise ValueError(f"{name} must be a 2-D matrix (m, n), got shape {A.shape}")
            A = _check_matrix_values(A, name)  # (object arrays of numbers come back numeric)
            if A.dtype.kind == "c":
                raise TypeError(f"{name} must be real for one-bit measurements, got dtype {A.dtype}")
            if A.dtype.kind not in "f":
                A = A.astype(np.float64)
            self._dense = A
            self.mv = A.__matmul__
            self.rmv = A.T.__matmul__
        elif sp.issparse(A):
            A = A.tocsr()
            if A.dtype.kind == "c":
                raise TypeError(f"{name} must be real for one-bit measurements, got dtype {A.dtype}")
            _check_matrix_values(A, name)
            self._dense = None
            self._sparse = A
            AT = A.T.tocsr()
            self.mv = A.__matmul__
            self.rmv = AT.__matmul__
        else:
            from ..operators import aslinearoperator  # noqa: PLC0415  (layer 3)
            try:
                op = aslinearoperator(A)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"{name}: {exc}") from None
            A = op
            if np.dtype(op.dtype).kind == "c":
                raise TypeError(f"{name} must be a real operator for one-bit measurements, got dtype {op.dtype}")
            self._dense = None
            self._op = op
            self.mv = lambda x: np.asarray(op.matvec(x))
            self.rmv = lambda r: np.asarray(op.rmatvec(r))
        self.shape = tuple(int(d) for d in A.shape)
        self.m, self.n = self.shape
        if self.m < 1 or self.n < 1:
            raise ValueError(f"{name} must have at least one row and one column, got shape {self.shape}")

    def entry_rms(self):
        """Root-mean-square entry of A (1 for N(0, 1) entries): exact for matrices, 8 probes for operators."""
        if self._dense is not None:
            v = float(np.sqrt(np.mean(np.square(self._dense))))
        elif hasattr(self, "_sparse"):
            v = float(np.sqrt(self._sparse.multiply(self._sparse).sum() / (self.m * self.n)))
        else:
            G = np.random.default_rng(12345).standard_normal((self.n, 8))   # E||A g||^2 = ||A||_F^2
            v = float(np.sqrt(np.sum(np.square(self.mv(G))) / (8 * self.m * self.n)))
        return v if v > 0 and np.isfinite(v) else 1.0

    def dense(self):
        """The explicit matrix (built once from the operator when needed by an LP)."""
        if self._dense is None:
            if hasattr(self, "_sparse"):
                self._dense = self._sparse.toarray()
            else:
                self._dense = np.asarray(self._op.todense(), dtype=np.float64)
        return self._dense


def _check_signs(y, m, name="y"):
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sign vector of length {m}, got shape {y.shape}")
    if y.shape[0] != m:
        raise ValueError(f"{name} has {y.shape[0]} entries but A has {m} rows")
    if y.dtype.kind == "b":
        return np.where(y, 1.0, -1.0)
    if y.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be numeric with entries in {{-1, +1}}, got dtype {y.dtype}")
    yf = y.astype(np.float64)
    if not np.all((yf == 1.0) | (yf == -1.0)):
        bad = yf[(yf != 1.0) & (yf != -1.0)][:3]
        raise ValueError(f"{name} must contain only -1 and +1 (one-bit measurements), found {bad.tolist()}")
    return yf


def _check_sparsity(sparsity, n, force=()):
    if isinstance(sparsity, bool) or not isinstance(sparsity, numbers.Integral):
        raise TypeError(f"sparsity must be an int, got {type(sparsity).__name__}")
    if not 1 <= sparsity <= n:
        raise ValueError(f"sparsity must be in [1, n] = [1, {n}], got {sparsity}")
    if len(force) > sparsity:
        raise ValueError(f"force_support has {len(force)} indices, more than sparsity={sparsity}")
    return int(sparsity)


def _check_force(force_support, n):
    if force_support is None:
        return np.zeros(0, dtype=np.intp)
    f = np.atleast_1d(np.asarray(force_support))
    if f.dtype.kind not in "iu" or f.ndim != 1:
        raise TypeError(f"force_support must be a sequence of integer indices, got {force_support!r}")
    f = np.where(f < 0, f + n, f)
    if f.size and (f.min() < 0 or f.max() >= n):
        raise ValueError(f"force_support indices must lie in [-{n}, {n}), got {force_support!r}")
    return np.unique(f).astype(np.intp)


def _check_positive_int(v, name, minimum=1):
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {v!r}")
    return int(v)


def _check_positive_float(v, name, allow_none=False):
    if v is None and allow_none:
        return None
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {v!r}")
    return float(v)


def _hard_threshold(v, s, force):
    """Keep the ``s`` largest entries of ``v``, indices ``force`` always included (ties: lowest index)."""
    out = np.zeros_like(v)
    if force.size:
        out[force] = v[force]
        rest = s - force.size
        if rest > 0:
            mag = np.abs(v)
            mag[force] = -1.0
            idx = np.argsort(-mag, kind="stable")[:rest]
            out[idx] = v[idx]
        return out
    if s >= v.size:
        return v.copy()
    idx = np.argsort(-np.abs(v), kind="stable")[:s]
    out[idx] = v[idx]
    return out


def _normalize(v):
    nv = np.linalg.norm(v)
    return v / nv if nv > 0 else v


def _fallback_direction(n, force):
    """A unit vector used only when the data carry no information at all (A^T y = 0)."""
    e = np.zeros(n)
    e[force[0] if force.size else 0] = 1.0
    return e


def _finish(info, t0, warn):
    info.time = time.perf_counter() - t0
    if warn:
        info.warn_if_not_converged(stacklevel=4)
    return info


# --------------------------------------------------------------------------------------------- passive
def passive(A, y, sparsity=None, force_support=None):
    r"""Passive (one-shot) one-bit decoder: ``x_hat = H_s(A^T y) / ||H_s(A^T y)||_2``.

    Parameters
    ----------
    A : (m, n) ndarray, sparse matrix or operator
        Measurement matrix (Gaussian with N(0, 1) entries in the theory).
    y : (m,) array of ±1
        One-bit measurements ``sign(A x)``.
    sparsity : int or None
        ``s``; None keeps every entry (no thresholding).
    force_support : sequence of int, optional
        Indices always kept (they count towards ``sparsity``).

    Returns
    -------
    x_hat : (n,) ndarray
        Unit-norm direction estimate.
    info : SolverInfo
        ``iterations = 0``, ``residual_norm`` = number of sign mismatches of ``x_hat``.

    Notes
    -----
    For Gaussian ``a_i`` and unit ``x``, ``E[y_i a_i] = sqrt(2/pi) x``, so ``A^T y / m`` is an unbiased
    estimate of ``sqrt(2/pi) x``; hard thresholding keeps its ``s`` largest entries. The error decays like
    ``sqrt(s log(n/s) / m)`` (Plan and Vershynin 2013).

    References
    ----------
    Y. Plan, R. Vershynin, "Robust 1-bit compressed sensing and sparse logistic regression: a convex
    programming approach", IEEE Trans. IT 59(1), 2013.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((2000, 20)); x = np.zeros(20); x[[1, 5]] = [3.0, -4.0]
    >>> x_hat, info = passive(A, one_bit_sign(A @ x), sparsity=2)
    >>> bool(np.linalg.norm(x_hat - x / 5) < 0.1)
    True
    """
    t0 = time.perf_counter()
    op = _Measurement(A)
    yv = _check_signs(y, op.m)
    force = _check_force(force_support, op.n)
    s = op.n if sparsity is None else _check_sparsity(sparsity, op.n, force)
    g = op.rmv(yv)
    x = _normalize(_hard_threshold(g, s, force))
    if not np.any(x):
        x = _fallback_direction(op.n, force)
    mism = int(np.count_nonzero(one_bit_sign(op.mv(x)) != yv))
    info = SolverInfo("passive", status="converged", iterations=0, residual_norm=float(mism),
                      n_matvec=1, n_rmatvec=1, message="one-shot estimate")
    return x, _finish(info, t0, False)


# --------------------------------------------------------------------------------------------- BIHT
def _biht_core(name, A, y, sparsity, step, max_iter, tol, x0, force_support, normalize_each, warn,
               n_flips=None):
    t0 = time.perf_counter()
    op = _Measurement(A)
    yv = _check_signs(y, op.m)
    force = _check_force(force_support, op.n)
    s = _check_sparsity(sparsity, op.n, force)
    max_iter = _check_positive_int(max_iter, "max_iter")
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not 0 <= tol < np.inf:
        raise ValueError(f"tol must be a finite non-negative number, got {tol!r}")
    mu = np.sqrt(2 * np.pi) / (op.m * op.entry_rms()) if step is None else _check_positive_float(step, "step")
    if x0 is None:
        x = _normalize(_hard_threshold(op.rmv(yv), s, force))
        if not np.any(x):
            x = _fallback_direction(op.n, force)
    else:
        x = np.asarray(x0, dtype=np.float64).ravel()
        if x.shape != (op.n,) or not np.all(np.isfinite(x)):
            raise ValueError(f"x0 must be a finite vector of length {op.n}, got shape {np.shape(x0)}")
        x = _hard_threshold(x, s, force)
    n_matvec, n_rmatvec = 1, int(x0 is None)
    mask = np.ones(op.m)
    if n_flips is not None:
        n_flips = int(n_flips)
    hist_mism = []
    status, message = "max_iter", f"no sign-consistent fixed point after {max_iter} iterations"
    Ax = op.mv(x)
    it = 0
    for it in range(1, max_iter + 1):
        resid = mask * (yv - one_bit_sign(Ax))
        x_new = _hard_threshold(x + 0.5 * mu * op.rmv(resid), s, force)
        n_rmatvec += 1
        if normalize_each:
            x_new = _normalize(x_new)
        if not np.any(x_new):
            x_new = _fallback_direction(op.n, force)
        Ax = op.mv(x_new)
        n_matvec += 1
        margins = yv * Ax
        if n_flips:
            # AOP: the n_flips most violated measurements are declared outliers and ignored.
            neg = np.flatnonzero(margins < 0)
            new_mask = np.ones(op.m)
            if neg.size:
                k = min(n_flips, neg.size)
                out = neg[np.argpartition(margins[neg], k - 1)[:k]] if k < neg.size else neg
                new_mask[out] = 0.0
            mask_changed = not np.array_equal(new_mask, mask)
            mask = new_mask
        else:
            mask_changed = False
        mism = int(np.count_nonzero(one_bit_sign(Ax) != yv))
        hist_mism.append(mism)
        nx = max(np.linalg.norm(x), 1e-300)
        change = np.linalg.norm(_normalize(x_new) - _normalize(x)) if not normalize_each else \
            np.linalg.norm(x_new - x) / nx
        x = x_new
        consistent = int(np.count_nonzero(mask * (one_bit_sign(Ax) != yv))) == 0
        if consistent and not mask_changed:
            status, message = "converged", "all (unmasked) signs consistent"
            break
        if change <= tol and not mask_changed:
            status, message = "converged", f"fixed point reached (relative change {change:.2e} <= tol)"
            break
    info = SolverInfo(name, status=status, iterations=it, residual_norm=float(hist_mism[-1] if hist_mism else 0),
                      n_matvec=n_matvec, n_rmatvec=n_rmatvec, message=message,
                      history={"mismatches": hist_mism})
    if n_flips:
        info.history["outliers"] = np.flatnonzero(mask == 0)
    x = _normalize(x)
    return x, _finish(info, t0, warn)


def biht(A, y, sparsity, step=None, max_iter=300, tol=1e-8, x0=None, force_support=None, warn=True):
    r"""Binary iterative hard thresholding (BIHT).

    Iterates ``x <- H_s(x + (mu/2) A^T (y - sign(A x)))`` and returns ``x / ||x||_2``.

    Parameters
    ----------
    A : (m, n) ndarray, sparse matrix or operator
        Measurement matrix.
    y : (m,) array of ±1
        One-bit measurements.
    sparsity : int
        ``s``, number of non-zeros kept (forced indices included).
    step : float, optional
        ``mu``; default ``sqrt(2 pi) / (m sigma)`` with ``sigma`` the root-mean-square entry of ``A`` (the
        normalized-BIHT step ``sqrt(2 pi)/m`` for N(0, 1) entries, rescaled for normalized ensembles such
        as N(0, 1/m)).
    max_iter : int
        Iteration limit.
    tol : float
        Stop when the normalized iterate moves less than ``tol``.
    x0 : (n,) array, optional
        Starting point; default the passive estimate ``H_s(A^T y)`` normalized.
    force_support : sequence of int, optional
        Indices always in the support (the lifted coordinate of :func:`cstoolbox.onebit.recover`).
    warn : bool
        Issue a :class:`~cstoolbox.exceptions.ConvergenceWarning` when ``info.status != "converged"``.

    Returns
    -------
    x_hat : (n,) ndarray
        Unit-norm estimate of ``x / ||x||``.
    info : SolverInfo
        ``status`` is ``"converged"`` when every sign is reproduced or the iterate is a fixed point,
        ``"max_iter"`` otherwise; ``residual_norm`` = final number of sign mismatches;
        ``history["mismatches"]`` per iteration.

    Notes
    -----
    BIHT is the projected subgradient method on the one-sided ℓ1 loss
    ``J(x) = ||[y o A x]_-||_1`` over the s-sparse vectors. With noisy bits a consistent solution does not
    exist and the iteration stops at ``max_iter`` (reported); use :func:`aop` then.

    References
    ----------
    L. Jacques, J. N. Laska, P. T. Boufounos, R. G. Baraniuk, "Robust 1-bit compressive sensing via
    binary stable embeddings of sparse vectors", IEEE Trans. IT 59(4), 2013.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> A = rng.standard_normal((500, 50)); x = np.zeros(50); x[[3, 7, 9]] = [1.0, -2.0, 0.5]
    >>> x_hat, info = biht(A, one_bit_sign(A @ x), sparsity=3)
    >>> bool(np.linalg.norm(x_hat - x / np.linalg.norm(x)) < 0.05)
    True
    """
    return _biht_core("biht", A, y, sparsity, step, max_iter, tol, x0, force_support, False, warn)


def normalized_biht(A, y, sparsity, step=None, max_iter=300, tol=1e-8, x0=None, force_support=None, warn=True):
    r"""Normalized BIHT: BIHT with step ``sqrt(2 pi)/m`` and a projection on the unit sphere each step.

    ``x <- H_s(x + (mu/2) A^T (y - sign(A x)))``, ``x <- x / ||x||_2``, ``mu = sqrt(2 pi) / m``.
    Parameters, returns and stopping rules as in :func:`biht`.

    Notes
    -----
    With this step, ``(mu/2) E[A^T (y - sign(A z))] = x - z`` for unit Gaussian-measured ``x`` and ``z`` on the
    sphere up to second order, so the iteration contracts (Friedlander, Jeong, Plan, Yilmaz 2021:
    error ``O~(s/m)``).

    References
    ----------
    M. P. Friedlander, H. Jeong, Y. Plan, Ö. Yılmaz, "NBIHT: An efficient algorithm for 1-bit compressed
    sensing with optimal error decay rate", IEEE Trans. IT 68(2), 2022.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> A = rng.standard_normal((500, 50)); x = np.zeros(50); x[[3, 7, 9]] = [1.0, -2.0, 0.5]
    >>> x_hat, info = normalized_biht(A, one_bit_sign(A @ x), sparsity=3)
    >>> bool(np.linalg.norm(x_hat - x / np.linalg.norm(x)) < 0.05)
    True
    """
    return _biht_core("normalized_biht", A, y, sparsity, step, max_iter, tol, x0, force_support, True, warn)


def aop(A, y, sparsity, n_flips, step=None, max_iter=300, tol=1e-8, x0=None, force_support=None, warn=True):
    r"""Adaptive outlier pursuit (AOP): BIHT robust to ``n_flips`` flipped measurement bits.

    Alternates a normalized BIHT step on the measurements currently trusted with the detection of the
    ``L = n_flips`` most violated measurements (largest ``-y_i <a_i, x>`` among the sign mismatches),
    which are then ignored.

    Parameters
    ----------
    n_flips : int
        ``L``, the expected number of sign flips (an upper bound works; 0 gives normalized BIHT).
    A, y, sparsity, step, max_iter, tol, x0, force_support, warn
        As in :func:`biht`.

    Returns
    -------
    x_hat : (n,) ndarray
        Unit-norm estimate.
    info : SolverInfo
        As in :func:`biht`; ``history["outliers"]`` holds the indices finally declared flipped.

    Notes
    -----
    AOP solves ``min_{x, Λ} sum_i Λ_i [y_i <a_i, x>]_-`` over s-sparse unit ``x`` and masks ``Λ ∈ {0,1}^m`` with
    ``sum_i (1 - Λ_i) <= L`` by alternating minimization; for fixed ``x`` the optimal mask drops the ``L``
    largest violations.

    References
    ----------
    M. Yan, Y. Yang, S. Osher, "Robust 1-bit compressive sensing using adaptive outlier pursuit",
    IEEE Trans. Signal Processing 60(7), 2012.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(2)
    >>> A = rng.standard_normal((800, 50)); x = np.zeros(50); x[[3, 7, 9]] = [1.0, -2.0, 0.5]
    >>> y = one_bit_sign(A @ x); y[:16] *= -1                        # 2% flipped bits
    >>> x_hat, info = aop(A, y, sparsity=3, n_flips=16, warn=False)
    >>> bool(np.linalg.norm(x_hat - x / np.linalg.norm(x)) < 0.1)
    True
    """
    if isinstance(n_flips, bool) or not isinstance(n_flips, numbers.Integral) or n_flips < 0:
        raise ValueError(f"n_flips must be a non-negative integer, got {n_flips!r}")
    m = np.shape(y)[0] if np.ndim(y) else 0
    if n_flips >= max(m, 1):
        raise ValueError(f"n_flips must be smaller than the number of measurements {m}, got {n_flips}")
    return _biht_core("aop", A, y, sparsity, step, max_iter, tol, x0, force_support, True, warn,
                      n_flips=int(n_flips))


# --------------------------------------------------------------------------------------------- convex program
def _pv_convex_closed_form(c, radius):
    """argmax <c, z> over ||z||_2 <= 1, ||z||_1 <= radius: z = S_lam(c)/||S_lam(c)||, lam by bisection."""
    a = np.abs(c)
    amax = a.max()
    if amax == 0:
        return np.zeros_like(c), 0.0
    if a.sum() <= radius * np.linalg.norm(a):
        return c / np.linalg.norm(c), 0.0
    # ratio(lam) = ||S_lam(c)||_1 / ||S_lam(c)||_2 is non-increasing on [0, amax): bisection to machine
    # precision, then an exact polish on the final segment, where (S1 - k lam)^2 = r^2 (S2 - 2 lam S1 + k lam^2).
    lo_, hi_ = 0.0, float(amax)
    for _ in range(200):
        mid = 0.5 * (lo_ + hi_)
        if mid <= lo_ or mid >= hi_:
            break
        v = np.maximum(a - mid, 0.0)
        if v.sum() > radius * np.sqrt(v @ v):
            lo_ = mid
        else:
            hi_ = mid
    lam = hi_
    act = a > lo_
    k = int(act.sum())
    S1, S2, r2 = a[act].sum(), (a[act] ** 2).sum(), radius * radius
    qa, qb, qc = k * k - r2 * k, -2 * k * S1 + 2 * r2 * S1, S1 * S1 - r2 * S2
    disc = qb * qb - 4 * qa * qc
    if qa != 0 and disc >= 0:
        for root in ((-qb - np.sqrt(disc)) / (2 * qa), (-qb + np.sqrt(disc)) / (2 * qa)):
            if lo_ - 1e-12 * amax <= root <= hi_ + 1e-12 * amax and S1 - k * root > 1e-12 * amax:
                lam = float(root)
                break
    z = np.sign(c) * np.maximum(a - lam, 0.0)
    return z / np.linalg.norm(z), float(lam)


def plan_vershynin_convex(A, y, sparsity, method="closed-form", solver=None):
    r"""Plan–Vershynin convex program: ``max_z sum_i y_i <a_i, z>`` s.t. ``||z||_2 <= 1``, ``||z||_1 <= sqrt(s)``.

    Parameters
    ----------
    A : (m, n) ndarray, sparse matrix or operator
        Measurement matrix.
    y : (m,) array of ±1
        One-bit measurements (may contain flips: the program is robust to them).
    sparsity : int
        ``s`` (the ℓ1 radius is ``sqrt(s)``).
    method : {"closed-form", "cvxpy"}
        ``"closed-form"`` (default): the maximizer is a normalized soft thresholding of ``A^T y`` whose
        threshold solves a piecewise quadratic equation, found exactly. ``"cvxpy"``: the reference.
    solver : str, optional
        cvxpy solver name for ``method="cvxpy"`` (default CLARABEL).

    Returns
    -------
    x_hat : (n,) ndarray
        Maximizer ``z`` (unit norm).
    info : SolverInfo
        ``objective`` = ``sum_i y_i <a_i, z>``; ``gap`` = threshold ``lambda`` for the closed form.

    Notes
    -----
    Writing ``c = A^T y``, the Lagrangian gives ``z = S_lam(c) / ||S_lam(c)||_2`` with the smallest
    ``lam >= 0`` such that ``||z||_1 <= sqrt(s)``; ``||S_lam(c)||_1 / ||S_lam(c)||_2`` is non-increasing in
    ``lam``, and on each segment between sorted ``|c_i|`` the equality is a quadratic in ``lam``.

    References
    ----------
    Y. Plan, R. Vershynin, "Robust 1-bit compressed sensing and sparse logistic regression: a convex
    programming approach", IEEE Trans. IT 59(1), 2013.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> A = rng.standard_normal((400, 30)); x = np.zeros(30); x[[0, 4]] = [1.0, 1.0]
    >>> z, info = plan_vershynin_convex(A, one_bit_sign(A @ x), sparsity=2)
    >>> bool(abs(np.linalg.norm(z) - 1) < 1e-12 and np.abs(z).sum() <= np.sqrt(2) + 1e-9)
    True
    """
    t0 = time.perf_counter()
    op = _Measurement(A)
    yv = _check_signs(y, op.m)
    s = _check_sparsity(sparsity, op.n)
    c = op.rmv(yv)
    radius = np.sqrt(s)
    if method == "closed-form":
        z, lam = _pv_convex_closed_form(c, radius)
        if not np.any(z):
            z = _fallback_direction(op.n, np.zeros(0, np.intp))
        info = SolverInfo("plan_vershynin_convex", status="converged", objective=float(c @ z), gap=lam,
                          n_rmatvec=1, message="closed form (soft thresholding)")
    elif method == "cvxpy":
        cp = _import_cvxpy()
        zv = cp.Variable(op.n)
        prob = cp.Problem(cp.Maximize(c @ zv), [cp.norm(zv, 2) <= 1, cp.norm(zv, 1) <= radius])
        solver = solver or "CLARABEL"
        prob.solve(solver=solver)
        ok = prob.status in ("optimal", "optimal_inaccurate") and zv.value is not None
        z = np.asarray(zv.value, dtype=float) if ok else _normalize(c)
        info = SolverInfo(f"plan_vershynin_convex:cvxpy:{solver}", status="converged" if ok else "error",
                          objective=float(c @ z), n_rmatvec=1, message=f"cvxpy status {prob.status}")
    else:
        raise ValueError(f"method must be 'closed-form' or 'cvxpy', got {method!r}")
    return z, _finish(info, t0, True)


# --------------------------------------------------------------------------------------------- LP
def _import_cvxpy():
    try:
        import cvxpy as cp  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - cvxpy is in the test environment
        raise ImportError("the cvxpy reference needs cvxpy: pip install 'cstoolbox[cvx]' (or pip install cvxpy)") \
            from exc
    return cp


def _lp_highs(YA, c, m, rows=None, time_limit=None):
    """HiGHS dual simplex on z = z+ - z-: min 1^T(z+ + z-) s.t. -YA z <= 0 (rows), c^T z = m."""
    from scipy.optimize import linprog  # noqa: PLC0415
    N = YA.shape[1]
    sub = YA if rows is None else YA[rows]
    A_ub = sp.csr_matrix(np.hstack([-sub, sub]))
    A_eq = np.concatenate([c, -c])[None, :]
    options = {"presolve": True}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    res = linprog(np.ones(2 * N), A_ub=A_ub, b_ub=np.zeros(sub.shape[0]), A_eq=A_eq, b_eq=[float(m)],
                  bounds=(0, None), method="highs-ds", options=options)
    z = None if res.x is None else res.x[:N] - res.x[N:]
    return z, res


def plan_vershynin_lp(A, y, method="cutting-plane", solver=None, initial_rows=None, rows_per_round=None,
                      max_rounds=100, tol=1e-9, warn=True):
    r"""Plan–Vershynin linear program: ``min ||z||_1`` s.t. ``y_i <a_i, z> >= 0`` and ``sum_i y_i <a_i, z> = m``.

    Parameters
    ----------
    A : (m, n) ndarray, sparse matrix or operator
        Measurement matrix (an operator is made explicit once, ``m x n`` floats).
    y : (m,) array of ±1
        One-bit measurements.
    method : {"cutting-plane", "highs", "cvxpy"}
        ``"cutting-plane"`` (default, fast): HiGHS dual simplex on a subset of the sign constraints,
        adding violated ones until none is left -- the same optimum as the full LP (exact, not an
        approximation: the final LP's solution satisfies every constraint). ``"highs"``: the full LP in
        HiGHS through :func:`scipy.optimize.linprog`. ``"cvxpy"``: reference formulation.
    solver : str, optional
        cvxpy solver for ``method="cvxpy"`` (default CLARABEL).
    initial_rows : int, optional
        Cutting plane: number of constraints to start with -- the rows with the smallest margins
        under the passive estimate (default ``min(m, max(n, 50))``).
    rows_per_round : int, optional
        Cutting plane: most-violated constraints added per round (default ``max(n // 2, 50)``).
    max_rounds : int
        Cutting plane: round limit.
    tol : float
        A constraint counts as violated when ``y_i <a_i, z> < -tol * ||z||_1 * max_ij |a_ij|``.
    warn : bool
        Warn (ConvergenceWarning) when the status is not ``"converged"``.

    Returns
    -------
    x_hat : (n,) ndarray
        ``z / ||z||_2``. If the LP is infeasible (noisy bits admit no consistent direction), the passive
        estimate is returned with ``status="infeasible"``.
    info : SolverInfo
        ``objective`` = ``||z||_1`` at the LP optimum; ``iterations`` = simplex iterations (summed over rounds);
        ``history["rounds"]``, ``history["active_rows"]`` for the cutting plane.

    Notes
    -----
    Split ``z = z+ - z-`` to obtain the standard-form LP in ``2n`` non-negative variables. At the optimum
    only a few (about ``n``) sign constraints are active, which the cutting-plane method exploits: each round
    solves a small LP and scans all ``m`` margins in one matrix-vector product.

    References
    ----------
    Y. Plan, R. Vershynin, "One-bit compressed sensing by linear programming", Comm. Pure Appl. Math.
    66(8), 2013.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(4)
    >>> A = rng.standard_normal((300, 40)); x = np.zeros(40); x[[2, 11]] = [1.0, -1.0]
    >>> y = one_bit_sign(A @ x)
    >>> z1, i1 = plan_vershynin_lp(A, y); z2, i2 = plan_vershynin_lp(A, y, method="highs")
    >>> bool(np.allclose(z1, z2, atol=1e-6) and np.all(y * (A @ z1) >= -1e-9))
    True
    """
    t0 = time.perf_counter()
    op = _Measurement(A)
    yv = _check_signs(y, op.m)
    if method not in _LP_METHODS:
        raise ValueError(f"method must be one of {_LP_METHODS}, got {method!r}")
    if solver is not None and method != "cvxpy":  # was silently ignored
        raise ValueError(f"solver={solver!r} only applies to method='cvxpy', got method={method!r}")
    max_rounds = _check_positive_int(max_rounds, "max_rounds")
    M = op.dense()
    m, n = op.m, op.n
    YA = yv[:, None] * M
    c = YA.sum(axis=0)
    if not np.any(c):
        x, info = passive(A, yv)
        info.solver, info.status, info.message = f"plan_vershynin_lp:{method}", "infeasible", \
            "sum_i y_i a_i = 0: the normalization constraint cannot be met"
        return x, _finish(info, t0, warn)
    scale = float(np.abs(M).max())
    history = {}
    if method == "cvxpy":
        cp = _import_cvxpy()
        zv = cp.Variable(n)
        prob = cp.Problem(cp.Minimize(cp.norm1(zv)), [YA @ zv >= 0, c @ zv == m])
        solver = solver or "CLARABEL"
        prob.solve(solver=solver)
        ok = prob.status in ("optimal", "optimal_inaccurate") and zv.value is not None
        z = np.asarray(zv.value, dtype=float) if ok else None
        status = "converged" if prob.status == "optimal" else ("infeasible" if "infeasible" in prob.status
                                                               else "error")
        if ok and prob.status == "optimal_inaccurate":
            status = "inaccurate"
        name = f"plan_vershynin_lp:cvxpy:{solver}"
        iters = int(getattr(prob.solver_stats, "num_iters", 0) or 0)
        msg = f"cvxpy status {prob.status}"
    elif method == "highs":
        z, res = _lp_highs(YA, c, m)
        status = "converged" if res.status == 0 else ("infeasible" if res.status == 2 else "error")
        name, iters, msg = "plan_vershynin_lp:highs", int(res.nit), res.message
    else:
        n0 = min(m, max(n, 50)) if initial_rows is None else _check_positive_int(initial_rows, "initial_rows")
        step = max(n // 2, 50) if rows_per_round is None else _check_positive_int(rows_per_round, "rows_per_round")
        margins = YA @ (c / np.linalg.norm(c))
        active = np.zeros(m, dtype=bool)
        active[np.argsort(margins, kind="stable")[:min(n0, m)]] = True
        iters, rounds, status, msg, z = 0, 0, "max_iter", f"violations left after {max_rounds} rounds", None
        for rounds in range(1, max_rounds + 1):
            z, res = _lp_highs(YA, c, m, rows=np.flatnonzero(active))
            iters += int(res.nit)
            if res.status != 0 or z is None:
                status = "infeasible" if res.status == 2 else "error"
                msg = res.message
                break
            margins = YA @ z
            viol = np.flatnonzero((margins < -tol * np.abs(z).sum() * scale) & ~active)
            if viol.size == 0:
                status, msg = "converged", f"all {m} sign constraints satisfied after {rounds} round(s)"
                break
            add = viol if viol.size <= step else viol[np.argpartition(margins[viol], step - 1)[:step]]
            active[add] = True
        history = {"rounds": rounds, "active_rows": int(active.sum())}
        name = "plan_vershynin_lp:cutting-plane"
    if z is None or not np.all(np.isfinite(z)) or not np.any(z):
        x, _ = passive(A, yv)
        info = SolverInfo(name, status=status if status != "converged" else "error", iterations=iters,
                          message=f"{msg}; returned the passive estimate", history=history)
        return x, _finish(info, t0, warn)
    mism = int(np.count_nonzero(one_bit_sign(M @ z) != yv))
    info = SolverInfo(name, status=status, iterations=iters, residual_norm=float(mism),
                      objective=float(np.abs(z).sum()), message=str(msg), history=history)
    return _normalize(z), _finish(info, t0, warn)
