"""cstoolbox: compressed sensing and noise-shaping quantization.

Submodules are imported lazily on first attribute access, so ``import cstoolbox``
is cheap and optional dependencies (CuPy, Dask) are never touched at import time.

>>> import cstoolbox
>>> cstoolbox.__version__
'0.1.0'
"""
import importlib

__version__ = "0.1.0"

_SUBMODULES = (
    "backend", "exceptions", "transforms", "operators", "quantizers", "solvers",
    "metrics", "datasets", "weighted_l1", "quantized_cs", "onebit", "classification",
    "phase_retrieval", "rff", "embeddings", "demos", "dask",
)

__all__ = list(_SUBMODULES) + ["__version__"]


def __getattr__(name):
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'cstoolbox' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))
