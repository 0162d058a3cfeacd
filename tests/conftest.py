"""Shared fixtures: the array-module fixture ``xp`` (NumPy, plus CuPy when a GPU is present) and seeds."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cstoolbox.backend import cupy_available  # noqa: E402

_XPS = [pytest.param("numpy", id="numpy")]
_XPS.append(pytest.param("cupy", id="cupy", marks=pytest.mark.gpu))


def pytest_collection_modifyitems(config, items):
    if cupy_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU with CuPy (run `make test-gpu` on a GPU machine)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(params=_XPS)
def xp(request):
    """The array module under test: numpy always, cupy when a GPU is available (marked ``gpu``)."""
    if request.param == "numpy":
        return np
    import cupy
    return cupy


@pytest.fixture
def rng():
    """A seeded numpy Generator."""
    return np.random.default_rng(12345)
