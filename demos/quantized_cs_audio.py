"""One/few-bit compressed acquisition of audio frames: SNR vs bits per sample; see cstoolbox.demos.quantized_cs_audio."""
from cstoolbox.demos.quantized_cs_audio import main

if __name__ == "__main__":
    status = main()
    raise SystemExit(status if isinstance(status, int) else 0)
