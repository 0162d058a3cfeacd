import math

import numpy as np
import pytest
from scipy.linalg import hadamard

from cstoolbox.transforms import dct, fft, fwht, idct, ifft


@pytest.mark.parametrize("n", [1, 2, 4, 8, 16, 32, 64, 256, 1024, 2048, 4096])
def test_fwht_matches_dense_hadamard(n, rng):
    x = rng.standard_normal((3, n))
    np.testing.assert_allclose(fwht(x), x @ hadamard(n).T, rtol=1e-12, atol=1e-9 * np.sqrt(n))


@pytest.mark.parametrize("n", [2**14, 2**17])
def test_fwht_large_involution(n, rng):
    x = rng.standard_normal(n)
    np.testing.assert_allclose(fwht(fwht(x)) / n, x, atol=1e-12)
    y = fwht(x, normalize=True)
    np.testing.assert_allclose(np.linalg.norm(y), np.linalg.norm(x), rtol=1e-12)
    # spot-check rows of H against the definition H[i, j] = (-1)^popcount(i & j)
    idx = rng.integers(0, n, 5)
    cols = np.arange(n)
    for i in idx:
        row = (-1.0) ** np.array([bin(i & j).count("1") for j in cols])
        assert abs(row @ x - fwht(x)[i]) < 1e-8 * np.sqrt(n)


@pytest.mark.parametrize("n,rows", [(2**18, 1), (2**17, 2)])
def test_fwht_inside_row_parallel_path(n, rows, rng):
    x = rng.standard_normal((rows, n))  # above the serial threshold: parallel inside the row, or over rows
    np.testing.assert_allclose(fwht(x), _fwht_reference(x), rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_fwht_dtypes(dtype, rng):
    n = 64
    x = rng.standard_normal((2, n))
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal((2, n))
    x = x.astype(dtype)
    y = fwht(x)
    assert y.dtype == dtype
    tol = 1e-4 if np.dtype(dtype).itemsize <= 8 and dtype != np.float64 else 1e-10
    np.testing.assert_allclose(y, x @ hadamard(n).T, rtol=tol, atol=tol * 10)


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2])
def test_fwht_axes_and_batch(axis, rng):
    x = rng.standard_normal((8, 4, 16))
    n = x.shape[axis]
    ref = np.moveaxis(np.tensordot(hadamard(n), np.moveaxis(x, axis, 0), axes=(1, 0)), 0, axis)
    np.testing.assert_allclose(fwht(x, axis=axis), ref, atol=1e-10)
    assert x.shape == fwht(x, axis=axis).shape


def test_fwht_integer_input_and_no_mutation():
    x = np.arange(8)
    y = fwht(x)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(x, np.arange(8))


def test_fwht_out_inplace(rng):
    x = rng.standard_normal((4, 32))
    ref = fwht(x)
    res = fwht(x, out=x)
    assert res is x
    np.testing.assert_allclose(x, ref)
    out = np.empty_like(x)
    assert fwht(ref, out=out) is out


@pytest.mark.parametrize("bad,match", [
    (np.zeros(1000), "power-of-two length along axis 0, got 1000"),
    (np.zeros((0, 8)), "non-empty"),
    (np.array(["a", "b"]), "dtype"),
    (np.float64(1.0), "at least one dimension"),
])
def test_fwht_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        fwht(bad)


def test_fwht_bad_axis_and_out():
    with pytest.raises(ValueError, match="out of bounds"):
        fwht(np.zeros(8), axis=2)
    with pytest.raises(TypeError, match="axis"):
        fwht(np.zeros(8), axis=1.0)
    with pytest.raises(ValueError, match="out must have"):
        fwht(np.zeros(8), out=np.zeros(4))
    with pytest.raises(TypeError, match="normalize must be True or False"):
        fwht(np.zeros(8), normalize="yes")


@pytest.mark.parametrize("func", [dct, idct, fft, ifft])
def test_fft_helpers_bad_input_named(func):
    """Scalars, empty axes and bad axes raise here, not scipy's IndexError / unnamed errors."""
    with pytest.raises(ValueError, match="at least one dimension"):
        func(np.float64(1.0))
    with pytest.raises(ValueError, match="non-empty length along axis -1"):
        func(np.zeros((3, 0)))
    with pytest.raises(ValueError, match="axis 2 is out of bounds"):
        func(np.zeros((3, 4)), axis=2)
    for axis in (1.0, None, "0"):
        with pytest.raises(TypeError, match="axis must be an int"):
            func(np.zeros((3, 4)), axis=axis)
    assert func(np.zeros((0, 4)), axis=-1).shape == (0, 4)  # an empty batch is fine


