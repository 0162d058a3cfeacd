r"""Projection onto the (weighted) ℓ1 ball, and the matching dual norm.

The weighted ℓ1 ball is ``B_w(tau) = {z : sum_i w_i |z_i| <= tau}`` with weights ``w_i >= 0``.
A coordinate with ``w_i = 0`` does not enter the norm, so it is unconstrained in the ball: the
projection leaves it unchanged.  For ``x`` outside the ball the projection is a weighted soft
threshold

.. math::  P(x)_i = x_i \max(1 - \lambda w_i / |x_i|, 0),

with the unique ``lambda > 0`` solving ``sum_i w_i max(|x_i| - lambda w_i, 0) = tau``
(real or complex ``x`` alike: only the moduli matter).

The kernel (numba) first runs a few passes of Michelot's filtering (each pass computes
``lambda`` on the current candidate set, a lower bound of the true value, and discards the
coordinates with breakpoint ``|x_i| / w_i <= lambda``), then sorts the surviving breakpoints
and finishes with cumulative sums — ``O(n log n)`` in the worst case, usually ``O(n)``.

References
----------
.. [1] E. van den Berg, M. P. Friedlander, "Probing the Pareto frontier for basis pursuit
   solutions", SIAM J. Sci. Comput. 31(2), 2008.
.. [2] C. Michelot, "A finite algorithm for finding the projection of a point onto the
   canonical simplex of R^n", JOTA 50, 1986.

Examples
--------
>>> import numpy as np
>>> from cstoolbox.solvers import project_weighted_l1_ball, weighted_l1_norm
>>> z = project_weighted_l1_ball(np.array([3.0, -1.0, 0.5]), 2.0) + 0.0
>>> z
array([2., 0., 0.])
>>> z = project_weighted_l1_ball(np.array([3.0, -1.0, 0.5]), 1.0, weights=np.array([1.0, 0.0, 1.0]))
>>> z, weighted_l1_norm(z, np.array([1.0, 0.0, 1.0]))
(array([ 1., -1.,  0.]), 1.0)
"""
import numbers

import numpy as np

from .._jit import njit

__all__ = ["project_weighted_l1_ball", "project_l1_ball", "weighted_l1_norm",
           "weighted_dual_norm"]

_MICHELOT_PASSES = 24


@njit
def _wl1_lambda(x, w, tau, unit, work_r, work_w, work_i):  # pragma: no cover - compiled
    """Threshold lambda of the projection of x onto {sum w|z| <= tau}; -1.0 when x is inside.

    ``unit`` means all weights are one (``w`` ignored).  Work arrays have length >= n.
    """
    n = x.size
    # candidate set: w_i > 0 and x_i != 0; store breakpoint r = |x|/w, weight w, index
    s = 0.0
    ww = 0.0
    c = 0
    for i in range(n):
        wi = 1.0 if unit else w[i]
        if wi > 0.0:
            a = abs(x[i])
            if a > 0.0:
                work_r[c] = a / wi
                work_w[c] = wi
                s += wi * a
                ww += wi * wi
                c += 1
    if s <= tau:
        return -1.0
    if tau <= 0.0:
        return np.inf
    lam = (s - tau) / ww
    # Michelot passes: lam is a lower bound of the true threshold; drop r <= lam
    for _ in range(_MICHELOT_PASSES):
        c2 = 0
        s = 0.0
        ww = 0.0
        for j in range(c):  # branch-free compaction of the breakpoints above lam
            r = work_r[j]
            wj = work_w[j]
            keep = r > lam
            work_r[c2] = r
            work_w[c2] = wj
            w2 = wj * wj if keep else 0.0
            s += w2 * r
            ww += w2
            c2 += 1 if keep else 0
        if c2 == c:
            return lam
        c = c2
        lam = (s - tau) / ww
    # finish by sorting the surviving breakpoints (descending) and scanning
    order = np.argsort(work_r[:c])
    s = 0.0
    ww = 0.0
    lam = 0.0
    for jj in range(c - 1, -1, -1):
        j = order[jj]
        wj = work_w[j]
        s += wj * wj * work_r[j]
        ww += wj * wj
        lam = (s - tau) / ww
        nxt = work_r[order[jj - 1]] if jj > 0 else 0.0
        if lam >= nxt:
            break
    return lam


