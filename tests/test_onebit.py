"""Tests for cstoolbox.onebit and the one-bit decoders of cstoolbox.solvers (Knudson–Saab–Ward 2016)."""
import warnings

import numpy as np
import pytest
from scipy import special

from cstoolbox import onebit
from cstoolbox.exceptions import ConvergenceWarning
from cstoolbox.operators import aslinearoperator, dottest
from cstoolbox.solvers import (aop, biht, hamming_mismatch, normalized_biht, one_bit_sign, passive,
                               plan_vershynin_convex, plan_vershynin_lp)


def sparse_signal(rng, n, s, norm):
    x = np.zeros(n)
    idx = rng.choice(n, s, replace=False)
    x[idx] = rng.standard_normal(s)
    return x * norm / np.linalg.norm(x)


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


@pytest.fixture
def problem():
    rng = np.random.default_rng(11)
    n, s, m = 60, 3, 800
    A = rng.standard_normal((m, n))
    x = sparse_signal(rng, n, s, 0.6)
    return A, x, s


# ------------------------------------------------------------------------------------------ identities
def test_sign_convention_and_measure_batch():
    assert one_bit_sign(np.array([0.0, -0.0, 1e-300, -1e-300])).tolist() == [1, 1, 1, -1]
    rng = np.random.default_rng(0)
    A = rng.standard_normal((50, 10))
    X = rng.standard_normal((10, 4))
    b = rng.standard_normal(50)
    Y = onebit.measure(A, X, b)
    for j in range(4):
        assert np.array_equal(Y[:, j], onebit.measure(A, X[:, j], b))
        assert np.array_equal(Y[:, j], np.where(A @ X[:, j] - b >= 0, 1.0, -1.0))
    B = rng.standard_normal((50, 4))
    assert np.array_equal(onebit.measure(A, X, B)[:, 2], onebit.measure(A, X[:, 2], B[:, 2]))
    # an operator gives the same bits as the dense matrix
    assert np.array_equal(onebit.measure(aslinearoperator(A), X, b), Y)
    assert np.array_equal(onebit.measure(A, np.zeros(10)), np.ones(50))  # sign(0) = +1


def test_lift_identity_and_operator_adjoint():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((40, 12))
    xi = rng.standard_normal(40)
    x, tau = rng.standard_normal(12), 0.7
    L = onebit.lift(A, xi)
    assert L.shape == (40, 13)
    assert np.array_equal(onebit.measure(A, x, tau * xi), one_bit_sign(L @ np.append(x, tau)))
    Lop = onebit.lift(aslinearoperator(A), xi)   # operator path
    op = aslinearoperator(Lop)
    assert dottest(op, random_state=0)
    assert np.allclose(op.todense(), L, atol=1e-13)
    U = rng.standard_normal((13, 3))
    assert np.allclose(Lop.matvec(U), L @ U) and np.allclose(Lop.rmatvec(rng.standard_normal((40, 3))).shape,
                                                             (13, 3))
    u = np.append(x, tau)
    u /= np.linalg.norm(u)
    assert np.allclose(onebit.unlift(u, tau), x, rtol=1e-14)


def test_closed_form_is_inverse_erf_and_equals_mle():
    rng = np.random.default_rng(2)
    y = np.where(rng.random(777) < 0.8, -1.0, 1.0)
    p = np.mean(y < 0)
    tau = 0.9
    est = onebit.estimate_norm(y, tau)
    assert est == pytest.approx(tau / (np.sqrt(2) * special.erfinv(2 * p - 1)), rel=1e-13)
    # the binomial MLE with equal thresholds is the closed form
    assert onebit.estimate_norm(y, np.full(777, tau), method="mle") == pytest.approx(est, rel=1e-9)
    # only tau / row_scale matters
    assert onebit.estimate_norm(y, 2 * tau, row_scale=2.0) == pytest.approx(est, rel=1e-13)
    # batch = columns
    Y = np.stack([y, -y, y[::-1]], axis=1)
    with pytest.warns(onebit.NormClippingWarning):
        out = onebit.estimate_norm(Y, tau)
    assert out.shape == (3,) and out[0] == out[2] == est and np.isfinite(out[1])


