r"""Weighted ℓ1 recovery with partial support information (Friedlander, Mansour, Saab, Yılmaz 2012).

Recover a sparse / compressible ``x`` from ``y = A x + e`` (``||e||_2 <= sigma``) by weighted BPDN

.. math::  \min_x \sum_i w_i |x_i| \quad \text{s.t.} \quad \|A x - y\|_2 \le \sigma,

with ``w_i = omega in [0, 1]`` on a support estimate ``T~`` and ``w_i = 1`` elsewhere
(``omega = 1``: plain BPDN; ``omega = 0``: ``T~`` is not penalized, "modified CS").  Several
estimates may carry their own weights (Mansour & Yılmaz).  If the estimate's accuracy
``alpha = |T~ ∩ T0| / |T~| > 1/2`` the recovery conditions and error constants improve on ℓ1, the more
so the smaller ``omega``; with ``alpha < 1/2`` an ``omega`` near 1 is best, and intermediate
``omega`` (0.3–0.5) is robust when ``alpha`` is unknown.

Public API
----------
* :func:`weighted_bpdn` — the solver front end (``"spgl1"`` default, ``"fista"``, ``"admm"``,
  ``"cvxpy"``, ``"lp"`` for exact basis pursuit), any operator, real or complex, weights in
  ``[0, 1]`` including 0.
* Support information: :func:`weights_from_support`, :func:`weights_from_supports` (several sets),
  :func:`support_from_previous` (the 90 %-energy rule), :func:`top_k_support`,
  :func:`synthetic_support_estimate` (size ``rho k``, accuracy ``alpha``), :func:`support_accuracy`,
  :func:`recovery_gamma` (the constant ``gamma`` of the theory).
* Iterative variants: :func:`reweighted_l1` (Candès–Wakin–Boyd) and :func:`wspgl1` (support
  refreshed from the current iterate inside the Pareto root finding).
* Sequences (audio / video frames): :func:`sequential_weighted_bpdn` decodes frame ``j`` with the
  support estimate taken from the reconstruction of frame ``j - 1``.

References
----------
.. [1] M. P. Friedlander, H. Mansour, R. Saab, Ö. Yılmaz, "Recovering compressively sampled signals
   using partial support information", IEEE Trans. Inf. Theory 58(2):1122–1134, 2012.
.. [2] H. Mansour, Ö. Yılmaz, "Weighted-ℓ1 minimization with multiple weighting sets", SPIE 2011.
.. [3] D. Needell, R. Saab, T. Woolf, "Weighted ℓ1-minimization for sparse recovery under arbitrary
   prior information", Information and Inference 6(3), 2017.
.. [4] H. Mansour, "Beyond ℓ1-norm minimization for sparse signal recovery", IEEE SSP 2012.
.. [5] E. J. Candès, M. B. Wakin, S. P. Boyd, "Enhancing sparsity by reweighted ℓ1 minimization",
   J. Fourier Anal. Appl. 14, 2008.

Examples
--------
>>> import numpy as np
>>> from cstoolbox.weighted_l1 import weighted_bpdn, weights_from_support
>>> rng = np.random.default_rng(0)
>>> n, m, k = 200, 50, 12
>>> A = rng.standard_normal((m, n)) / np.sqrt(m)
>>> x = np.zeros(n); T0 = rng.choice(n, k, replace=False); x[T0] = rng.standard_normal(k)
>>> w = weights_from_support(n, T0[:9], omega=0.0)      # a partly correct support estimate
>>> xh, info = weighted_bpdn(A, A @ x, w)
>>> info.status, bool(np.linalg.norm(x - xh) <= 1e-4 * np.linalg.norm(x))
('converged', True)
"""
import numbers
import time

import numpy as np

from .backend import check_random_state
from .solvers._info import SolverInfo
from .solvers._projections import _validate_weights
from .solvers._spgl1 import _check_nonneg, _unwrap_0d

__all__ = [
    "weighted_bpdn", "weights_from_support", "weights_from_supports", "support_from_previous",
    "top_k_support", "synthetic_support_estimate", "support_accuracy", "recovery_gamma",
    "reweighted_l1", "wspgl1", "sequential_weighted_bpdn", "SOLVERS",
]