@njit
def _shrink(x, w, lam, unit, out):  # pragma: no cover - compiled
    """out_i = x_i max(1 - lam w_i/|x_i|, 0); lam = inf zeroes every w_i > 0 coordinate."""
    for i in range(x.size):
        wi = 1.0 if unit else w[i]
        if wi == 0.0:
            out[i] = x[i]
            continue
        a = abs(x[i])
        t = lam * wi
        if a > t:
            out[i] = x[i] * ((a - t) / a)
        else:
            out[i] = 0.0


@njit
def _project_kernel(x, w, tau, unit, out, work_r, work_w, work_i):  # pragma: no cover
    lam = _wl1_lambda(x, w, tau, unit, work_r, work_w, work_i)
    if lam < 0.0:
        for i in range(x.size):
            out[i] = x[i]
    else:
        _shrink(x, w, lam, unit, out)
    return lam


@njit
def _wl1_norm(x, w, unit):  # pragma: no cover - compiled
    s = 0.0
    for i in range(x.size):
        s += abs(x[i]) * (1.0 if unit else w[i])
    return s


@njit
def _dual_norm(g, w, unit):  # pragma: no cover - compiled
    """max over w_i > 0 of |g_i| / w_i, and max over w_i = 0 of |g_i| (returned as a pair)."""
    m = 0.0
    mz = 0.0
    for i in range(g.size):
        a = abs(g[i])
        wi = 1.0 if unit else w[i]
        if wi > 0.0:
            v = a / wi
            if v > m:
                m = v
        elif a > mz:
            mz = a
    return m, mz


class _Projector:
    """Reusable projector onto a weighted ℓ1 ball (owns its work buffers; solvers' fast path)."""

    def __init__(self, n, weights=None):
        self.n = n
        self.unit = weights is None
        self.w = np.ones(1) if weights is None else np.ascontiguousarray(weights, dtype=np.float64)
        self.work_r = np.empty(n)
        self.work_w = np.empty(n)
        self.work_i = np.empty(1, dtype=np.int64)

    def set_weights(self, weights):
        self.unit = weights is None
        self.w = np.ones(1) if weights is None else np.ascontiguousarray(weights, dtype=np.float64)

    def __call__(self, x, tau, out):
        return _project_kernel(x, self.w, float(tau), self.unit, out, self.work_r, self.work_w,
                               self.work_i)

    def norm(self, x):
        return _wl1_norm(x, self.w, self.unit)

    def dual(self, g):
        return _dual_norm(g, self.w, self.unit)


def _validate_weights(weights, n, name="weights"):
    if weights is None:
        return None
    w = np.asarray(weights)
    if w.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be real, got dtype {w.dtype}")
    if w.ndim > 1:  # a column (n, 1) or row (1, n) is flattened; a genuinely 2-D array is refused
        if sum(d != 1 for d in w.shape) > 1:
            raise ValueError(f"{name} must be a scalar or a 1-D array of {n} entries (a single row or "
                             f"column is flattened), got shape {w.shape}")
        w = w.reshape(-1)
    w = np.ascontiguousarray(w, dtype=np.float64) if w.ndim else np.full(n, float(w))
    if w.size != n:
        raise ValueError(f"{name} must have {n} entries (one per coordinate), got {w.size}")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{name} must be finite (no NaN/inf)")
    if np.any(w < 0):
        raise ValueError(f"{name} must be non-negative, got min {w.min():g}")
    return w


def _validate_vector(x, name="x"):
    x = np.asarray(x)
    if x.dtype.kind not in "biufc":
        raise TypeError(f"{name} must be a real or complex numeric array, got dtype {x.dtype}")
    if x.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {x.shape}")
    if x.dtype.kind in "biu" or x.dtype == np.float16:
        x = x.astype(np.float64)
    elif not x.dtype.isnative:  # byte-swapped input: the numba kernels need native order
        x = x.astype(x.dtype.newbyteorder("="))
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or inf")
    return np.ascontiguousarray(x)


