"""Condensation vectors and operators: V = c (I_p ⊗ v^T)."""

import math
import numbers

import numpy as np

from ..backend import get_array_module
from ..operators import LinearOperator
from ._common import check_order, check_positive_int, normalize_axis
from ._noise_shaping import _check_beta

__all__ = ["condensation_vector", "condensation_operator", "CondensationOperator"]

_KINDS = ("sigma_delta", "beta")
_NORMALIZATIONS = ("none", "l2", "embedding", "rff")


def _check_kind(kind):
    if kind not in _KINDS:
        raise ValueError(f"kind must be 'sigma_delta' or 'beta', got {kind!r}")
    return kind


def condensation_vector(kind, block_length, order=None, beta=None):
    r"""The condensation vector v of one block.

    Parameters
    ----------
    kind : {"sigma_delta", "beta"}
    block_length : int
        λ. For ΣΔ of order r it must be :math:`r(t-1)+1` for an integer t >= 1 (any λ for r = 1).
    order : int
        ΣΔ order r (required for ``"sigma_delta"``).
    beta : float
        Required for ``"beta"`` (finite, > 1).

    Returns
    -------
    v : ndarray of float64, shape (block_length,)

    Raises
    ------
    ValueError
        Unknown kind, missing order/beta, or a block length incompatible with the order.

    Notes
    -----
    ΣΔ: v holds the coefficients of :math:`(1 + z + \dots + z^{t-1})^r`, so
    :math:`v(z)(1-z)^r = (1-z^t)^r` has :math:`2^r` as ℓ1 norm and
    :math:`|v^T D^r u| \le 2^r \|u\|_\infty` per block while
    :math:`\|v\|_2 \sim \lambda^{r-1/2}`. Beta: :math:`v = (\beta^{-1}, \dots, \beta^{-\lambda})`,
    with :math:`v^T H_\beta = (0, \dots, 0, \beta^{-\lambda})`.

    Examples
    --------
    >>> from cstoolbox.quantizers import condensation_vector
    >>> condensation_vector("sigma_delta", 5, order=2)
    array([1., 2., 3., 2., 1.])
    >>> condensation_vector("beta", 3, beta=2.0)
    array([0.5  , 0.25 , 0.125])
    """
    _check_kind(kind)
    lam = check_positive_int(block_length, "block_length")
    if kind == "beta":
        if beta is None:
            raise ValueError("condensation_vector('beta', ...) needs beta")
        beta = _check_beta(beta)
        return beta ** -np.arange(1.0, lam + 1.0)
    if order is None:
        raise ValueError("condensation_vector('sigma_delta', ...) needs order")
    r = check_order(order)
    if (lam - 1) % r:
        lo = (lam - 1) // r * r + 1
        raise ValueError(
            f"block_length for ΣΔ of order {r} must be r(t-1)+1 for an integer t >= 1 "
            f"(e.g. {lo} or {lo + r}), got {lam}"
        )
    t = (lam - 1) // r + 1
    box = np.ones(t)
    v = np.ones(1)
    for _ in range(r):
        v = np.convolve(v, box)
    return v


class CondensationOperator(LinearOperator):
    r"""Block condensation :math:`V = c\,(I_p \otimes v^T)`, shape (p, length).

    Built by :func:`condensation_operator`. Besides the operator algebra of
    :class:`cstoolbox.operators.LinearOperator` (``V @ x``, ``V.H``...), :meth:`apply`
    condenses a whole batch along an axis.

    Attributes
    ----------
    kind, block_length, order, beta, normalization
        As given.
    vector : ndarray
        v (unscaled), length ``block_length``.
    scale : float
        The normalization constant c.
    n_blocks : int
        p = length / block_length.
    """

    def __init__(
        self, kind, length, block_length, vector, scale, order=None, beta=None, normalization="none"
    ):
        p = length // block_length
        super().__init__((p, length), np.float64)
        self.kind, self.block_length, self.order, self.beta = kind, block_length, order, beta
        self.normalization = normalization
        self.vector = vector
        self.vector.setflags(write=False)
        self.scale = float(scale)
        self.n_blocks = p
        self._scaled = self.vector * self.scale

    def _matvec(self, x):
        p, lam = self.n_blocks, self.block_length
        w = self._on_device("v", self._scaled, x).astype(
            x.dtype if x.dtype.kind in "fc" else np.float64, copy=False
        )
        xp = get_array_module(x)
        x3 = x.reshape(p, lam, x.shape[1])
        return xp.einsum("plk,l->pk", x3, w)

    def _rmatvec(self, z):
        p, lam = self.n_blocks, self.block_length
        w = self._on_device("v", self._scaled, z).astype(
            z.dtype if z.dtype.kind in "fc" else np.float64, copy=False
        )
        return (w[None, :, None] * z[:, None, :]).reshape(p * lam, z.shape[1])

    def apply(self, q, axis=-1):
        """Condense every signal of a batch along ``axis`` (length -> n_blocks).

        One reshape and one matrix product, no Python loop; the float dtype (float32/float64,
        or complex) of ``q`` is kept, NumPy or CuPy.

        Raises
        ------
        ValueError
            If the length along ``axis`` is not ``shape[1]``.
        """
        xp = get_array_module(q)
        q = xp.asarray(q)
        if q.dtype.kind not in "fc":
            q = q.astype(np.float64)
        ax = normalize_axis(axis, q.ndim) if q.ndim else None
        if ax is None or q.shape[ax] != self.shape[1]:
            got = "a 0-d array" if ax is None else f"length {q.shape[ax]}"
            raise ValueError(
                f"condensation operator of shape {self.shape} needs length {self.shape[1]} "
                f"along axis {axis}, got {got}"
            )
        w = self._on_device("v", self._scaled, q).astype(q.real.dtype, copy=False)
        moved = xp.moveaxis(q, ax, -1)
        out = moved.reshape(moved.shape[:-1] + (self.n_blocks, self.block_length)) @ w
        return xp.moveaxis(out, -1, ax)

    def __repr__(self):
        extra = f"order={self.order}" if self.kind == "sigma_delta" else f"beta={self.beta:g}"
        return (
            f"<{self.shape[0]}x{self.shape[1]} CondensationOperator kind={self.kind!r} "
            f"block_length={self.block_length} {extra} normalization={self.normalization!r}>"
        )


