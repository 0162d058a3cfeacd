"""Baselines for local phaseless measurements: Wirtinger flow, ER / Gerchberg–Saxton, HIO, PhaseLift (cvxpy)."""
import time
import warnings

import numpy as np

from ..backend import check_random_state
from ..exceptions import ConvergenceWarning
from ..solvers._info import SolverInfo
from ._lifted import check_intensities
from ._masks import _unwrap_0d, check_masks, check_real
from ._operator import LocalOperator, project_magnitudes

__all__ = ["wirtinger_flow", "error_reduction", "hio", "phaselift"]


def _setup(b, masks):
    W = check_masks(masks)
    b = check_intensities(b, W)
    if b.ndim != 2:
        raise ValueError(f"the baselines take one signal's intensities of shape (n_masks, d), got {b.shape}")
    d = b.shape[-1]
    W = check_masks(W, d)
    return W, b, d, LocalOperator(W, d)


def _pos_int(v, name, minimum=0):
    v = _unwrap_0d(v)
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {v!r}")
    return int(v)


def _x0(x0, d, rng, scale, real):
    if x0 is None:
        z = rng.standard_normal(d) + (0.0 if real else 1j * rng.standard_normal(d))
        return scale * z / np.linalg.norm(z)
    x0 = np.asarray(x0)
    if x0.shape != (d,):
        raise ValueError(f"x0 must have shape ({d},), got {x0.shape}")
    if not np.issubdtype(x0.dtype, np.number) or not np.all(np.isfinite(x0)):
        raise ValueError("x0 must be a finite numeric vector")
    if real and np.iscomplexobj(x0):
        raise TypeError("x0 is complex but real=True")
    return x0.astype(np.float64 if real else np.complex128)


def _misfit(op, x, b):
    return float(np.linalg.norm(np.abs(op.forward(x)) ** 2 - b) / max(np.linalg.norm(b), 1e-300))


