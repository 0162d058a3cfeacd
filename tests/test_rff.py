"""Tests for cstoolbox.rff: quantized random Fourier features (Zhang et al. 2024)."""
import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.utils.estimator_checks import parametrize_with_checks

from cstoolbox import quantizers as qz
from cstoolbox.exceptions import QuantizerInstabilityWarning
from cstoolbox.rff import (QuantizedRFF, _radix_group, _radix_pack, _radix_unpack,
                           kernel_approximation, rff_bits_per_sample)


def _data(n=30, d=5, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal((n, d)).astype(dtype)


@parametrize_with_checks([
    QuantizedRFF(),
    QuantizedRFF(method="beta", levels=4, n_components=8),
    QuantizedRFF(method="stochastic", levels=4),
])
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuantizerInstabilityWarning)
        check(estimator)


# --------------------------------------------------------------------------- identities
CONFIGS = [
    dict(method="sigma_delta", order=1, levels=2),
    dict(method="sigma_delta", order=1, levels=6, block_length=5),
    dict(method="sigma_delta", order=2, levels=2, block_length=5),
    dict(method="sigma_delta", order=2, levels=4, block_length=3),
    dict(method="sigma_delta", order=3, levels=4, block_length=4),
    dict(method="beta", beta=1.3, levels=2, block_length=6),
    dict(method="beta", beta=2.5, levels=4, block_length=3),
    dict(method="msq", levels=4),
    dict(method="msq", levels=2, block_length=3),
    dict(method="stochastic", levels=2),
    dict(method="stochastic", levels=8, block_length=2),
]


def _fit(params, X, m=60, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuantizerInstabilityWarning)
        return QuantizedRFF(n_components=m, gamma=0.3, random_state=3, **params, **kw).fit(X)


