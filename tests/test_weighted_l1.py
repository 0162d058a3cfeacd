"""Tests of cstoolbox.weighted_l1: support helpers, weighted_bpdn against cvxpy, iterative variants,
the paper's conclusions at small scale, bad inputs, and the demos' --quick mode."""
import json
import warnings

import numpy as np
import pytest

from cstoolbox.exceptions import ConvergenceWarning
from cstoolbox.weighted_l1 import (
    recovery_gamma, reweighted_l1, support_accuracy, support_from_previous,
    sequential_weighted_bpdn, synthetic_support_estimate, top_k_support, weighted_bpdn,
    weights_from_support, weights_from_supports, wspgl1,
)


# ------------------------------------------------------------------------------ support helpers
def test_weights_and_supports():
    w = weights_from_support(6, [0, 2], 0.0)
    np.testing.assert_array_equal(w, [0, 1, 0, 1, 1, 1])
    mask = np.zeros(6, bool)
    mask[[1, 5]] = True
    np.testing.assert_array_equal(weights_from_support(6, mask, 0.5), [1, .5, 1, 1, 1, .5])
    w = weights_from_supports(6, [[0, 1], [1, 2]], [0.5, 0.2])
    np.testing.assert_array_equal(w, [0.5, 0.2, 0.2, 1, 1, 1])
    with pytest.raises(ValueError, match="omega"):
        weights_from_support(6, [0], 1.5)
    with pytest.raises(ValueError, match="support"):
        weights_from_support(6, [7], 0.5)
    with pytest.raises(ValueError, match="same length"):
        weights_from_supports(6, [[0]], [0.1, 0.2])


def test_support_from_previous_energy_rule():
    rng = np.random.default_rng(0)
    c = rng.standard_normal(300) * rng.random(300) ** 4
    for energy in (0.5, 0.9, 0.99, 1.0):
        T = support_from_previous(c, energy)
        e = np.sum(c[T] ** 2) / np.sum(c ** 2)
        assert e >= energy - 1e-12
        # minimal: dropping the smallest kept entry falls below the threshold
        smallest = T[np.argmin(np.abs(c[T]))]
        assert (np.sum(c[T] ** 2) - c[smallest] ** 2) / np.sum(c ** 2) < energy
        # it is the top-|T| set
        np.testing.assert_array_equal(T, top_k_support(c, T.size))
    assert support_from_previous(np.zeros(4)).size == 0
    with pytest.raises(ValueError, match="energy"):
        support_from_previous(c, 0.0)
    with pytest.raises(ValueError, match="k"):
        top_k_support(c, 301)


def test_synthetic_support_estimate_accuracy_and_determinism():
    T0 = np.arange(0, 80, 2)
    for alpha in (0.0, 0.3, 0.5, 0.7, 1.0):
        est = synthetic_support_estimate(T0, 200, 40, alpha, random_state=1)
        assert est.size == 40 and np.unique(est).size == 40
        assert support_accuracy(est, T0) == pytest.approx(round(alpha * 40) / 40)
    a = synthetic_support_estimate(T0, 200, 20, 0.5, random_state=7)
    b = synthetic_support_estimate(T0, 200, 20, 0.5, random_state=7)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="accuracy"):
        synthetic_support_estimate(T0, 200, 60, 1.0, random_state=0)
    with pytest.raises(ValueError, match="accuracy"):
        synthetic_support_estimate(T0, 200, 10, 1.2)


def test_recovery_gamma():
    assert recovery_gamma(1.0, 1.0, 0.2) == 1.0
    assert recovery_gamma(0.0, 1.0, 0.5) == pytest.approx(1.0)
    assert recovery_gamma(0.0, 1.0, 0.7) < recovery_gamma(0.5, 1.0, 0.7) < 1.0
    assert recovery_gamma(0.0, 1.0, 0.3) > 1.0


