"""Tests of the ℓ1 solver layer: prox maps, weighted ℓ1-ball projection, SPGL1, FISTA, ADMM."""
import numpy as np
import pytest

from cstoolbox.solvers import (
    admm_bpdn, cvx_weighted_bpdn, cvx_weighted_lasso, fista, fista_bpdn, hard_threshold, prox_l1,
    prox_l2, project_l1_ball, project_l2_ball, project_linf_ball, project_weighted_l1_ball,
    soft_threshold, spgl1, weighted_dual_norm, weighted_l1_norm,
)


# ---------------------------------------------------------------------------------- prox maps
def test_soft_threshold_real_complex_weighted():
    x = np.array([3.0, -0.5, -2.0, 0.0])
    np.testing.assert_allclose(soft_threshold(x, 1.0), [2.0, 0.0, -1.0, 0.0])
    np.testing.assert_allclose(soft_threshold(x, [0.0, 1.0, 3.0, 1.0]), [3.0, 0.0, 0.0, 0.0])
    z = np.array([3 + 4j, 0.1j])
    out = soft_threshold(z, 1.0)
    np.testing.assert_allclose(out, [(3 + 4j) * 0.8, 0.0])
    assert out.dtype == np.complex128
    # prox identity: argmin 0.5|u - x|^2 + t|u| by brute force on a grid
    grid = np.linspace(-5, 5, 200001)
    for xv, t in [(2.3, 0.7), (-0.4, 1.0), (1.0, 0.0)]:
        u = grid[np.argmin(0.5 * (grid - xv) ** 2 + t * np.abs(grid))]
        assert abs(soft_threshold(np.array([xv]), t)[0] - u) < 1e-4
    with pytest.raises(ValueError, match="non-negative"):
        soft_threshold(x, -1.0)
    with pytest.raises(ValueError, match="broadcast"):
        soft_threshold(x, np.ones(3))


def test_other_prox_maps():
    np.testing.assert_allclose(prox_l1(np.array([2.0, -2.0]), 0.5, np.array([2.0, 0.0])), [1.0, -2.0])
    np.testing.assert_allclose(prox_l2(np.array([3.0, 4.0]), 10.0), [0.0, 0.0])
    np.testing.assert_allclose(project_l2_ball(np.array([3.0, 4.0]), 10.0), [3.0, 4.0])
    np.testing.assert_allclose(project_linf_ball(np.array([2j, 0.5]), 1.0), [1j, 0.5])
    np.testing.assert_allclose(hard_threshold(np.array([1.0, -3.0, 2.0]), 1), [0.0, -3.0, 0.0])
    with pytest.raises(ValueError, match="lam"):
        prox_l1(np.ones(2), -1.0)


# -------------------------------------------------------------------------------- projection
def _kkt_projection(x, z, tau, w):
    """KKT of min 0.5||z - x||^2 s.t. sum w|z| <= tau: z = S_{lam w}(x) with lam >= 0, complementary."""
    a = np.abs(x)
    nrm = np.sum(w * np.abs(z))
    assert nrm <= tau * (1 + 1e-10) + 1e-12
    if np.sum(w * a) <= tau:
        np.testing.assert_allclose(z, x)
        return
    assert abs(nrm - tau) <= 1e-9 * max(tau, 1)
    pos = (w > 0) & (np.abs(z) > 0)
    lam = np.median((a[pos] - np.abs(z[pos])) / w[pos])
    np.testing.assert_allclose(a[pos] - np.abs(z[pos]), lam * w[pos], atol=1e-9)
    inact = (w > 0) & (np.abs(z) == 0)
    assert np.all(a[inact] <= lam * w[inact] + 1e-9)
    np.testing.assert_allclose(z[w == 0], x[w == 0])


@pytest.mark.parametrize("cplx", [False, True])
def test_weighted_projection_kkt_and_brute_force(cplx):
    rng = np.random.default_rng(0)
    for trial in range(30):
        n = int(rng.integers(1, 60))
        x = rng.standard_normal(n) + (1j * rng.standard_normal(n) if cplx else 0)
        w = rng.uniform(0, 1, n)
        w[rng.random(n) < 0.2] = 0.0
        tau = float(rng.uniform(0, 3))
        z = project_weighted_l1_ball(x, tau, w)
        _kkt_projection(x, z, tau, w)
    # brute force in 2-D (real): closest grid point inside the ball
    g = np.linspace(-3, 3, 1201)
    G1, G2 = np.meshgrid(g, g)
    for x, w, tau in [(np.array([2.0, 1.0]), np.array([1.0, 0.5]), 1.0),
                      (np.array([-1.5, 2.5]), np.array([0.0, 1.0]), 0.7)]:
        inside = w[0] * np.abs(G1) + w[1] * np.abs(G2) <= tau
        d = (G1 - x[0]) ** 2 + (G2 - x[1]) ** 2
        d[~inside] = np.inf
        i = np.unravel_index(np.argmin(d), d.shape)
        z = project_weighted_l1_ball(x, tau, w)
        # z is feasible and at least as close to x as the best feasible grid point
        assert w @ np.abs(z) <= tau + 1e-12
        assert np.sum((z - x) ** 2) <= d[i] + 1e-12
        np.testing.assert_allclose(z, [G1[i], G2[i]], atol=2e-2)


