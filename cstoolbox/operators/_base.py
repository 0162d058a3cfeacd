"""The LinearOperator base class, its algebra (adjoint, composition, sums, scaling) and ``dottest``."""
import numbers

import numpy as np
import scipy.sparse as sp

from ..backend import asnumpy, check_random_state, get_array_module, to_device

__all__ = [
    "LinearOperator", "MatrixOperator", "IdentityOperator", "DiagonalOperator",
    "aslinearoperator", "dottest",
]


class LinearOperator:
    """A linear map ``C^n -> C^m`` given by its forward (``_matvec``) and adjoint (``_rmatvec``) actions.

    Subclasses set ``shape`` and ``dtype`` and implement ``_matvec(x)`` / ``_rmatvec(y)`` on 2-D
    column blocks (``x`` of shape ``(n, k)``).  The public methods accept ``(n,)`` or ``(n, k)``
    arrays (NumPy or CuPy) and return the same layout.

    Operators compose like matrices: ``A @ x``, ``A.H`` (adjoint), ``A @ B``, ``a * A``, ``A + B``,
    ``A - B``, ``-A``; ``A.todense()`` materializes the matrix (small operators only).

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.operators import aslinearoperator
    >>> A = aslinearoperator(np.arange(6.0).reshape(2, 3))
    >>> (A @ np.ones(3)).tolist()
    [3.0, 12.0]
    >>> (2 * A.H @ A).shape
    (3, 3)
    """

    __array_ufunc__ = None  # make ``ndarray @ operator`` defer to __rmatmul__

    def __init__(self, shape, dtype=np.float64):
        m, n = _check_shape(shape)
        self.shape = (m, n)
        self.dtype = np.dtype(dtype)
        self._device_cache = {}

    # -- to implement -------------------------------------------------------------------------
    def _matvec(self, x):
        raise NotImplementedError(f"{type(self).__name__} does not implement _matvec")

    def _rmatvec(self, y):
        raise NotImplementedError(f"{type(self).__name__} does not implement _rmatvec")

    # -- public application ---------------------------------------------------------------------
    def matvec(self, x):
        """Apply the operator to ``x`` of shape ``(n,)`` or ``(n, k)``."""
        return self._apply(x, self.shape[1], self._matvec, "matvec")

    def rmatvec(self, y):
        """Apply the adjoint to ``y`` of shape ``(m,)`` or ``(m, k)``."""
        return self._apply(y, self.shape[0], self._rmatvec, "rmatvec")

    matmat = matvec
    rmatmat = rmatvec

    def _apply(self, x, size, func, what):
        xp = get_array_module(x)
        x = xp.asarray(x)
        if x.ndim not in (1, 2):
            raise ValueError(f"{type(self).__name__}.{what} needs a 1-D or 2-D array, got shape {x.shape}")
        if x.shape[0] != size:
            raise ValueError(f"{type(self).__name__}.{what}: operator of shape {self.shape} cannot "
                             f"act on an array with leading dimension {x.shape[0]} (expected {size})")
        if x.dtype.kind not in "fc":
            x = x.astype(np.float64)
        y = func(x if x.ndim == 2 else x[:, None])
        return y if x.ndim == 2 else y[:, 0]

    def _on_device(self, name, array, like):
        """``array`` moved to the array module/device of ``like``, cached under ``name``."""
        xp = get_array_module(like)
        if xp is np:
            return array
        key = (name, xp.__name__)
        if key not in self._device_cache:
            self._device_cache[key] = to_device(array, like)
        return self._device_cache[key]

    # -- algebra --------------------------------------------------------------------------------
    @property
    def H(self):
        """The adjoint (conjugate transpose) operator."""
        return _AdjointOperator(self)

    @property
    def T(self):
        """The transpose; equal to :attr:`H` for real operators (complex ones: use ``.H``)."""
        if self.dtype.kind == "c":
            raise TypeError("the transpose of a complex operator is not provided; use .H (adjoint)")
        return self.H

    def __matmul__(self, other):
        if isinstance(other, LinearOperator) or sp.issparse(other):
            return _ProductOperator(self, aslinearoperator(other))
        return self.matvec(other)

    def __rmatmul__(self, other):
        if sp.issparse(other) or (isinstance(other, np.ndarray) and other.ndim == 2):
            return _ProductOperator(aslinearoperator(other), self)
        return NotImplemented

    def dot(self, x):
        """Same as ``self @ x``."""
        return self @ x

    def __mul__(self, scalar):
        if isinstance(scalar, numbers.Number):
            return _ScaledOperator(self, scalar)
        return NotImplemented

    __rmul__ = __mul__

    def __truediv__(self, scalar):
        if isinstance(scalar, numbers.Number):
            return _ScaledOperator(self, 1.0 / scalar)
        return NotImplemented

    def __neg__(self):
        return _ScaledOperator(self, -1.0)

    def __add__(self, other):
        return _SumOperator(self, aslinearoperator(other))

    def __sub__(self, other):
        return _SumOperator(self, -aslinearoperator(other))

    # -- utilities ------------------------------------------------------------------------------
    def todense(self):
        """The operator as a dense NumPy matrix (applies it to the identity: small operators only)."""
        eye = np.eye(self.shape[1], dtype=np.complex128 if self.dtype.kind == "c" else np.float64)
        return np.asarray(self.matvec(eye))

    def norm_estimate(self, n_iter=100, tol=1e-6, random_state=0):
        """Estimate the spectral norm ``||A||_2`` by power iteration on ``A^H A``."""
        if not _is_int(n_iter) or n_iter < 1:
            raise ValueError(f"n_iter must be a positive int, got {n_iter!r}")
        tol = _unwrap_0d(tol)
        if isinstance(tol, (bool, np.bool_)) or not isinstance(tol, numbers.Real) or not 0 <= tol < np.inf:
            raise ValueError(f"tol must be a finite real >= 0, got {tol!r}")
        rng = check_random_state(random_state)
        x = rng.standard_normal(self.shape[1])
        x /= np.linalg.norm(x)
        est = 0.0
        for _ in range(int(n_iter)):
            z = self.rmatvec(self.matvec(x))
            nz = float(np.linalg.norm(z))
            if nz == 0.0:
                return 0.0
            x = z / nz
            if abs(nz - est) <= tol * nz:
                est = nz
                break
            est = nz
        return float(np.sqrt(est))

    def __repr__(self):
        return f"<{self.shape[0]}x{self.shape[1]} {type(self).__name__} with dtype={self.dtype}>"


