"""Measurement ensembles, normalized so that E||A x||^2 = ||x||^2, and sparsifying bases."""
import math
import os

import numpy as np
import scipy.sparse as sp

from ..backend import check_random_state, get_array_module
from ..transforms import dct, fft, fwht, idct, ifft
from ._base import LinearOperator, MatrixOperator

__all__ = [
    "GaussianOperator", "SparseGaussianOperator", "PartialCirculantOperator",
    "SubsampledOrthogonalOperator", "RandomizedHadamardOperator", "DCTOperator", "WaveletOperator",
]


def _check_dims(m, n):
    for name, v in (("m", m), ("n", n)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise TypeError(f"{name} must be an int, got {type(v).__name__}")
        if v < 1:
            raise ValueError(f"{name} must be >= 1, got {v}")
    return int(m), int(n)


def _check_memory(nbytes, what):
    """Refuse up front an operator whose storage exceeds the machine's physical memory.

    Without this a huge ``m * n`` either allocates until the process is killed or, for the chunked
    sparse ensemble, draws random numbers for minutes before the MemoryError.
    """
    try:
        page, pages = os.sysconf("SC_PAGE_SIZE"), os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not available on this platform: no check
        return
    if page <= 0 or pages <= 0:  # sysconf answers -1 when the value is unknown: no check either
        return
    total = page * pages
    if nbytes > total:
        raise ValueError(f"{what} would need about {nbytes / 2**30:.3g} GiB, more than this machine's "
                         f"{total / 2**30:.3g} GiB of memory")


def _gaussian_bytes_per_entry(dtype):
    """Peak bytes per entry while :class:`GaussianOperator` generates a ``dtype`` matrix.

    The matrix is drawn into a float64 (complex: complex128) array -- 8 (16) bytes per entry --
    while holding at most one more buffer: the float64 draw being copied into the complex array
    (8 bytes), or the cast to ``dtype`` when it differs (``dtype.itemsize``) plus the 1-byte mask of
    MatrixOperator's finite-entry check.  So float64 needs 9 bytes per entry, float32 13, complex128
    24 and complex64 25 (the peaks tracemalloc measures).
    """
    base = 16 if dtype.kind == "c" else 8
    working = 8 if dtype.kind == "c" else 0
    cast = 0 if dtype.itemsize == base else dtype.itemsize
    return base + max(working, cast + 1)


def _check_rows(m, n):
    if m > n:
        raise ValueError(f"m must be <= n for rows drawn without replacement, got m={m} > n={n}")


def _check_pow2(n, what):
    if n & (n - 1):
        raise ValueError(f"{what} needs a power-of-two n, got {n}")


class GaussianOperator(MatrixOperator):
    """Dense Gaussian matrix with i.i.d. N(0, 1/m) entries (complex: CN(0, 1/m)).

    Examples
    --------
    >>> A = GaussianOperator(20, 50, random_state=0)
    >>> A.shape, A.matrix.shape
    ((20, 50), (20, 50))
    """

    def __init__(self, m, n, random_state=None, dtype=np.float64):
        m, n = _check_dims(m, n)
        rng = check_random_state(random_state)
        dtype = np.dtype(dtype)
        if dtype.kind not in "fc":
            raise ValueError(f"dtype must be a float or complex dtype, got {dtype}")
        _check_memory(m * n * _gaussian_bytes_per_entry(dtype), f"GaussianOperator({m}, {n}, dtype={dtype})")
        # Drawn in float64 / complex128 and scaled in place (the same values as the out-of-place
        # expressions ``(g1 + 1j * g2) / sqrt(2 m)`` and ``g / sqrt(m)``), then cast to ``dtype``.
        if dtype.kind == "c":
            M = np.empty((m, n), dtype=np.complex128)
            M.real = rng.standard_normal((m, n))
            M.imag = rng.standard_normal((m, n))
            M /= math.sqrt(2 * m)
        else:
            M = rng.standard_normal((m, n))
            M /= math.sqrt(m)
        super().__init__(M.astype(dtype, copy=False))


class SparseGaussianOperator(MatrixOperator):
    """Sparse Gaussian matrix A_ij = B_ij G_ij, B ~ Bernoulli(density), G ~ N(0, 1/(density m)).

    Stored as scipy CSR (``.matrix``); about ``density * n`` nonzeros per row.

    Raises
    ------
    ValueError
        If ``density`` is not in (0, 1].
    """

    def __init__(self, m, n, density=0.1, random_state=None):
        m, n = _check_dims(m, n)
        if not (isinstance(density, (float, int, np.floating)) and 0.0 < density <= 1.0):
            raise ValueError(f"density must be in (0, 1], got {density!r}")
        # CSR storage (8-byte values, 4-byte indices) of the expected nonzeros, plus one chunk's mask
        _check_memory(12 * density * m * n + 8 * (m + 1) + 9 * min(m * n, 2**24),
                      f"SparseGaussianOperator({m}, {n}, density={density})")
        rng = check_random_state(random_state)
        scale = 1.0 / math.sqrt(density * m)
        blocks = []
        rows_per_chunk = max(1, int(2**24 // n))
        for start in range(0, m, rows_per_chunk):
            rows = min(rows_per_chunk, m - start)
            mask = rng.random((rows, n)) < density
            r, c = np.nonzero(mask)
            vals = rng.standard_normal(r.size) * scale
            blocks.append(sp.csr_matrix((vals, (r, c)), shape=(rows, n)))
        super().__init__(sp.vstack(blocks, format="csr"))
        self.density = float(density)


class PartialCirculantOperator(LinearOperator):
    r"""Partial random circulant matrix :math:`\Phi = m^{-1/2} R_\Omega C_\xi`.

    ``C_xi x = ifft(fft(xi) * fft(x))`` (circular convolution with the generator ``xi``), ``R_Omega``
    keeps ``m`` of the ``n`` rows chosen uniformly without replacement (sorted).  Applied by FFT in
    O(n log n); the generator's spectrum is stored once.  Real generators give real outputs for real
    inputs (rfft path).

    Parameters
    ----------
    m, n : int
        Rows kept and signal length (``m <= n``).
    generator : {"rademacher", "gaussian"} or array_like
        Distribution of the generator, or the generator itself (length n).
    random_state : None, int or Generator

    Attributes
    ----------
    rows : ndarray of int, the kept rows Omega
    generator_ : ndarray, the generator xi
    """

    def __init__(self, m, n, generator="rademacher", random_state=None):
        m, n = _check_dims(m, n)
        _check_rows(m, n)
        rng = check_random_state(random_state)
        if isinstance(generator, str):
            if generator == "rademacher":
                xi = rng.choice(np.array([-1.0, 1.0]), size=n)
            elif generator == "gaussian":
                xi = rng.standard_normal(n)
            else:
                raise ValueError(f"generator must be 'rademacher', 'gaussian' or an array, got {generator!r}")
        else:
            xi = np.asarray(generator)
            if xi.shape != (n,):
                raise ValueError(f"generator array must have shape ({n},), got {xi.shape}")
        self.generator_ = xi
        self.rows = np.sort(rng.choice(n, size=m, replace=False))
        self._real = xi.dtype.kind != "c"
        super().__init__((m, n), np.float64 if self._real else np.complex128)
        self._spec_r = np.fft.rfft(xi) if self._real else None
        self._spec = np.fft.fft(xi)
        self._scale = 1.0 / math.sqrt(m)

    def _circ(self, x, adjoint):
        xp = get_array_module(x)
        n = self.shape[1]
        if self._real and x.dtype.kind != "c":
            spec = self._on_device("spec_r", self._spec_r, x)
            spec = spec.conj() if adjoint else spec
            return xp.fft.irfft(spec[:, None] * xp.fft.rfft(x, axis=0), n=n, axis=0)
        spec = self._on_device("spec", self._spec, x)
        spec = spec.conj() if adjoint else spec
        return xp.fft.ifft(spec[:, None] * xp.fft.fft(x, axis=0), axis=0)

    def _matvec(self, x):
        rows = self._on_device("rows", self.rows, x)
        return self._scale * self._circ(x, False)[rows]

    def _rmatvec(self, y):
        xp = get_array_module(y)
        rows = self._on_device("rows", self.rows, y)
        z = xp.zeros((self.shape[1], y.shape[1]), dtype=y.dtype)
        z[rows] = y
        return self._scale * self._circ(z, True)


_ORTHO = {
    "dft": (fft, ifft),
    "dct": (dct, idct),
    "hadamard": (lambda x, axis: fwht(x, axis=axis, normalize=True),
                 lambda x, axis: fwht(x, axis=axis, normalize=True)),
}


class SubsampledOrthogonalOperator(LinearOperator):
    r"""Bounded orthonormal system :math:`\sqrt{n/m}\, R_\Omega F D_\varepsilon`.

    ``F`` is the unitary DFT (complex output), the orthonormal DCT-II or the normalized Walsh–Hadamard
    transform (``n`` a power of two); ``D_eps`` optional random signs (the fast Johnson–Lindenstrauss
    construction); ``m`` rows drawn uniformly without replacement.

    Attributes
    ----------
    rows : ndarray of int
    signs : ndarray of ±1 or None
    """

    def __init__(self, m, n, transform="dct", random_signs=False, random_state=None):
        m, n = _check_dims(m, n)
        _check_rows(m, n)
        if transform not in _ORTHO:
            raise ValueError(f"transform must be one of {sorted(_ORTHO)}, got {transform!r}")
        if transform == "hadamard":
            _check_pow2(n, "transform='hadamard'")
        rng = check_random_state(random_state)
        self.transform = transform
        self.signs = rng.choice(np.array([-1.0, 1.0]), size=n) if random_signs else None
        self.rows = np.sort(rng.choice(n, size=m, replace=False))
        self._fwd, self._inv = _ORTHO[transform]
        self._scale = math.sqrt(n / m)
        super().__init__((m, n), np.complex128 if transform == "dft" else np.float64)

    def _matvec(self, x):
        if self.signs is not None:
            x = self._on_device("signs", self.signs, x)[:, None] * x
        rows = self._on_device("rows", self.rows, x)
        return self._scale * self._fwd(x, axis=0)[rows]

    def _rmatvec(self, y):
        xp = get_array_module(y)
        rows = self._on_device("rows", self.rows, y)
        z = xp.zeros((self.shape[1], y.shape[1]), dtype=y.dtype)
        z[rows] = y
        out = self._inv(z, axis=0)
        if self.signs is not None:
            out = self._on_device("signs", self.signs, y)[:, None] * out
        return self._scale * out


class RandomizedHadamardOperator(LinearOperator):
    """The orthogonal randomized Hadamard transform ``H D / sqrt(n)`` (D random signs, n a power of two)."""

    def __init__(self, n, random_state=None):
        _, n = _check_dims(1, n)
        _check_pow2(n, "RandomizedHadamardOperator")
        rng = check_random_state(random_state)
        self.signs = rng.choice(np.array([-1.0, 1.0]), size=n)
        super().__init__((n, n), np.float64)

    def _matvec(self, x):
        return fwht(self._on_device("signs", self.signs, x)[:, None] * x, axis=0, normalize=True)

    def _rmatvec(self, y):
        return self._on_device("signs", self.signs, y)[:, None] * fwht(y, axis=0, normalize=True)


def _shape_tuple(shape):
    bad = TypeError(f"shape must be a positive int or a tuple of 1 to 3 positive ints, got {shape!r}")
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, (bool, np.bool_)):
        shape = (shape,)
    elif isinstance(shape, (str, bytes)) or not np.iterable(shape):
        raise bad
    shape = tuple(shape)
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, (bool, np.bool_)) for s in shape):
        raise bad
    shape = tuple(int(s) for s in shape)
    if not 1 <= len(shape) <= 3 or min(shape) < 1:
        raise ValueError(f"shape must have 1 to 3 positive dimensions, got {shape}")
    return shape