# ------------------------------------------------------------------------------ weighted_bpdn
def _problem(cplx, seed, m=24, n=60, k=5, noise=0.0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    if cplx:
        A = (A + 1j * rng.standard_normal((m, n)) / np.sqrt(m)) / np.sqrt(2)
    x = np.zeros(n, complex if cplx else float)
    T = rng.choice(n, k, replace=False)
    x[T] = rng.standard_normal(k) + (1j * rng.standard_normal(k) if cplx else 0)
    y = A @ x
    sigma = 0.0
    if noise:
        e = rng.standard_normal(m) + (1j * rng.standard_normal(m) if cplx else 0)
        e *= noise * np.linalg.norm(y) / np.linalg.norm(e)
        y, sigma = y + e, float(np.linalg.norm(e))
    return A, y, x, T, sigma


@pytest.mark.parametrize("cplx", [False, True])
@pytest.mark.parametrize("noise", [0.0, 0.05])
def test_weighted_bpdn_solvers_agree_with_cvxpy(cplx, noise):
    A, y, x, T, sigma = _problem(cplx, seed=11, noise=noise)
    n = A.shape[1]
    w = weights_from_supports(n, [T[:3], [0, 1]], [0.0, 0.4])  # omega = 0 and omega = 0.4
    xc, ic = weighted_bpdn(A, y, w, sigma=sigma, solver="cvxpy")
    assert ic.converged
    # FISTA subproblems are too slow near the basis-pursuit limit: fista only with noise
    for solver in ("spgl1", "admm") + (("fista",) if noise else ()):
        xs, info = weighted_bpdn(A, y, w, sigma=sigma, solver=solver, tol=1e-6, max_iter=50000)
        assert info.converged, (solver, info)
        assert np.linalg.norm(xs - xc) <= 2e-3 * np.linalg.norm(xc), solver
        assert np.iscomplexobj(xs) == cplx


@pytest.mark.parametrize("seed", [0, 5])
def test_lp_basis_pursuit_matches_cvxpy_with_zero_weights(seed):
    from cstoolbox.solvers import lp_weighted_bp
    # m below the l1 threshold: BP solutions are not the sparse x, the LP must still be optimal
    A, y, x, T, _ = _problem(False, seed=seed, m=20, n=60, k=8)
    n = A.shape[1]
    for w in (None, weights_from_supports(n, [T[:4], [0, 1, 2]], [0.0, 0.3])):
        xl, il = weighted_bpdn(A, y, w, solver="lp")
        xc, ic = weighted_bpdn(A, y, w, solver="cvxpy")
        assert il.converged and il.solver == "lp:highs" and il.gap <= 1e-6, il
        assert il.residual_norm <= 1e-8 * np.linalg.norm(y)
        ww = np.ones(n) if w is None else w
        assert il.objective == pytest.approx(float(np.sum(ww * np.abs(xl))), rel=1e-12)
        # same optimal value (the minimizer may not be unique); never worse than cvxpy's
        assert il.objective <= ic.objective * (1 + 1e-6)
        assert il.objective == pytest.approx(ic.objective, rel=1e-5)
    # a correct estimate left unpenalized: exact recovery where plain BP fails
    xw, iw = lp_weighted_bp(A, y, weights_from_support(n, T[:6], 0.0))
    assert iw.converged and np.linalg.norm(xw - x) <= 1e-8 * np.linalg.norm(x)


def test_lp_status_and_bad_inputs():
    from cstoolbox.solvers import lp_weighted_bp
    A, y, x, T, _ = _problem(False, seed=2)
    A0 = A.copy()
    A0[0] = 0.0  # row 0 of A x = y cannot hold when y_0 != 0
    x0, info = lp_weighted_bp(A0, y)
    assert info.status == "infeasible" and not info.converged
    with pytest.warns(ConvergenceWarning, match="infeasible"):
        weighted_bpdn(A0, y, solver="lp")
    with pytest.raises(ValueError, match="sigma"):
        weighted_bpdn(A, y, sigma=0.1, solver="lp")
    Ac, yc, *_ = _problem(True, seed=2)
    with pytest.raises(ValueError, match="real"):
        weighted_bpdn(Ac, yc, solver="lp")
    with pytest.raises(ValueError, match="weights"):
        weighted_bpdn(A, y, -np.ones(A.shape[1]), solver="lp")


def test_lp_scale_invariant_and_parameter_checks():
    """HiGHS' tolerances are absolute: a tiny b must not make x = 0 look feasible."""
    from cstoolbox.solvers import lp_weighted_bp
    A, y, x, T, _ = _problem(False, seed=3, m=20, n=60, k=3)
    x1, i1 = lp_weighted_bp(A, y)
    for scale, tol in ((1e-12, 1e-9), (1e-6, 1e-3), (1e6, 1e-9)):
        xs, info = lp_weighted_bp(A, scale * y, tol=tol)
        assert info.converged, (scale, info)
        assert np.linalg.norm(A @ xs - scale * y) <= 1e-8 * scale * np.linalg.norm(y)
        np.testing.assert_allclose(xs, scale * x1, rtol=1e-6, atol=1e-6 * scale * np.abs(x1).max())
    x0, i0 = lp_weighted_bp(A, np.zeros_like(y))
    assert i0.converged and not np.any(x0)
    for bad in ({"max_iter": -1}, {"max_iter": True}, {"max_iter": 2.5}, {"time_limit": -1.0},
                {"time_limit": float("nan")}, {"tol": "a"}, {"tol": 0.0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            lp_weighted_bp(A, y, **bad)


def test_weighted_bpdn_omega0_recovers_where_l1_fails():
    # m too small for plain BP, but a correct estimate left unpenalized makes recovery exact
    rng = np.random.default_rng(1)
    n, m, k = 200, 50, 14
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    x = np.zeros(n)
    T = rng.choice(n, k, replace=False)
    x[T] = rng.standard_normal(k)
    y = A @ x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        x1, _ = weighted_bpdn(A, y)
    xw, iw = weighted_bpdn(A, y, weights_from_support(n, T[:10], 0.0))
    assert iw.converged
    assert np.linalg.norm(xw - x) <= 1e-4 * np.linalg.norm(x)
    assert np.linalg.norm(x1 - x) > 1e-2 * np.linalg.norm(x)


def test_weighted_bpdn_bad_inputs_and_warning():
    A, y, x, T, _ = _problem(False, seed=1)
    n = A.shape[1]
    with pytest.raises(ValueError, match="weights"):
        weighted_bpdn(A, y, np.full(n, 1.5))
    with pytest.raises(ValueError, match="weights"):
        weighted_bpdn(A, y, np.full(n, np.nan))
    with pytest.raises(ValueError, match="weights"):
        weighted_bpdn(A, y, np.ones(n - 1))
    with pytest.raises(ValueError, match="sigma"):
        weighted_bpdn(A, y, sigma=-0.1)
    with pytest.raises(ValueError, match="rows"):
        weighted_bpdn(A, y[:-2])
    with pytest.raises(ValueError, match="solver"):
        weighted_bpdn(A, y, solver="lbfgs")
    with pytest.raises(ValueError, match="NaN"):
        weighted_bpdn(A, np.full_like(y, np.nan))
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        _, info = weighted_bpdn(A, y, max_iter=2)
    assert info.status == "max_iter"


def test_weighted_bpdn_operator_and_determinism():
    from cstoolbox.operators import DCTOperator, SubsampledOrthogonalOperator
    n, m = 128, 48
    Phi = SubsampledOrthogonalOperator(m, n, "dct", random_signs=True, random_state=3)
    A = Phi @ DCTOperator(n)
    c = np.zeros(n)
    c[[3, 10, 50, 77]] = [1.0, -2.0, 0.5, 1.5]
    y = A @ c
    x1, i1 = weighted_bpdn(A, y, weights_from_support(n, [3, 10], 0.3))
    x2, i2 = weighted_bpdn(A, y, weights_from_support(n, [3, 10], 0.3))
    assert i1.converged
    np.testing.assert_array_equal(x1, x2)
    assert np.linalg.norm(x1 - c) <= 1e-4 * np.linalg.norm(c)
    assert i1.n_matvec >= i1.iterations and i1.time > 0


# ------------------------------------------------------------------------- iterative variants
def test_reweighted_l1_and_wspgl1_improve_on_l1():
    rng = np.random.default_rng(2)
    n, m, k = 128, 40, 13
    errs = {"l1": [], "rw": [], "wspgl1": []}
    for _ in range(3):
        A = rng.standard_normal((m, n)) / np.sqrt(m)
        x = np.zeros(n)
        x[rng.choice(n, k, replace=False)] = rng.standard_normal(k)
        y = A @ x
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            x1, _ = weighted_bpdn(A, y, max_iter=4000)
            xr, ir = reweighted_l1(A, y, n_passes=4, max_iter=4000)
            xw, iw = wspgl1(A, y, max_iter=4000)
        assert len(ir.history["passes"]) == 5
        for key, xh in (("l1", x1), ("rw", xr), ("wspgl1", xw)):
            errs[key].append(np.linalg.norm(xh - x) / np.linalg.norm(x))
    assert np.mean(errs["rw"]) < np.mean(errs["l1"])
    assert np.mean(errs["wspgl1"]) < np.mean(errs["l1"])


def test_sequential_weighted_bpdn_uses_previous_support():
    rng = np.random.default_rng(6)
    n, m, k = 120, 36, 12
    x = np.zeros(n)
    x[rng.choice(n, k, replace=False)] = rng.standard_normal(k)
    problems = []
    for j in range(4):  # a slowly varying sequence
        A = rng.standard_normal((m, n)) / np.sqrt(m)
        xj = x + 0.01 * j * (x != 0)
        problems.append((A, A @ xj, 0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        x1, i1, s1 = sequential_weighted_bpdn(problems, omega=1.0, max_iter=3000)
        xw, iw, sw = sequential_weighted_bpdn(problems, omega=0.0, energy=0.99,
                                              first=(x1[0], i1[0]), max_iter=3000)
    assert s1 == [0, 0, 0, 0] and sw[0] == 0 and all(v > 0 for v in sw[1:])
    assert xw[0] is x1[0]
    # omega = 1 is plain l1 frame by frame; frame j >= 1 uses T~ from frame j - 1
    for j, (A, y, _) in enumerate(problems):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            xr, _ = weighted_bpdn(A, y, max_iter=3000)
        np.testing.assert_allclose(x1[j], xr)
    T = support_from_previous(xw[1], 0.99)
    xr, _ = weighted_bpdn(problems[2][0], problems[2][1], weights_from_support(n, T, 0.0),
                          max_iter=3000)
    np.testing.assert_allclose(xw[2], xr)
    # m = 36 < what l1 needs for k = 12, the unpenalized estimate recovers the later frames
    err = [np.linalg.norm(xw[j] - (x + 0.01 * j * (x != 0))) for j in (2, 3)]
    assert max(err) <= 1e-3 * np.linalg.norm(x)
    with pytest.raises(ValueError, match="energy"):
        sequential_weighted_bpdn(problems, energy=0.0)
    with pytest.raises(ValueError, match="energy"):
        sequential_weighted_bpdn(problems, energy=True)
    with pytest.raises(ValueError, match="first"):
        sequential_weighted_bpdn(problems, first=(np.zeros(n + 1), i1[0]))
    # a failed frame (LP on an inconsistent system: NaN estimate) does not abort the sequence;
    # the frame after it falls back to plain l1
    A_bad = problems[0][0].copy()
    A_bad[0] = 0.0
    bad = [(A_bad, problems[0][1], 0.0)] + problems[1:3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        xb, ib, sb = sequential_weighted_bpdn(bad, omega=0.3, solver="lp")
    assert not ib[0].converged and sb[1] == 0 and ib[1].converged and sb[2] > 0
    with pytest.raises(ValueError, match="omega"):
        sequential_weighted_bpdn(problems, omega=2.0)


# ------------------------------------------------------------------ the paper at small scale
def test_synthetic_demo_quick_reproduces_conclusions(tmp_path):
    from cstoolbox.demos import weighted_l1_synthetic as demo
    res = demo.main(["--quick", "--out", str(tmp_path), "--no-progress"])
    s = res["settings"]["sparse"]
    # alpha = 0.7: omega = 0 beats omega = 1; alpha = 0.3 at the small m: omega = 1 beats omega = 0
    assert s["50,0.7"]["mean_snr"][0] > s["50,0.7"]["mean_snr"][-1] + 20
    assert s["50,0.3"]["mean_snr"][-1] > s["50,0.3"]["mean_snr"][0] + 20
    # noise-free solves are exact LPs, each with a duality certificate
    assert all(c == 1.0 for v in s.values() for c in v["converged"])
    assert res["solver_counts"]["sparse"] == {"lp": 2 * 2 * 2 * 3}
    assert (tmp_path / "snr_sparse.png").stat().st_size > 0
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["trials"] == 2
    # same seed -> same numbers
    res2 = demo.run(quick=True, out=tmp_path / "again", progress=False)
    assert res2["settings"]["sparse"]["50,0.7"]["mean_snr"] == s["50,0.7"]["mean_snr"]


def test_synthetic_demo_noisy_solves_are_certified():
    from cstoolbox.demos.weighted_l1_synthetic import _solve
    A, y, x, T, sigma = _problem(False, seed=4, noise=0.05)
    w = weights_from_support(A.shape[1], T[:3], 0.0)
    # SPGL1 certifies; with 2 iterations it cannot, and cvxpy takes over (still certified)
    _, ok, _, name = _solve(A, y, w, sigma, "certified", 5000, 1e-4)
    assert ok and name == "spgl1"
    xh, ok, _, name = _solve(A, y, w, sigma, "certified", 2, 1e-4)
    assert ok and name == "cvxpy" and np.linalg.norm(A @ xh - y) <= sigma * (1 + 1e-6)
    _, ok, _, name = _solve(A, y, w, sigma, "spgl1", 2, 1e-4)
    assert not ok and name == "spgl1"


def test_audio_and_video_demos_quick(tmp_path):
    from cstoolbox.demos import weighted_l1_audio, weighted_l1_video
    ra = weighted_l1_audio.main(["--quick", "--out", str(tmp_path / "a"), "--no-progress"])
    assert (tmp_path / "a" / "snr_per_frame.png").exists()
    assert (tmp_path / "a" / "original.wav").exists()
    assert len(list((tmp_path / "a").glob("weighted_l1_ratio*.wav"))) == 1
    r = next(iter(ra["ratios"].values()))
    assert np.isfinite(r["mean_snr_weighted"]) and np.isfinite(r["mean_snr_l1"])
    rv = weighted_l1_video.main(["--quick", "--out", str(tmp_path / "v"), "--no-progress"])
    assert (tmp_path / "v" / "psnr_per_frame.png").exists()
    assert list((tmp_path / "v").glob("montage_*.png"))
    r = next(iter(rv["ratios"].values()))
    assert r["mean_psnr_weighted"] > r["mean_psnr_l1"]


def test_bad_input_robustness_sweep():
    """Each of these crashed (AttributeError/IndexError/UFuncTypeError) or was accepted silently."""
    from cstoolbox.weighted_l1 import (reweighted_l1, support_accuracy, synthetic_support_estimate,
                                       top_k_support, weights_from_supports, wspgl1)
    rng = np.random.default_rng(0)
    A = rng.standard_normal((8, 16))
    y = A[:, 3].copy()
    for solve in (lambda M: reweighted_l1(M, y, n_passes=1), lambda M: wspgl1(M, y)):
        for bad in (None, 3.0):
            with pytest.raises(TypeError, match="A must be a 2-D matrix"):
                solve(bad)
    x_list, _ = wspgl1(A.tolist(), y)  # a nested list is a matrix (was AttributeError)
    x_arr, _ = wspgl1(A, y)
    np.testing.assert_array_equal(x_list, x_arr)
    with pytest.raises(ValueError, match="sigma"):
        wspgl1(A, y, sigma="1")  # was accepted
    for cap in (0, 2.5, "3", True):
        with pytest.raises(ValueError, match="max_support"):
            wspgl1(A, y, max_support=cap)
    with pytest.raises(ValueError, match="n_passes"):
        reweighted_l1(A, y, n_passes=True)
    with pytest.raises(ValueError, match="eps"):
        reweighted_l1(A, y, eps="1")
    with pytest.raises(ValueError, match="NaN or inf"):
        top_k_support([0.1, np.nan, 2.0], 1)
    with pytest.raises(TypeError, match="numeric"):
        top_k_support(np.array(["a", "b"]), 1)
    for bad in ([1.5, 2.0], [np.nan, 1.0], [1j, 2j]):
        with pytest.raises(ValueError, match="estimate must be integer indices"):
            support_accuracy(bad, [1, 2])  # NaN / 1j were cast to int64 with a warning
    with pytest.raises(ValueError, match="omegas"):
        weights_from_supports(4, [[0]], [0.5 + 1j])
    with pytest.raises(ValueError, match="size"):
        synthetic_support_estimate([0, 1], 10, True, 0.5, random_state=0)
    from cstoolbox.weighted_l1 import recovery_gamma
    for rho in (True, "1"):
        with pytest.raises(ValueError, match="rho"):
            recovery_gamma(0.5, rho, 0.5)
