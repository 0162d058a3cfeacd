"""Tests of cstoolbox.quantizers: identities to machine precision first, then properties,
stability bounds and warnings, condensation, packing, and every bad input."""

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp

from cstoolbox.exceptions import QuantizerInstabilityWarning
from cstoolbox.operators import LinearOperator, dottest
from cstoolbox.quantizers import (
    Alphabet,
    CondensationOperator,
    beta_encode,
    beta_matrix,
    condensation_operator,
    condensation_vector,
    difference_matrix,
    msq,
    one_bit_sigma_delta,
    one_bit_sigma_delta_filter,
    pack_codes,
    sigma_delta,
    stability_bound,
    stochastic_round,
    unpack_codes,
)

ALPHABETS = [
    Alphabet.one_bit(),
    Alphabet(4, 0.5),
    Alphabet(16, 0.25),
    Alphabet.normalized(6),
    Alphabet(2, 0.75),
]


def _eps(dtype):
    return np.finfo(dtype).eps


def _along(mat, x, axis):
    """Apply a (sparse) matrix along ``axis`` of x."""
    moved = np.moveaxis(x, axis, -1)
    out = (mat @ moved.reshape(-1, moved.shape[-1]).T).T.reshape(moved.shape)
    return np.moveaxis(out, -1, axis)


# ---------------------------------------------------------------------------------------------
# pure-Python references of the spec's recursions (unscaled arithmetic)
# ---------------------------------------------------------------------------------------------


def _q_ref(v, a):
    """Nearest level by brute force, ties upward."""
    d = np.abs(a.values - v)
    best = np.flatnonzero(d <= d.min() + 1e-12 * a.step)
    return a.values[best[-1]]


def _sigma_delta_ref(y, r, a):
    m = len(y)
    u = np.zeros(m + r)  # u[k + r] = u_k, zeros before the start
    q = np.zeros(m)
    c = [(-1) ** (j - 1) * math.comb(r, j) for j in range(1, r + 1)]
    for i in range(m):
        rho = y[i] + sum(c[j - 1] * u[i + r - j] for j in range(1, r + 1))
        q[i] = _q_ref(rho, a)
        u[i + r] = rho - q[i]
    return q, u[r:]


def _beta_ref(y, beta, lam, a):
    q = np.zeros(len(y))
    u = np.zeros(len(y))
    for i in range(len(y)):
        prev = 0.0 if i % lam == 0 else u[i - 1]
        rho = y[i] + beta * prev
        q[i] = _q_ref(rho, a)
        u[i] = rho - q[i]
    return q, u


# ---------------------------------------------------------------------------------------------
# Alphabet
# ---------------------------------------------------------------------------------------------


def test_alphabet_attributes():
    a = Alphabet(6, 0.5)
    assert a.levels == 6 and a.K == 3 and a.step == 0.5 and len(a) == 6
    np.testing.assert_array_equal(a.values, [-1.25, -0.75, -0.25, 0.25, 0.75, 1.25])
    assert a.max_value == 1.25 and a.bits == 3 and a.code_dtype == np.uint8
    assert Alphabet(2).bits == 1 and Alphabet(4).bits == 2 and Alphabet(256).bits == 8
    assert Alphabet(258).code_dtype == np.uint16 and Alphabet(258).bits == 9
    np.testing.assert_array_equal(Alphabet.one_bit().values, [-1.0, 1.0])
    assert Alphabet.one_bit() == Alphabet() == Alphabet(2, 2.0)
    assert Alphabet(4, 1.0) != Alphabet(4, 0.5) and Alphabet(4, 1.0) != "Alphabet"
    assert hash(Alphabet(4, 1.0)) == hash(Alphabet(4, 1.0))
    assert repr(Alphabet(4, 0.5)) == "Alphabet(levels=4, step=0.5)"
    assert eval(repr(Alphabet(8, 0.25))) == Alphabet(8, 0.25)
    with pytest.raises(ValueError):
        a.values[0] = 3.0  # read-only


@pytest.mark.parametrize("levels", [2, 4, 6, 16])
def test_alphabet_normalized_spans_unit_interval(levels):
    a = Alphabet.normalized(levels)
    assert a.values[0] == pytest.approx(-1.0, abs=1e-15) and a.values[-1] == pytest.approx(
        1.0, abs=1e-15
    )
    np.testing.assert_allclose(np.diff(a.values), a.step)
    assert a.step == pytest.approx(2 / (levels - 1))


@pytest.mark.parametrize("bad", [0, 1, 3, -2, 5])
def test_alphabet_rejects_odd_or_small_levels(bad):
    with pytest.raises(ValueError, match="levels"):
        Alphabet(bad, 1.0)


