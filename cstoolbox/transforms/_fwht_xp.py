"""Array-API Walsh–Hadamard transform used for CuPy inputs (radix-4 reshape butterflies).

Written only with operations NumPy and CuPy share, so the same code is tested on the CPU with NumPy
(``tests/test_transforms.py``) and runs unchanged on the GPU: each pass reads and writes the array
once and performs two butterfly stages (radix 4), so a length-n transform takes ceil(log4 n) passes.
"""

__all__ = ["fwht_xp"]


def fwht_xp(x, xp, axis, scale, normalize, out):
    """FWHT of ``x`` (array of module ``xp``) along ``axis``; returns a new array or fills ``out``."""
    moved = xp.moveaxis(x, axis, -1)
    n = moved.shape[-1]
    y = xp.ascontiguousarray(moved).reshape(-1, n)
    b = y.shape[0]
    h = 1
    while 4 * h <= n:
        v = y.reshape(b, n // (4 * h), 4, h)
        a0, a1, a2, a3 = v[:, :, 0], v[:, :, 1], v[:, :, 2], v[:, :, 3]
        s0, d0, s1, d1 = a0 + a1, a0 - a1, a2 + a3, a2 - a3
        y = xp.stack((s0 + s1, d0 + d1, s0 - s1, d0 - d1), axis=2).reshape(b, n)
        h *= 4
    if 2 * h <= n:
        v = y.reshape(b, n // (2 * h), 2, h)
        y = xp.stack((v[:, :, 0] + v[:, :, 1], v[:, :, 0] - v[:, :, 1]), axis=2).reshape(b, n)
    if normalize:
        y = y * y.dtype.type(scale)
    result = xp.moveaxis(y.reshape(moved.shape), -1, axis)
    if out is not None:
        out[...] = result
        return out
    return result
