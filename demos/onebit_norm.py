"""One-bit compressed sensing with norm estimation: the authors' example (see cstoolbox.demos.onebit_norm)."""
from cstoolbox.demos.onebit_norm import main

if __name__ == "__main__":
    status = main()
    raise SystemExit(status if isinstance(status, int) else 0)