def condensation_operator(
    kind, length, block_length, order=None, beta=None, normalization="none", levels=None
):
    r"""The condensation operator :math:`V = c\,(I_p \otimes v^T)` of shape (p, length).

    Parameters
    ----------
    kind : {"sigma_delta", "beta"}
    length : int
        Signal length m; ``block_length`` must divide it (p = m / block_length).
    block_length : int
        λ (for ΣΔ of order r: :math:`r(t-1)+1`).
    order : int, optional
        ΣΔ order (``kind="sigma_delta"``).
    beta : float, optional
        (``kind="beta"``).
    normalization : {"none", "l2", "embedding", "rff"}
        c = 1; :math:`1/\|v\|_2`; :math:`\sqrt{\pi/2}/(p\|v\|_2)` (binary embeddings,
        ℓ1 distances, :math:`\mathbb{E}|g| = \sqrt{2/\pi}`); :math:`\sqrt{2/p}/\|v\|_2`
        (random Fourier features; for beta also times :math:`(2K-1)/(2K-\beta)`).
    levels : int, optional
        Alphabet size 2K, needed for ``normalization="rff"`` with ``kind="beta"``.

    Returns
    -------
    CondensationOperator
        A :class:`cstoolbox.operators.LinearOperator`; ``.apply(q, axis)`` condenses batches.

    Raises
    ------
    ValueError
        Unknown kind or normalization, block_length not dividing length, an incompatible
        ΣΔ block length, missing order/beta/levels.

    Notes
    -----
    For ΣΔ, :math:`V(y - q) = V D^r u` has entries bounded by :math:`c\,2^r \|u\|_\infty`
    while :math:`\|v\|_2 \sim \lambda^{r-1/2}`; for beta,
    :math:`V(y-q) = c\,\beta^{-\lambda}(u_\lambda, u_{2\lambda}, \dots)`.

    References
    ----------
    T. Huynh, R. Saab, "Fast binary embeddings and quantized compressed sensing with structured
    matrices", CPAM 2020; J. Zhang, A. Cloninger, R. Saab, "Sigma-Delta and distributed
    noise-shaping quantization methods for random Fourier features", JMLR 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.quantizers import condensation_operator
    >>> V = condensation_operator("sigma_delta", 10, 5, order=2)
    >>> V.shape, (V @ np.ones(10)).tolist()
    ((2, 10), [9.0, 9.0])
    >>> V.apply(np.ones((3, 10))).shape
    (3, 2)
    """
    _check_kind(kind)
    m = check_positive_int(length, "length")
    lam = check_positive_int(block_length, "block_length")
    if m % lam:
        raise ValueError(f"block_length must divide length, got block_length={lam} and length={m}")
    if normalization not in _NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {_NORMALIZATIONS}, got {normalization!r}")
    v = condensation_vector(kind, lam, order=order, beta=beta)
    p = m // lam
    nv = float(np.linalg.norm(v))
    if normalization == "none":
        c = 1.0
    elif normalization == "l2":
        c = 1.0 / nv
    elif normalization == "embedding":
        c = math.sqrt(math.pi / 2) / (p * nv)
    else:
        c = math.sqrt(2.0 / p) / nv
        if kind == "beta":
            if levels is None:
                raise ValueError(
                    "normalization='rff' with kind='beta' needs levels (the alphabet size 2K)"
                )
            if (
                isinstance(levels, bool)
                or not isinstance(levels, (numbers.Integral, np.integer))
                or levels < 2
                or levels % 2
            ):
                raise ValueError(f"levels must be an even integer >= 2, got {levels!r}")
            K = int(levels) // 2
            b = float(beta)
            if b >= 2 * K:
                raise ValueError(f"normalization='rff' needs beta < 2K = {2 * K}, got {b}")
            c *= (2 * K - 1) / (2 * K - b)
    return CondensationOperator(
        kind,
        m,
        lam,
        v,
        c,
        order=None if kind == "beta" else int(order),
        beta=float(beta) if kind == "beta" else None,
        normalization=normalization,
    )