@pytest.mark.parametrize("params", CONFIGS, ids=lambda p: "-".join(f"{k}{v}" for k, v in p.items()))
def test_features_codes_pack_agree_with_dense_reference(params):
    X = _data()
    tr = _fit(params, X)
    F = tr.transform(X)
    codes = tr.transform_codes(X)
    assert codes.dtype == np.uint8 and codes.shape == (30, 60) and codes.max() < tr.levels
    # dense reference: z = cos(X W + xi), the core quantizer, V from the core's condensation op.
    z = np.cos(X @ tr.random_weights_ + tr.random_offset_)
    a = qz.Alphabet.normalized(tr.levels)
    q_codes = a.values[codes]
    lam, p = tr.block_length_, tr.n_features_out_
    if params["method"] in ("sigma_delta", "beta"):
        kind = params["method"]
        V = qz.condensation_operator(kind, 60, lam, order=params.get("order"),
                                     beta=params.get("beta"),
                                     normalization="rff", levels=tr.levels).todense()
    else:
        V = np.kron(np.eye(p), np.ones(lam)) * math.sqrt(2.0 / p) / math.sqrt(lam)
    np.testing.assert_allclose(F, q_codes @ V.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tr.features_from_codes(codes), F, rtol=1e-12, atol=1e-12)
    packed = tr.pack(codes)
    assert packed.dtype == np.uint8 and packed.shape == (30, tr.bits_per_sample_ // 8)
    np.testing.assert_allclose(tr.unpack(packed), F, rtol=1e-12, atol=1e-12)
    # the codes are those of the core quantizer applied to the (scaled) features
    y = tr.input_scale_ * z
    if params["method"] == "sigma_delta" and tr.levels == 2 and tr.order > 1:
        _, ref_codes, v = qz.one_bit_sigma_delta(y, order=tr.order, return_codes=True,
                                                 return_state=True, warn=False)
    elif params["method"] == "sigma_delta":
        _, ref_codes, u = qz.sigma_delta(y, order=tr.order, alphabet=a, return_codes=True,
                                         return_state=True, warn=False)
        # defining identity y - q = D^r u
        D = qz.difference_matrix(60, tr.order)
        tol = 1e-12 * (1 + np.abs(u).max()) * 2 ** tr.order
        np.testing.assert_allclose(y - a.values[ref_codes], (D @ u.T).T, atol=tol)
    elif params["method"] == "beta":
        _, ref_codes, u = qz.beta_encode(y, tr.beta_, block_length=lam, alphabet=a,
                                         return_codes=True,
                                         return_state=True, warn=False)
        H = qz.beta_matrix(60, tr.beta_, lam)
        np.testing.assert_allclose(y - a.values[ref_codes], (H @ u.T).T, atol=1e-12)
        assert np.abs(u).max() <= a.step / 2 + 1e-12      # inside the stability bound
    elif params["method"] == "msq":
        _, ref_codes = qz.msq(y, a, return_codes=True)
    else:
        ref_codes = codes
    np.testing.assert_array_equal(codes, ref_codes)


def test_float32_preserved_and_close_to_float64():
    X = _data(dtype=np.float32)
    tr = QuantizedRFF(n_components=40, gamma=0.5, random_state=0).fit(X)
    F32 = tr.transform(X)
    assert F32.dtype == np.float32 and tr.random_weights_.dtype == np.float32
    tr64 = QuantizedRFF(n_components=40, gamma=0.5, random_state=0).fit(X.astype(np.float64))
    F64 = tr64.transform(X.astype(np.float64))
    # codes can flip where a ΣΔ decision sits on a float32 rounding edge: compare the bulk
    assert np.mean(np.abs(F32 - F64) < 1e-4) > 0.95


def test_sparse_input_matches_dense():
    X = _data()
    X[np.abs(X) < 0.7] = 0.0
    tr = QuantizedRFF(n_components=40, gamma=0.5, random_state=0).fit(X)
    np.testing.assert_allclose(tr.transform(sp.csr_matrix(X)), tr.transform(X), atol=1e-12)


def test_determinism_and_random_state():
    X = _data()
    a = QuantizedRFF(n_components=40, random_state=5).fit(X)
    b = QuantizedRFF(n_components=40, random_state=5).fit(X)
    c = QuantizedRFF(n_components=40, random_state=6).fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    assert not np.array_equal(a.random_weights_, c.random_weights_)
    gen = QuantizedRFF(n_components=40, random_state=np.random.default_rng(5)).fit(X)
    np.testing.assert_array_equal(gen.random_weights_, a.random_weights_)
    # stochastic rounding: same random_state -> same features; other random_state -> other
    # rounding of the same features
    s = QuantizedRFF(n_components=400, method="stochastic", levels=2, random_state=1).fit(X)
    np.testing.assert_array_equal(s.transform(X), s.transform(X))
    s2 = QuantizedRFF(n_components=400, method="stochastic", levels=2, random_state=1).fit(X)
    np.testing.assert_array_equal(s.transform(X), s2.transform(X))
    s3 = QuantizedRFF(n_components=400, method="stochastic", levels=2, random_state=2).fit(X)
    Z = s.raw_features(X)
    assert not np.array_equal(s.transform_features(Z), s3.transform_features(Z))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_stochastic_rounding_is_per_row_batch_independent(dtype):
    """A row gets the same codes alone, in any batch, in any order, dense or CSR."""
    X = _data(n=50, d=6, seed=2, dtype=dtype)
    X[X < -0.5] = 0.0
    tr = QuantizedRFF(n_components=300, method="stochastic", levels=4, random_state=0).fit(X)
    C = tr.transform_codes(X)
    for i in (0, 17, 49):
        np.testing.assert_array_equal(tr.transform_codes(X[i:i + 1]), C[i:i + 1])
    perm = np.random.default_rng(0).permutation(50)
    np.testing.assert_array_equal(tr.transform_codes(X[perm]), C[perm])
    np.testing.assert_array_equal(tr.transform_codes(sp.csr_matrix(X)), C)
    F = tr.transform(X)
    np.testing.assert_array_equal(tr.transform(X[10:11]), F[10:11])
    # duplicated rows are rounded identically, a CSR matrix with duplicate entries as its sum
    np.testing.assert_array_equal(tr.transform_codes(np.vstack([X[3], X[3]]))[1], C[3])
    A = sp.csr_matrix((np.array([0.25, 0.5, 1.0], dtype=dtype), np.array([1, 1, 4]),
                       np.array([0, 3])), shape=(1, 6))
    assert not A.has_canonical_format
    Ad = np.zeros((1, 6), dtype=dtype)
    Ad[0, 1], Ad[0, 4] = 0.75, 1.0
    np.testing.assert_array_equal(tr.transform_codes(A), tr.transform_codes(Ad))
    np.testing.assert_array_equal(tr._transform_codes_reference(A), tr.transform_codes(Ad))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_stochastic_rounding_unbiased_and_independent_across_rows(dtype):
    """Monte Carlo over distinct rows with (almost) the same features: the mean of the rounded
    value is the feature, and the rounding errors of different rows are uncorrelated."""
    tr = QuantizedRFF(n_components=64, method="stochastic", levels=4, random_state=3).fit(
        _data(dtype=dtype))
    z0 = np.linspace(-0.99, 0.99, 64)
    n = 4000
    Z = (z0[None, :] * (1.0 - np.arange(n)[:, None] * 2.0 ** -20)).astype(dtype)  # distinct rows
    q = tr.alphabet_.values[_codes_from_Z(tr, Z)]
    err = q - Z.astype(np.float64)
    # per-value variance <= s^2 / 4 = 1/9: the standard error of a 4000-row mean is <= 0.0053
    assert np.abs(err.mean(0)).max() < 0.03
    assert abs(err.mean()) < 0.003
    var = (err ** 2).mean()
    assert var > 0.03                                    # values really are rounded at random
    assert abs((err[:-1] * err[1:]).mean()) < 0.05 * var  # neighbouring rows independent
    assert abs((err[:, :-1] * err[:, 1:]).mean()) < 0.05 * var  # neighbouring features too
    # the uniforms have 24 (float32) or 53 (float64) bits and are uniform
    from cstoolbox.rff import _uniforms_numpy
    bits = 24 if dtype == np.float32 else 53
    u = _uniforms_numpy(tr._rounding_key, Z[:500], 64, bits)
    assert np.all((u >= 0) & (u < 1)) and np.array_equal(u * 2.0 ** bits, np.floor(u * 2.0 ** bits))
    hist = np.histogram(u, bins=10, range=(0, 1))[0]
    assert np.abs(hist / u.size - 0.1).max() < 0.01      # sd of a bin share ~ 0.0017


def _codes_from_Z(tr, Z):
    """Codes of stochastic rounding of precomputed raw features Z (fused kernel, raw path)."""
    a = tr.alphabet_
    F = tr.transform_features(Z)                          # block_length 1: F = c q
    return np.rint((F / tr._v_scaled[0] / a.step) + (a.K - 0.5)).astype(np.int64)


def test_chunking_does_not_change_results(monkeypatch):
    import cstoolbox.rff as rff
    X = _data(n=50)
    with pytest.warns(QuantizerInstabilityWarning):
        tr = QuantizedRFF(n_components=63, order=2, levels=2, random_state=0).fit(X)
    full = tr.transform(X)
    monkeypatch.setattr(rff, "_CHUNK_ELEMENTS", 63 * 7)   # 7 rows per chunk
    np.testing.assert_array_equal(tr.transform(X), full)


def test_feature_names_and_attributes():
    X = _data()
    tr = QuantizedRFF(n_components=60, order=2, levels=4, random_state=0)
    with pytest.warns(QuantizerInstabilityWarning, match="stable only for"):
        tr.fit(X)
    assert tr.block_length_ == 3 and tr.n_features_out_ == 20
    names = tr.get_feature_names_out()
    assert len(names) == 20 and names[0] == "quantizedrff0"
    assert tr.stability_bound_ == pytest.approx(1 / 3)
    np.testing.assert_array_equal(tr.condensation_vector_, [1, 2, 1])
    g = QuantizedRFF(n_components=10, gamma="scale").fit(X)
    assert g.gamma_ == pytest.approx(1.0 / (X.shape[1] * X.var()))


def test_default_block_length_falls_back_to_a_divisor():
    X = _data()
    assert QuantizedRFF(n_components=101).fit(X).block_length_ == 1
    assert QuantizedRFF(n_components=102, method="beta").fit(X).block_length_ == 3
    assert QuantizedRFF(n_components=100, method="beta").fit(X).block_length_ == 4


def test_no_warning_inside_the_stability_bound():
    X = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuantizerInstabilityWarning)
        QuantizedRFF(n_components=40, order=1, levels=2).fit(X)
        QuantizedRFF(n_components=40, method="beta", beta=1.9, levels=2).fit(X)
        QuantizedRFF(n_components=40, method="stochastic").fit(X)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("params, match", [
    (dict(n_components=100, block_length=3), "must divide n_components"),
    (dict(n_components=100, order=2, block_length=4), "incompatible with order=2"),
    (dict(method="beta", beta=1.0), r"beta must lie in \(1, levels\)"),
    (dict(method="beta", beta=2.0, levels=2), r"beta must lie in \(1, levels\)"),
    (dict(method="beta", beta="x"), "beta must be a finite number"),
    (dict(levels=3), "levels must be an even integer"),
    (dict(levels=0), "levels must be an even integer"),
    (dict(method="lloyd"), "method must be one of"),
    (dict(order=4), "order must be 1, 2 or 3"),
    (dict(gamma=-1.0), "gamma must be a positive float"),
    (dict(gamma="auto"), "gamma must be a positive float or 'scale'"),
    (dict(n_components=0), "n_components must be a positive integer"),
    (dict(block_length=0), "block_length must be a positive integer"),
])
def test_bad_parameters_raise_at_fit(params, match):
    tr = QuantizedRFF(**params)         # __init__ only stores
    with pytest.raises(ValueError, match=match):
        tr.fit(_data())