@pytest.mark.parametrize("bad", [2.5, "4", None, True])
def test_alphabet_rejects_non_integer_levels(bad):
    with pytest.raises(TypeError, match="levels"):
        Alphabet(bad, 1.0)


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf])
def test_alphabet_rejects_bad_step(bad):
    with pytest.raises(ValueError, match="step"):
        Alphabet(4, bad)
    with pytest.raises(TypeError, match="step"):
        Alphabet(4, "1")


@pytest.mark.parametrize("a", ALPHABETS, ids=repr)
def test_quantize_is_nearest_level_ties_upward(a, rng):
    v = np.concatenate(
        [rng.uniform(-2 * a.K * a.step, 2 * a.K * a.step, 500), a.values, [0.0, -0.0]]
    )
    np.testing.assert_array_equal(a.quantize(v), [_q_ref(x, a) for x in v])
    # the spec's formula Q(v) = s floor(v/s) + s/2 clipped, exactly, midpoints included
    v = np.concatenate([v, a.values + a.step / 2, a.values - a.step / 2])
    formula = np.clip(a.step * np.floor(v / a.step) + a.step / 2, -a.max_value, a.max_value)
    np.testing.assert_allclose(a.quantize(v), formula, rtol=0, atol=4 * _eps(np.float64))
    if math.log2(a.step).is_integer():  # exact midpoints: ties go upward
        mid = a.values[:-1] + a.step / 2
        np.testing.assert_array_equal(a.quantize(mid), a.values[1:])


def test_one_bit_sign_of_zero_is_plus_one():
    np.testing.assert_array_equal(
        Alphabet.one_bit().quantize([0.0, -0.0, 1e-300, -1e-300]), [1, 1, 1, -1]
    )
    np.testing.assert_array_equal(Alphabet(2, 0.5).quantize([0.0]), [0.25])


def test_codes_round_trip(rng):
    for a in ALPHABETS + [Alphabet(300, 0.01)]:
        v = rng.uniform(-1.5 * a.K * a.step, 1.5 * a.K * a.step, 300)
        codes = a.to_codes(v)
        assert codes.dtype == a.code_dtype and codes.min() >= 0 and codes.max() < a.levels
        np.testing.assert_array_equal(a.from_codes(codes), a.quantize(v))
        np.testing.assert_array_equal(a.to_codes(a.values), np.arange(a.levels))
    big = Alphabet(1024, 1 / 512)  # uint16 codes
    y = rng.uniform(-1, 1, (5, 40))
    for q, codes in (
        sigma_delta(y, 2, big, return_codes=True),
        beta_encode(y, 1.5, 8, big, return_codes=True),
        stochastic_round(y, big, random_state=0, return_codes=True),
    ):
        assert codes.dtype == np.uint16
        np.testing.assert_array_equal(big.from_codes(codes), q)
    with pytest.raises(ValueError, match="codes must lie"):
        Alphabet(4).from_codes([0, 4])
    with pytest.raises(TypeError, match="integer"):
        Alphabet(4).from_codes([0.5])


# ---------------------------------------------------------------------------------------------
# MSQ and stochastic rounding
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_msq_batch_dtype_codes(dtype, rng):
    a = Alphabet(8, 0.3)
    y = rng.uniform(-2, 2, (3, 4, 5)).astype(dtype)
    q, codes = msq(y, a, return_codes=True)
    assert (
        q.dtype == dtype
        and q.shape == y.shape
        and codes.shape == y.shape
        and codes.dtype == np.uint8
    )
    np.testing.assert_array_equal(q, a.values.astype(dtype)[codes])
    np.testing.assert_array_equal(
        codes, [[[a.to_codes(np.float64(x))[()] for x in r] for r in p] for p in y]
    )
    assert msq(np.arange(3), a).dtype == np.float64  # integers -> float64
    assert np.ndim(msq(0.2, a)) == 0


def test_stochastic_round_is_unbiased_and_neighbouring(rng):
    a = Alphabet(4, 0.5)
    y = np.linspace(-a.max_value, a.max_value, 13)
    n = 20000
    q, codes = stochastic_round(
        np.repeat(y[:, None], n, axis=1), a, random_state=1, return_codes=True
    )
    np.testing.assert_array_equal(q, a.values[codes])
    lower = a.values[np.clip(np.searchsorted(a.values, y, side="right") - 1, 0, a.levels - 1)]
    assert np.all((q >= lower[:, None] - 1e-12) & (q <= lower[:, None] + a.step + 1e-12))
    # Monte-Carlo tolerance: std of the mean <= (s/2)/sqrt(n); allow 5 sigma
    assert np.all(np.abs(q.mean(axis=1) - y) <= 5 * (a.step / 2) / math.sqrt(n))
    # values on a level are reproduced exactly; outside the range: clipped
    np.testing.assert_array_equal(stochastic_round(a.values, a, random_state=0), a.values)
    np.testing.assert_array_equal(
        stochastic_round(np.array([-5.0, 5.0]), a, random_state=0), [-a.max_value, a.max_value]
    )


