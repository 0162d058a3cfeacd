"""Numba kernels behind cstoolbox.quantizers (private; inputs are trusted).

Conventions shared by every kernel
----------------------------------
* ``y`` is a C-contiguous 2-D array (rows = signals, quantized along axis 1), float32 or
  float64; ``q`` (and ``u`` when requested) have the same dtype; arithmetic is float64.
* The recursions run in units of the step: ``w = rho / s``. The level index is
  ``t = clip(floor(w), -K, K-1)`` (for one bit: ``t = 0 if w >= 0 else -1``), the level is
  ``t + 1/2`` (times s), the code is ``t + K`` and the state in units is ``w - t - 1/2``;
  ``|w - t - 1/2| <= 1/2`` whenever the quantizer is not overloaded. The outputs are
  ``q = (t + 1/2) s`` and ``u = (w - t - 1/2) s``.
* ``codes`` / ``u`` are written only when ``want_codes`` / ``want_state``; otherwise a dummy
  ``(0, 0)`` array is passed.
* ``umax[row]`` receives max |state| of the row in units of the step (the caller scales it)
  for the stability warning.
* Speed: a sequential recursion is latency bound (each sample waits for the previous state),
  so rows are processed four at a time with their states in scalar registers: four
  independent dependency chains keep the core busy (about 3-4x the single-row rate).
  Groups of four rows are distributed over threads with ``prange``; leftover rows use the
  single-row loop.
"""

import numba
import numpy as np

from .._jit import njit, parallel_launch_safe, prange


@njit
def _level(w, lo, hi, one_bit):
    """Level index t of w (in units of the step): floor(w) clipped to [lo, hi]; sign for one bit."""
    if one_bit:
        return 0.0 if w >= 0.0 else -1.0
    t = np.floor(w)
    if t < lo:
        return lo
    if t > hi:
        return hi
    return t


# ----------------------------------------------------------------------------------------
# memoryless
# ----------------------------------------------------------------------------------------


@njit
def msq_serial(y, step, K, q, codes, want_codes):
    """Nearest-level quantization of a flat array (1-D), ties upward; one thread."""
    lo = -K
    hi = K - 1.0
    for i in range(y.shape[0]):
        t = np.floor(y[i] / step)
        t = lo if t < lo else t
        t = hi if t > hi else t
        q[i] = (t + 0.5) * step
    if want_codes:
        for i in range(y.shape[0]):
            t = np.floor(y[i] / step)
            t = lo if t < lo else t
            t = hi if t > hi else t
            codes[i] = np.int64(t + K)


@njit(parallel=True)
def msq_parallel(y, step, K, q, codes, want_codes):
    """Same as :func:`msq_serial`, vectorized loops spread over the numba threads."""
    n = y.shape[0]
    lo = -K
    hi = K - 1.0
    for i in prange(n):
        t = np.floor(y[i] / step)
        t = lo if t < lo else t
        t = hi if t > hi else t
        q[i] = (t + 0.5) * step
    if want_codes:
        for i in prange(n):
            t = np.floor(y[i] / step)
            t = lo if t < lo else t
            t = hi if t > hi else t
            codes[i] = np.int64(t + K)


@njit
def stochastic_serial(y, rand, step, K, q, codes, want_codes):
    """Unbiased rounding to one of the two neighbouring levels (flat 1-D arrays), one thread."""
    n = y.shape[0]
    kh = K - 0.5
    kmax = 2.0 * K - 1.0
    for i in range(n):
        t = y[i] / step + kh  # continuous level index, in [0, 2K-1] inside the range
        t = 0.0 if t < 0.0 else t
        t = kmax if t > kmax else t
        k = np.floor(t)
        k = k + 1.0 if rand[i] < t - k else k
        q[i] = (k - kh) * step
        if want_codes:
            codes[i] = np.int64(k)


@njit(parallel=True)
def stochastic_parallel(y, rand, step, K, q, codes, want_codes):
    """Same as :func:`stochastic_serial` over the numba threads."""
    n = y.shape[0]
    kh = K - 0.5
    kmax = 2.0 * K - 1.0
    for i in prange(n):
        t = y[i] / step + kh
        t = 0.0 if t < 0.0 else t
        t = kmax if t > kmax else t
        k = np.floor(t)
        k = k + 1.0 if rand[i] < t - k else k
        q[i] = (k - kh) * step
    if want_codes:
        for i in prange(n):
            codes[i] = np.int64((q[i] / step) + kh + 0.25)  # exact level index (q is a level)


