r"""SPGL1-style Pareto root finding for (weighted) basis pursuit denoising, written from the paper.

Problems (``w_i >= 0``, zero weights allowed; real or complex ``x``):

* ``BP_sigma``:  minimize ``||x||_{1,w} = sum_i w_i |x_i|``  subject to ``||A x - b||_2 <= sigma``
  (``sigma = 0`` is basis pursuit);
* ``LS_tau``:    minimize ``||A x - b||_2``  subject to ``||x||_{1,w} <= tau`` (the LASSO).

``BP_sigma`` is solved by Newton's method on the Pareto curve ``phi(tau) = ||r_tau||_2`` (the
optimal residual of ``LS_tau``), a convex decreasing function with
``phi'(tau) = -||A^H r_tau||_{w,*} / ||r_tau||_2`` where ``||g||_{w,*} = max_{w_i > 0} |g_i| / w_i``
is the dual norm.  Zero weights are handled by taking that maximum over ``w_i > 0`` only: those
coordinates are unconstrained in the ball, so at a solution of ``LS_tau`` the gradient vanishes
on them.  Each ``LS_tau`` is solved (warm-started, to an accuracy that tightens as the root is
approached) by a spectral projected gradient method with Barzilai–Borwein steps and a
non-monotone Armijo line search along the projected direction; the projection onto the weighted
ℓ1 ball is the numba kernel of :mod:`cstoolbox.solvers._projections`.

Implementation notes (what makes it fast): the objective along the projected direction
``d`` is the exact quadratic ``f(x + a d) = f - a Re<g, d> + a^2 ||A d||^2 / 2``, so the line search
needs no extra operator applications and the BB step is ``||d||^2 / ||A d||^2``; every iteration costs
exactly one ``A`` and one ``A^H`` product (plus one of each when ``tau`` decreases).  The data are
scaled to ``||b|| = 1`` internally so that the tolerances are relative.

This is an independent implementation from [1]_ (no code of the LGPL ``spgl1`` package is used).

References
----------
.. [1] E. van den Berg, M. P. Friedlander, "Probing the Pareto frontier for basis pursuit
   solutions", SIAM J. Sci. Comput. 31(2):890-912, 2008.
.. [2] E. G. Birgin, J. M. Martínez, M. Raydan, "Nonmonotone spectral projected gradient methods on
   convex sets", SIAM J. Optim. 10(4), 2000.
.. [3] M. P. Friedlander, H. Mansour, R. Saab, Ö. Yılmaz, "Recovering compressively sampled signals
   using partial support information", IEEE Trans. Inf. Theory 58(2), 2012.
.. [4] H. Mansour, "Beyond ℓ1-norm minimization for sparse signal recovery", IEEE SSP 2012.
"""
import numbers
import time
from collections import deque

import numpy as np

from .._jit import njit
from ._info import SolverInfo
from ._projections import _Projector, _validate_weights

__all__ = ["spgl1"]

_MAX_NEWTON_STREAK = 50  # consecutive tau updates without a gradient step before giving up
_THETA = 0.5  # inexactness allowed in a Newton step (fraction of the step that may be lost)
_THETA_ZERO = 1e-3  # stationarity required on zero-weight coordinates before a Newton step
_KAPPA = 1e-2  # BPDN: Newton step once an SPG step gains < kappa * (f - sigma^2 / 2)


