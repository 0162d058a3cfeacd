r"""Exact reference solvers of weighted ℓ1: cvxpy formulations, an LP for basis pursuit.

``cvx_weighted_bpdn``: minimize ``sum_i w_i |x_i|`` subject to ``||A x - b||_2 <= sigma``
(``sigma = 0``: the equality ``A x = b``), real or complex, zero weights allowed.
``cvx_weighted_lasso``: minimize ``||A x - b||^2 / 2 + lam sum_i w_i |x_i|``.
``lp_weighted_bp``: real weighted basis pursuit ``min sum_i w_i |x_i|  s.t.  A x = b`` as a linear
program solved by HiGHS (``scipy.optimize.linprog``), with a duality certificate.
cvxpy is a dependency; the operator is materialized as a dense matrix (small problems only).

Examples
--------
>>> import numpy as np
>>> from cstoolbox.solvers import cvx_weighted_bpdn
>>> A = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
>>> x, info = cvx_weighted_bpdn(A, np.array([1.0, 1.0]))
>>> np.round(x, 4) + 0.0, info.status
(array([0., 1., 0.]), 'converged')
"""
import numbers
import time

import numpy as np

from ._info import SolverInfo
from ._projections import _validate_weights
from ._spgl1 import _unwrap_0d

__all__ = ["cvx_weighted_bpdn", "cvx_weighted_lasso", "lp_weighted_bp"]


def _dense(A):
    import scipy.sparse as sp
    from ..operators import aslinearoperator
    if isinstance(A, np.ndarray):
        M = A
    elif sp.issparse(A):
        M = A.toarray()
    else:
        try:
            M = np.asarray(aslinearoperator(A).todense())
        except TypeError as exc:
            raise TypeError(f"A: {exc}") from None
    if M.ndim != 2:
        raise ValueError(f"A must be a 2-D matrix or an operator, got shape {M.shape}")
    return M


def _setup(A, b, weights):
    M = _dense(A)
    m, n = M.shape
    b = np.asarray(b).reshape(-1)
    if b.size != m:
        raise ValueError(f"b has {b.size} entries but A has {m} rows")
    if not np.all(np.isfinite(b)) or not np.all(np.isfinite(M)):
        raise ValueError("A and b must be finite")
    w = _validate_weights(weights, n)
    w = np.ones(n) if w is None else w
    cplx = M.dtype.kind == "c" or b.dtype.kind == "c"
    return M, b, w, cplx


def _solve(prob, solver, name, x, M, b, w, t0, **kw):
    import cvxpy as cp
    try:
        prob.solve(solver=solver, **kw)
    except cp.error.SolverError as exc:
        return None, SolverInfo(name, "error", message=str(exc), time=time.perf_counter() - t0)
    used = prob.solver_stats.solver_name if prob.solver_stats is not None else str(solver)
    ok = prob.status in (cp.OPTIMAL,)
    xv = x.value
    if xv is None:
        return None, SolverInfo(f"cvxpy:{used}", prob.status, message=f"cvxpy status {prob.status}",
                                time=time.perf_counter() - t0)
    xv = np.asarray(xv)
    res = float(np.linalg.norm(M @ xv - b))
    it = prob.solver_stats.num_iters if prob.solver_stats is not None else 0
    return xv, SolverInfo(f"cvxpy:{used}", "converged" if ok else prob.status, int(it or 0), res,
                          float(np.sum(w * np.abs(xv))), float("nan"), 0, 0,
                          time.perf_counter() - t0, f"cvxpy status {prob.status}")