def test_optimal_threshold_and_delta_method():
    t, c = onebit.optimal_threshold_ratio()
    assert t == pytest.approx(1.575, abs=2e-3) and c == pytest.approx(1.64, abs=5e-3)
    assert onebit.OPTIMAL_THRESHOLD_RATIO == pytest.approx(t, abs=2e-3)
    assert onebit.norm_estimate_std(1.0, t, 1000) == pytest.approx(np.sqrt(c / 1000), rel=1e-6)


# ------------------------------------------------------------------------------------------ statistics
def test_norm_estimate_unbiased_and_delta_variance():
    # through the actual measurements: Gaussian rows, 400 trials; mean within MC error, sd within 15 %.
    rng = np.random.default_rng(3)
    m, n, norm, tau, trials = 1500, 30, 0.5, 0.6, 400
    x = sparse_signal(rng, n, 5, norm)
    est = np.array([onebit.estimate_norm(onebit.measure(rng.standard_normal((m, n)), x, tau), tau)
                    for _ in range(trials)])
    sd = onebit.norm_estimate_std(norm, tau, m)
    assert abs(est.mean() - norm) < 4 * sd / np.sqrt(trials) + 0.002   # + O(1/m) bias of 1/Phi^-1
    assert est.std() == pytest.approx(sd, rel=0.15)


def test_scaled_rows_are_handled():
    rng = np.random.default_rng(4)
    m, n = 20000, 20
    sig = rng.uniform(0.2, 3.0, m)
    A = sig[:, None] * rng.standard_normal((m, n))
    x = rng.standard_normal(n)
    x *= 0.8 / np.linalg.norm(x)
    y = onebit.measure(A, x, 1.0)
    good = onebit.estimate_norm(y, 1.0, row_scale=sig)       # heterogeneous tau/sigma -> MLE
    assert good == pytest.approx(0.8, rel=0.03)
    # Gaussian (random-sign) thresholds: MLE too
    b = onebit.gaussian_thresholds(m, 0.8, random_state=5)
    assert onebit.estimate_norm(onebit.measure(A, x, b), b, row_scale=sig) == pytest.approx(0.8, rel=0.05)
    with pytest.raises(ValueError, match="closed form"):
        onebit.estimate_norm(y, 1.0, row_scale=sig, method="closed-form")


def test_clipping_bounds_are_documented_and_finite():
    m, tau = 200, 0.3
    with pytest.warns(onebit.NormClippingWarning):
        small = onebit.estimate_norm(-np.ones(m), tau)          # every bit -1: norm tiny
    assert small == pytest.approx(tau / special.ndtri(1 - 0.5 / m))
    with pytest.warns(onebit.NormClippingWarning):
        large = onebit.estimate_norm(np.ones(m), tau)           # p = 0 <= 1/2: norm huge
    assert large == pytest.approx(tau / special.ndtri(0.5 + 0.5 / m))
    assert np.isfinite(large) and large > 0
    b = np.linspace(-1, 1, m)
    with pytest.warns(onebit.NormClippingWarning):
        v = onebit.estimate_norm(-one_bit_sign(b), b)          # perfectly separated: norm -> 0
    assert np.isfinite(v) and v > 0


def test_adaptive_threshold_beats_fixed():
    rng = np.random.default_rng(6)
    n, m, trials = 50, 1000, 120
    err_fixed, err_adapt = [], []
    for _ in range(trials):
        x = sparse_signal(rng, n, 5, rng.uniform(0.1, 1.0))
        A = rng.standard_normal((m, n))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", onebit.NormClippingWarning)
            err_fixed.append(abs(onebit.estimate_norm(onebit.measure(A, x, 0.1), 0.1) - np.linalg.norm(x)))
            est, d = onebit.adaptive_estimate_norm(A, x, 0.1)
        err_adapt.append(abs(est - np.linalg.norm(x)))
        assert d["y"].shape == (m,) and d["tau2"] > 0
    assert np.mean(err_adapt) < 0.5 * np.mean(err_fixed)
    assert np.mean(err_adapt) < 0.045


