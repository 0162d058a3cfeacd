"""Quantizers: alphabets, MSQ, stochastic rounding, Sigma-Delta, one-bit Sigma-Delta, beta
encoding, condensation and bit packing (layer 4 of cstoolbox).

Every quantizer works on any batch of signals along ``axis``, keeps float32/float64, and
returns ``q`` alone or ``(q, codes)``, ``(q, u)``, ``(q, codes, u)`` on request; each result
satisfies its shaping identity (``y - q = D^r u``, ``y - q = (I_p ⊗ H_beta) u``, ...) to machine
precision. Numba kernels run batched over signals (``prange``); CuPy inputs are quantized on
the host and moved back (CUDA kernels: a later issue).

Examples
--------
>>> import numpy as np
>>> from cstoolbox.quantizers import Alphabet, sigma_delta, condensation_operator
>>> t = np.linspace(0, 2 * np.pi, 999)
>>> y = 0.2 * np.sin(np.outer([1.0, 2.0, 3.0], t))       # 3 signals of length 999
>>> q, u = sigma_delta(y, order=2, alphabet=Alphabet(4, 0.5), return_state=True)
>>> V = condensation_operator("sigma_delta", 999, 333, order=2, normalization="l2")
>>> V.apply(y - q).shape                                  # 3 blocks per signal
(3, 3)
>>> bool(abs(V.apply(y - q)).max() <= 4 * abs(u).max() / np.linalg.norm(V.vector))
True
"""

from ._alphabet import Alphabet
from ._condensation import CondensationOperator, condensation_operator, condensation_vector
from ._noise_shaping import (
    beta_encode,
    beta_matrix,
    difference_matrix,
    one_bit_sigma_delta,
    one_bit_sigma_delta_filter,
    sigma_delta,
    stability_bound,
)
from ._packing import pack_codes, unpack_codes
from ._scalar import msq, stochastic_round

__all__ = [
    "Alphabet",
    "msq",
    "stochastic_round",
    "sigma_delta",
    "one_bit_sigma_delta",
    "beta_encode",
    "stability_bound",
    "difference_matrix",
    "beta_matrix",
    "one_bit_sigma_delta_filter",
    "condensation_vector",
    "condensation_operator",
    "CondensationOperator",
    "pack_codes",
    "unpack_codes",
]