def test_stochastic_round_determinism_and_dtype(rng):
    y = rng.uniform(-1, 1, (50, 20))
    q1 = stochastic_round(y, random_state=7)
    np.testing.assert_array_equal(q1, stochastic_round(y, random_state=7))
    np.testing.assert_array_equal(q1, stochastic_round(y, random_state=np.random.default_rng(7)))
    assert not np.array_equal(q1, stochastic_round(y, random_state=8))
    q32 = stochastic_round(y.astype(np.float32), Alphabet(4, 0.5), random_state=7)
    assert q32.dtype == np.float32 and set(np.unique(q32)) <= set(
        Alphabet(4, 0.5).values.astype(np.float32)
    )
    with pytest.raises(TypeError, match="random_state"):
        stochastic_round(y, random_state="seed")


# ---------------------------------------------------------------------------------------------
# greedy Sigma-Delta
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("order", [1, 2, 3, 4, 6])
@pytest.mark.parametrize("a", ALPHABETS, ids=repr)
def test_sigma_delta_identity_and_reference(order, a, rng):
    m = 60
    y = rng.uniform(-0.8, 0.8, (5, m)) * a.max_value
    q, codes, u = sigma_delta(y, order, a, return_codes=True, return_state=True, warn=False)
    D = difference_matrix(m, order)
    scale = max(1.0, np.abs(u).max()) * 2**order
    np.testing.assert_allclose(y - q, (D @ u.T).T, rtol=0, atol=20 * _eps(np.float64) * scale)
    np.testing.assert_array_equal(q, a.values[codes])
    if math.log2(a.step).is_integer():  # power-of-two step: kernel arithmetic is exactly the spec's
        for row in range(2):
            q_ref, u_ref = _sigma_delta_ref(y[row], order, a)
            np.testing.assert_array_equal(q[row], q_ref)
            np.testing.assert_allclose(u[row], u_ref, rtol=1e-12, atol=1e-12 * scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("order", [1, 2, 3])
def test_sigma_delta_axes_batches_dtypes(dtype, axis, order, rng):
    a = Alphabet(8, 0.25)
    y = (rng.uniform(-0.3, 0.3, (7, 9, 11))).astype(dtype)
    q, u = sigma_delta(y, order, a, axis=axis, return_state=True)
    assert q.dtype == dtype and u.dtype == dtype and q.shape == y.shape
    D = difference_matrix(y.shape[axis], order)
    lhs = y.astype(np.float64) - q.astype(np.float64)
    rhs = _along(D, u.astype(np.float64), axis)
    np.testing.assert_allclose(lhs, rhs, rtol=0, atol=8 * 2**order * _eps(dtype))
    # each signal is quantized on its own: same answer as the single signal
    moved = np.moveaxis(y, axis, -1)
    one = sigma_delta(moved[4, 2], order, a)
    np.testing.assert_array_equal(np.moveaxis(q, axis, -1)[4, 2], one)


@pytest.mark.parametrize("rows", [1, 2, 3, 4, 5, 7, 8, 9])
def test_row_groups_match_single_rows(rows, rng):
    """The kernels process 4 rows at a time; leftovers go through the single-row loop."""
    y = rng.uniform(-0.4, 0.4, (rows, 33))
    for f in (
        lambda x: sigma_delta(x, 1, Alphabet(4, 0.5), return_codes=True, return_state=True),
        lambda x: sigma_delta(x, 2, return_codes=True, return_state=True, warn=False),
        lambda x: beta_encode(x, 1.5, 11, Alphabet(4, 0.5), return_codes=True, return_state=True),
        lambda x: sigma_delta(x, 3, Alphabet(16, 0.25), return_codes=True, return_state=True),
        lambda x: one_bit_sigma_delta(x, 3, return_codes=True, return_state=True),
    ):
        batch = f(y)
        for r in range(rows):
            single = f(y[r : r + 1])
            for b, s in zip(batch, single):
                np.testing.assert_array_equal(b[r : r + 1], s)


@pytest.mark.parametrize(
    "name",
    [
        "msq",
        "stochastic_round",
        "sigma_delta",
        "sigma_delta_3",
        "one_bit_sigma_delta",
        "beta_encode",
    ],
)
def test_parallel_kernels_match_serial(name, monkeypatch, rng):
    """Batches of >= 2^16 samples run the prange kernels; they must equal the serial ones."""
    from cstoolbox.quantizers import _kernels_numba

    f = {**QUANTIZERS, "sigma_delta_3": lambda y, **k: sigma_delta(y, 3, Alphabet(16, 0.25), **k)}[
        name
    ]
    y = rng.uniform(-0.3, 0.3, (9, 24))
    kw = (
        {"return_codes": True}
        if name in ("msq", "stochastic_round")
        else {"return_codes": True, "return_state": True}
    )
    serial = f(y, **kw)
    monkeypatch.setattr(_kernels_numba, "PARALLEL_MIN_SAMPLES", 0)
    for a, b in zip(f(y, **kw), serial):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("a", [Alphabet(8, 0.5), Alphabet(16, 0.25), Alphabet.one_bit()], ids=repr)
def test_sigma_delta_stable_regime_holds_bound_without_warning(order, a, rng):
    bound = stability_bound("sigma_delta", a, order=order)
    if bound == 0.0:
        pytest.skip("no guaranteed range for this alphabet and order")
    y = rng.uniform(-bound, bound, (20, 500))
    y[0, :] = bound  # the extreme inputs are included
    y[1, :] = -bound
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuantizerInstabilityWarning)
        q, u = sigma_delta(y, order, a, return_state=True)
    assert np.abs(u).max() <= a.step / 2 * (1 + 1e-12)