def cvx_weighted_bpdn(A, b, weights=None, sigma=0.0, solver=None, **solver_options):
    r"""Weighted BP / BPDN with cvxpy: ``min sum w_i |x_i|  s.t.  ||A x - b||_2 <= sigma``.

    Parameters
    ----------
    A : ndarray, sparse matrix or operator (materialized densely)
    b : array_like, shape (m,)
    weights : array_like, shape (n,), optional
        Non-negative weights (default ones; zeros allowed).
    sigma : float
        Noise level ``>= 0`` (0: equality constraint).
    solver : str, optional
        cvxpy solver name (default: cvxpy's choice, CLARABEL for these cone programs).
    **solver_options
        Passed to ``Problem.solve``.

    Returns
    -------
    x : ndarray
    info : SolverInfo
        ``status`` ``"converged"`` when cvxpy reports optimal.

    Raises
    ------
    ValueError
        Shape mismatch, negative ``sigma``, bad weights.
    """
    import cvxpy as cp
    t0 = time.perf_counter()
    if not np.isfinite(sigma) or sigma < 0:
        raise ValueError(f"sigma must be a finite non-negative real, got {sigma!r}")
    M, b, w, cplx = _setup(A, b, weights)
    x = cp.Variable(M.shape[1], complex=cplx)
    obj = cp.Minimize(cp.sum(cp.multiply(w, cp.abs(x))))
    cons = [M @ x == b] if sigma == 0 else [cp.norm(M @ x - b, 2) <= sigma]
    return _solve(cp.Problem(obj, cons), solver, "cvxpy", x, M, b, w, t0, **solver_options)


def cvx_weighted_lasso(A, b, lam, weights=None, solver=None, **solver_options):
    r"""Weighted LASSO with cvxpy: ``min ||A x - b||^2 / 2 + lam sum w_i |x_i|``.

    Returns
    -------
    x : ndarray
    info : SolverInfo
    """
    import cvxpy as cp
    t0 = time.perf_counter()
    lam = _unwrap_0d(lam)
    if isinstance(lam, (bool, np.bool_)) or not isinstance(lam, numbers.Real) or not np.isfinite(lam) or lam < 0:
        raise ValueError(f"lam must be a finite non-negative real, got {lam!r}")
    M, b, w, cplx = _setup(A, b, weights)
    x = cp.Variable(M.shape[1], complex=cplx)
    obj = cp.Minimize(0.5 * cp.sum_squares(M @ x - b) + lam * cp.sum(cp.multiply(w, cp.abs(x))))
    if solver is None and cplx and "CLARABEL" in cp.installed_solvers():
        # |x_i| of a complex x is a second-order cone; cvxpy's default pick for this QP-shaped
        # problem (OSQP) cannot take cones and failed with status 'error'
        solver = cp.CLARABEL
    return _solve(cp.Problem(obj), solver, "cvxpy", x, M, b, w, t0, **solver_options)


_LP_STATUS = {0: "converged", 1: "max_iter", 2: "infeasible", 3: "unbounded", 4: "error"}


