"""BlockPR: the direct (lifted + angular synchronization) solver for local phaseless measurements."""
import time
import warnings

import numpy as np

from ..exceptions import ConvergenceWarning
from ..solvers._info import SolverInfo
from ._lifted import LiftedSystem, check_intensities
from ._masks import RandomFlattening, check_masks
from ._operator import LocalOperator, dr_er
from ._sync import angular_synchronization, estimate_magnitudes, hermitian_band

__all__ = ["blockpr"]

_MAGNITUDES = ("diag", "eig", "log")
_SYNCS = ("laplacian", "eig", "greedy")


def _choice(value, allowed, name):
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}")
    return value


def blockpr(b, masks, magnitude="diag", sync="laplacian", refine=None, flatten=None, real=False,
            refine_iter=None, tol=1e-13, maxiter=60, block_size=4, warn=True):
    r"""BlockPR: recover ``x`` (up to a global phase) from local phaseless measurements.

    Parameters
    ----------
    b : array_like, shape (..., K, d)
        Intensities ``b[p, l] = |sum_j conj(W[p, j]) x[(l + j) mod d]|^2 + noise`` (negative values allowed),
        e.g. from :func:`local_measurements`; leading axes are a batch of signals.
    masks : array_like, shape (K, delta)
        The masks, ``K >= 2 delta - 1``, ``d >= 2 delta - 1``.
    magnitude : {"diag", "eig", "log"}
        Magnitude estimate: ``sqrt|X_ii|``; averaged top eigenpairs of the ``delta x delta`` principal blocks;
        least squares on ``log|X_ij| = log|x_i| + log|x_j|``.
    sync : {"laplacian", "eig", "greedy"}
        Angular synchronization: smallest eigenvector of the weighted graph connection Laplacian (default,
        the most robust), top eigenvector of the normalized band ``X / |X|`` (ACHA 2020), or greedy
        propagation (SIIMS 2016).
    refine : {None, "er", "hio-er"}
        Optional refinement in measurement space started from the direct solution: ``"er"`` error reduction
        (default 30 passes), ``"hio-er"`` HIO in Douglas–Rachford form then ER (default 25 + 5, the authors'
        choice).  With noise, ER alone was the more reliable of the two in our runs (HIO lowers the intensity
        misfit but can move away from the signal).
    flatten : RandomFlattening, optional
        The flattening applied before measuring (``b`` measured from ``flatten.apply(x)``); the result is
        mapped back with ``flatten.invert``.
    real : bool
        ``x`` is real: the synchronization works on the real part of the band (phases are signs) and a
        real ``x_hat`` is returned.
    refine_iter : (int, int), optional
        HIO and ER passes of the refinement (default ``(0, 30)`` for "er", ``(25, 5)`` for "hio-er").
    tol, maxiter, block_size :
        Eigensolver: relative residual tolerance, iterations, block size (see ``smallest_eigenpair``).
    warn : bool
        Warn (:class:`~cstoolbox.exceptions.ConditioningWarning`) when the lifted system's condition number
        exceeds 1e8, and (:class:`~cstoolbox.exceptions.ConvergenceWarning`) when the eigensolver does not
        converge.

    Returns
    -------
    x_hat : ndarray, shape (..., d)
        Complex (real when ``real=True``).
    info : SolverInfo
        ``iterations`` (eigensolver iterations, max over the batch), ``residual_norm`` (relative intensity
        misfit ``|| |A x_hat|^2 - b || / ||b||``, max over the batch), ``status``, ``time``; ``history`` holds
        ``condition_number``, ``lifted_method``, per-signal eigensolver ``residual``, ``iterations``,
        ``n_factor``, ``n_solve``, ``eigenvalue`` and the phase timings ``time_lifted``, ``time_sync``.

    Raises
    ------
    ValueError
        Shapes that do not match the masks, ``d < 2 delta - 1``, non-finite input, unknown options, or a
        singular lifted system.

    Notes
    -----
    1. Lifted solve: ``z_{i,m} = x_i conj(x_{i+m})`` (``|m| < delta``) solves the block-circulant system
       ``b_l = sum_j C_j u_{l+j}``; FFT over the shifts turns it into ``d`` small systems
       ``b_hat_k = J_k u_hat_k`` (least squares when ``K > 2 delta - 1``), or for windowed-Fourier masks
       ``J_k = F diag(g_k)``: one FFT over the masks and a division (``O(delta d log d)``).
    2. Band matrix ``X`` (Hermitian-symmetrized), magnitudes, angular synchronization by the smallest
       eigenvector of a positive semidefinite periodic band matrix (``L`` or ``c I - X / |X|``), computed by
       shift-invert block inverse iteration on a folded periodic banded Cholesky factorization with the
       shift raised toward the eigenvalue (Rayleigh-quotient-like convergence; plain Lanczos would stall
       on the spectral gap ``~ 2 pi^2 delta^3 / d^2``).
    3. ``x_hat = |x| o phases``; optional HIO + ER refinement.

    References
    ----------
    M. A. Iwen, A. Viswanathan, Y. Wang, "Fast phase retrieval from local correlation measurements",
    SIAM J. Imaging Sci. 9 (2016).  M. A. Iwen, B. Preskitt, R. Saab, A. Viswanathan, "Phase retrieval from
    local measurements: improved robustness via eigenvector-based angular synchronization", ACHA 48 (2020).

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.phase_retrieval import exponential_masks, local_measurements, blockpr
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(64) + 1j * rng.standard_normal(64)
    >>> W = exponential_masks(6)
    >>> x_hat, info = blockpr(local_measurements(x, W), W)
    >>> c = np.vdot(x_hat, x)
    >>> bool(np.linalg.norm(x - c / abs(c) * x_hat) < 1e-10 * np.linalg.norm(x))
    True
    """
    t0 = time.perf_counter()
    W = check_masks(masks)
    b = check_intensities(b, W)
    d = b.shape[-1]
    W = check_masks(W, d)
    _choice(magnitude, _MAGNITUDES, "magnitude")
    _choice(sync, _SYNCS, "sync")
    if refine is not None:
        _choice(refine, ("er", "hio-er"), "refine")
    if refine_iter is None:
        refine_iter = (0, 30) if refine == "er" else (25, 5)
    if flatten is not None and not isinstance(flatten, RandomFlattening):
        raise TypeError(f"flatten must be None or a RandomFlattening, got {type(flatten).__name__}")
    if flatten is not None and flatten.d != d:
        raise ValueError(f"flatten is for length {flatten.d}, but the intensities have d = {d}")
    try:
        n_hio, n_er = (int(v) for v in refine_iter)
    except (TypeError, ValueError):
        raise ValueError(f"refine_iter must be a pair of ints (HIO, ER passes), got {refine_iter!r}") from None
    if n_hio < 0 or n_er < 0:
        raise ValueError(f"refine_iter must be non-negative, got {refine_iter!r}")

    system = LiftedSystem(W, d)
    system.check(warn=warn)
    batch = b.shape[:-2]
    bf = b.reshape((-1,) + b.shape[-2:])
    z = hermitian_band(system.solve(bf))  # (n, d, M)
    t_lift = time.perf_counter() - t0
    sync_real = bool(real) and flatten is None
    n = bf.shape[0]
    x_hat = np.empty((n, d), dtype=np.complex128)
    hist = dict(condition_number=system.condition_number, lifted_method=system.method, residual=[],
                iterations=[], n_factor=[], n_solve=[], eigenvalue=[], converged=[])
    for s in range(n):
        Z = z[s]
        mag = estimate_magnitudes(np.ascontiguousarray(Z.real) if sync_real else Z, magnitude)
        ph, ei = angular_synchronization(Z, sync, real=sync_real, tol=tol, maxiter=maxiter,
                                         block_size=block_size)
        x_hat[s] = mag * ph
        for key in ("residual", "iterations", "n_factor", "n_solve"):
            hist[key].append(ei.get(key))
        hist["eigenvalue"].append(ei.get("eigenvalue", np.nan))
        hist["converged"].append(bool(ei.get("converged", True)))
    t_sync = time.perf_counter() - t0 - t_lift
    op = LocalOperator(W, d)
    if refine is not None:
        x_hat, _ = dr_er(op, bf, x_hat, n_hio, n_er, real=sync_real)
    resid = np.linalg.norm(np.abs(op.forward(x_hat)) ** 2 - bf, axis=(-2, -1)) / np.maximum(
        np.linalg.norm(bf, axis=(-2, -1)), 1e-300)
    if flatten is not None:
        x_hat = flatten.invert(x_hat)
    if real:
        if flatten is not None:  # rotate the global phase so that x_hat is (nearly) real
            c = np.sum(x_hat ** 2, axis=-1, keepdims=True)
            x_hat = x_hat * np.exp(-0.5j * np.angle(c))
        x_hat = x_hat.real
    converged = all(hist["converged"])
    hist["time_lifted"] = t_lift
    hist["time_sync"] = t_sync
    iters = max([int(v) for v in hist["iterations"]] or [0])
    info = SolverInfo(solver=f"blockpr[{sync}]", status="converged" if converged else "max_iter",
                      iterations=iters, residual_norm=float(np.max(resid)) if resid.size else 0.0,
                      time=time.perf_counter() - t0,
                      message=(f"lifted solve ({system.method}, condition number {system.condition_number:.3g}), "
                               f"magnitudes '{magnitude}', sync '{sync}'"
                               + (f", refined by {refine} {tuple(refine_iter)}" if refine else "")
                               + ("" if converged else "; eigensolver stopped before its tolerance")),
                      history=hist)
    if warn and not converged:
        warnings.warn(f"blockpr: the synchronization eigensolver did not reach tol={tol} for "
                      f"{hist['converged'].count(False)} of {n} signals (relative residual "
                      f"{max(hist['residual']):.2e}); increase maxiter", ConvergenceWarning, stacklevel=2)
    return x_hat.reshape(batch + (d,)), info
