"""Numba kernels for the Walsh–Hadamard transform (Sylvester order), in place on C-contiguous 2-D arrays.

Two cache-aware passes per row (the factorization H_n = (H_{n/B} ⊗ I_B)(I_{n/B} ⊗ H_B)):

1. *Block pass*: every contiguous block of ``B`` elements (L1-sized) gets its full length-``B``
   transform: one radix-8 sweep in registers for the strides 1, 2, 4, then radix-4 sweeps whose inner
   loops run over contiguous memory (LLVM vectorizes them).
2. *Column pass* (only when n > B): the strides B, 2B, ..., n/2 are done on narrow column chunks of
   ``_CHUNK`` contiguous elements taken from every block, so each chunk's working set
   ((n / B) x _CHUNK elements) stays in L2 while all its large-stride stages run; radix-4 again.

Rows are processed in parallel (``prange``) for batches; a single long row is split into independent
blocks (pass 1) and independent column chunks (pass 2).
"""
import numpy as np

from .._jit import njit, prange

# Index arithmetic is done in unsigned integers: numba then drops its negative-index wraparound
# checks and LLVM vectorizes the contiguous inner loops (about 5x faster than signed indexing).
_U = np.uintp

_BLOCK = 2048   # elements per block in pass 1 (16 KiB of float64)
_CHUNK = 64     # contiguous columns per chunk in pass 2 (vector-friendly inner loops)


@njit(inline="always")
def _radix8(x, lo, hi):
    for ii in range(lo, hi, 8):
        i = _U(ii)
        a0 = x[i]
        a1 = x[i + 1]
        a2 = x[i + 2]
        a3 = x[i + 3]
        a4 = x[i + 4]
        a5 = x[i + 5]
        a6 = x[i + 6]
        a7 = x[i + 7]
        b0 = a0 + a1
        b1 = a0 - a1
        b2 = a2 + a3
        b3 = a2 - a3
        b4 = a4 + a5
        b5 = a4 - a5
        b6 = a6 + a7
        b7 = a6 - a7
        c0 = b0 + b2
        c1 = b1 + b3
        c2 = b0 - b2
        c3 = b1 - b3
        c4 = b4 + b6
        c5 = b5 + b7
        c6 = b4 - b6
        c7 = b5 - b7
        x[i] = c0 + c4
        x[i + 1] = c1 + c5
        x[i + 2] = c2 + c6
        x[i + 3] = c3 + c7
        x[i + 4] = c0 - c4
        x[i + 5] = c1 - c5
        x[i + 6] = c2 - c6
        x[i + 7] = c3 - c7


@njit(inline="always")
def _bfly4(x, jj, hh):
    j = _U(jj)
    h = _U(hh)
    j1 = j + h
    j2 = j1 + h
    j3 = j2 + h
    a0 = x[j]
    a1 = x[j1]
    a2 = x[j2]
    a3 = x[j3]
    b0 = a0 + a1
    b1 = a0 - a1
    b2 = a2 + a3
    b3 = a2 - a3
    x[j] = b0 + b2
    x[j1] = b1 + b3
    x[j2] = b0 - b2
    x[j3] = b1 - b3


@njit(inline="always")
def _bfly2(x, jj, hh):
    j = _U(jj)
    j1 = j + _U(hh)
    a = x[j]
    b = x[j1]
    x[j] = a + b
    x[j1] = a - b


@njit(inline="always")
def _block(x, base, size):
    """Full transform of x[base:base+size] (size a power of two)."""
    if size == 2:
        _bfly2(x, base, 1)
        return
    if size == 4:
        _bfly4(x, base, 1)
        return
    _radix8(x, base, base + size)
    h = 8
    while 4 * h <= size:
        for i in range(base, base + size, 4 * h):
            for j in range(i, i + h):
                _bfly4(x, j, h)
        h *= 4
    if 2 * h <= size:
        for i in range(base, base + size, 2 * h):
            for j in range(i, i + h):
                _bfly2(x, j, h)


@njit(inline="always")
def _columns(x, n, block, col0, ncols):
    """Strides block .. n/2 restricted to columns [col0, col0 + ncols) of every block."""
    h = block
    while 4 * h <= n:
        for a in range(0, n, 4 * h):
            for k in range(a, a + h, block):
                for j in range(k + col0, k + col0 + ncols):
                    _bfly4(x, j, h)
        h *= 4
    if 2 * h <= n:
        for a in range(0, n, 2 * h):
            for k in range(a, a + h, block):
                for j in range(k + col0, k + col0 + ncols):
                    _bfly2(x, j, h)


@njit(inline="always")
def _scale(x, n, s):
    for i in range(n):
        x[_U(i)] *= s


@njit(inline="always")
def _row(x, n, scale, do_scale):
    block = _BLOCK if n > _BLOCK else n
    for base in range(0, n, block):
        _block(x, base, block)
    if n > block:
        for col0 in range(0, block, _CHUNK):
            _columns(x, n, block, col0, _CHUNK)
    if do_scale:
        _scale(x, n, scale)


@njit(parallel=True)
def fwht_rows(x, scale, do_scale):
    """In-place FWHT of every row of a C-contiguous 2-D array, rows in parallel."""
    n = x.shape[1]
    for r in prange(x.shape[0]):
        _row(x[r], n, scale, do_scale)


@njit
def fwht_rows_serial(x, scale, do_scale):
    """Same as :func:`fwht_rows` without the thread-pool launch (small inputs)."""
    n = x.shape[1]
    for r in range(x.shape[0]):
        _row(x[r], n, scale, do_scale)


@njit(parallel=True)
def fwht_long(x, scale, do_scale):
    """In-place FWHT of each long row (n > _BLOCK), parallel over blocks and column chunks."""
    n = x.shape[1]
    block = _BLOCK
    nblocks = n // block
    nchunks = block // _CHUNK
    for r in range(x.shape[0]):
        row = x[r]
        for b in prange(nblocks):
            _block(row, b * block, block)
        for c in prange(nchunks):
            _columns(row, n, block, c * _CHUNK, _CHUNK)
        if do_scale:
            for i in prange(n):
                row[_U(i)] *= scale
