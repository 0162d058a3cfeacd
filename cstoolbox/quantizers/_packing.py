"""Bit packing of integer codes (private module behind cstoolbox.quantizers)."""

import numbers

import numpy as np

from ..backend import asnumpy, get_array_module, to_device

__all__ = ["pack_codes", "unpack_codes"]


def _check_bits(bits):
    if isinstance(bits, bool) or not isinstance(bits, (numbers.Integral, np.integer)):
        raise TypeError(f"bits must be an integer in 1..16, got {bits!r}")
    bits = int(bits)
    if not 1 <= bits <= 16:
        raise ValueError(f"bits must be an integer in 1..16, got {bits}")
    return bits


def pack_codes(codes, bits):
    """Pack integer codes along the last axis into a dense uint8 bit stream.

    Parameters
    ----------
    codes : array_like of int, shape (..., n)
        Codes in ``[0, 2**bits)`` (e.g. from a quantizer with ``return_codes=True``).
    bits : int
        Bits per code, 1..16 (``Alphabet.bits``). One-bit codes take 1 bit per sample
        (:func:`numpy.packbits`).

    Returns
    -------
    packed : ndarray of uint8, shape (..., ceil(n * bits / 8))
        Codes written most significant bit first, one after the other; the last byte of each
        row is zero-padded.

    Raises
    ------
    TypeError
        Non-integer codes.
    ValueError
        bits outside 1..16, a code outside ``[0, 2**bits)``, or a 0-d input.

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.quantizers import pack_codes, unpack_codes
    >>> c = np.array([[1, 0, 1, 1, 0, 0, 0, 1, 1]], dtype=np.uint8)
    >>> pack_codes(c, 1)
    array([[177, 128]], dtype=uint8)
    >>> c3 = np.array([5, 0, 7, 2])
    >>> p = pack_codes(c3, 3)
    >>> p.size, unpack_codes(p, 4, 3).tolist()
    (2, [5, 0, 7, 2])
    """
    bits = _check_bits(bits)
    like = codes
    xp = get_array_module(codes)
    c = asnumpy(codes) if xp is not np else np.asarray(codes)
    if c.dtype == np.bool_:
        c = c.view(np.uint8)
    if not np.issubdtype(c.dtype, np.integer):
        raise TypeError(f"codes must be an integer array, got dtype {c.dtype}")
    if c.ndim == 0:
        raise ValueError("codes must have at least one dimension (codes along the last axis)")
    if c.size and (c.min() < 0 or int(c.max()) >= 1 << bits):
        raise ValueError(
            f"codes must lie in [0, 2**bits) = [0, {1 << bits}) for bits={bits}, "
            f"got values in [{c.min()}, {c.max()}]"
        )
    if bits == 1:
        out = np.packbits(c.astype(np.uint8, copy=False), axis=-1)
    elif bits == 8:
        out = c.astype(np.uint8)
    elif bits == 16:
        out = c.astype(">u2").view(np.uint8).reshape(c.shape[:-1] + (2 * c.shape[-1],))
    else:
        c16 = c.astype(np.uint16, copy=False)
        shifts = np.arange(bits - 1, -1, -1, dtype=np.uint16)
        planes = ((c16[..., None] >> shifts) & 1).astype(np.uint8)
        out = np.packbits(planes.reshape(c.shape[:-1] + (c.shape[-1] * bits,)), axis=-1)
    return out if xp is np else to_device(out, like)


def unpack_codes(packed, count, bits):
    """Inverse of :func:`pack_codes`: the first ``count`` codes of each packed row.

    Parameters
    ----------
    packed : array_like of uint8, shape (..., nbytes)
    count : int
        Number of codes per row (n of :func:`pack_codes`); ``count * bits <= 8 * nbytes``.
    bits : int
        Bits per code, 1..16.

    Returns
    -------
    codes : ndarray, shape (..., count)
        uint8 for bits <= 8, uint16 otherwise.

    Raises
    ------
    TypeError
        ``packed`` not uint8.
    ValueError
        bits outside 1..16, negative count, or ``count * bits`` larger than the packed rows.
    """
    bits = _check_bits(bits)
    if (
        isinstance(count, bool)
        or not isinstance(count, (numbers.Integral, np.integer))
        or count < 0
    ):
        raise ValueError(f"count must be a non-negative integer, got {count!r}")
    count = int(count)
    like = packed
    xp = get_array_module(packed)
    p = asnumpy(packed) if xp is not np else np.asarray(packed)
    if p.dtype != np.uint8:
        raise TypeError(f"packed must be a uint8 array (from pack_codes), got dtype {p.dtype}")
    if p.ndim == 0:
        raise ValueError("packed must have at least one dimension")
    if count * bits > 8 * p.shape[-1]:
        raise ValueError(
            f"count={count} codes of {bits} bits need {count * bits} bits per row, "
            f"but the packed rows hold only {8 * p.shape[-1]}"
        )
    if bits == 1:
        out = np.unpackbits(p, axis=-1, count=count)
    elif bits == 8:
        out = p[..., :count].copy()
    elif bits == 16:
        out = np.ascontiguousarray(p[..., : 2 * count]).view(">u2").astype(np.uint16)
    else:
        planes = np.unpackbits(p, axis=-1, count=count * bits).reshape(p.shape[:-1] + (count, bits))
        acc = np.zeros(p.shape[:-1] + (count,), dtype=np.uint16)
        for b in range(bits):
            acc <<= 1
            acc |= planes[..., b]
        out = acc.astype(np.uint8) if bits <= 8 else acc
    return out if xp is np else to_device(out, like)
