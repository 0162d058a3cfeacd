r"""Proximal solvers for weighted ℓ1 problems: FISTA (penalized or ball-constrained LASSO), a
Pareto root finder driven by FISTA, and a linearized ADMM (primal–dual) for the constrained form.

* :func:`fista` — ``min ||A x - b||^2 / 2 + lam sum_i w_i |x_i|`` (``lam`` given; the prox is the
  weighted soft threshold at ``lam w_i / L``, so ``w_i = 0`` leaves ``x_i`` free) or
  ``min ||A x - b||^2 / 2  s.t.  sum_i w_i |x_i| <= tau`` (``tau`` given; the prox is the weighted
  ℓ1-ball projection).  Beck–Teboulle acceleration with adaptive (function-value) restart and a
  backtracking Lipschitz estimate.
* :func:`fista_bpdn` — ``min sum w_i |x_i|  s.t.  ||A x - b|| <= sigma`` by the same Pareto-curve
  root finding as :func:`~cstoolbox.solvers.spgl1` (dual lower-bound Newton steps on ``tau``) with
  FISTA as the inner ``LS_tau`` solver.
* :func:`admm_bpdn` — the same constrained problem by linearized ADMM / Chambolle–Pock:
  ``y <- y + s (A xbar) - s P_{B(b, sigma)}(y / s + A xbar)``, ``x <- S_{t w}(x - t A^H y)``,
  ``xbar = 2 x_new - x``, with ``s t ||A||^2 < 1``.

References
----------
.. [1] A. Beck, M. Teboulle, "A fast iterative shrinkage-thresholding algorithm for linear inverse
   problems", SIAM J. Imaging Sci. 2(1), 2009.
.. [2] B. O'Donoghue, E. Candès, "Adaptive restart for accelerated gradient schemes", FoCM 2015.
.. [3] A. Chambolle, T. Pock, "A first-order primal-dual algorithm for convex problems with
   applications to imaging", JMIV 40, 2011.

Examples
--------
>>> import numpy as np
>>> from cstoolbox.solvers import fista, admm_bpdn
>>> rng = np.random.default_rng(0)
>>> A = rng.standard_normal((40, 100)) / np.sqrt(40)
>>> x = np.zeros(100); x[[3, 30, 60]] = [1.0, -2.0, 0.5]
>>> xh, info = fista(A, A @ x, lam=1e-3)
>>> info.status, bool(np.linalg.norm(xh - x) < 1e-2 * np.linalg.norm(x))
('converged', True)
"""
import time

import numpy as np

from ._info import SolverInfo
from ._projections import _Projector
from ._prox import soft_threshold
from ._spgl1 import _check_nonneg, _check_positive_int, _check_problem, _optimality

__all__ = ["fista", "fista_bpdn", "admm_bpdn"]


def _lipschitz(op, n, dtype, n_iter=30, random_state=0):
    """Power-iteration estimate of ||A||^2 (counts its products on ``op``)."""
    rng = np.random.default_rng(random_state)
    v = rng.standard_normal(n)
    if np.dtype(dtype).kind == "c":
        v = v + 1j * rng.standard_normal(n)
    v /= np.linalg.norm(v)
    lam = 0.0
    for _ in range(n_iter):
        z = op.rmatvec(op.matvec(v))
        nz = float(np.linalg.norm(z))
        if nz == 0.0:
            return 1.0
        v = z / nz
        if abs(nz - lam) <= 1e-4 * nz:
            lam = nz
            break
        lam = nz
    return 1.05 * lam