SOLVERS = ("spgl1", "fista", "admm", "cvxpy", "lp")


# ----------------------------------------------------------------------------------------------
# validation helpers
# ----------------------------------------------------------------------------------------------
def _check_n(n):
    n = _unwrap_0d(n)
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    return int(n)


def _check_omega(omega, name="omega"):
    omega = _unwrap_0d(omega)
    if not isinstance(omega, numbers.Real) or isinstance(omega, bool) or not np.isfinite(omega) \
            or not 0.0 <= omega <= 1.0:
        raise ValueError(f"{name} must be a real number in [0, 1], got {omega!r}")
    return float(omega)


def _as_support(support, n, name="support"):
    s = np.asarray(support)
    if s.dtype == bool:
        if s.ndim != 1 or s.size != n:
            raise ValueError(f"{name} as a boolean mask must have length {n}, got shape {s.shape}")
        return np.flatnonzero(s)
    if s.size == 0:
        return np.zeros(0, dtype=np.int64)
    if s.dtype.kind not in "iu":
        if s.dtype.kind == "f" and np.all(np.isfinite(s)) and np.all(s == np.round(s)):
            s = s.astype(np.int64)
        else:
            raise ValueError(f"{name} must be integer indices or a boolean mask, got dtype {s.dtype}")
    s = s.ravel().astype(np.int64)
    if s.min() < 0 or s.max() >= n:
        raise ValueError(f"{name} indices must lie in [0, {n - 1}], got range [{s.min()}, {s.max()}]")
    return np.unique(s)


def _check_weights_unit(weights, n):
    w = _validate_weights(weights, n)
    if w is None:
        return None
    if np.any(w > 1.0):
        raise ValueError(f"weights must lie in [0, 1], got max {w.max():g}")
    return w


# ----------------------------------------------------------------------------------------------
# support information
# ----------------------------------------------------------------------------------------------
def weights_from_support(n, support, omega):
    r"""Weights ``w_i = omega`` on the support estimate ``T~`` and ``w_i = 1`` elsewhere.

    Parameters
    ----------
    n : int
        Signal length.
    support : array_like of int or bool mask
        The estimate ``T~``.
    omega : float in [0, 1]
        Weight on ``T~`` (0: unpenalized, 1: plain ℓ1).

    Returns
    -------
    ndarray, shape (n,)

    Raises
    ------
    ValueError
        ``omega`` outside ``[0, 1]``, indices out of range.

    Examples
    --------
    >>> weights_from_support(5, [1, 3], 0.25)
    array([1.  , 0.25, 1.  , 0.25, 1.  ])
    """
    n = _check_n(n)
    omega = _check_omega(omega)
    w = np.ones(n)
    w[_as_support(support, n)] = omega
    return w


def weights_from_supports(n, supports, omegas):
    r"""Weights from several support estimates, each with its own weight (Mansour & Yılmaz).

    ``w_i = omega_j`` for ``i in T~_j``; where sets overlap the smallest weight (the most
    trusted estimate) wins; ``w_i = 1`` outside every set.

    Parameters
    ----------
    n : int
    supports : sequence of array_like
        The estimates ``T~_1, ..., T~_J`` (index arrays or boolean masks).
    omegas : sequence of float in [0, 1]
        One weight per estimate.

    Returns
    -------
    ndarray, shape (n,)

    Examples
    --------
    >>> weights_from_supports(6, [[0, 1], [1, 2, 3]], [0.2, 0.6])
    array([0.2, 0.2, 0.6, 0.6, 1. , 1. ])
    """
    n = _check_n(n)
    supports = list(supports)
    omegas = list(np.atleast_1d(omegas))
    if len(supports) != len(omegas):
        raise ValueError(f"supports and omegas must have the same length, got {len(supports)} "
                         f"and {len(omegas)}")
    w = np.ones(n)
    for j, (s, om) in enumerate(zip(supports, omegas)):
        om = _check_omega(om, f"omegas[{j}]")
        idx = _as_support(s, n, f"supports[{j}]")
        w[idx] = np.minimum(w[idx], om)
    return w


