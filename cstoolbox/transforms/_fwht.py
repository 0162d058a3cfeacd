"""Public Walsh–Hadamard transform: validation and dispatch to the numba (CPU) or CuPy (GPU) kernel."""
import math

import numpy as np

from ..backend import get_array_module

__all__ = ["fwht"]

_KERNEL_DTYPES = frozenset(np.dtype(t) for t in (np.float32, np.float64, np.complex64, np.complex128))
# Up to this many real elements (about 0.1-0.3 ms of single-thread work) the kernels run serially: the
# parallel gain is at most 2x on 2 cores, while a thread-pool launch plus a barrier costs tens of us, and a
# whole scheduler time slice (~10 ms, measured) when the cores are oversubscribed by other processes.
_SERIAL_MAX = 1 << 17
_PARALLEL_INSIDE_ROW_BYTES = 1 << 17  # rows this long (>= 4 L1 blocks) with fewer rows than threads: split inside rows


def fwht(x, axis=-1, normalize=False, out=None):
    r"""Fast Walsh–Hadamard transform in Sylvester (natural) order.

    Computes ``H_n @ x`` along ``axis`` where ``H_n = scipy.linalg.hadamard(n)``, in
    O(n log n) per signal, batched over every other axis.

    Parameters
    ----------
    x : array_like
        Real (float32, float64) or complex (complex64, complex128) array; integer and boolean
        inputs are converted to float64.  The length along ``axis`` must be a power of two.
    axis : int, optional
        Axis along which to transform (default: the last).
    normalize : bool, optional
        Divide by ``sqrt(n)``, making the transform orthonormal and self-inverse.
    out : ndarray, optional
        Output array of the same shape and dtype (and array module) as ``x``.  ``out=x`` transforms
        in place with no copy when ``x`` is C-contiguous and ``axis`` is the last axis; another
        C-contiguous ``out`` receives one copy of ``x`` and is transformed in place (no temporary).

    Returns
    -------
    ndarray
        The transform, same shape as ``x`` (dtype float64 for integer or boolean input); ``out``
        when it was given.

    Raises
    ------
    ValueError
        If the length along ``axis`` is not a power of two, the input is empty or a scalar, its
        dtype is not numeric (float16 included), ``axis`` is out of bounds, or ``out`` has the wrong
        shape or dtype.
    TypeError
        If ``axis`` is not an integer, ``normalize`` is not a bool, or ``out`` is not an array of the
        input's array module.

    Notes
    -----
    :math:`H_1 = [1]`, :math:`H_{2n} = \begin{pmatrix} H_n & H_n \\ H_n & -H_n \end{pmatrix}`,
    so :math:`H_n[i, j] = (-1)^{\mathrm{popcount}(i \,\&\, j)}` and :math:`H_n H_n = n I`.
    Complex input is transformed as :math:`H(\Re x) + i H(\Im x)`.

    The CPU kernel (numba, no C extension) factors :math:`H_n = (H_{n/B} \otimes I_B)(I_{n/B}
    \otimes H_B)` over three cache levels: 16 KiB blocks get their whole transform with 64-byte
    SIMD vectors (the strides below two vectors by in-register shuffles, the rest by radix-8
    butterflies, three stages per pass over the block), then 512 KiB super-blocks and finally the
    whole row do their remaining strides on narrow column chunks that stay in cache.  Batches run
    rows in parallel; a single long row runs its independent blocks, then its column chunks, in
    parallel.  Its speed is in the class of FFHT [2]_ (``docs/transforms.md`` has the measurements).
    CuPy input uses array-API radix-4 butterflies.

    References
    ----------
    .. [1] J. J. Sylvester, "Thoughts on inverse orthogonal matrices ...", Phil. Mag. 34 (1867).
    .. [2] A. Andoni, P. Indyk, T. Laarhoven, I. Razenshteyn, L. Schmidt, "Practical and optimal LSH
       for angular distance", NeurIPS 2015 (the FFHT library of FALCONN).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.linalg import hadamard
    >>> x = np.arange(8.0)
    >>> bool(np.allclose(fwht(x), hadamard(8) @ x))
    True
    >>> bool(np.allclose(fwht(fwht(x, normalize=True), normalize=True), x))
    True
    """
    if type(x) is np.ndarray and (out is None or type(out) is np.ndarray):
        xp = np  # fast path: skip the module lookup (the wrapper costs a few us per call)
    else:
        xp = get_array_module(x, out)
        x = xp.asarray(x)
    dt = x.dtype
    if dt not in _KERNEL_DTYPES:
        if dt.newbyteorder("=") in _KERNEL_DTYPES:  # byte-swapped input: native copy
            x = x.astype(dt.newbyteorder("="))
        elif dt.kind not in "biu":
            raise ValueError(f"fwht needs a float32, float64, complex64 or complex128 array "
                             f"(integers and booleans are converted to float64), got dtype {dt}")
        else:
            x = x.astype(np.float64)
    ndim = x.ndim
    if ndim == 0:
        raise ValueError("fwht needs an array with at least one dimension, got a scalar")
    if axis != -1:
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise TypeError(f"axis must be an int, got {type(axis).__name__}")
        if not -ndim <= axis < ndim:
            raise ValueError(f"axis {axis} is out of bounds for an array with {ndim} dimensions")
    axis = int(axis) % ndim
    n = x.shape[axis]
    if x.size == 0:
        raise ValueError(f"fwht needs a non-empty array, got shape {x.shape}")
    if n & (n - 1):
        raise ValueError(f"fwht needs a power-of-two length along axis {axis}, got {n}")
    if out is not None:
        if not (isinstance(out, np.ndarray) if xp is np else get_array_module(out) is xp):
            raise TypeError(f"out must be a {xp.__name__} array like x, got {type(out).__name__}")
        if out.shape != x.shape or out.dtype != x.dtype:
            raise ValueError(f"out must have shape {x.shape} and dtype {x.dtype}, "
                             f"got shape {out.shape} and dtype {out.dtype}")
    if normalize is not False and normalize is not True and not isinstance(normalize, np.bool_):
        raise TypeError(f"normalize must be True or False, got {normalize!r}")
    scale = 1.0 / math.sqrt(n) if normalize else 1.0
    if xp is not np:
        from ._fwht_xp import fwht_xp  # noqa: PLC0415
        return fwht_xp(x, xp, axis, scale, normalize, out)
    return _fwht_cpu(x, axis, scale, normalize, out)