def test_sigma_delta_unstable_regime_warns():
    # greedy second order with one bit on large inputs blows up
    y = np.full((2, 400), 0.9)
    with pytest.warns(
        QuantizerInstabilityWarning, match=r"max\|u\| = .* exceeds the stability bound 1"
    ):
        q, u = sigma_delta(y, 2, return_state=True)
    assert np.abs(u).max() > 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuantizerInstabilityWarning)
        sigma_delta(y, 2, warn=False)  # silenced


def test_stability_bound_values():
    assert stability_bound("sigma_delta", Alphabet.one_bit(), order=1) == 1.0
    assert stability_bound("sigma_delta", Alphabet.one_bit(), order=2) == 0.0
    assert stability_bound("sigma_delta", Alphabet(8, 0.5), order=2) == 4 * 0.5 - 3 * 0.25
    assert stability_bound("one_bit_sigma_delta", order=1) == pytest.approx(1.0)
    assert stability_bound("one_bit_sigma_delta", order=2) == pytest.approx(2 / 3)
    assert stability_bound("one_bit_sigma_delta", order=3) == pytest.approx(2 - 79 / 54)
    assert stability_bound("one_bit_sigma_delta", order=3) == pytest.approx(0.537, abs=1e-3)
    assert stability_bound("beta", Alphabet.one_bit(), beta=1.5) == pytest.approx(0.5)  # 2 - beta
    assert stability_bound("beta", Alphabet(4, 1.0), beta=1.5) == 1.25
    assert stability_bound("msq", Alphabet(4, 1.0)) == 2.0
    with pytest.raises(ValueError, match="scheme"):
        stability_bound("delta", Alphabet())
    with pytest.raises(ValueError, match="order"):
        stability_bound("sigma_delta", Alphabet())
    with pytest.raises(ValueError, match="beta"):
        stability_bound("beta", Alphabet())
    with pytest.raises(ValueError, match="two-level"):
        stability_bound("one_bit_sigma_delta", Alphabet(4), order=2)


def test_difference_matrix_is_power_of_first_difference():
    D1 = difference_matrix(9, 1).toarray()
    np.testing.assert_array_equal(D1, np.eye(9) - np.eye(9, k=-1))
    for r in range(1, 6):
        Dr = difference_matrix(9, r)
        assert sp.issparse(Dr) and Dr.nnz <= 9 * (r + 1)
        np.testing.assert_array_equal(Dr.toarray(), np.linalg.matrix_power(D1, r))
    assert difference_matrix(2, 5).shape == (2, 2)


# ---------------------------------------------------------------------------------------------
# one-bit Sigma-Delta (DGK filters)
# ---------------------------------------------------------------------------------------------


def test_dgk_filters_match_spec():
    taps, c = one_bit_sigma_delta_filter(2)
    np.testing.assert_array_equal(taps, [1, 7])
    np.testing.assert_allclose(c, [7 / 6, -1 / 6], rtol=1e-15)
    taps, c = one_bit_sigma_delta_filter(3)
    np.testing.assert_array_equal(taps, [1, 7, 25])
    np.testing.assert_allclose(c, [175 / 144, -25 / 108, 7 / 432], rtol=1e-15)
    for r in range(1, 8):
        taps, c = one_bit_sigma_delta_filter(r)
        assert np.abs(c).sum() < 2
        # delta_0 - h = (1 - z)^r g(z): moments j = 0..r-1 of delta_0 - h vanish (exact)
        from cstoolbox.quantizers._noise_shaping import _dgk_filter_exact

        t_exact, c_exact = _dgk_filter_exact(r)
        for j in range(r):
            assert (1 if j == 0 else 0) - sum(
                cc * Fraction(t) ** j for t, cc in zip(t_exact, c_exact)
            ) == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_one_bit_sigma_delta_identity_and_stability(order, dtype, rng):
    bound = stability_bound("one_bit_sigma_delta", order=order)
    y = rng.uniform(-bound, bound, (6, 300)).astype(dtype)
    y[0] = dtype(bound)
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuantizerInstabilityWarning)
        q, codes, v = one_bit_sigma_delta(y, order, return_codes=True, return_state=True)
    assert q.dtype == dtype and set(np.unique(q)) <= {-1.0, 1.0}
    np.testing.assert_array_equal(q, np.where(codes == 1, 1.0, -1.0))
    assert np.abs(v).max() <= 1 + 1e-6
    taps, c = one_bit_sigma_delta_filter(order)
    g = np.zeros(taps[-1] + 1)
    g[0] = 1.0
    g[taps] -= c
    conv = np.array([np.convolve(g, row.astype(np.float64))[:300] for row in v])
    np.testing.assert_allclose(y.astype(np.float64) - q, conv, rtol=0, atol=10 * _eps(dtype))


