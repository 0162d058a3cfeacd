r"""One-bit compressed sensing with norm estimation (Knudson, Saab, Ward 2016).

Plain one-bit measurements ``sign(<a_i, x>)`` lose the norm of ``x``. Measurements with thresholds

.. math:: y_i = \operatorname{sign}(\langle a_i, x\rangle - b_i), \qquad \operatorname{sign}(0) = +1,

with Gaussian ``a_i`` (entries N(0, 1)) recover it:

* fixed threshold ``b_i = tau > 0``: the fraction ``p`` of ``-1``'s estimates ``Phi(tau / ||x||)``, hence
  :func:`estimate_norm` ``||x||_hat = tau / Phi^{-1}(p)``; :func:`adaptive_estimate_norm` re-measures with
  ``tau_2 = 1.575 ||x||_hat``, the threshold of smallest variance;
* Gaussian thresholds ``b = tau xi`` (:func:`gaussian_thresholds`): ``y_i = sign(<(a_i, -xi_i), (x, tau)>)`` is a
  one-bit problem for the ``(s+1)``-sparse vector ``(x, tau)`` (:func:`lift`); decode its direction ``u``
  with any decoder of :mod:`cstoolbox.solvers` and :func:`unlift` ``x = tau u[:n] / u[n]`` -- :func:`recover`;
* the hybrid split (:func:`hybrid_recover`): the norm from ``m1`` fixed-threshold bits, the direction from
  ``m2`` plain bits.

Sign convention: thresholds are *subtracted*, ``measure(A, x, b) = sign(A x - b)``, as in the paper's
``sign(A x - tau)``.

Examples
--------
>>> import numpy as np
>>> from cstoolbox import onebit
>>> rng = np.random.default_rng(0)
>>> n, s, m = 100, 4, 2000
>>> x = np.zeros(n); x[[3, 17, 40, 77]] = [0.3, -0.2, 0.1, 0.25]
>>> A = rng.standard_normal((m, n))
>>> b = onebit.gaussian_thresholds(m, tau=0.5, random_state=1)
>>> y = onebit.measure(A, x, b)
>>> x_hat, norm_hat, info = onebit.recover(A, y, b, sparsity=s, decoder="biht")
>>> bool(np.linalg.norm(x_hat - x) / np.linalg.norm(x) < 0.05)
True
"""
import numbers
import time
import typing
import warnings

import numpy as np
from scipy import optimize, special

from ._progress import progress
from .backend import check_random_state
from .solvers import _onebit as _dec
from .solvers._info import SolverInfo

__all__ = [
    "measure", "gaussian_thresholds", "estimate_norm", "adaptive_estimate_norm", "norm_estimate_std",
    "optimal_threshold_ratio", "lift", "unlift", "recover", "hybrid_recover", "RecoveryResult",
    "NormClippingWarning", "DECODERS", "OPTIMAL_THRESHOLD_RATIO",
]


class NormClippingWarning(UserWarning):
    """The fraction of ``-1`` bits fell outside the informative range and was clipped (see estimate_norm)."""


def optimal_threshold_ratio():
    r"""``t* = argmax_t t^2 phi(t)^2 / (Phi(t)(1 - Phi(t)))``: the threshold/norm ratio of least variance.

    Returns ``(t*, c*)`` with ``c* = 1 / max`` so that the relative variance of :func:`estimate_norm` at
    ``tau = t* ||x||`` is ``c* / m`` (``t* ≈ 1.575``, ``c* ≈ 1.64``).

    Examples
    --------
    >>> t, c = optimal_threshold_ratio()
    >>> round(t, 3), round(c, 2)
    (1.575, 1.64)
    """
    def neg_info(t):
        phi2 = np.exp(-t * t) / (2 * np.pi)
        return -t * t * phi2 / (special.ndtr(t) * special.ndtr(-t))
    res = optimize.minimize_scalar(neg_info, bounds=(0.1, 4.0), method="bounded",
                                   options={"xatol": 1e-10})
    return float(res.x), float(-1.0 / res.fun)


OPTIMAL_THRESHOLD_RATIO = 1.575  #: tau / ||x|| minimizing the variance of the EDF norm estimate.