def support_from_previous(coefficients, energy=0.9):
    r"""Smallest index set holding at least ``energy`` of the ℓ2 energy of ``coefficients``.

    Sort ``|c|`` in decreasing order and keep the shortest prefix with
    ``sum |c_(i)|^2 >= energy ||c||_2^2`` — the support estimate taken from the previous frame's
    reconstruction in the paper's audio and video experiments.

    Parameters
    ----------
    coefficients : array_like
        Coefficients (any shape; indices refer to the flattened array).
    energy : float in (0, 1]

    Returns
    -------
    ndarray of int
        Sorted indices (empty for an all-zero input).

    Examples
    --------
    >>> support_from_previous([0.1, 3.0, -1.0, 0.2], energy=0.85)
    array([1])
    >>> support_from_previous([0.1, 3.0, -1.0, 0.2], energy=0.95)
    array([1, 2])
    """
    c = np.asarray(coefficients)
    if c.dtype.kind not in "biufc":
        raise TypeError(f"coefficients must be numeric, got dtype {c.dtype}")
    if not isinstance(energy, numbers.Real) or not 0.0 < energy <= 1.0:
        raise ValueError(f"energy must be a fraction in (0, 1], got {energy!r}")
    a2 = np.abs(c.ravel()).astype(np.float64) ** 2
    if not np.all(np.isfinite(a2)):
        raise ValueError("coefficients contain NaN or inf")
    total = a2.sum()
    if total == 0.0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(-a2, kind="stable")
    cum = np.cumsum(a2[order])
    k = int(np.searchsorted(cum, energy * total * (1 - 1e-12))) + 1
    return np.sort(order[:min(k, a2.size)])


def top_k_support(x, k):
    """Indices of the ``k`` largest-magnitude entries (sorted; ties broken by lower index).

    Examples
    --------
    >>> top_k_support([0.1, -5.0, 2.0, 0.0], 2)
    array([1, 2])
    """
    a = np.asarray(x)
    if a.dtype.kind not in "biufc":
        raise TypeError(f"x must be a numeric array, got dtype {a.dtype}")
    if not np.all(np.isfinite(a)):
        raise ValueError("x contains NaN or inf; the largest entries are undefined")
    a = np.abs(a.ravel())
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 0:
        raise ValueError(f"k must be a non-negative integer, got {k!r}")
    if k > a.size:
        raise ValueError(f"k={k} exceeds the length {a.size} of x")
    return np.sort(np.argsort(-a, kind="stable")[:k])


def synthetic_support_estimate(true_support, n, size, accuracy, random_state=None):
    r"""A support estimate of given size and accuracy, as in the paper's synthetic experiments.

    Draws ``round(accuracy * size)`` indices from ``true_support`` and the rest from its
    complement, uniformly without replacement; ``size = rho k``.

    Parameters
    ----------
    true_support : array_like of int
        ``T0``.
    n : int
    size : int
        ``|T~|``.
    accuracy : float in [0, 1]
        ``alpha = |T~ ∩ T0| / |T~|``.
    random_state : None, int or Generator

    Returns
    -------
    ndarray of int
        Sorted indices of ``T~``.

    Raises
    ------
    ValueError
        When the requested counts exceed ``|T0|`` or ``n - |T0|``, or bad arguments.

    Examples
    --------
    >>> est = synthetic_support_estimate(np.arange(10), 100, 10, 0.7, random_state=0)
    >>> len(est), int(np.sum(est < 10))
    (10, 7)
    """
    n = _check_n(n)
    T0 = _as_support(true_support, n, "true_support")
    if not isinstance(size, numbers.Integral) or isinstance(size, bool) or size < 0 or size > n:
        raise ValueError(f"size must be an integer in [0, n={n}], got {size!r}")
    accuracy = _check_omega(accuracy, "accuracy")
    rng = check_random_state(random_state)
    n_good = int(round(accuracy * size))
    n_bad = int(size) - n_good
    comp = np.setdiff1d(np.arange(n), T0)
    if n_good > T0.size:
        raise ValueError(f"accuracy*size = {n_good} exceeds |true_support| = {T0.size}")
    if n_bad > comp.size:
        raise ValueError(f"(1-accuracy)*size = {n_bad} exceeds n - |true_support| = {comp.size}")
    good = rng.choice(T0, n_good, replace=False) if n_good else np.zeros(0, np.int64)
    bad = rng.choice(comp, n_bad, replace=False) if n_bad else np.zeros(0, np.int64)
    return np.sort(np.concatenate([good, bad]).astype(np.int64))