def test_one_bit_sigma_delta_order1_is_greedy_and_axis(rng):
    y = rng.uniform(-0.9, 0.9, (8, 5))
    np.testing.assert_array_equal(one_bit_sigma_delta(y, 1, axis=0), sigma_delta(y, 1, axis=0))
    q0 = one_bit_sigma_delta(y, 2, axis=0)
    np.testing.assert_array_equal(q0, one_bit_sigma_delta(y.T, 2).T)


def test_one_bit_sigma_delta_unstable_warns():
    y = np.full((1, 500), 0.98)
    with pytest.warns(QuantizerInstabilityWarning, match=r"max\|u\|.*bound 1 .*0\.537"):
        one_bit_sigma_delta(y, 3)


# ---------------------------------------------------------------------------------------------
# beta encoding
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "beta,a",
    [
        (1.5, Alphabet.one_bit()),
        (1.9, Alphabet.one_bit()),
        (3.0, Alphabet(4, 0.5)),
        (1.2, Alphabet.normalized(6)),
    ],
    ids=str,
)
@pytest.mark.parametrize("lam", [1, 5, 20, None])
def test_beta_identity_and_reference(beta, a, lam, dtype, rng):
    m = 40
    bound = stability_bound("beta", a, beta=beta)
    y = rng.uniform(-bound, bound, (6, m)).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuantizerInstabilityWarning)
        q, codes, u = beta_encode(y, beta, lam, a, return_codes=True, return_state=True)
    assert q.dtype == dtype and np.abs(u).max() <= a.step / 2 * (1 + 1e-6)
    H = beta_matrix(m, beta, lam)
    np.testing.assert_allclose(
        y.astype(np.float64) - q,
        (H @ u.astype(np.float64).T).T,
        rtol=0,
        atol=8 * (1 + beta) * a.step * _eps(dtype),
    )
    np.testing.assert_array_equal(q, a.values.astype(dtype)[codes])
    if dtype == np.float64 and math.log2(a.step).is_integer() and beta == 1.5:
        q_ref, u_ref = _beta_ref(y[0], beta, lam or m, a)
        np.testing.assert_array_equal(q[0], q_ref)
        np.testing.assert_allclose(u[0], u_ref, atol=1e-14)


def test_beta_blocks_are_independent_and_axis(rng):
    y = rng.uniform(-0.4, 0.4, (3, 24))
    q = beta_encode(y, 1.6, 6)
    for b in range(4):
        np.testing.assert_array_equal(
            q[:, 6 * b : 6 * b + 6], beta_encode(y[:, 6 * b : 6 * b + 6], 1.6)
        )
    np.testing.assert_array_equal(beta_encode(y.T, 1.6, 6, axis=0), q.T)


def test_beta_matrix_structure():
    H = beta_matrix(6, 1.7, 3).toarray()
    Hb = np.eye(3) - 1.7 * np.eye(3, k=-1)
    np.testing.assert_array_equal(H, np.kron(np.eye(2), Hb))
    with pytest.raises(ValueError, match="block_length must divide"):
        beta_matrix(7, 1.5, 3)


def test_beta_condensation_key_identity(rng):
    lam, beta = 12, 1.7
    v = condensation_vector("beta", lam, beta=beta)
    Hb = beta_matrix(lam, beta).toarray()
    expect = np.zeros(lam)
    expect[-1] = beta**-lam
    np.testing.assert_allclose(v @ Hb, expect, rtol=1e-13, atol=1e-16)
    # so V (y - q) = beta^-lam (u_lam, u_2lam, ...)
    y = rng.uniform(-0.3, 0.3, (4, 5 * lam))
    q, u = beta_encode(y, beta, lam, return_state=True)
    V = condensation_operator("beta", 5 * lam, lam, beta=beta)
    np.testing.assert_allclose(
        V.apply(y - q), beta**-lam * u[:, lam - 1 :: lam], rtol=1e-9, atol=1e-15
    )


def test_overflow_raises_instead_of_nan():
    # |y| far above 2 - beta with a long block: the state grows like beta^k and overflows
    with pytest.raises(FloatingPointError, match="overflowed"):
        beta_encode(np.full((2, 2000), 5.0), 1.9, 2000, warn=False)


