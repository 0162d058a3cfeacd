"""Mid-rise alphabets and the nearest-level quantizer Q."""

import math
import numbers

import numpy as np

__all__ = ["Alphabet"]


def _code_dtype(levels):
    if levels <= 2**8:
        return np.dtype(np.uint8)
    if levels <= 2**16:
        return np.dtype(np.uint16)
    return np.dtype(np.uint32)


class Alphabet:
    r"""Mid-rise alphabet with ``levels`` = 2K values and spacing ``step``.

    .. math:: \mathcal{A} = \{\pm (2j-1)\, s/2 : j = 1, \dots, K\}, \qquad K = \text{levels}/2.

    Parameters
    ----------
    levels : int, default 2
        Number of values, an even integer >= 2 (the papers' 2K).
    step : float, default 2.0
        Spacing ``s`` > 0 between neighbouring values. ``levels=2, step=2`` is the one-bit
        alphabet {-1, +1}.

    Attributes
    ----------
    levels, step : the parameters.
    K : int
        ``levels // 2``.
    values : ndarray of float64
        The sorted values ``(k - K + 1/2) * step`` for codes ``k = 0 .. levels-1`` (read-only).
    max_value : float
        ``(K - 1/2) * step``, the largest value.
    bits : int
        ``ceil(log2(levels))``, bits per code.
    code_dtype : numpy.dtype
        Smallest unsigned integer type holding the codes (uint8, uint16 or uint32).

    Raises
    ------
    ValueError
        If ``levels`` is not an even integer >= 2, or ``step`` is not a finite number > 0.
    TypeError
        If ``levels`` is not an integer.

    Notes
    -----
    The nearest-level quantizer is :math:`Q(v) = s \lfloor v/s \rfloor + s/2` clipped to
    :math:`\pm (K - 1/2) s`; ties go upward, so for one bit :math:`Q = (s/2)\,\mathrm{sign}`
    with :math:`\mathrm{sign}(0) = +1`. The code of a value is its index in ``values``.
    The normalized alphabet (:meth:`normalized`) has :math:`s = 2/(2K-1)` and spans exactly
    [-1, 1], as used for quantized random Fourier features.

    Examples
    --------
    >>> from cstoolbox.quantizers import Alphabet
    >>> a = Alphabet(4, step=1.0)
    >>> a.values
    array([-1.5, -0.5,  0.5,  1.5])
    >>> a.quantize([-7.0, -0.2, 0.0, 0.9, 1.0, 9.0])
    array([-1.5, -0.5,  0.5,  0.5,  1.5,  1.5])
    >>> a.to_codes([-1.5, 0.5]), a.bits
    (array([0, 2], dtype=uint8), 2)
    >>> Alphabet.normalized(4).values
    array([-1.        , -0.33333333,  0.33333333,  1.        ])
    """

    def __init__(self, levels=2, step=2.0):
        if isinstance(levels, bool) or not isinstance(levels, (numbers.Integral, np.integer)):
            if (
                not isinstance(levels, bool)
                and isinstance(levels, numbers.Real)
                and float(levels).is_integer()
            ):
                levels = int(levels)
            else:
                raise TypeError(f"levels must be an even integer >= 2, got {levels!r}")
        levels = int(levels)
        if levels < 2 or levels % 2:
            raise ValueError(
                f"levels must be an even integer >= 2 (the number of values 2K), got {levels}"
            )
        if isinstance(step, bool) or not isinstance(step, (numbers.Real, np.floating, np.integer)):
            raise TypeError(f"step must be a positive finite number, got {step!r}")
        step = float(step)
        if not (math.isfinite(step) and step > 0):
            raise ValueError(f"step must be a positive finite number, got {step}")
        self._levels = levels
        self._step = step
        values = (np.arange(levels, dtype=np.float64) - (levels // 2 - 0.5)) * step
        values.setflags(write=False)
        self._values = values

    # -- constructors -------------------------------------------------------------------
    @classmethod
    def one_bit(cls):
        """The one-bit alphabet {-1, +1} (``levels=2, step=2``)."""
        return cls(2, 2.0)

    @classmethod
    def normalized(cls, levels):
        """The alphabet with ``levels`` values spanning exactly [-1, 1] (step 2/(levels-1))."""
        levels = cls(levels, 1.0).levels  # same validation (and errors) as the constructor
        return cls(levels, 2.0 / (levels - 1))

    # -- attributes ---------------------------------------------------------------------
    levels = property(lambda self: self._levels, doc="Number of values (2K).")
    step = property(lambda self: self._step, doc="Spacing between neighbouring values.")
    K = property(lambda self: self._levels // 2, doc="Half the number of values.")
    values = property(lambda self: self._values, doc="Sorted values (read-only float64 array).")

    @property
    def max_value(self):
        """Largest value, ``(K - 1/2) * step``."""
        return (self.K - 0.5) * self._step

    @property
    def bits(self):
        """Bits per code, ``ceil(log2(levels))``."""
        return max(1, int(self._levels - 1).bit_length())

    @property
    def code_dtype(self):
        """Unsigned integer dtype of the codes (uint8 up to 256 levels, then uint16, uint32)."""
        return _code_dtype(self._levels)

    @property
    def is_one_bit(self):
        """True for two levels."""
        return self._levels == 2

    # -- maps ---------------------------------------------------------------------------
    def quantize(self, v):
        """Nearest value of the alphabet, ties upward (elementwise; float dtype kept).

        Same rule as :func:`cstoolbox.quantizers.msq`, which works on any batch and can
        also return the codes.
        """
        from ._scalar import msq

        return msq(v, self)

    def to_codes(self, values):
        """Integer codes in ``[0, levels)`` of the nearest alphabet values (``code_dtype``)."""
        from ._scalar import msq

        return msq(values, self, return_codes=True)[1]

    def from_codes(self, codes, dtype=np.float64):
        """Values ``values[codes]`` of integer codes in ``[0, levels)``.

        Raises
        ------
        TypeError
            If ``codes`` is not an integer array.
        ValueError
            If a code is outside ``[0, levels)``.
        """
        codes = np.asarray(codes)
        if codes.dtype == bool:
            codes = codes.astype(np.uint8)
        if not np.issubdtype(codes.dtype, np.integer):
            raise TypeError(f"codes must be an integer array, got dtype {codes.dtype}")
        if codes.size and (codes.min() < 0 or codes.max() >= self._levels):
            raise ValueError(
                f"codes must lie in [0, {self._levels}) for this alphabet, "
                f"got values in [{codes.min()}, {codes.max()}]"
            )
        return self._values.astype(dtype, copy=False)[codes]

    # -- dunder -------------------------------------------------------------------------
    def __repr__(self):
        return f"Alphabet(levels={self._levels}, step={self._step!r})"

    def __eq__(self, other):
        if not isinstance(other, Alphabet):
            return NotImplemented
        return self._levels == other._levels and self._step == other._step

    def __hash__(self):
        return hash((Alphabet, self._levels, self._step))

    def __len__(self):
        return self._levels

    def __reduce__(self):
        return (Alphabet, (self._levels, self._step))


def check_alphabet(alphabet, name="alphabet"):
    """None -> one-bit alphabet; an Alphabet as is; anything else TypeError."""
    if alphabet is None:
        return Alphabet.one_bit()
    if isinstance(alphabet, Alphabet):
        return alphabet
    raise TypeError(
        f"{name} must be a cstoolbox.quantizers.Alphabet or None (one bit), "
        f"got {type(alphabet).__name__}"
    )
