"""Array-module dispatch (NumPy or CuPy), device moves and random-state handling.

CuPy is detected once with :func:`importlib.util.find_spec` and imported only when
an input actually is a CuPy array (or :func:`cupy_available` is asked).  Setting
the environment variable ``CSTOOLBOX_DISABLE_CUPY=1`` turns CuPy support off.

Examples
--------
>>> import numpy as np
>>> from cstoolbox.backend import get_array_module, check_random_state
>>> get_array_module(np.zeros(3)) is np
True
>>> rng = check_random_state(0)
>>> float(rng.standard_normal()) == float(check_random_state(0).standard_normal())
True
"""
import importlib.util
import numbers
import os

import numpy as np

__all__ = [
    "CUPY_DISABLED", "cupy_available", "get_array_module", "is_cupy_array",
    "asnumpy", "to_device", "check_random_state",
]

CUPY_DISABLED = os.environ.get("CSTOOLBOX_DISABLE_CUPY", "0").strip().lower() in ("1", "true", "yes")
_CUPY_SPEC = None if CUPY_DISABLED else importlib.util.find_spec("cupy")
_cupy = None
_cupy_ok = None


def _get_cupy():
    """Import CuPy on first use; None when absent, disabled or without a usable GPU."""
    global _cupy, _cupy_ok
    if _cupy_ok is None:
        _cupy_ok = False
        if _CUPY_SPEC is not None:
            try:
                import cupy
                _cupy_ok = cupy.cuda.runtime.getDeviceCount() > 0
                _cupy = cupy if _cupy_ok else None
            except Exception:  # no driver, no device, broken install
                _cupy, _cupy_ok = None, False
    return _cupy


def cupy_available():
    """True when CuPy is installed, not disabled and sees at least one GPU."""
    return _get_cupy() is not None


def is_cupy_array(x):
    """True when ``x`` is a CuPy ndarray (never imports CuPy for NumPy inputs)."""
    if _CUPY_SPEC is None or isinstance(x, (np.ndarray, numbers.Number, list, tuple)):
        return False
    return type(x).__module__.startswith("cupy") and _get_cupy() is not None


def get_array_module(*arrays):
    """Return :mod:`cupy` if any argument is a CuPy array, else :mod:`numpy`."""
    for x in arrays:
        if is_cupy_array(x):
            return _get_cupy()
    return np


def asnumpy(x):
    """Return ``x`` as a NumPy array (copies from the GPU when needed)."""
    if is_cupy_array(x):
        return x.get()
    return np.asarray(x)


def to_device(x, like):
    """Move ``x`` to the array module / device of ``like`` (NumPy or CuPy)."""
    xp = get_array_module(like)
    if xp is np:
        return asnumpy(x)
    return xp.asarray(x)


def check_random_state(random_state):
    """Turn ``random_state`` into a :class:`numpy.random.Generator`.

    Parameters
    ----------
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState
        ``None`` gives fresh OS entropy; an int seeds a new PCG64 generator; a
        Generator is returned as is; a legacy RandomState is wrapped by drawing a seed.

    Raises
    ------
    TypeError
        For anything else (floats, strings, ...).
    """
    if isinstance(random_state, (bool, np.bool_)):  # True would silently be the seed 1
        raise TypeError(f"random_state must be None, an int or a numpy.random.Generator, got {random_state!r}")
    if random_state is None or isinstance(random_state, (numbers.Integral, np.integer)):
        if random_state is not None and random_state < 0:
            raise ValueError(f"random_state must be a non-negative int, got {random_state}")
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    raise TypeError(
        "random_state must be None, an int or a numpy.random.Generator, "
        f"got {type(random_state).__name__}"
    )
