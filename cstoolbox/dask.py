"""Dask helpers: run cstoolbox's batched kernels over a dask array of signals.

A batch of signals is a 2-D array ``X`` of shape ``(batch, n)``: one signal per row. The
helpers partition ``X`` along the batch axis only (every block holds whole signals, so a
quantizer's recursion or an operator never sees a cut signal) and run the in-memory
kernel on each block, on whatever scheduler is active (threads, processes or a
``distributed`` cluster). Results are lazy dask arrays, element for element the same as
the in-memory call on the whole batch.

Needs the optional extra ``dask`` (``pip install 'cstoolbox-noiseshaping[dask]'``); Dask
is imported only when a helper is called.

* :func:`as_signal_array` -- a NumPy/CuPy/dask array as a dask array chunked by rows.
* :func:`map_signals` -- apply ``func(block, *args, **kwargs)`` mapping ``(b, n) -> (b, m)``.
* :func:`quantize` -- ``msq``, ``sigma_delta``, ``one_bit_sigma_delta``, ``beta`` row by row.
* :func:`apply_operator` -- ``Y = X A^T`` (``A @ x`` for every row ``x``), ``A`` shipped once.

Examples
--------
>>> import numpy as np
>>> from cstoolbox.dask import apply_operator
>>> from cstoolbox.operators import GaussianOperator
>>> A = GaussianOperator(16, 64, random_state=0)
>>> X = np.random.default_rng(1).standard_normal((100, 64))
>>> Y = apply_operator(A, X, chunks=25)          # lazy: 4 blocks of 25 signals
>>> Y.shape, Y.numblocks
((100, 16), (4, 1))
>>> bool(np.allclose(Y.compute(), (A @ X.T).T))
True
"""
import numbers

import numpy as np

from cstoolbox.backend import get_array_module

__all__ = ["as_signal_array", "map_signals", "quantize", "apply_operator", "QUANTIZE_METHODS"]

_INSTALL = "pip install 'cstoolbox-noiseshaping[dask]'"

#: ``method`` names accepted by :func:`quantize` -> function of :mod:`cstoolbox.quantizers`.
QUANTIZE_METHODS = {
    "msq": "msq",
    "sigma_delta": "sigma_delta",
    "one_bit_sigma_delta": "one_bit_sigma_delta",
    "beta": "beta_encode",
}


def _require_dask():
    """Import dask and dask.array, or raise an ImportError naming the extra to install."""
    try:
        import dask
        import dask.array as da
    except ImportError as exc:
        raise ImportError(f"cstoolbox.dask needs Dask, which is not installed: {_INSTALL}") from exc
    return dask, da


def _check_chunks(chunks):
    if chunks is None or chunks == "auto":
        return chunks
    if (isinstance(chunks, (numbers.Integral, np.integer)) and not isinstance(chunks, bool)
            and chunks >= 1):
        return int(chunks)
    if isinstance(chunks, tuple) and chunks and all(
            isinstance(c, (numbers.Integral, np.integer)) and c >= 1 for c in chunks):
        return tuple(int(c) for c in chunks)
    raise ValueError(
        "chunks must be None, 'auto', a positive int (signals per block) or a tuple of positive "
        f"block sizes, got {chunks!r}"
    )


def as_signal_array(X, chunks=None):
    """``X`` as a 2-D dask array partitioned along the batch axis only.

    Parameters
    ----------
    X : array_like or dask.array.Array
        Shape ``(batch, n)``, one signal per row (NumPy, CuPy or dask).
    chunks : None, "auto", int or tuple of int
        Signals per block. ``None``: keep a dask array's row blocks (``"auto"`` for an
        in-memory array); an int ``c``: blocks of ``c`` rows; a tuple: explicit block sizes.
        The signal axis is always one block (rechunked if needed).

    Returns
    -------
    dask.array.Array

    Raises
    ------
    ImportError
        Dask is not installed.
    ValueError
        ``X`` is not 2-D, is empty, or ``chunks`` is invalid.

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.dask import as_signal_array
    >>> as_signal_array(np.zeros((10, 8)), chunks=4).chunks
    ((4, 4, 2), (8,))
    """
    _, da = _require_dask()
    chunks = _check_chunks(chunks)
    if not isinstance(X, da.Array):
        xp = get_array_module(X)
        X = xp.asarray(X)
        if X.ndim != 2:
            raise ValueError(
                f"X must be 2-D (batch, n) with one signal per row, got shape {X.shape}")
        X = da.from_array(X, chunks=("auto" if chunks is None else chunks, -1),
                          asarray=False, meta=xp.empty((0, 0), dtype=X.dtype))
    elif X.ndim != 2:
        raise ValueError(f"X must be 2-D (batch, n) with one signal per row, got shape {X.shape}")
    elif chunks is not None:
        X = X.rechunk({0: chunks})
    if any(np.isnan(c) for c in X.shape):
        raise ValueError("X has unknown chunk sizes; call X.compute_chunk_sizes() first")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X is empty (shape {X.shape})")
    if X.numblocks[1] != 1:
        X = X.rechunk({1: -1})
    return X


