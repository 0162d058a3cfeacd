"""Tests of cstoolbox.metrics: defining formulas, batching, edge cases, bad input."""
import numpy as np
import pytest

from cstoolbox.metrics import mape, phase_aligned_error, psnr_db, relative_error, snr_db


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def test_snr_definition(rng):
    x = rng.standard_normal(100)
    e = 1e-2 * rng.standard_normal(100)
    expected = 20 * np.log10(np.linalg.norm(x) / np.linalg.norm(e))
    assert snr_db(x, x + e) == pytest.approx(expected, rel=1e-13)
    assert isinstance(snr_db(x, x + e), float)
    # scale invariance and symmetry of the error sign
    assert snr_db(3 * x, 3 * (x + e)) == pytest.approx(expected, rel=1e-12)
    assert snr_db(x, x - e) == pytest.approx(expected, rel=1e-13)
    assert snr_db(x, x) == np.inf
    assert np.isnan(snr_db(np.zeros(3), np.zeros(3)))
    assert snr_db(x, np.zeros_like(x)) == pytest.approx(0.0, abs=1e-12)


def test_snr_relative_error_relation(rng):
    x = rng.standard_normal((4, 8)) + 1j * rng.standard_normal((4, 8))
    x_hat = x + 0.1 * rng.standard_normal((4, 8))
    np.testing.assert_allclose(snr_db(x, x_hat, axis=1),
                               -20 * np.log10(relative_error(x, x_hat, axis=1)), rtol=1e-12)


def test_batched_matches_loop(rng):
    x = rng.standard_normal((5, 3, 16))
    x_hat = x + 0.05 * rng.standard_normal(x.shape)
    x_hat[2] = x[2]
    for fn in (snr_db, relative_error, psnr_db):
        batched = fn(x, x_hat, axis=(1, 2))
        assert batched.shape == (5,)
        loop = np.array([fn(x[i], x_hat[i]) for i in range(5)])
        np.testing.assert_allclose(batched, loop, rtol=1e-12)
    assert snr_db(x, x_hat, axis=(1, 2))[2] == np.inf
    per_row = snr_db(x, x_hat, axis=-1)
    assert per_row.shape == (5, 3)
    np.testing.assert_allclose(per_row[0, 1], snr_db(x[0, 1], x_hat[0, 1]), rtol=1e-12)


def test_psnr_definition(rng):
    x = rng.uniform(0, 1, size=(32, 32))
    x_hat = np.clip(x + 0.02 * rng.standard_normal(x.shape), 0, 1)
    mse = np.mean((x - x_hat) ** 2)
    assert psnr_db(x, x_hat, peak=1.0) == pytest.approx(10 * np.log10(1.0 / mse), rel=1e-13)
    assert psnr_db(255 * x, 255 * x_hat, peak=255) == pytest.approx(psnr_db(x, x_hat, peak=1.0),
                                                                    rel=1e-12)
    peak = np.max(np.abs(x))
    assert psnr_db(x, x_hat) == pytest.approx(10 * np.log10(peak ** 2 / mse), rel=1e-13)
    assert psnr_db(x, x, peak=1.0) == np.inf


def test_relative_error_values():
    x = np.array([3.0, 4.0])
    assert relative_error(x, x) == 0.0
    assert relative_error(x, [3.0, 4.5]) == pytest.approx(0.1, rel=1e-14)
    assert relative_error(np.zeros(2), np.ones(2)) == np.inf
    assert np.isnan(relative_error(np.zeros(2), np.zeros(2)))


@pytest.mark.parametrize("shape", [(7,), (3, 5)])
def test_phase_aligned_error_complex(rng, shape):
    x = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    noise = 0.05 * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape))
    theta = 2.1
    err, aligned = phase_aligned_error(x, np.exp(1j * theta) * (x + noise))
    assert aligned.shape == shape
    np.testing.assert_allclose(err, relative_error(x, x + noise), rtol=0.05)
    # optimality: no other global phase does better (dense scan)
    scan = [relative_error(x, np.exp(1j * t) * aligned) for t in np.linspace(-np.pi, np.pi, 721)]
    assert err <= min(scan) + 1e-12
    # the aligned estimate has a real non-negative inner product with x
    c = np.vdot(aligned, x)
    assert c.real > 0 and abs(c.imag) < 1e-10 * abs(c)
    exact, aligned_exact = phase_aligned_error(x, np.exp(-0.4j) * x)
    assert exact < 1e-14
    np.testing.assert_allclose(aligned_exact, x, atol=1e-14)


def test_phase_aligned_error_real_sign(rng):
    x = rng.standard_normal(10)
    err, aligned = phase_aligned_error(x, -x)
    assert err == 0.0 and np.array_equal(aligned, x)
    assert np.isrealobj(aligned)
    err, aligned = phase_aligned_error(x, 0.5 * x)
    assert err == pytest.approx(0.5, rel=1e-13)
    err, aligned = phase_aligned_error(x, np.zeros_like(x))  # c = 0: any phase, theta = 0
    assert err == pytest.approx(1.0)


