"""Tests for the ℓinf one-stage decoder's interior-point start (cstoolbox.solvers._qcs).

The decoder ``shaped_basis_pursuit(..., norm="inf")`` is an LP solved by row/column generation
with HiGHS and certified on every row and column; ``lp_start="ipm"`` finds its first restricted
problem with a dense primal-dual interior-point method.  Checked here: the result is the same
optimum as the cvxpy reference and as the homotopy-started LP, it is exactly feasible, the dual
certificate is independently verifiable, the interior point itself converges to the LP value,
and bad input / infeasible programs are reported, never silently decoded.
"""
import math
import warnings

import numpy as np
import pytest

from cstoolbox.operators import PartialCirculantOperator, aslinearoperator
from cstoolbox.solvers import ShapingOperator, shaped_basis_pursuit
from cstoolbox.solvers._qcs import _dense_columns, _ipm_linf, _Shaped


def _problem(m=96, n=64, s=4, order=2, seed=0, operator="gaussian"):
    rng = np.random.default_rng(seed)
    if operator == "gaussian":
        A = rng.standard_normal((m, n))
    else:  # first n columns of a random Rademacher circulant, as in the benchmark (m > n)
        A = math.sqrt(m) * PartialCirculantOperator(m, m, "rademacher", random_state=rng).todense()[:, :n]
    x = np.zeros(n)
    x[rng.choice(n, s, replace=False)] = rng.standard_normal(s)
    S = ShapingOperator.sigma_delta(m, order)
    u = rng.uniform(-0.5, 0.5, m)            # y - q = S u with ||u||_inf <= 1/2
    q = A @ x - S @ u
    return A, x, S, q


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("operator", ["gaussian", "circulant"])
def test_ipm_start_matches_cvxpy_and_homotopy_start(order, operator):
    cvxpy = pytest.importorskip("cvxpy")  # noqa: F841
    from cstoolbox.solvers import shaped_basis_pursuit_cvxpy
    A, x, S, q = _problem(order=order, seed=order, operator=operator)
    z, info = shaped_basis_pursuit(A, q, S, 0.5, "inf", lp_start="ipm")
    zh, ih = shaped_basis_pursuit(A, q, S, 0.5, "inf", lp_start="homotopy")
    zr, ir = shaped_basis_pursuit_cvxpy(A, q, S, 0.5, "inf")
    assert info.converged and ih.converged and ir.converged
    assert info.solver == "qcs:lp" and info.history["start"] == "ipm" and ih.history["start"] == "homotopy"
    assert info.history["ipm_iterations"] >= 1
    l1 = np.abs(z).sum()
    np.testing.assert_allclose(l1, np.abs(zr).sum(), rtol=1e-6)
    np.testing.assert_allclose(l1, np.abs(zh).sum(), rtol=1e-8)
    # exactly feasible (never forming S^-1: banded solve of the residual)
    assert np.abs(S.solve(A @ z - q)).max() <= 0.5 * (1 + 1e-7)


def test_auto_uses_ipm_start_for_moderate_sizes():
    A, x, S, q = _problem(seed=3)
    z, info = shaped_basis_pursuit(A, q, S, 0.5, "inf")
    assert info.converged and info.history["start"] == "ipm"
    z2, info2 = shaped_basis_pursuit(A, q, S, 0.5, "inf")
    np.testing.assert_array_equal(z, z2)  # deterministic


def test_certificate_is_verifiable():
    """Weak duality by hand: the LP's multipliers give a lower bound equal to ||z||_1."""
    A, x, S, q = _problem(seed=4)
    c = 0.5
    z, info = shaped_basis_pursuit(A, q, S, c, "inf", lp_start="ipm")
    assert info.converged
    B = S.solve(A)                     # dense S^-1 A: fine at this size (test only)
    b = S.solve(q)
    r = B @ z - b
    act = np.abs(np.abs(r) - c) <= 1e-7 * c
    T = np.flatnonzero(z)
    # multipliers on the active rows: B_T^T eta = -sign(z_T) (least squares, checked below)
    eta_act = np.linalg.lstsq(B[act][:, T].T, -np.sign(z[T]), rcond=None)[0]
    eta = np.zeros(B.shape[0])
    eta[act] = eta_act
    np.testing.assert_allclose(B[:, T].T @ eta, -np.sign(z[T]), atol=1e-8)
    scale = max(1.0, np.abs(B.T @ eta).max())
    eta /= scale
    lower = -eta @ b - c * np.abs(eta).sum()  # <= min ||z||_1 for any eta with ||B^T eta||_inf <= 1
    assert lower <= np.abs(z).sum() * (1 + 1e-12)
    np.testing.assert_allclose(lower, np.abs(z).sum(), rtol=1e-7)


