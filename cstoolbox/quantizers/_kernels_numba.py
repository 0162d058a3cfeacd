"""Numba kernels behind cstoolbox.quantizers (private; inputs are trusted).

Conventions shared by every kernel
----------------------------------
* ``y`` is a C-contiguous 2-D array (rows = signals, quantized along axis 1), float32 or
  float64; ``q`` (and ``u`` when requested) have the same dtype; arithmetic is float64.
* The recursion runs in units of the step: ``w = rho / s``; the quantized value in units is
  ``qs = k - (K - 1/2)`` with code ``k = clip(floor(w) + K, 0, levels - 1)``, so the state in
  units is ``w - qs`` and ``|w - qs| <= 1/2`` whenever the quantizer is not overloaded.
  Output values are ``qs * s`` and ``u = (w - qs) * s``.
* ``codes`` / ``u`` are written only when ``want_codes`` / ``want_state``; otherwise a
  dummy ``(0, 0)`` array is passed.
* ``umax[row]`` receives max |state| of the row in units of the step (the caller scales
  it), used for the stability warning.
* Rows are distributed over threads with ``prange``; inside a row, the sequential
  recursions keep their state in scalars (registers).
"""
import numpy as np

from .._jit import njit, prange

# ----------------------------------------------------------------------------------------
# memoryless
# ----------------------------------------------------------------------------------------


@njit(parallel=True)
def msq_kernel(y, step, K, kmax, q, codes, want_codes):
    """Nearest-level quantization of a flat array (1-D), ties upward."""
    n = y.shape[0]
    kh = K - 0.5
    nchunk = (n + 65535) // 65536
    for c in prange(nchunk):
        lo = c * 65536
        hi = min(n, lo + 65536)
        if want_codes:
            for i in range(lo, hi):
                t = np.floor(y[i] / step) + K
                t = min(max(t, 0.0), kmax)
                q[i] = (t - kh) * step
                codes[i] = np.int64(t)
        else:
            for i in range(lo, hi):
                t = np.floor(y[i] / step) + K
                t = min(max(t, 0.0), kmax)
                q[i] = (t - kh) * step


@njit(parallel=True)
def stochastic_kernel(y, rand, step, K, kmax, q, codes, want_codes):
    """Unbiased rounding to one of the two neighbouring levels (flat 1-D arrays)."""
    n = y.shape[0]
    kh = K - 0.5
    nchunk = (n + 65535) // 65536
    for c in prange(nchunk):
        lo = c * 65536
        hi = min(n, lo + 65536)
        for i in range(lo, hi):
            t = y[i] / step + kh          # continuous level index
            if t <= 0.0:
                k = 0.0
            elif t >= kmax:
                k = kmax
            else:
                k = np.floor(t)
                if rand[i] < t - k:
                    k += 1.0
            q[i] = (k - kh) * step
            if want_codes:
                codes[i] = np.int64(k)


# ----------------------------------------------------------------------------------------
# greedy Sigma-Delta
# ----------------------------------------------------------------------------------------


@njit(parallel=True)
def sigma_delta_1_kernel(y, step, K, kmax, q, codes, u_out, umax, want_codes, want_state):
    """Greedy first order: w_i = y_i/s + u_{i-1}."""
    n, m = y.shape
    inv = 1.0 / step
    kh = K - 0.5
    one_bit = kmax == 1.0
    for row in prange(n):
        u = 0.0
        mx = 0.0
        if one_bit:
            for i in range(m):
                w = y[row, i] * inv + u
                qs = 0.5 if w >= 0.0 else -0.5
                u = w - qs
                q[row, i] = qs * step
                a = abs(u)
                mx = a if a > mx else mx
                if want_codes:
                    codes[row, i] = 1 if w >= 0.0 else 0
                if want_state:
                    u_out[row, i] = u * step
        else:
            for i in range(m):
                w = y[row, i] * inv + u
                t = np.floor(w) + K
                if t < 0.0:
                    t = 0.0
                elif t > kmax:
                    t = kmax
                qs = t - kh
                u = w - qs
                q[row, i] = qs * step
                a = abs(u)
                mx = a if a > mx else mx
                if want_codes:
                    codes[row, i] = np.int64(t)
                if want_state:
                    u_out[row, i] = u * step
        umax[row] = mx


@njit(parallel=True)
def sigma_delta_2_kernel(y, step, K, kmax, q, codes, u_out, umax, want_codes, want_state):
    """Greedy second order: w_i = y_i/s + 2 u_{i-1} - u_{i-2}."""
    n, m = y.shape
    inv = 1.0 / step
    kh = K - 0.5
    one_bit = kmax == 1.0
    for row in prange(n):
        u1 = 0.0
        u2 = 0.0
        mx = 0.0
        if one_bit:
            for i in range(m):
                w = (y[row, i] * inv - u2) + (u1 + u1)
                qs = 0.5 if w >= 0.0 else -0.5
                u2 = u1
                u1 = w - qs
                q[row, i] = qs * step
                a = abs(u1)
                mx = a if a > mx else mx
                if want_codes:
                    codes[row, i] = 1 if w >= 0.0 else 0
                if want_state:
                    u_out[row, i] = u1 * step
        else:
            for i in range(m):
                w = (y[row, i] * inv - u2) + (u1 + u1)
                t = np.floor(w) + K
                if t < 0.0:
                    t = 0.0
                elif t > kmax:
                    t = kmax
                qs = t - kh
                u2 = u1
                u1 = w - qs
                q[row, i] = qs * step
                a = abs(u1)
                mx = a if a > mx else mx
                if want_codes:
                    codes[row, i] = np.int64(t)
                if want_state:
                    u_out[row, i] = u1 * step
        umax[row] = mx