def test_phase_aligned_error_per_row_matches_single(rng):
    x = rng.standard_normal((4, 9)) + 1j * rng.standard_normal((4, 9))
    x_hat = x * np.exp(1j * rng.uniform(-3, 3, (4, 1))) + 0.1 * rng.standard_normal((4, 9))
    x_hat[2] = 0.0  # a zero estimate: inner product 0, theta = 0, error 1
    errs, aligned = phase_aligned_error(x, x_hat, axis=-1)
    assert errs.shape == (4,) and aligned.shape == x.shape
    for i in range(4):
        e, a = phase_aligned_error(x[i], x_hat[i])
        assert errs[i] == pytest.approx(e, rel=1e-13)
        np.testing.assert_allclose(aligned[i], a, atol=1e-14)
    # the columns as signals: axis=0 aligns each column on its own
    errs0, aligned0 = phase_aligned_error(x.T, x_hat.T, axis=0)
    np.testing.assert_allclose(errs0, errs, rtol=1e-13)
    # real rows: each row's own sign
    r = rng.standard_normal((3, 6))
    errs_r, aligned_r = phase_aligned_error(r, r * np.array([[1.0], [-1.0], [-2.0]]), axis=1)
    np.testing.assert_allclose(errs_r, [0.0, 0.0, 1.0], atol=1e-14)
    assert np.isrealobj(aligned_r)
    with pytest.raises(ValueError, match="axis"):
        phase_aligned_error(r, r, axis=2)


def test_mape(rng):
    d = rng.uniform(1, 2, size=50)
    d_est = d * (1 + 0.1 * rng.choice([-1, 1], size=50))
    assert mape(d, d_est) == pytest.approx(0.1, rel=1e-12)
    assert mape(d, d) == 0.0
    D = np.array([[0.0, 2.0, 4.0], [2.0, 0.0, 1.0], [4.0, 1.0, 0.0]])
    E = D * 1.5
    with pytest.raises(ValueError, match="3 zero distance"):
        mape(D, E)
    assert mape(D, E, zero="ignore") == pytest.approx(0.5)
    with pytest.raises(ValueError, match="every true distance is zero"):
        mape(np.zeros(3), np.ones(3), zero="ignore")


@pytest.mark.parametrize("fn", [snr_db, psnr_db, relative_error, phase_aligned_error, mape])
def test_shape_mismatch_and_empty(fn):
    with pytest.raises(ValueError, match=r"same shape, got \(3,\) and \(4,\)"):
        fn(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="empty"):
        fn(np.ones(0), np.ones(0))
    with pytest.raises(TypeError, match="numeric"):
        fn(np.array(["a", "b"]), np.ones(2))


def test_other_bad_input():
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        snr_db(np.ones((2, 2)), np.ones((2, 2)), axis=2)
    with pytest.raises(ValueError, match="axis"):
        relative_error(np.ones(2), np.ones(2), axis=1.5)
    for peak in (0, -1.0, np.inf, "1"):
        with pytest.raises(ValueError, match="peak must be a positive finite number"):
            psnr_db(np.ones(2), np.ones(2), peak=peak)
    with pytest.raises(ValueError, match="non-negative"):
        mape([-1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="d_true contains NaN or inf"):
        mape([np.nan, 2.0], [1.0, 2.0])
    for fn in (snr_db, psnr_db, relative_error, phase_aligned_error, mape):
        with pytest.raises(ValueError, match="x_hat contains NaN|d_est contains NaN"):
            fn(np.ones(3), np.array([1.0, np.nan, 1.0]))
        with pytest.raises(ValueError, match="contains NaN or inf"):
            fn(np.array([1.0, np.inf, 1.0]), np.ones(3))
    with pytest.raises(ValueError, match="zero must be"):
        mape([1.0], [1.0], zero="skip")
    with pytest.raises(TypeError, match="complex"):
        mape(np.array([1j]), np.array([1j]))
    with pytest.raises(TypeError, match="d_est must hold real distances"):
        mape(np.array([1.0]), np.array([1.0 + 1j]))
    with pytest.raises(ValueError, match="axis True is out of range"):  # a bool is not an axis
        snr_db(np.ones((2, 2)), np.ones((2, 2)), axis=True)


def test_cupy_inputs():
    from cstoolbox.backend import cupy_available
    if not cupy_available():
        pytest.skip("no CuPy / GPU")
    import cupy as cp
    x = np.random.default_rng(0).standard_normal((3, 9))
    x_hat = x + 0.1
    for fn in (snr_db, psnr_db, relative_error):
        np.testing.assert_allclose(cp.asnumpy(fn(cp.asarray(x), cp.asarray(x_hat), axis=1)),
                                   fn(x, x_hat, axis=1), rtol=1e-12)
    err, aligned = phase_aligned_error(cp.asarray(x + 0j), cp.asarray(1j * x))
    assert err < 1e-12 and isinstance(aligned, cp.ndarray)
    assert mape(cp.asarray(np.abs(x) + 1), cp.asarray(np.abs(x) + 1)) == 0.0