def _check_shape(shape):
    """``(m, n)`` as two non-negative Python ints (2.5, "3", True and negative sizes refused)."""
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"shape must be a pair of non-negative ints (m, n), got {shape!r}") from None
    if len(dims) != 2 or not all(_is_int(s) for s in dims):
        raise TypeError(f"shape must be a pair of non-negative ints (m, n), got {shape!r}")
    m, n = (int(s) for s in dims)
    if m < 0 or n < 0:
        raise ValueError(f"shape must be non-negative, got {shape}")
    return m, n


def _unwrap_0d(v):
    """A 0-d real numeric array as its NumPy scalar (``np.array(0.5)`` is a scalar); anything else as given."""
    if isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "iuf":
        return v[()]
    return v


def _is_int(v):
    v = _unwrap_0d(v)
    if isinstance(v, (bool, np.bool_)):
        return False
    return isinstance(v, numbers.Integral) or (isinstance(v, numbers.Real) and float(v).is_integer())


def _check_matrix_values(M, what):
    """Numeric dtype (bool/int converted by the caller) and finite entries, dense or scipy.sparse.

    Returns ``M``; an object-dtype array of numbers comes back converted to float64 (complex128 when an
    entry is complex).  Object arrays holding anything but numbers (strings, None, arrays) are refused.
    """
    if M.dtype.kind == "O":
        M = _object_to_numeric(M, what)
    if M.dtype.kind not in "biufc":
        raise TypeError(f"{what} needs a numeric (real or complex) array, got dtype {M.dtype}")
    data = M.data if sp.issparse(M) else M
    xp = get_array_module(data)
    if data.size and not bool(xp.isfinite(data).all()):
        raise ValueError(f"{what} needs finite entries, got NaN or infinite value(s)")
    return M