def _fista_core(op, b, w, x, lam, tau, L, tol, max_iter, restart, callback, proj):
    """FISTA iterations from ``x``; returns (x, Ax, L, iterations, status, optimality)."""
    wt = None if w is None else w
    Ax = op.matvec(x) if np.any(x) else np.zeros_like(b)
    y, Ay = x.copy(), Ax.copy()
    t = 1.0
    f_old = np.inf
    status, opt = "max_iter", np.inf
    it = 0
    buf = np.empty_like(x)
    for it in range(1, max_iter + 1):
        ry = Ay - b
        gy = op.rmatvec(ry)
        fy = 0.5 * float(np.vdot(ry, ry).real)
        if not (np.isfinite(fy) and np.isfinite(gy).all()):  # NaN/inf from the operator
            return x, Ax, L, it, "error", np.inf
        while True:  # backtracking on L (sufficient decrease of the smooth part)
            v = y - gy / L
            if tau is None:
                x_new = soft_threshold(v, lam / L if wt is None else (lam / L) * wt)
            else:
                proj(v, tau, buf)
                x_new = buf.copy()
            dx = x_new - y
            Ax_new = op.matvec(x_new)
            r_new = Ax_new - b
            f_new = 0.5 * float(np.vdot(r_new, r_new).real)
            q = fy + float(np.vdot(gy, dx).real) + 0.5 * L * float(np.vdot(dx, dx).real)
            if f_new <= q * (1 + 1e-12) + 1e-300:
                break
            if not (np.isfinite(f_new) and np.isfinite(q)):  # NaN/inf from the operator: no step passes
                return x, Ax, L, it, "error", np.inf
            L *= 2.0
        step = float(np.linalg.norm(x_new - x))
        xn = float(np.linalg.norm(x_new))
        obj = f_new + (0.0 if tau is not None else
                       lam * float(np.sum(np.abs(x_new) * (1.0 if wt is None else wt))))
        if restart and obj > f_old:
            t = 1.0  # adaptive restart: momentum reset
            y, Ay = x_new, Ax_new
        else:
            t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            beta = (t - 1.0) / t_new
            y = x_new + beta * (x_new - x)
            Ay = Ax_new + beta * (Ax_new - Ax)
            t = t_new
        f_old = obj
        # optimality: norm of the gradient mapping L (y - T(y)) relative to ||A^H b||-scale
        opt = L * float(np.linalg.norm(dx)) / max(float(np.linalg.norm(gy)), L * xn, 1e-300)
        x, Ax = x_new, Ax_new
        if callback is not None and callback(x, {"iteration": it, "objective": obj}) is True:
            return x, Ax, L, it, "callback", opt
        if step <= tol * max(xn, 1e-300) and opt <= tol:
            status = "converged"
            break
    return x, Ax, L, it, status, opt


def fista(A, b, lam=None, tau=None, weights=None, x0=None, tol=1e-6, max_iter=5000,
          restart=True, callback=None):
    r"""FISTA for the weighted LASSO, penalized (``lam``) or ℓ1-ball constrained (``tau``).

    Parameters
    ----------
    A : ndarray, sparse matrix or operator
    b : array_like, shape (m,)
    lam : float, optional
        Penalty ``>= 0`` of ``lam sum w_i |x_i|`` (exactly one of ``lam``, ``tau``).
    tau : float, optional
        Radius of the constraint ``sum w_i |x_i| <= tau``.
    weights : array_like, shape (n,), optional
        Non-negative weights (zeros allowed).
    x0 : array_like, optional
    tol : float
        Relative tolerance on the step and on the gradient-mapping norm.
    max_iter : int
    restart : bool
        Adaptive (objective) restart of the momentum.
    callback : callable, optional
        ``callback(x, state) -> True`` stops.

    Returns
    -------
    x : ndarray
    info : SolverInfo
        ``objective`` is the LASSO objective, ``gap`` the relative gradient-mapping norm.

    Raises
    ------
    ValueError
        Neither or both of ``lam`` / ``tau``; negative values; shapes; bad weights.
    """
    t0 = time.perf_counter()
    op, b, w, x0, dtype = _check_problem(A, b, weights, x0)
    if (lam is None) == (tau is None):
        raise ValueError("give exactly one of lam (penalized LASSO) or tau (constrained LASSO)")
    lam = _check_nonneg(lam, "lam")
    tau = _check_nonneg(tau, "tau")
    tol = _check_nonneg(tol, "tol", allow_none=False)
    max_iter = _check_positive_int(max_iter, "max_iter")
    m, n = op.shape
    proj = _Projector(n, w)
    x = np.zeros(n, dtype=dtype) if x0 is None else x0
    if tau is not None:
        proj(x.copy(), tau, x)
    L = _lipschitz(op, n, dtype)
    x, Ax, L, it, status, opt = _fista_core(op, b, w, x, lam, tau, L, tol, max_iter, restart,
                                            callback, proj)
    r = Ax - b
    obj = 0.5 * float(np.vdot(r, r).real)
    if lam is not None:
        obj += lam * float(proj.norm(x))
    info = SolverInfo("fista", status, it, float(np.linalg.norm(r)), obj, opt, op.n_matvec,
                      op.n_rmatvec, time.perf_counter() - t0,
                      "tolerance met" if status == "converged" else
                      "the operator returned NaN or inf" if status == "error" else f"stopped: {status}")
    return x, info


