"""Warnings and exceptions shared by every layer of cstoolbox."""

__all__ = ["QuantizerInstabilityWarning", "ConvergenceWarning", "ConditioningWarning"]


class QuantizerInstabilityWarning(UserWarning):
    """A noise-shaping quantizer's state exceeded its stability bound.

    The message reports ``max|u|`` and the bound; the identity ``y - q = D^r u``
    still holds exactly, but reconstruction guarantees do not.
    """


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped before meeting its tolerance (see ``info.status``)."""


class ConditioningWarning(UserWarning):
    """A linear system is badly conditioned; the message carries the condition number."""
