"""cstoolbox.dask on a real distributed cluster (2 worker processes) against the in-memory calls."""
import functools
import pickle
import sys

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from cstoolbox import quantizers  # noqa: E402
from cstoolbox.dask import apply_operator, as_signal_array, map_signals, quantize  # noqa: E402
from cstoolbox.operators import (  # noqa: E402
    DCTOperator, GaussianOperator, PartialCirculantOperator, SubsampledOrthogonalOperator,
    WaveletOperator,
)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def signals():
    rng = np.random.default_rng(2024)
    return rng.uniform(-0.6, 0.6, size=(10, 64))


CASES = [
    ("msq", dict(alphabet=quantizers.Alphabet(4, 0.5)), quantizers.msq, True, False),
    ("sigma_delta", dict(order=2, alphabet=quantizers.Alphabet(8, 0.25)), quantizers.sigma_delta,
     True, True),
    ("one_bit_sigma_delta", dict(order=2), quantizers.one_bit_sigma_delta, True, True),
    ("beta", dict(beta=1.5, block_length=16, alphabet=quantizers.Alphabet(4, 0.5)),
     quantizers.beta_encode, True, True),
]


@pytest.mark.parametrize("method, params, reference, codes, state", CASES,
                         ids=[c[0] for c in CASES])
def test_quantize_equals_in_memory(client, signals, method, params, reference, codes, state):
    outs = quantize(signals, method, return_codes=codes, return_state=state, chunks=(3, 5, 2),
                    **params)
    assert all(isinstance(o, da.Array) for o in outs)
    assert outs[0].chunks == ((3, 5, 2), (64,))
    got = client.compute(list(outs), sync=True)
    flags = dict(return_codes=True, return_state=True) if state else dict(return_codes=True)
    want = reference(signals, axis=-1, **flags, **params)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


def test_quantize_q_only_float32(client, signals):
    y = signals.astype(np.float32)
    # the signal axis gets rechunked (a regression test: this path once lost a dependency)
    q = quantize(da.from_array(y, chunks=(4, 32)), "sigma_delta", order=1)
    assert q.dtype == np.float32 and q.numblocks == (3, 1)
    np.testing.assert_array_equal(q.compute(), quantizers.sigma_delta(y, order=1))


OPERATORS = [
    ("gaussian", lambda: GaussianOperator(24, 64, random_state=1)),
    ("circulant", lambda: PartialCirculantOperator(24, 64, random_state=2)),
    ("dft", lambda: SubsampledOrthogonalOperator(24, 64, transform="dft", random_state=3)),
    ("hadamard", lambda: SubsampledOrthogonalOperator(24, 64, transform="hadamard",
                                                      random_signs=True, random_state=4)),
    ("dct_basis", lambda: DCTOperator(64)),
    ("wavelet_adjoint", lambda: WaveletOperator(64, wavelet="db2").H),
]


@pytest.mark.parametrize("make", [o[1] for o in OPERATORS], ids=[o[0] for o in OPERATORS])
def test_apply_operator_equals_in_memory(client, signals, make):
    A = make()
    Y = apply_operator(A, signals, chunks=4)
    want = (A @ signals.T).T
    assert Y.shape == want.shape and Y.dtype == want.dtype and Y.numblocks == (3, 1)
    got = Y.compute()
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13 * np.abs(want).max())


def test_apply_operator_dense_and_complex_input(client):
    rng = np.random.default_rng(5)
    M = rng.standard_normal((8, 16))
    Z = rng.standard_normal((9, 16)) + 1j * rng.standard_normal((9, 16))
    Y = apply_operator(M, Z, chunks=2)
    assert Y.dtype == np.complex128
    np.testing.assert_allclose(Y.compute(), Z @ M.T, rtol=1e-13)


