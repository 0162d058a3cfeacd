"""Error decay of quantized CS (MSQ flat, ΣΔ polynomial, beta exponential); see cstoolbox.demos.quantized_cs_rates."""
from cstoolbox.demos.quantized_cs_rates import main

if __name__ == "__main__":
    status = main()
    raise SystemExit(status if isinstance(status, int) else 0)
