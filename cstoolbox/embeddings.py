r"""Fast binary embeddings that preserve Euclidean distances (scikit-learn transformers).

A point :math:`x \in \mathbb{R}^n` is mapped to a one-bit code :math:`q = Q(A x / \alpha) \in \{\pm 1\}^m`
where :math:`A` is a random (sparse Gaussian, fast Johnson–Lindenstrauss, partial circulant or
subsampled orthogonal) matrix with unit-variance entries, :math:`\alpha` a learned input scale and
:math:`Q` a *noise-shaping* quantizer (one-bit ΣΔ of order r = 1, 2, 3 or distributed beta encoding)
-- not the memoryless ``sign`` of SimHash.  Distances are estimated from the codes through a
condensation operator :math:`V = c\,(I_p \otimes v^T)`:

.. math:: \hat d(x, y) = \alpha\, \| V (q_x - q_y) \|_1, \qquad
          V = \sqrt{\pi/2}\; (I_p \otimes v^T) / (p \|v\|_2),

(Zhang & Saab 2021) or with the :math:`\ell_2` pseudo-metric :math:`\alpha \|V_2 (q_x - q_y)\|_2`,
:math:`V_2 = (I_p \otimes v^T)/(\sqrt{p}\,\|v\|_2)` (Huynh & Saab 2020).  For ΣΔ the vector ``v`` has
integer entries, so every code condenses once to ``p`` small integers (``condense``) and all distance
computations run on those integers -- ``p`` bytes per point instead of ``4 m`` for float embeddings.

:class:`SignRandomProjection` is the usual baseline ``sign(G x)`` (SimHash) with Hamming distances,
which only estimates angles.

References
----------
.. [1] T. Huynh and R. Saab, "Fast binary embeddings and quantized compressed sensing with structured
   matrices", Comm. Pure Appl. Math. 73 (2020).
.. [2] J. Zhang and R. Saab, "Faster binary embeddings for preserving Euclidean distances", ICLR 2021.
.. [3] M. Charikar, "Similarity estimation techniques from rounding algorithms", STOC 2002.
"""
import math
import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._jit import njit, prange
from .backend import check_random_state

__all__ = ["FastBinaryEmbedding", "SignRandomProjection"]

_METHODS = ("sigma_delta", "beta")
_MATRICES = ("sparse_gaussian", "fjlt", "circulant", "bos")
_METRICS = ("l1", "l2")
_DEFAULT_BLOCKS = 64          # p, the number of condensation blocks when block_length is None
_DEFAULT_NNZ_PER_ROW = 64     # density = min(1, 64 / n): O(m) work per point
_DEFAULT_BETA = 1.5
_CHUNK_ELEMENTS = 2 ** 22     # rows per chunk = this / max(m, n): bounded temporary memory
_SCALE_SLACK = 1.0 - 1e-9     # keeps ||y||_inf strictly inside the bound despite rounding


# ============================================================================ numba kernels

_TILE = 64  # points per tile of the projection kernel: the tile (n x 64) stays in L2, the inner loop is SIMD


@njit(parallel=True)
def _csr_project_kernel(indptr, indices, data, X, out, factor):
    """out[i, j] = factor * sum_k A[j, k] X[i, k] for a CSR matrix A (rows of X in tiles of 64).

    Each thread copies a tile of 64 points transposed (n x 64) and streams the CSR matrix once per
    tile: for each nonzero a = A[j, c] it does acc[0:64] += a * tile[c, 0:64] (vectorized).
    Work: nnz(A) multiply-adds per point; X, data and out share one float dtype.
    """
    N, n = X.shape
    m = indptr.shape[0] - 1
    T = _TILE
    ntiles = (N + T - 1) // T
    for t in prange(ntiles):
        i0 = t * T
        w = min(T, N - i0)
        xt = np.zeros((n, T), dtype=X.dtype)
        for b in range(w):
            for k in range(n):
                xt[k, b] = X[i0 + b, k]
        acc = np.empty(T, dtype=X.dtype)
        for j in range(m):
            acc[:] = 0
            for k in range(indptr[j], indptr[j + 1]):
                a = data[k]
                c = indices[k]
                for b in range(T):
                    acc[b] += a * xt[c, b]
            for b in range(w):
                out[i0 + b, j] = factor * acc[b]


@njit(parallel=True)
def _condense_codes_kernel(codes, v, out):
    """out[i, b] = sum_j v[j] codes[i, b*lam + j] (codes are ±1)."""
    N, p = out.shape
    lam = v.shape[0]
    for i in prange(N):
        for b in range(p):
            s = v[0] - v[0]
            base = b * lam
            for j in range(lam):
                s += v[j] * codes[i, base + j]
            out[i, b] = s


@njit(parallel=True)
def _condense_packed_kernel(packed, v, out):
    """Same as _condense_codes_kernel on np.packbits rows (big-endian bits, 1 -> +1, 0 -> -1)."""
    N, p = out.shape
    lam = v.shape[0]
    for i in prange(N):
        for b in range(p):
            s = v[0] - v[0]
            base = b * lam
            for j in range(lam):
                pos = base + j
                bit = (packed[i, pos >> 3] >> (7 - (pos & 7))) & 1
                if bit:
                    s += v[j]
                else:
                    s -= v[j]
            out[i, b] = s


@njit(parallel=True)
def _pairwise_int_kernel(A, B, out, power):
    """out[i, j] = sum_k |A[i,k] - B[j,k]|^power on integer arrays (exact int64 sums)."""
    na, p = A.shape
    nb = B.shape[0]
    for i in prange(na):
        a = A[i]
        for j in range(nb):
            s = 0
            for k in range(p):
                d = np.int64(a[k]) - np.int64(B[j, k])
                if power == 1:
                    s += abs(d)
                else:
                    s += d * d
            out[i, j] = s