class DCTOperator(LinearOperator):
    """Orthonormal DCT basis as a synthesis operator on signals of ``shape`` (1-D, 2-D or 3-D).

    ``B @ c`` maps (flattened) DCT coefficients to the (flattened) signal, ``B.H @ x`` gives the
    coefficients.  ``A @ B`` measures a signal sparse in the DCT basis.
    """

    def __init__(self, shape):
        self.signal_shape = _shape_tuple(shape)
        n = int(np.prod(self.signal_shape))
        super().__init__((n, n), np.float64)
        self._axes = tuple(range(len(self.signal_shape)))

    def _nd(self, x, func):
        xp = get_array_module(x)
        k = x.shape[1]
        v = x.T.reshape((k,) + self.signal_shape)
        mod = _scipy_fft(xp)
        out = func(mod, v, axes=tuple(a + 1 for a in self._axes))
        return xp.ascontiguousarray(out.reshape(k, -1).T)

    def _matvec(self, c):
        return self._nd(c, lambda mod, v, axes: mod.idctn(v, type=2, axes=axes, norm="ortho"))

    def _rmatvec(self, x):
        return self._nd(x, lambda mod, v, axes: mod.dctn(v, type=2, axes=axes, norm="ortho"))


def _scipy_fft(xp):
    if xp is np:
        import scipy.fft as mod  # noqa: PLC0415
    else:
        import cupyx.scipy.fft as mod  # noqa: PLC0415
    return mod


