"""Local (compactly supported, all-shifts) phaseless measurements, computed by FFT."""
import numpy as np

from ..backend import check_random_state
from ._masks import check_masks, check_real, check_unused_random_state

__all__ = ["local_measurements", "add_intensity_noise"]


def _check_signal(x, name="x"):
    x = np.asarray(x)
    if x.ndim < 1 or x.shape[-1] < 2:
        raise ValueError(f"{name} must have signals of length >= 2 along its last axis, got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.number):
        raise TypeError(f"{name} must be numeric, got dtype {x.dtype}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite")
    return x


def correlate(x, W):
    """``c[..., p, l] = sum_j conj(W[p, j]) x[..., (l + j) mod d]`` by one FFT pair per mask."""
    d = x.shape[-1]
    Wpad = np.zeros((W.shape[0], d), dtype=np.complex128)
    Wpad[:, :W.shape[1]] = W
    return np.fft.ifft(np.conj(np.fft.fft(Wpad, axis=-1)) * np.fft.fft(x, axis=-1)[..., None, :], axis=-1)


def add_intensity_noise(b, snr_db, random_state=None):
    r"""Add real Gaussian noise to intensities at a given SNR (the authors' convention).

    Noise variance ``(||b||^2 / numel(b)) / 10^(snr_db / 10)`` per signal (``b[..., :, :]``).

    Parameters
    ----------
    b : ndarray, shape (..., K, d)
    snr_db : float
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    ndarray
        ``b + noise`` (intensities may become negative; the solvers accept that).
    """
    b = np.asarray(b)
    if not np.issubdtype(b.dtype, np.number) or np.iscomplexobj(b):
        raise TypeError(f"intensities b must be real, got dtype {b.dtype}")
    if b.ndim < 2 or b.shape[-1] == 0 or b.shape[-2] == 0:
        raise ValueError(f"intensities b must have shape (..., n_masks, d) with n_masks, d >= 1, got {b.shape}")
    if not np.all(np.isfinite(b)):
        raise ValueError("intensities b must be finite")
    b = b.astype(np.float64)
    snr = check_real(snr_db, "noise_snr_db")
    rng = check_random_state(random_state)
    power = np.mean(b ** 2, axis=(-2, -1), keepdims=True)
    sigma = np.sqrt(power / 10.0 ** (snr / 10.0))
    return b + sigma * rng.standard_normal(b.shape)


def local_measurements(x, masks, noise_snr_db=None, random_state=None):
    r"""Phaseless local correlation measurements ``b[p, l] = |sum_{j<delta} conj(W[p, j]) x[(l + j) mod d]|^2``.

    Parameters
    ----------
    x : array_like, shape (..., d)
        Signal(s), real or complex; any leading batch axes.
    masks : array_like, shape (K, delta)
        The masks (see :func:`exponential_masks`); ``K >= 2 delta - 1`` and ``d >= 2 delta - 1``.
    noise_snr_db : float, optional
        Add real Gaussian noise to the intensities with variance ``(||b||^2 / numel(b)) / 10^(SNR/10)``
        per signal (the convention of the authors' scripts).  ``None``: noiseless.
    random_state : None, int or numpy.random.Generator
        Seeds the noise.

    Returns
    -------
    b : ndarray, shape (..., K, d), float64

    Raises
    ------
    ValueError
        Non-finite input, bad mask shape, or ``d < 2 delta - 1``.

    Notes
    -----
    With ``c_p = ifft(conj(fft(W_p zero-padded to d)) * fft(x))`` (one FFT pair per mask),
    ``b = |c|^2``: ``O(K d log d)`` per signal.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(8.0) + 1j
    >>> W = exponential_masks(3)
    >>> b = local_measurements(x, W)
    >>> b.shape
    (5, 8)
    >>> direct = abs(np.conj(W[2]) @ x[[4, 5, 6]]) ** 2
    >>> bool(np.isclose(b[2, 4], direct))
    True
    """
    x = _check_signal(x)
    W = check_masks(masks, x.shape[-1])
    b = np.abs(correlate(x, W)) ** 2
    if noise_snr_db is None:
        check_unused_random_state(random_state)  # validated, not drawn from
    else:
        b = add_intensity_noise(b, noise_snr_db, random_state)  # the one check_random_state call
    return b


from ._masks import exponential_masks  # noqa: E402,F401  (used by the doctest)