# ------------------------------------------------------------------------------------------ decoders
@pytest.mark.parametrize("decoder", [biht, normalized_biht])
def test_biht_recovers_direction(problem, decoder):
    A, x, s = problem
    u, info = decoder(A, one_bit_sign(A @ x), s)
    assert info.converged and info.iterations >= 1
    assert rel(u, x / np.linalg.norm(x)) < 0.05 and np.linalg.norm(u) == pytest.approx(1.0)
    assert np.count_nonzero(u) <= s


def test_default_step_is_scale_invariant(problem):
    A, x, s = problem
    y = one_bit_sign(A @ x)
    u1, i1 = normalized_biht(A, y, s)
    u2, i2 = normalized_biht(A / np.sqrt(A.shape[0]), y, s)     # N(0, 1/m) entries: same iterates
    assert np.allclose(u1, u2, atol=1e-10) and i1.iterations == i2.iterations


def test_force_support_keeps_index(problem):
    A, x, s = problem
    y = one_bit_sign(A @ x)
    n = A.shape[1]
    off = [i for i in range(n) if x[i] == 0][0]
    for dec in (passive, biht, normalized_biht):
        kw = {} if dec is passive else {"warn": False, "max_iter": 20}   # a wrong forced index: no consistency
        u, _ = dec(A, y, s, force_support=[off], **kw)
        assert u[off] != 0 and np.count_nonzero(u) <= s


def test_passive_error_decreases_with_m():
    rng = np.random.default_rng(7)
    n, s = 100, 4
    x = sparse_signal(rng, n, s, 1.0)
    errs = []
    for m in (200, 3200):
        e = [rel(passive(A, one_bit_sign(A @ x), s)[0], x)
             for A in (rng.standard_normal((m, n)) for _ in range(5))]
        errs.append(np.mean(e))
    assert errs[1] < 0.5 * errs[0]


def test_lp_methods_agree_with_cvxpy(problem):
    A, x, s = problem
    A, y = A[:200], one_bit_sign(A[:200] @ x)
    z_cp, i_cp = plan_vershynin_lp(A, y, method="cutting-plane")
    z_hi, i_hi = plan_vershynin_lp(A, y, method="highs")
    z_cv, i_cv = plan_vershynin_lp(A, y, method="cvxpy")
    assert i_cp.converged and i_hi.converged and i_cv.converged
    assert np.allclose(z_cp, z_hi, atol=1e-7)
    assert np.allclose(z_cp, z_cv, atol=1e-4)
    assert i_cp.objective == pytest.approx(i_hi.objective, rel=1e-8)
    assert np.all(y * (A @ z_cp) >= -1e-9)                    # feasibility of every sign constraint
    assert i_cp.history["active_rows"] <= 200


def test_convex_program_closed_form_matches_cvxpy(problem):
    A, x, s = problem
    y = one_bit_sign(A @ x)
    y[:40] *= -1
    for sp_ in (1, s, 10, 60):
        z, info = plan_vershynin_convex(A, y, sp_)
        zc, _ = plan_vershynin_convex(A, y, sp_, method="cvxpy")
        assert np.linalg.norm(z) == pytest.approx(1.0) and np.abs(z).sum() <= np.sqrt(sp_) * (1 + 1e-9)
        assert info.objective >= (A.T @ y) @ zc - 1e-5 * abs(info.objective)
        assert np.allclose(z, zc, atol=1e-4)


def test_aop_is_robust_to_flips():
    rng = np.random.default_rng(8)
    n, s, m, flips = 100, 5, 1500, 45
    A = rng.standard_normal((m, n))
    x = sparse_signal(rng, n, s, 1.0)
    y = one_bit_sign(A @ x)
    flip = rng.choice(m, flips, replace=False)
    y[flip] *= -1
    with pytest.warns(ConvergenceWarning):
        u_b, info_b = biht(A, y, s, max_iter=100)
    assert info_b.status == "max_iter"
    u_a, info_a = aop(A, y, s, n_flips=flips, max_iter=200, warn=False)
    assert rel(u_a, x) < 0.5 * rel(u_b, x)
    assert len(set(info_a.history["outliers"]) & set(flip)) >= 0.8 * flips


