"""Weighted l1 with partial support information, the paper's synthetic experiments; see cstoolbox.demos.weighted_l1_synthetic."""
from cstoolbox.demos.weighted_l1_synthetic import main

if __name__ == "__main__":
    status = main()
    raise SystemExit(status if isinstance(status, int) else 0)
