"""Reconstruction-quality metrics: SNR, PSNR, relative error, phase-aligned error, MAPE.

All functions take the reference first and the estimate second, accept NumPy or CuPy
arrays (the array module is taken from the inputs), and raise :class:`ValueError` when
the shapes differ, an input is empty or holds NaN/inf (rather than return a silent NaN).
``snr_db``, ``psnr_db`` and ``relative_error`` reduce over every axis by default; pass
``axis`` (an int or a tuple) to get one value per signal of a batch.
Scalar results are returned as Python floats, batched results as arrays.

Examples
--------
>>> import numpy as np
>>> from cstoolbox.metrics import snr_db, relative_error
>>> x = np.array([3.0, 4.0])
>>> snr_db(x, x + [0.05, 0.0])
40.0
>>> relative_error(x, x + [0.05, 0.0])
0.01
"""
import numpy as np

from cstoolbox.backend import get_array_module

__all__ = ["snr_db", "psnr_db", "relative_error", "phase_aligned_error", "mape"]


def _pair(x, x_hat, name_x="x", name_hat="x_hat"):
    xp = get_array_module(x, x_hat)
    x = xp.asarray(x)
    x_hat = xp.asarray(x_hat)
    for name, a in ((name_x, x), (name_hat, x_hat)):
        if a.dtype.kind not in "biufc":
            raise TypeError(f"{name} must be a numeric array, got dtype {a.dtype}")
    if x.shape != x_hat.shape:
        raise ValueError(
            f"{name_x} and {name_hat} must have the same shape, got {x.shape} and {x_hat.shape}"
        )
    if x.size == 0:
        raise ValueError(f"{name_x} and {name_hat} are empty")
    for name, a in ((name_x, x), (name_hat, x_hat)):
        if a.dtype.kind in "fc" and not bool(xp.all(xp.isfinite(a))):
            raise ValueError(f"{name} contains NaN or inf; a metric of it would be meaningless")
    return xp, x, x_hat


def _check_axis(axis, ndim):
    if axis is None:
        return None
    axes = (axis,) if np.isscalar(axis) else tuple(axis)
    for a in axes:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)) or not -ndim <= a < ndim:
            raise ValueError(f"axis {axis!r} is out of range for an array with {ndim} dimensions")
    return tuple(int(a) % ndim for a in axes)


def _norm(xp, a, axis):
    """Euclidean norm over ``axis`` (all axes when None)."""
    return xp.sqrt(xp.sum(xp.abs(a) ** 2, axis=axis))


def _out(xp, value):
    """Python float for a 0-d result, the array otherwise."""
    if getattr(value, "ndim", 0) == 0:
        return float(value)
    return value


