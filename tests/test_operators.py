import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from cstoolbox.operators import (
    DCTOperator, DiagonalOperator, GaussianOperator, IdentityOperator, LinearOperator, MatrixOperator,
    PartialCirculantOperator, RandomizedHadamardOperator, SparseGaussianOperator,
    SubsampledOrthogonalOperator, WaveletOperator, aslinearoperator, dottest,
)


def _all_operators():
    return {
        "gaussian": GaussianOperator(20, 50, random_state=0),
        "gaussian_complex": GaussianOperator(20, 50, random_state=0, dtype=np.complex128),
        "sparse_gaussian": SparseGaussianOperator(20, 50, density=0.2, random_state=0),
        "circulant_rademacher": PartialCirculantOperator(20, 50, random_state=0),
        "circulant_gaussian": PartialCirculantOperator(24, 64, generator="gaussian", random_state=1),
        "bos_dft": SubsampledOrthogonalOperator(20, 64, transform="dft", random_state=0),
        "bos_dct_signs": SubsampledOrthogonalOperator(20, 60, transform="dct", random_signs=True, random_state=0),
        "bos_hadamard_signs": SubsampledOrthogonalOperator(16, 64, "hadamard", random_signs=True, random_state=0),
        "randomized_hadamard": RandomizedHadamardOperator(64, random_state=2),
        "dct_1d": DCTOperator(40),
        "dct_2d": DCTOperator((8, 12)),
        "wavelet_1d": WaveletOperator(64, "db2"),
        "wavelet_2d": WaveletOperator((16, 32), "db4", level=2),
        "diagonal": DiagonalOperator(np.arange(1.0, 6.0)),
        "identity": IdentityOperator(7),
        "matrix_sparse": MatrixOperator(sp.random(10, 7, density=0.3, random_state=0)),
    }


OPS = _all_operators()


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("complex_input", [False, True])
def test_dottest_every_operator(name, complex_input):
    A = OPS[name]
    assert dottest(A, random_state=0, complex_input=complex_input)
    assert dottest(A, random_state=1, complex_input=complex_input, n_vectors=3)


@pytest.mark.parametrize("name", sorted(OPS))
def test_matches_dense(name, rng):
    A = OPS[name]
    D = A.todense()
    assert D.shape == A.shape
    x = rng.standard_normal((A.shape[1], 2))
    np.testing.assert_allclose(A @ x, D @ x, atol=1e-10)
    np.testing.assert_allclose(A @ x[:, 0], D @ x[:, 0], atol=1e-10)
    y = rng.standard_normal(A.shape[0])
    np.testing.assert_allclose(A.H @ y, D.conj().T @ y, atol=1e-10)


@pytest.mark.parametrize("name", ["dct_2d", "wavelet_1d", "wavelet_2d", "randomized_hadamard", "dct_1d"])
def test_bases_are_orthogonal(name):
    D = OPS[name].todense()
    np.testing.assert_allclose(D.T @ D, np.eye(D.shape[1]), atol=1e-10)


@pytest.mark.parametrize("make", [
    lambda s: GaussianOperator(32, 128, random_state=s),
    lambda s: SparseGaussianOperator(32, 128, density=0.1, random_state=s),
    lambda s: PartialCirculantOperator(32, 128, random_state=s),
    lambda s: SubsampledOrthogonalOperator(32, 128, transform="dft", random_state=s),
    lambda s: SubsampledOrthogonalOperator(32, 128, transform="hadamard", random_signs=True, random_state=s),
])
def test_isotropic_normalization(make):
    x = np.random.default_rng(0).standard_normal(128)
    x /= np.linalg.norm(x)
    energies = [np.linalg.norm(make(s) @ x) ** 2 for s in range(400)]
    assert abs(np.mean(energies) - 1.0) < 0.05


def test_circulant_definition_and_rows():
    A = PartialCirculantOperator(5, 8, random_state=3)
    xi = A.generator_
    C = np.array([[xi[(i - j) % 8] for j in range(8)] for i in range(8)])
    np.testing.assert_allclose(A.todense(), C[A.rows] / np.sqrt(5))
    assert len(set(A.rows)) == 5 and np.all(np.diff(A.rows) > 0)
    assert set(np.unique(xi)) <= {-1.0, 1.0}