def fista_bpdn(A, b, sigma=0.0, weights=None, x0=None, tol=1e-4, bp_tol=1e-6, max_iter=20000,
               callback=None, verbose=False):
    r"""Weighted BPDN ``min sum w_i |x_i| s.t. ||A x - b|| <= sigma`` by Pareto root finding with
    FISTA subproblems.

    Each ``LS_tau`` is solved by :func:`fista` (ball-constrained, warm-started) to a gap small
    relative to the Newton step; ``tau`` is then raised to the dual lower bound
    ``(Re<x, A^H r> + ||r|| (||r|| - sigma)) / ||A^H r||_{w,*}`` (see :func:`spgl1`).

    Returns
    -------
    x : ndarray
    info : SolverInfo
        ``iterations`` counts FISTA iterations over all subproblems.
    """
    t0 = time.perf_counter()
    op, b, w, x0, dtype = _check_problem(A, b, weights, x0)
    sigma = _check_nonneg(sigma, "sigma", allow_none=False)
    tol = _check_nonneg(tol, "tol", allow_none=False)
    max_iter = _check_positive_int(max_iter, "max_iter")
    m, n = op.shape
    bnorm = float(np.linalg.norm(b))
    if bnorm <= sigma:
        return np.zeros(n, dtype=dtype), SolverInfo("fista_bpdn", "converged", 0, bnorm, 0.0, 0.0,
                                                    0, 0, time.perf_counter() - t0,
                                                    "||b|| <= sigma: x = 0 is optimal")
    bs, sig = b / bnorm, sigma / bnorm
    proj = _Projector(n, w)
    wk, unit = proj.w, proj.unit
    has_zero = w is not None and bool(np.any(w == 0))
    x = np.zeros(n, dtype=dtype)
    tau = 0.0
    L = _lipschitz(op, n, dtype)
    total = 0
    status, message = "max_iter", f"reached max_iter={max_iter}"
    inner_tol = 1e-2
    taus = [0.0]
    while total < max_iter:
        x, Ax, L, it, st, opt = _fista_core(op, bs, w, x, None, tau, L, inner_tol,
                                            min(max_iter - total, 2000), True, None, proj)
        total += it
        if st == "error":
            status, message = "error", "the operator returned NaN or inf"
            break
        r = bs - Ax
        g = op.rmatvec(r)
        rnorm = float(np.linalg.norm(r))
        dn, dz, xg, l1z, nrm = _optimality(x, g, wk, unit)
        gap = max(tau * dn - xg + (dz * l1z if has_zero else 0.0), 0.0)
        if verbose:
            print(f"[fista_bpdn] tau={tau * bnorm:.6e} |r|={rnorm * bnorm:.6e} inner={it}")
        if callback is not None and callback(x * bnorm, {"tau": tau * bnorm,
                                                         "residual_norm": rnorm * bnorm}) is True:
            status, message = "callback", "stopped by the callback"
            break
        if (sig <= bp_tol and rnorm <= bp_tol) or abs(rnorm - sig) <= max(tol * sig, bp_tol):
            status, message = "converged", "root of the Pareto curve found"
            break
        if dn <= 0:
            status, message = "stalled", "A^H r = 0"
            break
        newton = rnorm * (rnorm - sig) / dn
        ok = gap <= 0.5 * abs(rnorm * (rnorm - sig)) and (not has_zero or dz <= 0.5 * dn)
        if rnorm < sig:
            tau = max(0.0, tau + newton)
            proj(x.copy(), tau, x)
        elif ok:
            tau = max(tau, xg / dn + newton)
        else:
            inner_tol = max(inner_tol * 0.1, 1e-12)  # solve the subproblem more accurately
        taus.append(tau * bnorm)
    x = x * bnorm
    rfin = float(np.linalg.norm(b - op.matvec(x)))
    return x, SolverInfo("fista_bpdn", status, total, rfin, float(proj.norm(x)), float("nan"),
                         op.n_matvec, op.n_rmatvec, time.perf_counter() - t0, message,
                         {"tau": taus})


