"""Quantize real audio with MSQ, ΣΔ and beta encoding (the main demo; see cstoolbox.demos.audio_quantization)."""
from cstoolbox.demos.audio_quantization import main

if __name__ == "__main__":
    status = main()
    raise SystemExit(status if isinstance(status, int) else 0)
