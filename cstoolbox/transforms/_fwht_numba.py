"""Numba kernels for the Walsh–Hadamard transform (Sylvester order), in place on C-contiguous 2-D
float32/float64 arrays.  Complex input is handled by the caller as a real view (see ``c`` below).

SIMD without a C build
----------------------
The butterflies are written as small numba *intrinsics* that emit LLVM vector IR directly:
64-byte vectors of ``W`` elements (16 float32 or 8 float64: one AVX-512 register, two AVX2 ones),
loaded and stored unaligned, with ``shufflevector`` for the strides inside a vector.  LLVM lowers
them to ``vaddp*/vsubp*/vperm*/vblendp*`` on AVX2/AVX-512 machines and to SSE or NEON elsewhere, so
the kernels do not rely on the auto-vectorizer (which gave up on the small strides, leaving them
scalar, and paid alias checks on every short inner loop).  A 64-byte vector measured 10-25 % faster
for float32 than a 32-byte one on the AVX-512 benchmark machine.

Algorithm (per row of ``N`` real elements, transform ``H_{N/c} ⊗ I_c``)
-----------------------------------------------------------------------
``c = 1`` for real rows; ``c = 2`` for a complex row seen as interleaved (re, im) floats, whose
strides are doubled and which skips the stride-1 stage.  With ``H_N = (H_{N/B} ⊗ I_B)(I_{N/B} ⊗ H_B)``
applied recursively over three levels of the memory hierarchy:

1. *Block* (``B`` elements, 16 KiB, L1): groups of ``G * W`` (``G = 4``) contiguous elements get
   strides ``c .. 2W`` in registers (in-vector shuffles, then a radix-4 across the four vectors);
   then strides ``G*W .. B/2`` by radix-8 (three stages per pass over the block) and one radix-4/2
   pass.
2. *Super-block* (``S`` elements, 512 KiB, L2): strides ``B .. S/2`` on column chunks of ``CH``
   contiguous elements taken from every block, radix-8 across blocks.
3. *Row*: strides ``S .. N/2`` likewise on column chunks of ``CH2`` elements of every super-block.

Rows are processed in parallel (``prange``) for batches; a single long row is split into independent
super-blocks (or blocks) and then into independent column chunks.
"""
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .._jit import njit, prange

__all__ = ["fwht_parallel", "fwht_serial"]

_U = np.uintp  # unsigned indices in the plain loops: no negative-index wraparound checks
_I = np.intp   # wraps constant arguments, which numba would otherwise compile as separate literal signatures
_VBYTES = 64   # bytes per SIMD vector in the intrinsics: W = 16 float32 or 8 float64 elements
_G = 4         # vectors per in-register group (4 W elements: strides c .. 2 W)
# shortest row (in real elements) for the vector kernels: _G * W (64 float32, 32 float64)

# Sizes in bytes, turned into element counts per dtype: chosen by a sweep at n = 2^20 and 2^24 on the
# benchmark machine (32 KiB L1 / 1 MiB L2 per core); neighbouring choices were within ~10 %.
_BLOCK_BYTES = 16 << 10
_SUPER_BYTES = 512 << 10
_CHUNK = 256      # contiguous elements per column chunk in the super-block pass
_CHUNK2 = 512     # ... and in the row pass


def _index(context, builder, sig, args, i):
    return context.cast(builder, args[i], sig.args[i], types.intp)


def _lanes(aty):
    return _VBYTES * 8 // aty.dtype.bitwidth


def _array_parts(context, builder, sig, args):
    aty = sig.args[0]
    ary = context.make_array(aty)(context, builder, args[0])
    vty = ir.VectorType(context.get_data_type(aty.dtype), _lanes(aty))
    return ary.data, vty, aty.dtype.bitwidth // 8


def _butterflies(builder, v):
    """Full radix-len(v) Hadamard butterfly network across a list of vectors (in place)."""
    s = 1
    while s < len(v):
        for k in range(len(v)):
            if not k & s:
                a, b = v[k], v[k + s]
                v[k] = builder.fadd(a, b)
                v[k + s] = builder.fsub(a, b)
        s *= 2