def test_same_seed_same_operator():
    a = PartialCirculantOperator(10, 32, random_state=5)
    b = PartialCirculantOperator(10, 32, random_state=5)
    np.testing.assert_array_equal(a.todense(), b.todense())
    c = SubsampledOrthogonalOperator(10, 32, "hadamard", random_signs=True, random_state=5)
    d = SubsampledOrthogonalOperator(10, 32, "hadamard", random_signs=True, random_state=5)
    np.testing.assert_array_equal(c.todense(), d.todense())


def test_algebra(rng):
    A = GaussianOperator(6, 4, random_state=1)
    B = GaussianOperator(4, 3, random_state=2)
    C = GaussianOperator(6, 4, random_state=3)
    Ad, Bd, Cd = A.todense(), B.todense(), C.todense()
    np.testing.assert_allclose((A @ B).todense(), Ad @ Bd)
    np.testing.assert_allclose((2.5 * A).todense(), 2.5 * Ad)
    np.testing.assert_allclose((A * 2).todense(), 2 * Ad)
    np.testing.assert_allclose((A / 2).todense(), Ad / 2)
    np.testing.assert_allclose((A + C).todense(), Ad + Cd)
    np.testing.assert_allclose((A - C).todense(), Ad - Cd)
    np.testing.assert_allclose((-A).todense(), -Ad)
    np.testing.assert_allclose(A.H.todense(), Ad.T)
    np.testing.assert_allclose(A.T.todense(), Ad.T)
    assert A.H.H is A
    np.testing.assert_allclose((1j * A).H.todense(), (1j * Ad).conj().T)
    dottest((1j * A) @ B + 0 * (A @ B), random_state=0)
    assert abs(A.norm_estimate() - np.linalg.norm(Ad, 2)) < 1e-4
    with pytest.raises(ValueError, match="compose"):
        A @ C
    with pytest.raises(ValueError, match="add"):
        A + B
    with pytest.raises(TypeError, match="transpose"):
        GaussianOperator(3, 3, dtype=np.complex128).T


def test_aslinearoperator_accepts(rng):
    M = rng.standard_normal((5, 4))
    x = rng.standard_normal(4)
    for obj in (M, sp.csr_matrix(M), spla.aslinearoperator(M), M.tolist()):
        op = aslinearoperator(obj)
        np.testing.assert_allclose(op @ x, M @ x)
        np.testing.assert_allclose(op.H @ np.ones(5), M.T @ np.ones(5))

    class Duck:
        shape = (5, 4)

        def matvec(self, v):
            return M @ v

        def rmatvec(self, v):
            return M.T @ v

    op = aslinearoperator(Duck())
    np.testing.assert_allclose(op @ np.eye(4), M)
    assert dottest(op, random_state=0)
    A = GaussianOperator(3, 3, random_state=0)
    assert aslinearoperator(A) is A
    np.testing.assert_allclose((M @ IdentityOperator(4)).todense(), M)


@pytest.mark.parametrize("bad", [np.ones(3), "matrix", 3])
def test_aslinearoperator_rejects(bad):
    with pytest.raises(TypeError):
        aslinearoperator(bad)


def test_shape_errors():
    A = GaussianOperator(4, 6, random_state=0)
    with pytest.raises(ValueError, match="leading dimension 5"):
        A @ np.ones(5)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        A @ np.ones((6, 2, 2))