def support_accuracy(estimate, true_support):
    """``alpha = |T~ ∩ T0| / |T~|`` (NaN for an empty estimate).

    Examples
    --------
    >>> support_accuracy([1, 2, 3, 4], [2, 4, 9])
    0.5
    """
    est = np.unique(_as_indices(estimate, "estimate"))
    if est.size == 0:
        return float("nan")
    return float(np.intersect1d(est, _as_indices(true_support, "true_support")).size / est.size)


def _as_indices(idx, name):
    """Non-negative integer indices (integer-valued floats allowed; NaN, complex and 2.5 refused)."""
    s = np.asarray(idx)
    if s.size == 0:
        return np.zeros(0, dtype=np.int64)
    if s.dtype.kind not in "iu":
        if not (s.dtype.kind == "f" and np.all(np.isfinite(s)) and np.all(s == np.round(s))):
            raise ValueError(f"{name} must be integer indices, got dtype {s.dtype}")
    s = s.ravel().astype(np.int64)
    if s.min() < 0:
        raise ValueError(f"{name} indices must be non-negative, got {s.min()}")
    return s


def recovery_gamma(omega, rho, alpha):
    r"""The constant ``gamma = omega + (1 - omega) sqrt(1 + rho - 2 alpha rho)`` of the theory.

    Weighted ℓ1 improves on ℓ1 (``gamma < 1``) exactly when ``alpha > 1/2`` and ``omega < 1``.

    Examples
    --------
    >>> recovery_gamma(1.0, 1.0, 0.3), round(recovery_gamma(0.0, 1.0, 0.7), 4)
    (1.0, 0.7746)
    """
    omega = _check_omega(omega)
    alpha = _check_omega(alpha, "accuracy alpha")
    if isinstance(rho, bool) or not isinstance(rho, numbers.Real) or not np.isfinite(rho) or rho < 0:
        raise ValueError(f"rho must be a finite non-negative real, got {rho!r}")
    return float(omega + (1.0 - omega) * np.sqrt(1.0 + rho - 2.0 * alpha * rho))


# ----------------------------------------------------------------------------------------------
# the solver front end
# ----------------------------------------------------------------------------------------------
def _as_problem_matrix(A):
    """A nested list/tuple is a dense matrix; everything else is passed on as given."""
    return np.asarray(A) if isinstance(A, (list, tuple)) else A


def _n_cols(A):
    shape = getattr(A, "shape", None)
    if shape is None or len(shape) != 2:
        raise TypeError(f"A must be a 2-D matrix or an operator with a shape, got {type(A).__name__}")
    return int(shape[1])


