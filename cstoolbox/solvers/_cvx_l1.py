r"""cvxpy reference formulations of weighted ℓ1 problems (small problems, tests, cross-checks).

``cvx_weighted_bpdn``: minimize ``sum_i w_i |x_i|`` subject to ``||A x - b||_2 <= sigma``
(``sigma = 0``: the equality ``A x = b``), real or complex, zero weights allowed.
``cvx_weighted_lasso``: minimize ``||A x - b||^2 / 2 + lam sum_i w_i |x_i|``.
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
import time

import numpy as np

from ._info import SolverInfo
from ._projections import _validate_weights

__all__ = ["cvx_weighted_bpdn", "cvx_weighted_lasso"]


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
    if not np.isfinite(lam) or lam < 0:
        raise ValueError(f"lam must be a finite non-negative real, got {lam!r}")
    M, b, w, cplx = _setup(A, b, weights)
    x = cp.Variable(M.shape[1], complex=cplx)
    obj = cp.Minimize(0.5 * cp.sum_squares(M @ x - b) + lam * cp.sum(cp.multiply(w, cp.abs(x))))
    return _solve(cp.Problem(obj), solver, "cvxpy", x, M, b, w, t0, **solver_options)
