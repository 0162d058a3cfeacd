"""Fast binary embeddings demo: see cstoolbox/demos/binary_embeddings.py."""
from cstoolbox.demos.binary_embeddings import main

if __name__ == "__main__":
    status = main()
    raise SystemExit(status if isinstance(status, int) else 0)