def wirtinger_flow(b, masks, n_iter=2500, spectral_iter=200, mu_max=0.2, t0=330.0, tol=1e-12, x0=None,
                   real=False, random_state=None, warn=True):
    r"""Wirtinger flow with spectral initialization (Candès, Li, Soltanolkotabi 2015) for local measurements.

    Parameters
    ----------
    b : array_like, shape (K, d)
        Intensities of one signal.
    masks : array_like, shape (K, delta)
    n_iter : int
        Gradient iterations.
    spectral_iter : int
        Power iterations of the spectral initializer (ignored when ``x0`` is given).
    mu_max, t0 : float
        Step schedule ``mu_t = min(1 - exp(-t / t0), mu_max)`` (the paper's defaults 0.2 and 330).
    tol : float
        Stop when the relative change of ``z`` is below ``tol``.
    x0 : array_like, optional
        Starting point instead of the spectral one.
    real : bool
        Keep the iterate real.
    random_state : None, int or numpy.random.Generator
        Seeds the power iteration's start.
    warn : bool
        Warn when ``n_iter`` is reached before ``tol``.

    Returns
    -------
    x_hat : ndarray, shape (d,)
    info : SolverInfo

    Notes
    -----
    Safeguard (not in the paper): a step that increases ``sum (|A z|^2 - b)^2`` is halved and the schedule is
    scaled down, so the iteration cannot diverge.  With ``A`` normalized so that ``A^* A / m ~ I`` (``A <- A sqrt(m / nu)``, ``nu`` the mean symbol of the
    circulant ``A^* A``), the iteration is the paper's
    ``z <- z - mu_t / ||z_0||^2 * (1/m) sum_r (|a_r^* z|^2 - b_r) a_r a_r^* z``, and the spectral start is the
    top eigenvector of ``(1/m) sum_r b_r a_r a_r^*`` scaled to ``sqrt(sum b / nu)``.

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.phase_retrieval import exponential_masks, local_measurements
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(32) + 1j * rng.standard_normal(32)
    >>> W = exponential_masks(5)
    >>> x_hat, info = wirtinger_flow(local_measurements(x, W), W, n_iter=50, random_state=0, warn=False)
    >>> x_hat.shape, info.iterations
    ((32,), 50)
    """
    t_start = time.perf_counter()
    W, b, d, op = _setup(b, masks)
    n_iter = _pos_int(n_iter, "n_iter")
    spectral_iter = _pos_int(spectral_iter, "spectral_iter")
    mu_max = check_real(mu_max, "mu_max", 0.0, strict=True)
    t0 = check_real(t0, "t0", 0.0, strict=True)
    tol = check_real(tol, "tol", 0.0)
    rng = check_random_state(random_state)
    m = b.size
    nu = float(np.mean(op.symbol))
    n_mv = 0
    if x0 is None:
        v = _x0(None, d, rng, 1.0, real)
        for _ in range(spectral_iter):
            v = op.adjoint(b * op.forward(v))
            if real:
                v = v.real
            v /= max(np.linalg.norm(v), 1e-300)
            n_mv += 1
        z = np.sqrt(max(b.sum(), 0.0) / nu) * v
    else:
        z = _x0(x0, d, rng, 1.0, real)
    z0n = max(float(np.linalg.norm(z)) ** 2, 1e-300)
    gscale = m / nu ** 2
    status, it = "max_iter", 0
    hist = []
    c = 1.0  # safeguard: halved whenever a step increases the misfit (the paper's schedule can diverge here)
    n_halved = 0
    z_prev, f_prev, step = None, np.inf, None
    for it in range(1, n_iter + 1):
        Az = op.forward(z)
        res = np.abs(Az) ** 2 - b
        f = float(np.sum(res ** 2))
        n_mv += 1
        if z_prev is not None and not f <= f_prev:
            z, c = z_prev, 0.5 * c
            n_halved += 1
            if c < 1e-12:
                status = "stalled"
                break
            z = z_prev - 0.5 * step
            step = 0.5 * step
            continue
        grad = gscale * op.adjoint(res * Az)
        if real:
            grad = grad.real
        mu = c * min(1.0 - np.exp(-it / t0), mu_max)
        step = (mu / z0n) * grad
        z_prev, f_prev = z, f
        z = z - step
        change = np.linalg.norm(step) / max(np.linalg.norm(z), 1e-300)
        if it % 50 == 0:
            hist.append(float(change))
        if change < tol:
            status = "converged"
            break
    info = SolverInfo(solver="wirtinger_flow", status=status, iterations=it, residual_norm=_misfit(op, z, b),
                      n_matvec=n_mv, n_rmatvec=n_mv, time=time.perf_counter() - t_start,
                      message=f"spectral init ({spectral_iter} power iterations), mu_max={mu_max}, "
                              f"step halved {n_halved} times by the misfit safeguard",
                      history={"relative_change_every_50": hist})
    if warn:
        info.warn_if_not_converged()
    return z, info


def _alternating(b, masks, n_iter, x0, real, random_state, tol, warn, name, beta=None, n_er=0):
    t_start = time.perf_counter()
    W, b, d, op = _setup(b, masks)
    n_iter = _pos_int(n_iter, "n_iter")
    n_er = _pos_int(n_er, "n_er")
    tol = check_real(tol, "tol", 0.0)
    rng = check_random_state(random_state)
    amp = np.sqrt(np.maximum(b, 0.0))
    scale = np.sqrt(max(b.sum(), 0.0) / max(float(np.mean(op.symbol)), 1e-300))
    x = _x0(x0, d, rng, scale, real)

    def ps(y):
        u = op.pinv(y)
        return op.forward(u.real if real else u)

    y = op.forward(x)
    status, it = "max_iter", 0
    prev = None
    total = n_iter + n_er
    for it in range(1, total + 1):
        pm = project_magnitudes(y, amp)
        if beta is not None and it <= n_iter:
            y = y + beta * (ps(2.0 * pm - y) - pm)
        else:
            y = ps(pm)
        if it % 10 == 0 or it == total:
            xc = op.pinv(project_magnitudes(y, amp))
            if prev is not None:
                ch = np.linalg.norm(xc - prev) / max(np.linalg.norm(xc), 1e-300)
                if ch < tol:
                    status = "converged"
                    break
            prev = xc
    x = op.pinv(project_magnitudes(y, amp))
    if real:
        x = x.real
    info = SolverInfo(solver=name, status=status, iterations=it, residual_norm=_misfit(op, x, b),
                      n_matvec=2 * it, n_rmatvec=2 * it, time=time.perf_counter() - t_start,
                      message=f"{name} in measurement space" + (f", beta={beta}, {n_er} ER passes" if beta else ""))
    if warn:
        info.warn_if_not_converged(stacklevel=4)
    return x, info


