"""Tests for cstoolbox.quantized_cs and the decoders in cstoolbox.solvers._qcs / _qcs_cvx."""
import json
import math
import warnings

import numpy as np
import pytest

from cstoolbox.exceptions import QuantizerInstabilityWarning
from cstoolbox.operators import (GaussianOperator, PartialCirculantOperator, SubsampledOrthogonalOperator,
                                 dottest)
from cstoolbox.quantized_cs import QuantizedCS, RealStackedOperator
from cstoolbox.quantizers import (Alphabet, beta_matrix, difference_matrix, one_bit_sigma_delta,
                                  one_bit_sigma_delta_filter)
from cstoolbox.solvers import ShapingOperator, shaped_basis_pursuit, shaped_least_squares

cvxpy = pytest.importorskip("cvxpy")
from cstoolbox.solvers import shaped_basis_pursuit_cvxpy  # noqa: E402


def sparse_signal(n, s, rng):
    x = np.zeros(n)
    x[rng.choice(n, s, replace=False)] = rng.standard_normal(s)
    return x / np.linalg.norm(x)


# ------------------------------------------------------------------------------------------------
# the shaping operator: identities against the quantizers' sparse matrices
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("order", [0, 1, 2, 3])
def test_shaping_matches_difference_matrix(order):
    m = 37
    S = ShapingOperator.sigma_delta(m, order)
    if order:
        np.testing.assert_array_equal(S.todense(), difference_matrix(m, order).toarray())
    np.testing.assert_array_equal(S.tosparse().toarray(), S.todense())
    assert dottest(S, random_state=0)


