"""0-d NumPy arrays are accepted wherever a scalar parameter is (regression of the input-validation sweep).

``np.array(0.5)`` is what reductions and indexing of arrays hand back; the shared scalar checks of
phase_retrieval, operators, transforms, solvers and weighted_l1 refused it after the sweep. Each case runs a
representative call with the 0-d array and compares it with the same call given the plain scalar.
"""
import numpy as np
import pytest

import cstoolbox.operators as O
import cstoolbox.phase_retrieval as P
from cstoolbox import solvers as S
from cstoolbox.phase_retrieval._sync import hermitian_band
from cstoolbox.transforms import dct
from cstoolbox.weighted_l1 import reweighted_l1, wspgl1

_rng = np.random.default_rng(0)
_A = _rng.standard_normal((12, 24))
_x = np.zeros(24)
_x[[1, 5, 9]] = [1.0, -2.0, 0.5]
_y = _A @ _x
_sig = np.exp(1j * np.arange(12.0))
_W = P.exponential_masks(3)
_b = P.local_measurements(_sig, _W)
_Z = hermitian_band(P.lifted_solve(_b, _W))
_band = np.tile([-1.0, 2.5, -1.0], (12, 1))
_V0 = _rng.standard_normal((12, 2))


def _first(r):
    r = r[0] if isinstance(r, tuple) else r
    return np.asarray(r.shape if isinstance(r, O.LinearOperator) else r)


CASES = {  # name: (call taking the scalar, the scalar)
    "dct axis": (lambda v: dct(np.arange(12.0).reshape(4, 3), axis=v), 0),
    "norm_estimate tol": (lambda v: O.aslinearoperator(_A).norm_estimate(tol=v), 1e-6),
    "dottest rtol": (lambda v: O.dottest(_A, rtol=v, random_state=0), 1e-8),
    "LinearOperator shape": (lambda v: O.LinearOperator((v, 4)), 3),
    "WaveletOperator level": (lambda v: np.asarray(O.WaveletOperator(64, "haar", level=v).level), 2),
    "admm step_ratio": (lambda v: S.admm_bpdn(_A, _y, step_ratio=v, max_iter=20), 1.0),
    "fista lam": (lambda v: S.fista(_A, _y, lam=v, max_iter=20), 0.1),
    "prox_l1 lam": (lambda v: S.prox_l1(np.array([2.0, -0.1]), v), 0.5),
    "cvx_weighted_lasso lam": (lambda v: S.cvx_weighted_lasso(_A, _y, lam=v), 0.01),
    "reweighted_l1 eps": (lambda v: reweighted_l1(_A, _y, eps=v, n_passes=1), 0.1),
    "wspgl1 sigma": (lambda v: wspgl1(_A, _y, sigma=v), 0.01),
    "hio beta": (lambda v: P.hio(_b, _W, beta=v, n_iter=5, random_state=0, tol=0.0), 0.9),
    "wirtinger_flow mu_max": (lambda v: P.wirtinger_flow(_b, _W, mu_max=v, n_iter=5, random_state=0, tol=0.0),
                              0.2),
    "phaselift epsilon": (lambda v: P.phaselift(_b, _W, epsilon=v), 0.0),
    "add_intensity_noise snr": (lambda v: P.add_intensity_noise(_b, v, random_state=0), 20.0),
    "angular_synchronization tol": (lambda v: P.angular_synchronization(_Z, tol=v), 1e-13),
    "smallest_eigenpair tol": (lambda v: P.smallest_eigenpair(_band, _V0, tol=v), 1e-13),
    "scan_positions fraction": (lambda v: P.scan_positions((10, 10), v, random_state=0), 0.2),
}


@pytest.mark.filterwarnings("ignore::cstoolbox.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", list(CASES))
def test_zero_d_array_is_a_scalar(name):
    call, value = CASES[name]
    expected = _first(call(value))
    got = _first(call(np.array(value)))
    assert got.shape == expected.shape
    assert np.allclose(got, expected, equal_nan=True)


def test_zero_d_bool_and_one_element_arrays_still_refused():
    with pytest.raises((TypeError, ValueError)):
        dct(np.ones(4), axis=np.array(True))
    with pytest.raises((TypeError, ValueError)):
        P.add_intensity_noise(_b, np.array([20.0]))
    with pytest.raises((TypeError, ValueError)):
        S.prox_l2(np.ones(3), np.array([0.5]))
