"""Input validation and batch reshaping shared by the quantizers (private)."""

import numbers
import warnings

import numpy as np

from ..backend import asnumpy, get_array_module, to_device
from ..exceptions import QuantizerInstabilityWarning

#: largest ΣΔ order: every binom(r, j) is exact in float64 up to r = 56
MAX_ORDER = 56

# relative slack when comparing max|u| with its bound (u = rho - Q(rho) is exact up to an ulp)
_BOUND_RTOL = 1e-9


class Batch:
    """A signal batch moved to a C-contiguous (rows, length) float array and back."""

    def __init__(self, y, axis, name, min_ndim=1):
        self.like = y
        self.xp = get_array_module(y)
        # CuPy input: quantized on the host and moved back (CUDA kernels: a later issue)
        arr = np.asarray(y) if self.xp is np else asnumpy(y)
        arr = as_real_float(arr, name)
        if arr.ndim < min_ndim:
            raise ValueError(
                f"{name} needs an array with at least {min_ndim} dimension(s) "
                f"(signals along axis), got a {arr.ndim}-d input"
            )
        check_finite(arr, name)
        self.ndim = arr.ndim
        self.dtype = arr.dtype
        if min_ndim == 0:
            if arr.ndim:
                normalize_axis(axis, arr.ndim)  # validated for API symmetry (elementwise)
            self.axis = None
            self.shape = arr.shape
            self.data = np.ascontiguousarray(arr).reshape(-1)
            return
        self.axis = normalize_axis(axis, arr.ndim)
        moved = arr if self.axis == arr.ndim - 1 else np.moveaxis(arr, self.axis, -1)
        self.batch_shape = moved.shape[:-1]
        self.length = moved.shape[-1]
        self.data = np.ascontiguousarray(moved.reshape(int(np.prod(self.batch_shape)), self.length))

    def empty(self, dtype=None):
        return np.empty(self.data.shape, dtype=self.dtype if dtype is None else dtype)

    def restore(self, out):
        """(rows, length) kernel output -> the input's layout (and device)."""
        if self.axis is None:
            out = out.reshape(self.shape)
        else:
            out = out.reshape(self.batch_shape + (self.length,))
            if self.axis != self.ndim - 1:
                out = np.moveaxis(out, -1, self.axis)
        if self.xp is not np:
            out = to_device(np.ascontiguousarray(out), self.like)
        return out


def as_real_float(arr, name):
    """float32/float64 kept, other real numeric types -> float64; complex -> ValueError."""
    dt = arr.dtype
    if np.issubdtype(dt, np.complexfloating):
        raise ValueError(
            f"{name} got a complex input (dtype {dt}); quantizers act on real signals: "
            "quantize the real and imaginary parts separately, e.g. "
            "f(y.real) + 1j * f(y.imag)"
        )
    if dt == np.float32 or dt == np.float64:
        return arr
    if dt == np.bool_ or np.issubdtype(dt, np.integer) or np.issubdtype(dt, np.floating):
        return arr.astype(np.float32 if dt == np.float16 else np.float64)
    raise TypeError(f"{name} needs a real numeric array (float32 or float64), got dtype {dt}")


def check_finite(arr, name):
    if arr.size and not np.isfinite(arr).all():
        bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(
            f"{name} got {bad} NaN or infinite value(s) in y; only finite inputs can be quantized"
        )


def normalize_axis(axis, ndim):
    if isinstance(axis, bool) or not isinstance(axis, (numbers.Integral, np.integer)):
        raise TypeError(f"axis must be an integer, got {axis!r}")
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for an array of dimension {ndim}")
    return axis % ndim


def check_order(order, name="order", minimum=1):
    if isinstance(order, bool) or not isinstance(order, (numbers.Integral, np.integer)):
        if (
            not isinstance(order, bool)
            and isinstance(order, numbers.Real)
            and float(order).is_integer()
        ):
            order = int(order)
        else:
            raise TypeError(f"{name} must be an integer >= {minimum}, got {order!r}")
    order = int(order)
    if order < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {order}")
    if order > MAX_ORDER:
        raise ValueError(
            f"{name} must be at most {MAX_ORDER} (the binomial coefficients of higher orders are "
            f"not exact in float64), got {order}"
        )
    return order


def check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        if (
            not isinstance(value, bool)
            and isinstance(value, numbers.Real)
            and float(value).is_integer()
        ):
            value = int(value)
        else:
            raise TypeError(f"{name} must be a positive integer, got {value!r}")
    value = int(value)
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return value


def check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def code_buffer(batch, alphabet, want):
    """(codes array for the kernel, kernel writes them?).

    The kernels are compiled for uint8 codes only (<= 256 levels), which keeps numba's
    compilation count down; larger alphabets get their codes from the values afterwards
    (:func:`codes_from_values`).
    """
    if want and alphabet.code_dtype == np.uint8:
        return np.empty(batch.data.shape, dtype=np.uint8), True
    return np.empty((0,) * batch.data.ndim, dtype=np.uint8), False


def codes_from_values(q, alphabet):
    """Codes of values that are levels of ``alphabet`` (exact: rounding to the nearest index)."""
    return np.rint(q.astype(np.float64) / alphabet.step + (alphabet.K - 0.5)).astype(
        alphabet.code_dtype
    )


def state_buffer(batch, want):
    if want:
        return batch.empty()
    return np.empty((0, 0), dtype=batch.dtype)


def pack_result(batch, q, codes, u, return_codes, return_state):
    q = batch.restore(q)
    if not (return_codes or return_state):
        return q
    out = [q]
    if return_codes:
        out.append(batch.restore(codes))
    if return_state:
        out.append(batch.restore(u))
    return tuple(out)


def warn_unstable(umax, bound, what, data, input_bound, stacklevel=3):
    """Warn (QuantizerInstabilityWarning) when max|u| exceeds ``bound``; returns max|u|.

    ``data`` is the input batch (its sup norm is computed only when warning) and
    ``input_bound`` the largest ||y||_inf for which the theory guarantees |u| <= bound.
    """
    mx = float(umax.max()) if umax.size else 0.0
    if not np.isfinite(mx) or mx > bound * (1.0 + _BOUND_RTOL):
        ynorm = float(np.abs(data).max())
        if input_bound > 0:
            guarantee = f"|u| <= {bound:.6g} is guaranteed for ||y||_inf <= {input_bound:.6g}"
        else:
            guarantee = "this scheme with this alphabet has no input range with a guaranteed bound"
        warnings.warn(
            f"{what}: max|u| = {mx:.6g} exceeds the stability bound {bound:.6g} "
            f"(input ||y||_inf = {ynorm:.6g}; {guarantee}). The identity "
            "y - q = (shaping operator) u still holds, but the error guarantees do not. "
            "Scale the input down, use more levels or "
            "a stable scheme; warn=False silences this warning.",
            QuantizerInstabilityWarning,
            stacklevel=stacklevel + 1,
        )
    return mx


def check_overflow(umax, q, what):
    """Raise FloatingPointError when an unstable recursion overflowed (non-finite state or output).

    An exponentially growing state passes 1e300 before it reaches inf/NaN, so the cheap test on
    the per-row maxima decides whether the output needs the full finiteness check.
    """
    if umax.size and not float(umax.max()) < 1e300:
        if not np.isfinite(q).all() or not np.isfinite(umax).all():
            raise FloatingPointError(
                f"{what}: the state overflowed to inf/NaN; the recursion is unstable for this "
                "input (see stability_bound), so no meaningful output exists. "
                "Scale the input down, use more "
                "levels, a lower order or the stable one_bit_sigma_delta."
            )
