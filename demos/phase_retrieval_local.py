"""Run the phase_retrieval_local demo (see cstoolbox/demos/phase_retrieval_local.py)."""
from cstoolbox.demos.phase_retrieval_local import main

if __name__ == "__main__":
    status = main()
    raise SystemExit(status if isinstance(status, int) else 0)
