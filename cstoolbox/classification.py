r"""Simple classification using binary data (Needell, Saab, Woolf 2018) as a scikit-learn classifier.

Data points ``x`` (rows of ``X``) are seen only through their one-bit measurements ``q = sign(A x)``
(``A`` an ``m x n`` Gaussian matrix), or arrive already binarized. For every level ``l = 1..L`` and
every ``i = 1..m`` an index set ``t`` of ``l`` measurements is fixed (level 1: measurement ``i``; level
``l``: ``l`` distinct measurements drawn at random); the signs of a point on ``t`` form one of ``2^l``
patterns ``j``. Training counts, per class ``g``, how often each pattern occurs,

.. math:: P_{g|j} = \frac{\#\{\text{class-}g \text{ points with pattern } j\}}{\#\{\text{class-}g\text{ points}\}},

and turns the counts into membership indices

.. math:: r(l, i, j, g) = \frac{P_{g|j}}{\sum_k P_{k|j}} \cdot \frac{\sum_k |P_{g|j} - P_{k|j}|}{\sum_k P_{k|j}}

(0 when no training point has pattern ``j``). A new point with patterns ``j^*(l, i)`` gets the class
``argmax_g sum_{l, i} r(l, i, j^*, g)``. Training costs ``O(L m p)`` (pattern ids and one ``bincount`` per
level), prediction ``O(L m G)`` per point (a numba kernel, parallel over points).

References
----------
D. Needell, R. Saab, T. Woolf, "Simple classification using binary data", Journal of Machine Learning
Research 19(61), 2018.
"""
import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._jit import njit, prange
from .backend import check_random_state

__all__ = ["BinaryDataClassifier", "membership_index"]

_MAX_LEVELS = 20
_MAX_TABLE = 2 ** 27   # entries of the (m, 2^L, G) membership table of the top level (1 GiB of float64)


# ------------------------------------------------------------------------------------------- kernels
@njit(parallel=True)
def _pattern_ids(bits, index_sets, out):  # pragma: no cover - compiled
    """out[s, i] = sum_k bits[s, index_sets[i, k]] 2^k  (bits: uint8 0/1, (p, m))."""
    p = bits.shape[0]
    m, lev = index_sets.shape
    for s in prange(p):
        for i in range(m):
            v = 0
            for k in range(lev):
                v |= np.int64(bits[s, index_sets[i, k]]) << k
            out[s, i] = v


@njit(parallel=True)
def _accumulate_scores(bits, index_sets, membership, out):  # pragma: no cover - compiled
    """out[s, :] += sum_i membership[i, pattern(s, i), :]."""
    p = bits.shape[0]
    m, lev = index_sets.shape
    G = membership.shape[2]
    for s in prange(p):
        for i in range(m):
            v = 0
            for k in range(lev):
                v |= np.int64(bits[s, index_sets[i, k]]) << k
            for g in range(G):
                out[s, g] += membership[i, v, g]


