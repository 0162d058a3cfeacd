"""Tests for cstoolbox.embeddings: identities, dense references, reference numbers, bad input."""
import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.spatial.distance import cdist, pdist
from sklearn.utils.estimator_checks import parametrize_with_checks

from cstoolbox.embeddings import FastBinaryEmbedding, SignRandomProjection
from cstoolbox.exceptions import QuantizerInstabilityWarning
from cstoolbox.quantizers import (beta_encode, condensation_operator, one_bit_sigma_delta,
                                  unpack_codes)


def _gauss(n_samples, n_features, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features)) * rng.uniform(0.5, 1.5, (n_samples, 1))
    return X.astype(dtype)


def _mape(D_hat, D):
    iu = np.triu_indices(D.shape[0], 1)
    return float(np.mean(np.abs(D_hat[iu] - D[iu]) / D[iu]))


# ------------------------------------------------------------------ scikit-learn API
@parametrize_with_checks([
    FastBinaryEmbedding(n_components=256),
    FastBinaryEmbedding(n_components=192, method="beta", matrix="circulant"),
    FastBinaryEmbedding(n_components=128, order=2, matrix="fjlt"),
    SignRandomProjection(n_components=128),
])
def test_sklearn_compatible(estimator, check):
    # Declared exception: the outputs are int8 one-bit codes, so the
    # transformer does not preserve float dtypes (tags.transformer_tags.preserves_dtype = []).
    with warnings.catch_warnings():
        # checks transform data unlike the training data; the quantizer may say so
        warnings.simplefilter("ignore", QuantizerInstabilityWarning)
        check(estimator)


def test_tags_declare_int8_output():
    tags = FastBinaryEmbedding().__sklearn_tags__()
    assert tags.transformer_tags.preserves_dtype == []
    assert tags.input_tags.sparse


# ------------------------------------------------------------------ identities / dense references
def _dense_reference(fbe, X):
    """sqrt(m)/scale * rows(A pad(H pad(x))) from dense matrices."""
    Z = np.asarray(X, dtype=np.float64)
    if fbe.preconditioner_ is not None:
        n_pre = fbe.preconditioner_.shape[0]
        Z = np.pad(Z, ((0, 0), (0, n_pre - Z.shape[1])))
        Z = Z @ fbe.preconditioner_.todense().T
    Z = np.pad(Z, ((0, 0), (0, fbe.n_padded_ - Z.shape[1])))
    Y = (Z @ np.asarray(fbe.operator_.todense()).T).real
    if fbe.row_order_ is not None:
        Y = Y[:, fbe.row_order_]
    return Y * math.sqrt(fbe.n_components) / fbe.scale_


@pytest.mark.parametrize("matrix", ["sparse_gaussian", "fjlt", "circulant", "bos"])
def test_projection_matches_dense_matrix(matrix):
    X = _gauss(9, 50, seed=1)          # 9 rows: exercises a partial tile of the kernel
    fbe = FastBinaryEmbedding(96, matrix=matrix, random_state=3).fit(X)
    np.testing.assert_allclose(fbe.project(X), _dense_reference(fbe, X), rtol=1e-10, atol=1e-10)
    # float32 input is projected in float32
    np.testing.assert_allclose(fbe.project(X.astype(np.float32)), fbe.project(X), rtol=1e-4, atol=1e-4)


def test_sparse_gaussian_statistics_and_o_m_density():
    fbe = FastBinaryEmbedding(512, random_state=0).fit(_gauss(4, 4096))
    A = fbe.operator_.matrix
    nnz_per_row = A.nnz / A.shape[0]
    assert 56 < nnz_per_row < 72       # 64 nonzeros per row whatever n: O(m) work per point
    # unit-variance entries of sqrt(m) A
    vals = A.data * math.sqrt(512)
    assert abs(np.mean(vals ** 2) * fbe.density_ - 1.0) < 0.02
    assert fbe.preconditioner_ is None   # Gaussian data is well spread