def test_operator_shipped_once():
    """The operator is one key of the graph, not a copy inside each of the 16 tasks."""
    A = GaussianOperator(64, 512, random_state=0)
    X = da.zeros((64, 512), chunks=(4, 512))
    Y = apply_operator(A, X)
    assert Y.numblocks == (16, 1)
    graph_bytes = len(pickle.dumps(dict(Y.__dask_graph__())))
    op_bytes = len(pickle.dumps(A))
    assert op_bytes > 200_000
    assert graph_bytes < op_bytes + 100_000, (graph_bytes, op_bytes)


def test_map_signals_shape_inference(client, signals):
    D = map_signals(functools.partial(np.diff, axis=1), signals, chunks=4)
    assert D.shape == (10, 63) and D.dtype == np.float64
    np.testing.assert_array_equal(D.compute(), np.diff(signals, axis=1))
    # extra arguments reach func; an array argument is shipped once
    w = np.linspace(0, 1, 64)
    P = map_signals(np.multiply, signals, w, chunks=3)
    np.testing.assert_array_equal(P.compute(), signals * w)


def test_map_signals_explicit_output_skips_probe(signals):
    def fails_on_zeros(block):
        if not block.any():
            raise RuntimeError("probed")
        return block[:, :2]

    with pytest.raises(RuntimeError, match="probed"):
        map_signals(fails_on_zeros, signals)
    lazy = map_signals(fails_on_zeros, signals, out_length=2, dtype=np.float64)
    np.testing.assert_array_equal(lazy.compute(scheduler="sync"), signals[:, :2])


def test_map_signals_bad_func(signals):
    with pytest.raises(ValueError, match=r"2-D \(b, m\) array.*returned \(64,\)"):
        map_signals(lambda b: b[0], signals)
    with pytest.raises(TypeError, match="callable"):
        map_signals("diff", signals)
    with pytest.raises(TypeError, match="dask collection"):
        map_signals(np.multiply, signals, da.ones(64))
    # a block that breaks the (b, n) -> (b, m) rule is reported when computed
    lying = map_signals(lambda b: b[:1], signals, out_length=64, dtype=np.float64, chunks=5)
    with pytest.raises(ValueError, match=r"must map a \(b, n\) block to \(b, 64\)"):
        lying.compute(scheduler="sync")


def test_as_signal_array():
    X = as_signal_array(np.zeros((10, 8)), chunks=(6, 4))
    assert X.chunks == ((6, 4), (8,))
    Y = as_signal_array(da.zeros((10, 8), chunks=(5, 2)))
    assert Y.chunks == ((5, 5), (8,))
    assert as_signal_array(Y, chunks=3).chunks == ((3, 3, 3, 1), (8,))


def test_bad_input(signals):
    with pytest.raises(ValueError, match="method must be one of"):
        quantize(signals, "lloyd")
    with pytest.raises(ValueError, match="do not pass axis"):
        quantize(signals, "msq", axis=0)
    with pytest.raises(ValueError, match="msq has no state"):
        quantize(signals, "msq", return_state=True)
    with pytest.raises(ValueError):  # the quantizer's own check, raised eagerly
        quantize(signals, "beta", beta=1.5, block_length=10)
    with pytest.raises(ValueError, match="must be 2-D"):
        quantize(signals[0], "msq")
    with pytest.raises(ValueError, match="must be 2-D"):
        apply_operator(np.eye(3), da.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match="rows of X have length 64"):
        apply_operator(GaussianOperator(4, 32, random_state=0), signals)
    with pytest.raises(ValueError, match="chunks must be"):
        as_signal_array(signals, chunks=0)
    with pytest.raises(ValueError, match="empty"):
        as_signal_array(np.zeros((0, 4)))


def test_missing_dask_names_extra(monkeypatch, signals):
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.array", None)
    with pytest.raises(ImportError, match=r"pip install 'cstoolbox-noiseshaping\[dask\]'"):
        quantize(signals, "msq")
    with pytest.raises(ImportError, match=r"cstoolbox-noiseshaping\[dask\]"):
        apply_operator(np.eye(64), signals)
