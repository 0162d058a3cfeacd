r"""Quantized random Fourier features: ΣΔ and distributed noise shaping.

Zhang, Kannan, Cloninger, Saab (2024).

Random Fourier features (RFF) :math:`z(x) = \cos(W^T x + \xi) \in [-1, 1]^m` with
:math:`W_{:j} \sim N(0, 2\gamma I)` and :math:`\xi_j \sim U[0, 2\pi)` satisfy
:math:`\mathbb{E}\,\tfrac{2}{m}\langle z(x), z(y)\rangle = k(x, y) = e^{-\gamma\|x - y\|^2}`.
:class:`QuantizedRFF` quantizes each sample's ``m`` features with a noise-shaping quantizer
(greedy or stable one-bit ΣΔ, distributed beta noise shaping) or a memoryless baseline (MSQ,
stochastic rounding "StocQ") on the normalized alphabet with ``levels = 2K`` values spanning
[-1, 1], and condenses the result with :math:`V = \sqrt{2/p}\,(I_p \otimes v^T)/\|v\|_2`, so
that :math:`\langle V Q(z(x)), V Q(z(y))\rangle \approx k(x, y)`. The integer codes can be
stored compactly (:meth:`QuantizedRFF.pack`): for ΣΔ the condensed block sums are integers
and cost about :math:`(m/\lambda)\log_2(\lambda(2K - 1) + 1)` bits per sample.

:func:`kernel_approximation` evaluates the kernel estimators of the paper: fully quantized,
semi-quantized (one side 1-bit, unbiased), StocQ, the biased fully 1-bit estimator and the
unquantized RFF baseline.

Examples
--------
>>> import numpy as np
>>> from cstoolbox.rff import QuantizedRFF
>>> X = np.random.default_rng(0).standard_normal((5, 3))
>>> qrff = QuantizedRFF(n_components=4000, gamma=0.1, levels=4, random_state=0).fit(X)
>>> F = qrff.transform(X)                 # condensed features, (5, 2000) for block_length 2
>>> F.shape, qrff.bits_per_sample_
((5, 2000), 5824)
>>> K_true = np.exp(-0.1 * ((X[:, None] - X[None]) ** 2).sum(-1))
>>> off = ~np.eye(5, dtype=bool)          # the diagonal also carries the quantization-noise energy
>>> bool(np.abs(F @ F.T - K_true)[off].max() < 0.06)
True
"""
import math
import numbers
import warnings

import numba
import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_is_fitted, validate_data

from ._jit import njit, prange
from .backend import check_random_state
from .exceptions import QuantizerInstabilityWarning

__all__ = ["QuantizedRFF", "kernel_approximation", "rff_bits_per_sample", "ESTIMATORS", "METHODS"]

METHODS = ("sigma_delta", "beta", "msq", "stochastic")
ESTIMATORS = ("quantized", "semi", "stocq", "one_bit", "rff")

# Paper defaults (Zhang et al. 2024, Section 6): lambda = 2 for r = 1, 3 for r = 2 (and r(t-1)+1
# with t = 2 in general), beta = 1.5 with lambda = 4, no condensation for the memoryless baselines.
_DEFAULT_BETA = 1.5
_DEFAULT_BETA_BLOCK = 4
_CHUNK_ELEMENTS = 1 << 21          # rows per chunk = this // n_components (16 MiB of float64)


def _quantizers():
    """The core quantizers module (imported lazily, on first use)."""
    from . import quantizers
    return quantizers


class _blas_single_thread:
    """Context manager: BLAS limited to one thread while active (no-op when ``active`` is false
    or threadpoolctl is missing). Only multi-chunk inputs use it, where the 3 ms of
    ``threadpool_limits`` do not matter."""

    def __init__(self, active):
        self._ctx = None
        if active:
            try:
                from threadpoolctl import threadpool_limits
            except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
                return
            self._ctx = threadpool_limits(limits=1, user_api="blas")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._ctx is not None:
            self._ctx.restore_original_limits()
        return False


def _numba_threads():
    """numba's thread count for the calling thread (``numba.set_num_threads``)."""
    return numba.get_num_threads()


def _is_int(v):
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool)