def error_reduction(b, masks, n_iter=600, x0=None, real=False, random_state=None, tol=1e-12, warn=True):
    r"""Error reduction / Gerchberg–Saxton: ``x <- A^+ P_M(A x)``, ``P_M(y) = sqrt(b) y / |y|``.

    ``A^+ = (A^* A)^{-1} A^*`` is one FFT division (``A^* A`` is circulant).

    Parameters
    ----------
    b : array_like, shape (K, d)
    masks : array_like, shape (K, delta)
    n_iter : int
    x0 : array_like, optional
        Start (default random, scaled to the energy of ``b``).
    real : bool
    random_state : None, int or numpy.random.Generator
    tol : float
        Stop when the relative change over 10 iterations is below ``tol``.
    warn : bool

    Returns
    -------
    x_hat : ndarray, shape (d,)
    info : SolverInfo

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.phase_retrieval import exponential_masks, local_measurements
    >>> x = np.exp(1j * np.arange(16.0))
    >>> W = exponential_masks(3)
    >>> x_hat, info = error_reduction(local_measurements(x, W), W, n_iter=20, random_state=0, warn=False)
    >>> info.solver, x_hat.shape
    ('error_reduction', (16,))
    """
    return _alternating(b, masks, n_iter, x0, real, random_state, tol, warn, "error_reduction")


def hio(b, masks, n_iter=600, beta=1.0, n_er=0, x0=None, real=False, random_state=None, tol=1e-12,
        warn=True):
    r"""Hybrid input-output in Douglas–Rachford form in measurement space, optionally followed by ER.

    ``y <- y + beta (P_S(2 P_M y - y) - P_M y)`` with ``P_S = A A^+`` (projection onto the range of ``A``)
    and ``P_M`` the magnitude projection; the estimate is ``A^+ P_M y``.  ``n_er`` error-reduction passes
    follow (the authors' HIO+ER baseline).

    Parameters
    ----------
    b : array_like, shape (K, d)
    masks : array_like, shape (K, delta)
    n_iter : int
        HIO passes.
    beta : float
        Relaxation (1 = Douglas–Rachford).
    n_er : int
        Error-reduction passes after HIO.
    x0, real, random_state, tol, warn : see :func:`error_reduction`.

    Returns
    -------
    x_hat : ndarray, shape (d,)
    info : SolverInfo

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.phase_retrieval import exponential_masks, local_measurements
    >>> x = np.exp(1j * np.arange(16.0))
    >>> W = exponential_masks(3)
    >>> x_hat, info = hio(local_measurements(x, W), W, n_iter=20, n_er=5, random_state=0, warn=False)
    >>> info.iterations
    25
    """
    beta = check_real(beta, "beta")
    if not 0.0 < beta <= 2.0:
        raise ValueError(f"beta must be in (0, 2], got {beta}")
    return _alternating(b, masks, n_iter, x0, real, random_state, tol, warn, "hio", beta=beta, n_er=n_er)