# ----------------------------------------------------------------------------------------------
# operator access (fast path for dense / sparse matrices, anything else via aslinearoperator)
# ----------------------------------------------------------------------------------------------
class _Op:
    """Forward/adjoint products with counters; ``A`` is anything ``aslinearoperator`` accepts."""

    def __init__(self, A):
        import scipy.sparse as sp
        from ..operators import MatrixOperator, aslinearoperator
        from ..operators._base import _check_matrix_values

        self.n_matvec = 0
        self.n_rmatvec = 0
        M = None
        if isinstance(A, np.ndarray):
            M = A
        elif isinstance(A, MatrixOperator) and isinstance(A.matrix, np.ndarray):
            M = A.matrix
        if M is not None:
            if M.ndim != 2:
                raise ValueError(f"A must be a 2-D matrix or an operator, got shape {M.shape}")
            M = _check_matrix_values(M, "A")
            if M.dtype.kind not in "fc":
                M = M.astype(np.float64)
            self._M, self._MH = M, (M.T if M.dtype.kind != "c" else M.conj().T)
            self._fwd = self._dense_fwd
            self._adj = self._dense_adj
            self.shape, self.dtype = M.shape, M.dtype
            return
        if sp.issparse(A):
            M = A.tocsr()
            M = _check_matrix_values(M, "A")
            if M.dtype.kind not in "fc":
                M = M.astype(np.float64)
            self._M, self._MH = M, M.conj().T.tocsr()
            self._fwd = self._dense_fwd
            self._adj = self._dense_adj
            self.shape, self.dtype = M.shape, M.dtype
            return
        try:
            op = aslinearoperator(A)
        except TypeError as exc:
            raise TypeError(f"A: {exc}") from None
        self._op = op
        self._fwd = op.matvec
        self._adj = op.rmatvec
        self.shape = tuple(op.shape)
        self.dtype = np.dtype(op.dtype) if op.dtype is not None else np.dtype(np.float64)

    def _dense_fwd(self, x):
        return self._M @ x

    def _dense_adj(self, y):
        return self._MH @ y

    def matvec(self, x):
        self.n_matvec += 1
        return np.asarray(self._fwd(x)).reshape(-1)

    def rmatvec(self, y):
        self.n_rmatvec += 1
        return np.asarray(self._adj(y)).reshape(-1)


# ----------------------------------------------------------------------------------------------
# fused numba kernels (real and complex compile separately)
# ----------------------------------------------------------------------------------------------
@njit
def _axpy_into(x, a, g, out):  # pragma: no cover - compiled
    for i in range(x.size):
        out[i] = x[i] + a * g[i]


@njit
def _direction(xt, x, g, d):  # pragma: no cover - compiled
    """d = xt - x; returns (Re<g, d>, ||d||^2)."""
    gtd = 0.0
    dd = 0.0
    for i in range(x.size):
        di = xt[i] - x[i]
        d[i] = di
        gtd += g[i].real * di.real + g[i].imag * di.imag
        dd += di.real * di.real + di.imag * di.imag
    return gtd, dd


@njit
def _step(x, d, lam, r, Ad):  # pragma: no cover - compiled
    """x += lam d ; r -= lam Ad ; returns ||r||^2."""
    for i in range(x.size):
        x[i] += lam * d[i]
    rr = 0.0
    for j in range(r.size):
        r[j] -= lam * Ad[j]
        rr += r[j].real * r[j].real + r[j].imag * r[j].imag
    return rr


@njit
def _optimality(x, g, w, unit):  # pragma: no cover - compiled
    """(max_{w>0} |g|/w, max_{w=0} |g|, Re<x, g>, sum_{w=0} |x|, sum_{w} w|x|)."""
    dn = 0.0
    dz = 0.0
    xg = 0.0
    l1z = 0.0
    nrm = 0.0
    for i in range(x.size):
        gi = g[i]
        xi = x[i]
        xg += xi.real * gi.real + xi.imag * gi.imag
        a = abs(gi)
        wi = 1.0 if unit else w[i]
        if wi > 0.0:
            v = a / wi
            if v > dn:
                dn = v
            nrm += wi * abs(xi)
        else:
            if a > dz:
                dz = a
            l1z += abs(xi)
    return dn, dz, xg, l1z, nrm


