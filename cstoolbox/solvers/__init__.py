"""Layer 5: proximal maps, projections, SPGL1-style root finding, FISTA/ADMM, BIHT, LP/cvxpy references.

Every private module ``cstoolbox/solvers/_*.py`` is imported here and its ``__all__`` re-exported,
so the public namespace is flat (``cstoolbox.solvers.spgl1``, ``cstoolbox.solvers.SolverInfo``...).
Solvers take operators or callables, never concrete classes, and return ``(x, info)`` with a
:class:`SolverInfo`.
"""
import importlib
import pkgutil

__all__ = []

for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _mod.startswith("_") and not _mod.startswith("__"):
        _module = importlib.import_module(f"{__name__}.{_mod}")
        for _name in getattr(_module, "__all__", ()):
            globals()[_name] = getattr(_module, _name)
            __all__.append(_name)

del importlib, pkgutil
