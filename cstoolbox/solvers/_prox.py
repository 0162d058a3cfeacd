"""Proximal maps shared by the solvers: (weighted, complex) soft thresholding and friends.

Every map here works on real or complex NumPy arrays of any shape and returns a new array
(or writes into ``out``).  Thresholds may be scalars or arrays broadcastable to ``x``, so the
weighted ℓ1 prox ``prox_l1(x, lam, weights)`` is a per-coordinate soft threshold ``lam * w_i``
(a zero weight leaves that coordinate untouched).

Examples
--------
>>> import numpy as np
>>> from cstoolbox.solvers import soft_threshold, prox_l1
>>> soft_threshold(np.array([-3.0, 0.5, 2.0]), 1.0)
array([-2.,  0.,  1.])
>>> prox_l1(np.array([-3.0, 0.5, 2.0]), 1.0, weights=np.array([1.0, 1.0, 0.0]))
array([-2.,  0.,  2.])
>>> soft_threshold(np.array([3 + 4j]), 1.0)   # shrinks the modulus, keeps the phase
array([2.4+3.2j])
"""
import numbers

import numpy as np

from .._jit import njit

__all__ = [
    "soft_threshold", "prox_l1", "prox_l2", "project_l2_ball", "project_linf_ball",
    "hard_threshold",
]


@njit
def _soft_real(x, t, out):  # pragma: no cover - compiled
    for i in range(x.size):
        a = x[i]
        ti = t[i if t.size > 1 else 0]
        if a > ti:
            out[i] = a - ti
        elif a < -ti:
            out[i] = a + ti
        else:
            out[i] = 0.0


@njit
def _soft_complex(x, t, out):  # pragma: no cover - compiled
    for i in range(x.size):
        z = x[i]
        ti = t[i if t.size > 1 else 0]
        m = np.sqrt(z.real * z.real + z.imag * z.imag)
        if m > ti:
            out[i] = z * ((m - ti) / m)
        else:
            out[i] = 0.0


def _check_x(x, name="x"):
    x = np.asarray(x)
    if x.dtype.kind not in "biufc":
        raise TypeError(f"{name} must be a real or complex numeric array, got dtype {x.dtype}")
    if x.dtype.kind in "biu":
        x = x.astype(np.float64)
    elif x.dtype == np.float16:
        x = x.astype(np.float32)
    elif not x.dtype.isnative:  # byte-swapped input: the numba kernels need native order
        x = x.astype(x.dtype.newbyteorder("="))
    if not np.isfinite(x).all():  # NaN would come out as a plausible 0 (|NaN| > t is False)
        raise ValueError(f"{name} contains NaN or inf")
    return x


def _check_real(value, name, array=False):
    """A finite non-negative real (or, with ``array``, an array of them) for a threshold/radius."""
    v = np.asarray(value)
    if v.dtype.kind not in "biuf" or (not array and (v.ndim or v.dtype.kind == "b")):
        raise ValueError(f"{name} must be a finite non-negative real, got {value!r}")
    v = v.astype(np.float64)
    if not np.all(np.isfinite(v)) or np.any(v < 0):
        raise ValueError(f"{name} must be a finite non-negative real, got {value!r}")
    return v


def _check_threshold(t, shape, name="threshold"):
    t = np.asarray(t)
    if t.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be real and numeric, got dtype {t.dtype}")
    t = t.astype(np.float64, copy=False)
    if not np.all(np.isfinite(t)):
        raise ValueError(f"{name} must be finite, got non-finite values")
    if np.any(t < 0):
        raise ValueError(f"{name} must be non-negative, got min {t.min():g}")
    if t.ndim == 0 or t.size == 1:
        return t.reshape(1)
    try:
        return np.ascontiguousarray(np.broadcast_to(t, shape)).ravel()
    except ValueError:
        raise ValueError(f"{name} of shape {t.shape} does not broadcast to x of shape {shape}") from None


def soft_threshold(x, threshold, out=None):
    r"""Soft thresholding ``S_t(x)_i = x_i max(1 - t_i / |x_i|, 0)`` (real or complex).

    The proximal map of ``sum_i t_i |x_i|``: for real input this is
    ``sign(x) max(|x| - t, 0)``; for complex input the modulus is shrunk and the phase kept.

    Parameters
    ----------
    x : array_like, real or complex
        Input of any shape.
    threshold : float or array_like
        Non-negative threshold(s), scalar or broadcastable to ``x`` (per-coordinate weights).
    out : ndarray, optional
        Output array of the same shape and dtype as ``x`` (may be ``x`` itself).

    Returns
    -------
    ndarray
        Thresholded array, same shape and dtype as ``x`` (integers become float64).

    Raises
    ------
    ValueError
        If ``x`` contains NaN or inf, or a threshold is not real, negative, not finite, or does not
        broadcast to ``x``.
    TypeError
        If ``x`` is not numeric.

    Examples
    --------
    >>> import numpy as np
    >>> soft_threshold(np.array([1.5, -0.2, -4.0]), np.array([1.0, 1.0, 3.0]))
    array([ 0.5,  0. , -1. ])
    """
    x = _check_x(x)
    t = _check_threshold(threshold, x.shape)
    xf = np.ascontiguousarray(x).ravel()
    if out is None:
        res = np.empty_like(xf)
    else:
        if not isinstance(out, np.ndarray):
            raise TypeError(f"out must be a NumPy array of shape {x.shape} and dtype {x.dtype}, "
                            f"got {type(out).__name__}")
        if out.shape != x.shape or out.dtype != x.dtype:
            raise ValueError(f"out must have shape {x.shape} and dtype {x.dtype}, "
                             f"got {out.shape} {out.dtype}")
        res = out.reshape(-1) if out.flags.c_contiguous else np.empty_like(xf)
    if x.dtype.kind == "c":
        _soft_complex(xf, t, res)
    else:
        _soft_real(xf, t, res)
    if out is not None:
        if not out.flags.c_contiguous:
            out[...] = res.reshape(x.shape)
        return out
    return res.reshape(x.shape)