# ----------------------------------------------------------------------------------------------- input checks
def _as_x(x, n):
    x = np.asarray(x)
    if x.dtype.kind not in "iuf":
        raise TypeError(f"x must be a real numeric array, got dtype {x.dtype}")
    if x.ndim not in (1, 2) or x.shape[0] != n:
        raise ValueError(f"x must have shape ({n},) or ({n}, k) to match A with {n} columns, got {x.shape}")
    x = x.astype(np.float64, copy=False)
    if not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or inf")
    return x


def _as_real(value, name, positive=False):
    """A finite real scalar or array as float64 (strings, complex and NaN refused)."""
    v = np.asarray(value)
    if v.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be real numbers, got dtype {v.dtype}")
    v = v.astype(np.float64)
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} contains NaN or inf")
    if positive and np.any(v <= 0):
        raise ValueError(f"{name} must be positive, got {value!r}")
    return v


def _as_thresholds(thresholds, m, k=None, name="thresholds"):
    """None -> 0; scalar -> constant; (m,) or (m, k) arrays."""
    if thresholds is None:
        return np.zeros(m)
    b = _as_real(thresholds, name)
    if b.ndim == 0:
        return np.full(m, float(b))
    if b.shape[0] != m or b.ndim > 2 or (b.ndim == 2 and k is not None and b.shape[1] != k):
        want = f"({m},)" + (f" or ({m}, {k})" if k is not None else "")
        raise ValueError(f"{name} must be a scalar or have shape {want}, got {b.shape}")
    return b


