"""Weighted l1 on the carphone video with support estimates from the previous frame; see cstoolbox.demos.weighted_l1_video."""
from cstoolbox.demos.weighted_l1_video import main

if __name__ == "__main__":
    status = main()
    raise SystemExit(status if isinstance(status, int) else 0)
