"""Run the ptychography demo (see cstoolbox/demos/ptychography.py)."""
from cstoolbox.demos.ptychography import main

if __name__ == "__main__":
    status = main()
    raise SystemExit(status if isinstance(status, int) else 0)