def test_projection_against_cvxpy():
    cp = pytest.importorskip("cvxpy")
    rng = np.random.default_rng(1)
    n = 40
    x = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    w = rng.uniform(0, 1, n)
    w[:4] = 0
    z = project_weighted_l1_ball(x, 2.0, w)
    v = cp.Variable(n, complex=True)
    cp.Problem(cp.Minimize(cp.sum_squares(v - x)),
               [cp.sum(cp.multiply(w, cp.abs(v))) <= 2.0]).solve(solver="CLARABEL")
    np.testing.assert_allclose(z, v.value, atol=1e-5)


def test_projection_large_michelot_fallback_and_edge_cases():
    rng = np.random.default_rng(2)
    x = rng.standard_normal(5000)
    for tau in [1e-3, 1.0, 100.0, 1e4]:
        z = project_l1_ball(x, tau)
        _kkt_projection(x, z, tau, np.ones(x.size))
    np.testing.assert_allclose(project_l1_ball(x, 0.0), 0.0)
    w = np.ones(3)
    w[1] = 0
    np.testing.assert_allclose(project_weighted_l1_ball(np.array([1.0, 5.0, -1.0]), 0.0, w),
                               [0.0, 5.0, 0.0])
    assert weighted_l1_norm(np.array([1.0, -2.0]), np.array([0.5, 1.0])) == 2.5
    assert weighted_dual_norm(np.array([1.0, -2.0]), np.array([0.5, 1.0])) == 2.0
    with pytest.raises(ValueError, match="tau"):
        project_l1_ball(x, -1.0)
    with pytest.raises(ValueError, match="weights"):
        project_weighted_l1_ball(x, 1.0, -np.ones(x.size))
    with pytest.raises(ValueError, match="weights"):
        project_weighted_l1_ball(x, 1.0, np.ones(3))
    with pytest.raises(ValueError, match="NaN"):
        project_l1_ball(np.array([np.nan, 1.0]), 1.0)