def test_beta_unstable_warns():
    with pytest.warns(QuantizerInstabilityWarning, match=r"beta_encode.*max\|u\|"):
        beta_encode(np.full((2, 64), 0.9), 1.9, 32)  # 0.9 > 2 - beta = 0.1


# ---------------------------------------------------------------------------------------------
# condensation
# ---------------------------------------------------------------------------------------------


def test_condensation_vectors():
    np.testing.assert_array_equal(condensation_vector("sigma_delta", 4, order=1), np.ones(4))
    np.testing.assert_array_equal(
        condensation_vector("sigma_delta", 7, order=2), [1, 2, 3, 4, 3, 2, 1]
    )
    np.testing.assert_array_equal(
        condensation_vector("sigma_delta", 7, order=3), [1, 3, 6, 7, 6, 3, 1]
    )
    for r in range(1, 5):
        for t in range(1, 6):
            lam = r * (t - 1) + 1
            v = condensation_vector("sigma_delta", lam, order=r)
            # v(z) (1 - z)^r = (1 - z^t)^r: sparse with l1 norm 2^r
            prod = np.convolve(v, [(-1) ** j * math.comb(r, j) for j in range(r + 1)])
            expect = np.zeros(len(prod))
            for j in range(r + 1):
                expect[j * t] += (-1) ** j * math.comb(r, j)
            np.testing.assert_array_equal(prod, expect)
    with pytest.raises(ValueError, match=r"r\(t-1\)\+1"):
        condensation_vector("sigma_delta", 6, order=2)
    with pytest.raises(ValueError, match="needs order"):
        condensation_vector("sigma_delta", 5)
    with pytest.raises(ValueError, match="needs beta"):
        condensation_vector("beta", 5)
    with pytest.raises(ValueError, match="kind"):
        condensation_vector("msq", 5)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_sigma_delta_condensation_bound(order, rng):
    """|v^T D^r u| <= 2^r ||u||_inf on every block, so the condensed error is tiny."""
    t = 9
    lam = order * (t - 1) + 1
    p = 8
    a = Alphabet(16, 0.125)
    y = rng.uniform(-0.4, 0.4, (5, p * lam))
    q, u = sigma_delta(y, order, a, return_state=True)
    V = condensation_operator("sigma_delta", p * lam, lam, order=order)
    err = V.apply(y - q)
    assert err.shape == (5, p)
    assert np.all(np.abs(err) <= 2**order * np.abs(u).max() * (1 + 1e-12))
    # while MSQ errors are not shaped: the condensed ΣΔ error is much smaller (order >= 2)
    if order >= 2:
        assert np.abs(err).max() < 0.5 * np.abs(V.apply(y - msq(y, a))).max()


def test_condensed_error_decay_msq_flat_sigma_delta_polynomial_beta_exponential():
    """The spec's expected behaviour at small scale: block averages of one-bit outputs recover a
    constant input with error ~ t^-r for ΣΔ of order r (here <= 2^r ||g||_1 / t^r, the
    deterministic bound), like beta^-λ for beta encoding, and not at all for MSQ."""
    y = np.full((1, 2**12), 0.3)
    errs = {"msq": [], "sd1": [], "dgk2": [], "beta": []}
    ts = [4, 8, 16, 32]
    for t in ts:
        for name, q, r in (
            ("msq", msq(y), 1),
            ("sd1", sigma_delta(y, 1), 1),
            ("dgk2", one_bit_sigma_delta(y, 2), 2),
        ):
            lam = r * (t - 1) + 1
            p = y.shape[1] // lam
            V = condensation_operator("sigma_delta", p * lam, lam, order=r)
            err = np.abs(V.apply((y - q)[:, : p * lam])).max() / V.vector.sum()
            errs[name].append(err)
        qb = beta_encode(y, 1.5, t)
        Vb = condensation_operator("beta", y.shape[1], t, beta=1.5)
        errs["beta"].append(np.abs(Vb.apply(y - qb)).max() / Vb.vector.sum())
    ts = np.array(ts, dtype=float)
    assert np.allclose(errs["msq"], 0.7)  # q = sign(0.3) = 1 everywhere: flat error
    assert np.all(np.array(errs["sd1"]) <= 2 / ts + 1e-12)
    taps, c = one_bit_sigma_delta_filter(2)
    # y - q = D^2 (g * v) with |g * v| <= ||g||_1 ||v||_inf; g = (delta_0 - h) / (1 - z)^2
    g = np.zeros(64)
    g[0] = 1.0
    g[taps] -= c
    for _ in range(2):
        g = np.cumsum(g)
    assert np.all(np.array(errs["dgk2"]) <= 4 * np.abs(g).sum() / ts**2 + 1e-12)
    assert errs["dgk2"][-1] < errs["sd1"][-1] / 4  # second order beats first order at t = 32
    # beta: |v^T H u| = beta^-λ |u_λ| <= beta^-λ, divided by ||v||_1 ~ 1/(beta - 1)
    vsum = np.array([condensation_vector("beta", int(t), beta=1.5).sum() for t in ts])
    assert np.all(np.array(errs["beta"]) <= 1.5**-ts / vsum * (1 + 1e-9) + 1e-15)