def _ratio_db(xp, num, den):
    """20 log10(num / den) with +inf where den == 0 (and num > 0); nan where both are 0."""
    num = xp.asarray(num, dtype=np.float64)
    den = xp.asarray(den, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 20.0 * xp.log10(num / den)


def snr_db(x, x_hat, axis=None):
    """Signal-to-noise ratio of an estimate, in decibels.

    Parameters
    ----------
    x : array_like
        The reference signal(s), real or complex.
    x_hat : array_like
        The estimate, same shape as ``x``.
    axis : None, int or tuple of int
        Axes holding one signal: ``None`` (default) treats the whole array as one signal;
        ``axis=-1`` gives one SNR per row of a ``(batch, n)`` array.

    Returns
    -------
    float or ndarray
        ``20 log10(||x|| / ||x - x_hat||)``; ``inf`` when ``x_hat == x`` exactly
        (and ``nan`` when additionally ``x == 0``).

    Raises
    ------
    ValueError
        Shapes differ, empty input, NaN/inf in an input, or an axis out of range.
    TypeError
        Non-numeric input.

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.metrics import snr_db
    >>> x = np.ones((2, 4))
    >>> snr_db(x, x * [[1.1], [1.0]], axis=-1)
    array([20., inf])
    """
    xp, x, x_hat = _pair(x, x_hat)
    axes = _check_axis(axis, x.ndim)
    return _out(xp, _ratio_db(xp, _norm(xp, x, axes), _norm(xp, x - x_hat, axes)))


def psnr_db(x, x_hat, peak=None, axis=None):
    """Peak signal-to-noise ratio, in decibels.

    Parameters
    ----------
    x, x_hat : array_like
        Reference and estimate, same shape.
    peak : float, optional
        The peak value ``P``. Default: ``max|x|`` over the same axes as the mean (so a
        signal in [0, 1] that reaches 1 gets ``P = 1``); pass ``peak=1.0`` for images
        scaled to [0, 1] and ``peak=255`` for 8-bit ones to get the conventional figure.
    axis : None, int or tuple of int
        Axes of one signal (see :func:`snr_db`).

    Returns
    -------
    float or ndarray
        ``10 log10(P^2 / mean|x - x_hat|^2)``; ``inf`` for an exact estimate.

    Raises
    ------
    ValueError
        Shapes differ, empty input, NaN/inf in an input, an axis out of range, ``peak`` not
        positive and finite.

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.metrics import psnr_db
    >>> x = np.array([0.0, 0.5, 1.0, 0.5])
    >>> psnr_db(x, x + [0.1, -0.1, 0.1, -0.1])
    20.0
    """
    xp, x, x_hat = _pair(x, x_hat)
    axes = _check_axis(axis, x.ndim)
    if peak is None:
        p = xp.max(xp.abs(x), axis=axes)
    else:
        valid = (isinstance(peak, (int, float, np.integer, np.floating))
                 and not isinstance(peak, bool) and np.isfinite(peak) and peak > 0)
        if not valid:
            raise ValueError(f"peak must be a positive finite number, got {peak!r}")
        p = float(peak)
    mse = xp.mean(xp.abs(x - x_hat) ** 2, axis=axes)
    return _out(xp, _ratio_db(xp, p, xp.sqrt(mse)))


def relative_error(x, x_hat, axis=None):
    """Relative Euclidean error ``||x - x_hat|| / ||x||``.

    Parameters
    ----------
    x, x_hat : array_like
        Reference and estimate, same shape.
    axis : None, int or tuple of int
        Axes of one signal (see :func:`snr_db`).

    Returns
    -------
    float or ndarray
        The relative error; ``inf`` when ``x == 0`` and ``x_hat != 0``, ``nan`` when both
        are zero.

    Raises
    ------
    ValueError
        Shapes differ, empty input, NaN/inf in an input, or an axis out of range.

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.metrics import relative_error
    >>> x = np.array([[1.0, 0.0], [0.0, 2.0]])
    >>> relative_error(x, np.array([[1.0, 0.5], [0.0, 2.0]]), axis=1)
    array([0.5, 0. ])
    """
    xp, x, x_hat = _pair(x, x_hat)
    axes = _check_axis(axis, x.ndim)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _out(xp, _norm(xp, x - x_hat, axes) / _norm(xp, x, axes))


def phase_aligned_error(x, x_hat, axis=None):
    """Relative error after removing the global phase ambiguity ``x_hat -> e^{i theta} x_hat``.

    Phase retrieval recovers a signal only up to a global phase. The best alignment
    ``theta = argmin ||x - e^{i theta} x_hat||`` is the angle of the inner product
    ``<x_hat, x> = sum conj(x_hat) x``; the error is reported for the aligned estimate.

    Parameters
    ----------
    x : array_like
        The reference signal(s), real or complex.
    x_hat : array_like
        The estimate, same shape.
    axis : None, int or tuple of int
        Axes holding one signal: ``None`` (default) treats the whole array as one vector with
        one global phase; ``axis=-1`` aligns and scores every row of a ``(batch, n)`` array
        with its own phase.

    Returns
    -------
    error : float or ndarray
        ``min_theta ||x - e^{i theta} x_hat|| / ||x||`` (one per signal when ``axis`` is given).
    x_aligned : ndarray
        ``e^{i theta} x_hat`` (complex, or real when both inputs are real: then theta is 0
        or pi, the sign ambiguity), same shape as ``x_hat``.

    Raises
    ------
    ValueError
        Shapes differ, empty input, NaN/inf in an input, or an axis out of range.

    Notes
    -----
    With ``c = <x_hat, x>``, ``||x - e^{i theta} x_hat||^2 = ||x||^2 + ||x_hat||^2 -
    2 Re(e^{i theta} c)``, minimized by ``theta = angle(c)`` (any theta when ``c = 0``;
    then ``theta = 0``).

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.metrics import phase_aligned_error
    >>> x = np.array([1.0 + 1.0j, 2.0 - 1.0j])
    >>> err, aligned = phase_aligned_error(x, np.exp(-0.7j) * x)
    >>> round(err, 12), bool(np.allclose(aligned, x))
    (0.0, True)
    >>> batch = np.stack([x, 2 * x])
    >>> errs, _ = phase_aligned_error(batch, batch * np.exp([[0.3j], [-2.0j]]), axis=-1)
    >>> np.round(errs, 12)
    array([0., 0.])
    """
    xp, x, x_hat = _pair(x, x_hat)
    axes = _check_axis(axis, x.ndim)
    c = xp.sum(xp.conj(x_hat) * x, axis=axes, keepdims=True)
    if xp.iscomplexobj(x) or xp.iscomplexobj(x_hat):
        mag = xp.abs(c)
        with np.errstate(divide="ignore", invalid="ignore"):
            phase = xp.where(mag > 0, c / xp.where(mag > 0, mag, 1.0), 1.0)
        aligned = phase * x_hat
    else:
        sign = xp.where(c < 0, -1.0, 1.0)
        aligned = sign * x_hat.astype(np.result_type(x_hat.dtype, np.float64))
    return relative_error(x, aligned, axis=axis), aligned


def mape(d_true, d_est, zero="raise"):
    """Mean absolute percentage error of estimated distances (as a fraction, not in %).

    ``mean_i |d_est_i - d_true_i| / d_true_i`` -- the distortion measure of distance
    embeddings (e.g. estimated vs. true pairwise distances).

    Parameters
    ----------
    d_true : array_like
        True distances, non-negative, any shape.
    d_est : array_like
        Estimates, same shape.
    zero : {"raise", "ignore"}
        What to do with zero true distances (e.g. the diagonal of a distance matrix):
        ``"raise"`` (default) raises ``ValueError``; ``"ignore"`` leaves those pairs out
        of the mean.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Shapes differ, empty input, NaN/inf in an input, negative true distances, a zero true
        distance with ``zero="raise"``, or no non-zero true distance left.

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.metrics import mape
    >>> round(mape([1.0, 2.0, 4.0], [1.5, 1.0, 4.0]), 12)
    0.333333333333
    >>> mape([[0.0, 2.0], [2.0, 0.0]], [[0.0, 3.0], [1.0, 0.0]], zero="ignore")
    0.5
    """
    if zero not in ("raise", "ignore"):
        raise ValueError(f"zero must be 'raise' or 'ignore', got {zero!r}")
    xp, d_true, d_est = _pair(d_true, d_est, "d_true", "d_est")
    for name, d in (("d_true", d_true), ("d_est", d_est)):
        if xp.iscomplexobj(d):
            raise TypeError(f"{name} must hold real distances, got a complex array")
    if bool(xp.any(d_true < 0)):
        raise ValueError("d_true must hold non-negative distances")
    nonzero = d_true > 0
    if not bool(xp.all(nonzero)):
        if zero == "raise":
            raise ValueError(
                f"d_true has {int(xp.sum(~nonzero))} zero distance(s), where the relative error "
                "is undefined; pass zero='ignore' to leave them out"
            )
        if not bool(xp.any(nonzero)):
            raise ValueError("every true distance is zero; the relative error is undefined")
    rel = xp.abs(d_est[nonzero] - d_true[nonzero]) / d_true[nonzero]
    return float(xp.mean(rel))