def admm_bpdn(A, b, sigma=0.0, weights=None, x0=None, tol=1e-5, max_iter=20000, step_ratio=1.0,
              callback=None):
    r"""Weighted BPDN by linearized ADMM (Chambolle–Pock primal–dual iterations).

    Solves ``min sum w_i |x_i|  s.t.  ||A x - b||_2 <= sigma`` (``sigma = 0``: ``A x = b``).

    Parameters
    ----------
    step_ratio : float
        Ratio ``s / t`` of the dual and primal step sizes (``s t ||A||^2 = 0.99``).

    Returns
    -------
    x : ndarray
    info : SolverInfo
        Converged when the relative primal change and the constraint violation
        ``max(||Ax - b|| - sigma, 0) / ||b||`` are both below ``tol``.

    Notes
    -----
    Saddle problem ``min_x max_y <A x, y> + ||x||_{1,w} - F*(y)`` with ``F`` the indicator of the
    ball ``B(b, sigma)``; ``prox_{s F*}(v) = v - s P_{B(b,sigma)}(v / s)`` (Moreau).
    """
    t0 = time.perf_counter()
    op, b, w, x0, dtype = _check_problem(A, b, weights, x0)
    sigma = _check_nonneg(sigma, "sigma", allow_none=False)
    tol = _check_nonneg(tol, "tol", allow_none=False)
    max_iter = _check_positive_int(max_iter, "max_iter")
    step_ratio = _check_nonneg(step_ratio, "step_ratio", allow_none=False)
    if step_ratio == 0:
        raise ValueError("step_ratio must be a finite positive real, got 0")
    m, n = op.shape
    bnorm = float(np.linalg.norm(b))
    if bnorm <= sigma:
        return np.zeros(n, dtype=dtype), SolverInfo("admm", "converged", 0, bnorm, 0.0, 0.0, 0, 0,
                                                    time.perf_counter() - t0,
                                                    "||b|| <= sigma: x = 0 is optimal")
    bs, sig = b / bnorm, sigma / bnorm
    L = np.sqrt(_lipschitz(op, n, dtype))
    t = 0.99 / (L * np.sqrt(step_ratio))
    s = 0.99 * np.sqrt(step_ratio) / L
    wt = 1.0 if w is None else w
    x = np.zeros(n, dtype=dtype) if x0 is None else x0 / bnorm
    xbar = x.copy()
    y = np.zeros(m, dtype=dtype)
    status, message = "max_iter", f"reached max_iter={max_iter}"
    it = 0
    Ax = op.matvec(x)
    viol = np.inf
    for it in range(1, max_iter + 1):
        Axbar = 2 * Ax - Ax_prev if it > 1 else Ax
        v = y + s * Axbar
        u = v / s - bs
        nu = float(np.linalg.norm(u))
        if nu > sig:
            u *= sig / nu
        y = v - s * (u + bs)
        g = op.rmatvec(y)
        if not np.isfinite(g).all():
            status, message = "error", "the operator returned NaN or inf"
            break
        x_new = soft_threshold(x - t * g, t * wt)
        Ax_prev = Ax
        Ax = op.matvec(x_new)
        dx = float(np.linalg.norm(x_new - x))
        x = x_new
        viol = max(float(np.linalg.norm(Ax - bs)) - sig, 0.0)
        if callback is not None and callback(x * bnorm, {"iteration": it}) is True:
            status, message = "callback", "stopped by the callback"
            break
        if dx <= tol * max(float(np.linalg.norm(x)), 1e-300) and viol <= tol:
            status, message = "converged", "primal change and constraint violation below tol"
            break
    del xbar
    x = x * bnorm
    rfin = float(np.linalg.norm(b - op.matvec(x)))
    return x, SolverInfo("admm", status, it, rfin, float(np.sum(wt * np.abs(x))), viol,
                         op.n_matvec, op.n_rmatvec, time.perf_counter() - t0, message)
