"""Layer 2: fast transforms (Walsh–Hadamard, orthonormal DCT, unitary DFT).

One public function per transform; private kernel files behind it are chosen by the input's
array type (NumPy -> numba kernels, CuPy -> CuPy kernels).
"""
from ._fft import dct, fft, idct, ifft
from ._fwht import fwht

__all__ = ["fwht", "dct", "idct", "fft", "ifft"]
