"""Masks (local measurement vectors) for phase retrieval from local measurements.

A family of ``K`` masks is stored as a complex array ``W`` of shape ``(K, delta)``: mask ``p`` is supported
on the first ``delta`` entries and measured at every one of the ``d`` cyclic shifts.
"""
import numpy as np

from ..backend import check_random_state

__all__ = ["exponential_masks", "windowed_fourier_masks", "linear_masks", "random_masks",
           "RandomFlattening"]


def _unwrap_0d(v):
    """A 0-d real numeric array as its NumPy scalar (``np.array(0.5)`` is a scalar); anything else as given."""
    if isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "iuf":
        return v[()]
    return v


def check_int(value, name, minimum):
    """An int ``>= minimum`` (bools, floats and strings refused; a 0-d integer array accepted)."""
    value = _unwrap_0d(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def check_real(value, name, minimum=None, strict=False):
    """A finite real number (``> minimum`` with ``strict``, else ``>= minimum``); bools and strings refused."""
    value = _unwrap_0d(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value) or (minimum is not None and (value <= minimum if strict else value < minimum)):
        bound = "" if minimum is None else f" {'>' if strict else '>='} {minimum}"
        raise ValueError(f"{name} must be a finite real{bound}, got {value!r}")
    return float(value)


def check_unused_random_state(random_state):
    """Validate a ``random_state`` the call will not use, without drawing from a legacy RandomState."""
    if not isinstance(random_state, np.random.RandomState):
        check_random_state(random_state)


def check_band(Z, name="Z"):
    """A Hermitian band in band storage: finite numeric (d, 2 q + 1) with d >= 2 q + 1 (complex128 out)."""
    Z = np.asarray(Z)
    if not np.issubdtype(Z.dtype, np.number):
        raise TypeError(f"{name} must be a numeric band of shape (d, 2 q + 1), got dtype {Z.dtype}")
    if Z.ndim != 2 or Z.shape[1] % 2 == 0 or Z.shape[0] < Z.shape[1]:
        raise ValueError(f"{name} must be a band of shape (d, 2 q + 1) with an odd width and d >= 2 q + 1, "
                         f"got shape {Z.shape}")
    if not np.all(np.isfinite(Z)):
        raise ValueError(f"{name} must be finite")
    return Z


def _check_delta(delta, name="delta"):
    if isinstance(delta, (bool, np.bool_)) or not isinstance(delta, (int, np.integer)):
        raise TypeError(f"{name} must be an int >= 2, got {type(delta).__name__}")
    if delta < 2:
        raise ValueError(f"{name} must be an int >= 2 (the support of each mask), got {delta}")
    return int(delta)


def windowed_fourier_masks(window, n_freq=None):
    r"""Windowed-Fourier (spectrogram / 1-D ptychography) masks ``W[p, j] = w_j exp(2 pi i j p / K)``.

    Parameters
    ----------
    window : array_like, shape (delta,)
        The window (probe) ``w`` supported on ``delta >= 2`` entries; real or complex.
    n_freq : int, optional
        Number of frequencies ``K``; default ``2 delta - 1`` (the smallest ``K`` for which the lifted
        system can be solved).  ``K < 2 delta - 1`` is refused.

    Returns
    -------
    masks : ndarray, shape (K, delta), complex128

    Raises
    ------
    ValueError
        ``window`` not 1-D with at least 2 entries, non-finite, or ``n_freq < 2 delta - 1``.

    Notes
    -----
    The measurements ``|sum_j conj(W[p, j]) x[l + j]|^2`` are then the squared magnitudes of the
    ``K``-point DFT of ``conj(w) * x[l:l+delta]``, i.e. a spectrogram with hop 1.  Masks of this form
    are recognised by :func:`blockpr`, which then uses the ``O(delta d log d)`` fast lifted solve.

    Examples
    --------
    >>> import numpy as np
    >>> W = windowed_fourier_masks(np.ones(3))
    >>> W.shape
    (5, 3)
    >>> bool(np.allclose(W[1], np.exp(2j * np.pi * np.arange(3) / 5)))
    True
    """
    w = np.asarray(window)
    if w.ndim != 1 or w.size < 2:
        raise ValueError(f"window must be a 1-D array with at least 2 entries, got shape {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError("window must be finite")
    delta = w.size
    K = 2 * delta - 1 if n_freq is None else n_freq
    if isinstance(K, (bool, np.bool_)) or not isinstance(K, (int, np.integer)):
        raise TypeError(f"n_freq must be an int, got {type(K).__name__}")
    if K < 2 * delta - 1:
        raise ValueError(f"n_freq must be >= 2 * delta - 1 = {2 * delta - 1}, got {K}")
    p = np.arange(K)[:, None]
    j = np.arange(delta)[None, :]
    return w.astype(np.complex128)[None, :] * np.exp(2j * np.pi * j * p / K)


def exponential_masks(delta, n_masks=None):
    r"""The exponential windowed-Fourier masks of Iwen, Viswanathan and Wang (2016).

    ``W[p, j] = exp(-j / a) / K^(1/4) * exp(2 pi i j p / K)`` with ``a = max(4, (delta - 1) / 2)``
    and ``K = n_masks`` (default ``2 delta - 1``).

    Parameters
    ----------
    delta : int
        Support of each mask (``>= 2``).
    n_masks : int, optional
        Number of masks ``K >= 2 delta - 1``; default ``2 delta - 1``.

    Returns
    -------
    masks : ndarray, shape (K, delta), complex128

    Notes
    -----
    Measured condition numbers of the lifted system at ``d = 256`` (spec): 9.2 (delta 4), 28 (8), 65 (12),
    116 (16), 262 (24); see :func:`lifted_condition_number`.

    References
    ----------
    M. A. Iwen, A. Viswanathan, Y. Wang, "Fast phase retrieval from local correlation measurements",
    SIAM J. Imaging Sci. 9 (2016).

    Examples
    --------
    >>> exponential_masks(6).shape
    (11, 6)
    """
    delta = _check_delta(delta)
    K = 2 * delta - 1 if n_masks is None else n_masks
    a = max(4.0, (delta - 1) / 2.0)
    if isinstance(K, (bool, np.bool_)) or not isinstance(K, (int, np.integer)):
        raise TypeError(f"n_masks must be an int, got {type(K).__name__}")
    if K < 2 * delta - 1:
        raise ValueError(f"n_masks must be >= 2 * delta - 1 = {2 * delta - 1}, got {K}")
    w = np.exp(-np.arange(delta) / a) / K ** 0.25
    return windowed_fourier_masks(w, K)


def linear_masks(delta):
    r"""The "linear condition number" masks: ``m_0 = e_0``, ``m_{2i-1} = e_0 + e_i``, ``m_{2i} = e_0 - 1j e_i``.

    Parameters
    ----------
    delta : int
        Support (``>= 2``); gives ``K = 2 delta - 1`` masks.

    Returns
    -------
    masks : ndarray, shape (2 delta - 1, delta), complex128

    Examples
    --------
    >>> linear_masks(2).tolist()
    [[(1+0j), 0j], [(1+0j), (1+0j)], [(1+0j), -1j]]
    """
    delta = _check_delta(delta)
    W = np.zeros((2 * delta - 1, delta), dtype=np.complex128)
    W[:, 0] = 1.0
    for i in range(1, delta):
        W[2 * i - 1, i] = 1.0
        W[2 * i, i] = complex(0.0, -1.0)
    return W


def random_masks(delta, n_masks=None, random_state=None):
    r"""Complex Gaussian masks ``(g + i h) / sqrt(2)`` (usually badly conditioned: 1e2..1e4).

    Parameters
    ----------
    delta : int
        Support (``>= 2``).
    n_masks : int, optional
        ``K >= 2 delta - 1``; default ``2 delta - 1``.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    masks : ndarray, shape (K, delta), complex128

    Examples
    --------
    >>> random_masks(3, random_state=0).shape
    (5, 3)
    """
    delta = _check_delta(delta)
    K = 2 * delta - 1 if n_masks is None else n_masks
    if isinstance(K, (bool, np.bool_)) or not isinstance(K, (int, np.integer)):
        raise TypeError(f"n_masks must be an int, got {type(K).__name__}")
    if K < 2 * delta - 1:
        raise ValueError(f"n_masks must be >= 2 * delta - 1 = {2 * delta - 1}, got {K}")
    rng = check_random_state(random_state)
    return (rng.standard_normal((K, delta)) + 1j * rng.standard_normal((K, delta))) / np.sqrt(2.0)


def check_masks(masks, d=None):
    """Validate a mask array; returns it as complex128 of shape (K, delta)."""
    W = np.asarray(masks)
    if W.ndim != 2:
        raise ValueError(f"masks must be a 2-D array of shape (n_masks, delta), got shape {W.shape}")
    K, delta = W.shape
    if delta < 2:
        raise ValueError(f"masks must have support delta >= 2 (shape[1]), got {delta}")
    if not np.issubdtype(W.dtype, np.number):
        raise TypeError(f"masks must be numeric, got dtype {W.dtype}")
    if not np.all(np.isfinite(W)):
        raise ValueError("masks must be finite")
    if K < 2 * delta - 1:
        raise ValueError(f"the lifted system needs at least 2 * delta - 1 = {2 * delta - 1} masks, got {K}")
    if d is not None and d < 2 * delta - 1:
        raise ValueError(f"signal length d = {d} too short for masks of support delta = {delta}: "
                         f"the lifted system needs d >= 2 * delta - 1 = {2 * delta - 1}")
    return W.astype(np.complex128, copy=False)


def window_structure(W, rtol=1e-12):
    """Return ``(window, K)`` when ``W[p, j] = W[0, j] exp(2 pi i j p / K)``, else ``None``."""
    K, delta = W.shape
    w = W[0]
    ref = w[None, :] * np.exp(2j * np.pi * np.arange(delta)[None, :] * np.arange(K)[:, None] / K)
    scale = np.max(np.abs(W))
    if scale > 0 and np.max(np.abs(ref - W)) <= rtol * scale:
        return w.copy(), K
    return None


class RandomFlattening:
    r"""Randomized flattening ``y = P F D x`` (random signs ``D``, unitary DFT ``F``, random permutation ``P``).

    BlockPR's guarantees are for "flat" signals (no long runs of tiny entries).  Measuring
    ``y = flatten.apply(x)`` instead of ``x`` and mapping the recovered ``y`` back with
    :meth:`invert` extends them to arbitrary signals (Iwen, Viswanathan, Wang 2016, Sec. 4).

    Parameters
    ----------
    d : int
        Signal length.
    random_state : None, int or numpy.random.Generator

    Examples
    --------
    >>> import numpy as np
    >>> F = RandomFlattening(8, random_state=0)
    >>> x = np.arange(8.0)
    >>> bool(np.allclose(F.invert(F.apply(x)), x))
    True
    """

    def __init__(self, d, random_state=None):
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)) or d < 2:
            raise ValueError(f"d must be an int >= 2, got {d!r}")
        rng = check_random_state(random_state)
        self.d = int(d)
        self.signs = rng.choice(np.array([-1.0, 1.0]), size=self.d)
        self.permutation = rng.permutation(self.d)

    def _check(self, x):
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.number):
            raise TypeError(f"RandomFlattening needs a numeric array, got dtype {x.dtype}")
        if x.ndim < 1 or x.shape[-1] != self.d:
            raise ValueError(f"expected signals of length {self.d} along the last axis, got shape {x.shape}")
        if not np.all(np.isfinite(x)):
            raise ValueError("RandomFlattening needs finite input")
        return x

    def apply(self, x):
        """``P F D x`` along the last axis."""
        x = self._check(x)
        return np.fft.fft(x * self.signs, axis=-1, norm="ortho")[..., self.permutation]

    def invert(self, y):
        """``D F^* P^T y`` along the last axis (exact inverse of :meth:`apply`)."""
        y = self._check(y)
        u = np.empty(y.shape, dtype=np.complex128)
        u[..., self.permutation] = y
        return np.fft.ifft(u, axis=-1, norm="ortho") * self.signs