def test_lp_reports_infeasible_noisy_bits():
    rng = np.random.default_rng(9)
    A = rng.standard_normal((400, 20))
    y = one_bit_sign(A @ rng.standard_normal(20))
    y[:60] *= -1
    with pytest.warns(ConvergenceWarning, match="infeasible"):
        u, info = plan_vershynin_lp(A, y)
    assert info.status == "infeasible" and np.all(np.isfinite(u)) and np.linalg.norm(u) == pytest.approx(1.0)


# ------------------------------------------------------------------------------------------ recovery
def test_authors_example_small_scale():
    """n = 200, s = 5, ||x|| ~ U[0.1, 1], m = 1000, Gaussian thresholds tau = 0.55 (a few trials).

    Spec (30 trials, lifted LP): mean |norm error| 0.011, relative error 0.057; BIHT does better.
    """
    rng = np.random.default_rng(10)
    n, s, m = 200, 5, 1000
    ne, re = {"lp": [], "biht": []}, {"lp": [], "biht": []}
    for _ in range(4):
        x = sparse_signal(rng, n, s, rng.uniform(0.1, 1.0))
        A = rng.standard_normal((m, n))
        b = onebit.gaussian_thresholds(m, 0.55, rng)
        y = onebit.measure(A, x, b)
        for dec in ne:
            res = onebit.recover(A, y, b, s, decoder=dec)
            ne[dec].append(abs(res.norm - np.linalg.norm(x)))
            re[dec].append(rel(res.x, x))
            assert res.norm == pytest.approx(np.linalg.norm(res.x))
    assert np.mean(ne["lp"]) < 0.04 and np.mean(re["lp"]) < 0.15
    assert np.mean(ne["biht"]) < 0.02 and np.mean(re["biht"]) < 0.08


def test_recover_batch_universality_and_determinism():
    rng = np.random.default_rng(12)
    n, s, m, k = 80, 3, 1200, 6
    A = rng.standard_normal((m, n))
    b = onebit.gaussian_thresholds(m, 0.5, random_state=3)
    X = np.stack([sparse_signal(rng, n, s, r) for r in np.linspace(0.2, 1.0, k)], axis=1)
    Y = onebit.measure(A, X, b)
    res = onebit.recover(A, Y, b, s, decoder="normalized_biht")
    assert res.x.shape == (n, k) and res.norm.shape == (k,) and len(res.info) == k
    assert np.all(np.linalg.norm(res.x - X, axis=0) / np.linalg.norm(X, axis=0) < 0.1)
    one = onebit.recover(A, Y[:, 2], b, s, decoder="normalized_biht")
    assert np.array_equal(one.x, res.x[:, 2])
    assert np.array_equal(onebit.gaussian_thresholds(m, 0.5, random_state=3), b)
    # operator input gives the same answer as the dense matrix (same step: operators estimate rms(A) by probes)
    step = np.sqrt(2 * np.pi) / (m * np.sqrt(np.mean(onebit.lift(A, b / np.sqrt(np.mean(b * b))) ** 2)))
    op = onebit.recover(aslinearoperator(A), Y[:, 2], b, s, decoder="normalized_biht", step=step)
    assert np.allclose(op.x, one.x, atol=1e-10)


def test_hybrid_recover_and_callable_decoder():
    rng = np.random.default_rng(13)
    n, s = 100, 4
    x = sparse_signal(rng, n, s, 0.7)
    A1, A2 = rng.standard_normal((800, n)), rng.standard_normal((800, n))
    res = onebit.hybrid_recover(A1, onebit.measure(A1, x, 1.1), 1.1, A2, onebit.measure(A2, x), s,
                                decoder="biht")
    assert abs(res.norm - 0.7) < 0.05 and rel(res.x, x) < 0.15

    def my_decoder(M, y, sparsity, force_support):
        return passive(M, y, sparsity, force_support=force_support)
    b = onebit.gaussian_thresholds(800, 0.7, random_state=1)

    def bad_decoder(M, y, sparsity, force_support):
        u = np.zeros(M.shape[1])
        u[0], u[-1] = 1.0, -1.0
        return u / np.sqrt(2), None
    with pytest.warns(ConvergenceWarning, match="degenerate"):
        r0 = onebit.recover(A1, onebit.measure(A1, x, b), b, s, decoder=bad_decoder)
    assert r0.info.status == "degenerate" and r0.norm == 0.0 and np.all(r0.x == 0)
    r1 = onebit.recover(A1, onebit.measure(A1, x, b), b, s, decoder=my_decoder)
    r2 = onebit.recover(A1, onebit.measure(A1, x, b), b, s, decoder="passive")
    assert np.array_equal(r1.x, r2.x)


