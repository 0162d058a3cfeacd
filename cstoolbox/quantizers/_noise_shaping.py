"""Noise-shaping quantizers: greedy Sigma-Delta, stable one-bit Sigma-Delta, beta encoding."""

import functools
import math
import numbers
from fractions import Fraction

import numpy as np
import scipy.sparse as sp

from . import _kernels_numba as _k
from ._alphabet import Alphabet, check_alphabet
from ._common import (
    Batch,
    check_bool,
    check_order,
    check_positive_int,
    code_buffer,
    codes_from_values,
    check_overflow,
    pack_result,
    state_buffer,
    warn_unstable,
)

__all__ = [
    "sigma_delta",
    "one_bit_sigma_delta",
    "beta_encode",
    "stability_bound",
    "difference_matrix",
    "beta_matrix",
    "one_bit_sigma_delta_filter",
]

_DGK_SIGMA = 6  # tap spacing of the Deift-Guntuerk-Krahmer filters: n_j = sigma (j-1)^2 + 1


# ----------------------------------------------------------------------------------------
# filters, matrices and bounds
# ----------------------------------------------------------------------------------------


def _sigma_delta_coefficients(order):
    """c_j = (-1)^(j-1) binom(r, j), j = 1..r: rho_i = y_i + sum_j c_j u_{i-j}."""
    return np.array(
        [(-1) ** (j - 1) * math.comb(order, j) for j in range(1, order + 1)], dtype=np.float64
    )


@functools.lru_cache(maxsize=None)
def _dgk_filter_exact(order):
    taps = [_DGK_SIGMA * j * j + 1 for j in range(order)]
    coefs = []
    for j, nj in enumerate(taps):
        c = Fraction(1)
        for i, ni in enumerate(taps):
            if i != j:
                c *= Fraction(ni, ni - nj)
        coefs.append(c)
    return tuple(taps), tuple(coefs)


def one_bit_sigma_delta_filter(order):
    r"""Taps and coefficients of the stable one-bit ΣΔ filter h of order ``order``.

    Parameters
    ----------
    order : int
        ΣΔ order r >= 1.

    Returns
    -------
    taps : ndarray of int64
        Delays :math:`n_j = \sigma (j-1)^2 + 1`, :math:`\sigma = 6`, j = 1..r.
    coefficients : ndarray of float64
        :math:`d_j = \prod_{i \ne j} n_i / (n_i - n_j)`, so that
        :math:`h = \sum_j d_j \delta_{n_j}`.

    Notes
    -----
    Deift, Güntürk and Krahmer: with these d_j, :math:`\delta_0 - h = (1 - z)^r g(z)`
    (the first r moments of :math:`\delta_0 - h` vanish) and :math:`\|h\|_1 < 2`
    (4/3 for r = 2, 79/54 for r = 3, and below :math:`\cosh(\pi/\sqrt{6}) \approx 1.94` for
    every r), which makes the one-bit scheme stable for
    :math:`\|y\|_\infty \le 2 - \|h\|_1`. r = 1 gives :math:`h = \delta_1`, the greedy
    first-order scheme.

    References
    ----------
    P. Deift, C. S. Güntürk, F. Krahmer, "An optimal family of exponentially accurate
    one-bit Sigma-Delta quantization schemes", Comm. Pure Appl. Math. 64 (2011).

    Examples
    --------
    >>> from cstoolbox.quantizers import one_bit_sigma_delta_filter
    >>> taps, coefs = one_bit_sigma_delta_filter(2)
    >>> taps.tolist(), coefs.round(6).tolist()
    ([1, 7], [1.166667, -0.166667])
    """
    order = check_order(order)
    taps, coefs = _dgk_filter_exact(order)
    return np.array(taps, dtype=np.int64), np.array([float(c) for c in coefs])


def _dgk_input_bound(order):
    _, coefs = _dgk_filter_exact(order)
    return float(2 - sum(abs(c) for c in coefs))