def test_preconditioning_auto_for_spiky_data():
    rng = np.random.default_rng(0)
    X = np.zeros((20, 1000))
    X[np.arange(20), rng.integers(0, 1000, 20)] = 1.0          # one spike per point
    fbe = FastBinaryEmbedding(256, random_state=0).fit(X)
    assert fbe.preconditioner_ is not None and fbe.n_padded_ == 1024
    assert FastBinaryEmbedding(256, preconditioning=False, random_state=0).fit(X).preconditioner_ is None
    assert FastBinaryEmbedding(256, random_state=0).fit(_gauss(20, 1000)).preconditioner_ is None


@pytest.mark.parametrize("method,order", [("sigma_delta", 1), ("sigma_delta", 2), ("sigma_delta", 3),
                                          ("beta", None)])
def test_codes_are_the_quantizer_output(method, order):
    X = _gauss(12, 64, seed=2)
    kw = dict(order=order) if order else dict(beta=1.6)
    fbe = FastBinaryEmbedding(256, method=method, block_length=16, random_state=0, **kw).fit(X)
    Y = fbe.project(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuantizerInstabilityWarning)   # auto scale keeps it stable
        q = (one_bit_sigma_delta(Y, order=order) if order else beta_encode(Y, 1.6, block_length=16))
        codes = fbe.transform(X)
    assert codes.dtype == np.int8
    np.testing.assert_array_equal(codes, q)
    assert fbe.max_abs_projection_ <= fbe.stability_bound_
    assert np.max(np.abs(Y)) <= fbe.stability_bound_
    packed = fbe.transform(X, packed=True)
    assert packed.dtype == np.uint8 and packed.shape == (12, 32)
    np.testing.assert_array_equal(2 * unpack_codes(packed, 256, 1).astype(np.int8) - 1, codes)


@pytest.mark.parametrize("method,order,lam", [("sigma_delta", 1, 8), ("sigma_delta", 2, 9),
                                              ("sigma_delta", 3, 10), ("beta", None, 8)])
def test_condensation_matches_core_operator(method, order, lam):
    """Integer condensation times the normalization == the core's condensation operator."""
    X = _gauss(7, 40, seed=4)
    m = 8 * lam
    fbe = FastBinaryEmbedding(m, method=method, order=order or 1, block_length=lam,
                              random_state=0).fit(X)
    codes = fbe.transform(X)
    kind = "beta" if method == "beta" else "sigma_delta"
    kw = dict(beta=1.5) if method == "beta" else dict(order=order)
    for metric, norm in (("l1", "embedding"), ("l2", "l2")):
        V = condensation_operator(kind, m, lam, normalization=norm, **kw)
        C = V.apply(codes.astype(np.float64), axis=-1)
        diff = C[:, None, :] - C[None, :, :]
        if metric == "l1":
            ref = fbe.scale_ * np.abs(diff).sum(-1)
        else:
            ref = fbe.scale_ * np.sqrt((diff ** 2).sum(-1)) / math.sqrt(fbe.n_blocks_)
        np.testing.assert_allclose(fbe.pairwise_distances(codes, metric=metric), ref, rtol=1e-12, atol=1e-12)
    cond = fbe.condense(codes)
    if method == "sigma_delta":
        assert np.issubdtype(cond.dtype, np.integer)
        assert np.abs(cond).max() <= fbe.condensation_vector_.sum()


def test_padded_condensation_vector_for_even_blocks():
    fbe = FastBinaryEmbedding(2048, order=2, random_state=0).fit(_gauss(3, 30))
    v = fbe.condensation_vector_
    assert fbe.block_length_ == 32 and fbe.n_blocks_ == 64
    np.testing.assert_array_equal(v, np.r_[np.arange(1, 17), np.arange(15, 0, -1), 0.0])
    # v(z) (1 - z)^2 = (1 - z^16)^2: 4 nonzeros, which is what makes the error small
    w = np.convolve(v, [1.0, -2.0, 1.0])
    assert np.count_nonzero(w) == 3 and np.abs(w).sum() == 4


