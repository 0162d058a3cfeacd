"""Weighted l1 on audio frames with support estimates from the previous frame; see cstoolbox.demos.weighted_l1_audio."""
from cstoolbox.demos.weighted_l1_audio import main

if __name__ == "__main__":
    status = main()
    raise SystemExit(status if isinstance(status, int) else 0)