def _is_literal(value):
    return value is None or isinstance(value, (numbers.Number, str, bytes, bool, np.dtype, type))


def _ship_once(dask, value):
    """Wrap a non-trivial argument as a single graph key so it is sent once, not per task."""
    if dask.is_dask_collection(value):
        raise TypeError(
            "map_signals passes extra arguments unchanged to every block; got a dask collection "
            f"({type(value).__name__}): compute it first, or stack per-signal data into X"
        )
    if _is_literal(value):
        return value
    return dask.delayed(value, pure=False, traverse=False)


def _block_call(block, func, out_length, n_args, kw_names, *values):
    args, kwargs = values[:n_args], dict(zip(kw_names, values[n_args:]))
    out = func(block, *args, **kwargs)
    if getattr(out, "ndim", None) != 2 or out.shape != (block.shape[0], out_length):
        raise ValueError(
            f"map_signals: func must map a (b, n) block to (b, {out_length}), got shape "
            f"{getattr(out, 'shape', type(out).__name__)} for a block of shape {block.shape}"
        )
    return out


def map_signals(func, X, *args, out_length=None, dtype=None, chunks=None, **kwargs):
    """Apply a batched per-block function to every block of signals.

    Parameters
    ----------
    func : callable
        ``func(block, *args, **kwargs)`` maps a ``(b, n)`` block (``b`` signals) to a
        ``(b, m)`` array, treating rows independently (so the result does not depend on
        how the batch is partitioned).
    X : array_like or dask.array.Array
        Shape ``(batch, n)``; see :func:`as_signal_array`.
    *args, **kwargs
        Passed to ``func`` unchanged. Arrays, operators and other non-scalar objects are
        placed in the task graph once (as one ``dask.delayed`` key), so a distributed
        scheduler ships them once per worker instead of once per task.
    out_length : int, optional
        ``m``. With ``dtype``, skips the probe below.
    dtype : dtype, optional
        The output dtype.
    chunks : None, "auto", int or tuple of int
        Row partition (see :func:`as_signal_array`).

    Returns
    -------
    dask.array.Array
        Lazy, shape ``(batch, m)``, chunked like ``X`` along rows.

    Raises
    ------
    ImportError
        Dask is not installed.
    ValueError
        ``X`` not 2-D or empty; ``func`` does not map ``(1, n)`` to a 2-D ``(1, m)`` array
        (also raised inside the computation if a block breaks the rule).
    TypeError
        ``func`` not callable, or a dask collection among the extra arguments.

    Notes
    -----
    Unless both ``out_length`` and ``dtype`` are given, ``m`` and the dtype are inferred by
    calling ``func`` once, eagerly, on a ``(1, n)`` block of zeros of ``X``'s dtype and
    array module; the same call surfaces argument errors at graph-construction time.

    Examples
    --------
    >>> import functools
    >>> import numpy as np
    >>> from cstoolbox.dask import map_signals
    >>> X = np.arange(12.0).reshape(4, 3)
    >>> D = map_signals(functools.partial(np.diff, axis=1), X, chunks=2)
    >>> D.shape, D.compute().tolist()
    ((4, 2), [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]])
    """
    dask, da = _require_dask()
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__}")
    X = as_signal_array(X, chunks)
    xp = get_array_module(X._meta)
    if out_length is None or dtype is None:
        probe = func(xp.zeros((1, X.shape[1]), dtype=X.dtype), *args, **kwargs)
        if getattr(probe, "ndim", None) != 2 or probe.shape[0] != 1:
            raise ValueError(
                "map_signals: func must map a (b, n) block to a 2-D (b, m) array; on a (1, "
                f"{X.shape[1]}) probe it returned {getattr(probe, 'shape', type(probe).__name__)}"
            )
        out_length = probe.shape[1] if out_length is None else out_length
        dtype = probe.dtype if dtype is None else dtype
    if not isinstance(out_length, (numbers.Integral, np.integer)) or out_length < 0:
        raise ValueError(f"out_length must be a non-negative int, got {out_length!r}")
    dtype = np.dtype(dtype)
    # Every shipped object is a top-level argument of the task: a dask.delayed nested in a
    # tuple/dict argument is dropped from the dependencies by dask/distributed 2026.8 when the
    # array went through a rechunk ("lost dependencies" on the first compute).
    names = tuple(kwargs)
    values = [_ship_once(dask, a) for a in args] + [_ship_once(dask, kwargs[k]) for k in names]
    return da.map_blocks(
        _block_call, X, func, int(out_length), len(args), names, *values,
        chunks=(X.chunks[0], (int(out_length),)), dtype=dtype,
        meta=xp.empty((0, 0), dtype=dtype),
    )