def test_condensation_operator_is_a_linear_operator(rng):
    V = condensation_operator("sigma_delta", 30, 5, order=2, normalization="l2")
    assert isinstance(V, LinearOperator) and isinstance(V, CondensationOperator)
    assert V.shape == (6, 30) and V.n_blocks == 6
    v = condensation_vector("sigma_delta", 5, order=2)
    np.testing.assert_allclose(
        V.todense(), np.kron(np.eye(6), v[None, :]) / np.linalg.norm(v), rtol=1e-15
    )
    assert dottest(V, random_state=0) and dottest(
        V, random_state=1, complex_input=True, n_vectors=3
    )
    x = rng.standard_normal((4, 30, 3))
    np.testing.assert_allclose(
        V.apply(x, axis=1),
        np.moveaxis((V @ np.moveaxis(x, 1, 0).reshape(30, 12)).reshape(6, 4, 3), 0, 1),
        rtol=1e-13,
    )
    assert V.apply(x.astype(np.float32), axis=1).dtype == np.float32
    with pytest.raises(ValueError, match="needs length 30"):
        V.apply(np.ones((2, 31)))
    assert "CondensationOperator" in repr(V)


def test_condensation_normalizations():
    lam, m = 4, 20
    p = m // lam
    vb = condensation_vector("beta", lam, beta=1.5)
    nb = np.linalg.norm(vb)
    ops = {
        "none": 1.0,
        "l2": 1 / nb,
        "embedding": math.sqrt(math.pi / 2) / (p * nb),
        "rff": math.sqrt(2 / p) / nb * (2 * 2 - 1) / (2 * 2 - 1.5),
    }
    for name, c in ops.items():
        V = condensation_operator("beta", m, lam, beta=1.5, normalization=name, levels=4)
        np.testing.assert_allclose(V.todense()[0, :lam], c * vb, rtol=1e-14)
    V = condensation_operator("sigma_delta", m, lam, order=1, normalization="rff")
    np.testing.assert_allclose(V.scale, math.sqrt(2 / p) / 2)
    with pytest.raises(ValueError, match="needs levels"):
        condensation_operator("beta", m, lam, beta=1.5, normalization="rff")
    with pytest.raises(ValueError, match="normalization"):
        condensation_operator("beta", m, lam, beta=1.5, normalization="max")
    with pytest.raises(ValueError, match="divide"):
        condensation_operator("beta", 21, lam, beta=1.5)


# ---------------------------------------------------------------------------------------------
# packing
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bits", list(range(1, 17)))
def test_pack_unpack_round_trip(bits, rng):
    for shape in [(1,), (13,), (3, 7), (2, 3, 17)]:
        codes = rng.integers(0, 2**bits, shape)
        packed = pack_codes(codes, bits)
        assert packed.dtype == np.uint8 and packed.shape == shape[:-1] + (
            math.ceil(shape[-1] * bits / 8),
        )
        back = unpack_codes(packed, shape[-1], bits)
        assert back.dtype == (np.uint8 if bits <= 8 else np.uint16)
        np.testing.assert_array_equal(back, codes)


def test_one_bit_codes_pack_to_one_bit_per_sample(rng):
    y = rng.uniform(-1, 1, (10, 1000))
    q, codes = sigma_delta(y, 1, return_codes=True)
    packed = pack_codes(codes, Alphabet.one_bit().bits)
    assert packed.nbytes == 10 * 125
    np.testing.assert_array_equal(np.where(unpack_codes(packed, 1000, 1) == 1, 1.0, -1.0), q)


def test_pack_bad_inputs():
    with pytest.raises(ValueError, match="codes must lie"):
        pack_codes(np.array([0, 4]), 2)
    with pytest.raises(ValueError, match="codes must lie"):
        pack_codes(np.array([-1, 0]), 2)
    with pytest.raises(TypeError, match="integer"):
        pack_codes(np.array([0.0, 1.0]), 1)
    with pytest.raises(ValueError, match="bits"):
        pack_codes(np.array([0, 1]), 17)
    with pytest.raises(ValueError, match="bits"):
        unpack_codes(np.zeros(2, np.uint8), 3, 0)
    with pytest.raises(ValueError, match="count"):
        unpack_codes(np.zeros(2, np.uint8), 6, 3)
    with pytest.raises(TypeError, match="uint8"):
        unpack_codes(np.zeros(2, np.int64), 2, 1)


# ---------------------------------------------------------------------------------------------
# bad inputs, edge cases, determinism
# ---------------------------------------------------------------------------------------------