@njit(parallel=True)
def sigma_delta_r_kernel(y, coef, step, K, kmax, q, codes, u_out, umax, want_codes, want_state):
    """Greedy order r = len(coef): w_i = y_i/s + sum_j coef[j] u_{i-1-j}."""
    n, m = y.shape
    r = coef.shape[0]
    inv = 1.0 / step
    kh = K - 0.5
    for row in prange(n):
        hist = np.zeros(r)            # hist[j] = u_{i-1-j}
        mx = 0.0
        for i in range(m):
            w = y[row, i] * inv
            for j in range(r):
                w += coef[j] * hist[j]
            t = np.floor(w) + K
            if t < 0.0:
                t = 0.0
            elif t > kmax:
                t = kmax
            qs = t - kh
            u = w - qs
            for j in range(r - 1, 0, -1):
                hist[j] = hist[j - 1]
            hist[0] = u
            q[row, i] = qs * step
            a = abs(u)
            mx = a if a > mx else mx
            if want_codes:
                codes[row, i] = np.int64(t)
            if want_state:
                u_out[row, i] = u * step
        umax[row] = mx


# ----------------------------------------------------------------------------------------
# one-bit Deift-Guntuerk-Krahmer filters: v_i = (h*v)_i + y_i - q_i, q_i = sign((h*v)_i + y_i)
# ----------------------------------------------------------------------------------------


@njit(parallel=True)
def dgk_kernel(y, taps, coefs, q, codes, v_out, vmax, want_codes, want_state):
    """Sparse causal filter h = sum_j coefs[j] delta_{taps[j]}, outputs +-1 (ring buffer)."""
    n, m = y.shape
    nt = taps.shape[0]
    size = 1
    while size <= taps[nt - 1]:
        size *= 2
    mask = size - 1
    for row in prange(n):
        buf = np.zeros(size)
        mx = 0.0
        for i in range(m):
            w = y[row, i]
            for j in range(nt):
                w += coefs[j] * buf[(i - taps[j]) & mask]
            qs = 1.0 if w >= 0.0 else -1.0
            v = w - qs
            buf[i & mask] = v
            q[row, i] = qs
            a = abs(v)
            mx = a if a > mx else mx
            if want_codes:
                codes[row, i] = 1 if w >= 0.0 else 0
            if want_state:
                v_out[row, i] = v
        vmax[row] = mx


@njit(parallel=True)
def dgk2_kernel(y, d1, d7, q, codes, v_out, vmax, want_codes, want_state):
    """Order-2 DGK filter h = d1 delta_1 + d7 delta_7 with the history in a ring of 8."""
    n, m = y.shape
    for row in prange(n):
        buf = np.zeros(8)
        v1 = 0.0
        mx = 0.0
        for i in range(m):
            w = (y[row, i] + d7 * buf[(i - 7) & 7]) + d1 * v1
            qs = 1.0 if w >= 0.0 else -1.0
            v1 = w - qs
            buf[i & 7] = v1
            q[row, i] = qs
            a = abs(v1)
            mx = a if a > mx else mx
            if want_codes:
                codes[row, i] = 1 if w >= 0.0 else 0
            if want_state:
                v_out[row, i] = v1
        vmax[row] = mx


# ----------------------------------------------------------------------------------------
# distributed noise shaping (beta encoding), state reset at each block
# ----------------------------------------------------------------------------------------


@njit(parallel=True)
def beta_kernel(y, beta, block, step, K, kmax, q, codes, u_out, umax, want_codes, want_state):
    n, m = y.shape
    inv = 1.0 / step
    kh = K - 0.5
    one_bit = kmax == 1.0
    for row in prange(n):
        mx = 0.0
        for b0 in range(0, m, block):
            u = 0.0
            if one_bit:
                for i in range(b0, b0 + block):
                    w = y[row, i] * inv + beta * u
                    qs = 0.5 if w >= 0.0 else -0.5
                    u = w - qs
                    q[row, i] = qs * step
                    a = abs(u)
                    mx = a if a > mx else mx
                    if want_codes:
                        codes[row, i] = 1 if w >= 0.0 else 0
                    if want_state:
                        u_out[row, i] = u * step
            else:
                for i in range(b0, b0 + block):
                    w = y[row, i] * inv + beta * u
                    t = np.floor(w) + K
                    if t < 0.0:
                        t = 0.0
                    elif t > kmax:
                        t = kmax
                    qs = t - kh
                    u = w - qs
                    q[row, i] = qs * step
                    a = abs(u)
                    mx = a if a > mx else mx
                    if want_codes:
                        codes[row, i] = np.int64(t)
                    if want_state:
                        u_out[row, i] = u * step
        umax[row] = mx