def _object_to_numeric(M, what):
    """An object-dtype NumPy array of numbers as float64 or complex128 (TypeError naming a non-number)."""
    flat = M.ravel()
    for v in flat:  # checked entry by entry: numpy's cast would turn "1.5" into 1.5 and None into NaN
        if isinstance(v, (str, bytes)) or not isinstance(v, (numbers.Number, np.bool_)):
            raise TypeError(f"{what} needs a numeric (real or complex) array; its object dtype holds "
                            f"a non-number {v!r}")
    cplx = any(isinstance(v, numbers.Complex) and not isinstance(v, numbers.Real) for v in flat)
    try:
        return np.asarray(M, dtype=np.complex128 if cplx else np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise TypeError(f"{what} needs a numeric (real or complex) array; its object dtype entries "
                        f"could not be converted: {exc}") from None


def _result_dtype(*dtypes):
    return np.result_type(*dtypes, np.float64)


class _AdjointOperator(LinearOperator):
    def __init__(self, A):
        super().__init__((A.shape[1], A.shape[0]), A.dtype)
        self.A = A

    def _matvec(self, x):
        return self.A._rmatvec(x)

    def _rmatvec(self, y):
        return self.A._matvec(y)

    @property
    def H(self):
        return self.A


class _ProductOperator(LinearOperator):
    def __init__(self, A, B):
        if A.shape[1] != B.shape[0]:
            raise ValueError(f"cannot compose operators of shapes {A.shape} and {B.shape}")
        super().__init__((A.shape[0], B.shape[1]), _result_dtype(A.dtype, B.dtype))
        self.A, self.B = A, B

    def _matvec(self, x):
        return self.A._matvec(self.B._matvec(x))

    def _rmatvec(self, y):
        return self.B._rmatvec(self.A._rmatvec(y))


class _ScaledOperator(LinearOperator):
    def __init__(self, A, scalar):
        dtype = _result_dtype(A.dtype, np.asarray(scalar).dtype)
        super().__init__(A.shape, dtype)
        self.A, self.scalar = A, scalar

    def _matvec(self, x):
        return self.scalar * self.A._matvec(x)

    def _rmatvec(self, y):
        return np.conj(self.scalar) * self.A._rmatvec(y)


class _SumOperator(LinearOperator):
    def __init__(self, A, B):
        if A.shape != B.shape:
            raise ValueError(f"cannot add operators of shapes {A.shape} and {B.shape}")
        super().__init__(A.shape, _result_dtype(A.dtype, B.dtype))
        self.A, self.B = A, B

    def _matvec(self, x):
        return self.A._matvec(x) + self.B._matvec(x)

    def _rmatvec(self, y):
        return self.A._rmatvec(y) + self.B._rmatvec(y)


class MatrixOperator(LinearOperator):
    """A dense (NumPy/CuPy) or scipy.sparse matrix as an operator.

    Parameters
    ----------
    matrix : ndarray or scipy.sparse matrix
        The 2-D matrix.  Dense matrices are moved to the GPU on first use with a CuPy input.
    """

    def __init__(self, matrix):
        if sp.issparse(matrix):
            matrix = matrix.tocsr()
        else:
            xp = get_array_module(matrix)
            matrix = xp.asarray(matrix)
        if matrix.ndim != 2:
            raise ValueError(f"MatrixOperator needs a 2-D matrix, got shape {matrix.shape}")
        matrix = _check_matrix_values(matrix, "MatrixOperator")
        if matrix.dtype.kind not in "fc":
            matrix = matrix.astype(np.float64)
        super().__init__(matrix.shape, matrix.dtype)
        self.matrix = matrix
        self._adjoint = None

    def _mat(self, like):
        if sp.issparse(self.matrix):
            xp = get_array_module(like)
            if xp is np:
                return self.matrix
            key = ("sparse", xp.__name__)
            if key not in self._device_cache:
                import cupyx.scipy.sparse as csp  # noqa: PLC0415
                self._device_cache[key] = csp.csr_matrix(self.matrix)
            return self._device_cache[key]
        return self._on_device("matrix", self.matrix, like)

    def _matvec(self, x):
        return self._mat(x) @ x

    def _rmatvec(self, y):
        M = self._mat(y)
        if sp.issparse(M):
            if self._adjoint is None:
                self._adjoint = M.conj().T.tocsr()
            return self._adjoint @ y
        return M.conj().T @ y

    def todense(self):
        M = self.matrix
        return M.toarray() if sp.issparse(M) else np.array(asnumpy(M))


class IdentityOperator(LinearOperator):
    """The identity on ``R^n`` / ``C^n``."""

    def __init__(self, n):
        super().__init__((n, n), np.float64)

    def _matvec(self, x):
        return x.copy()

    _rmatvec = _matvec


class DiagonalOperator(LinearOperator):
    """Multiplication by a vector ``d`` (entrywise); the adjoint multiplies by ``conj(d)``."""

    def __init__(self, d):
        d = np.asarray(d)
        if d.ndim != 1:
            raise ValueError(f"DiagonalOperator needs a 1-D diagonal, got shape {d.shape}")
        d = _check_matrix_values(d, "DiagonalOperator")
        if d.dtype.kind not in "fc":
            d = d.astype(np.float64)
        super().__init__((d.size, d.size), d.dtype)
        self.diagonal = d

    def _matvec(self, x):
        return self._on_device("d", self.diagonal, x)[:, None] * x

    def _rmatvec(self, y):
        return self._on_device("d", self.diagonal, y)[:, None].conj() * y


class _CallableOperator(LinearOperator):
    """Wraps anything with ``matvec``/``rmatvec`` (and optionally ``matmat``/``rmatmat``) and ``shape``."""

    def __init__(self, obj):
        dtype = getattr(obj, "dtype", None)
        super().__init__(obj.shape, dtype if dtype is not None else np.float64)
        self.obj = obj

    def _cols(self, x, one, many):
        f = getattr(self.obj, many, None)
        if f is not None:
            return np.asarray(f(x))
        return np.stack([np.asarray(getattr(self.obj, one)(x[:, j])).ravel() for j in range(x.shape[1])],
                        axis=1)

    def _matvec(self, x):
        return self._cols(x, "matvec", "matmat")

    def _rmatvec(self, y):
        return self._cols(y, "rmatvec", "rmatmat")


def aslinearoperator(obj):
    """Return ``obj`` as a :class:`LinearOperator`.

    Accepts cstoolbox operators (returned as they are), 2-D NumPy/CuPy arrays, scipy.sparse matrices,
    scipy.sparse.linalg.LinearOperator objects and anything with ``shape``, ``matvec`` and ``rmatvec``
    (e.g. PyLops operators).

    Raises
    ------
    TypeError
        For objects that are none of these (1-D arrays included: give a matrix).
    """
    if isinstance(obj, LinearOperator):
        return obj
    if sp.issparse(obj):
        return MatrixOperator(obj)
    if hasattr(obj, "matvec") and hasattr(obj, "rmatvec") and hasattr(obj, "shape"):
        return _CallableOperator(obj)
    if hasattr(obj, "__array__") or isinstance(obj, (list, tuple)):
        arr = obj if hasattr(obj, "ndim") else np.asarray(obj)
        if getattr(arr, "ndim", 0) != 2:
            raise TypeError(f"a matrix used as an operator must be 2-D, got shape {np.shape(arr)}")
        return MatrixOperator(arr)
    raise TypeError("expected an operator: a 2-D array, a scipy sparse matrix, a scipy LinearOperator or "
                    f"an object with shape/matvec/rmatvec, got {type(obj).__name__}")


def dottest(A, random_state=None, rtol=1e-10, complex_input=None, n_vectors=1):
    """Check the adjoint: ``<A x, y> = <x, A^H y>`` for random ``x``, ``y``.

    Parameters
    ----------
    A : operator-like
        Anything :func:`aslinearoperator` accepts.
    random_state : None, int or Generator
    rtol : float
        Allowed mismatch relative to ``||A x|| ||y||``.
    complex_input : bool or None
        Use complex test vectors; default: when the operator's dtype is complex.  Real operators
        are also checked on complex vectors when ``True``.
    n_vectors : int
        Number of columns in the test blocks (exercises the 2-D path when > 1).

    Returns
    -------
    bool
        True when the test passes.

    Raises
    ------
    AssertionError
        With both inner products and the relative mismatch when it fails.

    Examples
    --------
    >>> import numpy as np
    >>> dottest(np.random.default_rng(0).standard_normal((5, 3)), random_state=1)
    True
    """
    A = aslinearoperator(A)
    rtol = _unwrap_0d(rtol)
    if isinstance(rtol, (bool, np.bool_)) or not isinstance(rtol, numbers.Real) or not 0 < rtol < np.inf:
        raise ValueError(f"rtol must be a finite real > 0, got {rtol!r}")
    if not _is_int(n_vectors) or n_vectors < 1:
        raise ValueError(f"n_vectors must be a positive int, got {n_vectors!r}")
    n_vectors = int(n_vectors)
    rng = check_random_state(random_state)
    m, n = A.shape
    cplx = A.dtype.kind == "c" if complex_input is None else bool(complex_input)
    shape_x = (n,) if n_vectors == 1 else (n, n_vectors)
    shape_y = (m,) if n_vectors == 1 else (m, n_vectors)

    def draw(shape):
        v = rng.standard_normal(shape)
        if cplx:
            v = v + 1j * rng.standard_normal(shape)
        return v

    x, y = draw(shape_x), draw(shape_y)
    Ax = np.asarray(A.matvec(x))
    AHy = np.asarray(A.rmatvec(y))
    lhs = np.vdot(y, Ax)
    rhs = np.vdot(AHy, x)
    scale = max(np.linalg.norm(Ax) * np.linalg.norm(y), np.finfo(float).tiny)
    err = abs(lhs - rhs) / scale
    if not err <= rtol:
        raise AssertionError(f"dottest failed for {A!r}: <Ax, y> = {lhs}, <x, A^H y> = {rhs}, "
                             f"relative mismatch {err:.3e} > rtol {rtol:.1e}")
    return True