@pytest.mark.parametrize("factory,match", [
    (lambda: PartialCirculantOperator(10, 8), "m must be <= n"),
    (lambda: SubsampledOrthogonalOperator(10, 8), "m must be <= n"),
    (lambda: SubsampledOrthogonalOperator(4, 12, transform="hadamard"), "power-of-two"),
    (lambda: RandomizedHadamardOperator(12), "power-of-two"),
    (lambda: SparseGaussianOperator(4, 8, density=0.0), "density"),
    (lambda: SparseGaussianOperator(4, 8, density=1.5), "density"),
    (lambda: SubsampledOrthogonalOperator(4, 8, transform="dst"), "transform"),
    (lambda: PartialCirculantOperator(4, 8, generator="uniform"), "generator"),
    (lambda: GaussianOperator(0, 5), "m must be >= 1"),
    (lambda: WaveletOperator((30, 30), "db4", level=2), "divisible"),
    (lambda: WaveletOperator(64, "bior2.2"), "not orthogonal"),
    (lambda: WaveletOperator(64, "nope"), "unknown wavelet"),
])
def test_ensemble_bad_parameters(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


def test_custom_subclass_minimal():
    class Shift(LinearOperator):
        def __init__(self, n):
            super().__init__((n, n))

        def _matvec(self, x):
            return np.roll(x, 1, axis=0)

        def _rmatvec(self, y):
            return np.roll(y, -1, axis=0)

    assert dottest(Shift(9), random_state=0)


@pytest.mark.gpu
@pytest.mark.parametrize("name", ["circulant_rademacher", "bos_dft", "bos_hadamard_signs", "gaussian", "dct_2d"])
def test_cupy_operators_match_numpy(name):
    import cupy
    A = OPS[name]
    x = np.random.default_rng(0).standard_normal((A.shape[1], 2))
    np.testing.assert_allclose((A @ cupy.asarray(x)).get(), A @ x, atol=1e-10)
    y = np.random.default_rng(1).standard_normal((A.shape[0], 2))
    np.testing.assert_allclose((A.H @ cupy.asarray(y)).get(), A.H @ y, atol=1e-10)


@pytest.mark.parametrize("factory,exc,match", [
    (lambda: MatrixOperator(np.array([[1.0, np.nan], [0.0, 1.0]])), ValueError, "finite"),
    (lambda: MatrixOperator(sp.csr_matrix(np.array([[np.inf, 0.0], [0.0, 1.0]]))), ValueError, "finite"),
    (lambda: MatrixOperator(np.full((2, 2), "a")), TypeError, "numeric"),
    (lambda: MatrixOperator(np.array([[1.0, "a"], [0.0, 1.0]], dtype=object)), TypeError, "numeric"),
    (lambda: MatrixOperator(np.array([[1.0, "2.5"], [0.0, 1.0]], dtype=object)), TypeError, "non-number"),
    (lambda: MatrixOperator(np.array([[1.0, None], [0.0, 1.0]], dtype=object)), TypeError, "non-number"),
    (lambda: MatrixOperator(np.array([[1.0, np.nan], [0.0, 1.0]], dtype=object)), ValueError, "finite"),
    (lambda: DiagonalOperator([1.0, np.nan]), ValueError, "finite"),
    (lambda: DiagonalOperator(np.array([1, None], dtype=object)), TypeError, "numeric"),
    (lambda: IdentityOperator(2.5), TypeError, "shape must be a pair"),
    (lambda: IdentityOperator("3"), TypeError, "shape must be a pair"),
    (lambda: IdentityOperator(True), TypeError, "shape must be a pair"),
    (lambda: IdentityOperator(-1), ValueError, "non-negative"),
    (lambda: WaveletOperator(16, wavelet=3), TypeError, "wavelet must be"),
    (lambda: WaveletOperator(16, wavelet=None), TypeError, "wavelet must be"),
    (lambda: WaveletOperator(16, level=2.5), TypeError, "level must be"),
    (lambda: WaveletOperator(16, level=10**12), ValueError, "largest allowed 4"),  # was a hang (2**level)
    (lambda: WaveletOperator("16"), TypeError, "shape must be"),
    (lambda: DCTOperator(2.5), TypeError, "shape must be"),
    (lambda: GaussianOperator(10**7, 10**7), ValueError, "GiB"),            # refused before allocating
    (lambda: SparseGaussianOperator(10**12, 8), ValueError, "GiB"),          # was minutes of drawing
    (lambda: GaussianOperator(3, 4).norm_estimate(n_iter=0), ValueError, "n_iter"),
    (lambda: GaussianOperator(3, 4).norm_estimate(n_iter="3"), ValueError, "n_iter"),
    (lambda: GaussianOperator(3, 4).norm_estimate(tol=np.nan), ValueError, "tol"),
    (lambda: dottest(np.eye(3), rtol="1"), ValueError, "rtol"),
    (lambda: dottest(np.eye(3), rtol=0.0), ValueError, "rtol"),
    (lambda: dottest(np.eye(3), n_vectors=2.5), ValueError, "n_vectors"),
    (lambda: dottest(np.eye(3), n_vectors=-1), ValueError, "n_vectors"),
])
def test_bad_input_is_named(factory, exc, match):
    """Bad matrices, sizes and settings raise at the boundary (not NaN results, numpy errors or hangs)."""
    with pytest.raises(exc, match=match):
        factory()


def test_object_dtype_numeric_matrices_are_converted():
    """Regression (15ff9aa): object-dtype matrices of numbers were refused instead of converted."""
    X = np.random.default_rng(0).standard_normal((4, 3))
    op = MatrixOperator(X.astype(object))
    assert op.dtype == np.float64 and op.matrix.dtype == np.float64
    np.testing.assert_array_equal(op.matrix, X)
    Z = X + 1j * X[::-1]
    opc = MatrixOperator(Z.astype(object))
    assert opc.dtype == np.complex128
    np.testing.assert_array_equal(opc.matrix, Z)
    mixed = MatrixOperator(np.array([[1, 2.5], [True, 3 + 0j]], dtype=object))
    np.testing.assert_array_equal(mixed.matrix, [[1, 2.5], [1, 3]])
    assert mixed.dtype == np.complex128   # a complex entry makes the whole matrix complex
    d = DiagonalOperator(np.array([1, 2.0], dtype=object))
    assert d.diagonal.dtype == np.float64


def test_integral_and_numpy_sizes_still_accepted():
    assert IdentityOperator(np.int64(3)).shape == (3, 3)
    assert IdentityOperator(3.0).shape == (3, 3)
    assert MatrixOperator(np.eye(2, dtype=bool)).dtype == np.float64
    assert MatrixOperator(np.zeros((0, 3))).shape == (0, 3)
    assert dottest(np.eye(3), n_vectors=np.int64(2), random_state=0)


def _fake_sysconf(phys_pages, page_size=1):
    return lambda name: {"SC_PAGE_SIZE": page_size, "SC_PHYS_PAGES": phys_pages}[name]


def test_memory_check_unknown_sysconf_and_itemsize(monkeypatch):
    """Regression (15ff9aa): sysconf answering -1 refused every size; real dtypes were counted at 16 B."""
    import os
    monkeypatch.setattr(os, "sysconf", _fake_sysconf(-1, 4096))   # -1: unknown -> no check
    assert GaussianOperator(10, 10, random_state=0).shape == (10, 10)
    assert SparseGaussianOperator(10, 10, random_state=0).shape == (10, 10)
    monkeypatch.setattr(os, "sysconf", _fake_sysconf(4096, -1))
    assert GaussianOperator(10, 10, random_state=0).shape == (10, 10)
    # 13 bytes per entry of "physical memory": float32 (13) and float64 (9) fit, complex128 (24) does not
    m, n = 40, 50
    monkeypatch.setattr(os, "sysconf", _fake_sysconf(13 * m * n))
    assert GaussianOperator(m, n, dtype=np.float32).matrix.dtype == np.float32
    assert GaussianOperator(m, n, dtype=np.float64).matrix.dtype == np.float64
    with pytest.raises(ValueError, match="GiB"):
        GaussianOperator(m, n, dtype=np.complex128)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128, np.complex64])
def test_gaussian_memory_estimate_covers_the_measured_peak_and_values_unchanged(dtype):
    import math
    import tracemalloc

    from cstoolbox.operators._ensembles import _gaussian_bytes_per_entry
    m, n = 300, 400
    tracemalloc.start()
    try:
        A = GaussianOperator(m, n, random_state=4, dtype=dtype)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    est = m * n * _gaussian_bytes_per_entry(np.dtype(dtype))
    assert peak <= est + 64 * 1024          # the refusal threshold is not an underestimate
    assert est <= 1.1 * peak + 64 * 1024    # ... nor a loose overestimate
    # in-place generation gives the same matrix as the former out-of-place expressions
    rng = np.random.default_rng(4)
    if np.dtype(dtype).kind == "c":
        ref = (rng.standard_normal((m, n)) + 1j * rng.standard_normal((m, n))) / math.sqrt(2 * m)
    else:
        ref = rng.standard_normal((m, n)) / math.sqrt(m)
    np.testing.assert_array_equal(A.matrix, ref.astype(dtype))