def phaselift(b, masks, epsilon=0.0, solver=None, max_d=160, **solver_options):
    r"""PhaseLift (Candès, Strohmer, Voroninski 2013) through cvxpy, for small ``d``.

    ``minimize tr(X)  s.t.  X >= 0 (Hermitian), ||A(X) - b||_2 <= epsilon`` (``A(X) = b`` when
    ``epsilon == 0``), where ``A(X)_{p,l} = a_{p,l}^T X conj(a_{p,l})``; ``x_hat = sqrt(lambda_1) u_1``.

    Parameters
    ----------
    b : array_like, shape (K, d)
    masks : array_like, shape (K, delta)
    epsilon : float
        Noise bound on ``||A(X) - b||_2``.
    solver : str, optional
        cvxpy solver name (default: cvxpy's choice, e.g. CLARABEL or SCS).
    max_d : int
        Refuse larger problems (the SDP has ``d^2`` unknowns and an ``O(d^3)`` cone).
    **solver_options
        Passed to ``problem.solve``.

    Returns
    -------
    x_hat : ndarray, shape (d,)
    info : SolverInfo
        ``status`` "converged" when cvxpy reports optimal (``optimal_inaccurate`` gives
        "inaccurate"); ``history['rank1_ratio'] = lambda_2 / lambda_1``.

    Raises
    ------
    ValueError
        ``d > max_d`` or negative ``epsilon``.
    ImportError
        cvxpy not installed (``pip install cstoolbox[cvx]``).
    """
    t_start = time.perf_counter()
    W, b, d, op = _setup(b, masks)
    max_d = _pos_int(max_d, "max_d", 1)
    if d > max_d:
        raise ValueError(f"phaselift is an O(d^3)-per-iteration SDP; d = {d} exceeds max_d = {max_d}")
    epsilon = check_real(epsilon, "epsilon", 0.0)
    try:
        import cvxpy as cp
        import scipy.sparse as sp
    except ImportError as exc:  # pragma: no cover
        raise ImportError("phaselift needs cvxpy: pip install cstoolbox[cvx]") from exc
    K, delta = W.shape
    # A(X)_r = sum_{i,j} a_i X_ij conj(a_j), a = conj(W[p]) at indices (l + j) mod d; vec(X) column-major
    rows, cols, vals = [], [], []
    for p in range(K):
        a = np.conj(W[p])
        for l in range(d):
            idx = (l + np.arange(delta)) % d
            ii, jj = np.meshgrid(idx, idx, indexing="ij")
            rows.append(np.full(delta * delta, p * d + l))
            cols.append((jj * d + ii).ravel())
            vals.append((a[:, None] * np.conj(a)[None, :]).ravel())
    Phi = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                        shape=(K * d, d * d))
    X = cp.Variable((d, d), hermitian=True)
    meas = cp.real(Phi @ cp.vec(X, order="F"))
    bv = b.reshape(-1)
    cons = [X >> 0]
    cons.append(meas == bv if epsilon == 0 else cp.norm(meas - bv, 2) <= epsilon)
    prob = cp.Problem(cp.Minimize(cp.real(cp.trace(X))), cons)
    try:
        prob.solve(solver=solver, **solver_options)
    except cp.error.SolverError as exc:
        info = SolverInfo(solver=f"phaselift:{solver}", status="error", time=time.perf_counter() - t_start,
                          message=str(exc))
        warnings.warn(f"phaselift: solver failed: {exc}", ConvergenceWarning, stacklevel=2)
        return np.full(d, np.nan + 0j), info
    used = prob.solver_stats.solver_name if prob.solver_stats is not None else str(solver)
    if X.value is None:
        info = SolverInfo(solver=f"phaselift:{used}", status=str(prob.status), time=time.perf_counter() - t_start,
                          message=f"cvxpy status {prob.status}")
        warnings.warn(f"phaselift: cvxpy status {prob.status}", ConvergenceWarning, stacklevel=2)
        return np.full(d, np.nan + 0j), info
    Xv = 0.5 * (X.value + X.value.conj().T)
    lam, U = np.linalg.eigh(Xv)
    x = np.sqrt(max(lam[-1], 0.0)) * U[:, -1]
    status = {"optimal": "converged", "optimal_inaccurate": "inaccurate"}.get(prob.status, str(prob.status))
    info = SolverInfo(solver=f"phaselift:{used}", status=status, iterations=int(
        getattr(prob.solver_stats, "num_iters", 0) or 0), residual_norm=_misfit(op, x, b),
        objective=float(prob.value), time=time.perf_counter() - t_start, message=f"cvxpy status {prob.status}",
        history={"rank1_ratio": float(lam[-2] / lam[-1]) if lam[-1] > 0 else np.nan})
    info.warn_if_not_converged()
    return x, info