@pytest.mark.parametrize("func,inv", [(dct, idct), (fft, ifft)])
def test_orthonormal_pairs(func, inv, rng):
    x = rng.standard_normal((3, 50))
    y = func(x, axis=-1)
    np.testing.assert_allclose(np.linalg.norm(y, axis=-1), np.linalg.norm(x, axis=-1))
    np.testing.assert_allclose(inv(y, axis=-1), x, atol=1e-12)
    np.testing.assert_allclose(inv(func(x, axis=0), axis=0), x, atol=1e-12)


def test_fft_dct_bad_dtype():
    with pytest.raises(ValueError, match="numeric"):
        dct(np.array(["x"]))


@pytest.mark.gpu
def test_fwht_cupy_matches_numpy(rng):
    import cupy
    for n in (8, 1024, 2**16):
        x = rng.standard_normal((3, n))
        np.testing.assert_allclose(fwht(cupy.asarray(x)).get(), fwht(x), rtol=1e-10, atol=1e-8)


@pytest.mark.parametrize("n", [1, 2, 8, 32, 256, 2048])
@pytest.mark.parametrize("axis", [0, -1])
def test_array_api_fwht_path_matches_dense(n, axis, rng):
    """The CuPy code path (array-API butterflies), exercised here with NumPy."""
    from cstoolbox.transforms._fwht_xp import fwht_xp
    x = rng.standard_normal((n, 3)) if axis == 0 else rng.standard_normal((3, n))
    ref = fwht(x, axis=axis)
    np.testing.assert_allclose(fwht_xp(x, np, axis, 1.0, False, None), ref, atol=1e-9)
    out = np.empty_like(x)
    fwht_xp(x, np, axis, 1 / np.sqrt(n), True, out)
    np.testing.assert_allclose(out, ref / np.sqrt(n), atol=1e-9)