# ------------------------------------------------------------------------------ quantize
def _quantize_block(block, fname, flags, params):
    from cstoolbox import quantizers

    result = getattr(quantizers, fname)(block, axis=-1, **flags, **params)
    parts = result if isinstance(result, tuple) else (result,)
    if len(parts) == 1:
        return parts[0]
    xp = get_array_module(block)
    dtype = np.result_type(*(p.dtype for p in parts), np.float64)
    return xp.concatenate([p.astype(dtype, copy=False) for p in parts], axis=1)


def quantize(X, method, return_codes=False, return_state=False, chunks=None, **params):
    """Quantize every row of a batch of signals with a cstoolbox quantizer, block by block.

    Parameters
    ----------
    X : array_like or dask.array.Array
        Shape ``(batch, n)``, one signal per row (quantized along the row).
    method : {"msq", "sigma_delta", "one_bit_sigma_delta", "beta"}
        :func:`cstoolbox.quantizers.msq`, :func:`~cstoolbox.quantizers.sigma_delta`,
        :func:`~cstoolbox.quantizers.one_bit_sigma_delta` or
        :func:`~cstoolbox.quantizers.beta_encode`.
    return_codes, return_state : bool
        Also return the integer codes / the state ``u`` (not for ``"msq"``, which has no
        state), as for the in-memory quantizer.
    chunks : None, "auto", int or tuple of int
        Row partition (see :func:`as_signal_array`).
    **params
        The quantizer's parameters (``alphabet``, ``order``, ``beta``, ``block_length``,
        ``warn``); ``axis`` is fixed to the row axis.

    Returns
    -------
    dask.array.Array or tuple of dask.array.Array
        ``q``, or ``(q, codes)`` / ``(q, u)`` / ``(q, codes, u)``: lazy arrays equal, element
        for element, to the in-memory call ``quantizer(X, axis=-1, ...)``.

    Raises
    ------
    ImportError
        Dask is not installed.
    ValueError
        Unknown method, ``axis`` in ``params``, ``return_state`` with ``"msq"``, and every
        error of the quantizer itself (raised eagerly by a probe on one row of zeros).

    Notes
    -----
    Each row is quantized independently by the numba kernel, so the partition into blocks
    does not change any value. A :class:`~cstoolbox.exceptions.QuantizerInstabilityWarning`
    raised on a worker process stays in that worker's log; to check stability of a
    distributed run, ask for ``return_state=True`` and compare ``abs(u).max()`` with
    :func:`cstoolbox.quantizers.stability_bound`. When codes or states are requested,
    every block returns them side by side as one array that is sliced afterwards (codes
    are exact in float64), so the quantizer runs once per block.

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.dask import quantize
    >>> from cstoolbox.quantizers import sigma_delta
    >>> X = np.random.default_rng(0).uniform(-0.5, 0.5, size=(6, 32))
    >>> q = quantize(X, "sigma_delta", order=1, chunks=4)
    >>> bool(np.array_equal(q.compute(), sigma_delta(X, order=1)))
    True
    """
    _, da = _require_dask()
    if method not in QUANTIZE_METHODS:
        raise ValueError(f"method must be one of {sorted(QUANTIZE_METHODS)}, got {method!r}")
    if "axis" in params:
        raise ValueError("quantize works along the rows of X (axis=-1); do not pass axis")
    if method == "msq" and return_state:
        raise ValueError("msq has no state; return_state=True is for the noise-shaping methods")
    fname = QUANTIZE_METHODS[method]
    flags = {}
    if return_codes:
        flags["return_codes"] = True
    if return_state:
        flags["return_state"] = True
    X = as_signal_array(X, chunks)
    xp = get_array_module(X._meta)

    from cstoolbox import quantizers

    zeros = xp.zeros((1, X.shape[1]), dtype=X.dtype)
    probe = getattr(quantizers, fname)(zeros, axis=-1, **flags, **params)
    parts = probe if isinstance(probe, tuple) else (probe,)
    widths = tuple(int(p.shape[-1]) for p in parts)
    joined = map_signals(_quantize_block, X, fname, flags, params,
                         out_length=sum(widths),
                         dtype=parts[0].dtype if len(parts) == 1 else
                         np.result_type(*(p.dtype for p in parts), np.float64))
    if len(parts) == 1:
        return joined
    outs, start = [], 0
    for p, w in zip(parts, widths):
        outs.append(joined[:, start:start + w].astype(p.dtype))
        start += w
    return tuple(outs)


