"""Memoryless scalar quantization: MSQ and stochastic (unbiased) rounding."""

import numpy as np

from ..backend import check_random_state
from . import _kernels_numba as _k
from ._alphabet import check_alphabet
from ._common import Batch, check_bool, code_buffer, codes_from_values

__all__ = ["msq", "stochastic_round"]


def msq(y, alphabet=None, axis=-1, return_codes=False):
    r"""Memoryless scalar quantization (MSQ, PCM): the nearest alphabet value of each sample.

    Parameters
    ----------
    y : array_like
        Real input of any shape (float32 and float64 are kept, other real types become
        float64). NumPy or CuPy (a CuPy input is quantized on the host and moved back).
    alphabet : Alphabet, optional
        Default ``Alphabet.one_bit()`` (values ±1).
    axis : int, default -1
        Accepted for API symmetry with the noise-shaping quantizers; MSQ is elementwise.
    return_codes : bool, default False
        Also return the integer codes (index of the level, ``alphabet.code_dtype``).

    Returns
    -------
    q : ndarray
        Quantized values, same shape and float dtype as ``y``.
    codes : ndarray, optional
        Integer codes in ``[0, levels)``, when ``return_codes``.

    Raises
    ------
    ValueError
        NaN/inf or complex input (quantize real and imaginary parts separately).
    TypeError
        Non-numeric input or an alphabet that is not an :class:`Alphabet`.

    Notes
    -----
    :math:`q_i = Q(y_i) = s\lfloor y_i/s\rfloor + s/2`, clipped to :math:`\pm(K-1/2)s`;
    ties go upward (``sign(0) = +1`` for one bit). The error is at most :math:`s/2` while
    :math:`|y_i| \le Ks` and does not decrease with oversampling, unlike noise shaping.

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.quantizers import Alphabet, msq
    >>> msq(np.array([-0.3, 0.0, 0.2]))
    array([-1.,  1.,  1.])
    >>> q, codes = msq(np.array([0.1, 0.8, -2.0]), Alphabet(4, 0.5), return_codes=True)
    >>> q, codes
    (array([ 0.25,  0.75, -0.75]), array([2, 3, 0], dtype=uint8))
    """
    alphabet = check_alphabet(alphabet)
    return_codes = check_bool(return_codes, "return_codes")
    batch = Batch(y, axis, "msq", min_ndim=0)
    y1 = batch.data
    q = np.empty_like(y1)
    codes, kernel_codes = code_buffer(batch, alphabet, return_codes)
    _k.launch_flat("msq", y1, alphabet.step, float(alphabet.K), q, codes, kernel_codes)
    if return_codes and not kernel_codes:
        codes = codes_from_values(q, alphabet)
    if return_codes:
        return batch.restore(q), batch.restore(codes)
    return batch.restore(q)


def stochastic_round(y, alphabet=None, random_state=None, return_codes=False):
    r"""Unbiased stochastic rounding ("StocQ") to one of the two neighbouring levels.

    Parameters
    ----------
    y : array_like
        Real input of any shape (float32/float64 kept).
    alphabet : Alphabet, optional
        Default ``Alphabet.one_bit()``.
    random_state : None, int or numpy.random.Generator
        Source of the uniform draws (one float64 per sample, drawn on the host with
        ``Generator.random``), so the same seed gives the same answer.
    return_codes : bool, default False
        Also return the integer codes.

    Returns
    -------
    q : ndarray
        Values of the alphabet, same shape and float dtype as ``y``.
    codes : ndarray, optional
        Integer codes, when ``return_codes``.

    Raises
    ------
    ValueError
        NaN/inf or complex input.

    Notes
    -----
    With :math:`a \le y < b` the neighbouring levels, :math:`q = b` with probability
    :math:`(y-a)/(b-a)` and :math:`a` otherwise, hence :math:`\mathbb{E}\,q = y` for
    :math:`|y| \le (K-1/2)s`. Outside that range ``q`` is the nearest end value
    (deterministic, biased).

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.quantizers import stochastic_round
    >>> q = stochastic_round(np.full(100000, 0.5), random_state=0)
    >>> sorted(set(q.tolist())), bool(abs(q.mean() - 0.5) < 0.01)
    ([-1.0, 1.0], True)
    """
    alphabet = check_alphabet(alphabet)
    return_codes = check_bool(return_codes, "return_codes")
    rng = check_random_state(random_state)
    batch = Batch(y, -1, "stochastic_round", min_ndim=0)
    y1 = batch.data
    rand = rng.random(y1.shape[0])
    q = np.empty_like(y1)
    codes, kernel_codes = code_buffer(batch, alphabet, return_codes)
    _k.launch_flat("stochastic", y1, rand, alphabet.step, float(alphabet.K), q, codes, kernel_codes)
    if return_codes and not kernel_codes:
        codes = codes_from_values(q, alphabet)
    if return_codes:
        return batch.restore(q), batch.restore(codes)
    return batch.restore(q)