def test_distances_paths_agree():
    X = _gauss(30, 80, seed=5)
    fbe = FastBinaryEmbedding(1024, order=2, random_state=1).fit(X)
    c = fbe.transform(X)
    cp = fbe.transform(X, packed=True)
    cond = fbe.condense(c)
    np.testing.assert_array_equal(cond, fbe.condense(cp))
    D = fbe.pairwise_distances(c)
    np.testing.assert_array_equal(D, fbe.pairwise_distances(cp))
    np.testing.assert_array_equal(D, fbe.pairwise_distances(cond, condensed=True))
    np.testing.assert_allclose(D, D.T)
    assert np.all(np.diag(D) == 0)
    # brute force on the condensed integers
    ref = cdist(cond.astype(np.float64), cond.astype(np.float64), "cityblock") * fbe._factor("l1")
    np.testing.assert_allclose(D, ref, rtol=1e-12)
    np.testing.assert_allclose(fbe.pairwise_distances(c, metric="l2"),
                               cdist(cond.astype(float), cond.astype(float)) * fbe._factor("l2"), rtol=1e-12)
    # paired distances, broadcasting one code, other=
    np.testing.assert_allclose(fbe.distance(c[:10], c[10:20]), np.diag(D[:10, 10:20]))
    np.testing.assert_allclose(fbe.distance(c[3], c[:5]), D[3, :5])
    assert isinstance(fbe.distance(c[0], c[1]), float)
    np.testing.assert_allclose(fbe.pairwise_distances(c[:4], cp[4:9]), D[:4, 4:9])
    # int64 / float ±1 codes are accepted too
    np.testing.assert_allclose(fbe.pairwise_distances(c.astype(np.float32)), D)


def test_kneighbors_matches_brute_force():
    X = _gauss(40, 60, seed=6)
    fbe = FastBinaryEmbedding(512, random_state=2).fit(X)
    c = fbe.transform(X)
    D = fbe.pairwise_distances(c)
    dist, ind = fbe.kneighbors(c, n_neighbors=5)
    Dx = D.copy()
    np.fill_diagonal(Dx, np.inf)
    for i in range(40):
        order = np.lexsort((np.arange(40), Dx[i]))[:5]
        np.testing.assert_array_equal(ind[i], order)
        np.testing.assert_allclose(dist[i], Dx[i, order])
    dist2, ind2 = fbe.kneighbors(c[:3], n_neighbors=4, database=c)
    np.testing.assert_array_equal(ind2[:, 0], [0, 1, 2])        # a query is its own best match
    assert np.all(dist2[:, 0] == 0)
    assert fbe.kneighbors(c, 2, return_distance=False).shape == (40, 2)


