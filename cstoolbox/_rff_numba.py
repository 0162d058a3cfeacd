"""Fused Numba kernel behind :class:`cstoolbox.rff.QuantizedRFF` (private; inputs are trusted).

One pass over a chunk of the BLAS product ``X W`` does offset + cos (optional) + input scaling +
quantization + condensation and writes the condensed features (and/or the uint8 codes)
directly, so the ``(rows, m)`` feature and quantized arrays of the unfused path are never
materialized.

Layout: the product comes in blocks of ``LANES`` rows, transposed, ``PT[b, i, g] = (X W)[b*LANES
+ g, i]`` (``W^T X_b^T`` by BLAS), so the ``LANES`` independent recursions of a block advance
side by side over the features with contiguous loads: the inner loop over the lanes is
vectorized by LLVM (AVX2/AVX-512), which hides the latency of the sequential recursion along
the features. Each block walks the features in tiles of ``TILE`` (offset + cos into a small
float64 buffer first). Blocks are spread over threads with ``prange`` (``launch`` uses the core's
rule for when threads pay off). Reading rows of ``X W`` directly instead (128 rows 8-16 KiB
apart, no hardware prefetch across pages) was measured 2-3x slower.

Bit-for-bit contract with the unfused path (``cos(XW + xi)`` from the same blocked product in
NumPy, then the core quantizers of :mod:`cstoolbox.quantizers`, then the blockwise condensation
of :mod:`cstoolbox.rff`):

* the offset is added and (for ``apply_cos``) the cosine taken in the input dtype, the input
  scale multiplied in the input dtype (a scale of 1 is exact), and then every recursion runs in
  float64 with the same operations in the same order as the core kernels (``_kernels_numba``);
* the quantized value ``(t + 1/2) s`` is rounded to the output dtype before condensation, and the
  block sums are accumulated in the output dtype in the order ``q_0 v_0 + q_1 v_1 + ...``, as the
  unfused condensation does;
* stochastic rounding uses counter-based uniforms: the uniform of (row, feature ``i``) is the
  ``i``-th output of SplitMix64 started from the row's seed, ``mix64(seed_row + (i + 1) G)``
  (:func:`uniform_bits`), the row seed ``mix64(key ^ row_hash)`` coming from a 64-bit key drawn
  at fit and a hash of the row's values (:func:`row_hashes_dense`, :func:`row_hashes_csr`).
  The unfused path computes the same uniforms with NumPy (``cstoolbox.rff._uniforms_numpy``)
  and feeds them to the core's rounding kernel, so the codes agree bit for bit.

SplitMix64: G. L. Steele Jr., D. Lea, C. H. Flood, "Fast splittable pseudorandom number
generators", OOPSLA 2014; the finalizer constants (``0xBF58476D1CE4E5B9``, ``0x94D049BB133111EB``,
shifts 30/27/31) are those of S. Vigna's reference ``splitmix64.c`` (https://prng.di.unimi.it/),
the generator that seeds xoshiro/xoroshiro.

NumPy's float32 ``cos`` is SIMD-vectorized (about 1 ns a value on this AVX-512 machine, 8x
numba's scalar ``cosf``, and not bitwise equal to it), so for float32 the caller takes the cosine
with NumPy and passes ``apply_cos=False``; NumPy's float64 ``cos`` and numba's are the same libm
routine (17-18 ns a value here, bitwise equal; checked in the tests), so for float64 the cosine is
fused (and runs on the kernel's threads).
"""
import numpy as np

from ._jit import njit, prange

__all__ = ["SCHEMES", "LANES", "quantize_condense", "quantize_condense_serial", "launch",
           "to_blocks", "from_blocks", "mix64", "row_hashes_dense", "row_hashes_csr",
           "row_seeds", "GOLDEN"]

#: scheme ids (the ``scheme`` argument)
SCHEMES = {"sd1": 0, "sd2": 1, "sd3": 2, "dgk": 3, "beta": 4, "msq": 5, "stochastic": 6}

LANES = 128      # rows per group (independent recursions run side by side, SIMD across rows)
TILE = 16        # features per tile

#: SplitMix64's increment (2^64 / golden ratio, odd) and finalizer constants (Vigna's splitmix64.c)
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)