def weighted_bpdn(A, y, weights=None, sigma=0.0, solver="spgl1", x0=None, tol=1e-4,
                  max_iter=None, callback=None, verbose=False):
    r"""Weighted basis pursuit (denoising): ``min sum_i w_i |x_i|  s.t.  ||A x - y||_2 <= sigma``.

    Parameters
    ----------
    A : ndarray, scipy sparse matrix, scipy/PyLops LinearOperator or cstoolbox operator
        ``m x n`` measurement operator (real or complex).
    y : array_like, shape (m,)
        Measurements.
    weights : array_like, shape (n,), optional
        Weights in ``[0, 1]`` (zeros allowed; default all ones = plain BPDN).
    sigma : float
        Noise level ``>= 0`` (0: basis pursuit ``A x = y``).
    solver : {"spgl1", "fista", "admm", "cvxpy", "lp"}
        ``"spgl1"``: our Pareto root finding with spectral projected gradient (fast, default);
        ``"fista"``: the same root finding with FISTA subproblems; ``"admm"``: linearized ADMM;
        ``"cvxpy"``: the cvxpy reference (small problems; dense); ``"lp"``: basis pursuit
        (``sigma = 0``, real data only) as a linear program solved exactly by HiGHS with a
        duality certificate (:func:`cstoolbox.solvers.lp_weighted_bp`; small problems, dense;
        ``x0``, ``tol`` and ``callback`` are not used).
    x0 : array_like, optional
        Warm start (iterative solvers).
    tol : float
        Relative tolerance (see the solver).
    max_iter : int, optional
        Iteration cap (solver default when None).
    callback : callable, optional
        ``callback(x, state)``; returning True stops the solver.
    verbose : bool

    Returns
    -------
    x : ndarray, shape (n,)
    info : SolverInfo
        Status, iterations, residual norm, objective ``sum w |x|``, gap / optimality measure,
        matvec counts, time.  A :class:`~cstoolbox.exceptions.ConvergenceWarning` is issued when
        the solver did not converge.

    Raises
    ------
    ValueError
        Weights outside ``[0, 1]`` or NaN, shape mismatch, ``sigma < 0``, unknown solver;
        ``solver="lp"`` with ``sigma > 0`` or complex data.

    Notes
    -----
    See :func:`cstoolbox.solvers.spgl1` for the Pareto-curve algorithm: Newton root finding on
    ``phi(tau) = min{||A x - y|| : ||x||_{1,w} <= tau}`` with
    ``phi'(tau) = -||A^H r||_{w,*} / ||r||``, the dual norm taken over ``w_i > 0``.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    >>> x, info = weighted_bpdn(A, np.array([1.0, 1.0]), weights=[1.0, 1.0, 0.0])
    >>> np.round(x, 6) + 0.0
    array([0., 0., 1.])
    """
    from . import solvers as S
    if not isinstance(solver, str) or solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    n = _n_cols(A)
    w = _check_weights_unit(weights, n)
    if not isinstance(sigma, numbers.Real) or isinstance(sigma, bool) or not np.isfinite(sigma) \
            or sigma < 0:
        raise ValueError(f"sigma must be a finite non-negative real, got {sigma!r}")
    sigma = float(sigma)
    kw = {} if max_iter is None else {"max_iter": max_iter}
    if solver == "spgl1":
        x, info = S.spgl1(A, y, sigma=sigma, weights=w, x0=x0, tol=tol, callback=callback,
                          verbose=verbose, **kw)
    elif solver == "fista":
        x, info = S.fista_bpdn(A, y, sigma=sigma, weights=w, x0=x0, tol=tol, callback=callback,
                               verbose=verbose, **kw)
    elif solver == "admm":
        x, info = S.admm_bpdn(A, y, sigma=sigma, weights=w, x0=x0, tol=min(tol, 1e-5),
                              callback=callback, **kw)
    elif solver == "lp":
        if sigma > 0:
            raise ValueError(f"solver='lp' solves basis pursuit (sigma = 0) only, got "
                             f"sigma={sigma!r}; use 'spgl1' or 'cvxpy' for sigma > 0")
        x, info = S.lp_weighted_bp(A, y, weights=w, **kw)
        if x is None:
            x = np.full(n, np.nan)
    else:
        x, info = S.cvx_weighted_bpdn(A, y, weights=w, sigma=sigma)
        if x is None:
            x = np.full(n, np.nan)
    info.warn_if_not_converged(stacklevel=3)
    return x, info