_kernels = None


def _numba_kernels():
    """Import (and so compile or load from cache) the numba kernels on first use only."""
    global _kernels
    if _kernels is None:
        import numba  # noqa: PLC0415

        from . import _fwht_numba  # noqa: PLC0415
        _kernels = (_fwht_numba, numba.get_num_threads)
    return _kernels


def _num_parallel_threads(num_threads):
    """Threads a parallel kernel may use here: 1 (serial) when launching from this thread is unsafe."""
    from .._jit import parallel_launch_safe  # noqa: PLC0415
    return num_threads() if parallel_launch_safe() else 1


def _fwht_cpu(x, axis, scale, normalize, out):
    kernels, num_threads = _numba_kernels()
    last = axis == x.ndim - 1
    n = x.shape[axis]
    if out is not None and last and out.flags.c_contiguous and out.flags.writeable and out.flags.aligned:
        if out is not x:
            np.copyto(out, x)  # transform in the caller's buffer: one copy, no temporary
        work = out
    else:
        work = np.array(x if last else np.moveaxis(x, axis, -1), order="C", copy=True)
    w2 = work.reshape(-1, n)
    c = 1
    if w2.dtype.kind == "c":  # H (re + i im) = H re + i H im: the interleaved real view, strides doubled
        w2 = w2.view(w2.real.dtype)
        c = 2
    s = float(scale)  # a Python float: numba types it ~3 us faster than a NumPy scalar
    normalize = bool(normalize)  # one compiled signature whatever truthy value was passed
    if w2.size <= _SERIAL_MAX or n == 1 or (threads := _num_parallel_threads(num_threads)) == 1:
        kernels.fwht_serial(w2, 0, c, s, normalize)
    elif w2.shape[0] < threads and w2.shape[1] * w2.itemsize >= _PARALLEL_INSIDE_ROW_BYTES:
        for r in range(w2.shape[0]):  # fewer rows than threads: parallel inside each row
            row = w2[r:r + 1]
            kernels.fwht_parallel(row, 1, c, s, normalize)
            kernels.fwht_parallel(row, 2, c, s, normalize)
    else:
        kernels.fwht_parallel(w2, 0, c, s, normalize)
    if work is out:
        return out
    result = work if last else np.moveaxis(work, -1, axis)
    if out is not None:
        out[...] = result
        return out
    return result