def _make_bfly(radix):
    """Intrinsic ``bf(x, j, h)``: radix-``radix`` butterflies on the W-vectors at x[j + k*h]."""
    @intrinsic
    def bfly(typingctx, x, j, h):
        sig = types.void(x, j, h)

        def codegen(context, builder, sig, args):
            data, vty, align = _array_parts(context, builder, sig, args)
            idx = _index(context, builder, sig, args, 1)
            step = _index(context, builder, sig, args, 2)
            ptrs = []
            for k in range(radix):
                ptrs.append(builder.bitcast(builder.gep(data, [idx]), vty.as_pointer()))
                if k + 1 < radix:
                    idx = builder.add(idx, step)
            v = [builder.load(p, align=align) for p in ptrs]
            _butterflies(builder, v)
            for p, val in zip(ptrs, v):
                builder.store(val, p, align=align)
            return context.get_dummy_value()
        return sig, codegen
    return bfly


def _make_group(c):
    """Intrinsic ``grp(x, j)``: strides c .. G*W/2 of the G*W contiguous elements at x[j]."""
    @intrinsic
    def group(typingctx, x, j):
        sig = types.void(x, j)

        def codegen(context, builder, sig, args):
            data, vty, align = _array_parts(context, builder, sig, args)
            idx = _index(context, builder, sig, args, 1)
            W = _lanes(sig.args[0])
            i32v = ir.VectorType(ir.IntType(32), W)
            ptrs = [builder.bitcast(builder.gep(data, [builder.add(idx, ir.Constant(idx.type, g * W))]),
                                    vty.as_pointer()) for g in range(_G)]
            v = [builder.load(p, align=align) for p in ptrs]
            s = c
            while s < W:  # inside a vector: y[k] = x[k] + x[k^s] (bit s clear), x[k^s] - x[k] (set)
                partner = ir.Constant(i32v, [k ^ s for k in range(W)])
                pick = ir.Constant(i32v, [k if not k & s else W + k for k in range(W)])
                for g in range(_G):
                    p = builder.shuffle_vector(v[g], v[g], partner)
                    v[g] = builder.shuffle_vector(builder.fadd(v[g], p), builder.fsub(p, v[g]), pick)
                s *= 2
            _butterflies(builder, v)  # strides W, 2W across the vectors
            for p, val in zip(ptrs, v):
                builder.store(val, p, align=align)
            return context.get_dummy_value()
        return sig, codegen
    return group


@intrinsic
def _noinline(typingctx):
    """Mark the function being compiled ``noinline`` for LLVM.

    The two big kernels (:func:`_block`, :func:`_columns`) are called from several places; without this
    LLVM inlines and re-optimizes them at every call site.  Measured: ~10 % less first-call compile time,
    no loss of speed (each call does at least a microsecond of work).
    """
    sig = types.void()

    def codegen(context, builder, sig, args):
        builder.function.attributes.add("noinline")
        return context.get_dummy_value()
    return sig, codegen


_bf2 = _make_bfly(2)
_bf4 = _make_bfly(4)
_bf8 = _make_bfly(8)
_group1 = _make_group(1)
_group2 = _make_group(2)


@njit(inline="always")
def _group(x, j, c):
    if c == 1:
        _group1(x, j)
    else:
        _group2(x, j)


@njit(inline="always")
def _width(x):
    """Elements per SIMD vector for this dtype (a compile-time constant)."""
    return _VBYTES // x.itemsize


@njit
def _block(x, lo, size, c):
    """Full transform (strides c .. size/2) of x[lo:lo+size], size >= _G * W, in registers and L1."""
    _noinline()
    W = _width(x)
    for g in range(lo, lo + size, _G * W):
        _group(x, g, c)
    h = _G * W
    while 8 * h <= size:
        for i in range(lo, lo + size, 8 * h):
            for j in range(i, i + h, W):
                _bf8(x, j, h)
        h *= 8
    if 4 * h <= size:
        for i in range(lo, lo + size, 4 * h):
            for j in range(i, i + h, W):
                _bf4(x, j, h)
    elif 2 * h <= size:
        for i in range(lo, lo + size, 2 * h):
            for j in range(i, i + h, W):
                _bf2(x, j, h)


@njit
def _columns(x, lo, size, block, col0, ncols):
    """Strides block .. size/2 of x[lo:lo+size], restricted to columns [col0, col0+ncols) of every block."""
    _noinline()
    W = _width(x)
    h = block
    while 8 * h <= size:
        for a in range(lo, lo + size, 8 * h):
            for k in range(a + col0, a + h, block):
                for j in range(k, k + ncols, W):
                    _bf8(x, j, h)
        h *= 8
    if 4 * h <= size:
        for a in range(lo, lo + size, 4 * h):
            for k in range(a + col0, a + h, block):
                for j in range(k, k + ncols, W):
                    _bf4(x, j, h)
    elif 2 * h <= size:
        for a in range(lo, lo + size, 2 * h):
            for k in range(a + col0, a + h, block):
                for j in range(k, k + ncols, W):
                    _bf2(x, j, h)