def test_interior_point_converges_to_the_lp_value():
    A, x, S, q = _problem(seed=5)
    z, info = shaped_basis_pursuit(A, q, S, 0.5, "inf")
    Bop = _Shaped(aslinearoperator(A), S)
    Bd = _dense_columns(Bop, A.shape[1], chunk=17)
    np.testing.assert_allclose(Bd, S.solve(A), rtol=1e-10, atol=1e-10)
    z_ipm, slack, it, hist = _ipm_linf(Bd, S.solve(q), 0.5, 1e-9, 80)
    assert it < 80
    np.testing.assert_allclose(np.abs(z_ipm).sum(), np.abs(z).sum(), rtol=1e-6)
    assert np.abs(Bd @ z_ipm - S.solve(q)).max() <= 0.5 * (1 + 1e-6)
    assert np.all(slack > 0)


@pytest.mark.parametrize("start", ["ipm", "homotopy"])
def test_infeasible_program_is_reported(start):
    rng = np.random.default_rng(6)
    A = rng.standard_normal((40, 4))        # 40 equations, 4 unknowns, tiny bound: empty set
    q = rng.standard_normal(40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z, info = shaped_basis_pursuit(A, q, ShapingOperator.sigma_delta(40, 1), 1e-3, "inf", lp_start=start)
    assert not info.converged
    assert info.status in ("infeasible", "error", "max_iter")


def test_lp_start_validation():
    A, x, S, q = _problem(m=20, n=10)
    with pytest.raises(ValueError, match="lp_start"):
        shaped_basis_pursuit(A, q, S, 0.5, "inf", lp_start="simplex")
    with pytest.raises(ValueError, match="support_hint"):
        shaped_basis_pursuit(A, q, S, 0.5, "inf", x_start=np.zeros(10))
    with pytest.raises(ValueError, match="integer"):
        shaped_basis_pursuit(A, q, S, 0.5, "inf", support_hint=[1.7])
    with pytest.raises(ValueError, match="finite"):
        shaped_basis_pursuit(A, q, S, 0.5, "inf", support_hint=[1], x_start=np.full(10, np.nan))
    with pytest.raises(TypeError, match="x_start"):
        shaped_basis_pursuit(A, q, S, 0.5, "inf", support_hint=[1], x_start="abc")


@pytest.mark.parametrize("operator", ["gaussian", "circulant"])
def test_lp_from_two_stage_start_reaches_the_same_optimum(operator):
    # columns = a two-stage support, first rows = the rows the start violates most: the same
    # certified optimum as the interior-point start; a wrong-length start is rejected
    from cstoolbox.solvers import shaped_least_squares
    A, x, S, q = _problem(m=192, n=64, s=4, seed=5, operator=operator)
    z, info = shaped_basis_pursuit(A, q, S, 0.5, "inf", lp_start="ipm")
    x2, _ = shaped_least_squares(A, q, np.flatnonzero(np.abs(x) > 0), S)
    zs, infos = shaped_basis_pursuit(A, q, S, 0.5, "inf", support_hint=np.flatnonzero(x2), x_start=x2)
    assert info.converged and infos.converged and infos.history["start"] == "x_start"
    np.testing.assert_allclose(np.abs(zs).sum(), np.abs(z).sum(), rtol=1e-8)
    assert np.abs(S.solve(A @ zs - q)).max() <= 0.5 * (1 + 1e-7)
    with pytest.raises(ValueError, match="x_start"):
        shaped_basis_pursuit(A, q, S, 0.5, "inf", support_hint=[0], x_start=np.zeros(3))