def _check_beta(beta, alphabet=None, name="beta"):
    if isinstance(beta, bool) or not isinstance(beta, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number in (1, 2K], got {beta!r}")
    beta = float(beta)
    upper = 2 * alphabet.K if alphabet is not None else math.inf
    if not math.isfinite(beta) or beta <= 1.0 or beta > upper:
        allowed = (
            f"(1, {upper:g}] (1 < beta <= 2K for an alphabet with {alphabet.levels} levels)"
            if alphabet is not None
            else "(1, inf)"
        )
        raise ValueError(f"{name} must be a finite number in {allowed}, got {beta}")
    return beta


def stability_bound(scheme, alphabet=None, order=None, beta=None):
    r"""Largest :math:`\|y\|_\infty` for which a scheme's state provably stays bounded.

    Parameters
    ----------
    scheme : {"sigma_delta", "one_bit_sigma_delta", "beta", "msq"}
    alphabet : Alphabet, optional
        Default ``Alphabet.one_bit()``. For ``"one_bit_sigma_delta"`` it must have two levels
        (the bound scales with ``step / 2``).
    order : int, optional
        ΣΔ order r (required for the ΣΔ schemes).
    beta : float, optional
        Required for ``"beta"``.

    Returns
    -------
    float
        The input bound; 0.0 when the theory guarantees nothing (greedy ΣΔ with
        :math:`2K < 2^r - 1`).

    Notes
    -----
    The state bound itself is :math:`\|u\|_\infty \le s/2` for every scheme (``1`` for the
    one-bit filters with outputs ±1); the quantizers warn when it is exceeded.

    * greedy ΣΔ of order r: :math:`\|y\|_\infty \le Ks - (2^r-1)s/2` (induction: if
      :math:`|u_{i-j}| \le s/2` then :math:`|\rho_i| \le \|y\|_\infty + (2^r-1)s/2 \le Ks`,
      so Q does not overload and :math:`|u_i| \le s/2`);
    * one-bit DGK filter: :math:`(s/2)(2 - \|h\|_1)` (2/3 for r = 2, about 0.537 for r = 3);
    * beta encoding: :math:`s(K - \beta/2)`;
    * MSQ: :math:`Ks` (no overload, error at most s/2).

    Examples
    --------
    >>> from cstoolbox.quantizers import Alphabet, stability_bound
    >>> stability_bound("sigma_delta", Alphabet.one_bit(), order=1)
    1.0
    >>> round(stability_bound("one_bit_sigma_delta", order=2), 6)
    0.666667
    >>> stability_bound("beta", Alphabet(4, 1.0), beta=1.5)
    1.25
    """
    alphabet = check_alphabet(alphabet)
    s, K = alphabet.step, alphabet.K
    if scheme == "msq":
        return K * s
    if scheme == "sigma_delta":
        if order is None:
            raise ValueError("stability_bound('sigma_delta', ...) needs order")
        order = check_order(order)
        return max(0.0, K * s - (2.0**order - 1) * s / 2)
    if scheme == "one_bit_sigma_delta":
        if alphabet.levels != 2:
            raise ValueError(f"one_bit_sigma_delta needs a two-level alphabet, got {alphabet}")
        if order is None:
            raise ValueError("stability_bound('one_bit_sigma_delta', ...) needs order")
        return s / 2 * _dgk_input_bound(check_order(order))
    if scheme == "beta":
        if beta is None:
            raise ValueError("stability_bound('beta', ...) needs beta")
        beta = _check_beta(beta, alphabet)
        return s * (K - beta / 2)
    raise ValueError(
        f"scheme must be one of 'sigma_delta', 'one_bit_sigma_delta', 'beta', 'msq', got {scheme!r}"
    )


def difference_matrix(m, order=1):
    r"""The m x m matrix :math:`D^r` as a scipy.sparse CSR matrix (banded).

    :math:`D` has 1 on the diagonal and -1 below it, so :math:`(D^r u)_i =
    \sum_{j=0}^{r} (-1)^j \binom{r}{j} u_{i-j}` with :math:`u_{i} = 0` for i < 0.

    Examples
    --------
    >>> from cstoolbox.quantizers import difference_matrix
    >>> difference_matrix(4, 2).toarray()
    array([[ 1.,  0.,  0.,  0.],
           [-2.,  1.,  0.,  0.],
           [ 1., -2.,  1.,  0.],
           [ 0.,  1., -2.,  1.]])
    """
    m = check_positive_int(m, "m")
    order = check_order(order)
    diags = [(-1) ** j * math.comb(order, j) for j in range(min(order, m - 1) + 1)]
    offsets = [-j for j in range(len(diags))]
    return sp.diags(diags, offsets, shape=(m, m), format="csr", dtype=np.float64)


def beta_matrix(m, beta, block_length=None):
    r"""The shaping matrix :math:`I_p \otimes H_\beta` (scipy.sparse CSR, m x m).

    :math:`H_\beta` is ``block_length`` x ``block_length`` with 1 on the diagonal and
    :math:`-\beta` below it; ``block_length`` must divide ``m`` (None: one block).

    Examples
    --------
    >>> from cstoolbox.quantizers import beta_matrix
    >>> beta_matrix(4, 1.5, 2).toarray()
    array([[ 1. ,  0. ,  0. ,  0. ],
           [-1.5,  1. ,  0. ,  0. ],
           [ 0. ,  0. ,  1. ,  0. ],
           [ 0. ,  0. , -1.5,  1. ]])
    """
    m = check_positive_int(m, "m")
    beta = _check_beta(beta)
    lam = m if block_length is None else check_positive_int(block_length, "block_length")
    if m % lam:
        raise ValueError(f"block_length must divide m, got block_length={lam} and m={m}")
    sub = np.full(m - 1, -beta)
    sub[lam - 1 :: lam] = 0.0
    mat = sp.diags([np.ones(m), sub], [0, -1], shape=(m, m), format="csr")
    mat.eliminate_zeros()
    return mat


# ----------------------------------------------------------------------------------------
# quantizers
# ----------------------------------------------------------------------------------------


def sigma_delta(
    y, order=1, alphabet=None, axis=-1, return_codes=False, return_state=False, warn=True
):
    r"""Greedy r-th order Sigma-Delta (ΣΔ) quantization along ``axis``.

    Parameters
    ----------
    y : array_like
        Real signals, any batch shape, quantized along ``axis`` (float32/float64 kept;
        a CuPy input is quantized on the host and moved back).
    order : int, default 1
        The order r, 1 <= r <= 56.
    alphabet : Alphabet, optional
        Default ``Alphabet.one_bit()``.
    axis : int, default -1
        Axis along which each signal runs.
    return_codes, return_state : bool, default False
        Also return the integer codes and/or the state u.
    warn : bool, default True
        Warn (:class:`~cstoolbox.exceptions.QuantizerInstabilityWarning`, with max|u| and
        the bound) when :math:`\|u\|_\infty > s/2`.

    Returns
    -------
    q : ndarray
        Quantized values (same shape and dtype as ``y``).
    codes : ndarray, optional
        Integer codes (``alphabet.code_dtype``), when ``return_codes``.
    u : ndarray, optional
        State, when ``return_state``; :math:`y - q = D^r u` along ``axis``.

    Raises
    ------
    ValueError
        order < 1, NaN/inf, complex input, 0-d input or a bad axis.
    FloatingPointError
        When an unstable recursion overflowed (state inf/NaN): there is no meaningful output.
    TypeError
        Non-integer order, non-numeric input, or an alphabet that is not an :class:`Alphabet`.

    Notes
    -----
    With :math:`u_0 = u_{-1} = \dots = 0`,

    .. math:: \rho_i = y_i + \sum_{j=1}^{r} (-1)^{j-1}\binom{r}{j} u_{i-j},\quad
              q_i = Q(\rho_i),\quad u_i = \rho_i - q_i,

    so that :math:`y - q = D^r u`. The state stays within :math:`s/2` when
    :math:`\|y\|_\infty \le Ks - (2^r-1)s/2` (:func:`stability_bound`); with one bit
    the greedy scheme is provably stable only for r = 1 (use :func:`one_bit_sigma_delta`).
    Condensing blocks with :func:`condensation_operator` then gives an error decaying
    like :math:`\lambda^{-r+1/2}` in the block length.

    References
    ----------
    C. S. Güntürk, "One-bit Sigma-Delta quantization with exponential accuracy", CPAM 2003;
    R. Saab, R. Wang, Ö. Yılmaz, "Quantization of compressive samples with stable and
    robust recovery", ACHA 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.quantizers import Alphabet, sigma_delta, difference_matrix
    >>> y = np.sin(np.linspace(0, 3, 12))
    >>> q, u = sigma_delta(y, order=2, alphabet=Alphabet(8, 0.5), return_state=True)
    >>> D2 = difference_matrix(12, 2)
    >>> bool(np.allclose(y - q, D2 @ u, atol=1e-12)), bool(abs(u).max() <= 0.25)
    (True, True)
    """
    order = check_order(order)
    alphabet = check_alphabet(alphabet)
    return_codes = check_bool(return_codes, "return_codes")
    return_state = check_bool(return_state, "return_state")
    warn = check_bool(warn, "warn")
    batch = Batch(y, axis, "sigma_delta")
    y2 = batch.data
    q = batch.empty()
    codes, kernel_codes = code_buffer(batch, alphabet, return_codes)
    u = state_buffer(batch, return_state)
    umax = np.zeros(y2.shape[0])
    args = (alphabet.step, float(alphabet.K), q, codes, u, umax, kernel_codes, return_state)
    if y2.size:
        if order == 1:
            _k.launch("sigma_delta_1", y2, *args)
        elif order == 2:
            _k.launch("sigma_delta_2", y2, *args)
        else:
            _k.launch("sigma_delta_r", y2, _sigma_delta_coefficients(order), *args)
    check_overflow(umax, q, f"sigma_delta (order {order})")
    if warn:
        warn_unstable(
            umax * alphabet.step,
            alphabet.step / 2,
            f"sigma_delta (order {order}, {alphabet.levels} levels, step {alphabet.step:g})",
            y2,
            stability_bound("sigma_delta", alphabet, order=order),
        )
    if return_codes and not kernel_codes:
        codes = codes_from_values(q, alphabet)
    return pack_result(batch, q, codes, u, return_codes, return_state)


def one_bit_sigma_delta(y, order=2, axis=-1, return_codes=False, return_state=False, warn=True):
    r"""Stable one-bit ΣΔ of order r (Deift–Güntürk–Krahmer filters), outputs ±1.

    Parameters
    ----------
    y : array_like
        Real signals, any batch shape, quantized along ``axis``; stable for
        :math:`\|y\|_\infty \le 2 - \|h\|_1` (2/3 for r = 2, 0.537 for r = 3).
    order : int, default 2
        1 <= r <= 56 (r = 1 is greedy first order; 2 and 3 are the filters of the references,
        higher orders use the same family).
    axis : int, default -1
    return_codes, return_state : bool, default False
        Also return the codes (0 for -1, 1 for +1) and/or the state v.
    warn : bool, default True
        Warn when :math:`\|v\|_\infty > 1`, the bound guaranteed in the stable range.

    Returns
    -------
    q : ndarray
        Values ±1, same shape and dtype as ``y``.
    codes : ndarray of uint8, optional
    v : ndarray, optional
        State; :math:`y - q = (\delta_0 - h) * v` (causal convolution along ``axis``).

    Raises
    ------
    ValueError
        order < 1, NaN/inf, complex or 0-d input, bad axis.

    Notes
    -----
    :math:`q_i = \mathrm{sign}((h*v)_i + y_i)` with sign(0) = +1 and
    :math:`v_i = (h*v)_i + y_i - q_i`, where :math:`h = \sum_j d_j \delta_{n_j}` is given by
    :func:`one_bit_sigma_delta_filter`. Since :math:`\delta_0 - h = (1-z)^r g(z)`, the
    error has the r-th order difference structure :math:`y - q = D^r (g * v)`. Induction:
    if :math:`|v| \le 1` on the past, :math:`|(h*v)_i + y_i| \le \|h\|_1 + \|y\|_\infty \le 2`,
    hence :math:`|v_i| \le 1`.

    References
    ----------
    P. Deift, C. S. Güntürk, F. Krahmer, CPAM 64 (2011); C. S. Güntürk, CPAM 56 (2003).

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.quantizers import one_bit_sigma_delta
    >>> y = 0.5 * np.sin(np.linspace(0, 6, 64))
    >>> q, v = one_bit_sigma_delta(y, order=2, return_state=True)
    >>> sorted(set(q.tolist())), bool(abs(v).max() <= 1)
    ([-1.0, 1.0], True)
    """
    order = check_order(order)
    return_codes = check_bool(return_codes, "return_codes")
    return_state = check_bool(return_state, "return_state")
    warn = check_bool(warn, "warn")
    if order == 1:
        return sigma_delta(
            y,
            1,
            Alphabet.one_bit(),
            axis=axis,
            return_codes=return_codes,
            return_state=return_state,
            warn=warn,
        )
    batch = Batch(y, axis, "one_bit_sigma_delta")
    y2 = batch.data
    q = batch.empty()
    codes, _ = code_buffer(batch, Alphabet.one_bit(), return_codes)
    v = state_buffer(batch, return_state)
    vmax = np.zeros(y2.shape[0])
    taps, coefs = one_bit_sigma_delta_filter(order)
    if y2.size:
        _k.launch("dgk", y2, taps, coefs, q, codes, v, vmax, return_codes, return_state)
    check_overflow(vmax, q, f"one_bit_sigma_delta (order {order})")
    if warn:
        warn_unstable(
            vmax, 1.0, f"one_bit_sigma_delta (order {order})", y2, _dgk_input_bound(order)
        )
    return pack_result(batch, q, codes, v, return_codes, return_state)


def beta_encode(
    y,
    beta,
    block_length=None,
    alphabet=None,
    axis=-1,
    return_codes=False,
    return_state=False,
    warn=True,
):
    r"""Distributed noise shaping (beta encoding) in blocks along ``axis``.

    Parameters
    ----------
    y : array_like
        Real signals, any batch shape (float32/float64 kept).
    beta : float
        :math:`1 < \beta \le 2K`; the state is bounded by s/2 for
        :math:`\|y\|_\infty \le s(K - \beta/2)` (for one bit with s = 2: :math:`2 - \beta`).
    block_length : int, optional
        Block length λ, must divide the length along ``axis`` (None: one block).
    alphabet : Alphabet, optional
        Default ``Alphabet.one_bit()``.
    axis : int, default -1
    return_codes, return_state : bool, default False
    warn : bool, default True
        Warn when :math:`\|u\|_\infty > s/2`.

    Returns
    -------
    q : ndarray
        Quantized values, same shape and dtype as ``y``.
    codes : ndarray, optional
    u : ndarray, optional
        State, reset to 0 at each block start; :math:`y - q = (I_p \otimes H_\beta) u`.

    Raises
    ------
    ValueError
        beta not finite or outside (1, 2K], block_length not dividing the length, NaN/inf,
        complex or 0-d input, bad axis.

    Notes
    -----
    Per block: :math:`q_i = Q(y_i + \beta u_{i-1})`, :math:`u_i = y_i + \beta u_{i-1} - q_i`.
    With :math:`v_\beta = (\beta^{-1}, \dots, \beta^{-\lambda})`,
    :math:`v_\beta^T H_\beta = (0, \dots, 0, \beta^{-\lambda})`, so condensing each block
    with :math:`v_\beta` (:func:`condensation_operator`) leaves an error
    :math:`\beta^{-\lambda} |u_\lambda|`, exponentially small in λ.

    References
    ----------
    E. Chou, C. S. Güntürk, "Distributed noise-shaping quantization: I. Beta duals of finite
    frames and near-optimal quantization of random measurements", Constr. Approx. 44 (2016).

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.quantizers import beta_encode, beta_matrix
    >>> y = np.full(8, 0.3)
    >>> q, u = beta_encode(y, 1.5, block_length=4, return_state=True)
    >>> bool(np.allclose(y - q, beta_matrix(8, 1.5, 4) @ u)), bool(abs(u).max() <= 1)
    (True, True)
    """
    alphabet = check_alphabet(alphabet)
    beta = _check_beta(beta, alphabet)
    return_codes = check_bool(return_codes, "return_codes")
    return_state = check_bool(return_state, "return_state")
    warn = check_bool(warn, "warn")
    batch = Batch(y, axis, "beta_encode")
    y2 = batch.data
    m = batch.length
    lam = m if block_length is None else check_positive_int(block_length, "block_length")
    if m and m % lam:
        raise ValueError(
            f"block_length must divide the length along axis {axis}, "
            f"got block_length={lam} and length {m}"
        )
    q = batch.empty()
    codes, kernel_codes = code_buffer(batch, alphabet, return_codes)
    u = state_buffer(batch, return_state)
    if y2.size:
        # blocks are independent: every block becomes a row of a (n * p, lam) view, so the
        # kernel interleaves four blocks at a time even for a single long signal
        rows = y2.size // lam
        umax = np.zeros(rows)
        _k.launch(
            "beta",
            y2.reshape(rows, lam),
            beta,
            lam,
            alphabet.step,
            float(alphabet.K),
            q.reshape(rows, lam),
            codes.reshape(rows, lam) if kernel_codes else codes,
            u.reshape(rows, lam) if return_state else u,
            umax,
            kernel_codes,
            return_state,
        )
    else:
        umax = np.zeros(0)
    if return_codes and not kernel_codes:
        codes = codes_from_values(q, alphabet)
    check_overflow(umax, q, f"beta_encode (beta {beta:g})")
    if warn:
        warn_unstable(
            umax * alphabet.step,
            alphabet.step / 2,
            f"beta_encode (beta {beta:g}, {alphabet.levels} levels, step {alphabet.step:g})",
            y2,
            stability_bound("beta", alphabet, beta=beta),
        )
    return pack_result(batch, q, codes, u, return_codes, return_state)
