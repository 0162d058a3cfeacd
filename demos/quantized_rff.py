"""Quantized random Fourier features: the paper's experiments (see cstoolbox.demos.quantized_rff)."""
from cstoolbox.demos.quantized_rff import main

if __name__ == "__main__":
    status = main()
    raise SystemExit(status if isinstance(status, int) else 0)