def _positive(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


# ----------------------------------------------------------------------------------------------- measurements
def gaussian_thresholds(m, tau, random_state=None):
    r"""Random thresholds ``b = tau * xi`` with ``xi ~ N(0, I_m)`` (the lifted scheme's dithers).

    Parameters
    ----------
    m : int
        Number of measurements.
    tau : float
        Threshold scale, ``> 0`` (best near ``||x||``: the error amplification is ``(||x||^2 + tau^2)/tau``).
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    b : (m,) ndarray

    Examples
    --------
    >>> b = gaussian_thresholds(4, 0.5, random_state=0)
    >>> b.shape, bool(np.all(b == gaussian_thresholds(4, 0.5, random_state=0)))
    ((4,), True)
    """
    if isinstance(m, bool) or not isinstance(m, numbers.Integral) or m < 1:
        raise ValueError(f"m must be a positive integer, got {m!r}")
    tau = _positive(tau, "tau")
    return tau * check_random_state(random_state).standard_normal(int(m))


def measure(A, x, thresholds=None):
    r"""One-bit measurements with thresholds: ``y = sign(A x - b)`` with ``sign(0) = +1``.

    Parameters
    ----------
    A : (m, n) ndarray, sparse matrix or operator
        Measurement matrix (entries N(0, 1) in the theory).
    x : (n,) or (n, k) array
        One signal or ``k`` signals as columns.
    thresholds : None, float, (m,) or (m, k) array
        ``b``: None (plain one-bit, ``b = 0``), a fixed threshold ``tau``, per-measurement thresholds
        (e.g. :func:`gaussian_thresholds`; shared by all columns) or one column per signal.

    Returns
    -------
    y : (m,) or (m, k) ndarray of ±1 (float64)

    Examples
    --------
    >>> A = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> measure(A, np.array([0.5, -0.5]), thresholds=0.0)
    array([ 1., -1.,  1.])
    """
    op = _dec._Measurement(A)
    xv = _as_x(x, op.n)
    k = xv.shape[1] if xv.ndim == 2 else None
    b = _as_thresholds(thresholds, op.m, k)
    Ax = op.mv(xv)
    if xv.ndim == 2 and b.ndim == 1:
        b = b[:, None]
    return _dec.one_bit_sign(Ax - b)


# ----------------------------------------------------------------------------------------------- norm estimation
def _check_y_batch(y):
    y = np.asarray(y)
    if y.ndim not in (1, 2):
        raise ValueError(f"y must have shape (m,) or (m, k), got {y.shape}")
    if y.dtype.kind == "b":
        return np.where(y, 1.0, -1.0)
    if y.dtype.kind not in "iuf":
        raise TypeError(f"y must be numeric with entries in {{-1, +1}}, got dtype {y.dtype}")
    yf = y.astype(np.float64)
    if not np.all((yf == 1.0) | (yf == -1.0)):
        raise ValueError("y must contain only -1 and +1 (one-bit measurements)")
    if yf.shape[0] < 2:
        raise ValueError(f"norm estimation needs at least 2 measurements, got {yf.shape[0]}")
    return yf


def _clip_bounds(m):
    return 0.5 + 0.5 / m, 1.0 - 0.5 / m


def _mle_inverse_norm(y, t, s_lo, s_hi):
    """Maximize sum_i log Phi(-y_i t_i s) over s in [s_lo, s_hi] (concave); returns (s, clipped)."""
    w = -y * t

    def dlogl(s):
        z = w * s
        # d/ds log Phi(z) = w phi(z)/Phi(z), computed stably through log_ndtr
        return float(np.sum(w * np.exp(-0.5 * z * z - 0.5 * np.log(2 * np.pi) - special.log_ndtr(z))))

    if dlogl(s_lo) <= 0:
        return s_lo, True
    if dlogl(s_hi) >= 0:
        return s_hi, True
    return optimize.brentq(dlogl, s_lo, s_hi, xtol=1e-14 * s_hi, rtol=1e-13, maxiter=500), False


def estimate_norm(y, tau, row_scale=None, method="auto", warn=True):
    r"""Estimate ``||x||_2`` from ``y_i = sign(<a_i, x> - tau_i)`` with Gaussian rows ``a_i ~ N(0, sigma_i^2 I)``.

    Parameters
    ----------
    y : (m,) or (m, k) array of ±1
        Measurements (one column per signal).
    tau : float or (m,) array
        Thresholds. A scalar must be ``> 0`` (closed form); an array allows any signs (e.g.
        :func:`gaussian_thresholds`) and uses maximum likelihood.
    row_scale : None, float or (m,) array
        ``sigma_i``, the standard deviation of the entries of row ``i`` (1 for N(0, 1) entries, the default;
        ``1/sqrt(m)`` for N(0, 1/m) entries). Only ``tau_i / sigma_i`` matters.
    method : {"auto", "closed-form", "mle"}
        ``"auto"``: closed form when all effective thresholds ``tau_i / sigma_i`` are equal, MLE otherwise.
    warn : bool
        Issue :class:`NormClippingWarning` when the estimate hits the bounds below.

    Returns
    -------
    norm : float or (k,) ndarray
        ``||x||_hat``, always finite and positive.

    Raises
    ------
    ValueError
        ``y`` not in {±1}, fewer than 2 measurements, scalar ``tau <= 0``, thresholds all zero, non-positive
        ``row_scale``, closed form with unequal effective thresholds.

    Notes
    -----
    With ``t = tau / ||x||`` the probability of a ``-1`` is ``Phi(t)``; the empirical fraction ``p`` gives

    .. math:: \widehat{\|x\|} = \frac{\tau}{\Phi^{-1}(p)} = \frac{\tau}{\sqrt 2\, \operatorname{erf}^{-1}(2p - 1)},

    the maximum-likelihood estimate. ``p`` is clipped to ``[1/2 + 1/(2m), 1 - 1/(2m)]`` (a warning says so):
    ``p <= 1/2`` (the norm is too large for the threshold to be informative) returns the upper bound
    ``tau / Phi^{-1}(1/2 + 1/(2m)) ≈ tau sqrt(2 pi) m``, ``p = 1`` (all bits ``-1``, norm tiny) returns the
    lower bound ``tau / Phi^{-1}(1 - 1/(2m))``. By the delta method
    ``Var(||x||_hat) / ||x||^2 ≈ p(1-p) / (m t^2 phi(t)^2)``, smallest (``≈ 1.64/m``) at ``t ≈ 1.575``
    (:func:`norm_estimate_std`). For unequal effective thresholds ``t_i = tau_i / sigma_i`` the
    log-likelihood ``sum_i log Phi(-y_i t_i / ||x||)`` is concave in ``1/||x||``; its maximizer is found by a
    bracketed root search on the derivative, with the same clipping bounds on ``1/||x||``
    (``Phi^{-1}(1/2 + 1/(2m)) / max|t_i|`` and ``Phi^{-1}(1 - 1/(2m)) / min_{t_i != 0} |t_i|``).

    References
    ----------
    K. Knudson, R. Saab, R. Ward, "One-bit compressive sensing with norm estimation", IEEE Trans. IT 62(5),
    2016.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((20000, 50)); x = rng.standard_normal(50); x *= 0.7 / np.linalg.norm(x)
    >>> nhat = estimate_norm(measure(A, x, thresholds=1.1), tau=1.1)
    >>> bool(abs(nhat - 0.7) < 0.02)
    True
    """
    yv = _check_y_batch(y)
    m = yv.shape[0]
    if np.ndim(tau) == 0:
        tau_v = np.full(m, _positive(tau, "tau"))
    else:
        tau_v = _as_thresholds(tau, m, name="tau")
        if tau_v.ndim != 1:
            raise ValueError(f"tau must be a scalar or have shape ({m},), got {np.shape(tau)}")
        if not np.any(tau_v):
            raise ValueError("tau must not be all zero: zero thresholds carry no norm information")
    if row_scale is None:
        sig = np.ones(m)
    else:
        sig = _as_thresholds(row_scale, m, name="row_scale")
        if sig.ndim != 1 or not np.all(sig > 0):
            raise ValueError(f"row_scale must be positive, a scalar or shape ({m},)")
    t = tau_v / sig
    equal = bool(np.all(t == t[0])) and t[0] > 0
    if method not in ("auto", "closed-form", "mle"):
        raise ValueError(f"method must be 'auto', 'closed-form' or 'mle', got {method!r}")
    if method == "closed-form" and not equal:
        raise ValueError("the closed form needs one positive effective threshold tau/row_scale for all rows; "
                         "use method='mle'")
    lo, hi = _clip_bounds(m)
    Y = yv.reshape(m, -1)
    out = np.empty(Y.shape[1])
    clipped = np.zeros(Y.shape[1], dtype=bool)
    if equal and method != "mle":
        p = np.mean(Y < 0, axis=0)
        pc = np.clip(p, lo, hi)
        clipped = pc != p
        out = t[0] / special.ndtri(pc)
    else:
        nz = np.abs(t[t != 0])
        s_lo = special.ndtri(lo) / nz.max()
        s_hi = special.ndtri(hi) / nz.min()
        for j in range(Y.shape[1]):
            s_j, clipped[j] = _mle_inverse_norm(Y[:, j], t, s_lo, s_hi)
            out[j] = 1.0 / s_j
    if warn and np.any(clipped):
        warnings.warn(f"estimate_norm: the fraction of -1 bits was outside [{lo:.4g}, {hi:.4g}] for "
                      f"{int(clipped.sum())} signal(s) (threshold too small or too large for the norm); "
                      "the estimate was clipped to the nearest informative bound", NormClippingWarning,
                      stacklevel=2)
    return float(out[0]) if yv.ndim == 1 else out


def norm_estimate_std(norm, tau, m):
    r"""Delta-method standard deviation of :func:`estimate_norm`: ``||x|| sqrt(p(1-p)/m) / (t phi(t))``.

    ``t = tau / ||x||``, ``p = Phi(t)``. Vectorized over its arguments.

    Examples
    --------
    >>> round(float(norm_estimate_std(1.0, 1.575, 1000) ** 2 * 1000), 2)
    1.64
    """
    norm = _as_real(norm, "norm", positive=True)
    # m may be real (theory curves evaluate it on np.linspace grids); only its positivity matters here
    m = _as_real(m, "m", positive=True)
    t = _as_real(tau, "tau", positive=True) / norm
    p = special.ndtr(t)
    phi = np.exp(-0.5 * t * t) / np.sqrt(2 * np.pi)
    return norm * np.sqrt(p * (1 - p) / m) / (t * phi)


def adaptive_estimate_norm(A, x, tau, n_first=None, factor=OPTIMAL_THRESHOLD_RATIO, margin=2.0, combine=True,
                           warn=True):
    r"""Two-stage norm estimation: a first estimate sets the second stage's threshold near ``1.575 ||x||``.

    Stage 1 measures rows ``0..n_first-1`` of ``A`` with the threshold ``tau`` and estimates ``r_1``
    (:func:`estimate_norm`) -- conservatively, see ``margin``; stage 2 measures the remaining rows with
    ``tau_2 = factor * r_1``.

    Parameters
    ----------
    A : (m, n) ndarray, sparse matrix or operator
        Gaussian measurement matrix (N(0, 1) entries).
    x : (n,) or (n, k) array
        Signal(s); each column gets its own ``tau_2``.
    tau : float
        First-stage threshold, ``> 0``.
    n_first : int, optional
        ``m_1`` (default ``m // 2``); ``1 <= m_1 <= m - 2``.
    factor : float
        ``tau_2 / r_1`` (default 1.575, the variance-optimal ratio).
    margin : float
        ``r_1`` is the lower confidence bound ``tau / Phi^{-1}(p + margin sqrt(p(1-p)/m_1))`` (default 2
        standard deviations; 0 gives the point estimate). The Fisher information of a threshold decays
        like a Gaussian tail when ``tau_2`` overshoots ``||x||`` but only quadratically when it undershoots,
        so a conservative first estimate keeps stage 2 informative when stage 1 is poor (a first
        threshold far below ``||x||``), at a negligible cost otherwise (the information is flat near 1.575).
    combine : bool
        True: final estimate = maximum likelihood over both stages (never worse than stage 2 alone);
        False: stage 2's closed form only.
    warn : bool
        Forwarded to :func:`estimate_norm`.

    Returns
    -------
    norm : float or (k,) ndarray
        Final estimate.
    details : dict
        ``"first"`` (stage-1 estimate), ``"tau2"``, ``"y"`` (all bits, stage 1 first), ``"thresholds"`` ((m,)
        or (m, k)).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((4000, 30)); x = rng.standard_normal(30); x *= 0.4 / np.linalg.norm(x)
    >>> nhat, d = adaptive_estimate_norm(A, x, tau=0.1)
    >>> bool(abs(nhat - 0.4) < 0.04), bool(1.0 < d["tau2"] / 0.4 < 1.7)   # conservative tau2 (margin)
    (True, True)
    """
    op = _dec._Measurement(A)
    xv = _as_x(x, op.n)
    tau = _positive(tau, "tau")
    factor = _positive(factor, "factor")
    m = op.m
    if m < 3:
        raise ValueError(f"adaptive_estimate_norm needs at least 3 measurements, got m = {m}")
    m1 = m // 2 if n_first is None else n_first
    if isinstance(m1, bool) or not isinstance(m1, numbers.Integral) or not 2 <= m1 <= m - 2:
        raise ValueError(f"n_first must be an integer in [2, m - 2] = [2, {m - 2}], got {n_first!r}")
    Ax = op.mv(xv)
    X2 = Ax.reshape(m, -1)
    if isinstance(margin, bool) or not isinstance(margin, numbers.Real) or not 0 <= margin < np.inf:
        raise ValueError(f"margin must be a non-negative number, got {margin!r}")
    y1 = _dec.one_bit_sign(X2[:m1] - tau)
    r1 = np.atleast_1d(estimate_norm(y1, tau, warn=warn))
    p1 = np.mean(y1 < 0, axis=0)
    lo, hi = _clip_bounds(m1)
    p_up = np.clip(p1 + margin * np.sqrt(np.maximum(p1 * (1 - p1), 0.25 / m1) / m1), lo, hi)
    tau2 = factor * np.minimum(r1, tau / special.ndtri(p_up))
    y2 = _dec.one_bit_sign(X2[m1:] - tau2[None, :])
    if combine:
        est = np.empty(r1.size)
        for j in range(r1.size):
            thr = np.concatenate([np.full(m1, tau), np.full(m - m1, tau2[j])])
            est[j] = estimate_norm(np.concatenate([y1[:, j], y2[:, j]]), thr, method="mle", warn=warn)
    else:
        est = np.array([estimate_norm(y2[:, j], tau2[j], warn=warn) for j in range(r1.size)])
    thresholds = np.concatenate([np.full((m1, r1.size), tau), np.broadcast_to(tau2, (m - m1, r1.size))])
    y = np.concatenate([y1, y2])
    if xv.ndim == 1:
        return float(est[0]), {"first": float(r1[0]), "tau2": float(tau2[0]), "y": y[:, 0],
                               "thresholds": thresholds[:, 0]}
    return est, {"first": r1, "tau2": tau2, "y": y, "thresholds": thresholds}


# ----------------------------------------------------------------------------------------------- lifting
class _LiftedOperator:
    """[A, -xi] for an operator A (matvec/rmatvec on vectors or column blocks)."""

    def __init__(self, op, xi):
        self._op, self._xi = op, xi
        self.shape = (op.m, op.n + 1)
        self.dtype = np.float64

    def matvec(self, u):
        u = np.asarray(u, dtype=float)
        n = self.shape[1] - 1
        if u.ndim == 1:
            return self._op.mv(u[:n]) - self._xi * u[n]
        return self._op.mv(u[:n]) - self._xi[:, None] * u[n][None, :]

    def rmatvec(self, r):
        r = np.asarray(r, dtype=float)
        head = self._op.rmv(r)
        tail = -(self._xi @ r)
        return np.concatenate([head, tail[None, :] if r.ndim == 2 else np.atleast_1d(tail)], axis=0)

    matmat, rmatmat = matvec, rmatvec


def lift(A, xi):
    r"""The lifted matrix ``[A, -xi]``: ``sign(A x - tau xi) = sign([A, -xi] (x, tau))``.

    Parameters
    ----------
    A : (m, n) ndarray, sparse matrix or operator
    xi : (m,) array
        Normalized thresholds (``b = tau * xi``).

    Returns
    -------
    (m, n + 1) ndarray for a dense ``A``, else an operator with ``shape``, ``matvec`` and ``rmatvec``.

    Examples
    --------
    >>> A = np.arange(6.0).reshape(3, 2); xi = np.array([1.0, -1.0, 0.5])
    >>> lift(A, xi)
    array([[ 0. ,  1. , -1. ],
           [ 2. ,  3. ,  1. ],
           [ 4. ,  5. , -0.5]])
    """
    op = _dec._Measurement(A)
    xi = _as_real(xi, "xi")
    if xi.shape != (op.m,):
        raise ValueError(f"xi must have shape ({op.m},) to match A, got {xi.shape}")
    if not np.all(np.isfinite(xi)):
        raise ValueError("xi contains NaN or inf")
    if isinstance(A, np.ndarray):
        return np.hstack([op.dense(), -xi[:, None]])
    return _LiftedOperator(op, xi)


def unlift(u, tau):
    r"""``x = tau u[:n] / u[n]``: the signal from a direction ``u`` of ``(x, tau)``.

    Parameters
    ----------
    u : (n + 1,) or (n + 1, k) array
        Lifted direction(s); the last entry must be positive.
    tau : float or (k,) array
        Threshold scale used in :func:`lift`.

    Raises
    ------
    ValueError
        When ``u[n] <= 0`` (the direction is not that of ``(x, tau)`` with ``tau > 0``).

    Examples
    --------
    >>> unlift(np.array([0.6, 0.0, 0.8]), 0.5)
    array([0.375, 0.   ])
    """
    u = _as_real(u, "u")
    if u.ndim not in (1, 2) or u.shape[0] < 2:
        raise ValueError(f"u must have shape (n + 1,) or (n + 1, k) with n >= 1, got {u.shape}")
    last = u[-1]
    if np.any(~(last > 0)):
        raise ValueError("the last (lifted) coordinate of u must be positive; got "
                         f"{np.atleast_1d(last)[~(np.atleast_1d(last) > 0)][:3].tolist()}")
    tau = _as_real(tau, "tau", positive=True)
    return tau * u[:-1] / last


# ----------------------------------------------------------------------------------------------- recovery
class RecoveryResult(typing.NamedTuple):
    """``(x, norm, info)``: the estimate, its norm and the decoder's SolverInfo (a list for a batch)."""

    x: np.ndarray
    norm: typing.Any
    info: typing.Any


def _decode_lp(method):
    def run(M, y, sparsity, force, warn, **kw):
        return _dec.plan_vershynin_lp(M, y, method=method, warn=warn, **kw)
    return run


def _decode_sparse(func):
    def run(M, y, sparsity, force, warn, **kw):
        return func(M, y, sparsity, force_support=force, warn=warn, **kw)
    return run


def _decode_passive(M, y, sparsity, force, warn, **kw):
    return _dec.passive(M, y, sparsity, force_support=force, **kw)


def _decode_convex(M, y, sparsity, force, warn, **kw):
    return _dec.plan_vershynin_convex(M, y, sparsity, **kw)


def _decode_aop(M, y, sparsity, force, warn, n_flips=0, **kw):
    return _dec.aop(M, y, sparsity, n_flips, force_support=force, warn=warn, **kw)


#: Decoder names accepted by :func:`recover` / :func:`hybrid_recover`.
DECODERS = {
    "lp": _decode_lp("cutting-plane"),
    "lp-highs": _decode_lp("highs"),
    "lp-cvxpy": _decode_lp("cvxpy"),
    "biht": _decode_sparse(_dec.biht),
    "normalized_biht": _decode_sparse(_dec.normalized_biht),
    "aop": _decode_aop,
    "passive": _decode_passive,
    "convex": _decode_convex,
}


def _get_decoder(decoder):
    if callable(decoder):
        def run(M, y, sparsity, force, warn, **kw):
            return decoder(M, y, sparsity, force, **kw)
        return run
    if decoder not in DECODERS:
        raise ValueError(f"decoder must be one of {sorted(DECODERS)} or a callable "
                         f"(A, y, sparsity, force_support) -> (u, info), got {decoder!r}")
    return DECODERS[decoder]


def _check_sparsity(sparsity, n):
    if isinstance(sparsity, bool) or not isinstance(sparsity, numbers.Integral):
        raise TypeError(f"sparsity must be an int, got {type(sparsity).__name__}")
    if not 1 <= sparsity <= n:
        raise ValueError(f"sparsity must be in [1, n] = [1, {n}], got {sparsity}")
    return int(sparsity)


def recover(A, y, thresholds, sparsity, decoder="lp", warn=True, verbose=False, **decoder_options):
    r"""Recover ``x`` (direction and norm) from ``y = sign(A x - b)`` with random thresholds ``b`` (lifting).

    Parameters
    ----------
    A : (m, n) ndarray, sparse matrix or operator
        Gaussian measurement matrix (N(0, 1) entries).
    y : (m,) or (m, k) array of ±1
        Measurements (``k`` signals measured with the same ``A`` and ``b``: universality).
    thresholds : (m,) array
        ``b`` (e.g. :func:`gaussian_thresholds`); not all zero.
    sparsity : int
        ``s``, the sparsity of ``x`` (the lifted vector ``(x, tau)`` is ``(s+1)``-sparse).
    decoder : str or callable
        One of :data:`DECODERS`: ``"lp"`` (Plan–Vershynin LP, HiGHS cutting planes -- default),
        ``"lp-highs"``, ``"lp-cvxpy"``, ``"biht"``, ``"normalized_biht"``, ``"aop"`` (pass ``n_flips``),
        ``"passive"`` (lifted hard thresholding), ``"convex"``; or ``f(A_lifted, y, sparsity, force_support)
        -> (u, info)``.
    warn : bool
        Forward convergence warnings of the decoder.
    verbose : bool
        Progress bar over the signals of a batch.
    **decoder_options
        Passed to the decoder (``max_iter``, ``solver``, ``n_flips``...).

    Returns
    -------
    RecoveryResult
        ``(x, norm, info)``: ``x`` (n,) or (n, k), ``norm = ||x||_2`` (float or (k,)), ``info`` the decoder's
        :class:`~cstoolbox.solvers.SolverInfo` (a list for a batch). A decoded direction whose lifted coordinate
        is not positive cannot be unlifted: ``x = 0`` is returned with ``info.status = "degenerate"`` (and a
        ConvergenceWarning).

    Notes
    -----
    With ``c = rms(b)``, ``xi = b / c``: ``y_i = sign(<(a_i, -xi_i), (x, c)>)``. The decoder returns the
    direction ``u`` of the ``(s+1)``-sparse ``(x, c)`` (index ``n`` forced into the support), and
    ``x = c u[:n] / u[n]`` (:func:`unlift`). An error ``eps`` in the direction costs about
    ``eps (||x||^2 + c^2) / c`` in ``x``: choose the threshold scale near the expected ``||x||``.

    References
    ----------
    K. Knudson, R. Saab, R. Ward, "One-bit compressive sensing with norm estimation", IEEE Trans. IT 62(5),
    2016.

    Examples
    --------
    >>> rng = np.random.default_rng(5)
    >>> A = rng.standard_normal((1000, 60)); x = np.zeros(60); x[[1, 2, 30]] = [0.5, -0.4, 0.2]
    >>> b = gaussian_thresholds(1000, 0.6, random_state=6)
    >>> res = recover(A, measure(A, x, b), b, sparsity=3)
    >>> bool(abs(res.norm - np.linalg.norm(x)) < 0.03)
    True
    """
    op = _dec._Measurement(A)
    n = op.n
    s = _check_sparsity(sparsity, n)
    yv = _check_y_batch(y)
    if yv.shape[0] != op.m:
        raise ValueError(f"y has {yv.shape[0]} rows but A has {op.m}")
    b = _as_thresholds(thresholds, op.m)
    if b.ndim != 1:
        raise ValueError(f"thresholds must have shape ({op.m},) (shared by all signals), got {b.shape}")
    c = float(np.sqrt(np.mean(b * b)))
    if c == 0:
        raise ValueError("thresholds are all zero: the norm is lost; use a decoder of cstoolbox.solvers for "
                         "the direction only, or random thresholds (gaussian_thresholds)")
    run = _get_decoder(decoder)
    M = lift(A, b / c)
    Y = yv.reshape(op.m, -1)
    k = Y.shape[1]
    X = np.zeros((n, k))
    infos = []
    for j in progress(range(k), enabled=verbose and k > 1, desc="recover"):
        t0 = time.perf_counter()
        u, info = run(M, Y[:, j], s + 1, [n], warn, **decoder_options)
        if not isinstance(info, SolverInfo):
            info = SolverInfo(getattr(decoder, "__name__", "callable"), message="custom decoder")
            info.time = time.perf_counter() - t0
        u = np.asarray(u, dtype=float)
        if u.shape != (n + 1,) or not np.all(np.isfinite(u)):
            raise ValueError(f"the decoder returned a direction of shape {u.shape} (need ({n + 1},), finite)")
        if u[n] > 1e-12 * np.linalg.norm(u):
            X[:, j] = unlift(u, c)
        else:
            info.status = "degenerate"
            info.message += "; lifted coordinate not positive: x cannot be unlifted, returned 0"
            if warn:
                info.warn_if_not_converged(stacklevel=3)
        infos.append(info)
    norms = np.linalg.norm(X, axis=0)
    if yv.ndim == 1:
        return RecoveryResult(X[:, 0], float(norms[0]), infos[0])
    return RecoveryResult(X, norms, infos)


def hybrid_recover(A_norm, y_norm, tau, A_direction, y_direction, sparsity, decoder="lp", warn=True,
                   **decoder_options):
    r"""Hybrid scheme: norm from ``m1`` fixed-threshold bits, direction from ``m2`` plain one-bit measurements.

    Parameters
    ----------
    A_norm : (m1, n) ndarray or operator
        Rows measured with the threshold ``tau`` (only its shape is used: the estimate needs the bits).
    y_norm : (m1,) array of ±1
        ``sign(A_norm x - tau)``.
    tau : float
        The fixed threshold (``> 0``, best near ``1.575 ||x||``).
    A_direction : (m2, n) ndarray or operator
        Rows measured without threshold.
    y_direction : (m2,) array of ±1
        ``sign(A_direction x)``.
    sparsity : int
        ``s``.
    decoder : str or callable
        Direction decoder (names as in :func:`recover`, applied to the plain problem, no forced index).

    Returns
    -------
    RecoveryResult
        ``x = ||x||_hat * u``, its norm ``||x||_hat`` and the direction decoder's info.

    Examples
    --------
    >>> rng = np.random.default_rng(7)
    >>> A1, A2 = rng.standard_normal((1000, 40)), rng.standard_normal((1000, 40))
    >>> x = np.zeros(40); x[[0, 9]] = [0.3, 0.4]
    >>> res = hybrid_recover(A1, measure(A1, x, 0.8), 0.8, A2, measure(A2, x), sparsity=2)
    >>> bool(abs(res.norm - 0.5) < 0.05)
    True
    """
    op1 = _dec._Measurement(A_norm, "A_norm")
    op2 = _dec._Measurement(A_direction, "A_direction")
    if op1.n != op2.n:
        raise ValueError(f"A_norm has {op1.n} columns but A_direction has {op2.n}")
    s = _check_sparsity(sparsity, op2.n)
    y1 = _check_y_batch(y_norm)
    if y1.ndim != 1 or y1.shape[0] != op1.m:
        raise ValueError(f"y_norm must have shape ({op1.m},), got {np.shape(y_norm)}")
    norm = estimate_norm(y1, tau, warn=warn)
    run = _get_decoder(decoder)
    y2 = _dec._check_signs(y_direction, op2.m, "y_direction")
    u, info = run(A_direction, y2, s, None, warn, **decoder_options)
    u = np.asarray(u, dtype=float)
    return RecoveryResult(norm * u / np.linalg.norm(u), float(norm), info)
