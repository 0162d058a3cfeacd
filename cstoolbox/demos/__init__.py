"""Demos runnable as ``python -m cstoolbox demo NAME [--quick] [--out DIR]``.

Each module here defines ``DESCRIPTION`` (one line) and ``main(argv=None)`` (argparse with at least
``--quick``, ``--out DIR``, ``--seed``); most also expose ``run(quick=False, out=..., ...)`` returning a
dict of the figures they measured.  The scripts in the repository's ``demos/`` folder are thin
wrappers around these modules.  ``list_demos()`` discovers them, so adding a demo needs no registry edit.
"""
import importlib
import pkgutil

__all__ = ["list_demos", "get_demo", "DEFAULT_DEMO"]

DEFAULT_DEMO = "audio_quantization"


def list_demos():
    """Return ``{name: description}`` for every demo module in this package."""
    out = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "main"):
            out[info.name] = getattr(module, "DESCRIPTION", "")
    return dict(sorted(out.items()))


def get_demo(name):
    """Import and return the demo module called ``name`` (ValueError listing the valid names)."""
    names = list_demos()
    if name not in names:
        raise ValueError(f"unknown demo {name!r}; available: {', '.join(names)}")
    return importlib.import_module(f"{__name__}.{name}")