class WaveletOperator(LinearOperator):
    """Orthogonal wavelet basis (PyWavelets, periodization) as a synthesis operator, 1-D or 2-D.

    ``B @ c`` reconstructs the (flattened) signal from the flattened coefficient array (the layout of
    ``pywt.coeffs_to_array``), ``B.H @ x`` decomposes.  Only orthogonal wavelets (``db*``, ``sym*``,
    ``coif*``, ``haar``) make this an orthogonal operator; each dimension must be divisible by
    ``2**level``.

    Parameters
    ----------
    shape : int or tuple
    wavelet : str
    level : int or None
        Decomposition depth; default the largest level allowed by both the filter length and the
        divisibility of ``shape``.

    Raises
    ------
    ValueError
        For a non-orthogonal wavelet, or a shape not divisible by ``2**level``.
    """

    def __init__(self, shape, wavelet="db4", level=None):
        import pywt  # noqa: PLC0415

        self.signal_shape = _shape_tuple(shape)
        if len(self.signal_shape) > 2:
            raise ValueError(f"WaveletOperator supports 1-D and 2-D shapes, got {self.signal_shape}")
        if not isinstance(wavelet, (str, pywt.Wavelet)):
            raise TypeError(f"wavelet must be a name such as 'db4' or a pywt.Wavelet, got {wavelet!r}")
        try:
            w = pywt.Wavelet(wavelet)
        except ValueError:
            raise ValueError(f"unknown wavelet {wavelet!r}; see pywt.wavelist(kind='discrete')") from None
        if not w.orthogonal:
            raise ValueError(f"wavelet {wavelet!r} is not orthogonal; use e.g. 'haar', 'db4', 'sym8'")
        div = min(s & -s for s in self.signal_shape)  # largest power of two dividing every dim
        max_div = div.bit_length() - 1
        max_filt = pywt.dwtn_max_level(self.signal_shape, w)
        if level is None:
            level = max(1, min(max_div, max_filt))
        if isinstance(level, np.ndarray) and level.ndim == 0 and level.dtype.kind in "iu":  # np.array(2)
            level = level[()]
        if isinstance(level, (bool, np.bool_)) or not isinstance(level, (int, np.integer)):
            raise TypeError(f"level must be a positive int or None, got {level!r}")
        level = int(level)
        if level < 1 or level > max_div or any(s % (2**level) for s in self.signal_shape):
            raise ValueError(f"level must be >= 1 with every dimension of {self.signal_shape} divisible by "
                             f"2**level; got level={level} (largest allowed {max_div})")
        self.wavelet, self.level = w, level
        self._pywt = pywt
        axes = tuple(range(len(self.signal_shape)))
        coeffs = pywt.wavedecn(np.zeros(self.signal_shape), w, mode="periodization", level=level, axes=axes)
        arr, self._slices = pywt.coeffs_to_array(coeffs, axes=axes)
        self._coef_shape = arr.shape
        n = int(np.prod(self.signal_shape))
        if arr.size != n:
            raise ValueError("wavelet coefficient array size differs from the signal size; "
                             "choose a level compatible with the shape")
        super().__init__((n, n), np.float64)

    def _batched(self, x, shape):
        from ..backend import asnumpy  # noqa: PLC0415
        xp = get_array_module(x)
        return xp, asnumpy(x).reshape(shape + (x.shape[1],))

    def _matvec(self, c):
        pywt = self._pywt
        xp, arr = self._batched(c, self._coef_shape)
        axes = tuple(range(len(self.signal_shape)))
        coeffs = pywt.array_to_coeffs(arr, self._slices, output_format="wavedecn")
        x = pywt.waverecn(coeffs, self.wavelet, mode="periodization", axes=axes)
        return xp.asarray(x.reshape(self.shape[0], -1))

    def _rmatvec(self, x):
        pywt = self._pywt
        xp, arr = self._batched(x, self.signal_shape)
        axes = tuple(range(len(self.signal_shape)))
        coeffs = pywt.wavedecn(arr, self.wavelet, mode="periodization", level=self.level, axes=axes)
        c, _ = pywt.coeffs_to_array(coeffs, axes=axes)
        return xp.asarray(c.reshape(self.shape[1], -1))