def test_bad_codes_and_packed_raise():
    X = _data()
    tr = QuantizedRFF(n_components=40, levels=4, random_state=0).fit(X)
    with pytest.raises(ValueError, match=r"shape \(n_samples, 40\)"):
        tr.features_from_codes(np.zeros((3, 39), np.uint8))
    with pytest.raises(ValueError, match=r"codes must lie in \[0, 4\)"):
        tr.pack(np.full((3, 40), 4, np.uint8))
    with pytest.raises(TypeError, match="codes must be integers"):
        tr.pack(np.zeros((3, 40)))
    with pytest.raises(ValueError, match="packed must be a uint8 array"):
        tr.unpack(np.zeros((3, 5), np.uint8))
    with pytest.raises(ValueError, match="X has 4 features"):
        tr.transform(X[:, :4])
    with pytest.raises(ValueError, match="estimator must be one of"):
        kernel_approximation(X, estimator="exact")
    with pytest.raises(ValueError, match="not both"):
        kernel_approximation(X, transformer=tr, n_components=10)
    with pytest.raises(ValueError, match="same number of rows"):
        kernel_approximation(X, X[:3], paired=True, n_components=10)


# --------------------------------------------------------------------------- storage
def test_radix_pack_roundtrip_and_bits():
    rng = np.random.default_rng(0)
    for n_values in (2, 3, 7, 16, 41, 1000, 2 ** 16 + 1):
        g = _radix_group(n_values)
        assert n_values ** g <= 2 ** 64 < n_values ** (g + 1)
        vals = rng.integers(0, n_values, (5, 97))
        vals[0] = n_values - 1
        words = -(-97 // g)
        packed = _radix_pack(vals, n_values, g, words)
        np.testing.assert_array_equal(_radix_unpack(packed, n_values, g, 97), vals)


@pytest.mark.parametrize("params", [dict(order=1, levels=2, block_length=2),
                                    dict(order=1, levels=4, block_length=4),
                                    dict(order=2, levels=4, block_length=5),
                                    dict(method="beta", levels=4),
                                    dict(method="stochastic", levels=4)])
def test_bits_per_sample_close_to_paper_formula(params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuantizerInstabilityWarning)
        tr = QuantizedRFF(n_components=3000, **params).fit(_data(n=3))
    formula = rff_bits_per_sample(3000, tr.method, tr.order, tr.levels, tr.block_length_)
    assert formula <= tr.bits_per_sample_ <= 1.12 * formula + 64
    assert rff_bits_per_sample(3000, "sigma_delta", 1, 2, 2) == pytest.approx(1500 * math.log2(3))
    expected = 1000 * (2 * 2 + math.log2(3) - 2)
    assert rff_bits_per_sample(3000, "sigma_delta", 2, 4, 3) == pytest.approx(expected)


# --------------------------------------------------------------------------- estimators
def _pairs(n=400, d=10, seed=0):
    from cstoolbox.demos.quantized_rff import pair_data
    return pair_data(n, d, 5.0, seed)


def test_unbiased_estimators_and_one_bit_bias():
    """Mean over independent draws: rff, semi and stocq unbiased; one_bit has the predicted bias."""
    X, Y, dist = _pairs(n=60)
    gamma = 0.2
    k = np.exp(-gamma * dist ** 2)
    est = {e: [] for e in ("rff", "semi", "stocq", "one_bit")}
    for t in range(12):
        tr = QuantizedRFF(n_components=4000, gamma=gamma, random_state=t).fit(X)
        for e in ("rff", "semi", "one_bit"):
            est[e].append(kernel_approximation(X, Y, estimator=e, transformer=tr, paired=True))
        est["stocq"].append(kernel_approximation(X, Y, estimator="stocq", n_components=4000,
                                                 gamma=gamma, random_state=100 + t, paired=True))
    # per-pair standard error of a 12 x 4000-feature average: <= sqrt(4/48000) ~ 0.009
    # pair 0 is the same row on both sides: transform rounds it identically, the "stocq"
    # estimator rounds the Y side with an independent stream, so it stays unbiased there too
    assert dist[0] == 0 and np.array_equal(X[0], Y[0])
    assert np.abs(np.array(est["stocq"])[:, 0] - 1.0).max() < 0.1
    for e in ("rff", "semi", "stocq"):
        mean = np.mean(est[e], axis=0)
        assert np.abs(mean - k).mean() < 0.01, e
        assert abs(np.mean(mean - k)) < 0.004, e
    jodd = np.arange(1, 200, 2)
    bias_model = (8 / np.pi ** 2) * (k[:, None] ** (jodd ** 2) / jodd ** 2).sum(1)
    mean1 = np.mean(est["one_bit"], axis=0)
    assert np.abs(mean1 - bias_model).mean() < 0.01
    assert np.abs(mean1 - k).max() > 0.1          # and it really is biased


def test_transform_features_equals_transform():
    X = _data()
    for params in CONFIGS[:-2]:
        tr = _fit(params, X)
        Z = tr.raw_features(X)
        np.testing.assert_allclose(tr.transform_features(Z), tr.transform(X), atol=1e-12)
        np.testing.assert_allclose((2 / 60) * Z @ Z.T,
                                   kernel_approximation(X, estimator="rff", transformer=tr))
    with pytest.raises(ValueError, match="Z must have shape"):
        tr.transform_features(Z[:, :5])
    with pytest.raises(ValueError, match=r"in \[-1, 1\]"):
        tr.transform_features(2 * Z)


def test_full_kernel_matrix_and_paired_agree():
    X, Y, _ = _pairs(n=20)
    tr = QuantizedRFF(n_components=600, gamma=0.2, random_state=0).fit(X)
    for e in ("quantized", "semi", "one_bit", "rff"):
        K = kernel_approximation(X, Y, estimator=e, transformer=tr)
        paired = kernel_approximation(X, Y, estimator=e, transformer=tr, paired=True)
        np.testing.assert_allclose(np.diag(K), paired, atol=1e-12)
    F = tr.transform(X)
    np.testing.assert_allclose(kernel_approximation(X, transformer=tr), F @ F.T)


def test_noise_shaping_quantization_error_decays_fast_at_fixed_p():
    """ΣΔ error ~ lambda^(-r+1/2), beta error ~ beta^-lambda at fixed p (the per-bit regime)."""
    from cstoolbox.demos.quantized_rff import _unquantized_condensed
    X, Y, _ = _pairs(n=200, d=20)
    errs = {}
    for name, params in (("sd1", dict(order=1)), ("beta", dict(method="beta", beta=1.5))):
        for lam in (2, 16):
            tr = QuantizedRFF(n_components=100 * lam, gamma=0.2, block_length=lam, random_state=0,
                              **params).fit(X)
            est = kernel_approximation(X, Y, transformer=tr, paired=True)
            ref = np.einsum("ij,ij->i", _unquantized_condensed(tr, X),
                            _unquantized_condensed(tr, Y))
            errs[name, lam] = np.sqrt(np.mean((est - ref) ** 2))
    assert errs["sd1", 16] < 0.5 * errs["sd1", 2]
    assert errs["beta", 16] < 1e-2 * errs["beta", 2]


def test_demo_quick(tmp_path, monkeypatch):
    from cstoolbox.demos import quantized_rff as demo
    # the quick run shrinks the slowest experiments further; the full numbers are in docs/rff.md
    monkeypatch.setattr(demo, "SVM_MS", (240,))
    res = demo.run(quick=True, out=tmp_path, progress_bar=False, trials=1)
    assert (tmp_path / "results.json").exists() and (tmp_path / "error_vs_bits.png").exists()
    assert (tmp_path / "results.md").read_text().startswith("# Quantized random Fourier features")
    # the spec's kernel-approximation numbers (d=50, 1000 pairs, gamma=0.2, m=3000), 1 trial, 15%
    kt = res["kernel_approximation"]["within_15pct"]
    assert all(kt.values()), kt
    acc = res["svm_digits"]["accuracy"]
    assert res["svm_digits"]["exact"] == pytest.approx(0.9917, abs=1e-4)
    assert all(0.9 < a[240] < 1.0 for a in acc.values())


# --------------------------------------------------------------------------- fused kernel
FUSED_CONFIGS = CONFIGS + [
    dict(method="sigma_delta", order=3, levels=2, block_length=1),     # one-bit DGK, order 3
    dict(method="sigma_delta", order=3, levels=8, block_length=7),
    dict(method="beta", beta=1.5, levels=2, block_length=4),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("params", FUSED_CONFIGS,
                         ids=lambda p: "-".join(f"{k}{v}" for k, v in p.items()))
def test_fused_kernel_bit_identical_to_unfused_path(params, dtype, monkeypatch):
    """transform / transform_codes (one fused pass) == cos features -> core quantizer ->
    condensation, bit for bit, over several chunks and a partial 128-row group."""
    import cstoolbox.rff as rff
    X = _data(n=300, d=7, seed=1, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuantizerInstabilityWarning)
        tr = QuantizedRFF(n_components=420, gamma=0.4, random_state=2, **params).fit(X)
    monkeypatch.setattr(rff, "_CHUNK_ELEMENTS", 420 * 170)  # chunks of 170 rows: 128 + 42
    F, C = tr.transform(X), tr.transform_codes(X)
    assert F.dtype == dtype and C.dtype == np.uint8
    np.testing.assert_array_equal(F, tr._transform_reference(X))
    np.testing.assert_array_equal(C, tr._transform_codes_reference(X))
    np.testing.assert_array_equal(tr.features_from_codes(C, dtype=dtype), F)
    if params["method"] != "stochastic":      # rounding seeded by the rows of X, here of Z
        np.testing.assert_array_equal(tr.transform_features(tr.raw_features(X)), F)


def test_fused_kernel_parallel_and_serial_agree(monkeypatch):
    import cstoolbox._rff_numba as k
    import cstoolbox.quantizers._kernels_numba as core
    X = _data(n=400, d=6, seed=4)
    tr = QuantizedRFF(n_components=200, levels=4, gamma=0.5, random_state=0).fit(X)
    calls = []
    real_parallel = k.quantize_condense
    monkeypatch.setattr(k, "quantize_condense", lambda *a: calls.append(1) or real_parallel(*a))
    # force the prange kernel even with one numba thread (it then runs in that thread)
    monkeypatch.setattr(core, "_parallel_ok", lambda size: True)
    par = tr.transform(X)
    assert calls                                          # the parallel kernel really ran
    monkeypatch.setattr(core, "_parallel_ok", lambda size: False)
    n_calls = len(calls)
    np.testing.assert_array_equal(tr.transform(X), par)
    assert len(calls) == n_calls                          # ... and the serial one here
    assert k.LANES < 400                                  # several groups were formed


def test_numba_float64_cos_matches_numpy():
    """The float64 path takes the cosine inside the kernel: it must be NumPy's bit for bit."""
    from cstoolbox._jit import njit

    @njit(cache=False)
    def _cos(x, out):
        for i in range(x.shape[0]):
            out[i] = np.cos(x[i])

    x = np.random.default_rng(0).uniform(-30.0, 30.0, 200_000)
    out = np.empty_like(x)
    _cos(x, out)
    np.testing.assert_array_equal(out, np.cos(x))


def test_fused_kernel_reports_overflow():
    import cstoolbox._rff_numba as k
    PT = np.full((1, 8, k.LANES), 1e308)    # (blocks, features, lanes); the state overflows
    out = np.empty((3, 8))
    bad = k.quantize_condense_serial(
        PT, 3, np.zeros(8), False, np.ones(1), k.SCHEMES["sd2"], 2 / 3, 2.0, 0.0, np.zeros(1),
        np.zeros(1, np.int64), np.zeros(0, np.uint64), 53, np.ones(1), out,
        np.empty((0, 0), np.uint8), True, False)
    assert bad
    ok = k.quantize_condense_serial(
        np.zeros((1, 8, k.LANES)), 3, np.zeros(8), False, np.ones(1), k.SCHEMES["sd2"], 2 / 3,
        2.0, 0.0, np.zeros(1), np.zeros(1, np.int64), np.zeros(0, np.uint64), 53, np.ones(1),
        out, np.empty((0, 0), np.uint8), True, False)
    assert not ok


def test_svm_probe_reference_loop_equals_quantized_rff():
    """The authors'-style greedy r=2 loop (u0 = 0) gives exactly QuantizedRFF's codes."""
    from cstoolbox.demos.quantized_rff import _greedy_sd2_reference
    X = _data(n=40, d=6)
    with pytest.warns(QuantizerInstabilityWarning):
        tr = QuantizedRFF(n_components=90, levels=4, order=2, gamma=0.5, random_state=0).fit(X)
    z = tr.raw_features(X)
    q = _greedy_sd2_reference(z, np.zeros(len(z)), tr.alphabet_.values)
    np.testing.assert_array_equal(q, tr.alphabet_.values[tr.transform_codes(X)])


def test_fused_kernel_sparse_input_bit_identical():
    X = _data(n=200, d=9, seed=3)
    X[np.abs(X) < 0.8] = 0.0
    Xs = sp.csr_matrix(X)
    for params in (dict(order=1, levels=4), dict(method="stochastic", levels=4)):
        tr = QuantizedRFF(n_components=128, gamma=0.3, random_state=1, **params).fit(Xs)
        np.testing.assert_array_equal(tr.transform(Xs), tr._transform_reference(Xs))
        np.testing.assert_array_equal(tr.transform_codes(Xs), tr._transform_codes_reference(Xs))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_pipeline_bit_identical(dtype, monkeypatch):
    """The two-stage pipeline (>= 2 numba threads: product of chunk k + 1 in the calling thread,
    float32 cos + kernel of chunk k in a worker thread and then the caller) gives the
    reference's bits, over several chunks, double-buffered, with a partial last chunk."""
    import cstoolbox.rff as rff
    X = _data(n=700, d=7, seed=5, dtype=dtype)
    monkeypatch.setattr(rff, "_CHUNK_ELEMENTS", 300 * 130)   # chunks of 130 rows: 128 + 2
    calls = []
    real = QuantizedRFF._run_pipelined
    monkeypatch.setattr(QuantizedRFF, "_run_pipelined",
                        lambda self, *a: calls.append(1) or real(self, *a))
    monkeypatch.setattr(rff, "_numba_threads", lambda: 2)
    for params in (dict(order=2, levels=2, block_length=1), dict(order=1, levels=4),
                   dict(method="beta", beta=1.5, levels=2, block_length=4),
                   dict(method="stochastic", levels=4)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", QuantizerInstabilityWarning)
            tr = QuantizedRFF(n_components=300, gamma=0.4, random_state=1, **params).fit(X)
        n_calls = len(calls)
        F, C = tr.transform(X), tr.transform_codes(X)
        assert len(calls) == n_calls + 2
        np.testing.assert_array_equal(F, tr._transform_reference(X))
        np.testing.assert_array_equal(C, tr._transform_codes_reference(X))
        Z = tr.raw_features(X)
        n_calls = len(calls)
        FZ = tr.transform_features(Z)                                 # raw path: pipelined
        assert len(calls) == n_calls + 1
        if params.get("method") != "stochastic":
            np.testing.assert_array_equal(FZ, F)


def test_fused_pipeline_reports_overflow(monkeypatch):
    """An overflow in the worker thread's kernel reaches the caller as FloatingPointError."""
    import cstoolbox.rff as rff
    monkeypatch.setattr(rff, "_CHUNK_ELEMENTS", 64 * 200)
    monkeypatch.setattr(rff, "_numba_threads", lambda: 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuantizerInstabilityWarning)
        tr = QuantizedRFF(n_components=64, levels=4, order=2, block_length=1, gamma=0.5,
                          random_state=0).fit(_data(n=10, d=3))
    tr.input_scale_ = 1e308          # drives the second-order greedy recursion to inf
    Z = np.full((600, 64), 0.9)                          # raw float64: pipelined
    with pytest.raises(FloatingPointError, match="overflowed"):
        tr.transform_features(Z)