# ----------------------------------------------------------------------------------------
# greedy Sigma-Delta, order 1 and 2 (specialized), any order (general)
# ----------------------------------------------------------------------------------------


@njit
def _sd1_row(y, row, inv, step, K, one_bit, q, codes, u_out, want_codes, want_state):
    lo = -K
    hi = K - 1.0
    u = 0.0
    mx = 0.0
    for i in range(y.shape[1]):
        w = y[row, i] * inv + u
        t = _level(w, lo, hi, one_bit)
        u = (w - t) - 0.5
        q[row, i] = (t + 0.5) * step
        mx = max(mx, abs(u))
        if want_codes:
            codes[row, i] = np.int64(t + K)
        if want_state:
            u_out[row, i] = u * step
    return mx


@njit
def _sd1_rows4(y, r, inv, step, K, one_bit, q, codes, u_out, umax, want_codes, want_state):
    lo = -K
    hi = K - 1.0
    u0 = u1 = u2 = u3 = 0.0
    m0 = m1 = m2 = m3 = 0.0
    for i in range(y.shape[1]):
        w0 = y[r, i] * inv + u0
        w1 = y[r + 1, i] * inv + u1
        w2 = y[r + 2, i] * inv + u2
        w3 = y[r + 3, i] * inv + u3
        t0 = _level(w0, lo, hi, one_bit)
        t1 = _level(w1, lo, hi, one_bit)
        t2 = _level(w2, lo, hi, one_bit)
        t3 = _level(w3, lo, hi, one_bit)
        u0 = (w0 - t0) - 0.5
        u1 = (w1 - t1) - 0.5
        u2 = (w2 - t2) - 0.5
        u3 = (w3 - t3) - 0.5
        q[r, i] = (t0 + 0.5) * step
        q[r + 1, i] = (t1 + 0.5) * step
        q[r + 2, i] = (t2 + 0.5) * step
        q[r + 3, i] = (t3 + 0.5) * step
        m0 = max(m0, abs(u0))
        m1 = max(m1, abs(u1))
        m2 = max(m2, abs(u2))
        m3 = max(m3, abs(u3))
        if want_codes:
            codes[r, i] = np.int64(t0 + K)
            codes[r + 1, i] = np.int64(t1 + K)
            codes[r + 2, i] = np.int64(t2 + K)
            codes[r + 3, i] = np.int64(t3 + K)
        if want_state:
            u_out[r, i] = u0 * step
            u_out[r + 1, i] = u1 * step
            u_out[r + 2, i] = u2 * step
            u_out[r + 3, i] = u3 * step
    umax[r] = m0
    umax[r + 1] = m1
    umax[r + 2] = m2
    umax[r + 3] = m3


@njit
def sigma_delta_1_rows(y, r0, r1, step, K, q, codes, u_out, umax, want_codes, want_state):
    """Greedy first order: w_i = y_i/s + u_{i-1}.

    Rows r0..r1-1, four at a time, then the leftovers.
    """
    inv = 1.0 / step
    one_bit = K == 1.0
    r = r0
    while r + 4 <= r1:
        _sd1_rows4(y, r, inv, step, K, one_bit, q, codes, u_out, umax, want_codes, want_state)
        r += 4
    for row in range(r, r1):
        umax[row] = _sd1_row(y, row, inv, step, K, one_bit, q, codes, u_out, want_codes, want_state)


