"""Numba decorators with on-disk caching and a fallback when the cache is read-only."""
import functools
import threading
import warnings

import numba

__all__ = ["njit", "prange", "parallel_launch_safe"]

prange = numba.prange


def njit(*args, **kwargs):
    """``numba.njit`` with ``cache=True`` by default (``fastmath`` stays off unless asked).

    When the package directory and numba's user-wide cache are both read-only,
    numba raises at decoration time; we fall back to an uncached function then.
    """
    kwargs.setdefault("cache", True)
    if args and callable(args[0]):
        return _decorate(args[0], kwargs)
    return functools.partial(_decorate, options=kwargs)


def _decorate(func, options):
    try:
        return numba.njit(**options)(func)
    except RuntimeError as exc:  # "cannot cache function ...: no locator available"
        if not options.get("cache") or "cache" not in str(exc):
            raise
        warnings.warn(f"numba cache unavailable ({exc}); compiling {func.__name__} without cache",
                      RuntimeWarning, stacklevel=3)
        return numba.njit(**{**options, "cache": False})(func)


def parallel_launch_safe():
    """May a ``parallel=True`` kernel be launched from the calling thread?

    Always from the main thread.  From any other thread only when numba's threading layer is
    thread safe (``tbb`` or ``omp``): the ``workqueue`` layer aborts the whole process when two
    threads launch parallel kernels at once (numba's documentation, "Thread Safety").  Before the
    first parallel kernel has run the layer is unknown, and the answer is ``False``.  Callers fall
    back to their serial kernels when this is ``False``.
    """
    if threading.current_thread() is threading.main_thread():
        return True
    try:
        return numba.threading_layer() in ("tbb", "omp")
    except ValueError:  # no parallel kernel has run yet: layer unknown
        return False
