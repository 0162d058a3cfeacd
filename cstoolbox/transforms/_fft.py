"""Orthonormal DCT and unitary DFT helpers on scipy.fft (NumPy) or cupy.fft / cupyx.scipy.fft (CuPy)."""
import numpy as np
import scipy.fft as sfft

from ..backend import get_array_module

__all__ = ["dct", "idct", "fft", "ifft"]


def _fft_module(x):
    xp = get_array_module(x)
    if xp is np:
        return sfft
    import cupyx.scipy.fft as cfft  # noqa: PLC0415 (CuPy only when a CuPy array is given)
    return cfft


def _check(x, name, axis):
    """Validate ``x`` and ``axis`` at the public boundary (scipy's errors name neither)."""
    if x.dtype.kind not in "fciub":
        raise ValueError(f"{name} needs a numeric array, got dtype {x.dtype}")
    if x.ndim == 0:
        raise ValueError(f"{name} needs an array with at least one dimension, got a scalar")
    if isinstance(axis, np.ndarray) and axis.ndim == 0 and axis.dtype.kind in "iu":  # np.array(0)
        axis = axis[()]
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an int, got {type(axis).__name__}")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis {axis} is out of bounds for an array with {x.ndim} dimensions")
    if x.shape[axis] == 0:
        raise ValueError(f"{name} needs a non-empty length along axis {axis}, got shape {x.shape}")


def dct(x, axis=-1):
    """Orthonormal DCT-II along ``axis`` (the inverse is :func:`idct`).

    >>> import numpy as np
    >>> x = np.arange(4.0)
    >>> bool(np.allclose(idct(dct(x)), x))
    True
    """
    x = _as_array(x)
    _check(x, "dct", axis)
    return _fft_module(x).dct(x, type=2, axis=axis, norm="ortho")


def idct(x, axis=-1):
    """Inverse of the orthonormal DCT-II (= its transpose, an orthonormal DCT-III) along ``axis``."""
    x = _as_array(x)
    _check(x, "idct", axis)
    return _fft_module(x).idct(x, type=2, axis=axis, norm="ortho")


def fft(x, axis=-1):
    """Unitary DFT along ``axis`` (``norm="ortho"``)."""
    x = _as_array(x)
    _check(x, "fft", axis)
    return _fft_module(x).fft(x, axis=axis, norm="ortho")


def ifft(x, axis=-1):
    """Inverse unitary DFT along ``axis`` (``norm="ortho"``)."""
    x = _as_array(x)
    _check(x, "ifft", axis)
    return _fft_module(x).ifft(x, axis=axis, norm="ortho")


def _as_array(x):
    xp = get_array_module(x)
    return xp.asarray(x)