def test_determinism():
    X = _gauss(10, 30)
    a = FastBinaryEmbedding(256, order=2, random_state=7).fit_transform(X)
    b = FastBinaryEmbedding(256, order=2, random_state=7).fit(X).transform(X)
    c = FastBinaryEmbedding(256, order=2, random_state=8).fit_transform(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_sparse_input_equals_dense():
    X = _gauss(8, 40)
    X[X < 0.5] = 0.0
    fbe = FastBinaryEmbedding(256, random_state=0).fit(X)
    np.testing.assert_array_equal(fbe.transform(sp.csr_matrix(X)), fbe.transform(X))
    fbe2 = FastBinaryEmbedding(256, random_state=0).fit(sp.csr_matrix(X))
    assert fbe2.scale_ == pytest.approx(fbe.scale_)


def test_scale_options_and_instability_warning():
    X = _gauss(20, 64)
    fbe = FastBinaryEmbedding(512, scale="norm", random_state=0).fit(X)
    assert fbe.scale_ == pytest.approx(1.5 * np.linalg.norm(X, axis=1).max())
    assert FastBinaryEmbedding(512, scale=3.0, random_state=0).fit(X).scale_ == 3.0
    auto = FastBinaryEmbedding(512, order=2, random_state=0).fit(X)
    assert auto.max_abs_projection_ == pytest.approx(2.0 / 3.0, rel=1e-6)
    with pytest.warns(QuantizerInstabilityWarning):
        auto.transform(10 * X[:2])
    zero = FastBinaryEmbedding(64, random_state=0).fit(np.zeros((3, 5)))
    assert zero.scale_ == 1.0 and np.all(zero.pairwise_distances(zero.transform(np.zeros((2, 5)))) == 0)


# ------------------------------------------------------------------ reference numbers (small scale)
@pytest.fixture(scope="module")
def spread_data():
    X = _gauss(64, 1024, seed=11)
    return X, cdist(X, X)


def test_reference_mape_small_scale(spread_data):
    """Spec (n = 4096, p = 64): r=1 0.32 (m=512), 0.17 (2048); r=2 ~0.06 (2048); l1-JL ~0.06.

    Here n = 1024 and 64 points; the l1-JL error with p = 64 blocks is about
    sqrt(2/pi) sqrt(pi/2 - 1)/8 = 0.075 on average, so the tolerances are Monte-Carlo wide.
    """
    X, D = spread_data
    res = {}
    for name, m, kw in (("r1_512", 512, dict(order=1)), ("r1_2048", 2048, dict(order=1)),
                        ("r2_2048", 2048, dict(order=2)), ("beta_2048", 2048, dict(method="beta"))):
        fbe = FastBinaryEmbedding(m, random_state=0, **kw).fit(X)
        assert fbe.n_blocks_ == 64
        res[name] = _mape(fbe.pairwise_distances(fbe.transform(X)), D)
        if name == "r1_2048":
            res["jl"] = _mape(fbe.unquantized_pairwise_distances(X), D)
    assert 0.22 < res["r1_512"] < 0.45
    assert 0.11 < res["r1_2048"] < 0.25
    assert res["r2_2048"] < 0.11 and res["r2_2048"] < res["r1_2048"]
    assert 0.05 < res["jl"] < 0.10
    assert abs(res["beta_2048"] - res["jl"]) < 0.02     # beta^-32: quantization error negligible


def test_simhash_cannot_see_norms(spread_data):
    X, _ = spread_data
    x = X[:1]
    srp = SignRandomProjection(512, random_state=0).fit(X)
    assert srp.distance(srp.transform(x), srp.transform(3 * x)) == 0     # same code for x and 3x
    fbe = FastBinaryEmbedding(512, random_state=0).fit(np.vstack([X, 3 * x]))
    d = fbe.distance(fbe.transform(x), fbe.transform(3 * x))
    assert abs(d[0] / (2 * np.linalg.norm(x)) - 1) < 0.35


# ------------------------------------------------------------------ SimHash baseline
def test_sign_random_projection():
    X = _gauss(25, 40, seed=3)
    srp = SignRandomProjection(4096, random_state=0).fit(X)
    c = srp.transform(X)
    np.testing.assert_array_equal(c, np.where(X @ srp.operator_.matrix.T >= 0, 1, -1))
    H = srp.pairwise_distances(c)
    np.testing.assert_array_equal(H, (c[:, None, :] != c[None, :, :]).sum(-1))
    np.testing.assert_array_equal(H, srp.pairwise_distances(srp.transform(X, packed=True)))
    angle = srp.pairwise_distances(c, metric="angle")
    true = np.arccos(np.clip(1 - cdist(X, X, "cosine"), -1, 1))
    assert np.max(np.abs(angle - true)) < 0.1
    np.testing.assert_allclose(srp.distance(c[:5], c[5:10]), np.diag(H[:5, 5:10]))
    _, ind = srp.kneighbors(c, 3)
    Hx = H.copy()
    np.fill_diagonal(Hx, np.inf)
    np.testing.assert_array_equal(ind[:, 0], [np.lexsort((np.arange(25), r))[0] for r in Hx])
    sparse = SignRandomProjection(256, matrix="sparse_gaussian", random_state=0).fit(X)
    np.testing.assert_array_equal(sparse.transform(X),
                                  np.where(X @ sparse.operator_.matrix.T.toarray() >= 0, 1, -1))


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("params,match", [
    (dict(n_components=0), "n_components"),
    (dict(n_components=2.5), "n_components"),
    (dict(method="hash"), "method"),
    (dict(order=4), "order"),
    (dict(method="beta", beta=2.5), "beta"),
    (dict(block_length=7), "block_length=7 must divide n_components=64"),
    (dict(matrix="dense"), "matrix"),
    (dict(density=0.0), "density"),
    (dict(matrix="circulant", density=0.5), "density only applies"),
    (dict(matrix="fjlt", preconditioning=False), "fjlt"),
    (dict(preconditioning="yes"), "preconditioning"),
    (dict(scale="max"), "scale"),
    (dict(scale=-1.0), "scale"),
])
def test_bad_parameters(params, match):
    kw = dict(n_components=64)
    kw.update(params)
    with pytest.raises((ValueError, TypeError), match=match):
        FastBinaryEmbedding(**kw).fit(_gauss(5, 10))


def test_bad_data_and_codes():
    X = _gauss(6, 10)
    fbe = FastBinaryEmbedding(64, block_length=8, random_state=0).fit(X)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        FastBinaryEmbedding(64).fit(Xn)
    with pytest.raises(ValueError, match="NaN"):
        fbe.transform(Xn)
    with pytest.raises(ValueError, match="10 features"):
        fbe.transform(X[:, :9])
    c = fbe.transform(X)
    with pytest.raises(ValueError, match="-1 and \\+1"):
        fbe.condense(np.zeros_like(c))
    with pytest.raises(ValueError, match="64 \\(n_components\\) columns"):
        fbe.pairwise_distances(c[:, :60])
    with pytest.raises(ValueError, match="packed"):
        fbe.pairwise_distances(np.zeros((2, 7), np.uint8))
    with pytest.raises(ValueError, match="n_blocks_ = 8"):
        fbe.pairwise_distances(c, condensed=True)
    with pytest.raises(TypeError, match="integers"):
        fbe.pairwise_distances(np.zeros((2, 8)), condensed=True)
    with pytest.raises(ValueError, match="metric"):
        fbe.pairwise_distances(c, metric="hamming")
    with pytest.raises(ValueError, match="same number of rows"):
        fbe.distance(c[:2], c[:3])
    with pytest.raises(ValueError, match="n_neighbors=6 exceeds"):
        fbe.kneighbors(c, 6)
    with pytest.raises(ValueError, match="2-D"):
        fbe.condense(c[None])
    with pytest.raises(TypeError, match="dtype"):
        fbe.condense(np.array([["a"] * 64]))
    srp = SignRandomProjection(64, random_state=0).fit(X)
    with pytest.raises(ValueError, match="metric"):
        srp.pairwise_distances(srp.transform(X), metric="l1")
    with pytest.raises(ValueError, match="matrix"):
        SignRandomProjection(64, matrix="circulant").fit(X)


# ------------------------------------------------------------------ demo
def test_demo_quick(tmp_path):
    from cstoolbox.demos import binary_embeddings
    res = binary_embeddings.run(quick=True, out=tmp_path, seed=0, progress=False)
    assert (tmp_path / "results.json").exists()
    assert (tmp_path / "mape_vs_m.png").exists()
    syn = res["synthetic"]
    assert syn["mape"]["sd1"][-1] < syn["mape"]["sd1"][0]         # r = 1 improves with m
    recall = res["retrieval"]["recall_at_10"]
    assert recall["sd1"][0] > 0.2 and recall["beta"][0] > 0.2
    assert (tmp_path / "results.md").read_text().count("|") > 20


def test_bad_input_robustness_sweep():
    """A huge n_components hung in an O(n_components) divisor search; packed='yes' was accepted."""
    from cstoolbox.embeddings import _DEFAULT_BLOCKS
    X = np.random.default_rng(0).standard_normal((20, 16))
    with pytest.raises(ValueError, match="GiB"):  # refused up front instead of hanging
        FastBinaryEmbedding(10**12, random_state=0).fit(X)
    for est in (FastBinaryEmbedding(64, random_state=0).fit(X), SignRandomProjection(64, random_state=0).fit(X)):
        for packed in ("yes", 2, None):
            with pytest.raises(TypeError, match="packed must be True or False"):
                est.transform(X, packed=packed)
    # the default block length is the one of the old exhaustive divisor search
    for m in (64, 97, 360, 720, 1000, 1024):
        divisors = [d for d in range(1, m + 1) if m % d == 0]
        expected = min(divisors, key=lambda d: (abs(d - m / _DEFAULT_BLOCKS), -d))
        assert FastBinaryEmbedding(m, random_state=0).fit(X).block_length_ == expected