# ----------------------------------------------------------------------------------------------
# validation shared with weighted_l1
# ----------------------------------------------------------------------------------------------
def _check_problem(A, b, weights, x0):
    op = _Op(A)
    m, n = op.shape
    if m == 0 or n == 0:
        raise ValueError(f"A must have at least one row and one column, got shape {op.shape}")
    b = np.asarray(b)
    if b.dtype.kind not in "biufc":
        raise TypeError(f"b must be a numeric vector, got dtype {b.dtype}")
    if b.ndim != 1 and not (b.ndim == 2 and b.shape[1] == 1):
        raise ValueError(f"b must be a 1-D vector, got shape {b.shape}")
    b = b.reshape(-1)
    if b.size != m:
        raise ValueError(f"b has {b.size} entries but A has {m} rows (A is {m}x{n})")
    if not np.all(np.isfinite(b)):
        raise ValueError("b contains NaN or inf")
    w = _validate_weights(weights, n)
    if w is not None and np.all(w == 1.0):
        w = None
    cplx = op.dtype.kind == "c" or b.dtype.kind == "c"
    dtype = np.complex128 if cplx else np.float64
    b = np.ascontiguousarray(b, dtype=dtype)
    if x0 is not None:
        x0 = np.asarray(x0)
        if x0.ndim != 1 or x0.size != n:
            raise ValueError(f"x0 must be a vector of length {n}, got shape {x0.shape}")
        if x0.dtype.kind == "c" and not cplx:
            raise ValueError("x0 is complex but A and b are real")
        if not np.all(np.isfinite(x0)):
            raise ValueError("x0 contains NaN or inf")
        x0 = np.array(x0, dtype=dtype)
    return op, b, w, x0, dtype


def _unwrap_0d(v):
    """A 0-d real numeric array as its NumPy scalar (``np.array(0.5)`` is a scalar); anything else as given."""
    if isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "iuf":
        return v[()]
    return v


def _check_nonneg(value, name, allow_none=True):
    value = _unwrap_0d(value)
    if value is None and allow_none:
        return None
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not np.isfinite(value) \
            or value < 0:
        raise ValueError(f"{name} must be a finite non-negative real, got {value!r}")
    return float(value)


def _check_positive_int(value, name):
    value = _unwrap_0d(value)
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