# --------------------------------------------------------------------------------- solvers
def _problem(cplx, seed=0, m=30, n=80, k=6, noise=0.0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    x = np.zeros(n, complex if cplx else float)
    T = rng.choice(n, k, replace=False)
    x[T] = rng.standard_normal(k) + (1j * rng.standard_normal(k) if cplx else 0)
    if cplx:
        A = (A + 1j * rng.standard_normal((m, n)) / np.sqrt(m)) / np.sqrt(2)
    b = A @ x
    sigma = 0.0
    if noise:
        e = rng.standard_normal(m) + (1j * rng.standard_normal(m) if cplx else 0)
        e *= noise * np.linalg.norm(b) / np.linalg.norm(e)
        b = b + e
        sigma = float(np.linalg.norm(e))
    return A, b, x, T, sigma


@pytest.mark.parametrize("cplx", [False, True])
@pytest.mark.parametrize("noise", [0.0, 0.05])
@pytest.mark.parametrize("wmode", ["ones", "omega0", "omega_half"])
def test_spgl1_matches_cvxpy(cplx, noise, wmode):
    A, b, x, T, sigma = _problem(cplx, seed=3, noise=noise)
    n = A.shape[1]
    w = np.ones(n)
    if wmode == "omega0":
        w[T[:4]] = 0.0
        w[[0, 1]] = 0.0
    elif wmode == "omega_half":
        w[np.r_[T[:3], [0, 1, 2]]] = 0.5
    xs, info = spgl1(A, b, sigma=sigma, weights=w, tol=1e-6)
    xc, ic = cvx_weighted_bpdn(A, b, w, sigma)
    assert info.converged, info
    assert ic.converged
    assert np.linalg.norm(xs - xc) <= 1e-3 * np.linalg.norm(xc)
    obj_c = np.sum(w * np.abs(xc))
    assert abs(info.objective - obj_c) <= 1e-4 * obj_c
    assert info.residual_norm <= sigma + 1e-5 * np.linalg.norm(b)
    assert info.n_matvec > 0 and info.n_rmatvec > 0
    assert np.iscomplexobj(xs) == cplx


def test_spgl1_bpdn_fast_operator_certificate_and_root_window():
    # the benchmark's setting at n = 4096: the stagnation rule must not cost accuracy, and no
    # cycle of tiny tau updates may occur near the root (it ended in 'stalled' before)
    from cstoolbox.operators import SubsampledOrthogonalOperator
    rng = np.random.default_rng(0)
    n = 4096
    m, k = n // 4, n // 20
    op = SubsampledOrthogonalOperator(m, n, "dct", random_state=rng)
    x = np.zeros(n)
    x[rng.choice(n, k, replace=False)] = rng.standard_normal(k)
    y = op.matvec(x)
    e = rng.standard_normal(m)
    e *= 0.01 * np.linalg.norm(y) / np.linalg.norm(e)
    y, sigma = y + e, float(np.linalg.norm(e))
    w = np.ones(n)
    w[rng.choice(n, k, replace=False)] = 0.3
    xs, info = spgl1(op, y, sigma=sigma, weights=w, tol=1e-4)
    assert info.status == "converged" and info.gap <= 1e-4
    assert info.residual_norm <= sigma * (1 + 1e-4)
    # (205 iterations, 10 tau updates; the first version of the stagnation rule took 91 updates)
    assert info.history["newton_steps"] <= 20 and info.iterations <= 260
    assert info.n_matvec <= info.iterations + info.history["newton_steps"] + 2
    # the certificate's lower bound: the objective is within tol of the optimum at sigma
    xr, ir = spgl1(op, y, sigma=sigma, weights=w, tol=1e-8, max_iter=5000)
    assert ir.residual_norm <= sigma * (1 + 1e-8)
    assert info.objective <= ir.objective * (1 + 1e-4)
    assert info.objective >= ir.objective * (1 - 1e-4)


def test_spgl1_lasso_mode_optimality_and_operators():
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla
    from cstoolbox.operators import aslinearoperator
    A, b, x, T, _ = _problem(False, seed=4)
    w = np.linspace(0.2, 1.0, A.shape[1])
    tau = 0.5 * np.sum(w * np.abs(x))
    xs, info = spgl1(A, b, tau=tau, weights=w, tol=1e-9)
    assert info.converged
    # optimality: tau ||A^T r||_{w,*} = <x, A^T r> and ||x||_w = tau
    g = A.T @ (b - A @ xs)
    r = b - A @ xs
    assert r @ r > 1e-3 * (b @ b)  # a genuinely constrained LASSO
    assert abs(tau * np.max(np.abs(g) / w) - xs @ g) <= 1e-6 * (r @ r)
    assert abs(np.sum(w * np.abs(xs)) - tau) <= 1e-8 * tau
    # same answer through a sparse matrix, a scipy LinearOperator and a cstoolbox operator
    for Aop in (sp.csr_matrix(A), spla.aslinearoperator(A), aslinearoperator(A)):
        xo, io = spgl1(Aop, b, tau=tau, weights=w, tol=1e-9)
        np.testing.assert_allclose(xo, xs, atol=1e-7)


def test_fista_and_admm_against_cvxpy():
    A, b, x, T, sigma = _problem(False, seed=5, noise=0.05)
    w = np.ones(A.shape[1])
    w[T[:3]] = 0.0
    lam = 0.02
    xf, info = fista(A, b, lam=lam, weights=w, tol=1e-10, max_iter=20000)
    xc, _ = cvx_weighted_lasso(A, b, lam, w)
    assert info.converged
    assert np.linalg.norm(xf - xc) <= 1e-4 * np.linalg.norm(xc)
    xb, _ = cvx_weighted_bpdn(A, b, w, sigma)
    xfb, ib = fista_bpdn(A, b, sigma=sigma, weights=w, tol=1e-6)
    assert ib.converged and np.linalg.norm(xfb - xb) <= 1e-3 * np.linalg.norm(xb)
    xa, ia = admm_bpdn(A, b, sigma=sigma, weights=w, tol=1e-7, max_iter=50000)
    assert ia.converged and np.linalg.norm(xa - xb) <= 1e-3 * np.linalg.norm(xb)
    with pytest.raises(ValueError, match="exactly one"):
        fista(A, b)


def test_solver_input_errors_and_nonconvergence():
    A, b, x, T, _ = _problem(False, seed=6)
    with pytest.raises(ValueError, match="sigma"):
        spgl1(A, b, sigma=-1.0)
    with pytest.raises(ValueError, match="rows"):
        spgl1(A, b[:-1])
    with pytest.raises(ValueError, match="NaN"):
        spgl1(A, np.full_like(b, np.nan))
    with pytest.raises(ValueError, match="weights"):
        spgl1(A, b, weights=np.ones(3))
    with pytest.raises(ValueError, match="x0"):
        spgl1(A, b, x0=np.ones(3))
    with pytest.raises(TypeError, match="A"):
        spgl1("matrix", b)
    xs, info = spgl1(A, b, max_iter=3)
    assert info.status == "max_iter" and not info.converged
    # b = 0 and ||b|| <= sigma give x = 0
    x0, i0 = spgl1(A, np.zeros_like(b))
    assert i0.converged and not np.any(x0)
    x1, i1 = spgl1(A, b, sigma=2 * np.linalg.norm(b))
    assert i1.converged and not np.any(x1)


def test_spgl1_bpdn_optimum_on_free_coordinates_only_converges():
    """sigma close to ||b|| with zero weights: the free columns alone reach sigma, the optimum is
    tau* = 0 (objective 0); the solver must certify it instead of cycling Newton updates at 0."""
    import warnings

    from cstoolbox.solvers import spgl1

    statuses = []
    for seed in range(12):
        rng = np.random.default_rng(seed)
        m, n = 30, 80
        A = rng.standard_normal((m, n)) / np.sqrt(m)
        b = rng.standard_normal(m)
        w = np.ones(n)
        w[:5] = 0.0
        sigma = rng.uniform(0.9, 0.99) * np.linalg.norm(b)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x, info = spgl1(A, b, sigma=sigma, weights=w)
        statuses.append(info.status)
        assert np.linalg.norm(A @ x - b) <= sigma * (1 + 1e-3)
        # the free columns' least-squares fit reaches sigma here: objective 0 is optimal
        x_free = np.linalg.lstsq(A[:, :5], b, rcond=None)[0]
        if np.linalg.norm(A[:, :5] @ x_free - b) <= sigma:
            assert np.sum(w * np.abs(x)) <= 1e-6
    assert statuses == ["converged"] * 12, statuses


# ------------------------------------------------------------------ bad input (robustness sweep)
class _NaNOperator:
    """A user operator that returns NaN (e.g. a broken PyLops chain)."""
    shape, dtype = (6, 10), np.float64

    def matvec(self, x):
        return np.full(6, np.nan)

    def rmatvec(self, y):
        return np.full(10, np.nan)


def test_non_finite_matrix_raises_and_broken_operator_reports_error():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((6, 10))
    b = A[:, 0].copy()
    bad = A.copy()
    bad[0, 0] = np.inf
    for solve in (lambda M: spgl1(M, b), lambda M: fista(M, b, lam=0.1), lambda M: fista_bpdn(M, b),
                  lambda M: admm_bpdn(M, b)):
        with pytest.raises(ValueError, match="A needs finite entries"):
            solve(bad)  # fista/fista_bpdn hung in backtracking, spgl1 returned 'stalled'
    bad_obj = A.astype(object)
    bad_obj[0, 0] = "x"
    with pytest.raises(TypeError, match="A needs a numeric"):
        spgl1(bad_obj, b)
    # regression (41ba98e): an object-dtype matrix of numbers is converted, not refused
    np.testing.assert_array_equal(spgl1(A.astype(object), b)[0], spgl1(A, b)[0])
    np.testing.assert_array_equal(fista(A.astype(object), b, lam=0.1)[0], fista(A, b, lam=0.1)[0])
    with pytest.raises(ValueError, match="at least one row and one column"):
        fista_bpdn(np.zeros((6, 0)), b)
    for solve in (lambda: fista(_NaNOperator(), b, lam=0.1), lambda: fista_bpdn(_NaNOperator(), b),
                  lambda: admm_bpdn(_NaNOperator(), b, max_iter=50)):
        x, info = solve()
        assert info.status == "error" and "NaN or inf" in info.message


def test_row_and_column_weights_are_flattened():
    """Regression (41ba98e): weights shaped (n, 1) or (1, n) raised 'must be a scalar or a 1-D array'."""
    rng = np.random.default_rng(3)
    A = rng.standard_normal((30, 60))
    b = A[:, :3].sum(axis=1)
    w = rng.uniform(0.5, 2.0, 60)
    x_ref, _ = spgl1(A, b, weights=w)
    for shaped in (w.reshape(60, 1), w.reshape(1, 60), w.reshape(1, 60, 1)):
        x, _ = spgl1(A, b, weights=shaped)
        np.testing.assert_array_equal(x, x_ref)
        z = rng.standard_normal(60)
        np.testing.assert_array_equal(project_weighted_l1_ball(z, 1.0, weights=shaped),
                                      project_weighted_l1_ball(z, 1.0, weights=w))
        assert weighted_l1_norm(z, shaped) == weighted_l1_norm(z, w)
    assert weighted_l1_norm(np.array([-2.0]), np.array([[3.0]])) == 6.0  # size 1 for n = 1
    with pytest.raises(ValueError, match="60 entries"):
        spgl1(A, b, weights=np.ones((59, 1)))
    with pytest.raises(ValueError, match="scalar or a 1-D array"):
        spgl1(A, b, weights=np.ones((2, 30)))


def test_prox_and_projection_bad_input():
    x = np.array([np.nan, 1.0, -2.0])
    for f in (lambda v: soft_threshold(v, 0.5), lambda v: prox_l1(v, 0.5), lambda v: prox_l2(v, 0.5),
              lambda v: project_l2_ball(v, 1.0), lambda v: project_linf_ball(v, 1.0),
              lambda v: hard_threshold(v, 1)):
        with pytest.raises(ValueError, match="contains NaN or inf"):
            f(x)  # NaN came out as 0 (soft threshold) or survived silently
    with pytest.raises(ValueError, match="threshold must be real"):
        soft_threshold(np.ones(3), "1")
    with pytest.raises(ValueError, match="weights must be real"):
        prox_l1(np.ones(3), 0.5, weights=np.ones(3) + 1j)
    with pytest.raises(ValueError, match="radius must be a finite non-negative real"):
        project_linf_ball(np.ones(3), "1")
    with pytest.raises(ValueError, match="lam must be"):
        prox_l2(np.ones(3), "1")
    with pytest.raises(ValueError, match="center of shape"):
        project_l2_ball(np.ones(3), 1.0, center=np.ones((2, 3)))
    with pytest.raises(ValueError, match="center of shape"):
        project_l2_ball(np.ones(3), 1.0, center=np.ones(2))  # was numpy's broadcast error
    with pytest.raises(ValueError, match="k must be"):
        hard_threshold(np.ones(3), True)
    with pytest.raises(TypeError, match="out must be a NumPy array"):
        project_l1_ball(np.ones(3), 1.0, out="abc")
    with pytest.raises(TypeError, match="out must be a NumPy array"):
        soft_threshold(np.ones(3), 1.0, out=[0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="scalar or a 1-D array"):
        weighted_l1_norm(np.ones(4), np.ones((2, 2)))  # genuinely 2-D (a row or column is flattened)
    with pytest.raises(ValueError, match="step_ratio"):
        admm_bpdn(np.eye(3), np.ones(3), step_ratio=1j)
    with pytest.raises(ValueError, match="step_ratio"):
        admm_bpdn(np.eye(3), np.ones(3), step_ratio=0.0)
    # float32 still kept by the prox maps
    assert soft_threshold(np.ones(3, np.float32), 0.5).dtype == np.float32


def test_cvx_weighted_lasso_complex_matches_fista():
    """Complex data: cvxpy's default QP pick (OSQP) cannot take |x_i| cones and returned (None, 'error')."""
    A, b, x, T, sigma = _problem(True, seed=6, noise=0.05)
    lam = 0.02
    xc, ic = cvx_weighted_lasso(A, b, lam)
    assert ic.status == "converged" and xc is not None
    xf, inf = fista(A, b, lam=lam, tol=1e-10, max_iter=20000)
    assert inf.converged and np.linalg.norm(xf - xc) <= 1e-4 * np.linalg.norm(xc)
    with pytest.raises(ValueError, match="lam"):
        cvx_weighted_lasso(A, b, "0.1")


def test_byte_swapped_input_reaches_the_kernels_natively():
    """Big-endian arrays (e.g. from a FITS/HDF5 file) made numba raise a TypingError."""
    x = np.array([3.0, -0.5, 2.0, 0.1])
    xb = x.astype(">f8")
    np.testing.assert_array_equal(soft_threshold(xb, 0.5), soft_threshold(x, 0.5))
    np.testing.assert_array_equal(soft_threshold(xb.astype(">c16"), 0.5), soft_threshold(x + 0j, 0.5))
    np.testing.assert_array_equal(project_weighted_l1_ball(xb, 1.0), project_weighted_l1_ball(x, 1.0))