def lp_weighted_bp(A, b, weights=None, tol=1e-9, max_iter=None, time_limit=None):
    r"""Real weighted basis pursuit as a linear program (HiGHS): exact, with a duality certificate.

    Solves ``min sum_i w_i |x_i|  s.t.  A x = b`` through the standard split ``x = u - v``:

    .. math::  \min_{u, v \ge 0} \; w^T (u + v) \quad \text{s.t.} \quad A u - A v = b,

    with ``scipy.optimize.linprog(method="highs")``.  Zero weights are allowed (those coordinates
    are free).  The returned ``info.gap`` is the relative duality gap computed from HiGHS' equality
    multipliers ``y``: ``(w^T|x| - b^T y) / max(w^T|x|, 1e-300)``, after scaling ``y`` into the
    dual feasible set ``|A^T y| <= w`` (so ``b^T y`` is a certified lower bound of the optimum);
    ``status`` is ``"converged"`` only when HiGHS reports optimal *and* that gap is ``<= 1e-6``.

    Parameters
    ----------
    A : ndarray, sparse matrix or operator, real, shape (m, n)
        Materialized densely (small problems: the LP has ``2 n`` variables).
    b : array_like, real, shape (m,)
    weights : array_like, shape (n,), optional
        Non-negative weights (default ones; zeros allowed).
    tol : float
        Primal/dual feasibility tolerance passed to HiGHS.
    max_iter : int, optional
        Simplex iteration limit.
    time_limit : float, optional
        Seconds.

    Returns
    -------
    x : ndarray, shape (n,), or None when HiGHS returned no point
    info : SolverInfo
        ``status``: ``"converged"``, ``"max_iter"`` (iteration or time limit), ``"infeasible"``
        (``A x = b`` has no solution), ``"error"`` (numerical trouble, or the certificate failed);
        ``iterations`` (simplex / IPM iterations), ``residual_norm`` ``||A x - b||``,
        ``objective``, ``gap``.

    Raises
    ------
    ValueError
        Complex data (basis pursuit over C is a second-order cone program: use
        :func:`cvx_weighted_bpdn`), shape mismatch, NaN, bad weights.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    >>> x, info = lp_weighted_bp(A, [1.0, 1.0], weights=[1.0, 1.0, 0.0])
    >>> np.round(x, 9) + 0.0, info.status
    (array([0., 0., 1.]), 'converged')
    """
    from scipy.optimize import linprog
    t0 = time.perf_counter()
    M, b, w, cplx = _setup(A, b, weights)
    if cplx:
        raise ValueError("lp_weighted_bp needs real A and b (complex basis pursuit is not an LP; "
                         "use cvx_weighted_bpdn)")
    tol, max_iter, time_limit = _unwrap_0d(tol), _unwrap_0d(max_iter), _unwrap_0d(time_limit)
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not np.isfinite(tol) or tol <= 0:
        raise ValueError(f"tol must be a positive real, got {tol!r}")
    if max_iter is not None and (isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral)
                                 or max_iter < 1):
        raise ValueError(f"max_iter must be a positive integer or None, got {max_iter!r}")
    if time_limit is not None and (isinstance(time_limit, bool) or not isinstance(time_limit, numbers.Real)
                                   or not time_limit > 0 or not np.isfinite(time_limit)):
        raise ValueError(f"time_limit must be a positive number of seconds or None, got {time_limit!r}")
    M = np.asarray(M, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    m, n = M.shape
    bn = float(np.linalg.norm(b))
    if bn == 0.0:  # x = 0 is feasible with objective 0: optimal
        return np.zeros(n), SolverInfo("lp:highs", "converged", 0, 0.0, 0.0, 0.0, 0, 0,
                                       time.perf_counter() - t0, "b = 0: x = 0 is optimal")
    # HiGHS' feasibility tolerances are absolute: solve for b / ||b|| and scale back, so that tol
    # is relative to ||b|| (tiny b would otherwise make x = 0 look feasible)
    bs = b / bn
    options = {"primal_feasibility_tolerance": float(tol), "dual_feasibility_tolerance": float(tol)}
    if max_iter is not None:
        options["maxiter"] = int(max_iter)
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    res = linprog(np.concatenate([w, w]), A_eq=np.hstack([M, -M]), b_eq=bs, bounds=(0, None),
                  method="highs", options=options)
    status = _LP_STATUS.get(res.status, "error")
    it = int(getattr(res, "nit", 0) or 0)
    if res.x is None:
        return None, SolverInfo("lp:highs", status if status != "converged" else "error", it,
                                message=str(res.message), time=time.perf_counter() - t0)
    xs = res.x[:n] - res.x[n:]
    obj_s = float(np.sum(w * np.abs(xs)))
    rel_resid = float(np.linalg.norm(M @ xs - bs))  # relative to ||b||
    x = xs * bn
    obj = obj_s * bn
    resid = rel_resid * bn
    gap = float("nan")
    y = getattr(getattr(res, "eqlin", None), "marginals", None)
    if y is not None:
        y = np.asarray(y, dtype=np.float64)
        # dual of the LP: max b^T y s.t. |A^T y| <= w; scale y into that set for a valid bound.
        # Free coordinates (w_i = 0) need (A^T y)_i = 0; allowed to round-off only (not to tol).
        aty = np.abs(M.T @ y)
        pos = w > 0
        if np.any(aty[~pos] > 1e-9 * max(1.0, float(np.max(np.abs(y), initial=0.0)))):
            scale = 0.0  # dual infeasible on a free coordinate: no certificate from this y
        else:
            ratio = float(np.max(aty[pos] / w[pos], initial=0.0))
            scale = 1.0 if ratio <= 1.0 else 1.0 / ratio
        lower_s = float(bs @ y) * scale
        gap = (obj_s - lower_s) / max(obj_s, 1e-300)
    message = str(res.message)
    feas_ok = rel_resid <= 10.0 * tol * np.sqrt(m)
    if status == "converged" and not (abs(gap) <= 1e-6 and feas_ok):
        status = "error"
        message += (f" (certificate failed: relative gap {gap:.2e}, relative residual "
                    f"{rel_resid:.2e} against {10.0 * tol * np.sqrt(m):.2e})")
    return x, SolverInfo("lp:highs", status, it, resid, obj, gap, 0, 0,
                         time.perf_counter() - t0, message)