# ------------------------------------------------------------------------------------------ bad input
def test_bad_inputs():
    rng = np.random.default_rng(14)
    A = rng.standard_normal((30, 10))
    y = one_bit_sign(A @ rng.standard_normal(10))
    with pytest.raises(ValueError, match="-1 and \\+1"):
        biht(A, y * 0.5, 2)
    with pytest.raises(ValueError, match="-1 and \\+1"):
        onebit.estimate_norm(np.array([1.0, 0.0, -1.0]), 1.0)
    for tau in (0.0, -1.0, np.inf, np.nan):
        with pytest.raises(ValueError, match="tau"):
            onebit.estimate_norm(y, tau)
        with pytest.raises(ValueError, match="tau"):
            onebit.gaussian_thresholds(5, tau)
    with pytest.raises(ValueError, match="sparsity"):
        biht(A, y, 11)
    with pytest.raises(ValueError, match="sparsity"):
        onebit.recover(A, y, rng.standard_normal(30), 11)
    with pytest.raises(TypeError, match="sparsity"):
        passive(A, y, 2.5)
    with pytest.raises(ValueError, match="rows"):
        passive(A[:20], y, 2)
    with pytest.raises(ValueError, match="all zero"):
        onebit.recover(A, y, np.zeros(30), 2)
    with pytest.raises(ValueError, match="shape"):
        onebit.measure(A, np.ones(9))
    with pytest.raises(ValueError, match="NaN"):
        onebit.measure(A, np.full(10, np.nan))
    with pytest.raises(ValueError, match="positive"):
        onebit.unlift(np.array([1.0, 0.0, -0.5]), 1.0)
    with pytest.raises(ValueError, match="method"):
        plan_vershynin_lp(A, y, method="simplex")
    with pytest.raises(ValueError, match="decoder"):
        onebit.recover(A, y, rng.standard_normal(30), 2, decoder="nope")
    with pytest.raises(ValueError, match="n_flips"):
        aop(A, y, 2, n_flips=30)
    with pytest.raises(ValueError, match="at least 2"):
        onebit.estimate_norm(np.array([1.0]), 1.0)
    with pytest.raises(TypeError, match="real"):
        biht(A.astype(complex), y, 2)


def test_demo_quick(tmp_path):
    from cstoolbox.demos import onebit_norm
    import json
    assert onebit_norm.main(["--quick", "--out", str(tmp_path), "--no-progress"]) == 0
    result = json.loads((tmp_path / "onebit_norm.json").read_text())
    assert (tmp_path / "onebit_norm.json").exists()
    assert (tmp_path / "error_vs_m.png").exists()
    assert result["edf"]["adaptive"]["mean_abs_error"] < result["edf"]["fixed"]["0.1"]["mean_abs_error"]