# ----------------------------------------------------------------------------------------------
# the solver
# ----------------------------------------------------------------------------------------------
def spgl1(A, b, tau=None, sigma=None, weights=None, x0=None, tol=1e-4, bp_tol=1e-6,
          max_iter=None, memory=3, callback=None, verbose=False, support_update=None):
    r"""Solve weighted BP / BPDN / LASSO by SPGL1-style Pareto root finding.

    Parameters
    ----------
    A : ndarray, scipy sparse matrix, or operator
        ``m x n`` measurement operator: anything :func:`cstoolbox.operators.aslinearoperator`
        accepts (dense and sparse matrices take a fast path).
    b : array_like, shape (m,)
        Measurements (real or complex).
    tau : float, optional
        Solve ``LS_tau`` (min ``||Ax - b||`` s.t. ``||x||_{1,w} <= tau``) when given and ``sigma``
        is None.
    sigma : float, optional
        Solve ``BP_sigma`` (min ``||x||_{1,w}`` s.t. ``||Ax - b|| <= sigma``).  When both ``tau`` and
        ``sigma`` are None, ``sigma = 0`` (basis pursuit).  When both are given, ``tau`` is the
        starting radius of the root finding.
    weights : array_like, shape (n,), optional
        Non-negative weights (default all ones; zeros allowed: unpenalized coordinates).
    x0 : array_like, shape (n,), optional
        Starting point (warm start).
    tol : float
        Relative tolerance: relative duality gap of ``BP_sigma`` (or of ``LS_tau``) and relative
        feasibility slack ``||r|| <= sigma (1 + tol)``.
    bp_tol : float
        Absolute feasibility slack relative to ``||b||`` (basis pursuit: residual below which a
        solution is declared found).
    max_iter : int, optional
        Maximum number of projected-gradient iterations (default ``max(2000, 10 m)``).
    memory : int
        Length of the non-monotone line-search memory.
    callback : callable, optional
        ``callback(x, state)`` after every iteration (``state``: dict with ``iteration``, ``tau``,
        ``residual_norm``, ``gap``); returning True stops the solver (status ``"callback"``).
    verbose : bool
        Print a line per root-finding step.
    support_update : callable, optional
        ``support_update(x) -> weights or None`` called after each Pareto subproblem; new
        weights restart the root finding from the current iterate (used by
        :func:`cstoolbox.weighted_l1.wspgl1`).

    Returns
    -------
    x : ndarray, shape (n,)
    info : SolverInfo
        ``residual_norm`` = ``||A x - b||``, ``objective`` = ``||x||_{1,w}``, ``gap`` = relative
        duality gap ``(||x||_w - tau_lb) / ||x||_w`` of ``BP_sigma`` (root mode) or
        ``gap / f`` of ``LS_tau`` (LASSO mode), ``history`` with the ``tau`` sequence and the
        per-iteration residual norms.  ``status`` is ``"converged"``, ``"max_iter"``,
        ``"stalled"`` or ``"callback"``.

    Raises
    ------
    ValueError
        Shape mismatch, NaN/inf data, negative ``sigma`` / ``tau``, bad weights or tolerances.

    Notes
    -----
    Newton step on the Pareto curve: ``tau <- tau + ||r|| (||r|| - sigma) / ||A^H r||_{w,*}``
    (``sigma > 0``).  For basis pursuit the step is the dual lower bound
    ``tau_lb = (Re<x, g> + ||r|| (||r|| - sigma)) / ||g||_{w,*}`` (``g = A^H r``; weak duality with
    ``y = (sigma / ||r||) r``), which equals Newton's step at an exact subproblem solution and never
    overshoots the root.  Subproblem duality gap: ``tau ||g||_{w,*} - Re<x, g>``, plus
    ``max_{w_i=0} |g_i| * sum_{w_i=0} |x_i|`` when there are zero weights (the stationarity defect
    of the unconstrained coordinates, also subtracted from ``tau_lb``).  Termination: feasibility
    ``||r|| <= sigma + max(tol sigma, bp_tol ||b||)`` and ``(||x||_w - tau_lb) / ||x||_w <= tol``;
    or, for basis pursuit, ``||r|| <= bp_tol ||b||`` after safe steps only (so ``||x||_w <= tau*``).

    When is a subproblem "solved enough" for a ``tau`` update (on either side of the root): its gap
    is below ``theta`` times the Newton change ``||r|| | ||r|| - sigma |`` (``theta = 1/2``), or
    (BPDN only) it stagnates — the last SPG step decreased ``f = ||r||^2 / 2`` by less than
    ``kappa |f - sigma^2 / 2|`` (``kappa = 0.01``).  The gap bound is pessimistic (its dual norm is a maximum over
    coordinates) while ``f`` converges fast, so the second test saves about a third of the
    iterations on BPDN.  Once ``| ||r|| - sigma | <= tol sigma`` the root is found and ``tau`` is
    kept: the remaining iterations only tighten the gap to the certificate above.

    Known limitation: first-order subproblem solves are slow when the BP solution is degenerate
    (e.g. far below the recovery threshold, or compressible signals with ``sigma = 0``); the
    solver then stops at ``max_iter`` and reports it.

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.solvers import spgl1
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((40, 100)) / np.sqrt(40)
    >>> x = np.zeros(100); x[[3, 30, 60]] = [1.0, -2.0, 0.5]
    >>> xh, info = spgl1(A, A @ x)
    >>> info.status, bool(np.linalg.norm(xh - x) < 1e-4 * np.linalg.norm(x))
    ('converged', True)
    """
    t0 = time.perf_counter()
    op, b, w, x0, dtype = _check_problem(A, b, weights, x0)
    m, n = op.shape
    tau = _check_nonneg(tau, "tau")
    sigma = _check_nonneg(sigma, "sigma")
    tol = _check_nonneg(tol, "tol", allow_none=False)
    bp_tol = _check_nonneg(bp_tol, "bp_tol", allow_none=False)
    if tol <= 0:
        raise ValueError("tol must be positive")
    memory = _check_positive_int(memory, "memory")
    max_iter = max(2000, 10 * m) if max_iter is None else _check_positive_int(max_iter, "max_iter")
    if callback is not None and not callable(callback):
        raise TypeError("callback must be callable")

    single = tau is not None and sigma is None
    if sigma is None and tau is None:
        sigma = 0.0
    bnorm = float(np.linalg.norm(b))
    name = "spgl1" if support_update is None else "wspgl1"
    if bnorm == 0.0:
        x = np.zeros(n, dtype=dtype)
        return x, SolverInfo(name, "converged", 0, 0.0, 0.0, 0.0, 0, 0,
                             time.perf_counter() - t0, "b = 0: x = 0 is optimal")

    # ---- scale to ||b|| = 1 ----------------------------------------------------------------
    bs = b / bnorm
    sig = 0.0 if single else sigma / bnorm
    proj = _Projector(n, w)
    wk = proj.w
    unit = proj.unit
    has_zero = (w is not None) and bool(np.any(w == 0.0))
    x = np.zeros(n, dtype=dtype) if x0 is None else x0 / bnorm
    if tau is not None:
        tau_s = tau / bnorm
    else:
        tau_s = float(proj.norm(x))
    buf = np.empty(n, dtype=dtype)
    if x0 is not None:
        proj(x.copy(), tau_s, x)
    if x0 is not None and np.any(x != 0):
        r = bs - op.matvec(x)
    else:
        r = bs.copy()
    g = op.rmatvec(r)
    f = 0.5 * float(np.vdot(r, r).real)
    d = np.empty(n, dtype=dtype)
    xt = np.empty(n, dtype=dtype)
    alpha = 1.0
    hist = deque([f], maxlen=memory)
    taus = [tau_s * bnorm]
    resids = []
    status, message = "max_iter", f"reached max_iter={max_iter}"
    gap = rgap = bp_gap = np.inf
    it = 0
    n_newton = 0
    last_update_it = 0
    weights_changes = 0
    force_update = False
    certified = x0 is None  # tau = 0 is left of (or at) the root
    if x0 is not None and not single and tau is None and not has_zero:
        # warm start: shrink tau to the dual lower bound of the root computed at x0, so that the
        # root finding starts left of the optimum (x0 may be optimal for other weights)
        dn0, _, xg0, _, _ = _optimality(x, g, wk, unit)
        rn0 = np.sqrt(2.0 * f)
        if dn0 > 0:
            lb0 = max(0.0, (xg0 + rn0 * (rn0 - sig)) / dn0)
            if lb0 < tau_s:
                tau_s = lb0
                proj(x.copy(), tau_s, x)
                r = bs - op.matvec(x)
                g = op.rmatvec(r)
                f = 0.5 * float(np.vdot(r, r).real)
            certified = True
            taus[0] = tau_s * bnorm
    if not single and sig >= 1.0 and x0 is None:
        x = np.zeros(n, dtype=dtype)
        return x, SolverInfo(name, "converged", 0, bnorm, 0.0, 0.0, 0, 1,
                             time.perf_counter() - t0, "||b|| <= sigma: x = 0 is optimal")

    newton_streak = 0
    f_prev = np.inf
    while True:
        rnorm = np.sqrt(2.0 * f)
        dn, dz, xg, l1z, nrm = _optimality(x, g, wk, unit)
        gap = tau_s * dn - xg
        if has_zero:
            gap += dz * l1z
        gap = max(gap, 0.0)
        rgap = gap / max(f, 1e-30)
        if has_zero:
            # stationarity defect of the unconstrained (zero-weight) coordinates, relative to
            # the dual norm of the constrained ones (both vanish / balance at a solution)
            rgap = max(rgap, dz / max(dn, 1e-300))
        resids.append(rnorm * bnorm)
        if verbose and (it % 50 == 0):
            print(f"[{name}] it={it:5d} tau={tau_s * bnorm:.6e} |r|={rnorm * bnorm:.6e} "
                  f"rgap={rgap:.2e}")

        # ---- convergence tests --------------------------------------------------------------
        if single:
            if rgap <= tol or rnorm <= bp_tol:
                status, message = "converged", "LASSO subproblem solved to the gap tolerance"
                break
            solved_sub = False
        else:
            # certificate for BP_sigma: x is (nearly) feasible and its objective is within tol of
            # the dual lower bound (weak duality with y = c r):  (Re<b, r> - sigma ||r||) / ||g||_*
            feasible = rnorm <= sig + max(tol * sig, bp_tol)
            zterm = dz * l1z if has_zero else 0.0  # dual infeasibility on {w = 0}
            tau_lb = (xg - zterm + rnorm * (rnorm - sig)) / dn if dn > 0 else np.inf
            # the optimum is >= 0, so max(tau_lb, 0) is a lower bound too (tau* = 0 happens when
            # the free coordinates alone reach sigma)
            bp_gap = (nrm - max(tau_lb, 0.0)) / max(nrm, 1e-300) if dn > 0 else np.inf
            stat_ok = (not has_zero) or dz <= tol * dn
            if feasible and bp_gap <= tol and stat_ok:
                status, message = "converged", "feasible, relative duality gap below tol"
                break
            if sig <= bp_tol and rnorm <= bp_tol and certified:
                # tau only took safe (dual lower-bound) steps, so ||x||_w <= tau <= tau_BP
                status, message = "converged", ("basis pursuit solution found: residual <= bp_tol"
                                                 " and ||x||_w <= a lower bound of the optimum")
                break
            if sig > bp_tol and abs(rnorm - sig) <= tol * sig:
                # the root is found to tol: only the optimality certificate is missing, which
                # more SPG steps on this LS_tau provide (tiny tau steps would cycle)
                solved_sub = force_update
            else:
                # the step below gains at least (1 - theta) of the Newton step (either side of
                # the root: a step from a poorly solved subproblem right of the root is tiny,
                # since ||r|| is still close to sigma there, and such steps would crawl)
                stat_ok = (not has_zero) or dz <= _THETA_ZERO * dn
                # BPDN: also step when the subproblem stagnates, i.e. the last SPG step gained
                # less than kappa of what the Newton step aims at |f - sigma^2/2|: the gap bound
                # is pessimistic (its dual norm is a max over coordinates), f is not.  Plain
                # Newton steps are not certified anyway; termination rests on the duality gap.
                stag = sig > bp_tol and it > last_update_it \
                    and 0.0 <= f_prev - f <= _KAPPA * abs(f - 0.5 * sig * sig)
                solved_sub = ((gap <= _THETA * rnorm * abs(rnorm - sig) or stag) and stat_ok) \
                    or dn == 0.0 or force_update
        if it >= max_iter:
            break

        # ---- Newton update of tau (root finding) ---------------------------------------------
        # at tau = 0 with ||r|| < sigma the optimum is 0 (free coordinates only): no tau update,
        # SPG steps finish the free-coordinate subproblem and the certificate above then holds
        if solved_sub and not single and not (rnorm < sig and tau_s == 0.0):
            if support_update is not None and weights_changes < 1000:
                new_w = support_update(x * bnorm)
                if new_w is not None:
                    new_w = _validate_weights(new_w, n, "support_update(x)")
                    proj.set_weights(new_w)
                    wk, unit = proj.w, proj.unit
                    has_zero = bool(np.any(new_w == 0.0))
                    tau_s = float(proj.norm(x))
                    weights_changes += 1
                    certified = False
                    dn, dz, xg, l1z, nrm = _optimality(x, g, wk, unit)
            if dn <= 0.0:
                status, message = "stalled", "A^H r = 0: the residual cannot be reduced further"
                break
            # guard: Newton updates do not advance `it`; never let them loop without SPG steps
            newton_streak += 1
            if newton_streak > _MAX_NEWTON_STREAK or n_newton >= max_iter:
                status, message = "stalled", (f"{newton_streak} Newton updates of tau without a "
                                              "gradient step in between (root finding cycles)")
                break
            tau_old = tau_s
            newton = rnorm * (rnorm - sig) / dn
            if rnorm >= sig and sig > bp_tol:
                # BPDN: the plain Newton step (superlinear; an overshoot shows as ||r|| < sigma and
                # is corrected by a decreasing step; termination relies on the duality gap)
                tau_s = tau_s + newton
            elif rnorm >= sig:
                # dual lower bound on the root: tau* >= (Re<x, g> + ||r|| (||r|| - sigma)) / ||g||_*
                # (weak duality with y = (sigma/||r||) r); equals Newton's step at an exact solution
                tau_s = max(tau_s, (xg - (dz * l1z if has_zero else 0.0)) / dn + newton)
                if force_update and tau_s <= tau_old:
                    tau_s = tau_old + newton  # subproblem solved to machine precision
                certified = True
            else:
                tau_s = max(0.0, tau_s + newton)
                certified = False
            n_newton += 1
            taus.append(tau_s * bnorm)
            if verbose:
                print(f"[{name}] newton {n_newton}: tau={tau_s * bnorm:.6e} |r|={rnorm * bnorm:.6e}")
            if tau_s < tau_old:
                proj(x.copy(), tau_s, x)
                r = bs - op.matvec(x)
                g = op.rmatvec(r)
                f = 0.5 * float(np.vdot(r, r).real)
            elif tau_s <= tau_old * (1 + 1e-15) and force_update:
                status, message = "stalled", "tau no longer changes"
                break
            last_update_it = it
            f_prev = np.inf
            force_update = False
            hist.clear()
            hist.append(f)
            continue

        # ---- one spectral projected gradient step -------------------------------------------
        it += 1
        newton_streak = 0
        _axpy_into(x, alpha, g, buf)
        proj(buf, tau_s, xt)
        gtd, dd = _direction(xt, x, g, d)
        if gtd <= 0.0 or dd == 0.0:
            # projected gradient vanished: the subproblem is solved to machine precision
            if single:
                status, message = "converged", "projected gradient vanished"
                break
            if force_update:
                status, message = "stalled", "no descent direction after a Newton update"
                break
            force_update = True
            continue
        force_update = False
        Ad = op.matvec(d)
        Ad2 = float(np.vdot(Ad, Ad).real)
        fmax = max(hist)
        # exact quadratic along d: f(a) = f - a gtd + a^2 Ad2 / 2
        lam = 1.0
        f1 = f - gtd + 0.5 * Ad2
        if f1 > fmax - 1e-4 * gtd:
            lam = min(1.0, gtd / Ad2) if Ad2 > 0 else 1.0
        f_prev = f
        rr = _step(x, d, lam, r, Ad)
        f_new = 0.5 * rr
        f = f_new
        hist.append(f)
        g = op.rmatvec(r)
        alpha = dd / Ad2 if Ad2 > 0 else 1e10
        alpha = min(max(alpha, 1e-10), 1e10)
        if callback is not None:
            stop = callback(x * bnorm, {"iteration": it, "tau": tau_s * bnorm,
                                        "residual_norm": np.sqrt(2 * f) * bnorm, "gap": rgap})
            if stop is True:
                status, message = "callback", "stopped by the callback"
                break

    # ---- exact final residual, unscale ----------------------------------------------------------
    x *= bnorm
    rfinal = float(np.linalg.norm(b - op.matvec(x)))
    obj = float(proj.norm(x))
    info = SolverInfo(
        solver=name, status=status, iterations=it, residual_norm=rfinal, objective=obj,
        gap=float(rgap if single else bp_gap), n_matvec=op.n_matvec, n_rmatvec=op.n_rmatvec,
        time=time.perf_counter() - t0, message=message,
        history={"tau": taus, "residual_norm": resids, "newton_steps": n_newton},
    )
    return x, info
