"""cvxpy reference formulations of the quantized-CS decoders (small problems, tests, benchmarks).

cvxpy is an optional dependency (extra ``cvx``); it is imported lazily with a clear error.
The formulation keeps the banded shaping operator sparse and adds the auxiliary variable ``w``
(``S w = A z - q - ν``), exactly as the fast decoders in :mod:`cstoolbox.solvers._qcs`.
"""
import time

import numpy as np

from ._info import SolverInfo
from ._qcs import _check_problem

__all__ = ["shaped_basis_pursuit_cvxpy"]


def _cvxpy():
    try:
        import cvxpy  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the cvxpy reference decoders need cvxpy: pip install 'cstoolbox[cvx]'") from exc
    return cvxpy


def shaped_basis_pursuit_cvxpy(A, q, shaping=None, bound=1.0, norm="l2", noise=0.0, solver=None,
                               verbose=False, **solver_options):
    r"""cvxpy reference for :func:`~cstoolbox.solvers.shaped_basis_pursuit`.

    ``min ||z||_1  s.t.  A z - q - ν = S w,  ||w||_p <= bound,  ||ν||_2 <= noise``
    with ``A`` materialized densely (small problems only) and ``S`` sparse banded.

    Parameters
    ----------
    A, q, shaping, bound, norm, noise
        As in :func:`~cstoolbox.solvers.shaped_basis_pursuit`.
    solver : str, optional
        A cvxpy solver name (default: CLARABEL when installed, else cvxpy's choice).
    verbose : bool
    **solver_options
        Passed to ``Problem.solve``.

    Returns
    -------
    z : ndarray, shape (n,)
    info : SolverInfo  (``solver = "cvxpy:<NAME>"``; ``status`` "converged" for an optimal solve)

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.solvers import ShapingOperator
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((30, 40)); x = np.zeros(40); x[5] = 1.0
    >>> S = ShapingOperator.sigma_delta(30, 1); q = A @ x - S @ rng.uniform(-0.5, 0.5, 30)
    >>> z, info = shaped_basis_pursuit_cvxpy(A, q, S, bound=0.5, norm="inf")
    >>> info.status
    'converged'
    """
    cp = _cvxpy()
    t0 = time.perf_counter()
    op, q, S, bound, noise = _check_problem(A, q, shaping, bound, noise, norm)
    m, n = op.shape
    Ad = A if isinstance(A, np.ndarray) else op.todense()
    z = cp.Variable(n)
    w = cp.Variable(m)
    lhs = Ad @ z - q
    cons = []
    if noise > 0:
        nu = cp.Variable(m)
        lhs = lhs - nu
        cons.append(cp.norm(nu, 2) <= noise)
    cons.append(lhs == S.tosparse() @ w)
    cons.append(cp.norm(w, 2 if norm == "l2" else "inf") <= bound)
    prob = cp.Problem(cp.Minimize(cp.norm1(z)), cons)
    if solver is None and "CLARABEL" in cp.installed_solvers():
        solver = "CLARABEL"
    try:
        prob.solve(solver=solver, verbose=verbose, **solver_options)
    except cp.error.SolverError as exc:
        return np.full(n, np.nan), SolverInfo(f"cvxpy:{solver}", "error", 0, time=time.perf_counter() - t0,
                                              message=str(exc)).warn_if_not_converged()
    status = {"optimal": "converged", "infeasible": "infeasible"}.get(prob.status, prob.status)
    zv = np.asarray(z.value, dtype=float) if z.value is not None else np.full(n, np.nan)
    rn = float(np.linalg.norm(S.solve(Ad @ zv - q))) if z.value is not None else np.nan
    st = prob.solver_stats
    info = SolverInfo(f"cvxpy:{st.solver_name}", status, int(st.num_iters or 0), rn, float(prob.value),
                      np.nan, 0, 0, time.perf_counter() - t0, f"cvxpy status {prob.status}")
    return zv, info.warn_if_not_converged()