def test_solvers_bad_measurement_input_named():
    """NaN/inf matrices, lists and NaN signs raise naming the argument (were AttributeError or silent)."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((40, 8))
    y = one_bit_sign(A[:, 0])
    bad = A.copy()
    bad[3, 2] = np.nan
    for solve in (lambda M: biht(M, y, 2), lambda M: passive(M, y), lambda M: aop(M, y, 2, 1),
                  lambda M: plan_vershynin_lp(M, y), lambda M: hamming_mismatch(M, np.ones(8), y)):
        with pytest.raises(ValueError, match="A needs finite entries"):
            solve(bad)
    x_list, _ = biht(A.tolist(), y, 2, warn=False)  # a nested list is a matrix (was AttributeError)
    x_arr, _ = biht(A, y, 2, warn=False)
    np.testing.assert_array_equal(x_list, x_arr)
    with pytest.raises(ValueError, match="one_bit_sign got NaN"):
        one_bit_sign(np.array([0.5, np.nan]))  # NaN became -1
    with pytest.raises(TypeError, match="real numeric"):
        one_bit_sign(np.array(["a"]))
    with pytest.raises(ValueError, match="x contains NaN"):
        hamming_mismatch(A, np.full(8, np.nan), y)
    with pytest.raises(ValueError, match="real vector of length 8"):
        hamming_mismatch(A, np.ones(7), y)
    with pytest.raises(ValueError, match="tol must be a finite"):
        biht(A, y, 2, tol=np.inf)  # stopped at once and reported 'converged'
    with pytest.raises(ValueError, match="only applies to method='cvxpy'"):
        plan_vershynin_lp(A, y, solver="nope")  # was ignored


def test_norm_estimate_std_accepts_real_m():
    """Regression (c0077f3): a float m (theory curves use np.linspace) raised 'm must be a positive integer'."""
    ref = onebit.norm_estimate_std(1.0, 1.575, 1000)
    assert float(ref) == pytest.approx(0.0405415, abs=1e-7)
    assert onebit.norm_estimate_std(1.0, 1.575, 1000.0) == ref
    assert onebit.norm_estimate_std(1.0, 1.575, np.float64(1000)) == ref
    np.testing.assert_array_equal(onebit.norm_estimate_std(1.0, 1.575, np.array([100.0, 1000.0])),
                                  [onebit.norm_estimate_std(1.0, 1.575, 100), ref])
    curve = onebit.norm_estimate_std(1.0, 1.575, np.linspace(10, 1000, 5))
    assert curve.shape == (5,) and np.all(np.diff(curve) < 0)


def test_biht_object_dtype_matrix_is_converted():
    """Regression (41ba98e): biht with A.astype(object) raised TypeError instead of converting."""
    rng = np.random.default_rng(5)
    A = rng.standard_normal((40, 12))
    x = np.zeros(12)
    x[[1, 7]] = [1.0, -0.5]
    y = one_bit_sign(A @ x)
    u, info = biht(A, y, 2, max_iter=50, warn=False)
    u_obj, info_obj = biht(A.astype(object), y, 2, max_iter=50, warn=False)
    np.testing.assert_array_equal(u_obj, u)
    bad = A.astype(object)
    bad[0, 0] = None
    with pytest.raises(TypeError, match="non-number"):
        biht(bad, y, 2)


def test_helpers_bad_input_named():
    """norm_estimate_std returned inf/NaN for norm=0, m=0, m=-1 and accepted strings; lift/unlift cast
    complex input with a warning and accepted a string tau."""
    for kwargs, match in [(dict(norm=0.0), "norm must be positive"), (dict(norm="1"), "norm must be real"),
                          (dict(tau=0.0), "tau must be positive"), (dict(tau=None), "tau must be real"),
                          (dict(m=0), "m must be positive"), (dict(m=-1.5), "m must be positive"),
                          (dict(m=np.nan), "m contains NaN"), (dict(m="1000"), "m must be real")]:
        args = dict(norm=1.0, tau=1.575, m=1000) | kwargs
        with pytest.raises((ValueError, TypeError), match=match):
            onebit.norm_estimate_std(**args)
    np.testing.assert_allclose(onebit.norm_estimate_std(np.array([1.0, 2.0]), 1.575, np.array([100, 1000])),
                               [onebit.norm_estimate_std(1.0, 1.575, 100), onebit.norm_estimate_std(2.0, 1.575, 1000)])
    A = np.arange(6.0).reshape(3, 2)
    with pytest.raises(TypeError, match="xi must be real"):
        onebit.lift(A, np.array([1.0, 1.0, 1.0]) + 1j)
    with pytest.raises(TypeError, match="u must be real"):
        onebit.unlift(np.array([0.6, 0.0, 0.8]) + 1j, 0.5)
    with pytest.raises(TypeError, match="tau must be real"):
        onebit.unlift(np.array([0.6, 0.0, 0.8]), "0.5")
