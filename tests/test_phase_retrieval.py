"""Tests for cstoolbox.phase_retrieval: identities, dense references, spec numbers, bad inputs, demos."""
import warnings

import numpy as np
import pytest

from cstoolbox.exceptions import ConditioningWarning
from cstoolbox.phase_retrieval import (
    PeriodicBandedCholesky, RandomFlattening, blockpr, error_reduction, exponential_masks, exponential_probe,
    hio, lifted_condition_number, lifted_solve, linear_masks, local_measurements, phaselift,
    ptychography_blockpr, ptychography_measurements, random_masks, scan_positions, smallest_eigenpair,
    windowed_fourier_masks, wirtinger_flow)
from cstoolbox.phase_retrieval._lifted import LiftedSystem, _J
from cstoolbox.phase_retrieval._sync import band_matvec, band_todense, hermitian_band


def err_db(x, x_hat):
    """10 log10(min_theta ||x - e^{i theta} x_hat||^2 / ||x||^2)."""
    c = np.vdot(x_hat.ravel(), x.ravel())
    c = c / abs(c) if abs(c) > 0 else 1.0
    return 10 * np.log10(max(np.sum(np.abs(x - c * x_hat) ** 2) / np.sum(np.abs(x) ** 2), 1e-300))


def cplx(rng, *shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


# ------------------------------------------------------------------------------------------ measurements
def test_masks_shapes_and_structure():
    W = exponential_masks(6)
    assert W.shape == (11, 6)
    a = max(4, 5 / 2)
    assert np.allclose(W[3], np.exp(-np.arange(6) / a) / 11 ** 0.25 * np.exp(2j * np.pi * np.arange(6) * 3 / 11))
    L = linear_masks(3)
    assert np.allclose(L[3], [1, 0, 1]) and np.allclose(L[4], [1, 0, -1j])
    assert random_masks(4, 9, random_state=0).shape == (9, 4)
    assert np.array_equal(random_masks(4, random_state=3), random_masks(4, random_state=3))
    assert windowed_fourier_masks(np.ones(4), 9).shape == (9, 4)


def test_local_measurements_match_direct_sum(rng):
    d, W = 20, random_masks(4, random_state=1)
    x = cplx(rng, 3, d)
    b = local_measurements(x, W)
    direct = np.empty((3, W.shape[0], d))
    for s in range(3):
        for p in range(W.shape[0]):
            for l in range(d):
                direct[s, p, l] = abs(np.sum(np.conj(W[p]) * x[s, (l + np.arange(4)) % d])) ** 2
    assert np.allclose(b, direct, rtol=1e-12, atol=1e-12)


def test_noise_convention(rng):
    x = cplx(rng, 256)
    W = exponential_masks(8)
    b0 = local_measurements(x, W)
    b = local_measurements(x, W, noise_snr_db=20, random_state=0)
    snr = 10 * np.log10(np.mean(b0 ** 2) / np.mean((b - b0) ** 2))
    assert abs(snr - 20) < 0.3


# ------------------------------------------------------------------------------------------- lifted system
@pytest.mark.parametrize("delta, exp_ref, lin_ref", [(4, 9.2, 19), (8, 28, 42), (12, 65, 64), (16, 116, 87),
                                                     (24, 262, 132)])
def test_condition_numbers_match_spec(delta, exp_ref, lin_ref):
    assert lifted_condition_number(exponential_masks(delta), 256) == pytest.approx(exp_ref, rel=0.02)
    assert lifted_condition_number(linear_masks(delta), 256) == pytest.approx(lin_ref, rel=0.02)


def test_block_circulant_identity(rng):
    """b_hat_k = J_k u_hat_k with the true lifted unknowns (defining identity of the lifted system)."""
    d, W = 16, random_masks(3, 6, random_state=2)
    x = cplx(rng, d)
    u = np.stack([x * np.conj(np.roll(x, -m)) for m in range(-2, 3)], axis=1)  # (d, M)
    bh = np.fft.fft(local_measurements(x, W), axis=-1)
    J = _J(W, d)
    assert np.allclose(np.einsum("kpm,km->pk", J, np.fft.fft(u, axis=0)), bh, atol=1e-10)


@pytest.mark.parametrize("masks", [exponential_masks(5), exponential_masks(5, 12), linear_masks(5),
                                   random_masks(5, 13, random_state=4)], ids=["exp", "exp-K12", "linear", "rand-lsq"])
def test_lifted_solve_exact(masks, rng):
    d = 40
    x = cplx(rng, 2, d)
    z = lifted_solve(local_measurements(x, masks), masks)
    for mi, m in enumerate(range(-4, 5)):
        assert np.allclose(z[..., mi], x * np.conj(np.roll(x, -m, axis=-1)), atol=1e-9)


def test_fast_path_agrees_with_general_condition_number():
    W = exponential_masks(6)
    fast = LiftedSystem(W, 64)
    assert fast.fast
    s = np.linalg.svd(_J(W, 64), compute_uv=False)
    assert fast.condition_number == pytest.approx(s[:, 0].max() / s[:, -1].min(), rel=1e-10)


# --------------------------------------------------------------------------------- periodic band solver
def _random_psd_band(rng, d, q, real=False):
    z = cplx(rng, d, 2 * q + 1) if not real else rng.standard_normal((d, 2 * q + 1))
    A = hermitian_band(z)
    A[:, q] = np.sum(np.abs(A), axis=1) + 0.1  # diagonally dominant -> positive definite
    return A


@pytest.mark.parametrize("real", [False, True])
@pytest.mark.parametrize("d, q", [(7, 3), (16, 2), (33, 5)])
def test_periodic_banded_cholesky_matches_dense(rng, d, q, real):
    A = _random_psd_band(rng, d, q, real)
    D = band_todense(A)
    assert np.allclose(D, D.conj().T)
    fac = PeriodicBandedCholesky(A)
    assert fac.factor(-0.5)
    B = cplx(rng, d, 3) if not real else rng.standard_normal((d, 3))
    assert np.allclose(fac.solve(B), np.linalg.solve(D + 0.5 * np.eye(d), B), atol=1e-10)
    assert np.allclose(band_matvec(A, B), D @ B)
    lam = np.linalg.eigvalsh(D)
    assert not fac.factor(0.5 * (lam[0] + lam[1]))  # indefinite: Cholesky must refuse
    assert fac.factor(lam[0] - 1e-6)


def test_smallest_eigenpair_matches_dense(rng):
    d, q = 60, 4
    A = _random_psd_band(rng, d, q)
    D = band_todense(A)
    lam, U = np.linalg.eigh(D)
    v, info = smallest_eigenpair(A, cplx(rng, d, 4), tol=1e-12)
    assert info["converged"]
    assert info["eigenvalue"] == pytest.approx(lam[0], rel=1e-10)
    assert abs(abs(np.vdot(v, U[:, 0])) - 1) < 1e-10


# ---------------------------------------------------------------------------------------------- blockpr
@pytest.mark.parametrize("sync", ["laplacian", "eig", "greedy"])
@pytest.mark.parametrize("magnitude", ["diag", "eig", "log"])
def test_blockpr_noiseless_exact(rng, sync, magnitude):
    x = cplx(rng, 64)
    W = exponential_masks(6)
    x_hat, info = blockpr(local_measurements(x, W), W, sync=sync, magnitude=magnitude)
    assert err_db(x, x_hat) < -200
    assert info.converged and info.residual_norm < 1e-10


@pytest.mark.parametrize("masks", [linear_masks(5), random_masks(5, 11, random_state=7)], ids=["linear", "rand"])
def test_blockpr_other_masks(rng, masks):
    x = cplx(rng, 50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConditioningWarning)
        x_hat, _ = blockpr(local_measurements(x, masks), masks)
    assert err_db(x, x_hat) < -150


def test_blockpr_batch_real_flatten_refine(rng):
    W = exponential_masks(6)
    X = cplx(rng, 2, 3, 64)
    Xh, info = blockpr(local_measurements(X, W), W)
    assert Xh.shape == (2, 3, 64)
    assert max(err_db(X[i, j], Xh[i, j]) for i in range(2) for j in range(3)) < -200
    assert len(info.history["iterations"]) == 6
    xr = rng.standard_normal(64)
    xh, _ = blockpr(local_measurements(xr, W), W, real=True)
    assert np.isrealobj(xh) and err_db(xr, xh) < -200
    # a non-flat signal (long zero run) fails without flattening and is recovered with it
    xs = np.zeros(64, complex)
    xs[:20] = cplx(rng, 20)
    F = RandomFlattening(64, random_state=1)
    xh, _ = blockpr(local_measurements(F.apply(xs), W), W, flatten=F)
    assert err_db(xs, xh) < -200
    bn = local_measurements(xr, W, noise_snr_db=30, random_state=0)
    e_direct = err_db(xr, blockpr(bn, W, real=True)[0])
    x_er, i_er = blockpr(bn, W, refine="er", real=True)
    assert err_db(xr, x_er) < e_direct  # error reduction from the direct solution improves it
    x_dr, i_dr = blockpr(bn, W, refine="hio-er", real=True)
    assert i_dr.iterations >= 1 and i_dr.residual_norm < blockpr(bn, W, real=True)[1].residual_norm


def test_blockpr_large_d_noiseless_exact(rng):
    d = 2 ** 12
    W = exponential_masks(15)
    x = cplx(rng, d)
    x_hat, info = blockpr(local_measurements(x, W), W)
    assert err_db(x, x_hat) < -200 and info.converged


@pytest.mark.parametrize("sync, spec60, spec30", [("laplacian", -55.0, -26.0), ("eig", -49.4, -22.7)])
def test_blockpr_matches_spec_table_d64(sync, spec60, spec30):
    """Spec: mean error (dB) over trials at d = 64, delta = 6 (Monte-Carlo tolerance for 30 trials)."""
    rng = np.random.default_rng(2024)
    W = exponential_masks(6)
    for snr, ref in ((60, spec60), (30, spec30)):
        errs = []
        for _ in range(30):
            x = cplx(rng, 64)
            b = local_measurements(x, W, noise_snr_db=snr, random_state=rng)
            errs.append(err_db(x, blockpr(b, W, sync=sync, warn=False)[0]))
        assert abs(np.mean(errs) - ref) < 2.0, (snr, np.mean(errs), ref)


def test_laplacian_beats_top_eigenvector_and_determinism():
    rng = np.random.default_rng(5)
    W = exponential_masks(10)
    x = cplx(rng, 247)
    b = local_measurements(x, W, noise_snr_db=50, random_state=1)
    e_lap = err_db(x, blockpr(b, W)[0])
    e_eig = err_db(x, blockpr(b, W, sync="eig")[0])
    assert e_lap < e_eig
    assert np.array_equal(blockpr(b, W)[0], blockpr(b, W)[0])


def test_blockpr_bad_inputs(rng):
    W = exponential_masks(6)
    b = local_measurements(cplx(rng, 64), W)
    with pytest.raises(ValueError, match="n_masks"):
        blockpr(b[:5], W)
    with pytest.raises(ValueError, match="2 \\* delta - 1"):
        blockpr(np.ones((11, 10)), W)
    with pytest.raises(ValueError, match="finite"):
        bb = b.copy()
        bb[0, 0] = np.nan
        blockpr(bb, W)
    with pytest.raises(TypeError, match="real"):
        blockpr(b + 0j, W)
    with pytest.raises(ValueError, match="sync"):
        blockpr(b, W, sync="lanczos")
    with pytest.raises(ValueError, match="magnitude"):
        blockpr(b, W, magnitude="abs")
    with pytest.raises(ValueError, match="masks"):
        blockpr(b, W[:, :1])
    with pytest.raises(ValueError, match="at least"):
        blockpr(b[:9], W[:9])
    with pytest.raises(TypeError, match="flatten"):
        blockpr(b, W, flatten=True)
    singular = W.copy()
    singular[:, -1] = 0.0
    with pytest.raises(ValueError, match="singular"):
        blockpr(b, singular)
    steep = windowed_fourier_masks(10.0 ** (-3.0 * np.arange(4)))
    with pytest.warns(ConditioningWarning, match="condition number"):
        blockpr(local_measurements(cplx(rng, 32), steep), steep)
    # negative intensities (noise) are accepted
    x_hat, _ = blockpr(b - 0.5 * b.min() - 1e-3, W)
    assert np.all(np.isfinite(x_hat))


# -------------------------------------------------------------------------------------------- baselines
def test_baselines_recover_and_are_deterministic(rng):
    W = exponential_masks(6)
    x = cplx(rng, 64)
    b = local_measurements(x, W)
    x0 = x + 0.1 * cplx(rng, 64)  # local convergence of the alternating projections
    xe, ie = error_reduction(b, W, n_iter=300, x0=x0, warn=False)
    assert err_db(x, xe) < -40 and err_db(x, xe) < err_db(x, x0) - 20
    xh, ih = hio(b, W, n_iter=100, n_er=20, x0=x0, warn=False)
    assert err_db(x, xh) < -40 and ih.iterations <= 120
    x1, i1 = wirtinger_flow(b, W, n_iter=400, random_state=0, warn=False)
    x2, _ = wirtinger_flow(b, W, n_iter=400, random_state=0, warn=False)
    assert np.array_equal(x1, x2)
    assert i1.residual_norm < 0.05
    with pytest.raises(ValueError, match="beta"):
        hio(b, W, beta=3.0)
    with pytest.raises(ValueError, match="n_iter"):
        error_reduction(b, W, n_iter=-1)


def test_phaselift_small_noiseless(rng):
    W = exponential_masks(3)
    x = cplx(rng, 10)
    x_hat, info = phaselift(local_measurements(x, W), W)
    assert err_db(x, x_hat) < -30
    assert info.history["rank1_ratio"] < 1e-3
    with pytest.raises(ValueError, match="max_d"):
        phaselift(np.zeros((5, 200)), W)


# ---------------------------------------------------------------------------------------- ptychography
def test_ptychography_measurements_direct(rng):
    X = cplx(rng, 9, 10)
    P = exponential_probe(3) * np.exp(1j * rng.random((3, 3)))
    I = ptychography_measurements(X, P, n_freq=(6, 7))
    l1, l2 = 7, 8
    patch = X[(l1 + np.arange(3)) % 9][:, (l2 + np.arange(3)) % 10] * P
    assert np.allclose(I[l1, l2], np.abs(np.fft.fft2(patch, s=(6, 7))) ** 2)


def test_ptychography_full_and_missing(rng):
    n = 16
    X = (0.5 + rng.random((n, n))) * np.exp(1j * rng.random((n, n)))
    P = exponential_probe(3)
    X_hat, info = ptychography_blockpr(ptychography_measurements(X, P), P)
    assert err_db(X, X_hat) < -200 and info.converged
    pos = scan_positions((n, n), 0.15, random_state=0)
    I = ptychography_measurements(X, P, positions=pos)
    assert np.isnan(I[~pos]).all()
    X_hat, info = ptychography_blockpr(I, P, refine_iter=300, warn=False)
    assert err_db(X, X_hat) < -30
    assert info.history["missing_fraction"] == pytest.approx(0.15, abs=0.01)


def test_ptychography_bad_inputs(rng):
    P = exponential_probe(3)
    with pytest.raises(ValueError, match="too small"):
        ptychography_measurements(np.ones((4, 4)), P)
    with pytest.raises(ValueError, match="n_freq"):
        ptychography_measurements(np.ones((8, 8)), P, n_freq=4)
    with pytest.raises(ValueError, match="shape"):
        ptychography_blockpr(np.ones((8, 8, 5)), P)
    with pytest.raises(ValueError, match="positions"):
        ptychography_blockpr(np.ones((8, 8, 5, 5)), P, positions=np.zeros((8, 8), bool))
    with pytest.raises(ValueError, match="missing_fraction"):
        scan_positions((4, 4), 1.0)


# ------------------------------------------------------------------------------------------------ demos
def test_demo_phase_retrieval_local_quick(tmp_path):
    from cstoolbox.demos import phase_retrieval_local
    res = phase_retrieval_local.main(["--quick", "--trials", "3", "--out", str(tmp_path), "--no-progress"])
    assert (tmp_path / "results.md").exists() and (tmp_path / "error_vs_snr.png").exists()
    assert all(r["error_noiseless"] < -200 for r in res["scaling"])
    assert res["audio"]["error_noiseless"] < -100


def test_demo_ptychography_quick(tmp_path):
    from cstoolbox.demos import ptychography
    res = ptychography.main(["--quick", "--out", str(tmp_path), "--no-progress"])
    assert (tmp_path / "ptychography.png").exists()
    assert res[0]["error_db"] < -200 and res[2]["error_db"] < -25


def test_blockpr_real_with_flattening_and_ptychography_greedy(rng):
    W = exponential_masks(6)
    xr = np.zeros(64)
    xr[5:30] = rng.standard_normal(25)  # real and not flat
    F = RandomFlattening(64, random_state=3)
    xh, _ = blockpr(local_measurements(F.apply(xr), W), W, flatten=F, real=True)
    assert np.isrealobj(xh) and err_db(xr, xh) < -200
    X = (0.5 + rng.random((12, 12))) * np.exp(1j * rng.random((12, 12)))
    P = exponential_probe(3, 4)
    X_hat, info = ptychography_blockpr(ptychography_measurements(X, P), P, sync="greedy")
    assert err_db(X, X_hat) < -200 and info.iterations == 0


def test_bad_input_raises_naming_the_argument():
    """Robustness sweep: each of these crashed deep (IndexError, LinAlgError, numba TypingError,
    UFuncTypeError) or was accepted silently (string SNR/beta/mu_max, NaN x0, complex intensities)."""
    from cstoolbox.phase_retrieval import (PeriodicBandedCholesky, RandomFlattening, add_intensity_noise,
                                           angular_synchronization, error_reduction, estimate_magnitudes,
                                           exponential_masks, hio, lifted_solve, local_measurements,
                                           ptychography_blockpr, ptychography_measurements,
                                           exponential_probe, scan_positions, wirtinger_flow)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(16) + 1j * rng.standard_normal(16)
    W = exponential_masks(3)
    b = local_measurements(x, W)
    Z = lifted_solve(b, W)
    bad_Z = Z.copy()
    bad_Z[0, 0] = np.nan
    cases = [
        (lambda: angular_synchronization(bad_Z), ValueError, "Z must be finite"),
        (lambda: angular_synchronization(Z[None]), ValueError, "band of shape"),
        (lambda: angular_synchronization(Z[:, :0]), ValueError, "band of shape"),
        (lambda: angular_synchronization(np.complex128(1.0)), ValueError, "band of shape"),
        (lambda: angular_synchronization(Z, maxiter=0), ValueError, "maxiter"),
        (lambda: angular_synchronization(Z, block_size=2.5), ValueError, "block_size"),
        (lambda: angular_synchronization(Z, tol=np.nan), ValueError, "tol"),
        (lambda: estimate_magnitudes(Z[:, :0]), ValueError, "band of shape"),
        (lambda: estimate_magnitudes(np.full(Z.shape, "a")), TypeError, "numeric band"),
        (lambda: PeriodicBandedCholesky(np.full((16, 3), np.nan)), ValueError, "A must be finite"),
        (lambda: PeriodicBandedCholesky(np.full((16, 3), "a")), TypeError, "numeric band"),
        (lambda: PeriodicBandedCholesky(np.ones((16, 2))), ValueError, "odd width"),
        (lambda: RandomFlattening(16, random_state=0).apply(np.float64(1.0)), ValueError, "length 16"),
        (lambda: RandomFlattening(16, random_state=0).invert(np.full(16, "a")), TypeError, "numeric"),
        (lambda: add_intensity_noise(np.float64(1.0), 30.0), ValueError, "n_masks, d"),
        (lambda: add_intensity_noise(b + 1j, 30.0), TypeError, "real"),
        (lambda: add_intensity_noise(b, "30"), ValueError, "noise_snr_db"),
        (lambda: local_measurements(x, W, random_state="abc"), TypeError, "random_state"),
        (lambda: wirtinger_flow(b, W, mu_max="1"), ValueError, "mu_max"),
        (lambda: wirtinger_flow(b, W, mu_max=-1.0), ValueError, "mu_max"),
        (lambda: error_reduction(b, W, x0=np.full(16, np.nan)), ValueError, "x0 must be a finite"),
        (lambda: hio(b, W, beta="1"), ValueError, "beta"),
        (lambda: scan_positions((-1, 4)), ValueError, "shape must be a pair"),
        (lambda: scan_positions((2.5, 4)), ValueError, "shape must be a pair"),
    ]
    P = exponential_probe(3)
    I = ptychography_measurements(np.ones((8, 8)), P)
    cases += [
        (lambda: ptychography_blockpr(I + 0j, P), TypeError, "intensities must be real"),
        (lambda: ptychography_blockpr(I, P, sync_radius="3"), ValueError, "sync_radius"),
        (lambda: ptychography_blockpr(I, P, sync_radius=2.5), ValueError, "sync_radius"),
        (lambda: ptychography_blockpr(I, P, maxiter=0), ValueError, "maxiter"),
        (lambda: ptychography_measurements(np.ones((8, 8)), P, random_state="abc"), TypeError, "random_state"),
        (lambda: ptychography_measurements(np.ones((8, 8)), P, noise_snr_db="30"), ValueError, "noise_snr_db"),
    ]
    from cstoolbox.phase_retrieval import smallest_eigenpair
    band = np.tile([-1.0, 2.5, -1.0], (16, 1))
    V0 = rng.standard_normal((16, 2))
    cases += [  # V0 errors were IndexError / LinAlgError; NaN V0, maxiter=0 and tol="1" ran on
        (lambda: smallest_eigenpair(band, V0[:5]), ValueError, "V0 has 5 rows"),
        (lambda: smallest_eigenpair(band, V0[:, 0]), ValueError, "V0 must be a numeric"),
        (lambda: smallest_eigenpair(band, np.full((16, 2), np.nan)), ValueError, "V0 must be finite"),
        (lambda: smallest_eigenpair(band, V0, maxiter=0), ValueError, "maxiter"),
        (lambda: smallest_eigenpair(band, V0, tol="1"), ValueError, "tol"),
        (lambda: smallest_eigenpair(band, V0, scale=np.nan), ValueError, "scale"),
    ]
    for call, exc, match in cases:
        with pytest.raises(exc, match=match):
            call()
    assert PeriodicBandedCholesky([[1.0, 4.0, 1.0]] * 16).d == 16  # a nested list (was AttributeError)


def test_legacy_random_state_drawn_once_and_not_when_unused():
    # regression: check_random_state ran twice (each call draws a seed from a RandomState), and the
    # noiseless calls drew from a RandomState they do not use
    x = np.exp(1j * np.arange(32.0))
    W = exponential_masks(5)
    b = local_measurements(x, W, noise_snr_db=30, random_state=np.random.RandomState(1))
    assert np.allclose(b[0, :3], [0.41897226, 0.36310864, 0.40607005], atol=1e-7)  # values of 21f198e
    from cstoolbox.phase_retrieval import exponential_probe, ptychography_measurements
    rs = np.random.RandomState(7)
    local_measurements(x, W, random_state=rs)
    ptychography_measurements(np.ones((8, 8)), exponential_probe(2), random_state=rs)
    assert rs.randint(1000) == np.random.RandomState(7).randint(1000)
    with pytest.raises(TypeError, match="random_state"):
        local_measurements(x, W, random_state="abc")
