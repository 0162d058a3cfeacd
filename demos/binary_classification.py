"""Classification from binary data on scikit-learn's digits (see cstoolbox.demos.binary_classification)."""
from cstoolbox.demos.binary_classification import main

if __name__ == "__main__":
    status = main()
    raise SystemExit(status if isinstance(status, int) else 0)
