"""The information record every solver returns beside its solution."""
import dataclasses
import time
import warnings

from ..exceptions import ConvergenceWarning

__all__ = ["SolverInfo"]


@dataclasses.dataclass
class SolverInfo:
    """What an iterative (or convex) solver did.

    Attributes
    ----------
    solver : str
        Name of the algorithm (``"spgl1"``, ``"fista"``, ``"cvxpy:CLARABEL"``, ...).
    status : str
        ``"converged"``, ``"max_iter"``, ``"stalled"``, ``"infeasible"``, ``"error"``, or a
        solver-specific string.  Anything but ``"converged"`` means the tolerance was not met.
    iterations : int
        Outer iterations performed.
    residual_norm : float
        Final data misfit (e.g. ``||A x - y||_2``), NaN when not applicable.
    objective : float
        Final objective value, NaN when not applicable.
    gap : float
        Final duality gap or optimality measure, NaN when not applicable.
    n_matvec, n_rmatvec : int
        Operator applications (forward / adjoint).
    time : float
        Wall-clock seconds.
    message : str
        Human-readable account of the stop.
    history : dict
        Optional per-iteration traces (lists), keyed by quantity.
    """

    solver: str
    status: str = "converged"
    iterations: int = 0
    residual_norm: float = float("nan")
    objective: float = float("nan")
    gap: float = float("nan")
    n_matvec: int = 0
    n_rmatvec: int = 0
    time: float = 0.0
    message: str = ""
    history: dict = dataclasses.field(default_factory=dict)

    @property
    def converged(self):
        """True when the solver met its tolerance."""
        return self.status == "converged"

    def warn_if_not_converged(self, stacklevel=3):
        """Issue a :class:`~cstoolbox.exceptions.ConvergenceWarning` unless converged."""
        if not self.converged:
            warnings.warn(f"{self.solver} did not converge: status={self.status!r} after "
                          f"{self.iterations} iterations ({self.message})",
                          ConvergenceWarning, stacklevel=stacklevel)
        return self


class Timer:
    """Tiny context manager measuring wall-clock seconds into ``.elapsed``."""

    def __enter__(self):
        self._t0 = time.perf_counter()
        self.elapsed = 0.0
        return self

    def __exit__(self, *exc):
        self.elapsed = time.perf_counter() - self._t0
        return False