def prox_l1(x, lam, weights=None, out=None):
    r"""Proximal map of ``lam * sum_i w_i |x_i|`` (weighted ℓ1), i.e. soft threshold at ``lam w_i``.

    Parameters
    ----------
    x : array_like, real or complex
    lam : float
        Non-negative step / regularization parameter.
    weights : array_like, optional
        Non-negative weights broadcastable to ``x`` (default all ones).  ``w_i = 0`` leaves
        ``x_i`` unchanged.
    out : ndarray, optional

    Returns
    -------
    ndarray

    Raises
    ------
    ValueError
        For negative or non-finite ``lam`` or ``weights``.

    Examples
    --------
    >>> import numpy as np
    >>> prox_l1(np.array([2.0, -2.0]), 0.5, weights=np.array([2.0, 0.0]))
    array([ 1., -2.])
    """
    if isinstance(lam, np.ndarray) and lam.ndim == 0 and lam.dtype.kind in "iuf":  # np.array(0.5)
        lam = lam[()]
    if not isinstance(lam, numbers.Real) or not np.isfinite(lam) or lam < 0:
        raise ValueError(f"lam must be a finite non-negative real, got {lam!r}")
    if weights is None:
        return soft_threshold(x, lam, out=out)
    w = np.asarray(weights)
    if w.dtype.kind not in "biuf":
        raise ValueError(f"weights must be real and numeric, got dtype {w.dtype}")
    w = w.astype(np.float64, copy=False)
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and non-negative")
    return soft_threshold(x, lam * w, out=out)


def prox_l2(x, lam):
    r"""Proximal map of ``lam ||x||_2`` (block soft thresholding): ``x max(1 - lam/||x||, 0)``.

    Examples
    --------
    >>> import numpy as np
    >>> prox_l2(np.array([3.0, 4.0]), 1.0)
    array([2.4, 3.2])
    """
    x = _check_x(x)
    lam = float(_check_real(lam, "lam"))
    nrm = float(np.linalg.norm(x.ravel()))
    if nrm <= lam:
        return np.zeros_like(x)
    return x * (1.0 - lam / nrm)


def project_l2_ball(x, radius, center=None):
    r"""Euclidean projection onto ``{z : ||z - center||_2 <= radius}``.

    Examples
    --------
    >>> import numpy as np
    >>> project_l2_ball(np.array([3.0, 4.0]), 1.0)
    array([0.6, 0.8])
    """
    x = _check_x(x)
    radius = float(_check_real(radius, "radius"))
    c = 0 if center is None else _check_x(center, "center")
    if center is not None:
        try:
            ok = np.broadcast_shapes(c.shape, x.shape) == x.shape
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"center of shape {c.shape} does not broadcast to x of shape {x.shape}")
    d = x - c
    nrm = float(np.linalg.norm(d.ravel()))
    if nrm <= radius:
        return np.array(x, copy=True)
    return c + d * (radius / nrm)


def project_linf_ball(x, radius):
    r"""Projection onto ``{z : max_i |z_i| <= radius}`` (clips the modulus, keeps the phase).

    Examples
    --------
    >>> import numpy as np
    >>> project_linf_ball(np.array([-3.0, 0.5, 2.0]), 1.0)
    array([-1. ,  0.5,  1. ])
    """
    x = _check_x(x)
    r = _check_real(radius, "radius", array=True)
    if x.dtype.kind != "c":
        return np.clip(x, -r, r)
    m = np.abs(x)
    scale = np.where(m > r, r / np.where(m > 0, m, 1.0), 1.0)
    return x * scale


def hard_threshold(x, k):
    r"""Keep the ``k`` largest-magnitude entries of a 1-D array, zero the rest (ties: lowest index).

    The (non-convex) projection onto the set of ``k``-sparse vectors, used by IHT/BIHT.

    Examples
    --------
    >>> import numpy as np
    >>> hard_threshold(np.array([0.1, -3.0, 2.0, 0.5]), 2)
    array([ 0., -3.,  2.,  0.])
    """
    x = _check_x(x)
    if x.ndim != 1:
        raise ValueError(f"hard_threshold needs a 1-D array, got shape {x.shape}")
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral) or k < 0:
        raise ValueError(f"k must be a non-negative integer, got {k!r}")
    out = np.zeros_like(x)
    if k == 0:
        return out
    if k >= x.size:
        out[:] = x
        return out
    idx = np.argsort(-np.abs(x), kind="stable")[:k]
    out[idx] = x[idx]
    return out