QUANTIZERS = {
    "msq": lambda y, **k: msq(y, Alphabet(4, 0.5), **k),
    "stochastic_round": lambda y, **k: stochastic_round(y, Alphabet(4, 0.5), random_state=0, **k),
    "sigma_delta": lambda y, **k: sigma_delta(y, 2, Alphabet(8, 0.5), **k),
    "one_bit_sigma_delta": lambda y, **k: one_bit_sigma_delta(y, 2, **k),
    "beta_encode": lambda y, **k: beta_encode(y, 1.5, None, Alphabet(4, 0.5), **k),
}


@pytest.mark.parametrize("name", list(QUANTIZERS))
def test_bad_values_raise(name):
    f = QUANTIZERS[name]
    for bad in (np.nan, np.inf, -np.inf):
        y = np.zeros((2, 8))
        y[1, 3] = bad
        with pytest.raises(ValueError, match="NaN or infinite"):
            f(y)
    with pytest.raises(ValueError, match="real and imaginary parts separately"):
        f(np.ones(8, dtype=np.complex128))
    with pytest.raises(TypeError, match="real numeric"):
        f(np.array(["a", "b"]))
    with pytest.raises(TypeError, match="return_codes"):
        f(np.zeros(8), return_codes=1)


@pytest.mark.parametrize("name", ["sigma_delta", "one_bit_sigma_delta", "beta_encode"])
def test_noise_shaping_shapes_and_empty(name):
    f = QUANTIZERS[name]
    with pytest.raises(ValueError, match="at least 1 dimension"):
        f(np.float64(0.3))
    with pytest.raises(ValueError, match="axis 2 is out of bounds"):
        f(np.zeros((2, 3)), axis=2)
    for shape in [(0,), (3, 0), (0, 5)]:
        q, codes, u = f(np.zeros(shape), return_codes=True, return_state=True)
        assert q.shape == codes.shape == u.shape == shape
    # a list input works, result float64
    assert f([0.1, 0.2, -0.3]).dtype == np.float64


@pytest.mark.parametrize("bad", [0, -1])
def test_order_must_be_positive(bad):
    with pytest.raises(ValueError, match="order must be an integer >= 1"):
        sigma_delta(np.zeros(4), bad)
    with pytest.raises(ValueError, match="order must be an integer >= 1"):
        one_bit_sigma_delta(np.zeros(4), bad)
    with pytest.raises(ValueError, match="order"):
        difference_matrix(4, bad)
    with pytest.raises(TypeError, match="order"):
        sigma_delta(np.zeros(4), 1.5)
    with pytest.raises(ValueError, match="at most 56"):
        sigma_delta(np.zeros(4), 57)


@pytest.mark.parametrize("beta", [1.0, 0.5, -2.0, np.nan, np.inf, 2.5])
def test_beta_range(beta):
    with pytest.raises(ValueError, match=r"beta must be a finite number in \(1, 2\]"):
        beta_encode(np.zeros(4), beta)
    with pytest.raises(TypeError, match="beta"):
        beta_encode(np.zeros(4), "1.5")
    beta_encode(np.zeros(4), 4.0, alphabet=Alphabet(4, 0.5))  # 1 < beta <= 2K = 4 is allowed


def test_beta_block_length_must_divide():
    with pytest.raises(
        ValueError,
        match="block_length must divide the length along axis -1, got block_length=3 and length 10",
    ):
        beta_encode(np.zeros((2, 10)), 1.5, 3)
    with pytest.raises(ValueError, match="block_length must be a positive integer"):
        beta_encode(np.zeros((2, 10)), 1.5, 0)


def test_alphabet_argument_type():
    with pytest.raises(TypeError, match="alphabet must be"):
        sigma_delta(np.zeros(4), 1, alphabet=4)
    with pytest.raises(TypeError, match="alphabet must be"):
        msq(np.zeros(4), alphabet=(4, 0.5))


def test_inputs_are_not_modified_and_results_deterministic(rng):
    y = rng.uniform(-0.3, 0.3, (5, 50))
    y0 = y.copy()
    for f in QUANTIZERS.values():
        r1, r2 = f(y, return_codes=True), f(y, return_codes=True)
        for a, b in zip(r1, r2):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(y, y0)
    # non-contiguous input views work
    np.testing.assert_array_equal(
        sigma_delta(y[:, ::2], 1), sigma_delta(np.ascontiguousarray(y[:, ::2]), 1)
    )


def test_cupy_inputs_round_trip(xp):
    """CuPy arrays are quantized on the host and come back on the device (skipped without a GPU)."""
    y = xp.asarray(np.linspace(-0.5, 0.5, 64).reshape(4, 16))
    q, u = sigma_delta(y, 1, return_state=True)
    assert type(q) is type(y)
    np.testing.assert_array_equal(
        np.asarray(q.get() if hasattr(q, "get") else q),
        sigma_delta(np.linspace(-0.5, 0.5, 64).reshape(4, 16), 1),
    )
