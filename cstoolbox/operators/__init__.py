"""Layer 3: linear operators and measurement ensembles.

Operators implement ``_matvec`` / ``_rmatvec`` on column blocks; :func:`aslinearoperator` accepts
dense and sparse matrices, scipy LinearOperators and anything with ``matvec``/``rmatvec``;
:func:`dottest` checks every adjoint.
"""
from ._base import (
    DiagonalOperator, IdentityOperator, LinearOperator, MatrixOperator, aslinearoperator, dottest,
)
from ._ensembles import (
    DCTOperator, GaussianOperator, PartialCirculantOperator, RandomizedHadamardOperator,
    SparseGaussianOperator, SubsampledOrthogonalOperator, WaveletOperator,
)

__all__ = [
    "LinearOperator", "MatrixOperator", "IdentityOperator", "DiagonalOperator", "aslinearoperator",
    "dottest", "GaussianOperator", "SparseGaussianOperator", "PartialCirculantOperator",
    "SubsampledOrthogonalOperator", "RandomizedHadamardOperator", "DCTOperator", "WaveletOperator",
]