@njit(inline="always")
def _sizes(x):
    """(block, super-block) sizes in elements for this dtype."""
    isz = x.itemsize
    return _BLOCK_BYTES // isz, _SUPER_BYTES // isz


@njit
def _super(x, lo, size, c, block):
    """Full transform of x[lo:lo+size] (size >= _G * W): blocks, then the super-block column pass."""
    b = block if size > block else size
    for base in range(lo, lo + size, b):
        _block(x, base, b, c)
    if size > b:
        for col0 in range(0, b, _CHUNK):
            _columns(x, lo, size, b, col0, _I(_CHUNK))


@njit(inline="always")
def _tiny(x, c):
    """Plain radix-2 for rows shorter than _G * W elements."""
    n = _U(x.shape[0])
    h = _U(c)
    while h < n:
        for i in range(0, n, 2 * h):
            for jj in range(i, i + h):
                j = _U(jj)
                a = x[j]
                b = x[j + h]
                x[j] = a + b
                x[j + h] = a - b
        h *= _U(2)


@njit(inline="always")
def _scale(x, s):
    for i in range(x.shape[0]):
        x[_U(i)] *= s


@njit(inline="always")
def _row(x, c, scale, do_scale):
    n = x.shape[0]
    if n < _G * _width(x):
        _tiny(x, c)
    else:
        block, sup = _sizes(x)
        s = sup if n > sup else n
        for lo in range(0, n, s):
            _super(x, lo, s, c, block)
        if n > s:
            for col0 in range(0, s, _CHUNK2):
                _columns(x, _I(0), n, s, col0, _I(_CHUNK2))
    if do_scale:
        _scale(x, scale)


@njit(inline="always")
def _pieces(n, block, sup):
    """Independent pieces of a long row (super-blocks, or blocks when the row is one super-block)."""
    return sup if n > sup else block


@njit(inline="always")
def _ntasks(x, mode):
    n = x.shape[1]
    if mode == 0:
        return x.shape[0]
    block, sup = _sizes(x[0])
    piece = _pieces(n, block, sup)
    if mode == 1:
        return n // piece
    return piece // (_CHUNK2 if n > sup else _CHUNK)


@njit
def _task(x, mode, t, c, scale, do_scale):
    """Task ``t`` of a parallel sweep: mode 0 -> row t; for the single long row x[0] (n >= 2 blocks):
    mode 1 -> full transform of piece t; mode 2 -> the strides >= piece on column chunk t (and its scaling).
    """
    if mode == 0:
        _row(x[t], c, scale, do_scale)
        return
    row = x[0]
    n = row.shape[0]
    block, sup = _sizes(row)
    piece = _pieces(n, block, sup)
    if mode == 1:
        if n > sup:
            _super(row, t * piece, piece, c, block)
        else:
            _block(row, t * piece, piece, c)
        return
    chunk = _CHUNK2 if n > sup else _CHUNK
    col0 = t * chunk
    _columns(row, _I(0), n, piece, col0, chunk)
    if do_scale:
        for k in range(col0, n, piece):
            _scale(row[k:k + chunk], scale)


@njit(parallel=True)
def fwht_parallel(x, mode, c, scale, do_scale):
    """In-place FWHT, tasks in parallel (one ``prange``, so one parallel region to compile).

    mode 0: every row of a C-contiguous 2-D float array.  For a single long row ``x`` of shape (1, n)
    (n >= 2 L1 blocks): mode 1 then mode 2 (independent pieces, then independent column chunks).
    ``c`` is 1 for real rows and 2 for complex rows viewed as interleaved (re, im) pairs.
    """
    for t in prange(_ntasks(x, mode)):
        _task(x, mode, _I(t), c, scale, do_scale)  # prange's index is unsigned: one signature for _task


@njit
def fwht_serial(x, mode, c, scale, do_scale):
    """Same as :func:`fwht_parallel`, tasks in turn without the thread-pool launch (small inputs)."""
    for t in range(_ntasks(x, mode)):
        _task(x, mode, t, c, scale, do_scale)
