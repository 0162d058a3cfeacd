"""Tests for cstoolbox.classification.BinaryDataClassifier (Needell, Saab, Woolf 2018)."""
import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from cstoolbox.classification import BinaryDataClassifier, membership_index


@parametrize_with_checks([BinaryDataClassifier(random_state=0)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def gaussian_clouds(rng, n=20, per_class=100, n_classes=3):
    """Three Gaussian clouds in R^20: centers N(0, I), unit within-class noise; train and test sets."""
    centers = rng.standard_normal((n_classes, n))

    def draw():
        y = np.repeat(np.arange(n_classes), per_class)
        return centers[y] + rng.standard_normal((y.size, n)), y
    return draw(), draw()


# ------------------------------------------------------------------------------------------ identities
def test_membership_index_matches_definition():
    rng = np.random.default_rng(0)
    P = rng.random((7, 4, 5))
    P[0, 0] = 0.0                                      # pattern never seen: r = 0
    P[1, 1, :2] = 0.0
    r = membership_index(P)
    S = P.sum(-1, keepdims=True)
    dev = np.abs(P[..., :, None] - P[..., None, :]).sum(-1)
    ref = np.where(S > 0, (P / np.where(S > 0, S, 1)) * dev / np.where(S > 0, S, 1), 0.0)
    assert np.allclose(r, ref, atol=1e-15, rtol=1e-13)
    assert np.all(r[0, 0] == 0)


def naive_fit_predict(Q_train, y_train, Q_test, index_sets, n_classes):
    """Loop-by-loop transcription of the paper's training and classification (reference)."""
    counts_g = np.bincount(y_train, minlength=n_classes)
    scores = np.zeros((Q_test.shape[0], n_classes))
    memberships = []
    for T in index_sets:
        m, lev = T.shape
        R = np.zeros((m, 2 ** lev, n_classes))
        for i in range(m):
            P = np.zeros((2 ** lev, n_classes))
            for pt in range(Q_train.shape[0]):
                j = sum(int(Q_train[pt, T[i, k]] > 0) << k for k in range(lev))
                P[j, y_train[pt]] += 1.0 / counts_g[y_train[pt]]
            for j in range(2 ** lev):
                tot = P[j].sum()
                for g in range(n_classes):
                    if tot > 0:
                        R[i, j, g] = P[j, g] / tot * np.abs(P[j, g] - P[j]).sum() / tot
        memberships.append(R)
        for pt in range(Q_test.shape[0]):
            for i in range(m):
                j = sum(int(Q_test[pt, T[i, k]] > 0) << k for k in range(lev))
                scores[pt] += R[i, j]
    return memberships, scores


def test_training_and_scores_match_naive_reference():
    rng = np.random.default_rng(1)
    (Xtr, ytr), (Xte, yte) = gaussian_clouds(rng, n=6, per_class=15)
    clf = BinaryDataClassifier(n_projections=12, n_levels=3, random_state=3).fit(Xtr, ytr)
    Qtr = np.where(Xtr @ clf.projection_.T >= 0, 1, -1)
    Qte = np.where(Xte @ clf.projection_.T >= 0, 1, -1)
    R_ref, S_ref = naive_fit_predict(Qtr, ytr, Qte, clf.index_sets_, 3)
    for R, Rr in zip(clf.membership_, R_ref):
        assert np.allclose(R, Rr, atol=1e-14)
    assert np.allclose(clf.decision_function(Xte), S_ref, atol=1e-12)
    assert np.array_equal(clf.predict(Xte), np.argmax(S_ref, axis=1))
    # index sets: level 1 is measurement i, level l has l distinct measurements
    assert np.array_equal(clf.index_sets_[0][:, 0], np.arange(12))
    for T in clf.index_sets_[1:]:
        assert all(len(set(row)) == T.shape[1] for row in T.tolist())


def test_prebinarized_equals_raw_at_level_one():
    rng = np.random.default_rng(2)
    (Xtr, ytr), (Xte, _) = gaussian_clouds(rng, n=10, per_class=30)
    raw = BinaryDataClassifier(n_projections=40, n_levels=1, random_state=0).fit(Xtr, ytr)
    A = raw.projection_
    pre = BinaryDataClassifier(n_levels=1, prebinarized=True, random_state=0).fit(
        np.where(Xtr @ A.T >= 0, 1.0, -1.0), ytr)
    assert pre.n_projections_ == 40 and pre.projection_ is None
    assert np.allclose(pre.decision_function(np.where(Xte @ A.T >= 0, 1.0, -1.0)), raw.decision_function(Xte))


# ------------------------------------------------------------------------------------------ spec numbers
def test_gaussian_cloud_smoke_numbers():
    """Spec: 3 clouds in n = 20, 300 train / 300 test; m = 10 -> 0.75..0.81, m = 50 -> 0.92..0.95,
    m = 200 -> 0.95..0.99 over L = 1..4 (our clouds: centers N(0, I), unit noise; mean of 3 draws)."""
    acc = np.zeros((3, 4))
    seeds = (0, 1, 2)
    for seed in seeds:
        rng = np.random.default_rng(seed)
        (Xtr, ytr), (Xte, yte) = gaussian_clouds(rng)
        for a, m in enumerate((10, 50, 200)):
            for L in range(1, 5):
                clf = BinaryDataClassifier(n_projections=m, n_levels=L, random_state=seed).fit(Xtr, ytr)
                acc[a, L - 1] += clf.score(Xte, yte) / len(seeds)
    assert np.all((acc[0] > 0.70) & (acc[0] < 0.92))
    assert np.all((acc[1] > 0.88) & (acc[1] < 0.98))
    assert np.all(acc[2] > 0.93)
    assert np.all(acc[2] > acc[0])                 # more measurements help at every level


# ------------------------------------------------------------------------------------------ behaviour
def test_arbitrary_labels_binary_decision_and_determinism():
    rng = np.random.default_rng(4)
    (Xtr, ytr), (Xte, yte) = gaussian_clouds(rng, n=8, per_class=40, n_classes=2)
    labels = np.array(["cat", "dog"])
    clf = BinaryDataClassifier(n_projections=30, random_state=7).fit(Xtr, labels[ytr])
    d = clf.decision_function(Xte)
    assert d.shape == (Xte.shape[0],)
    assert np.array_equal(clf.predict(Xte), np.where(d > 0, "dog", "cat"))
    assert clf.score(Xte, labels[yte]) > 0.8
    clf2 = BinaryDataClassifier(n_projections=30, random_state=7).fit(Xtr, labels[ytr])
    assert np.array_equal(clf2.decision_function(Xte), d)
    clf3 = BinaryDataClassifier(n_projections=30, random_state=8).fit(Xtr, labels[ytr])
    assert not np.array_equal(clf3.projection_, clf.projection_)


def test_sparse_input_matches_dense():
    import scipy.sparse as sp
    rng = np.random.default_rng(5)
    (Xtr, ytr), (Xte, _) = gaussian_clouds(rng, n=10, per_class=20)
    Xtr[np.abs(Xtr) < 0.5] = 0
    a = BinaryDataClassifier(n_projections=25, n_levels=2, random_state=1).fit(Xtr, ytr)
    b = BinaryDataClassifier(n_projections=25, n_levels=2, random_state=1).fit(sp.csr_matrix(Xtr), ytr)
    assert np.allclose(a.decision_function(Xte), b.decision_function(sp.csc_matrix(Xte)))


def test_bad_inputs():
    X = np.random.default_rng(6).standard_normal((20, 4))
    y = np.arange(20) % 2
    with pytest.raises(ValueError, match="n_levels"):
        BinaryDataClassifier(n_levels=0).fit(X, y)
    with pytest.raises(ValueError, match="n_levels"):
        BinaryDataClassifier(n_projections=3, n_levels=4).fit(X, y)
    with pytest.raises(ValueError, match="GiB"):
        BinaryDataClassifier(n_projections=10000, n_levels=20).fit(X, y)
    with pytest.raises(TypeError, match="n_projections"):
        BinaryDataClassifier(n_projections=10.5).fit(X, y)
    with pytest.raises(ValueError, match="n_projections"):
        BinaryDataClassifier(n_projections=0).fit(X, y)
    with pytest.raises(ValueError, match="-1, \\+1"):
        BinaryDataClassifier(prebinarized=True).fit(X, y)
    with pytest.raises(TypeError, match="prebinarized"):
        BinaryDataClassifier(prebinarized="yes").fit(X, y)
    with pytest.raises(ValueError, match="Unknown label type"):
        BinaryDataClassifier().fit(X, X[:, 0])
    clf = BinaryDataClassifier(n_levels=1, prebinarized=True).fit(np.sign(X) + (X == 0), y)
    with pytest.raises(ValueError, match="-1, \\+1"):
        clf.predict(X)


def test_demo_quick(tmp_path):
    import json

    from cstoolbox.demos import binary_classification
    assert binary_classification.main(["--quick", "--out", str(tmp_path), "--no-progress"]) == 0
    res = json.loads((tmp_path / "binary_classification.json").read_text())
    assert (tmp_path / "accuracy_vs_m.png").exists()
    acc = res["accuracy"]
    assert set(acc) >= {"L=1", "L=4", "logistic"}
    assert all(0.2 < v <= 1.0 for row in acc.values() for v in row)   # 10 classes: chance is 0.1


@pytest.mark.parametrize("P,exc,match", [
    (np.float64(0.5), ValueError, "shape"),           # was IndexError
    (np.array([0.5, np.nan]), ValueError, "finite"),  # NaN frequencies came out as 0
    (np.array([0.5, -0.1]), ValueError, "non-negative"),
    (np.array([0.5 + 1j, 0.2]), TypeError, "real"),   # was cast with a ComplexWarning
    (np.array(["a", "b"]), TypeError, "real"),
])
def test_membership_index_bad_input(P, exc, match):
    with pytest.raises(exc, match=match):
        membership_index(P)