# ----------------------------------------------------------------------------------------------
# iterative variants
# ----------------------------------------------------------------------------------------------
def reweighted_l1(A, y, sigma=0.0, n_passes=4, eps=None, weights=None, solver="spgl1", tol=1e-4,
                  max_iter=None, verbose=False):
    r"""Iteratively reweighted ℓ1 (Candès–Wakin–Boyd) with an adaptive ``eps``.

    Pass 0 solves (weighted) BPDN with ``weights`` (default: plain ℓ1); every later pass sets
    ``w_i = eps / (|x_i| + eps)`` (the CWB weights ``1/(|x_i| + eps)`` rescaled into ``(0, 1]``,
    which leaves the minimizer unchanged) and re-solves, warm-started.

    Parameters
    ----------
    A, y, sigma : see :func:`weighted_bpdn`
    n_passes : int
        Number of reweighting passes after the first solve (about 4 suffice).
    eps : float, optional
        Fixed ``eps``; by default adaptive: ``eps = max(|x|_(s), 1e-3 ||x||_inf)`` with ``|x|_(s)``
        the ``s``-th largest magnitude, ``s = max(1, m / (4 log(n / m)))`` (a proxy of the
        recoverable sparsity).
    weights : array_like, optional
        Weights of the first pass.
    solver, tol, max_iter, verbose : see :func:`weighted_bpdn`

    Returns
    -------
    x : ndarray
    info : SolverInfo
        Of the last pass; ``history["passes"]`` holds the per-pass infos, ``n_matvec`` the total.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> A = rng.standard_normal((30, 80)) / np.sqrt(30)
    >>> x = np.zeros(80); x[rng.choice(80, 8, replace=False)] = rng.standard_normal(8)
    >>> xh, info = reweighted_l1(A, A @ x, n_passes=2)
    >>> len(info.history["passes"])
    3
    """
    t0 = time.perf_counter()
    if not isinstance(n_passes, numbers.Integral) or isinstance(n_passes, bool) or n_passes < 0:
        raise ValueError(f"n_passes must be a non-negative integer, got {n_passes!r}")
    eps = _unwrap_0d(eps)
    if eps is not None and (not isinstance(eps, numbers.Real) or isinstance(eps, bool)
                            or not np.isfinite(eps) or eps <= 0):
        raise ValueError(f"eps must be a finite positive real, got {eps!r}")
    A = _as_problem_matrix(A)
    n = _n_cols(A)
    m = int(A.shape[0])
    x, info = weighted_bpdn(A, y, weights, sigma=sigma, solver=solver, tol=tol,
                            max_iter=max_iter, verbose=verbose)
    passes = [info]
    s = max(1, int(m / (4.0 * np.log(max(n / m, 1.0 + 1e-9)))))
    s = min(s, n)
    for _ in range(int(n_passes)):
        a = np.abs(x)
        if eps is None:
            amax = float(a.max())
            if amax == 0:
                break
            e = max(float(np.sort(a)[::-1][s - 1]), 1e-3 * amax)
        else:
            e = float(eps)
        w = e / (a + e)
        x0 = x if solver != "cvxpy" else None
        x, info = weighted_bpdn(A, y, w, sigma=sigma, solver=solver, x0=x0, tol=tol,
                                max_iter=max_iter, verbose=verbose)
        passes.append(info)
    out = SolverInfo(f"reweighted_l1[{info.solver}]", info.status, sum(p.iterations for p in passes),
                     info.residual_norm, info.objective, info.gap,
                     sum(p.n_matvec for p in passes), sum(p.n_rmatvec for p in passes),
                     time.perf_counter() - t0, info.message, {"passes": passes})
    return x, out