@njit
def mix64(z):
    """SplitMix64's finalizer (a bijection of uint64 with full avalanche)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit
def _entry_hash_fast(j, bits):
    """Hash of one nonzero entry: column ``j``, value with float64 bit pattern ``bits``."""
    return mix64(mix64(bits) ^ (np.uint64(j + 1) * GOLDEN))


@njit
def row_hashes_dense(X, out):
    """out[r] = sum (mod 2^64) over the nonzero entries x = X[r, j] of
    mix64(mix64(bits(float64(x))) ^ (j + 1) G): a 64-bit hash of the row's values (zeros skipped,
    so a CSR row with the same values has the same hash; float32 values hash as their float64)."""
    n, d = X.shape
    tmp = np.empty(1, dtype=np.float64)
    tb = tmp.view(np.uint64)
    for r in range(n):
        h = np.uint64(0)
        for j in range(d):
            x = X[r, j]
            if x != 0:
                tmp[0] = np.float64(x)
                h += _entry_hash_fast(j, tb[0])
        out[r] = h


@njit
def row_hashes_csr(data, indices, indptr, out):
    """:func:`row_hashes_dense` of the rows of a CSR matrix (any index order; explicit zeros
    skipped; duplicates must have been summed by the caller)."""
    tmp = np.empty(1, dtype=np.float64)
    tb = tmp.view(np.uint64)
    for r in range(out.shape[0]):
        h = np.uint64(0)
        for k in range(indptr[r], indptr[r + 1]):
            x = data[k]
            if x != 0:
                tmp[0] = np.float64(x)
                h += _entry_hash_fast(indices[k], tb[0])
        out[r] = h


@njit
def row_seeds(key, hashes, out):
    """Per-row SplitMix64 seeds ``mix64(key ^ mix64(hash))``."""
    for r in range(hashes.shape[0]):
        out[r] = mix64(key ^ mix64(hashes[r]))


@njit
def _write_back(tile, dst, r0, nrows, c0, nc):
    """dst[r0 + g, c0 + c] = tile[c, g] for g < nrows, c < nc: the transposing write-back of a
    tile. A compile-time trip count (full tiles of 16, 8 or 4 columns: lambda = 1, 2, 4) lets
    LLVM vectorize the inner loop (measured 2x faster than the variable-length loop)."""
    if nc == 16:
        for g in range(nrows):
            row = r0 + g
            for c in range(16):
                dst[row, c0 + c] = tile[c, g]
    elif nc == 8:
        for g in range(nrows):
            row = r0 + g
            for c in range(8):
                dst[row, c0 + c] = tile[c, g]
    elif nc == 4:
        for g in range(nrows):
            row = r0 + g
            for c in range(4):
                dst[row, c0 + c] = tile[c, g]
    else:
        for g in range(nrows):
            row = r0 + g
            for c in range(nc):
                dst[row, c0 + c] = tile[c, g]


@njit(nogil=True)
def _group(PT, r0, nrows, offset, apply_cos, scale, scheme, step, K,
           beta, coefs, taps, seeds, ubits, v, out, codes, want_out, want_codes, bad):
    m = PT.shape[1]
    blk = r0 // LANES
    lam = v.shape[0]
    inv = 1.0 / step
    lo = -K
    hi = K - 1.0
    kh = K - 0.5
    kmax = 2.0 * K - 1.0
    buf = np.zeros((TILE, LANES))
    rbuf = np.zeros((TILE, LANES))
    ctile = np.zeros((TILE, LANES), dtype=np.uint8)
    u1 = np.zeros(LANES)
    u2 = np.zeros(LANES)
    u3 = np.zeros(LANES)
    wv = np.zeros(LANES)
    qv = np.zeros(LANES, dtype=v.dtype)     # quantized value rounded to the output dtype
    acc = np.zeros(LANES, dtype=v.dtype)    # block sums in the output dtype
    obuf = np.zeros((TILE, LANES), dtype=v.dtype)   # blocks completed in the current tile
    # DGK ring buffer of the state (taps increasing, last tap < ring size)
    nt = taps.shape[0]
    size = 1
    if scheme == 3:
        while size <= taps[nt - 1]:
            size *= 2
    mask = size - 1
    ring = np.zeros((size, LANES))
    sc = scale[0]                           # input scale in the input dtype
    # stochastic rounding: per-lane SplitMix64 seeds (padding lanes 0), uniforms with ubits bits
    sd = np.zeros(LANES, dtype=np.uint64)
    if scheme == 6:
        for g in range(nrows):
            sd[g] = seeds[r0 + g]
    ushift = np.uint64(64 - ubits)
    uscale = 1.0 / float(np.int64(1) << np.int64(ubits))
    k = 0                                   # position in the current block
    b_next = 0                              # index of the next block to complete
    for i0 in range(0, m, TILE):
        i1 = min(m, i0 + TILE)
        nj = i1 - i0
        # ---- load a transposed tile: offset, cos and scaling in the input dtype
        # (x * sc is exact when sc == 1, so the scaling needs no branch)
        if apply_cos:
            for j in range(nj):
                off = offset[i0 + j]
                for g in range(LANES):
                    buf[j, g] = np.cos(PT[blk, i0 + j, g] + off) * sc
        else:
            for j in range(nj):
                for g in range(LANES):
                    buf[j, g] = PT[blk, i0 + j, g] * sc
        if scheme == 6:
            for j in range(nj):
                ctr = np.uint64(i0 + j + 1) * GOLDEN
                for g in range(LANES):
                    rbuf[j, g] = float(np.int64(mix64(sd[g] + ctr) >> ushift)) * uscale
        nb = 0                              # blocks completed in this tile
        b_first = b_next
        # ---- the recursion, LANES rows side by side
        for j in range(nj):
            i = i0 + j
            if scheme == 0:                      # greedy first order
                for g in range(LANES):
                    w = buf[j, g] * inv + u1[g]
                    t = np.floor(w)
                    t = lo if t < lo else t
                    t = hi if t > hi else t
                    u1[g] = (w - t) - 0.5
                    ctile[j, g] = np.uint8(t + K)
                    qv[g] = (t + 0.5) * step
            elif scheme == 1:                    # greedy second order
                for g in range(LANES):
                    w = (buf[j, g] * inv - u2[g]) + (u1[g] + u1[g])
                    t = np.floor(w)
                    t = lo if t < lo else t
                    t = hi if t > hi else t
                    u2[g] = u1[g]
                    u1[g] = (w - t) - 0.5
                    ctile[j, g] = np.uint8(t + K)
                    qv[g] = (t + 0.5) * step
            elif scheme == 2:                    # greedy third order, coefs (3, -3, 1)
                c0 = coefs[0]
                c1 = coefs[1]
                c2 = coefs[2]
                for g in range(LANES):
                    w = buf[j, g] * inv
                    w += c0 * u1[g]
                    w += c1 * u2[g]
                    w += c2 * u3[g]
                    t = np.floor(w)
                    t = lo if t < lo else t
                    t = hi if t > hi else t
                    u3[g] = u2[g]
                    u2[g] = u1[g]
                    u1[g] = (w - t) - 0.5
                    ctile[j, g] = np.uint8(t + K)
                    qv[g] = (t + 0.5) * step
            elif scheme == 3:                    # one-bit DGK filter, outputs +-1
                for g in range(LANES):
                    wv[g] = buf[j, g]
                for jj in range(nt):             # w = y + sum_j d_j v_{i - n_j}, in this order
                    c = coefs[jj]
                    kr = (i - taps[jj]) & mask
                    for g in range(LANES):
                        wv[g] += c * ring[kr, g]
                kw = i & mask
                for g in range(LANES):
                    w = wv[g]
                    s = 1.0 if w >= 0.0 else -1.0
                    ring[kw, g] = w - s
                    ctile[j, g] = 1 if w >= 0.0 else 0
                    qv[g] = s
            elif scheme == 4:                    # beta encoding, state reset per block
                if k == 0:
                    for g in range(nrows):
                        if not np.isfinite(u1[g]):
                            bad[0] = True
                    for g in range(LANES):
                        u1[g] = 0.0
                for g in range(LANES):
                    w = buf[j, g] * inv + beta * u1[g]
                    t = np.floor(w)
                    t = lo if t < lo else t
                    t = hi if t > hi else t
                    u1[g] = (w - t) - 0.5
                    ctile[j, g] = np.uint8(t + K)
                    qv[g] = (t + 0.5) * step
            elif scheme == 5:                    # MSQ
                for g in range(LANES):
                    t = np.floor(buf[j, g] / step)
                    t = lo if t < lo else t
                    t = hi if t > hi else t
                    ctile[j, g] = np.uint8(t + K)
                    qv[g] = (t + 0.5) * step
            else:                                # stochastic rounding
                for g in range(LANES):
                    t = buf[j, g] / step + kh
                    t = 0.0 if t < 0.0 else t
                    t = kmax if t > kmax else t
                    kk = np.floor(t)
                    kk = kk + 1.0 if rbuf[j, g] < t - kk else kk
                    ctile[j, g] = np.uint8(kk)
                    qv[g] = (kk - kh) * step
            if want_out:
                vk = v[k]
                if k == 0:
                    for g in range(LANES):
                        acc[g] = qv[g] * vk
                else:
                    for g in range(LANES):
                        acc[g] = acc[g] + qv[g] * vk
                if k == lam - 1:
                    for g in range(LANES):
                        obuf[nb, g] = acc[g]
            k += 1
            if k == lam:
                k = 0
                nb += 1
                b_next += 1
        # ---- write the tile back, row by row (contiguous)
        if want_out:
            _write_back(obuf, out, r0, nrows, b_first, nb)
        if want_codes:
            _write_back(ctile, codes, r0, nrows, i0, nj)
    # an unstable recursion that overflowed leaves a non-finite state (inf - inf = NaN sticks)
    for g in range(nrows):
        if not (np.isfinite(u1[g]) and np.isfinite(u2[g]) and np.isfinite(u3[g])):
            bad[0] = True
        if scheme == 3:
            for kk in range(size):
                if not np.isfinite(ring[kk, g]):
                    bad[0] = True


@njit(nogil=True)
def to_blocks(Z, out):
    """out[b, i, g] = Z[b * LANES + g, i], zero padded: rows (rows, m) to the blocked layout,
    in tiles of 64 features (NumPy's transposing copy of large arrays is several times slower)."""
    rows, m = Z.shape
    for blk in range(out.shape[0]):
        r0 = blk * LANES
        nr = min(LANES, rows - r0)
        for i0 in range(0, m, 64):
            i1 = min(m, i0 + 64)
            for g in range(nr):
                for i in range(i0, i1):
                    out[blk, i, g] = Z[r0 + g, i]
            for g in range(nr, LANES):
                for i in range(i0, i1):
                    out[blk, i, g] = 0.0


@njit
def from_blocks(P, out):
    """The inverse of :func:`to_blocks`: out[r, i] = P[r // LANES, i, r % LANES]."""
    rows, m = out.shape
    for blk in range(P.shape[0]):
        r0 = blk * LANES
        nr = min(LANES, rows - r0)
        for i0 in range(0, m, 64):
            i1 = min(m, i0 + 64)
            for g in range(nr):
                for i in range(i0, i1):
                    out[r0 + g, i] = P[blk, i, g]


@njit(nogil=True)
def quantize_condense_serial(PT, n, offset, apply_cos, scale, scheme, step, K, beta, coefs, taps,
                             seeds, ubits, v, out, codes, want_out, want_codes):
    """:func:`quantize_condense` in the calling thread (small chunks, busy machines)."""
    bad = np.zeros(1, dtype=np.bool_)
    for r0 in range(0, n, LANES):
        _group(PT, r0, min(LANES, n - r0), offset, apply_cos, scale, scheme, step, K, beta,
               coefs, taps, seeds, ubits, v, out, codes, want_out, want_codes, bad)
    return bad[0]


@njit(parallel=True)
def quantize_condense(PT, n, offset, apply_cos, scale, scheme, step, K, beta,
                      coefs, taps, seeds, ubits, v, out, codes, want_out, want_codes):
    """Fused offset + cos + quantize + condense over the rows of ``P`` (see the module notes).

    ``scale`` is a one-element array in the dtype of ``P``.
    ``out`` (n, m // len(v)) receives the condensed features (dtype of ``v``) when ``want_out``;
    ``codes`` (n, m) uint8 the level indices when ``want_codes``; ``seeds`` (n,) uint64 the
    per-row SplitMix64 seeds of stochastic rounding (:func:`row_seeds`; unused otherwise) and
    ``ubits`` (53 or 24) the bits of its uniforms. Returns True when a recursion overflowed.
    """
    n_groups = (n + LANES - 1) // LANES
    bad = np.zeros(n_groups, dtype=np.bool_)
    for gi in prange(n_groups):
        r0 = gi * LANES
        nrows = min(LANES, n - r0)
        _group(PT, r0, nrows, offset, apply_cos, scale, scheme, step, K,
               beta, coefs, taps, seeds, ubits, v, out, codes, want_out, want_codes,
               bad[gi:gi + 1])
    return bad.any()


def launch(PT, n, *args):
    """Run the fused kernel on the chunk ``PT`` (features x rows): the prange version over groups
    of ``LANES`` rows when the core's rule (:func:`cstoolbox.quantizers._kernels_numba._parallel_ok`:
    a large chunk, >= 2 numba threads, a thread-safe layer off the main thread) allows it, else the
    serial one."""
    from .quantizers._kernels_numba import _parallel_ok
    if PT.shape[0] > 1 and _parallel_ok(PT.size):
        return quantize_condense(PT, n, *args)
    return quantize_condense_serial(PT, n, *args)