# ---------------------------------------------------------------------------------------------
# mixed-radix packing of the condensed integers (N values per entry, g entries per uint64 word)
# ---------------------------------------------------------------------------------------------
def _radix_group(n_values):
    """Largest g with n_values**g <= 2**64 (entries per 64-bit word)."""
    if n_values <= 1:
        return 64
    g = int(64 // math.log2(n_values))
    while n_values ** (g + 1) <= 2 ** 64:
        g += 1
    while n_values ** g > 2 ** 64:
        g -= 1
    return max(g, 1)


@njit(parallel=True)
def _radix_pack(vals, n_values, group, n_words):  # pragma: no cover - numba
    n, p = vals.shape
    out = np.zeros((n, n_words), dtype=np.uint64)
    base = np.uint64(n_values)
    for i in prange(n):
        for w in range(n_words):
            acc = np.uint64(0)
            start = w * group
            stop = min(start + group, p)
            for j in range(stop - 1, start - 1, -1):
                acc = acc * base + np.uint64(vals[i, j])
            out[i, w] = acc
    return out


@njit(parallel=True)
def _radix_unpack(words, n_values, group, p):  # pragma: no cover - numba
    n, n_words = words.shape
    out = np.empty((n, p), dtype=np.int64)
    base = np.uint64(n_values)
    for i in prange(n):
        for w in range(n_words):
            acc = words[i, w]
            start = w * group
            stop = min(start + group, p)
            for j in range(start, stop):
                out[i, j] = np.int64(acc % base)
                acc = acc // base
    return out


@njit
def _condense_kernel(q, v, out):  # pragma: no cover - numba
    """out[i, b] = sum_j v[j] q[i, b*lam + j] (blockwise inner products).

    Serial on purpose: about 1 ns per input element, memory bound; transform() already works on
    row chunks, and a parallel version was slower on a shared (oversubscribed) machine.
    """
    n, p = out.shape
    lam = v.shape[0]
    if lam == 2:
        v0, v1 = v[0], v[1]
        for i in range(n):
            for b in range(p):
                out[i, b] = q[i, 2 * b] * v0 + q[i, 2 * b + 1] * v1
        return
    for i in range(n):
        for b in range(p):
            acc = q[i, b * lam] * v[0]
            for j in range(1, lam):
                acc += q[i, b * lam + j] * v[j]
            out[i, b] = acc


def rff_bits_per_sample(n_components, method="sigma_delta", order=1, levels=2, block_length=None):
    r"""Bits per sample of the stored codes, by the paper's formulas (information content).

    Parameters
    ----------
    n_components : int
        Number of random features ``m``.
    method : {"sigma_delta", "beta", "msq", "stochastic"}
    order : int
        ΣΔ order ``r`` (1 or 2 have formulas in the paper; others use ``log2`` of the count).
    levels : int
        Alphabet size ``2K``.
    block_length : int or None
        Condensation block length ``lambda`` (None: 1).

    Returns
    -------
    float
        StocQ, MSQ and beta: :math:`m \log_2(2K)`; ΣΔ r = 1:
        :math:`(m/\lambda)\log_2(\lambda(2K-1)+1)`; r = 2:
        :math:`(m/\lambda)(2\log_2(\lambda+1) + \log_2(2K-1) - 2)`.
        :attr:`QuantizedRFF.bits_per_sample_` is the (slightly larger) size that
        :meth:`QuantizedRFF.pack` actually stores.

    Examples
    --------
    >>> round(rff_bits_per_sample(3000, "sigma_delta", order=1, levels=2, block_length=2), 1)
    2377.4
    >>> rff_bits_per_sample(3000, "stochastic", levels=4)
    6000.0
    """
    lam = 1 if block_length is None else int(block_length)
    m, K = int(n_components), int(levels) // 2
    if method == "sigma_delta" and lam > 1:
        if order == 1:
            return (m / lam) * math.log2(lam * (2 * K - 1) + 1)
        if order == 2:
            return (m / lam) * (2 * math.log2(lam + 1) + math.log2(2 * K - 1) - 2)
        t = (lam - 1) // order + 1
        return (m / lam) * math.log2((2 * K - 1) * t ** order + 1)
    if method in ("msq", "stochastic") and lam > 1:
        return (m / lam) * math.log2(lam * (2 * K - 1) + 1)
    return m * math.log2(2 * K)


class QuantizedRFF(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    r"""Quantized, condensed random Fourier features for the Gaussian kernel (a transformer).

    Drop-in companion of :class:`sklearn.kernel_approximation.RBFSampler`: ``fit`` draws
    ``m = n_components`` frequencies and offsets; ``transform`` computes the features
    :math:`z = \cos(W^T x + \xi)`, quantizes them with a noise-shaping scheme and returns the
    ``p = m / block_length`` condensed features :math:`V Q(z)` whose inner products estimate
    :math:`k(x, y) = \exp(-\gamma \|x - y\|^2)`.

    Parameters
    ----------
    n_components : int, default 100
        Number of random features ``m`` (before condensation); a multiple of ``block_length``.
    gamma : float or "scale", default 1.0
        Kernel parameter; "scale" uses ``1 / (n_features * X.var())`` as in scikit-learn.
    method : {"sigma_delta", "beta", "msq", "stochastic"}, default "sigma_delta"
        Quantizer: greedy ΣΔ of order ``order`` (the stable one-bit DGK filter when
        ``levels == 2`` and ``order >= 2``), distributed beta noise shaping, memoryless
        nearest-level (MSQ) or unbiased stochastic rounding (StocQ).
    order : int in {1, 2, 3}, default 1
        ΣΔ order ``r`` (ignored by the other methods).
    levels : int, default 2
        Alphabet size ``2K`` (even >= 2); the alphabet is ``Alphabet.normalized(levels)``
        with step ``2/(2K-1)``, spanning [-1, 1]. ``levels=2`` is one bit.
    beta : float or None, default None
        Noise-shaping parameter of ``method="beta"``, in ``(1, levels)``; None means 1.5.
        Ignored by the other methods.
    block_length : int or None, default None
        Condensation block length ``lambda``. None: ``r(t-1)+1`` with ``t = 2`` for ΣΔ
        (2 for r = 1, 3 for r = 2), 4 for beta, 1 (no condensation) for MSQ / StocQ; when that
        does not divide ``n_components``, the largest admissible length that does (down to 1).
        ΣΔ of order r needs ``block_length = r(t-1)+1``.
    random_state : None, int or numpy.random.Generator, default None
        Seeds the frequencies, the offsets and (for ``method="stochastic"``) the 64-bit key of
        the counter-based rounding (see Notes).

    Attributes
    ----------
    random_weights_ : ndarray (n_features, n_components)
        Frequencies, columns :math:`\sim N(0, 2\gamma I)` (float32 when fitted on float32).
    random_offset_ : ndarray (n_components,)
        Offsets :math:`\xi \sim U[0, 2\pi)`.
    gamma_ : float
        The resolved kernel parameter.
    alphabet_ : cstoolbox.quantizers.Alphabet
    block_length_, beta_ : the resolved parameters (``beta_`` None unless method is "beta").
    input_scale_ : float
        Factor applied to ``z`` before quantizing: ``(2K - beta)/(2K - 1)`` for beta (brings
        the features inside the stability bound), 1 otherwise.
    condensation_vector_ : ndarray (block_length,)
        ``v`` of the condensation operator.
    stability_bound_ : float
        Largest ``||y||_inf`` for which the scheme's state is provably bounded (inf for MSQ /
        StocQ); a fit whose features (up to ``input_scale_``) exceed it warns.
    n_features_out_ : int
        ``p = n_components // block_length_``.
    bits_per_sample_ : int
        Bits per sample stored by :meth:`pack` (64-bit words of mixed-radix condensed
        integers; for beta / no condensation, bit-packed codes).
    n_features_in_, feature_names_in_ : as in scikit-learn.

    Raises
    ------
    ValueError
        At ``fit``, for an unknown ``method``, ``levels`` not even >= 2, ``order`` not in
        1..3, ``beta`` outside ``(1, levels)``, ``block_length`` not dividing
        ``n_components`` or not of the form ``order*(t-1)+1`` for ΣΔ, non-positive
        ``gamma`` or ``n_components``.

    Warns
    -----
    QuantizerInstabilityWarning
        At ``fit``, when the features can leave the scheme's stability bound (greedy ΣΔ of
        order >= 2 on the normalized alphabet; the one-bit DGK filters for ``|y| > 2 - ||h||_1``).

    Notes
    -----
    With the alphabet :math:`\mathcal{A} = \{\pm(2j-1)s/2\}_{j=1}^K`, :math:`s = 2/(2K-1)`,
    the schemes are (Zhang et al. 2024, Sections 2-4):

    * ΣΔ: :math:`z - q = D^r u`, condensation :math:`v` = coefficients of
      :math:`(1 + \dots + z^{t-1})^r` (:math:`\lambda = r(t-1)+1`);
    * beta: quantize :math:`c\,z` with :math:`c = (2K-\beta)/(2K-1)`,
      :math:`c z - q = (I_p \otimes H_\beta) u`, :math:`v = (\beta^{-1}, \dots, \beta^{-\lambda})`;
    * MSQ / StocQ: no noise shaping; ``block_length`` > 1 sums blocks (v = ones).

    The features are :math:`V Q(z)` with :math:`V = \sqrt{2/p}\,(I_p \otimes v^T)/(c\|v\|_2)`,
    so that :math:`\mathbb{E}\langle V z(x), V z(y)\rangle = k(x, y)`; the quantization error of
    the kernel decays like :math:`\lambda^{-r+1/2}` (ΣΔ) or :math:`\beta^{-\lambda}` (beta),
    while the condensed integers need only about :math:`p \log_2(\lambda(2K-1)+1)` bits (ΣΔ):
    error decays polynomially in ``m`` and exponentially in the bits spent.

    Estimates between distinct inputs are what the theory covers; the self inner product
    :math:`\|V Q(z(x))\|^2` also carries the energy of the quantization error (about +0.1 for
    levels = 4, block_length = 2), like StocQ's :math:`(2/m)\|Q(z(x))\|^2`.

    Stochastic rounding is counter based: the uniform of sample ``x`` and feature ``j`` is the
    ``j``-th output of SplitMix64 (Steele, Lea & Flood 2014) started from the seed
    ``mix64(key ^ mix64(h(x)))``, i.e. ``mix64(seed + (j + 1) G)`` with
    ``G = 0x9E3779B97F4A7C15`` and SplitMix64's finalizer ``mix64``, taking its top 53 bits
    (float64) or 24 bits (float32); ``key`` is a 64-bit integer drawn at ``fit`` from
    ``random_state`` and ``h(x)`` a 64-bit hash of the row's values (the sum mod 2^64 of
    ``mix64(mix64(bits(x_i)) ^ (i + 1) G)`` over its nonzero entries, so the dense and the CSR
    row hash alike). Hence a row gets the same codes alone or in any batch, in any order;
    distinct rows get (statistically) independent rounding, as the unbiasedness of StocQ
    requires; the same ``random_state`` gives the same answer; and no draws are stored (the
    uniforms are computed inside the fused kernel). Two identical rows are rounded
    identically, so their inner product carries the quantization-noise energy like the other
    schemes' self products; :func:`kernel_approximation` rounds its ``Y`` side with an
    independent stream, which keeps the StocQ estimate unbiased at ``x = y`` too.

    References
    ----------
    J. Zhang, H. Kannan, A. Cloninger, R. Saab, "Sigma-Delta and distributed noise-shaping
    quantization methods for random Fourier features", Information and Inference 13 (2024).
    A. Rahimi, B. Recht, "Random features for large-scale kernel machines", NIPS 2007.
    G. L. Steele Jr., D. Lea, C. H. Flood, "Fast splittable pseudorandom number generators",
    OOPSLA 2014 (SplitMix64; finalizer constants of S. Vigna's reference ``splitmix64.c``,
    https://prng.di.unimi.it/).

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.rff import QuantizedRFF
    >>> X = np.random.default_rng(1).standard_normal((4, 6)).astype(np.float32)
    >>> q = QuantizedRFF(n_components=64, gamma=0.5, order=1, random_state=0).fit(X)
    >>> F = q.transform(X)
    >>> F.shape, F.dtype, q.get_feature_names_out()[:2].tolist()
    ((4, 32), dtype('float32'), ['quantizedrff0', 'quantizedrff1'])
    >>> codes = q.transform_codes(X)          # integer codes in [0, levels), one per feature
    >>> codes.shape, codes.dtype
    ((4, 64), dtype('uint8'))
    >>> packed = q.pack(codes)                # compact storage: bits_per_sample_ / 8 bytes
    >>> packed.shape[1] * 8 == q.bits_per_sample_
    True
    >>> np.allclose(q.unpack(packed), q.features_from_codes(codes))
    True
    >>> np.allclose(F, q.unpack(packed))
    True
    """

    def __init__(self, n_components=100, *, gamma=1.0, method="sigma_delta", order=1, levels=2,
                 beta=None, block_length=None, random_state=None):
        self.n_components = n_components
        self.gamma = gamma
        self.method = method
        self.order = order
        self.levels = levels
        self.beta = beta
        self.block_length = block_length
        self.random_state = random_state

    # ------------------------------------------------------------------ parameter checks
    def _check_params(self):
        if not _is_int(self.n_components) or self.n_components < 1:
            raise ValueError(f"n_components must be a positive integer, got {self.n_components!r}")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        if not _is_int(self.levels) or self.levels < 2 or self.levels % 2:
            raise ValueError("levels must be an even integer >= 2 (the alphabet size 2K), "
                             f"got {self.levels!r}")
        if self.levels > 256:
            raise ValueError(f"levels must be <= 256 (codes are uint8), got {self.levels}")
        order = self.order
        if self.method == "sigma_delta" and (not _is_int(order) or order not in (1, 2, 3)):
            raise ValueError(f"order must be 1, 2 or 3 for method='sigma_delta', got {order!r}")
        beta = None
        if self.method == "beta":
            beta = _DEFAULT_BETA if self.beta is None else self.beta
            if (isinstance(beta, bool) or not isinstance(beta, numbers.Real)
                    or not math.isfinite(beta)):
                raise ValueError(f"beta must be a finite number in (1, levels), got {beta!r}")
            beta = float(beta)
            if not 1.0 < beta < self.levels:
                raise ValueError(
                    f"beta must lie in (1, levels) = (1, {self.levels}) so that the scaled "
                    f"features stay within the stability bound s(K - beta/2) > 0 and the "
                    f"error decays like beta^-lambda, got {beta}")
        lam = self.block_length
        if lam is None:
            # the paper's choice when it divides n_components, else the largest admissible one
            if self.method == "sigma_delta":
                candidates = [int(order) * t + 1 for t in (1, 0)]
            elif self.method == "beta":
                candidates = list(range(_DEFAULT_BETA_BLOCK, 0, -1))
            else:
                candidates = [1]
            lam = next(c for c in candidates if self.n_components % c == 0)
        elif not _is_int(lam) or lam < 1:
            raise ValueError(f"block_length must be a positive integer or None, got {lam!r}")
        lam = int(lam)
        if self.n_components % lam:
            raise ValueError(
                f"block_length={lam} must divide n_components={self.n_components}; use a "
                f"multiple of {lam} for n_components "
                f"(e.g. {lam * max(1, round(self.n_components / lam))})")
        if self.method == "sigma_delta" and (lam - 1) % order:
            raise ValueError(
                f"block_length={lam} is incompatible with order={order}: sigma-delta "
                f"condensation of order r needs block_length = r(t-1)+1, "
                f"e.g. {[order * t + 1 for t in range(1, 4)]}")
        return lam, beta

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None):
        """Draw the frequencies and offsets; resolve and check the quantizer parameters.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (used for ``n_features`` and ``gamma="scale"``).
        y : ignored

        Returns
        -------
        self
        """
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32])
        lam, beta = self._check_params()
        gamma = self.gamma
        if isinstance(gamma, str):
            if gamma != "scale":
                raise ValueError(f"gamma must be a positive float or 'scale', got {gamma!r}")
            var = (X.multiply(X).mean() - X.mean() ** 2) if sp.issparse(X) else X.var()
            gamma = 1.0 / (X.shape[1] * var) if var != 0 else 1.0
        elif isinstance(gamma, bool) or not isinstance(gamma, numbers.Real) or not (
                math.isfinite(gamma) and gamma > 0):
            raise ValueError(f"gamma must be a positive float or 'scale', got {gamma!r}")
        self.gamma_ = float(gamma)

        rng = check_random_state(self.random_state)
        m, d = int(self.n_components), X.shape[1]
        self.random_weights_ = math.sqrt(2.0 * self.gamma_) * rng.standard_normal((d, m))
        self.random_offset_ = rng.uniform(0.0, 2.0 * np.pi, size=m)
        if X.dtype == np.float32:
            self.random_weights_ = self.random_weights_.astype(np.float32)
            self.random_offset_ = self.random_offset_.astype(np.float32)
        # 64-bit key of the counter-based stochastic rounding (drawn for every method so that
        # the frequencies and offsets do not depend on the method)
        self._rounding_key = rng.integers(0, 2 ** 64, dtype=np.uint64, endpoint=False)

        qz = _quantizers()
        self.alphabet_ = qz.Alphabet.normalized(int(self.levels))
        K = self.alphabet_.K
        self.block_length_ = lam
        self.beta_ = beta
        self.input_scale_ = (2 * K - beta) / (2 * K - 1) if beta is not None else 1.0
        if self.method == "sigma_delta":
            v = qz.condensation_vector("sigma_delta", lam, order=int(self.order))
        elif self.method == "beta":
            v = qz.condensation_vector("beta", lam, beta=beta)
        else:
            v = np.ones(lam)
        self.condensation_vector_ = np.asarray(v, dtype=np.float64)
        p = m // lam
        self.n_features_out_ = p
        # V = sqrt(2/p) (I_p (x) v^T) / (c ||v||_2): one scaled vector applied blockwise
        self._v_scaled = self.condensation_vector_ * (
            math.sqrt(2.0 / p) / (np.linalg.norm(self.condensation_vector_) * self.input_scale_))
        self._setup_storage()
        self._check_stability()
        return self

    def _scheme(self):
        if self.method == "sigma_delta":
            return "one_bit_sigma_delta" if (self.levels == 2 and self.order > 1) else "sigma_delta"
        return self.method

    def _check_stability(self):
        qz = _quantizers()
        scheme = self._scheme()
        if scheme == "sigma_delta":
            bound = qz.stability_bound("sigma_delta", self.alphabet_, order=int(self.order))
        elif scheme == "one_bit_sigma_delta":
            bound = qz.stability_bound("one_bit_sigma_delta", self.alphabet_, order=int(self.order))
        elif scheme == "beta":
            bound = qz.stability_bound("beta", self.alphabet_, beta=self.beta_)
        else:
            bound = math.inf
        self.stability_bound_ = float(bound)
        reach = self.input_scale_          # |cos| <= 1, scaled for beta
        if reach > self.stability_bound_ * (1 + 1e-12):
            what = {"sigma_delta":
                    f"greedy sigma-delta of order {self.order} with levels={self.levels}",
                    "one_bit_sigma_delta":
                    f"one-bit sigma-delta (DGK filter) of order {self.order}",
                    "beta": f"beta noise shaping with beta={self.beta_}"}[scheme]
            warnings.warn(
                f"{what} is stable only for |y| <= {self.stability_bound_:.4g}, but random "
                f"Fourier features reach {reach:.4g}: the quantizer state may grow (the identity "
                f"y - q = D^r u still holds, the error bounds do not); order=1 and "
                f"method='beta' are stable on RFF inputs at every number of levels",
                QuantizerInstabilityWarning, stacklevel=3)

    def _setup_storage(self):
        v = self.condensation_vector_
        lam = self.block_length_
        integral = np.allclose(v, np.round(v)) and np.all(v > 0)
        if lam > 1 and integral:
            self._v_int = np.round(v).astype(np.int64)
            self._n_values = int((self.levels - 1) * self._v_int.sum() + 1)
            self._group = _radix_group(self._n_values)
            words = -(-self.n_features_out_ // self._group)
            self.bits_per_sample_ = 64 * words
        else:
            self._v_int = None
            self._n_values = None
            bits = self.alphabet_.bits
            self.bits_per_sample_ = 8 * (-(-self.n_components * bits // 8))

    @property
    def _n_features_out(self):
        """Number of output features (used by get_feature_names_out)."""
        return self.n_features_out_

    # ------------------------------------------------------------------ transforms
    def _chunks(self, n):
        rows = max(1, _CHUNK_ELEMENTS // max(1, int(self.n_components)))
        for start in range(0, n, rows):
            yield slice(start, min(n, start + rows))

    def _validate(self, X):
        check_is_fitted(self)
        return validate_data(self, X, accept_sparse="csr", reset=False,
                             dtype=[np.float64, np.float32])

    def _weights(self, dtype):
        W, b = self.random_weights_, self.random_offset_
        if W.dtype != dtype:
            W, b = W.astype(dtype), b.astype(dtype)
        return W, b

    @staticmethod
    def _product_blocks(Xc, W, dtype, out=None, offset=None, cos=True):
        """``X W`` of a chunk in blocks of ``LANES`` rows, transposed: array (blocks, m, LANES).

        Block ``b`` is ``(X[b L:(b+1) L] W)^T``, computed by BLAS as ``W^T X_b^T`` (the last
        block zero padded), so the fused kernel reads the features of neighbouring rows
        contiguously; every path (fused or not) uses this one product, hence the same bits.
        ``out``: an array of that shape to fill (else allocated). ``offset`` (m,): when given,
        ``cos(block + offset)`` is taken block by block right after each product (while the
        1-2 MiB block is still in the core's L2 cache), elementwise the same values as the
        whole-chunk ``z += b; cos(z)`` of :meth:`_cos_features_blocks` (``cos=False``: the
        offset only).
        """
        from ._rff_numba import LANES
        rows, m = Xc.shape[0], W.shape[1]
        nb = -(-rows // LANES)
        P = np.empty((nb, m, LANES), dtype=dtype) if out is None else out[:nb]
        Wt = W.T
        bcol = None if offset is None else offset[:, None]
        for blk in range(nb):
            Xb = Xc[blk * LANES:(blk + 1) * LANES]
            if sp.issparse(Xb):
                Pb = safe_sparse_dot(Xb, W)
                if sp.issparse(Pb):  # pragma: no cover - csr @ dense is dense
                    Pb = Pb.toarray()
                Pb = np.asarray(Pb, dtype=dtype).T
            elif Xb.shape[0] == LANES:
                Pb = None
                np.dot(Wt, Xb.T, out=P[blk])
            else:
                Pb = np.dot(Wt, Xb.T)
            if Pb is not None:
                P[blk, :, :Pb.shape[1]] = Pb
                P[blk, :, Pb.shape[1]:] = 0.0
            if bcol is not None:
                np.add(P[blk], bcol, out=P[blk])
                if cos:
                    np.cos(P[blk], out=P[blk])
        return P

    def _cos_features_blocks(self, Xc, dtype):
        """``cos(X W + xi)`` of a chunk in the blocked layout of :meth:`_product_blocks`."""
        W, b = self._weights(dtype)
        z = self._product_blocks(Xc, W, dtype)
        z += b[None, :, None]
        np.cos(z, out=z)
        return z

    def _cos_features(self, Xc, dtype):
        """Unnormalized features cos(X W + xi) of a chunk, in ``dtype``, shape (rows, m)."""
        from ._rff_numba import from_blocks
        z = np.empty((Xc.shape[0], int(self.n_components)), dtype=dtype)
        from_blocks(self._cos_features_blocks(Xc, dtype), z)
        return z

    def _row_seeds(self, Xc, key):
        """Per-row SplitMix64 seeds of stochastic rounding for a chunk (dense or CSR), uint64.

        ``mix64(key ^ mix64(h))`` with ``h`` the sum (mod 2^64) over the row's nonzero entries
        of ``mix64(mix64(bits(x_j)) ^ (j + 1) G)`` (cstoolbox._rff_numba): a function of the
        row's values only, so a row gets the same rounding in any batch (and as CSR or dense).
        """
        from . import _rff_numba as kern
        n = Xc.shape[0]
        h = np.empty(n, dtype=np.uint64)
        if sp.issparse(Xc):
            Xc = _canonical_csr(Xc)
            kern.row_hashes_csr(Xc.data, Xc.indices, Xc.indptr, h)
        else:
            kern.row_hashes_dense(np.ascontiguousarray(Xc), h)
        seeds = np.empty(n, dtype=np.uint64)
        kern.row_seeds(np.uint64(key), h, seeds)
        return seeds

    def _quantize(self, z, uniforms, return_codes):
        """Quantize a chunk of raw features along axis -1: (q, codes or None).

        ``uniforms`` (same shape as ``z``): the draws of stochastic rounding (else unused)."""
        qz = _quantizers()
        a = self.alphabet_
        scheme = self._scheme()
        if self.input_scale_ != 1.0:
            z *= z.dtype.type(self.input_scale_)
        if scheme == "sigma_delta":
            out = qz.sigma_delta(z, order=int(self.order), alphabet=a, return_codes=return_codes,
                                 warn=False)
        elif scheme == "one_bit_sigma_delta":
            out = qz.one_bit_sigma_delta(z, order=int(self.order), return_codes=return_codes,
                                         warn=False)
        elif scheme == "beta":
            out = qz.beta_encode(z, self.beta_, block_length=self.block_length_, alphabet=a,
                                 return_codes=return_codes, warn=False)
        elif scheme == "msq":
            out = qz.msq(z, a, return_codes=return_codes)
        else:
            # the core's rounding kernel (the one behind stochastic_round) on our uniforms
            from .quantizers import _kernels_numba as core
            y1 = np.ascontiguousarray(z).reshape(-1)
            q = np.empty_like(y1)
            codes = np.empty(y1.shape[0], dtype=np.int64)
            core.launch_flat("stochastic", y1, np.ascontiguousarray(uniforms).reshape(-1),
                             float(a.step), float(a.K), q, codes, True)
            q = q.reshape(z.shape)
            out = (q, codes.reshape(z.shape)) if return_codes else q
        if return_codes:
            return out[0], out[1]
        return out, None

    def _condense(self, q, out):
        """out = V q for a chunk (blockwise inner product with the scaled vector)."""
        v = self._v_scaled.astype(out.dtype)
        if self.block_length_ == 1:
            np.multiply(q, v[0], out=out)
        else:
            _condense_kernel(np.ascontiguousarray(q, dtype=out.dtype), v, out)

    def _fused_setup(self):
        """Scheme id and parameters of the fused kernel (cstoolbox._rff_numba)."""
        from . import _rff_numba
        qz = _quantizers()
        scheme = self._scheme()
        coefs = np.zeros(1)
        taps = np.zeros(1, dtype=np.int64)
        if scheme == "sigma_delta":
            key = {1: "sd1", 2: "sd2", 3: "sd3"}[int(self.order)]
            if key == "sd3":
                coefs = np.array([(-1) ** (j - 1) * math.comb(3, j) for j in (1, 2, 3)],
                                 dtype=np.float64)
        elif scheme == "one_bit_sigma_delta":
            key = "dgk"
            taps, coefs = qz.one_bit_sigma_delta_filter(int(self.order))
            taps = np.ascontiguousarray(taps, dtype=np.int64)
            coefs = np.ascontiguousarray(coefs, dtype=np.float64)
        else:
            key = scheme
        return _rff_numba, _rff_numba.SCHEMES[key], coefs, taps

    def _side_key(self, side):
        """Rounding key of one side of a kernel estimate: side 0 is ``transform``'s; side 1 an
        independent stream (``mix64(key ^ pi digits)``), so that StocQ rounds x and y
        independently even when they are the same row."""
        key = np.uint64(self._rounding_key)
        if side == 0:
            return key
        return _mix64_numpy(np.array([key ^ np.uint64(0x243F6A8885A308D3)]))[0]

    def _transform_side(self, X, side, raw=False):
        """:meth:`transform` (or, ``raw=True``, :meth:`transform_features`) with the rounding
        stream of ``side`` (:meth:`_side_key`); the same as ``transform`` for side 0 and for
        the deterministic methods."""
        if raw:
            Z = np.asarray(X)
            dtype = np.float32 if Z.dtype == np.float32 else np.float64
            return self._run(Z, dtype, raw=True, want_out=True, want_codes=False,
                             key=self._side_key(side))[0]
        X = self._validate(X)
        dtype = np.float32 if X.dtype == np.float32 else np.float64
        return self._run(X, dtype, raw=False, want_out=True, want_codes=False,
                         key=self._side_key(side))[0]

    def _run(self, X, dtype, raw, want_out, want_codes, key=None):
        """Features and/or codes of X (raw=False) or of raw features Z (raw=True), in row chunks.

        One fused pass per chunk (cstoolbox._rff_numba.quantize_condense) on the BLAS product
        ``X W`` (float64: offset and cos in the kernel; float32: NumPy's SIMD cos first), giving
        the same bits as ``cos(XW + xi)`` -> core quantizer -> condensation.
        """
        kern, scheme, coefs, taps = self._fused_setup()
        n, m = X.shape[0], int(self.n_components)
        out = np.empty((n, self.n_features_out_) if want_out else (0, 0), dtype=dtype)
        codes = np.empty((n, m) if want_codes else (0, 0), dtype=np.uint8)
        W, b = self._weights(dtype)
        v = self._v_scaled.astype(dtype)
        scale = np.array([self.input_scale_], dtype=dtype)
        fuse_cos = (not raw) and dtype == np.float64
        stochastic = self.method == "stochastic"
        ubits = 24 if dtype == np.float32 else 53
        key = self._rounding_key if key is None else key
        chunks = list(self._chunks(n))
        pipelined = len(chunks) > 1 and _numba_threads() >= 2
        args = (dtype, raw, fuse_cos, W, b, v, scale, scheme, coefs, taps, stochastic, ubits, key,
                kern, out, codes, want_out, want_codes)
        # Multi-chunk inputs run BLAS single-threaded (threadpoolctl, restored afterwards):
        # (1) OpenBLAS's float32 GEMM gives other bits with one thread than with several (4 % of
        # the values of this product differ in the last place; float64 agrees), and a
        # multi-chunk transform has always used the single-threaded bits, which the codes of
        # every measured figure come from; (2) short BLAS calls (one per 128-row block) between
        # long numba passes leave OpenBLAS's idle workers spinning through every pass (measured:
        # about one core of CPU time, taken from the kernel's own threads).
        with _blas_single_thread(len(chunks) > 1):
            if pipelined:
                self._run_pipelined(X, chunks, args)
            elif not fuse_cos and _numba_threads() < 2:
                # one thread: product, offset, cos and kernel block by block (in the L2 cache)
                buf = np.empty((1, m, kern.LANES), dtype=dtype)
                for start in range(0, n, kern.LANES):
                    sl = slice(start, min(n, start + kern.LANES))
                    P, seeds = self._chunk_input(X, sl, *args[:-5], buf=buf)
                    self._check_bad(kern.quantize_condense_serial(
                        P, sl.stop - sl.start, *self._kernel_args(sl, seeds, *args)))
            else:
                for sl in chunks:
                    P, seeds = self._chunk_input(X, sl, *args[:-5])
                    self._check_bad(kern.launch(P, sl.stop - sl.start,
                                                *self._kernel_args(sl, seeds, *args)))
        return out, codes

    def _run_pipelined(self, X, chunks, args):
        """Two-stage pipeline over the chunks (>= 2 numba threads), double buffered: the
        calling thread computes the product (float32: plus the offset) of chunk k + 1 while
        ``numba threads - 1`` worker threads run the serial fused kernel (numba, GIL released)
        on the blocks of chunk k (float32: after NumPy's cosine of the block, while it is in
        the core's cache; float64: the kernel takes the cosine). The calling thread then helps with the blocks of chunk k that
        are left (taking them from the end), so the stages balance themselves whatever their
        costs (float32, n = 1e5, d = 64, m = 2048, one thread: BLAS + offset 0.4 s, cos
        0.16 s, kernel 0.2-0.3 s) and whatever else the machine runs."""
        import threading
        from concurrent.futures import ThreadPoolExecutor

        kern = args[13]
        numpy_cos = not (args[1] or args[2])      # float32 product: NumPy's cos in the workers
        workers = max(1, _numba_threads() - 1)
        m = int(self.n_components)
        L = kern.LANES
        rows_max = max(sl.stop - sl.start for sl in chunks)
        bufs = [np.empty((-(-rows_max // L), m, L), dtype=args[0]) for _ in range(2)]

        class Cursor:
            """The blocks of one chunk not yet taken: workers take from the front, the calling
            thread from the back."""

            def __init__(self, nb):
                self.lo, self.hi, self.lock = 0, nb, threading.Lock()

            def take(self, front):
                with self.lock:
                    if self.lo >= self.hi:
                        return -1
                    if front:
                        self.lo += 1
                        return self.lo - 1
                    self.hi -= 1
                    return self.hi

        def run_blocks(job, front):
            P, rows, kargs, cursor = job
            head, (seeds, ubits, v, out, codes, want_out, want_codes) = kargs[:9], kargs[9:]
            bad = False
            while True:
                blk = cursor.take(front)
                if blk < 0:
                    return bad
                r0 = blk * L
                nr = min(L, rows - r0)
                if numpy_cos:
                    np.cos(P[blk], out=P[blk])
                bad |= kern.quantize_condense_serial(
                    P[blk:blk + 1], nr, *head, seeds[r0:r0 + nr] if seeds.size else seeds, ubits,
                    v, out[r0:r0 + nr] if want_out else out,
                    codes[r0:r0 + nr] if want_codes else codes, want_out, want_codes)

        def finish(job, futures):
            bad = run_blocks(job, False)          # help with what the workers have not taken
            for f in futures:
                bad |= f.result()
            self._check_bad(bad)

        with ThreadPoolExecutor(max_workers=workers) as pool:
            prev = None
            for c, sl in enumerate(chunks):
                P, seeds = self._chunk_input(X, sl, *args[:-5], buf=bufs[c % 2], cos=False)
                if prev is not None:
                    finish(*prev)
                rows = sl.stop - sl.start
                job = (P, rows, self._kernel_args(sl, seeds, *args), Cursor(-(-rows // L)))
                prev = (job, [pool.submit(run_blocks, job, True) for _ in range(workers)])
            finish(*prev)

    def _chunk_input(self, X, sl, dtype, raw, fuse_cos, W, b, v, scale, scheme, coefs, taps,
                     stochastic, ubits, key, buf=None, cos=True):
        """The kernel's input for one chunk: the blocked product (float64: the kernel adds the
        offset and takes the cosine), ``cos(XW + xi)`` (float32) or the blocked raw features,
        and the per-row seeds of stochastic rounding. ``cos=False``: float32 without the
        cosine (``XW + xi`` only; the pipeline's worker takes it)."""
        from . import _rff_numba as kern
        rows = sl.stop - sl.start
        if raw:
            Zc = np.ascontiguousarray(X[sl], dtype=dtype)
            nb = -(-rows // kern.LANES)
            P = (np.empty((nb, Zc.shape[1], kern.LANES), dtype=dtype) if buf is None
                 else buf[:nb])
            kern.to_blocks(Zc, P)
        elif fuse_cos:
            P = self._product_blocks(X[sl], W, dtype, out=buf)
        else:
            P = self._product_blocks(X[sl], W, dtype, out=buf, offset=b, cos=cos)
        seeds = self._row_seeds(X[sl], key) if stochastic else np.zeros(0, dtype=np.uint64)
        return P, seeds

    def _kernel_args(self, sl, seeds, dtype, raw, fuse_cos, W, b, v, scale, scheme, coefs, taps,
                     stochastic, ubits, key, kern, out, codes, want_out, want_codes):
        """Arguments of ``_rff_numba.launch`` after ``(P, rows)`` for the chunk ``sl``."""
        a = self.alphabet_
        return (b, fuse_cos, scale, scheme, float(a.step), float(a.K), float(self.beta_ or 0.0),
                coefs, taps, seeds, ubits, v, out[sl] if want_out else out,
                codes[sl] if want_codes else codes, want_out, want_codes)

    def _check_bad(self, bad):
        if bad:
            raise FloatingPointError(
                f"QuantizedRFF ({self.method}, order {self.order}, levels {self.levels}): the "
                "quantizer state overflowed to inf/NaN; the recursion is unstable for these "
                "features (see stability_bound_), so no meaningful output exists. Use more "
                "levels, a lower order, method='beta' or the stable one-bit filters "
                "(levels=2).")

    def transform(self, X):
        """Quantized, condensed random Fourier features.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_features_out_)
            :math:`V Q(z(x))` for each row; float32 for float32 input, else float64.

        Notes
        -----
        Computed chunk by chunk: the BLAS product ``X W`` of a chunk, then one fused pass
        (offset, cos, quantization, condensation) that writes the condensed features directly;
        the result is bit-for-bit that of ``cos(XW + xi)`` quantized by the core quantizer of
        :mod:`cstoolbox.quantizers` and condensed (``_transform_reference``, kept for the tests).
        The kernel uses numba's threads (``numba.set_num_threads``) for large chunks. An input
        spanning several chunks runs as a pipeline: the calling thread computes the product of
        the next chunk while worker threads run the fused pass on the current one. Meanwhile
        BLAS is limited to one thread (threadpoolctl, process-wide; restored afterwards),
        because idle BLAS workers would otherwise spin through the kernel passes and because
        OpenBLAS's float32 product has other last bits with several threads.
        """
        X = self._validate(X)
        dtype = np.float32 if X.dtype == np.float32 else np.float64
        return self._run(X, dtype, raw=False, want_out=True, want_codes=False)[0]

    def _transform_reference(self, X):
        """:meth:`transform` by the unfused path: ``raw_features``, core quantizer, condensation.

        Slower (the ``(n, n_components)`` feature and quantized arrays are materialized per
        chunk); kept as the reference that the fused kernel is tested against.
        """
        X = self._validate(X)
        dtype = np.float32 if X.dtype == np.float32 else np.float64
        n = X.shape[0]
        out = np.empty((n, self.n_features_out_), dtype=dtype)
        for sl in self._chunks(n):
            z = self._cos_features(X[sl], dtype)
            q, _ = self._quantize(z, self._uniforms_reference(X[sl], dtype), return_codes=False)
            self._condense(np.asarray(q, dtype=dtype), out[sl])
        return out

    def transform_features(self, Z):
        """Quantize and condense precomputed raw features ``Z = cos(X W + xi)``.

        Lets several schemes that share ``random_state`` (hence the same frequencies) reuse one
        feature computation; ``transform(X)`` equals ``transform_features(raw_features(X))``
        (for ``method="stochastic"`` the rounding of a row is seeded by a hash of the row of
        ``Z`` instead of that of ``X``, so the two differ).

        Parameters
        ----------
        Z : ndarray of shape (n_samples, n_components), values in [-1, 1]

        Returns
        -------
        ndarray of shape (n_samples, n_features_out_), float32 for float32 ``Z``, else float64
        """
        check_is_fitted(self)
        Z = np.asarray(Z)
        if Z.ndim != 2 or Z.shape[1] != self.n_components:
            raise ValueError(f"Z must have shape (n_samples, {self.n_components}), got {Z.shape}")
        if Z.dtype.kind != "f":
            raise TypeError(f"Z must be a float array of raw features cos(XW + xi), "
                            f"got dtype {Z.dtype}")
        if not np.all(np.isfinite(Z)) or (Z.size and np.abs(Z).max() > 1.0 + 1e-6):
            raise ValueError("Z must hold finite raw features cos(XW + xi) in [-1, 1]")
        dtype = np.float32 if Z.dtype == np.float32 else np.float64
        return self._run(Z, dtype, raw=True, want_out=True, want_codes=False)[0]

    def raw_features(self, X):
        """Unnormalized, unquantized features ``cos(X W + xi)``, shape (n_samples, n_components).

        ``(2 / n_components) * raw_features(X) @ raw_features(Y).T`` is the RBFSampler estimate.
        """
        X = self._validate(X)
        dtype = np.float32 if X.dtype == np.float32 else np.float64
        return self._cos_features(X, dtype)

    def transform_codes(self, X):
        """Integer codes of the quantized features (before condensation).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of uint8, shape (n_samples, n_components)
            Index of each quantized value in ``alphabet_.values``.
        """
        X = self._validate(X)
        dtype = np.float32 if X.dtype == np.float32 else np.float64
        return self._run(X, dtype, raw=False, want_out=False, want_codes=True)[1]

    def _transform_codes_reference(self, X):
        """:meth:`transform_codes` by the unfused path (the core quantizers); the test reference."""
        X = self._validate(X)
        dtype = np.float32 if X.dtype == np.float32 else np.float64
        n = X.shape[0]
        codes = np.empty((n, int(self.n_components)), dtype=np.uint8)
        for sl in self._chunks(n):
            z = self._cos_features(X[sl], dtype)
            _, c = self._quantize(z, self._uniforms_reference(X[sl], dtype), return_codes=True)
            codes[sl] = c
        return codes

    def _uniforms_reference(self, Xc, dtype):
        """The uniforms of stochastic rounding for a chunk, computed independently of the fused
        kernel (NumPy, :func:`_uniforms_numpy`); None for the other methods."""
        if self.method != "stochastic":
            return None
        return _uniforms_numpy(self._rounding_key, Xc, int(self.n_components),
                               24 if dtype == np.float32 else 53)

    def _check_codes(self, codes):
        check_is_fitted(self)
        codes = np.asarray(codes)
        if codes.ndim != 2 or codes.shape[1] != self.n_components:
            raise ValueError(f"codes must have shape (n_samples, {self.n_components}), "
                             f"got {codes.shape}")
        if codes.dtype.kind not in "iu":
            raise TypeError(f"codes must be integers in [0, {self.levels}), "
                            f"got dtype {codes.dtype}")
        if codes.size and (codes.min() < 0 or codes.max() >= self.levels):
            raise ValueError(f"codes must lie in [0, {self.levels}), got values in "
                             f"[{codes.min()}, {codes.max()}]")
        return codes

    def features_from_codes(self, codes, dtype=np.float64):
        """Condensed features ``V Q`` from stored codes (equals :meth:`transform` up to rounding).

        Parameters
        ----------
        codes : ndarray of int, shape (n_samples, n_components)
        dtype : float dtype of the result

        Returns
        -------
        ndarray of shape (n_samples, n_features_out_)
        """
        codes = self._check_codes(codes)
        q = self.alphabet_.values.astype(dtype)[codes]
        out = np.empty((codes.shape[0], self.n_features_out_), dtype=dtype)
        self._condense(q, out)
        return out

    def pack(self, codes):
        """Compact storage of what the condensed features need: ``bits_per_sample_`` bits a row.

        For integer condensation vectors (ΣΔ, and MSQ / StocQ with ``block_length > 1``) the block
        sums ``v^T c`` (``(levels-1) sum(v) + 1`` possible values) are stored in mixed radix,
        ``g`` per 64-bit word; otherwise the codes are bit-packed
        (:func:`cstoolbox.quantizers.pack_codes`).

        Parameters
        ----------
        codes : ndarray of int, shape (n_samples, n_components)
            From :meth:`transform_codes`.

        Returns
        -------
        ndarray of uint8, shape (n_samples, bits_per_sample_ // 8)
        """
        codes = self._check_codes(codes)
        n = codes.shape[0]
        if self._v_int is not None:
            blocks = codes.reshape(n, self.n_features_out_, self.block_length_)
            sums = blocks.astype(np.int64) @ self._v_int
            words = -(-self.n_features_out_ // self._group)
            packed = _radix_pack(np.ascontiguousarray(sums), self._n_values, self._group, words)
            return packed.astype("<u8", copy=False).view(np.uint8).reshape(n, -1)
        packed = _quantizers().pack_codes(codes, self.alphabet_.bits)
        packed = np.asarray(packed, dtype=np.uint8).reshape(n, -1)
        width = self.bits_per_sample_ // 8
        if packed.shape[1] != width:  # pragma: no cover - depends on the core's padding
            pad = np.zeros((n, max(0, width - packed.shape[1])), np.uint8)
            packed = np.concatenate([packed, pad], 1)[:, :width]
        return packed

    def unpack(self, packed, dtype=np.float64):
        """Condensed features from :meth:`pack` output (same as :meth:`features_from_codes`).

        Parameters
        ----------
        packed : ndarray of uint8, shape (n_samples, bits_per_sample_ // 8)
        dtype : float dtype of the result

        Returns
        -------
        ndarray of shape (n_samples, n_features_out_)
        """
        check_is_fitted(self)
        packed = np.asarray(packed)
        width = self.bits_per_sample_ // 8
        if packed.dtype != np.uint8 or packed.ndim != 2 or packed.shape[1] != width:
            raise ValueError(f"packed must be a uint8 array of shape (n_samples, {width}), "
                             f"got {packed.dtype} {packed.shape}")
        n = packed.shape[0]
        if self._v_int is not None:
            words = np.ascontiguousarray(packed).view("<u8").astype(np.uint64)
            sums = _radix_unpack(words, self._n_values, self._group, self.n_features_out_)
            if sums.size and sums.max() >= self._n_values:
                raise ValueError("packed data are corrupt: a stored block sum exceeds its range")
            # v^T q = s (v^T c) - s (levels-1)/2 sum(v), then the V scaling
            a = self.alphabet_
            vsum = float(self._v_int.sum())
            scale = math.sqrt(2.0 / self.n_features_out_) / (
                np.linalg.norm(self.condensation_vector_) * self.input_scale_)
            feats = (a.step * (sums - (self.levels - 1) / 2.0 * vsum)) * scale
            return feats.astype(dtype, copy=False)
        codes = _quantizers().unpack_codes(packed, int(self.n_components), self.alphabet_.bits)
        return self.features_from_codes(np.asarray(codes).reshape(n, -1), dtype=dtype)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


# ---------------------------------------------------------------------------------------------
# counter-based uniforms of stochastic rounding, NumPy version (the reference of the fused kernel)
# ---------------------------------------------------------------------------------------------
def _canonical_csr(Xc):
    """CSR without duplicate entries (summed; a copy only when needed)."""
    Xc = sp.csr_matrix(Xc)
    if not Xc.has_canonical_format:
        Xc = Xc.copy()
        Xc.sum_duplicates()
    return Xc


def _mix64_numpy(z):
    """SplitMix64's finalizer on a uint64 array (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _uniforms_numpy(key, Xc, m, bits):
    """Uniforms ``u[r, i]`` in [0, 1) with ``bits`` bits of stochastic rounding for the rows of
    ``Xc`` (dense or CSR): ``mix64(seed_r + (i + 1) G) >> (64 - bits)``, seed and row hash as in
    :meth:`QuantizedRFF._row_seeds` (NumPy, written independently of the numba kernel)."""
    G = np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        if sp.issparse(Xc):
            Xc = _canonical_csr(Xc)
            vals = Xc.data.astype(np.float64)
            cols = Xc.indices.astype(np.uint64)
            rows = np.repeat(np.arange(Xc.shape[0]), np.diff(Xc.indptr))
        else:
            dense = np.asarray(Xc, dtype=np.float64)
            rows, cols = np.nonzero(dense)
            vals = dense[rows, cols]
            cols = cols.astype(np.uint64)
        keep = vals != 0
        vals, cols, rows = vals[keep], cols[keep], rows[keep]
        eh = _mix64_numpy(_mix64_numpy(vals.view(np.uint64)) ^ ((cols + np.uint64(1)) * G))
        h = np.zeros(Xc.shape[0], dtype=np.uint64)
        np.add.at(h, rows, eh)
        seeds = _mix64_numpy(np.uint64(key) ^ _mix64_numpy(h))
        ctr = (np.arange(1, m + 1, dtype=np.uint64) * G)[None, :]
        u = _mix64_numpy(seeds[:, None] + ctr) >> np.uint64(64 - bits)
    return u.astype(np.float64) * (1.0 / float(1 << bits))


# ---------------------------------------------------------------------------------------------
# kernel estimators
# ---------------------------------------------------------------------------------------------
def _pair_products(A, B, paired):
    if paired:
        if A.shape[0] != B.shape[0]:
            raise ValueError(f"paired=True needs X and Y with the same number of rows, got "
                             f"{A.shape[0]} and {B.shape[0]}")
        return np.einsum("ij,ij->i", A, B)
    return A @ B.T


def kernel_approximation(X, Y=None, *, estimator="quantized", transformer=None, paired=False,
                         **params):
    r"""Estimate the Gaussian kernel between the rows of X and Y from (quantized) random features.

    Parameters
    ----------
    X : array-like of shape (n_x, d)
    Y : array-like of shape (n_y, d) or None
        None: ``Y = X`` (the diagonal then uses the same quantized codes on both sides).
    estimator : {"quantized", "semi", "stocq", "one_bit", "rff"}, default "quantized"
        * "quantized": :math:`\langle V Q(z(x)), V Q(z(y))\rangle` (fully quantized; the scheme
          of ``transformer`` / ``params``);
        * "semi": :math:`\tfrac{\pi}{2m}\langle \mathrm{sign}\, z(x), z(y)\rangle` (X side 1-bit,
          Y side unquantized; unbiased);
        * "stocq": :math:`\tfrac{2}{m}\langle Q(z(x)), Q'(z(y))\rangle` with stochastic rounding on
          ``levels`` levels, X and Y rounded with independent streams (so unbiased for every
          pair, ``x = y`` included; with ``Y=None`` the diagonal reuses the same codes);
        * "one_bit": :math:`\tfrac{1}{m}\langle \mathrm{sign}\, z(x), \mathrm{sign}\, z(y)\rangle`,
          the naive fully 1-bit estimator, biased: its mean is
          :math:`(8/\pi^2)\sum_{j\ \mathrm{odd}} k(x, y)^{j^2}/j^2`;
        * "rff": :math:`\tfrac{2}{m}\langle z(x), z(y)\rangle`, unquantized (RBFSampler).
    transformer : fitted QuantizedRFF or None
        Supplies the frequencies (and, for "quantized", the scheme). None: a
        ``QuantizedRFF(**params)`` is fitted on X.
    paired : bool, default False
        True: return the estimates for the row pairs ``(X[i], Y[i])`` only, shape (n,).
    **params
        Parameters of :class:`QuantizedRFF` (``n_components``, ``gamma``, ``method``, ``order``,
        ``levels``, ``beta``, ``block_length``, ``random_state``) when ``transformer`` is None.
        For "stocq" the method is forced to "stochastic" with ``block_length=1``.

    Returns
    -------
    ndarray of shape (n_x, n_y), or (n,) when ``paired``

    Raises
    ------
    ValueError
        Unknown estimator, mismatched shapes, or parameters given together with a transformer.

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.rff import kernel_approximation
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    >>> K = np.exp(-0.2 * ((X[:, None] - Y[None]) ** 2).sum(-1))
    >>> for est in ("rff", "semi", "stocq", "quantized"):
    ...     Kh = kernel_approximation(X, Y, estimator=est, n_components=20000, gamma=0.2,
    ...                               random_state=0)
    ...     print(est, bool(np.abs(Kh - K).max() < 0.06))
    rff True
    semi True
    stocq True
    quantized True
    """
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    if transformer is not None and params:
        raise ValueError(f"pass either a fitted transformer or QuantizedRFF parameters, not both "
                         f"(got {sorted(params)})")
    if transformer is None:
        if estimator == "stocq":
            params = {**params, "method": "stochastic", "block_length": 1}
        transformer = QuantizedRFF(**params).fit(X)
    elif estimator == "stocq" and (transformer.method != "stochastic"
                                   or transformer.block_length_ != 1):
        transformer = QuantizedRFF(**{**transformer.get_params(), "method": "stochastic",
                                      "block_length": 1}).fit(X)
    same = Y is None
    if estimator in ("quantized", "stocq"):
        if same:
            F = transformer.transform(X)
            return _pair_products(F, F, paired)
        FX = transformer.transform(X)
        # stochastic rounding: the Y side gets an independent stream (a row of Y equal to a row
        # of X is rounded independently of it), as the unbiasedness of StocQ requires
        FY = transformer._transform_side(Y, side=1)
        return _pair_products(FX, FY, paired)
    zx = transformer.raw_features(X)
    zy = zx if same else transformer.raw_features(Y)
    return _raw_estimate(zx, zy, estimator, paired)


def _raw_estimate(zx, zy, estimator, paired):
    """The "rff", "semi" and "one_bit" estimators from raw features cos(XW + xi) of both sides."""
    zx = np.asarray(zx, dtype=np.float64)
    zy = np.asarray(zy, dtype=np.float64)
    m = zx.shape[1]
    if estimator == "rff":
        return (2.0 / m) * _pair_products(zx, zy, paired)
    sx = np.where(zx >= 0, 1.0, -1.0)
    if estimator == "semi":
        return (np.pi / (2.0 * m)) * _pair_products(sx, zy, paired)
    if estimator == "one_bit":
        sy = np.where(zy >= 0, 1.0, -1.0)
        return (1.0 / m) * _pair_products(sx, sy, paired)
    raise ValueError(f"estimator must be 'rff', 'semi' or 'one_bit' here, got {estimator!r}")