@njit(parallel=True)
def _pairwise_float_kernel(A, B, out, power):
    na, p = A.shape
    nb = B.shape[0]
    for i in prange(na):
        a = A[i]
        for j in range(nb):
            s = 0.0
            for k in range(p):
                d = a[k] - B[j, k]
                if power == 1:
                    s += abs(d)
                else:
                    s += d * d
            out[i, j] = s


@njit(inline="always")
def _popcount64(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (x * np.uint64(0x0101010101010101)) >> np.uint64(56)


@njit(parallel=True)
def _hamming_kernel(A, B, out):
    """out[i, j] = popcount(A[i] xor B[j]) on rows of uint64 words."""
    na, w = A.shape
    nb = B.shape[0]
    for i in prange(na):
        for j in range(nb):
            s = np.uint64(0)
            for k in range(w):
                s += _popcount64(A[i, k] ^ B[j, k])
            out[i, j] = s


# ============================================================================ helpers

def _check_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _next_pow2(n):
    return 1 << max(0, int(n - 1).bit_length())


def _chunks(n_rows, width):
    step = max(1, _CHUNK_ELEMENTS // max(1, width))
    for start in range(0, n_rows, step):
        yield start, min(n_rows, start + step)


def _dense_rows(X, start, stop):
    """Rows start:stop of X (dense or sparse) as a C-contiguous float32/float64 ndarray."""
    block = X[start:stop]
    if sp.issparse(block):
        block = block.toarray()
    block = np.asarray(block)
    dtype = np.float32 if block.dtype == np.float32 else np.float64
    return np.ascontiguousarray(block, dtype=dtype)


def _csr_project(A, Xc, factor):
    """factor * Xc @ A.T in Xc's precision (float32 or float64) with the tiled numba kernel."""
    dtype = Xc.dtype
    out = np.empty((Xc.shape[0], A.shape[0]), dtype=dtype)
    _csr_project_kernel(A.indptr, A.indices, A.data.astype(dtype, copy=False), Xc, out, dtype.type(factor))
    return out


def _spread_ratio(X):
    """sqrt(n) ||x||_inf / ||x||_2 per row (1 = perfectly flat, sqrt(n) = one spike); zero rows -> 1."""
    X = np.asarray(X, dtype=np.float64)
    nrm = np.linalg.norm(X, axis=1)
    peak = np.max(np.abs(X), axis=1) if X.shape[1] else np.zeros(X.shape[0])
    ok = nrm > 0
    out = np.ones(X.shape[0])
    out[ok] = math.sqrt(X.shape[1]) * peak[ok] / nrm[ok]
    return out


def _as_2d(codes, name):
    arr = np.asarray(codes)
    if arr.ndim == 1:
        return arr[None, :], True
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 1-D code or a 2-D array of codes (one per row), "
                         f"got an array of shape {arr.shape}")
    return arr, False


def _check_pm1(arr, name, width):
    """Validate ±1 codes of the given width and return them as int8."""
    if arr.dtype.kind not in "iufb" or arr.dtype.kind == "b":
        raise TypeError(f"{name} must hold ±1 codes (int8 from transform) or packed uint8 bytes "
                        f"(transform(..., packed=True)), got dtype {arr.dtype}")
    if arr.shape[1] != width:
        raise ValueError(f"{name} has {arr.shape[1]} columns, but this embedding's codes have "
                         f"{width} (n_components) columns, or {(width + 7) // 8} as packed uint8")
    if arr.size and not np.all(np.abs(arr) == 1):
        raise ValueError(f"{name} must contain only -1 and +1 (one-bit codes from transform)")
    return np.ascontiguousarray(arr, dtype=np.int8)


def _check_packed(arr, name, width):
    nbytes = (width + 7) // 8
    if arr.shape[1] != nbytes:
        raise ValueError(f"{name} is uint8, so it is read as packed codes; it needs "
                         f"ceil(n_components / 8) = {nbytes} columns, got {arr.shape[1]}")
    return np.ascontiguousarray(arr)


def _check_metric(metric, allowed):
    if metric not in allowed:
        raise ValueError(f"metric must be one of {list(allowed)}, got {metric!r}")
    return metric


def _kneighbors(pairwise, queries, database, n_neighbors, exclude_self, return_distance):
    """Shared top-k search: ``pairwise(q_rows, database) -> distances``, in query chunks."""
    n_neighbors = _check_int(n_neighbors, "n_neighbors")
    nb = database.shape[0]
    available = nb - 1 if exclude_self else nb
    if n_neighbors > available:
        raise ValueError(f"n_neighbors={n_neighbors} exceeds the {available} candidate points "
                         f"in the database{' (a query is not its own neighbour)' if exclude_self else ''}")
    nq = queries.shape[0]
    dist = np.empty((nq, n_neighbors))
    ind = np.empty((nq, n_neighbors), dtype=np.intp)
    for start, stop in _chunks(nq, nb):
        D = pairwise(queries[start:stop], database)
        if exclude_self:
            rows = np.arange(stop - start)
            D[rows, start + rows] = np.inf
        # the k smallest distances, ties broken by the smaller index (estimated distances are
        # often tied: they come from integers): everything below the k-th value, then the
        # first indices equal to it
        kth = np.partition(D, n_neighbors - 1, axis=1)[:, n_neighbors - 1:n_neighbors]
        below = D < kth
        equal = D == kth
        need = n_neighbors - below.sum(axis=1, keepdims=True)
        chosen = below | (equal & (np.cumsum(equal, axis=1) <= need))
        part = np.nonzero(chosen)[1].reshape(-1, n_neighbors)      # row-major: ascending index
        dpart = np.take_along_axis(D, part, axis=1)
        order = np.argsort(dpart, axis=1, kind="stable")
        ind[start:stop] = np.take_along_axis(part, order, axis=1)
        dist[start:stop] = np.take_along_axis(dpart, order, axis=1)
    return (dist, ind) if return_distance else ind


# ============================================================================ estimators

class FastBinaryEmbedding(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    r"""One-bit noise-shaping embedding whose codes estimate Euclidean distances.

    ``fit`` draws the random matrix :math:`A` (m x n, unit-variance entries; optionally preceded by
    a randomized Hadamard transform :math:`H D`) and learns the input scale :math:`\alpha` that keeps
    :math:`\|A x / \alpha\|_\infty` inside the quantizer's stability bound on the training data;
    ``transform`` returns the codes :math:`q = Q(A x / \alpha) \in \{\pm 1\}^m`; ``distance``,
    ``pairwise_distances`` and ``kneighbors`` estimate :math:`\|x - y\|_2` from codes only.

    Parameters
    ----------
    n_components : int, default 1024
        Code length m (bits per point).
    method : {"sigma_delta", "beta"}, default "sigma_delta"
        One-bit ΣΔ (``order`` 1: greedy; 2, 3: the stable Deift–Güntürk–Krahmer filters) or
        distributed noise shaping (beta encoding, state reset every ``block_length`` samples).
    order : {1, 2, 3}, default 1
        ΣΔ order r (ignored for ``method="beta"``).
    beta : float in (1, 2), default None
        Beta-encoding base (``None`` -> 1.5; ignored for ΣΔ).  One-bit beta encoding is stable
        for :math:`\|y\|_\infty \le 2 - \beta`; its condensed error decays like
        :math:`\beta^{-\lambda}`.
    block_length : int, default None
        Condensation block length :math:`\lambda` (the number of code bits condensed into one
        integer); must divide ``n_components``.  ``None`` picks the divisor of m closest to m / 64
        (exactly m / 64 -- p = 64 blocks -- when 64 divides m).  For ΣΔ of order r the
        condensation vector has length :math:`r(t-1)+1 \le \lambda` (t as large as fits) and is
        padded with zeros to :math:`\lambda`.
    matrix : {"sparse_gaussian", "fjlt", "circulant", "bos"}, default "sparse_gaussian"
        ``"sparse_gaussian"``: :math:`A_{ij} = B_{ij} G_{ij}`, B ~ Bernoulli(density),
        G ~ N(0, 1/density) (scipy CSR, applied by a batched numba kernel: O(m · density · n)
        per point); ``"fjlt"``: the same matrix after a randomized Hadamard transform
        (always preconditioned); ``"circulant"``: partial random circulant (Rademacher
        generator, FFT); ``"bos"``: subsampled DCT with random signs.  The last two zero-pad
        the input to length max(n, m) when m > n.
    density : float in (0, 1], default None
        Nonzero probability of the sparse Gaussian matrix; ``None`` -> min(1, 64 / n), i.e. 64
        nonzeros per row and O(m) time per point (Zhang–Saab's regime for well-spread data).
    preconditioning : {"auto", True, False}, default "auto"
        Apply the randomized Hadamard transform :math:`H D/\sqrt{n}` (inputs zero-padded to a
        power of two) before the matrix.  ``"auto"``: only for a sparse matrix (density < 1) and
        training data that is not well spread, i.e. when some training point or difference of
        two training points has :math:`\sqrt{n}\|x\|_\infty / \|x\|_2 > \sqrt{2 \ln(200 n)}`
        (the spread that :math:`HD` reaches with probability 0.99).
    scale : "auto", "norm" or float > 0, default "auto"
        Input scale :math:`\alpha` (inputs are divided by it).  ``"auto"``: the smallest value
        keeping every *training* point stable, :math:`\alpha = \max_i \|A x_i\|_\infty /
        \text{bound}` (bound = 1, 2/3, 0.537 for r = 1, 2, 3; :math:`2 - \beta` for beta).
        ``"norm"``: the authors' choice :math:`\alpha = 1.5 \max_i \|x_i\|_2` (smaller α, larger
        signal, but :math:`\|A x\|_\infty` may exceed the bound -- fine in practice for r = 1,
        risky for r = 2, 3).  New points beyond the training range raise the quantizer's
        :class:`~cstoolbox.exceptions.QuantizerInstabilityWarning` at ``transform``.
    random_state : None, int or numpy.random.Generator
        Seeds the matrix and the preconditioner's signs.

    Attributes
    ----------
    n_features_in_ : int
    n_blocks_ : int
        p = n_components / block_length.
    block_length_ : int
    condensation_vector_ : ndarray of shape (block_length_,)
        v (integer valued for ΣΔ, :math:`\beta^{-j}` for beta), zero-padded as described above.
    density_ : float or None
        Density of the sparse Gaussian matrix (None for circulant / bos).
    preconditioner_ : RandomizedHadamardOperator or None
    operator_ : cstoolbox.operators.LinearOperator
        The matrix, normalized as the ensembles are (E||A x||^2 = ||x||^2); the embedding uses
        :math:`\sqrt{m}` times it.
    n_padded_ : int
        Input length after zero padding (preconditioning / structured matrices).
    row_order_ : ndarray of int or None
        Random order of the structured matrices' rows (circulant / bos), so that each condensed
        block mixes unrelated rows.
    stability_bound_ : float
    scale_ : float
        The input scale α.
    max_abs_projection_ : float
        :math:`\max_i \|A x_i / \alpha\|_\infty` on the training data.

    Notes
    -----
    With :math:`y = A x/\alpha`, every scheme satisfies :math:`y - q = \Delta u` with a bounded
    state u (:math:`\Delta = D^r` for ΣΔ, :math:`I_p \otimes H_\beta` for beta), and
    :math:`v^T \Delta` is sparse on each block, so :math:`V(q_x - q_y) = V A (x - y)/\alpha + e`
    with :math:`\|e\|_\infty \lesssim \lambda^{-r+1/2}` (ΣΔ) or :math:`\beta^{-\lambda}` (beta).
    Since the rows of :math:`(I_p \otimes v^T) A` are Gaussian with variance
    :math:`\|v\|_2^2`, :math:`E\,|\langle a, z\rangle| = \sqrt{2/\pi}\,\|v\|_2 \|z\|_2`, which the
    normalization of V undoes (ℓ1-JL with p measurements).  Distances therefore carry the ℓ1-JL
    error (about :math:`0.60/\sqrt{p}` relative) plus a quantization error that decays
    polynomially (ΣΔ) or exponentially (beta) in the block length.

    References
    ----------
    .. [1] J. Zhang and R. Saab, "Faster binary embeddings for preserving Euclidean distances",
       ICLR 2021.
    .. [2] T. Huynh and R. Saab, "Fast binary embeddings and quantized compressed sensing with
       structured matrices", CPAM 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.embeddings import FastBinaryEmbedding
    >>> X = np.random.default_rng(0).standard_normal((50, 256))
    >>> fbe = FastBinaryEmbedding(n_components=2048, order=2, random_state=0).fit(X)
    >>> codes = fbe.transform(X)
    >>> codes.dtype, codes.shape, fbe.n_blocks_
    (dtype('int8'), (50, 2048), 64)
    >>> d_hat = fbe.distance(codes[0], codes[1])
    >>> bool(abs(d_hat / np.linalg.norm(X[0] - X[1]) - 1) < 0.3)
    True
    """

    def __init__(self, n_components=1024, *, method="sigma_delta", order=1, beta=None,
                 block_length=None, matrix="sparse_gaussian", density=None,
                 preconditioning="auto", scale="auto", random_state=None):
        self.n_components = n_components
        self.method = method
        self.order = order
        self.beta = beta
        self.block_length = block_length
        self.matrix = matrix
        self.density = density
        self.preconditioning = preconditioning
        self.scale = scale
        self.random_state = random_state

    # ------------------------------------------------------------------ parameters
    def _validated_params(self, n_features):
        m = _check_int(self.n_components, "n_components")
        if self.method not in _METHODS:
            raise ValueError(f"method must be one of {list(_METHODS)}, got {self.method!r}")
        order = beta = None
        if self.method == "sigma_delta":
            if isinstance(self.order, bool) or self.order not in (1, 2, 3):
                raise ValueError(f"order must be 1, 2 or 3 for one-bit sigma-delta, got {self.order!r}")
            order = int(self.order)
        else:
            beta = _DEFAULT_BETA if self.beta is None else self.beta
            if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not 1.0 < beta < 2.0:
                raise ValueError(f"beta must be a float in (1, 2) for one-bit beta encoding, got {self.beta!r}")
            beta = float(beta)
        if self.block_length is None:
            target = m / _DEFAULT_BLOCKS
            # divisors in O(sqrt(m)) (enumerating 1..m hung for a huge n_components)
            small = [d for d in range(1, math.isqrt(m) + 1) if m % d == 0]
            divisors = sorted(set(small) | {m // d for d in small})
            lam = min(divisors, key=lambda d: (abs(d - target), -d))
        else:
            lam = _check_int(self.block_length, "block_length")
            if m % lam:
                raise ValueError(f"block_length={lam} must divide n_components={m} "
                                 f"(the code is condensed in n_components / block_length blocks)")
        if self.matrix not in _MATRICES:
            raise ValueError(f"matrix must be one of {list(_MATRICES)}, got {self.matrix!r}")
        density = None
        if self.matrix in ("sparse_gaussian", "fjlt"):
            if self.density is None:
                density = min(1.0, _DEFAULT_NNZ_PER_ROW / n_features)
            else:
                d = self.density
                if isinstance(d, bool) or not isinstance(d, numbers.Real) or not 0.0 < d <= 1.0:
                    raise ValueError(f"density must be a float in (0, 1] or None, got {d!r}")
                density = float(d)
        elif self.density is not None:
            raise ValueError(f"density only applies to matrix='sparse_gaussian' or 'fjlt', "
                             f"got density={self.density!r} with matrix={self.matrix!r}")
        if self.preconditioning not in ("auto", True, False) or self.preconditioning is None:
            raise ValueError(f"preconditioning must be 'auto', True or False, got {self.preconditioning!r}")
        if self.matrix == "fjlt" and self.preconditioning is False:
            raise ValueError("matrix='fjlt' is the sparse Gaussian matrix after a randomized Hadamard "
                             "transform; preconditioning=False contradicts it (use 'sparse_gaussian')")
        scale = self.scale
        if isinstance(scale, str):
            if scale not in ("auto", "norm"):
                raise ValueError(f"scale must be 'auto', 'norm' or a positive float, got {scale!r}")
        elif isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not (0 < scale < np.inf):
            raise ValueError(f"scale must be 'auto', 'norm' or a positive finite float, got {scale!r}")
        return m, order, beta, lam, density, scale

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None):
        """Draw the matrix (and preconditioner) and learn the input scale.

        Parameters
        ----------
        X : array_like or sparse matrix of shape (n_samples, n_features)
            Training data (finite).
        y : ignored

        Returns
        -------
        self

        Raises
        ------
        ValueError
            Invalid parameters, NaN/inf or empty input, ``block_length`` not dividing
            ``n_components``, ``matrix="fjlt"`` with ``preconditioning=False``.
        """
        from .operators import (PartialCirculantOperator, RandomizedHadamardOperator,
                                SparseGaussianOperator, SubsampledOrthogonalOperator)
        from .quantizers import condensation_vector

        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32])
        n = X.shape[1]
        m, order, beta, lam, density, scale = self._validated_params(n)
        rng = check_random_state(self.random_state)

        if self.matrix == "fjlt":
            precondition = True
        elif self.preconditioning == "auto":
            precondition = self.matrix == "sparse_gaussian" and density < 1.0 and not self._well_spread(X, rng)
        else:
            precondition = bool(self.preconditioning)
        n_pre = _next_pow2(n) if precondition else n
        self.preconditioner_ = RandomizedHadamardOperator(n_pre, random_state=rng) if precondition else None
        if self.matrix in ("sparse_gaussian", "fjlt"):
            n_mat = n_pre
            if self.density is None:
                density = min(1.0, _DEFAULT_NNZ_PER_ROW / n_mat)
            self.operator_ = SparseGaussianOperator(m, n_mat, density=density, random_state=rng)
        elif self.matrix == "circulant":
            n_mat = max(n_pre, m)
            self.operator_ = PartialCirculantOperator(m, n_mat, generator="rademacher", random_state=rng)
        else:
            n_mat = max(n_pre, m)
            self.operator_ = SubsampledOrthogonalOperator(m, n_mat, transform="dct", random_signs=True,
                                                          random_state=rng)
        # the structured ensembles return their rows sorted; consecutive rows condensed together
        # would be strongly dependent (neighbouring frequencies / shifts), so the rows are put in
        # a random order (still a uniformly drawn row subset)
        self.row_order_ = (rng.permutation(m) if self.matrix in ("circulant", "bos") else None)
        self.density_ = density
        self.n_padded_ = n_mat
        self.n_blocks_ = m // lam
        self.block_length_ = lam
        self._method, self._order, self._beta = self.method, order, beta

        if self.method == "sigma_delta":
            t = (lam - 1) // order + 1
            v = np.asarray(condensation_vector("sigma_delta", order * (t - 1) + 1, order=order),
                           dtype=np.float64)
        else:
            v = np.asarray(condensation_vector("beta", lam, beta=beta), dtype=np.float64)
        self.condensation_vector_ = np.concatenate([v, np.zeros(lam - v.size)])
        self.stability_bound_ = self._stability_bound(order, beta)

        # learn the scale from the unscaled projections (alpha = 1)
        self.scale_ = 1.0
        peak = 0.0
        for start, stop in _chunks(X.shape[0], max(m, n_mat)):
            Y = self._project_rows(X, start, stop)
            peak = max(peak, float(np.max(np.abs(Y))) if Y.size else 0.0)
        if isinstance(scale, str) and scale == "auto":
            alpha = peak / (self.stability_bound_ * _SCALE_SLACK)
        elif isinstance(scale, str):  # "norm"
            norms = (sp.linalg.norm(X, axis=1) if sp.issparse(X) else np.linalg.norm(X, axis=1))
            alpha = 1.5 * float(np.max(norms))
        else:
            alpha = float(scale)
        if not alpha > 0:   # all-zero training data: any scale is exact
            alpha = 1.0
        self.scale_ = alpha
        self.max_abs_projection_ = peak / alpha
        self._int_codes = self.method == "sigma_delta"
        self._vq = (self.condensation_vector_.astype(np.int64) if self._int_codes
                    else self.condensation_vector_)
        vmax = int(np.sum(np.abs(self._vq))) if self._int_codes else None
        self._condensed_dtype = (np.dtype(np.float64) if not self._int_codes else
                                 np.dtype(np.int8) if vmax <= 127 else
                                 np.dtype(np.int16) if vmax <= 32767 else np.dtype(np.int32))
        return self

    @staticmethod
    def _well_spread(X, rng):
        n = X.shape[1]
        if n <= 1:
            return True
        idx = rng.permutation(X.shape[0])[:1000] if X.shape[0] > 1000 else np.arange(X.shape[0])
        S = X[idx]
        S = S.toarray() if sp.issparse(S) else np.asarray(S, dtype=np.float64)
        ratios = [_spread_ratio(S)]
        if S.shape[0] > 1:
            ratios.append(_spread_ratio(S[1:] - S[:-1]))
        worst = max(float(np.max(r)) for r in ratios)
        return worst <= math.sqrt(2.0 * math.log(200.0 * n))

    def _stability_bound(self, order, beta):
        from .quantizers import Alphabet, stability_bound
        one_bit = Alphabet.one_bit()
        if self.method == "sigma_delta":
            return float(stability_bound("one_bit_sigma_delta", one_bit, order=order))
        return float(stability_bound("beta", one_bit, beta=beta))

    @property
    def _n_features_out(self):
        return self.n_components

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # the output is one-bit int8 codes whatever the input float dtype
        tags.transformer_tags.preserves_dtype = []
        tags.input_tags.sparse = True
        return tags

    # ------------------------------------------------------------------ projection / encoding
    def _project_rows(self, X, start, stop):
        """A x / scale_ for rows start:stop, shape (rows, m), in the input's precision (float32/64)."""
        m = self.n_components
        Xc = _dense_rows(X, start, stop)
        n_mat = self.n_padded_
        if self.preconditioner_ is not None:
            n_pre = self.preconditioner_.shape[0]
            if n_pre > Xc.shape[1]:
                Xc = np.concatenate([Xc, np.zeros((Xc.shape[0], n_pre - Xc.shape[1]), Xc.dtype)], axis=1)
            Xc = np.ascontiguousarray(self.preconditioner_.matvec(Xc.T).T)
        if n_mat > Xc.shape[1]:
            Xc = np.concatenate([Xc, np.zeros((Xc.shape[0], n_mat - Xc.shape[1]), Xc.dtype)], axis=1)
        factor = math.sqrt(m) / self.scale_
        if self.matrix in ("sparse_gaussian", "fjlt"):
            return _csr_project(self.operator_.matrix, Xc, factor)
        Y = np.asarray(self.operator_.matvec(Xc.T)).T[:, self.row_order_]
        return np.ascontiguousarray(Y.real if np.iscomplexobj(Y) else Y) * factor

    def _quantize(self, Y):
        from .quantizers import beta_encode, one_bit_sigma_delta
        if self._method == "sigma_delta":
            q = one_bit_sigma_delta(Y, order=self._order, axis=-1)
        else:
            q = beta_encode(Y, self._beta, block_length=self.block_length_, axis=-1)
        return q

    def project(self, X):
        """The scaled measurements :math:`y = A x / \\alpha` that ``transform`` quantizes (float64).

        Parameters
        ----------
        X : array_like or sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_components), float64
            Unquantized embedding (the ℓ1-JL baseline is :math:`\\alpha \\|V(y_a - y_b)\\|_1`).
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)
        out = np.empty((X.shape[0], self.n_components))
        for start, stop in _chunks(X.shape[0], max(self.n_components, self.n_padded_)):
            out[start:stop] = self._project_rows(X, start, stop)
        return out

    def transform(self, X, packed=False):
        """Encode points as one-bit noise-shaped codes.

        Parameters
        ----------
        X : array_like or sparse matrix of shape (n_samples, n_features)
        packed : bool, default False
            Return the codes packed eight per byte (``cstoolbox.quantizers.pack_codes``, bit 1
            for +1), shape (n_samples, ceil(n_components / 8)), dtype uint8.

        Returns
        -------
        ndarray of shape (n_samples, n_components), int8 in {-1, +1}, or packed uint8

        Raises
        ------
        ValueError
            NaN/inf, wrong number of features.
        NotFittedError
            Before ``fit``.

        Warns
        -----
        QuantizerInstabilityWarning
            A point's projection exceeds the stability bound (input far outside the training range).
        """
        from .quantizers import pack_codes
        check_is_fitted(self)
        if not isinstance(packed, (bool, np.bool_)):
            raise TypeError(f"packed must be True or False, got {packed!r}")
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)
        m = self.n_components
        width = (m + 7) // 8 if packed else m
        out = np.empty((X.shape[0], width), dtype=np.uint8 if packed else np.int8)
        for start, stop in _chunks(X.shape[0], max(m, self.n_padded_)):
            q = self._quantize(self._project_rows(X, start, stop))
            if packed:
                out[start:stop] = pack_codes((q > 0).astype(np.uint8), 1)
            else:
                out[start:stop] = q
        return out

    # ------------------------------------------------------------------ condensation / distances
    def condense(self, codes):
        """Condense codes to ``p`` numbers each: :math:`(I_p \\otimes v^T) q`.

        Integers for ΣΔ (int8 / int16 / int32, the smallest type holding :math:`\\|v\\|_1`) --
        this is all the distance estimators need, so it is also the compact storage format;
        float64 for beta encoding.

        Parameters
        ----------
        codes : ndarray of shape (n_samples, n_components) int8 ±1, or packed uint8
            Output of ``transform`` (1-D for a single code).

        Returns
        -------
        ndarray of shape (n_samples, n_blocks_)
        """
        check_is_fitted(self)
        arr, single = _as_2d(codes, "codes")
        out = self._condense(arr, "codes")
        return out[0] if single else out

    def _condense(self, arr, name):
        m = self.n_components
        out = np.empty((arr.shape[0], self.n_blocks_), dtype=self._vq.dtype)
        if arr.dtype == np.uint8:
            _condense_packed_kernel(_check_packed(arr, name, m), self._vq, out)
        else:
            _condense_codes_kernel(_check_pm1(arr, name, m), self._vq, out)
        return out.astype(self._condensed_dtype, copy=False)

    def _as_condensed(self, codes, name, condensed):
        arr, single = _as_2d(codes, name)
        if not condensed:
            return self._condense(arr, name), single
        if arr.shape[1] != self.n_blocks_:
            raise ValueError(f"{name} is marked condensed=True, so it needs n_blocks_ = {self.n_blocks_} "
                             f"columns (output of condense), got {arr.shape[1]}")
        if self._int_codes:
            if arr.dtype.kind not in "iu":
                raise TypeError(f"condensed sigma-delta codes are integers (output of condense), "
                                f"got dtype {arr.dtype}")
        else:
            arr = np.asarray(arr, dtype=np.float64)
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{name} contains NaN or infinity")
        return np.ascontiguousarray(arr), single

    def _factor(self, metric):
        v_norm = float(np.linalg.norm(self.condensation_vector_))
        p = self.n_blocks_
        if metric == "l1":
            return self.scale_ * math.sqrt(math.pi / 2.0) / (p * v_norm)
        return self.scale_ / (math.sqrt(p) * v_norm)

    def _pairwise_condensed(self, A, B, metric):
        out = np.empty((A.shape[0], B.shape[0]), dtype=np.int64 if self._int_codes else np.float64)
        power = 1 if metric == "l1" else 2
        if self._int_codes:
            _pairwise_int_kernel(A, B, out, power)
        else:
            _pairwise_float_kernel(A, B, out, power)
        out = out.astype(np.float64, copy=False)
        if power == 2:
            np.sqrt(out, out=out)
        out *= self._factor(metric)
        return out

    def distance(self, codes_a, codes_b, metric="l1", condensed=False):
        """Estimated Euclidean distances between paired codes (row i of a with row i of b).

        Parameters
        ----------
        codes_a, codes_b : ndarray
            Codes from ``transform`` (int8 ±1 or packed uint8; 1-D for a single code), or the
            output of ``condense`` with ``condensed=True``.  Shapes (k, .) and (k, .), or one of
            them a single code (broadcast).
        metric : {"l1", "l2"}, default "l1"
            ``"l1"``: :math:`\\alpha\\|V(q_a - q_b)\\|_1` (Zhang–Saab); ``"l2"``: the ℓ2
            pseudo-metric :math:`\\alpha\\|V_2(q_a - q_b)\\|_2` (Huynh–Saab).
        condensed : bool, default False

        Returns
        -------
        float or ndarray of shape (k,)

        Examples
        --------
        >>> import numpy as np
        >>> X = np.random.default_rng(1).standard_normal((4, 64))
        >>> fbe = FastBinaryEmbedding(512, random_state=0).fit(X)
        >>> c = fbe.transform(X)
        >>> np.allclose(fbe.distance(c[:2], c[2:]), [fbe.pairwise_distances(c)[0, 2],
        ...                                          fbe.pairwise_distances(c)[1, 3]])
        True
        """
        check_is_fitted(self)
        _check_metric(metric, _METRICS)
        A, sa = self._as_condensed(codes_a, "codes_a", condensed)
        B, sb = self._as_condensed(codes_b, "codes_b", condensed)
        if A.shape[0] != B.shape[0] and 1 not in (A.shape[0], B.shape[0]):
            raise ValueError(f"codes_a and codes_b must have the same number of rows (or one row), "
                             f"got {A.shape[0]} and {B.shape[0]}")
        if self._int_codes:
            D = A.astype(np.int64) - B.astype(np.int64)
        else:
            D = A - B
        s = np.abs(D).sum(axis=1) if metric == "l1" else np.sqrt((D * D).sum(axis=1))
        out = s.astype(np.float64) * self._factor(metric)
        return float(out[0]) if (sa and sb) else out

    def pairwise_distances(self, codes, other=None, metric="l1", condensed=False):
        """Matrix of estimated Euclidean distances between all codes of ``codes`` and ``other``.

        Each code is condensed once (O(m)), then every pair costs O(p) integer operations
        (numba, parallel over rows).

        Parameters
        ----------
        codes : ndarray of shape (n_a, .)
        other : ndarray of shape (n_b, .), default None (= ``codes``)
        metric : {"l1", "l2"}
        condensed : bool, default False
            Inputs are outputs of ``condense``.

        Returns
        -------
        ndarray of shape (n_a, n_b), float64
        """
        check_is_fitted(self)
        _check_metric(metric, _METRICS)
        A, _ = self._as_condensed(codes, "codes", condensed)
        B = A if other is None else self._as_condensed(other, "other", condensed)[0]
        return self._pairwise_condensed(A, B, metric)

    def kneighbors(self, codes, n_neighbors=10, database=None, metric="l1", condensed=False,
                   return_distance=True):
        """Nearest neighbours by estimated Euclidean distance.

        Parameters
        ----------
        codes : ndarray of shape (n_queries, .)
            Query codes.
        n_neighbors : int, default 10
        database : ndarray of shape (n_database, .), default None
            Codes to search; ``None`` searches ``codes`` themselves, leaving each query out of its
            own neighbours (as scikit-learn's ``kneighbors(X=None)``).
        metric : {"l1", "l2"}
        condensed : bool, default False
        return_distance : bool, default True

        Returns
        -------
        distances : ndarray of shape (n_queries, n_neighbors), ascending (ties by index)
        indices : ndarray of shape (n_queries, n_neighbors)
        """
        check_is_fitted(self)
        _check_metric(metric, _METRICS)
        Q, _ = self._as_condensed(codes, "codes", condensed)
        B = Q if database is None else self._as_condensed(database, "database", condensed)[0]
        return _kneighbors(lambda a, b: self._pairwise_condensed(a, b, metric), Q, B, n_neighbors,
                           database is None, return_distance)

    def unquantized_pairwise_distances(self, X, other=None, metric="l1"):
        """The same estimator on the unquantized projections (the ℓ1-JL / ℓ2-JL baseline).

        :math:`\\alpha \\|V(y_a - y_b)\\|` with :math:`y = A x/\\alpha` (``project``): what the
        codes would give without quantization error, i.e. the Johnson–Lindenstrauss part of
        the error.  Costs float memory and time; meant for diagnostics and comparisons.

        Parameters
        ----------
        X : array_like of shape (n_a, n_features)
        other : array_like of shape (n_b, n_features), default None (= X)
        metric : {"l1", "l2"}

        Returns
        -------
        ndarray of shape (n_a, n_b)
        """
        check_is_fitted(self)
        _check_metric(metric, _METRICS)
        p, lam = self.n_blocks_, self.block_length_
        v = self.condensation_vector_

        def cond(Z):
            Y = self.project(Z)
            return np.ascontiguousarray(Y.reshape(Y.shape[0], p, lam) @ v)

        A = cond(X)
        B = A if other is None else cond(other)
        out = np.empty((A.shape[0], B.shape[0]))
        power = 1 if metric == "l1" else 2
        _pairwise_float_kernel(A, B, out, power)
        if power == 2:
            np.sqrt(out, out=out)
        return out * self._factor(metric)

    def condensed_bits(self):
        """Bits per point needed to store the condensed integers (ΣΔ) exactly.

        Each block's value lies in :math:`[-\\|v\\|_1, \\|v\\|_1]` with the parity of
        :math:`\\|v\\|_1`, so it takes :math:`\\lceil \\log_2(\\|v\\|_1 + 1) \\rceil` bits;
        beta encoding has no integer condensation: returns ``n_components``.
        """
        check_is_fitted(self)
        if not self._int_codes:
            return int(self.n_components)
        vmax = int(np.sum(np.abs(self._vq)))
        return int(self.n_blocks_ * max(1, math.ceil(math.log2(vmax + 1))))


class SignRandomProjection(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    r"""Sign random projections (SimHash): :math:`q = \mathrm{sign}(G x)`, Hamming distances.

    The baseline that :class:`FastBinaryEmbedding` improves on: the normalized Hamming distance
    estimates the angle, :math:`\theta(x, y) \approx \pi\, d_H(q_x, q_y)/m`; norms (hence
    Euclidean distances) are lost.

    Parameters
    ----------
    n_components : int, default 1024
        Number of bits m.
    matrix : {"gaussian", "sparse_gaussian"}, default "gaussian"
        Dense i.i.d. Gaussian hyperplanes (Charikar) or the sparse Gaussian matrix.
    density : float in (0, 1], default None
        For ``"sparse_gaussian"`` (``None`` -> min(1, 64 / n)).
    random_state : None, int or numpy.random.Generator

    Attributes
    ----------
    n_features_in_ : int
    operator_ : GaussianOperator or SparseGaussianOperator
    density_ : float or None

    References
    ----------
    .. [1] M. Charikar, "Similarity estimation techniques from rounding algorithms", STOC 2002.

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.embeddings import SignRandomProjection
    >>> X = np.random.default_rng(0).standard_normal((3, 32))
    >>> srp = SignRandomProjection(4096, random_state=0).fit(X)
    >>> c = srp.transform(X)
    >>> cos = X[0] @ X[1] / np.linalg.norm(X[0]) / np.linalg.norm(X[1])
    >>> bool(abs(srp.distance(c[0], c[1], metric="angle") - np.arccos(cos)) < 0.1)
    True
    """

    def __init__(self, n_components=1024, *, matrix="gaussian", density=None, random_state=None):
        self.n_components = n_components
        self.matrix = matrix
        self.density = density
        self.random_state = random_state

    def fit(self, X, y=None):
        """Draw the hyperplanes.

        Parameters
        ----------
        X : array_like or sparse matrix of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        from .operators import GaussianOperator, SparseGaussianOperator
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32])
        m = _check_int(self.n_components, "n_components")
        n = X.shape[1]
        rng = check_random_state(self.random_state)
        if self.matrix == "gaussian":
            if self.density is not None:
                raise ValueError("density only applies to matrix='sparse_gaussian'")
            self.operator_ = GaussianOperator(m, n, random_state=rng)
            self.density_ = None
        elif self.matrix == "sparse_gaussian":
            d = min(1.0, _DEFAULT_NNZ_PER_ROW / n) if self.density is None else self.density
            if isinstance(d, bool) or not isinstance(d, numbers.Real) or not 0.0 < d <= 1.0:
                raise ValueError(f"density must be a float in (0, 1] or None, got {self.density!r}")
            self.operator_ = SparseGaussianOperator(m, n, density=float(d), random_state=rng)
            self.density_ = float(d)
        else:
            raise ValueError(f"matrix must be 'gaussian' or 'sparse_gaussian', got {self.matrix!r}")
        return self

    @property
    def _n_features_out(self):
        return self.n_components

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        tags.input_tags.sparse = True
        return tags

    def _project_rows(self, X, start, stop):
        Xc = _dense_rows(X, start, stop)
        if self.matrix == "gaussian":
            return Xc @ self.operator_.matrix.T
        return _csr_project(self.operator_.matrix, Xc, 1.0)

    def transform(self, X, packed=False):
        """Codes ``sign(G x)`` (sign(0) = +1) as int8 ±1, or packed uint8 with ``packed=True``.

        Parameters
        ----------
        X : array_like or sparse matrix of shape (n_samples, n_features)
        packed : bool, default False

        Returns
        -------
        ndarray of shape (n_samples, n_components) int8, or (n_samples, ceil(n_components/8)) uint8
        """
        check_is_fitted(self)
        if not isinstance(packed, (bool, np.bool_)):
            raise TypeError(f"packed must be True or False, got {packed!r}")
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)
        m = self.n_components
        out = np.empty((X.shape[0], (m + 7) // 8 if packed else m), dtype=np.uint8 if packed else np.int8)
        for start, stop in _chunks(X.shape[0], max(m, X.shape[1])):
            pos = self._project_rows(X, start, stop) >= 0
            out[start:stop] = np.packbits(pos, axis=1) if packed else np.where(pos, 1, -1)
        return out

    def _words(self, codes, name):
        """Codes (int8 ±1 or packed uint8) -> rows of uint64 words (zero padding bits)."""
        arr, single = _as_2d(codes, name)
        m = self.n_components
        if arr.dtype == np.uint8:
            packed = _check_packed(arr, name, m)
        else:
            packed = np.packbits(_check_pm1(arr, name, m) > 0, axis=1)
        nbytes = packed.shape[1]
        pad = (-nbytes) % 8
        if pad:
            packed = np.concatenate([packed, np.zeros((packed.shape[0], pad), np.uint8)], axis=1)
        return np.ascontiguousarray(packed).view(np.uint64), single

    def _pairwise_words(self, A, B, metric):
        out = np.empty((A.shape[0], B.shape[0]), dtype=np.uint64)
        _hamming_kernel(A, B, out)
        out = out.astype(np.float64)
        if metric == "angle":
            out *= math.pi / self.n_components
        return out

    def distance(self, codes_a, codes_b, metric="hamming"):
        """Hamming distances (or angle estimates ``pi d_H / m``) between paired codes.

        Parameters
        ----------
        codes_a, codes_b : ndarray, int8 ±1 or packed uint8 (1-D for one code)
        metric : {"hamming", "angle"}

        Returns
        -------
        float or ndarray of shape (k,)
        """
        check_is_fitted(self)
        _check_metric(metric, ("hamming", "angle"))
        A, sa = self._words(codes_a, "codes_a")
        B, sb = self._words(codes_b, "codes_b")
        if A.shape[0] != B.shape[0] and 1 not in (A.shape[0], B.shape[0]):
            raise ValueError(f"codes_a and codes_b must have the same number of rows (or one row), "
                             f"got {A.shape[0]} and {B.shape[0]}")
        bits = np.unpackbits((A ^ B).view(np.uint8), axis=1).sum(axis=1).astype(np.float64)
        if metric == "angle":
            bits *= math.pi / self.n_components
        return float(bits[0]) if (sa and sb) else bits

    def pairwise_distances(self, codes, other=None, metric="hamming"):
        """Hamming (or angle) distance matrix, popcount on 64-bit words (numba, parallel).

        Returns
        -------
        ndarray of shape (n_a, n_b), float64
        """
        check_is_fitted(self)
        _check_metric(metric, ("hamming", "angle"))
        A, _ = self._words(codes, "codes")
        B = A if other is None else self._words(other, "other")[0]
        return self._pairwise_words(A, B, metric)

    def kneighbors(self, codes, n_neighbors=10, database=None, metric="hamming", return_distance=True):
        """Nearest neighbours in Hamming distance (see :meth:`FastBinaryEmbedding.kneighbors`)."""
        check_is_fitted(self)
        _check_metric(metric, ("hamming", "angle"))
        Q, _ = self._words(codes, "codes")
        B = Q if database is None else self._words(database, "database")[0]
        return _kneighbors(lambda a, b: self._pairwise_words(a, b, metric), Q, B, n_neighbors,
                           database is None, return_distance)