# ------------------------------------------------------------------------------ operators
def _operator_block(block, A):
    xp = get_array_module(block)
    return xp.ascontiguousarray((A @ block.T).T)


def apply_operator(A, X, chunks=None):
    """Apply a linear operator to every row of a batch of signals: ``Y[i] = A @ X[i]``.

    Parameters
    ----------
    A : cstoolbox LinearOperator or anything :func:`cstoolbox.operators.aslinearoperator` accepts
        Shape ``(m, n)``. It is placed in the task graph once (one ``dask.delayed`` key), so
        a distributed scheduler ships it to each worker once, not with every task.
    X : array_like or dask.array.Array
        Shape ``(batch, n)``.
    chunks : None, "auto", int or tuple of int
        Row partition (see :func:`as_signal_array`).

    Returns
    -------
    dask.array.Array
        Lazy, shape ``(batch, m)``, ``= (A @ X.T).T``; dtype from ``A`` and ``X``.

    Raises
    ------
    ImportError
        Dask is not installed.
    ValueError
        ``X`` not 2-D, or ``X.shape[1] != A.shape[1]``.

    Notes
    -----
    Each block computes ``(A @ B^T)^T`` for its ``(b, n)`` block ``B`` with the operator's
    own batched ``matvec`` on ``b`` columns; per-column results equal the in-memory call up
    to the floating-point summation order that BLAS picks for a different number of
    columns (bit-identical for FFT/FWHT-based operators in practice, ~1e-16 relative for
    dense matrices).

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.dask import apply_operator
    >>> Y = apply_operator(np.eye(3)[:2], np.arange(6.0).reshape(2, 3))
    >>> Y.compute().tolist()
    [[0.0, 1.0], [3.0, 4.0]]
    """
    from cstoolbox.operators import LinearOperator, aslinearoperator

    _require_dask()
    if not isinstance(A, LinearOperator):
        A = aslinearoperator(A)
    X = as_signal_array(X, chunks)
    if X.shape[1] != A.shape[1]:
        raise ValueError(
            f"apply_operator: operator of shape {A.shape} acts on signals of length {A.shape[1]}, "
            f"but the rows of X have length {X.shape[1]}"
        )
    return map_signals(_operator_block, X, A, out_length=A.shape[0], dtype=_probe_dtype(A, X))


def _probe_dtype(A, X):
    """Output dtype of ``A @ x`` for x of X's dtype (one column of zeros through the operator)."""
    xp = get_array_module(X._meta)
    return (A @ xp.zeros((X.shape[1], 1), dtype=X.dtype)).dtype