def _fwht_reference(x):
    """Radix-2 butterflies in float64/complex128 NumPy (the defining recursion H_2n = [[H, H], [H, -H]])."""
    y = np.array(x, dtype=np.complex128 if np.iscomplexobj(x) else np.float64)
    b, n = y.reshape(-1, y.shape[-1]).shape
    y = y.reshape(b, n)
    h = 1
    while h < n:
        v = y.reshape(b, n // (2 * h), 2, h)
        y = np.stack((v[:, :, 0] + v[:, :, 1], v[:, :, 0] - v[:, :, 1]), axis=2).reshape(b, n)
        h *= 2
    return y.reshape(np.shape(x))


# lengths crossing every kernel level: scalar tail (< 64 float32 / 32 float64 reals), in-register groups, L1 blocks
# (4096 float32 / 2048 float64), super-blocks (2^17 / 2^16), and the row-level column pass above them
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
@pytest.mark.parametrize("n", [2, 16, 32, 64, 128, 512, 4096, 8192, 2**16, 2**18])
def test_fwht_every_kernel_level(dtype, n, rng):
    rows = 3 if n <= 2**16 else 1
    x = rng.standard_normal((rows, n))
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal((rows, n))
    x = x.astype(dtype)
    ref = _fwht_reference(x)
    eps = np.finfo(x.real.dtype).eps
    tol = 4 * eps * np.log2(n) * np.sqrt(n) * np.abs(x).max() * np.sqrt(n)
    y = fwht(x)
    assert y.dtype == dtype
    assert np.abs(y - ref).max() <= tol
    yn = fwht(x, normalize=True)
    assert np.abs(yn - ref / np.sqrt(n)).max() <= tol / np.sqrt(n)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
@pytest.mark.parametrize("n", [2**15, 2**17, 2**19])
def test_fwht_long_row_parallel_tasks_match_serial(dtype, n, rng):
    """The split of one long row into parallel pieces and column chunks (with normalization)."""
    from cstoolbox.transforms import _fwht_numba as k
    x = rng.standard_normal((1, n))
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal((1, n))
    x = x.astype(dtype)
    c = 2 if x.dtype.kind == "c" else 1
    a, b = x.copy(), x.copy()
    ra, rb = a.view(a.real.dtype), b.view(b.real.dtype)
    s = 1 / math.sqrt(n)  # a Python float, as the public wrapper passes it
    k.fwht_serial(ra, 0, c, s, True)
    k.fwht_parallel(rb, 1, c, s, True)
    k.fwht_parallel(rb, 2, c, s, True)
    np.testing.assert_array_equal(a, b)  # same butterflies in the same order per element
    np.testing.assert_allclose(fwht(x, normalize=True), a)


def test_fwht_out_buffer_and_views(rng):
    x = rng.standard_normal((5, 64)).astype(np.float32)
    ref = _fwht_reference(x)
    out = np.full_like(x, np.nan)
    assert fwht(x, out=out) is out
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(x, x.copy())
    # non-contiguous input and a non-contiguous out (axis 0): result lands in out
    xt = rng.standard_normal((64, 5))
    out_t = np.empty_like(xt)
    assert fwht(xt, axis=0, out=out_t) is out_t
    np.testing.assert_allclose(out_t, _fwht_reference(xt.T).T, atol=1e-9)
    # strided view along the last axis
    big = rng.standard_normal((4, 128))
    np.testing.assert_allclose(fwht(big[:, ::2]), _fwht_reference(big[:, ::2]), atol=1e-9)
    # in place on a C-contiguous complex array
    z = (rng.standard_normal((2, 256)) + 1j * rng.standard_normal((2, 256))).astype(np.complex64)
    zr = _fwht_reference(z)
    assert fwht(z, out=z) is z
    np.testing.assert_allclose(z, zr, rtol=1e-4, atol=1e-3)


def test_fwht_read_only_input_is_not_written(rng):
    x = rng.standard_normal(1024)
    x.setflags(write=False)
    np.testing.assert_allclose(fwht(x), _fwht_reference(x), atol=1e-9)
    with pytest.raises(ValueError):
        fwht(x, out=x)


def test_fwht_misaligned_buffer_in_place(rng):
    buf = bytearray(8 * 256 + 1)
    x = np.frombuffer(buf, dtype=np.float64, count=256, offset=1)  # writeable, not 8-byte aligned
    assert not x.flags.aligned
    x[:] = rng.standard_normal(256)
    ref = _fwht_reference(x)
    assert fwht(x, out=x) is x
    np.testing.assert_allclose(x, ref, atol=1e-9)


def test_fwht_from_worker_threads_is_serial_under_unsafe_threading_layer(monkeypatch):
    """numba's workqueue layer aborts the process on concurrent parallel launches: from a worker
    thread, fwht must then run its serial kernel (and still give the right answer)."""
    import concurrent.futures

    import numba

    from cstoolbox.transforms import _fwht

    x = np.random.default_rng(3).standard_normal((64, 4096))  # large enough for the parallel path
    expected = fwht(x)
    kernels, _ = _fwht._numba_kernels()
    calls = []
    real_parallel = kernels.fwht_parallel
    monkeypatch.setattr(numba, "threading_layer", lambda: "workqueue")
    # fwht reads the thread count through the function cached with its kernels (numba's own
    # get_num_threads is 1 under NUMBA_NUM_THREADS=1, which would make the main-thread call serial)
    monkeypatch.setattr(_fwht, "_kernels", (kernels, lambda: 2))
    monkeypatch.setattr(kernels, "fwht_parallel", lambda *a: calls.append(a) or real_parallel(*a))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: fwht(x), range(4)))
    assert calls == []
    for r in results:
        np.testing.assert_allclose(r, expected, rtol=1e-12, atol=1e-9)
    fwht(x)  # the main thread may still go parallel
    assert len(calls) == 1


def test_parallel_launch_safe_unknown_layer_from_worker_is_false(monkeypatch):
    import concurrent.futures

    import numba

    from cstoolbox._jit import parallel_launch_safe

    def unknown():
        raise ValueError("Threading layer is not initialized.")

    monkeypatch.setattr(numba, "threading_layer", unknown)
    assert parallel_launch_safe()  # main thread
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert pool.submit(parallel_launch_safe).result() is False
    monkeypatch.setattr(numba, "threading_layer", lambda: "omp")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert pool.submit(parallel_launch_safe).result() is True