def membership_index(P):
    r"""Membership indices ``r`` from class-conditional pattern frequencies ``P[..., g] = P_{g|j}``.

    ``r_g = (P_g / sum_k P_k) * (sum_k |P_g - P_k| / sum_k P_k)``, 0 where ``sum_k P_k = 0``.

    Parameters
    ----------
    P : (..., G) array
        Non-negative frequencies, last axis over the classes.

    Returns
    -------
    r : (..., G) ndarray

    Examples
    --------
    >>> membership_index(np.array([0.5, 0.25, 0.0]))
    array([0.66666667, 0.22222222, 0.        ])
    >>> membership_index(np.array([0.0, 0.0]))
    array([0., 0.])
    """
    P = np.asarray(P)
    if P.dtype.kind not in "biuf":
        raise TypeError(f"P must hold real frequencies, got dtype {P.dtype}")
    P = P.astype(np.float64)
    if P.ndim < 1 or P.shape[-1] < 1:
        raise ValueError(f"P must have shape (..., G) with G >= 1 classes, got {P.shape}")
    if not np.all(np.isfinite(P)) or np.any(P < 0):
        raise ValueError("P must hold finite, non-negative frequencies")
    G = P.shape[-1]
    S = P.sum(axis=-1, keepdims=True)
    # sum_k |P_g - P_k| through sorting: for the value of rank q in sorted order s_(0) <= ... <= s_(G-1),
    # the sum is s_(q) q - prefix_q + (total - prefix_{q+1}) - s_(q) (G - 1 - q).
    order = np.argsort(P, axis=-1, kind="stable")
    srt = np.take_along_axis(P, order, axis=-1)
    prefix = np.cumsum(srt, axis=-1)
    q = np.arange(G)
    before = prefix - srt
    after = S - prefix
    dev_sorted = srt * q - before + after - srt * (G - 1 - q)
    dev = np.empty_like(P)
    np.put_along_axis(dev, order, dev_sorted, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(S > 0, P * np.maximum(dev, 0.0) / np.where(S > 0, S * S, 1.0), 0.0)
    return r


def _draw_index_sets(rng, m, level):
    """(m, level) distinct indices per row; level 1 is the identity (row i uses measurement i)."""
    if level == 1:
        return np.arange(m, dtype=np.int64)[:, None]
    T = rng.integers(0, m, size=(m, level))
    while True:
        srt = np.sort(T, axis=1)
        bad = np.flatnonzero(np.any(srt[:, 1:] == srt[:, :-1], axis=1))
        if bad.size == 0:
            return T.astype(np.int64)
        T[bad] = rng.integers(0, m, size=(bad.size, level))


def _check_int(value, name, low, high=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < low or (high is not None and value > high):
        allowed = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be {allowed}, got {value}")
    return int(value)


# ------------------------------------------------------------------------------------------- estimator
class BinaryDataClassifier(ClassifierMixin, BaseEstimator):
    r"""Needell–Saab–Woolf classifier on one-bit data ``sign(A x)``.

    Parameters
    ----------
    n_projections : int, default=100
        ``m``, the number of one-bit measurements ``sign(<a_i, x>)`` per point (rows of the Gaussian ``A``).
        Ignored when ``prebinarized=True`` (then ``m`` is the number of features).
    n_levels : int, default=2
        ``L``, the number of levels (level ``l`` looks at patterns of ``l`` bits; ``1 <= L <= min(m, 20)``).
    random_state : None, int or numpy.random.Generator, default=None
        Seeds ``A`` and the random index sets (drawn in :meth:`fit`).
    prebinarized : bool, default=False
        False: ``X`` holds raw real features and ``fit`` draws ``A`` (N(0, 1) entries), binarizing with
        ``sign(0) = +1``. True: ``X`` already holds ±1 bits (``m = n_features``).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (any sortable labels).
    projection_ : ndarray of shape (m, n_features) or None
        The Gaussian matrix ``A`` (None when prebinarized).
    index_sets_ : list of L int arrays of shape (m, l)
        The measurement indices of each (level, i).
    membership_ : list of L arrays of shape (m, 2^l, n_classes)
        ``r(l, i, j, g)``.
    class_counts_ : ndarray of shape (n_classes,)
        Training points per class.
    n_projections_ : int
        ``m`` actually used.
    n_features_in_ : int
        Number of features seen in fit.

    Notes
    -----
    See the module docstring for the membership index. Pattern ids are computed by a numba kernel and
    counted with one ``bincount`` per level over ``(i, j, g)``: training is ``O(L m p)`` for ``p`` points;
    memory ``O(m 2^L G)``. Scores (:meth:`decision_function`) are the sums ``sum_{l,i} r(l, i, j^*, g)``.

    References
    ----------
    D. Needell, R. Saab, T. Woolf, "Simple classification using binary data", JMLR 19(61), 2018.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> X, y = make_blobs(n_samples=200, centers=3, n_features=5, random_state=0)
    >>> clf = BinaryDataClassifier(n_projections=50, n_levels=2, random_state=0).fit(X, y)
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    def __init__(self, n_projections=100, n_levels=2, random_state=None, prebinarized=False):
        self.n_projections = n_projections
        self.n_levels = n_levels
        self.random_state = random_state
        self.prebinarized = prebinarized

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = not self.prebinarized
        return tags

    # -- helpers
    def _validate_X(self, X, reset, y="no_validation"):
        return validate_data(self, X, y, accept_sparse=False if self.prebinarized else "csr",
                             dtype=[np.float64, np.float32], reset=reset)

    def _bits(self, X):
        """uint8 0/1 bits (p, m): 1 for +1."""
        if self.prebinarized:
            ok = (X == 1) | (X == -1)
            if not np.all(ok):
                bad = np.unique(X[~ok])[:3]
                raise ValueError("prebinarized=True needs X with entries in {-1, +1}; "
                                 f"found {bad.tolist()}")
            return np.ascontiguousarray(X > 0, dtype=np.uint8)
        Z = X @ self.projection_.T.astype(X.dtype, copy=False)
        if sp.issparse(Z):  # pragma: no cover - X @ dense gives dense
            Z = Z.toarray()
        return np.ascontiguousarray(np.asarray(Z) >= 0, dtype=np.uint8)

    def fit(self, X, y):
        """Draw ``A`` (unless prebinarized) and the index sets, and count the patterns of each class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Raw data, or ±1 bits when ``prebinarized=True``.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self
        """
        if not isinstance(self.prebinarized, (bool, np.bool_)):
            raise TypeError(f"prebinarized must be a bool, got {self.prebinarized!r}")
        X, y = self._validate_X(X, True, y)
        check_classification_targets(y)
        L = _check_int(self.n_levels, "n_levels", 1, _MAX_LEVELS)
        rng = check_random_state(self.random_state)
        if self.prebinarized:
            m = X.shape[1]
            self.projection_ = None
        else:
            m = _check_int(self.n_projections, "n_projections", 1)
            self.projection_ = rng.standard_normal((m, X.shape[1]))
        if L > m:
            raise ValueError(f"n_levels must not exceed the number of measurements m = {m}, got {L}")
        self.n_projections_ = m
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        G = self.classes_.size
        table = m * (1 << L) * G
        if table > _MAX_TABLE:
            raise ValueError(f"n_levels={L} with m={m} measurements and {G} classes needs a membership table of "
                             f"{table:.3g} entries ({8 * table / 2**30:.1f} GiB per level); the limit is "
                             f"{_MAX_TABLE:.3g}: reduce n_levels or n_projections")
        self.class_counts_ = np.bincount(y_idx, minlength=G)
        bits = self._bits(X)
        p = bits.shape[0]
        self.index_sets_, self.membership_ = [], []
        ids = np.empty((p, m), dtype=np.int64)
        rows = np.arange(m, dtype=np.int64)[None, :]
        for level in range(1, L + 1):
            T = _draw_index_sets(rng, m, level)
            _pattern_ids(bits, T, ids)
            npat = 1 << level
            flat = ((rows * npat + ids) * G + y_idx[:, None]).ravel()
            counts = np.bincount(flat, minlength=m * npat * G).reshape(m, npat, G)
            P = counts / self.class_counts_
            self.index_sets_.append(T)
            self.membership_.append(membership_index(P))
        return self

    def _scores(self, X):
        check_is_fitted(self)
        X = self._validate_X(X, False)
        bits = self._bits(X)
        out = np.zeros((bits.shape[0], self.classes_.size))
        for T, R in zip(self.index_sets_, self.membership_):
            _accumulate_scores(bits, T, R, out)
        return out

    def decision_function(self, X):
        """Class scores ``sum_{l,i} r(l, i, j^*(x), g)``.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes
            (``score(classes_[1]) - score(classes_[0])``, positive for ``classes_[1]``).
        """
        S = self._scores(X)
        if S.shape[1] == 2:
            return S[:, 1] - S[:, 0]
        return S

    def predict(self, X):
        """``classes_[argmax_g score_g]`` (ties: the first class)."""
        S = self._scores(X)
        return self.classes_[np.argmax(S, axis=1)]