def wspgl1(A, y, sigma=0.0, omega=0.3, energy=0.9, max_support=None, tol=1e-4, max_iter=None,
           verbose=False):
    r"""WSPGL1 (Mansour 2012): SPGL1 whose weights are refreshed from the current iterate.

    After each Pareto subproblem the support estimate ``T~`` is taken from the current iterate
    (the smallest set holding ``energy`` of its ℓ2 energy, at most ``max_support`` entries,
    default ``m / 2``), the weights become ``omega`` on ``T~`` and 1 elsewhere, and the root
    finding continues on the new weighted Pareto curve from the current point.

    Returns
    -------
    x : ndarray
    info : SolverInfo

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> A = rng.standard_normal((40, 120)) / np.sqrt(40)
    >>> x = np.zeros(120); x[rng.choice(120, 10, replace=False)] = rng.standard_normal(10)
    >>> xh, info = wspgl1(A, A @ x)
    >>> info.solver
    'wspgl1'
    """
    from .solvers import spgl1
    omega = _check_omega(omega)
    sigma = _check_nonneg(sigma, "sigma", allow_none=False)
    if max_support is not None and (not isinstance(max_support, numbers.Integral)
                                    or isinstance(max_support, bool) or max_support < 1):
        raise ValueError(f"max_support must be None or an integer >= 1, got {max_support!r}")
    A = _as_problem_matrix(A)
    n = _n_cols(A)
    m = int(A.shape[0])
    cap = max(1, m // 2) if max_support is None else int(max_support)

    def update(x):
        if not np.any(x):
            return None
        T = support_from_previous(x, energy)
        if T.size > cap:
            T = top_k_support(x, cap)
        return weights_from_support(n, T, omega)

    kw = {} if max_iter is None else {"max_iter": max_iter}
    x, info = spgl1(A, y, sigma=float(sigma), tol=tol, verbose=verbose, support_update=update,
                    **kw)
    info.warn_if_not_converged(stacklevel=2)
    return x, info


def sequential_weighted_bpdn(problems, omega=0.3, energy=0.9, first=None, solver="spgl1", tol=1e-4,
                             max_iter=None, progress=False, desc="frames"):
    r"""Decode a sequence of frames, each with the support estimate of the previous reconstruction.

    Frame 0 is decoded with plain ℓ1 (unless ``first`` gives its solution); frame ``j >= 1`` with
    weighted BPDN, ``w = omega`` on ``T~_j = support_from_previous(x_{j-1}, energy)`` (the smallest
    set holding ``energy`` of the ℓ2 energy of the previous reconstruction) and 1 elsewhere — the
    scheme of the paper's audio and video experiments.  ``omega = 1`` decodes every frame with
    plain ℓ1 (the baseline).

    Parameters
    ----------
    problems : sequence of (A, y, sigma)
        One weighted-BPDN instance per frame (operator, measurements, noise level).
    omega : float in [0, 1]
    energy : float in (0, 1]
    first : (x, SolverInfo), optional
        A solution of frame 0 to reuse (e.g. the ℓ1 baseline's), instead of solving it again.
    solver, tol, max_iter : see :func:`weighted_bpdn`
    progress : bool
        tqdm bar over the frames.
    desc : str
        Label of the bar.

    Returns
    -------
    xs : list of ndarray
        The reconstructions (coefficients), one per frame.
    infos : list of SolverInfo
    support_sizes : list of int
        ``|T~_j|`` (0 for frame 0).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> n, m = 64, 24
    >>> x = np.zeros(n); x[[3, 9, 20, 41]] = [1.0, -1.0, 0.5, 2.0]
    >>> problems = []
    >>> for j in range(3):
    ...     A = rng.standard_normal((m, n)) / np.sqrt(m)
    ...     problems.append((A, A @ x, 0.0))
    >>> xs, infos, sizes = sequential_weighted_bpdn(problems, omega=0.3)
    >>> [i.status for i in infos], sizes[0]
    (['converged', 'converged', 'converged'], 0)
    """
    from ._progress import progress as pbar
    omega = _check_omega(omega)
    if isinstance(energy, bool) or not isinstance(energy, numbers.Real) or not 0.0 < energy <= 1.0:
        raise ValueError(f"energy must be a fraction in (0, 1], got {energy!r}")
    problems = list(problems)
    xs, infos, sizes = [], [], []
    prev = None
    for j in pbar(range(len(problems)), enabled=progress, desc=desc):
        A, y, sigma = problems[j]
        if j == 0 and first is not None:
            if not (isinstance(first, tuple) and len(first) == 2):
                raise ValueError("first must be an (x, info) pair from a previous solve")
            x, info = first
            if np.shape(x) != (_n_cols(A),) or not np.all(np.isfinite(x)):
                raise ValueError(f"first[0] must be a finite vector of length {_n_cols(A)}, "
                                 f"got shape {np.shape(x)}")
            w, size = None, 0
        else:
            # no usable previous frame (the first one, or a failed solve returning NaN): plain l1
            if prev is None or omega == 1.0 or not np.all(np.isfinite(prev)):
                w, size = None, 0
            else:
                T = support_from_previous(prev, energy)
                w, size = weights_from_support(_n_cols(A), T, omega), int(T.size)
            x, info = weighted_bpdn(A, y, w, sigma=sigma, solver=solver, tol=tol,
                                    max_iter=max_iter)
        prev = x
        xs.append(x)
        infos.append(info)
        sizes.append(size)
    return xs, infos, sizes
