"""Numba kernels for the Walsh–Hadamard transform (Sylvester order), in place on C-contiguous 2-D arrays.

Cache-blocked: each row is first transformed block by block (blocks of ``_BLOCK`` elements, which
fit in L1/L2), finishing the first log2(block) stages inside the block; the remaining large strides
are then done with radix-4 passes (two stages per sweep over memory).  Inner loops run over
contiguous memory so LLVM vectorizes them.
"""
from .._jit import njit, prange

_BLOCK = 2048  # elements finished in cache before the large-stride passes


@njit(inline="always")
def _small_stages(x, base, size):
    """All butterfly stages with stride < size on x[base:base+size] (size a power of two)."""
    h = 1
    # radix-4 on the two smallest strides: groups of four contiguous values
    if size >= 4:
        for i in range(base, base + size, 4):
            a0 = x[i]
            a1 = x[i + 1]
            a2 = x[i + 2]
            a3 = x[i + 3]
            b0 = a0 + a1
            b1 = a0 - a1
            b2 = a2 + a3
            b3 = a2 - a3
            x[i] = b0 + b2
            x[i + 1] = b1 + b3
            x[i + 2] = b0 - b2
            x[i + 3] = b1 - b3
        h = 4
    while 4 * h <= size:
        for i in range(base, base + size, 4 * h):
            for j in range(i, i + h):
                a0 = x[j]
                a1 = x[j + h]
                a2 = x[j + 2 * h]
                a3 = x[j + 3 * h]
                b0 = a0 + a1
                b1 = a0 - a1
                b2 = a2 + a3
                b3 = a2 - a3
                x[j] = b0 + b2
                x[j + h] = b1 + b3
                x[j + 2 * h] = b0 - b2
                x[j + 3 * h] = b1 - b3
        h *= 4
    if 2 * h <= size:
        for i in range(base, base + size, 2 * h):
            for j in range(i, i + h):
                a = x[j]
                b = x[j + h]
                x[j] = a + b
                x[j + h] = a - b
    return 0


@njit(inline="always")
def _large_stage4(x, n, h, lo, hi):
    """Radix-4 pass for strides h and 2h over groups [lo, hi) of size 4h."""
    for g in range(lo, hi):
        i = g * 4 * h
        for j in range(i, i + h):
            a0 = x[j]
            a1 = x[j + h]
            a2 = x[j + 2 * h]
            a3 = x[j + 3 * h]
            b0 = a0 + a1
            b1 = a0 - a1
            b2 = a2 + a3
            b3 = a2 - a3
            x[j] = b0 + b2
            x[j + h] = b1 + b3
            x[j + 2 * h] = b0 - b2
            x[j + 3 * h] = b1 - b3
    return 0


@njit(inline="always")
def _large_stage2(x, n, h, lo, hi):
    for g in range(lo, hi):
        i = g * 2 * h
        for j in range(i, i + h):
            a = x[j]
            b = x[j + h]
            x[j] = a + b
            x[j + h] = a - b
    return 0


@njit(inline="always")
def _row(x, n, scale, do_scale):
    block = _BLOCK if n > _BLOCK else n
    for base in range(0, n, block):
        _small_stages(x, base, block)
    h = block
    while 4 * h <= n:
        _large_stage4(x, n, h, 0, n // (4 * h))
        h *= 4
    if 2 * h <= n:
        _large_stage2(x, n, h, 0, n // (2 * h))
    if do_scale:
        for i in range(n):
            x[i] *= scale
    return 0


@njit(parallel=True)
def fwht_rows(x, scale, do_scale):
    """In-place FWHT of every row of a C-contiguous 2-D array, rows in parallel."""
    n = x.shape[1]
    for r in prange(x.shape[0]):
        _row(x[r], n, scale, do_scale)


@njit(parallel=True)
def fwht_long(x, scale, do_scale):
    """In-place FWHT of each (long) row with parallelism inside the row (few rows, large n)."""
    n = x.shape[1]
    block = _BLOCK if n > _BLOCK else n
    nblocks = n // block
    for r in range(x.shape[0]):
        row = x[r]
        for b in prange(nblocks):
            _small_stages(row, b * block, block)
        h = block
        while 4 * h <= n:
            groups = n // (4 * h)
            if groups >= 8:
                for g in prange(groups):
                    _large_stage4(row, n, h, g, g + 1)
            else:
                # few large groups: split each group's j-range across threads
                for g in range(groups):
                    i = g * 4 * h
                    for j in prange(i, i + h):
                        a0 = row[j]
                        a1 = row[j + h]
                        a2 = row[j + 2 * h]
                        a3 = row[j + 3 * h]
                        b0 = a0 + a1
                        b1 = a0 - a1
                        b2 = a2 + a3
                        b3 = a2 - a3
                        row[j] = b0 + b2
                        row[j + h] = b1 + b3
                        row[j + 2 * h] = b0 - b2
                        row[j + 3 * h] = b1 - b3
            h *= 4
        if 2 * h <= n:
            for j in prange(h):
                a = row[j]
                b = row[j + h]
                row[j] = a + b
                row[j + h] = a - b
        if do_scale:
            for i in prange(n):
                row[i] *= scale
