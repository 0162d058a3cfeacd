"""Fast binary embeddings demo: see cstoolbox/demos/binary_embeddings.py."""
from cstoolbox.demos.binary_embeddings import main

if __name__ == "__main__":
    main()