def project_weighted_l1_ball(x, tau, weights=None, out=None):
    r"""Euclidean projection of ``x`` onto ``{z : sum_i w_i |z_i| <= tau}`` (real or complex).

    Parameters
    ----------
    x : array_like, shape (n,)
        Point to project (float or complex).
    tau : float
        Radius, ``tau >= 0``.
    weights : array_like, shape (n,), optional
        Non-negative weights (default all ones).  Coordinates with ``w_i = 0`` are
        unconstrained and returned unchanged.
    out : ndarray, optional
        Output buffer, same shape and dtype as ``x``.

    Returns
    -------
    ndarray, shape (n,)
        The projection (``x`` itself, copied, when already inside the ball).

    Raises
    ------
    ValueError
        For ``tau < 0`` or non-finite, weights of the wrong size, negative or NaN, or
        non-finite ``x``.

    Notes
    -----
    ``P(x) = S_{lambda w}(x)`` (weighted soft threshold) where ``lambda`` is the root of the
    piecewise-linear decreasing function ``f(lambda) = sum_i w_i max(|x_i| - lambda w_i, 0) - tau``
    whose breakpoints are ``|x_i| / w_i``; see the module docstring for the algorithm.

    Examples
    --------
    >>> import numpy as np
    >>> project_weighted_l1_ball(np.array([1 + 1j, 0.1]), 1.0)
    array([0.70710678+0.70710678j, 0.        +0.j        ])
    """
    x = _validate_vector(x, "x")
    if x.dtype == np.float32:
        x = x.astype(np.float64)
    elif x.dtype == np.complex64:
        x = x.astype(np.complex128)
    if not isinstance(tau, numbers.Real) or not np.isfinite(tau) or tau < 0:
        raise ValueError(f"tau must be a finite non-negative real, got {tau!r}")
    w = _validate_weights(weights, x.size)
    if out is None:
        out = np.empty_like(x)
    elif not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a NumPy array of shape {x.shape} and dtype {x.dtype}, "
                        f"got {type(out).__name__}")
    elif out.shape != x.shape or out.dtype != x.dtype:
        raise ValueError(f"out must have shape {x.shape} and dtype {x.dtype}")
    proj = _Projector(x.size, w)
    proj(x, float(tau), out)
    return out


def project_l1_ball(x, tau, out=None):
    """Projection onto the unweighted ℓ1 ball ``{z : ||z||_1 <= tau}``.

    Examples
    --------
    >>> import numpy as np
    >>> project_l1_ball(np.array([0.5, 0.5, 2.0]), 1.0)
    array([0., 0., 1.])
    """
    return project_weighted_l1_ball(x, tau, None, out=out)


def weighted_l1_norm(x, weights=None):
    """``sum_i w_i |x_i|`` (plain ℓ1 norm without weights).

    Examples
    --------
    >>> import numpy as np
    >>> weighted_l1_norm(np.array([3.0, -4.0]), np.array([0.5, 0.0]))
    1.5
    """
    x = _validate_vector(x, "x")
    w = _validate_weights(weights, x.size)
    return float(_wl1_norm(x, np.ones(1) if w is None else w, w is None))


def weighted_dual_norm(g, weights=None):
    r"""Dual norm of the weighted ℓ1 norm: ``max_{i : w_i > 0} |g_i| / w_i``.

    With zero weights the true dual norm is ``+inf`` unless ``g_i = 0`` on ``{w_i = 0}``;
    this returns ``inf`` in that case (use the solvers' internal pair for a tolerance).

    Examples
    --------
    >>> import numpy as np
    >>> weighted_dual_norm(np.array([1.0, -3.0, 2.0]), np.array([1.0, 1.0, 0.5]))
    4.0
    >>> weighted_dual_norm(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    inf
    """
    g = _validate_vector(g, "g")
    w = _validate_weights(weights, g.size)
    m, mz = _dual_norm(g, np.ones(1) if w is None else w, w is None)
    return float(np.inf) if mz > 0 else float(m)