@njit(parallel=True)
def sigma_delta_1_parallel(y, step, K, q, codes, u_out, umax, want_codes, want_state):
    """sigma_delta_1_rows over all rows, groups of four rows spread over the numba threads."""
    n = y.shape[0]
    for g in prange((n + 3) // 4):
        sigma_delta_1_rows(
            y, 4 * g, min(n, 4 * g + 4), step, K, q, codes, u_out, umax, want_codes, want_state
        )


@njit
def _sd2_row(y, row, inv, step, K, one_bit, q, codes, u_out, want_codes, want_state):
    lo = -K
    hi = K - 1.0
    u1 = 0.0
    u2 = 0.0
    mx = 0.0
    for i in range(y.shape[1]):
        w = (y[row, i] * inv - u2) + (u1 + u1)
        t = _level(w, lo, hi, one_bit)
        u2 = u1
        u1 = (w - t) - 0.5
        q[row, i] = (t + 0.5) * step
        mx = max(mx, abs(u1))
        if want_codes:
            codes[row, i] = np.int64(t + K)
        if want_state:
            u_out[row, i] = u1 * step
    return mx


@njit
def _sd2_rows4(y, r, inv, step, K, one_bit, q, codes, u_out, umax, want_codes, want_state):
    lo = -K
    hi = K - 1.0
    a0 = a1 = a2 = a3 = 0.0  # u_{i-1}
    b0 = b1 = b2 = b3 = 0.0  # u_{i-2}
    m0 = m1 = m2 = m3 = 0.0
    for i in range(y.shape[1]):
        w0 = (y[r, i] * inv - b0) + (a0 + a0)
        w1 = (y[r + 1, i] * inv - b1) + (a1 + a1)
        w2 = (y[r + 2, i] * inv - b2) + (a2 + a2)
        w3 = (y[r + 3, i] * inv - b3) + (a3 + a3)
        t0 = _level(w0, lo, hi, one_bit)
        t1 = _level(w1, lo, hi, one_bit)
        t2 = _level(w2, lo, hi, one_bit)
        t3 = _level(w3, lo, hi, one_bit)
        b0 = a0
        b1 = a1
        b2 = a2
        b3 = a3
        a0 = (w0 - t0) - 0.5
        a1 = (w1 - t1) - 0.5
        a2 = (w2 - t2) - 0.5
        a3 = (w3 - t3) - 0.5
        q[r, i] = (t0 + 0.5) * step
        q[r + 1, i] = (t1 + 0.5) * step
        q[r + 2, i] = (t2 + 0.5) * step
        q[r + 3, i] = (t3 + 0.5) * step
        m0 = max(m0, abs(a0))
        m1 = max(m1, abs(a1))
        m2 = max(m2, abs(a2))
        m3 = max(m3, abs(a3))
        if want_codes:
            codes[r, i] = np.int64(t0 + K)
            codes[r + 1, i] = np.int64(t1 + K)
            codes[r + 2, i] = np.int64(t2 + K)
            codes[r + 3, i] = np.int64(t3 + K)
        if want_state:
            u_out[r, i] = a0 * step
            u_out[r + 1, i] = a1 * step
            u_out[r + 2, i] = a2 * step
            u_out[r + 3, i] = a3 * step
    umax[r] = m0
    umax[r + 1] = m1
    umax[r + 2] = m2
    umax[r + 3] = m3


@njit
def sigma_delta_2_rows(y, r0, r1, step, K, q, codes, u_out, umax, want_codes, want_state):
    """Greedy second order: w_i = y_i/s + 2 u_{i-1} - u_{i-2}.

    Rows r0..r1-1, four at a time, then the leftovers.
    """
    inv = 1.0 / step
    one_bit = K == 1.0
    r = r0
    while r + 4 <= r1:
        _sd2_rows4(y, r, inv, step, K, one_bit, q, codes, u_out, umax, want_codes, want_state)
        r += 4
    for row in range(r, r1):
        umax[row] = _sd2_row(y, row, inv, step, K, one_bit, q, codes, u_out, want_codes, want_state)


@njit(parallel=True)
def sigma_delta_2_parallel(y, step, K, q, codes, u_out, umax, want_codes, want_state):
    """sigma_delta_2_rows over all rows, groups of four rows spread over the numba threads."""
    n = y.shape[0]
    for g in prange((n + 3) // 4):
        sigma_delta_2_rows(
            y, 4 * g, min(n, 4 * g + 4), step, K, q, codes, u_out, umax, want_codes, want_state
        )


@njit
def _sdr_rows4(
    y, r, coef, mask, inv, step, K, one_bit, q, codes, u_out, umax, want_codes, want_state, hist
):
    """Four rows of the order-len(coef) recursion; hist (4, mask+1) is the zeroed ring buffer."""
    lo = -K
    hi = K - 1.0
    order = coef.shape[0]
    m0 = m1 = m2 = m3 = 0.0
    for i in range(y.shape[1]):
        w0 = y[r, i] * inv
        w1 = y[r + 1, i] * inv
        w2 = y[r + 2, i] * inv
        w3 = y[r + 3, i] * inv
        for j in range(order):
            c = coef[j]
            k = (i - 1 - j) & mask
            w0 += c * hist[0, k]
            w1 += c * hist[1, k]
            w2 += c * hist[2, k]
            w3 += c * hist[3, k]
        t0 = _level(w0, lo, hi, one_bit)
        t1 = _level(w1, lo, hi, one_bit)
        t2 = _level(w2, lo, hi, one_bit)
        t3 = _level(w3, lo, hi, one_bit)
        u0 = (w0 - t0) - 0.5
        u1 = (w1 - t1) - 0.5
        u2 = (w2 - t2) - 0.5
        u3 = (w3 - t3) - 0.5
        k = i & mask
        hist[0, k] = u0
        hist[1, k] = u1
        hist[2, k] = u2
        hist[3, k] = u3
        q[r, i] = (t0 + 0.5) * step
        q[r + 1, i] = (t1 + 0.5) * step
        q[r + 2, i] = (t2 + 0.5) * step
        q[r + 3, i] = (t3 + 0.5) * step
        m0 = max(m0, abs(u0))
        m1 = max(m1, abs(u1))
        m2 = max(m2, abs(u2))
        m3 = max(m3, abs(u3))
        if want_codes:
            codes[r, i] = np.int64(t0 + K)
            codes[r + 1, i] = np.int64(t1 + K)
            codes[r + 2, i] = np.int64(t2 + K)
            codes[r + 3, i] = np.int64(t3 + K)
        if want_state:
            u_out[r, i] = u0 * step
            u_out[r + 1, i] = u1 * step
            u_out[r + 2, i] = u2 * step
            u_out[r + 3, i] = u3 * step
    umax[r] = m0
    umax[r + 1] = m1
    umax[r + 2] = m2
    umax[r + 3] = m3


@njit
def sigma_delta_r_rows(y, r0, r1, coef, step, K, q, codes, u_out, umax, want_codes, want_state):
    """Greedy order r = len(coef): w_i = y_i/s + sum_j coef[j] u_{i-1-j}.

    Ring buffers; rows r0..r1-1, four at a time, then the leftovers.
    """
    m = y.shape[1]
    order = coef.shape[0]
    size = 1
    while size <= order:
        size *= 2
    mask = size - 1
    inv = 1.0 / step
    lo = -K
    hi = K - 1.0
    one_bit = K == 1.0
    hist = np.zeros((4, size))  # hist[g, (i - j) & mask] = u_{i-j} of row r + g
    row = r0
    while row + 4 <= r1:
        hist[:, :] = 0.0
        _sdr_rows4(
            y,
            row,
            coef,
            mask,
            inv,
            step,
            K,
            one_bit,
            q,
            codes,
            u_out,
            umax,
            want_codes,
            want_state,
            hist,
        )
        row += 4
    for row in range(row, r1):
        h = hist[0]
        h[:] = 0.0
        mx = 0.0
        for i in range(m):
            w = y[row, i] * inv
            for j in range(order):
                w += coef[j] * h[(i - 1 - j) & mask]
            t = _level(w, lo, hi, one_bit)
            u = (w - t) - 0.5
            h[i & mask] = u
            q[row, i] = (t + 0.5) * step
            mx = max(mx, abs(u))
            if want_codes:
                codes[row, i] = np.int64(t + K)
            if want_state:
                u_out[row, i] = u * step
        umax[row] = mx


@njit(parallel=True)
def sigma_delta_r_parallel(y, coef, step, K, q, codes, u_out, umax, want_codes, want_state):
    """sigma_delta_r_rows, groups of four rows spread over the numba threads."""
    n = y.shape[0]
    for g in prange((n + 3) // 4):
        sigma_delta_r_rows(
            y,
            4 * g,
            min(n, 4 * g + 4),
            coef,
            step,
            K,
            q,
            codes,
            u_out,
            umax,
            want_codes,
            want_state,
        )


# ----------------------------------------------------------------------------------------
# one-bit Deift-Guntuerk-Krahmer filters: v_i = (h*v)_i + y_i - q_i, q_i = sign((h*v)_i + y_i)
# ----------------------------------------------------------------------------------------


@njit
def _dgk_rows4(y, r, taps, coefs, mask, q, codes, v_out, vmax, want_codes, want_state, buf):
    """Four rows of the DGK recursion; buf (4, mask+1) is the zeroed ring buffer."""
    nt = taps.shape[0]
    m0 = m1 = m2 = m3 = 0.0
    for i in range(y.shape[1]):
        w0 = y[r, i]
        w1 = y[r + 1, i]
        w2 = y[r + 2, i]
        w3 = y[r + 3, i]
        for j in range(nt):
            c = coefs[j]
            k = (i - taps[j]) & mask
            w0 += c * buf[0, k]
            w1 += c * buf[1, k]
            w2 += c * buf[2, k]
            w3 += c * buf[3, k]
        s0 = 1.0 if w0 >= 0.0 else -1.0
        s1 = 1.0 if w1 >= 0.0 else -1.0
        s2 = 1.0 if w2 >= 0.0 else -1.0
        s3 = 1.0 if w3 >= 0.0 else -1.0
        v0 = w0 - s0
        v1 = w1 - s1
        v2 = w2 - s2
        v3 = w3 - s3
        k = i & mask
        buf[0, k] = v0
        buf[1, k] = v1
        buf[2, k] = v2
        buf[3, k] = v3
        q[r, i] = s0
        q[r + 1, i] = s1
        q[r + 2, i] = s2
        q[r + 3, i] = s3
        m0 = max(m0, abs(v0))
        m1 = max(m1, abs(v1))
        m2 = max(m2, abs(v2))
        m3 = max(m3, abs(v3))
        if want_codes:
            codes[r, i] = 1 if w0 >= 0.0 else 0
            codes[r + 1, i] = 1 if w1 >= 0.0 else 0
            codes[r + 2, i] = 1 if w2 >= 0.0 else 0
            codes[r + 3, i] = 1 if w3 >= 0.0 else 0
        if want_state:
            v_out[r, i] = v0
            v_out[r + 1, i] = v1
            v_out[r + 2, i] = v2
            v_out[r + 3, i] = v3
    vmax[r] = m0
    vmax[r + 1] = m1
    vmax[r + 2] = m2
    vmax[r + 3] = m3


@njit
def dgk_rows(y, r0, r1, taps, coefs, q, codes, v_out, vmax, want_codes, want_state):
    """Sparse causal filter h = sum_j coefs[j] delta_{taps[j]} (increasing taps), outputs +-1."""
    m = y.shape[1]
    nt = taps.shape[0]
    size = 1
    while size <= taps[nt - 1]:
        size *= 2
    mask = size - 1
    buf4 = np.zeros((4, size))
    row = r0
    while row + 4 <= r1:
        buf4[:, :] = 0.0
        _dgk_rows4(y, row, taps, coefs, mask, q, codes, v_out, vmax, want_codes, want_state, buf4)
        row += 4
    buf = buf4[0]
    for row in range(row, r1):
        buf[:] = 0.0
        mx = 0.0
        for i in range(m):
            w = y[row, i]
            for j in range(nt):
                w += coefs[j] * buf[(i - taps[j]) & mask]
            qs = 1.0 if w >= 0.0 else -1.0
            v = w - qs
            buf[i & mask] = v
            q[row, i] = qs
            mx = max(mx, abs(v))
            if want_codes:
                codes[row, i] = 1 if w >= 0.0 else 0
            if want_state:
                v_out[row, i] = v
        vmax[row] = mx


@njit(parallel=True)
def dgk_parallel(y, taps, coefs, q, codes, v_out, vmax, want_codes, want_state):
    n = y.shape[0]
    for g in prange((n + 3) // 4):
        dgk_rows(
            y, 4 * g, min(n, 4 * g + 4), taps, coefs, q, codes, v_out, vmax, want_codes, want_state
        )


# ----------------------------------------------------------------------------------------
# distributed noise shaping (beta encoding), state reset at each block
# ----------------------------------------------------------------------------------------


@njit
def _beta_row(y, row, beta, block, inv, step, K, one_bit, q, codes, u_out, want_codes, want_state):
    lo = -K
    hi = K - 1.0
    mx = 0.0
    for b0 in range(0, y.shape[1], block):
        u = 0.0
        for i in range(b0, b0 + block):
            w = y[row, i] * inv + beta * u
            t = _level(w, lo, hi, one_bit)
            u = (w - t) - 0.5
            q[row, i] = (t + 0.5) * step
            mx = max(mx, abs(u))
            if want_codes:
                codes[row, i] = np.int64(t + K)
            if want_state:
                u_out[row, i] = u * step
    return mx


@njit
def _beta_rows4(
    y, r, beta, block, inv, step, K, one_bit, q, codes, u_out, umax, want_codes, want_state
):
    lo = -K
    hi = K - 1.0
    m0 = m1 = m2 = m3 = 0.0
    for b0 in range(0, y.shape[1], block):
        u0 = u1 = u2 = u3 = 0.0
        for i in range(b0, b0 + block):
            w0 = y[r, i] * inv + beta * u0
            w1 = y[r + 1, i] * inv + beta * u1
            w2 = y[r + 2, i] * inv + beta * u2
            w3 = y[r + 3, i] * inv + beta * u3
            t0 = _level(w0, lo, hi, one_bit)
            t1 = _level(w1, lo, hi, one_bit)
            t2 = _level(w2, lo, hi, one_bit)
            t3 = _level(w3, lo, hi, one_bit)
            u0 = (w0 - t0) - 0.5
            u1 = (w1 - t1) - 0.5
            u2 = (w2 - t2) - 0.5
            u3 = (w3 - t3) - 0.5
            q[r, i] = (t0 + 0.5) * step
            q[r + 1, i] = (t1 + 0.5) * step
            q[r + 2, i] = (t2 + 0.5) * step
            q[r + 3, i] = (t3 + 0.5) * step
            m0 = max(m0, abs(u0))
            m1 = max(m1, abs(u1))
            m2 = max(m2, abs(u2))
            m3 = max(m3, abs(u3))
            if want_codes:
                codes[r, i] = np.int64(t0 + K)
                codes[r + 1, i] = np.int64(t1 + K)
                codes[r + 2, i] = np.int64(t2 + K)
                codes[r + 3, i] = np.int64(t3 + K)
            if want_state:
                u_out[r, i] = u0 * step
                u_out[r + 1, i] = u1 * step
                u_out[r + 2, i] = u2 * step
                u_out[r + 3, i] = u3 * step
    umax[r] = m0
    umax[r + 1] = m1
    umax[r + 2] = m2
    umax[r + 3] = m3


@njit
def beta_rows(y, r0, r1, beta, block, step, K, q, codes, u_out, umax, want_codes, want_state):
    """Beta encoding per block (state reset): w_i = y_i/s + beta u_{i-1}.

    Rows r0..r1-1, four at a time, then the leftovers.
    """
    inv = 1.0 / step
    one_bit = K == 1.0
    r = r0
    while r + 4 <= r1:
        _beta_rows4(
            y, r, beta, block, inv, step, K, one_bit, q, codes, u_out, umax, want_codes, want_state
        )
        r += 4
    for row in range(r, r1):
        umax[row] = _beta_row(
            y, row, beta, block, inv, step, K, one_bit, q, codes, u_out, want_codes, want_state
        )


@njit(parallel=True)
def beta_parallel(y, beta, block, step, K, q, codes, u_out, umax, want_codes, want_state):
    """beta_rows over all rows, groups of four rows spread over the numba threads."""
    n = y.shape[0]
    for g in prange((n + 3) // 4):
        beta_rows(
            y,
            4 * g,
            min(n, 4 * g + 4),
            beta,
            block,
            step,
            K,
            q,
            codes,
            u_out,
            umax,
            want_codes,
            want_state,
        )


# ----------------------------------------------------------------------------------------
# dispatch
# ----------------------------------------------------------------------------------------

#: below this many samples (or with a single row / one numba thread) the serial kernel runs in
#: the calling thread: waking the thread pool costs more than it saves on small batches.
PARALLEL_MIN_SAMPLES = 1 << 16


def _parallel_ok(size):
    """Use the prange kernels? Large batches only, and from a worker thread only when numba's
    threading layer is thread safe (``parallel_launch_safe``)."""
    if size < PARALLEL_MIN_SAMPLES or numba.get_num_threads() < 2:
        return False
    return parallel_launch_safe()


def launch(name, y, *args):
    """Run kernel ``name`` on the 2-D batch ``y``: ``<name>_parallel(y, *args)`` for large
    batches, else ``<name>_rows(y, 0, n_rows, *args)`` in the calling thread."""
    if y.shape[0] >= 2 and _parallel_ok(y.size):
        _KERNELS[name + "_parallel"](y, *args)
    else:
        _KERNELS[name + "_rows"](y, 0, y.shape[0], *args)


def launch_flat(name, y, *args):
    """Elementwise kernels on a flat array: ``<name>_parallel`` or ``<name>_serial``."""
    if _parallel_ok(y.size):
        _KERNELS[name + "_parallel"](y, *args)
    else:
        _KERNELS[name + "_serial"](y, *args)


_KERNELS = {k: v for k, v in globals().items() if k.endswith(("_rows", "_parallel", "_serial"))}