def test_shaping_beta_blocks_and_solves():
    m, lam, beta = 24, 6, 1.7
    S = ShapingOperator.beta(m, beta, lam)
    np.testing.assert_allclose(S.todense(), beta_matrix(m, beta, lam).toarray(), atol=0)
    np.testing.assert_array_equal(S.tosparse().toarray(), S.todense())
    rng = np.random.default_rng(0)
    V = rng.standard_normal((m, 3))
    dense = S.todense()
    np.testing.assert_allclose(S.solve(V), np.linalg.solve(dense, V), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(S.solve_adjoint(V), np.linalg.solve(dense.T, V), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(S.T @ V, dense.T @ V, atol=1e-13)
    assert S.solve(V[:, 0]).shape == (m,)


def test_shaping_solve_is_repeated_cumsum():
    v = np.random.default_rng(1).standard_normal(50)
    S = ShapingOperator.sigma_delta(50, 2)
    np.testing.assert_allclose(S.solve(v), np.cumsum(np.cumsum(v)), rtol=1e-12, atol=1e-12)


def test_shaping_from_filter_is_one_bit_identity():
    rng = np.random.default_rng(2)
    y = rng.uniform(-0.6, 0.6, 200)
    q, v = one_bit_sigma_delta(y, order=2, return_state=True)
    taps, coefs = one_bit_sigma_delta_filter(2)
    S = ShapingOperator.from_filter(200, taps, coefs)
    np.testing.assert_allclose(y - q, S @ v, atol=1e-12)


def test_shaping_bad_input():
    with pytest.raises(ValueError, match="block_length"):
        ShapingOperator(10, [1.0, -1.0], block_length=3)
    with pytest.raises(ValueError, match="nonzero leading"):
        ShapingOperator(10, [0.0, 1.0])
    with pytest.raises(ValueError, match="order"):
        ShapingOperator.sigma_delta(10, -1)
    with pytest.raises(ValueError, match="beta"):
        ShapingOperator.beta(10, -2.0)


# ------------------------------------------------------------------------------------------------
# encoding: y - q = S u exactly, so x is feasible for the decoders
# ------------------------------------------------------------------------------------------------
def _families(m, n, rng):
    return {
        "gaussian": math.sqrt(m) * GaussianOperator(m, n, random_state=rng),
        "circulant": math.sqrt(m) * PartialCirculantOperator(m, n, random_state=rng),
        "hadamard": math.sqrt(m) * SubsampledOrthogonalOperator(m, n, "hadamard", random_signs=True,
                                                                random_state=rng),
        "dft": math.sqrt(m) * SubsampledOrthogonalOperator(m, n, "dft", random_state=rng),
    }


@pytest.mark.parametrize("family", ["gaussian", "circulant", "hadamard", "dft"])
@pytest.mark.parametrize("scheme,kw", [
    ("msq", dict(alphabet=Alphabet(4, 1.0))),
    ("sigma_delta", dict(order=1, alphabet=Alphabet.one_bit())),
    ("sigma_delta", dict(order=2, alphabet=Alphabet(8, 1.0))),
    ("one_bit_sigma_delta", dict(order=2)),
    ("beta", dict(beta=1.5, block_length=8, alphabet=Alphabet(4, 1.0))),
])
def test_encode_identity_and_feasibility(family, scheme, kw):
    rng = np.random.default_rng(3)
    n, m = 64, 32
    A = _families(m, n, rng)[family]
    qcs = QuantizedCS(A, scheme, **kw)
    x = 0.1 * sparse_signal(n, 3, rng)
    q, u = qcs.encode(x, return_state=True)
    y = qcs.measure(x)
    assert q.shape == (qcs.m_,) == ((2 * m,) if family == "dft" else (m,))
    np.testing.assert_allclose(y - q, qcs.shaping_ @ u, atol=1e-12)
    # D^-r (Φ x - q) = u: the true signal satisfies the one-stage constraints
    np.testing.assert_allclose(qcs.shaping_.solve(y - q), u, atol=1e-9)
    assert np.abs(u).max() <= qcs.state_bound_ + 1e-12
    assert np.all(np.isin(q, qcs.alphabet.values))


def test_real_stacked_operator():
    F = SubsampledOrthogonalOperator(16, 64, "dft", random_state=0)
    R = RealStackedOperator(F)
    assert R.shape == (32, 64) and R.dtype == np.float64
    assert dottest(R, random_state=1)
    x = np.random.default_rng(0).standard_normal(64)
    np.testing.assert_allclose(R @ x, np.concatenate([(F @ x).real, (F @ x).imag]), atol=1e-12)


# ------------------------------------------------------------------------------------------------
# fast decoders agree with cvxpy; certificates
# ------------------------------------------------------------------------------------------------
def _problem(m=48, n=64, s=3, order=2, seed=4):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    x = sparse_signal(n, s, rng)
    S = ShapingOperator.sigma_delta(m, order)
    u = rng.uniform(-0.5, 0.5, m)
    q = A @ x - S @ u
    return A, x, S, q


@pytest.mark.parametrize("order", [0, 1, 2])
@pytest.mark.parametrize("norm", ["l2", "inf"])
def test_fast_matches_cvxpy(order, norm):
    A, x, S, q = _problem(order=order)
    bound = 0.5 * math.sqrt(A.shape[0]) if norm == "l2" else 0.5
    z, info = shaped_basis_pursuit(A, q, S, bound, norm)
    zr, ir = shaped_basis_pursuit_cvxpy(A, q, S, bound, norm)
    assert info.converged and ir.converged
    assert info.solver == ("qcs:homotopy" if norm == "l2" else "qcs:lp")
    np.testing.assert_allclose(np.abs(z).sum(), np.abs(zr).sum(), rtol=1e-6)
    assert np.linalg.norm(z - zr) <= 1e-4 * np.linalg.norm(zr)
    # exactly feasible, never forming D^-r
    w = S.solve(A @ z - q)
    assert (np.linalg.norm(w) if norm == "l2" else np.abs(w).max()) <= bound * (1 + 1e-7)


def test_pdhg_matches_exact_and_cvxpy_with_noise():
    A, x, S, q = _problem(m=32, n=40, order=1, seed=5)
    # without noise: the first-order solver approaches the exact homotopy solution
    z0, i0 = shaped_basis_pursuit(A, q, S, 0.5 * math.sqrt(32), "l2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zp, ip = shaped_basis_pursuit(A, q, S, 0.5 * math.sqrt(32), "l2", method="pdhg", max_iter=1000)
    assert ip.solver == "qcs:pdhg"
    assert np.linalg.norm(zp - z0) <= 2e-2 * np.linalg.norm(z0)
    # with a noise variable (pdhg is the only fast method) against cvxpy
    q = q + 0.01 * np.random.default_rng(0).standard_normal(q.size)
    noise = 0.01 * math.sqrt(q.size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z, info = shaped_basis_pursuit(A, q, S, 0.5, "inf", noise=noise, max_iter=3000)
    zr, ir = shaped_basis_pursuit_cvxpy(A, q, S, 0.5, "inf", noise=noise)
    assert info.solver == "qcs:pdhg" and ir.converged
    assert np.linalg.norm(z - zr) <= 5e-2 * np.linalg.norm(zr)


def test_beta_one_stage_and_condensed_match_cvxpy():
    rng = np.random.default_rng(6)
    n, m = 48, 64
    A = rng.standard_normal((m, n)) / math.sqrt(m) * math.sqrt(m)
    x = sparse_signal(n, 2, rng)
    qcs = QuantizedCS(A, "beta", beta=1.6, block_length=8, alphabet=Alphabet(4, 1.0))
    q = qcs.encode(0.3 * x)
    for method in ("one-stage", "condensed"):
        z, info = qcs.decode(q, method=method, norm="inf")
        zr, ir = qcs.decode(q, method=method, norm="inf", solver="cvxpy")
        assert info.converged and ir.converged
        np.testing.assert_allclose(np.abs(z).sum(), np.abs(zr).sum(), rtol=1e-5)


def test_two_stage_sobolev_dual():
    rng = np.random.default_rng(7)
    n, m = 64, 256
    A = rng.standard_normal((m, n))
    x = sparse_signal(n, 3, rng)
    qcs = QuantizedCS(A, "sigma_delta", order=2, alphabet=Alphabet(8, 1.0))
    q = qcs.encode(x)
    x2, info = qcs.decode(q, method="two-stage", sparsity=3)
    assert info.converged
    assert set(np.flatnonzero(x2)) == set(np.flatnonzero(x))
    # the second stage equals the dense Sobolev-dual least squares
    T = np.flatnonzero(x2)
    Dr = difference_matrix(m, 2).toarray()
    ref = np.linalg.lstsq(np.linalg.solve(Dr, A[:, T]), np.linalg.solve(Dr, q), rcond=None)[0]
    np.testing.assert_allclose(x2[T], ref, rtol=1e-8)
    assert np.linalg.norm(x2 - x) < 0.05


def test_shaped_least_squares_exact_on_clean_data():
    rng = np.random.default_rng(8)
    A = rng.standard_normal((40, 30))
    x = np.zeros(30)
    x[[1, 7, 20]] = [1.0, -2.0, 0.5]
    z, info = shaped_least_squares(A, A @ x, [1, 7, 20], ShapingOperator.beta(40, 1.5, 10))
    np.testing.assert_allclose(z, x, atol=1e-10)


# ------------------------------------------------------------------------------------------------
# rates (small Monte Carlo): MSQ flat, ΣΔ decays, r = 2 faster than r = 1
# ------------------------------------------------------------------------------------------------
def test_error_decay_rates_small():
    rng = np.random.default_rng(9)
    n, s = 64, 2
    alphabet = Alphabet(8, 1.8)
    err = {}
    for m in (64, 512):
        for label, kw, dec in [("msq", dict(scheme="msq"), "bpdn"),
                               ("sd1", dict(scheme="sigma_delta", order=1), "one-stage"),
                               ("sd2", dict(scheme="sigma_delta", order=2), "one-stage")]:
            e = []
            for t in range(3):
                A = GaussianOperator(m, n, random_state=100 * t + m)
                A = math.sqrt(m) * A
                x = sparse_signal(n, s, np.random.default_rng(t))
                qcs = QuantizedCS(A, alphabet=alphabet, **kw)
                z, info = qcs.decode(qcs.encode(x), method=dec, norm="inf")
                e.append(np.linalg.norm(z - x))
            err[label, m] = np.exp(np.mean(np.log(e)))
    ratio = {k: err[k, 64] / err[k, 512] for k in ("msq", "sd1", "sd2")}
    # m grows 8x: r=1 should gain >= 8^0.5, r=2 >= 8^1.5 (with slack), MSQ/BPDN stays within 2x
    assert ratio["msq"] < 2.0
    assert ratio["sd1"] > 2.0
    assert ratio["sd2"] > 8.0
    assert ratio["sd2"] > ratio["sd1"]
    assert rng is not None


def test_beta_condensation_identity_and_feasibility():
    # V_beta (y - q) = beta^-lam (u_lam, u_2lam, ...) exactly; x is feasible for the condensed decoder
    rng = np.random.default_rng(13)
    n, p, lam, beta = 64, 12, 7, 3.0
    m = p * lam
    A = math.sqrt(m) * GaussianOperator(m, n, random_state=rng)
    qcs = QuantizedCS(A, "beta", beta=beta, block_length=lam, alphabet=Alphabet(8, 1.8))
    x = sparse_signal(n, 3, rng)
    q, u = qcs.encode(x, return_state=True)
    V, bound = qcs.condensation()
    lhs = V @ (qcs.measure(x) - q)
    np.testing.assert_allclose(lhs, beta ** -lam * u[lam - 1::lam], rtol=1e-9, atol=1e-15)
    assert np.linalg.norm(lhs) <= bound
    assert bound == pytest.approx(beta ** -lam * 0.9 * math.sqrt(p))


def test_beta_error_decays_exponentially_in_block_length():
    # p ~ 2 s log(n/s) blocks fixed, lam grows: error ~ beta^-lam (two-stage beta dual decoder)
    n, s, beta = 64, 2, 3.0
    lams = np.arange(2, 7)

    def errors(p, seed):
        rng = np.random.default_rng(seed)
        E = []
        for lam in lams:
            e = []
            for _ in range(3):
                m = p * lam
                A = math.sqrt(m) * GaussianOperator(m, n, random_state=rng)
                qcs = QuantizedCS(A, "beta", beta=beta, block_length=int(lam), alphabet=Alphabet(8, 1.8))
                x = sparse_signal(n, s, rng)
                z, info = qcs.decode(qcs.encode(x), method="two-stage", norm="inf", sparsity=s)
                assert info.converged
                e.append(np.linalg.norm(z - x))
            E.append(np.exp(np.mean(np.log(e))))
        return np.log(E)

    slope = np.polyfit(lams, errors(16, 14), 1)[0]
    assert -1.6 * math.log(beta) < slope < -0.7 * math.log(beta)


def test_beta_oracle_dual_follows_beta_power():
    # least squares on the true support through the beta dual (H^-1 A_T)^+ H^-1 q: the error stays
    # within a constant of beta^-lam up to lam = 30, although H_beta^-1 has entries up to beta^29
    rng = np.random.default_rng(17)
    n, s, p, beta = 64, 2, 16, 3.0
    for lam in (10, 20, 30):
        for _ in range(2):
            m = p * lam
            A = math.sqrt(m) * GaussianOperator(m, n, random_state=rng)
            qcs = QuantizedCS(A, "beta", beta=beta, block_length=lam, alphabet=Alphabet(8, 1.8))
            x = sparse_signal(n, s, rng)
            z, info = shaped_least_squares(qcs.A_, qcs.encode(x), np.flatnonzero(x), qcs.shaping_)
            assert info.converged
            assert 0.02 < np.linalg.norm(z - x) / beta ** -lam < 5


def test_beta_two_stage_condensed_support_equals_oracle_dual():
    # support from the well-conditioned condensed decode, then the beta dual on it: once the
    # support is right this is exactly the oracle least squares (H^-1 A_T)^+ H^-1 q
    rng = np.random.default_rng(16)
    n, s, p, lam, beta = 128, 3, 24, 10, 3.0
    m = p * lam
    A = math.sqrt(m) * GaussianOperator(m, n, random_state=rng)
    qcs = QuantizedCS(A, "beta", beta=beta, block_length=lam, alphabet=Alphabet(8, 1.8))
    x = sparse_signal(n, s, rng)
    q = qcs.encode(x)
    z, info = qcs.decode(q, method="two-stage", support_from="condensed", sparsity=s)
    assert info.converged and "two-stage" in info.solver
    T = np.flatnonzero(x)
    assert set(np.flatnonzero(z)) == set(T)
    H = qcs.shaping_.todense()
    AT = A.todense()[:, T] if hasattr(A, "todense") else np.asarray(A)[:, T]
    ref = np.linalg.lstsq(np.linalg.solve(H, AT), np.linalg.solve(H, q), rcond=None)[0]
    np.testing.assert_allclose(z[T], ref, rtol=1e-6)
    assert np.linalg.norm(z - x) < 10 * beta ** -lam
    with pytest.raises(ValueError, match="support_from"):
        qcs.decode(q, method="two-stage", support_from="magic")


# ------------------------------------------------------------------------------------------------
# bad input, determinism
# ------------------------------------------------------------------------------------------------
def test_sigma_delta_condensed_truncated_blocks():
    # m a power of two: no ΣΔ r = 2 block length r(t-1)+1 (odd) divides it, so only the first
    # p lam rows are condensed; still a valid relaxation (true x feasible), the fast decoder
    # agrees with cvxpy and the error decays with m
    n, s = 64, 3
    errs = []
    for m in (128, 256, 512):
        rng = np.random.default_rng(0)
        x = sparse_signal(n, s, rng)
        A = GaussianOperator(m, n, random_state=1)
        qcs = QuantizedCS(A, "sigma_delta", order=2, alphabet=Alphabet(8, np.abs(A @ x).max() / 2.5))
        q = qcs.encode(x)
        V, bound = qcs.condensation()
        assert V.shape[1] == m and np.all((V @ np.eye(m))[:, -1] == 0)   # truncated: last row left out
        assert np.linalg.norm(V @ (qcs.measure(x) - q)) <= bound
        z, info = qcs.decode(q, method="condensed")
        zr, infor = qcs.decode(q, method="condensed", solver="cvxpy")
        assert info.status == "converged" and infor.status == "converged"
        assert np.linalg.norm(z - zr) <= 1e-4 * np.linalg.norm(zr)
        assert abs(np.abs(z).sum() - np.abs(zr).sum()) <= 1e-6 * np.abs(zr).sum()
        errs.append(np.linalg.norm(z - x))
    assert errs[2] < 0.5 * errs[0]
    # an explicit block length that does not divide m: 7 blocks of 9 rows, the last row left out
    qcs = QuantizedCS(GaussianOperator(64, 8, random_state=0), "sigma_delta", order=2, alphabet=Alphabet(8, 1.0))
    V, bound = qcs.condensation(block_length=9)
    assert V.shape == (7, 64)
    Vd = V @ np.eye(64)
    assert np.all(Vd[:, 63] == 0) and np.allclose(Vd.sum(axis=1), 25.0)
    with pytest.raises(ValueError, match="r\\(t-1\\)\\+1"):
        qcs.condensation(block_length=8)
    with pytest.raises(ValueError, match="at most"):
        qcs.condensation(block_length=65)


def test_two_stage_support_from_row_prefix():
    # the support stage on the first m' rows is a valid relaxation (S lower-triangular): x is
    # feasible for it; the two-stage decode through it is as accurate as the full support stage
    n, m, s = 128, 1024, 4
    rng = np.random.default_rng(3)
    x = sparse_signal(n, s, rng)
    A = GaussianOperator(m, n, random_state=2)
    qcs = QuantizedCS(A, "sigma_delta", order=2, alphabet=Alphabet(8, np.abs(A @ x).max() / 2.5))
    q = qcs.encode(x)
    A1, q1, S1 = qcs._row_prefix(q, 256)
    assert A1.shape == (256, n) and S1.shape == (256, 256)
    assert np.abs(S1.solve(A1 @ x - q1)).max() <= qcs.state_bound_ * (1 + 1e-9)
    z, info = qcs.decode(q, method="two-stage", support_rows=256)
    zf, infof = qcs.decode(q, method="two-stage")
    assert info.status == "converged" and "on 256 of 1024 rows" in info.message
    assert set(np.flatnonzero(x)) <= set(np.flatnonzero(z))
    assert np.linalg.norm(z - x) < 2 * np.linalg.norm(zf - x) + 1e-3
    assert np.linalg.norm(z - x) < 0.02
    # the certified one-stage LP started from that two-stage decode: the same optimum
    z1, info1 = qcs.decode(q, method="one-stage", norm="inf")
    zs, infos = qcs.decode(q, method="one-stage", norm="inf", support_rows=256)
    assert info1.converged and infos.converged and "started from the two-stage decode" in infos.message
    np.testing.assert_allclose(np.abs(zs).sum(), np.abs(z1).sum(), rtol=1e-8)
    assert np.abs(qcs.shaping_.solve(A @ zs - q)).max() <= qcs.state_bound_ * (1 + 1e-7)
    with pytest.raises(ValueError, match="norm='inf'"):
        qcs.decode(q, method="one-stage", norm="l2", support_rows=256)
    with pytest.raises(ValueError, match="support_from"):
        qcs.decode(q, method="two-stage", support_from="bpdn", support_rows=256)
    with pytest.raises(ValueError, match="exceeds"):
        qcs.decode(q, method="two-stage", support_rows=2048)
    for other in ("bpdn", "condensed"):  # support_rows is not silently ignored there
        with pytest.raises(ValueError, match="support_rows"):
            qcs.decode(q, method=other, support_rows=256)
    qb = QuantizedCS(A, "beta", beta=3.0, block_length=16, alphabet=Alphabet(8, np.abs(A @ x).max() / 2.5))
    with pytest.raises(ValueError, match="multiple"):
        qb.decode(qb.encode(x), method="two-stage", support_rows=100)


def test_bad_inputs():
    A = GaussianOperator(32, 16, random_state=0)
    with pytest.raises(ValueError, match="cannot stabilize"):
        QuantizedCS(A, "sigma_delta", order=2, alphabet=Alphabet.one_bit())
    with pytest.raises(ValueError, match="divide"):
        QuantizedCS(A, "beta", beta=1.5, block_length=5)
    with pytest.raises(ValueError, match="beta"):
        QuantizedCS(A, "beta", beta=2.5)
    with pytest.raises(ValueError, match="needs beta"):
        QuantizedCS(A, "beta")
    with pytest.raises(ValueError, match="scheme"):
        QuantizedCS(A, "pcm")
    qcs = QuantizedCS(A, "sigma_delta", order=1)
    with pytest.raises(ValueError, match="shape"):
        qcs.encode(np.zeros(17))
    with pytest.raises(ValueError, match="length 32"):
        qcs.decode(np.zeros(31))
    with pytest.raises(ValueError, match="method"):
        qcs.decode(np.zeros(32), method="magic")
    with pytest.raises(ValueError, match="norm"):
        qcs.decode(np.zeros(32), norm="l1")
    with pytest.raises(TypeError, match="complex"):
        shaped_basis_pursuit(SubsampledOrthogonalOperator(8, 16, "dft"), np.zeros(8))
    with pytest.raises(ValueError, match="bound"):
        shaped_basis_pursuit(np.eye(4), np.zeros(4), bound=-1.0)
    with pytest.raises(ValueError, match="homotopy"):
        shaped_basis_pursuit(np.eye(4), np.zeros(4), norm="inf", method="homotopy")
    with pytest.raises(ValueError, match="shaping acts"):
        shaped_basis_pursuit(np.eye(4), np.zeros(4), ShapingOperator.sigma_delta(5, 1))
    with pytest.raises(ValueError, match="NaN"):
        shaped_basis_pursuit(np.eye(4), np.array([0, np.nan, 0, 0]))



@pytest.mark.parametrize("scheme, kw", [("msq", {}), ("sigma_delta", dict(order=1)),
                                        ("one_bit_sigma_delta", dict(order=1)), ("beta", dict(beta=1.5))])
@pytest.mark.parametrize("bad", ["3", 2.5, -1, 0, True, np.nan, np.float64(4.0)])
def test_block_length_is_validated_for_every_scheme(scheme, kw, bad):
    # fuzz finding: garbage block_length was silently ignored by every scheme but 'beta'
    A = GaussianOperator(32, 16, random_state=0)
    with pytest.raises((ValueError, TypeError), match="block_length"):
        QuantizedCS(A, scheme, block_length=bad, **kw)


@pytest.mark.parametrize("scheme, kw", [("msq", {}), ("sigma_delta", dict(order=1)),
                                        ("one_bit_sigma_delta", dict(order=1))])
def test_block_length_accepted_as_int_by_the_other_schemes(scheme, kw):
    A = GaussianOperator(32, 16, random_state=0)
    for good in (None, 8, np.int64(8)):
        qcs = QuantizedCS(A, scheme, block_length=good, **kw)
        assert qcs.block_length is None or type(qcs.block_length) is int
        assert qcs.shaping_.block_length == 32   # ignored: these schemes shape the whole stream
    qb = QuantizedCS(A, "beta", beta=1.5, block_length=np.int64(8))
    assert qb.block_length == 8 and type(qb.block_length) is int


def test_shaping_operator_refuses_complex_coefficients_and_bool_sizes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")             # no ComplexWarning on the way to the error
        with pytest.raises(TypeError, match="coefficients"):
            ShapingOperator(8, [1.0, -1.0 + 0.5j])
        with pytest.raises(TypeError, match="coefficients"):
            ShapingOperator(8, np.array([1.0, 2.0], dtype=complex))
    with pytest.raises(ValueError, match="m must"):
        ShapingOperator(True, [1.0])
    with pytest.raises(ValueError, match="block_length"):
        ShapingOperator(8, [1.0, -1.0], block_length=True)
    with pytest.raises(ValueError, match="order"):
        ShapingOperator.sigma_delta(8, True)
    with pytest.raises(ValueError, match="beta"):
        ShapingOperator.beta(8, True)
    S = ShapingOperator(np.int64(8), np.array([1, -1]), block_length=np.int64(4))
    assert S.shape == (8, 8) and S.block_length == 4


@pytest.mark.parametrize("support, err", [
    (np.array([1 + 0j, 2 + 0j]), TypeError),       # was cast to real with a ComplexWarning
    (np.array([1.0, 2.0]), TypeError),             # floats are not column indices
    (np.array([True, False, True, False]), TypeError),  # a mask would have become indices 0/1
    (np.zeros((1, 1, 2), dtype=int), ValueError),  # 3-D was raveled
    (np.int64(2), ValueError),                     # scalar was taken as [2]
    (3, ValueError),
    ([0, 4], ValueError),                          # out of range
    ([-1], ValueError),
])
def test_shaped_least_squares_support_validation(support, err):
    A = np.random.default_rng(0).standard_normal((12, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(err, match="support"):
            shaped_least_squares(A, np.ones(12), support)


def test_shaped_least_squares_accepts_int_lists_and_empty_support():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((12, 4))
    x = np.array([0.0, 1.0, 0.0, -2.0])
    for T in ([1, 3], np.array([3, 1], dtype=np.int32), np.array([1, 3], dtype=np.uint8)):
        z, info = shaped_least_squares(A, A @ x, T)
        np.testing.assert_allclose(z, x, atol=1e-12)
    z, info = shaped_least_squares(A, A @ x, [])
    assert info.message == "empty support" and not z.any()


@pytest.mark.parametrize("shape", [(5, 0), (0, 5)])
def test_shaped_basis_pursuit_refuses_empty_operators(shape):
    # fuzz finding: A with 0 columns returned status 'converged' with an empty x
    m = shape[0]
    for method in ("homotopy", "lp"):
        norm = "l2" if method == "homotopy" else "inf"
        with pytest.raises(ValueError, match="A must have at least one row and one column"):
            shaped_basis_pursuit(np.zeros(shape), np.zeros(m), bound=1.0, norm=norm, method=method)
    with pytest.raises(ValueError, match="at least one row and one column"):
        shaped_basis_pursuit_cvxpy(np.zeros(shape), np.zeros(m), bound=1.0)
    with pytest.raises(ValueError, match="at least one row and one column"):
        shaped_least_squares(np.zeros(shape), np.zeros(m), [])


def test_decode_prints_nothing(capfd):
    # HiGHS prints its banner once per process, when the first highspy.Highs() sets its callback:
    # run the LP decode in a fresh interpreter whose stdout/stderr are this test's captured fds
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415
    code = ("import numpy as np\n"
            "from cstoolbox.quantized_cs import QuantizedCS\n"
            "from cstoolbox.quantizers import Alphabet\n"
            "A = np.random.default_rng(0).standard_normal((48, 16))\n"
            "x = np.zeros(16); x[[2, 9]] = [1.0, -0.5]\n"
            "qcs = QuantizedCS(A, 'sigma_delta', order=1, alphabet=Alphabet(4, np.abs(A @ x).max()))\n"
            "z, info = qcs.decode(qcs.encode(x), method='one-stage', norm='inf', lp_start='homotopy')\n"
            "assert info.solver == 'qcs:lp', info.solver\n")
    capfd.readouterr()
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
    out, err = capfd.readouterr()
    assert out == "" and "HiGHS" not in err, (out, err)

def test_unstable_input_warns():
    A = math.sqrt(64) * GaussianOperator(64, 16, random_state=0)
    qcs = QuantizedCS(A, "sigma_delta", order=1)          # stable for ||y||_inf <= 1
    x = np.zeros(16)
    x[0] = 5.0
    with pytest.warns(QuantizerInstabilityWarning, match="exceeds the bound"):
        qcs.encode(x)


def test_inconsistent_data_reported_not_silent():
    # q that no z can explain within the bound (A = 0): infeasible, reported with a warning
    A = np.zeros((10, 5))
    q = np.ones(10)
    with pytest.warns(UserWarning):
        z, info = shaped_basis_pursuit(A, q, None, 0.1, "inf")
    assert not info.converged


def test_determinism():
    out = []
    for _ in range(2):
        A = math.sqrt(64) * PartialCirculantOperator(64, 128, random_state=11)
        x = sparse_signal(128, 3, np.random.default_rng(12))
        qcs = QuantizedCS(A, "sigma_delta", order=2, alphabet=Alphabet(8, 1.8))
        out.append(qcs.decode(qcs.encode(x), norm="l2")[0])
    np.testing.assert_array_equal(out[0], out[1])


# ------------------------------------------------------------------------------------------------
# demos (quick)
# ------------------------------------------------------------------------------------------------
def test_rates_demo_quick(tmp_path):
    from cstoolbox.demos import quantized_cs_rates
    results = quantized_cs_rates.main(["--quick", "--out", str(tmp_path), "--no-progress"])
    data = json.loads((tmp_path / "rates.json").read_text())
    assert len(data["results"]) == len(results) > 0
    assert list(tmp_path.glob("*.png"))
    for fam in ("gaussian", "circulant", "hadamard"):
        r = {d["scheme"]: d for d in results if d["family"] == fam}
        msq, sd2, beta = r["MSQ"], r["ΣΔ r=2"], r["beta=3"]
        # MSQ flat-ish, ΣΔ r=2 ends far below it with a much steeper log-log slope
        assert abs(msq["slope"]) < 0.3
        assert sd2["mean_error"][-1] < 0.2 * msq["mean_error"][-1]
        assert sd2["slope_all_points"] < msq["slope"] - 0.8
        # beta: exponential in the block length, slope near -log(beta) per unit of lam
        assert -2 * math.log(3) < beta["slope"] < -0.6 * math.log(3)
        assert beta["mean_error"][-1] < 1e-3
        assert beta["converged_fraction"] == 1.0 and beta["unstable_fraction"] == 0.0

def test_audio_demo_quick(tmp_path):
    from cstoolbox.demos import quantized_cs_audio
    results = quantized_cs_audio.main(["--quick", "--out", str(tmp_path), "--no-progress"])
    assert (tmp_path / "audio_snr_vs_bits.png").stat().st_size > 0
    assert json.loads((tmp_path / "audio.json").read_text())["results"] == results
    snr = {(r["family"], r["scheme"], r["bits"], r["m"]): r["snr_db"] for r in results}
    n = results[0]["n"]
    for fam in ("circulant", "hadamard"):
        # one bit per measurement: MSQ keeps no amplitude (about 0 dB); with 4x oversampling every
        # noise-shaping scheme recovers the frame
        msq = snr[fam, "MSQ", 1, 4 * n]
        assert abs(msq) < 1.0
        for scheme in ("ΣΔ r=1", "ΣΔ r=2", "beta"):
            assert snr[fam, scheme, 1, 4 * n] > msq + 5
        # oversampling helps the shaped schemes at 3 bits, and they beat MSQ there
        assert snr[fam, "ΣΔ r=2", 3, 4 * n] > snr[fam, "ΣΔ r=2", 3, n]
        assert snr[fam, "ΣΔ r=2", 3, 4 * n] > snr[fam, "MSQ", 3, 4 * n] + 8
