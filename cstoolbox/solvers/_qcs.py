r"""Fast decoders for noise-shaped quantized compressed sensing.

The one-stage convex decoder of Saab, Wang and Yilmaz (and its beta analogue) is

.. math::

    \min_{z, w, \nu} \|z\|_1 \quad\text{s.t.}\quad A z - q = S w + \nu,\;
    \|w\|_p \le \text{bound},\; \|\nu\|_2 \le \text{noise},

with ``S`` the noise-shaping operator of the quantizer (``D^r`` for r-th order ΣΔ,
``I_p ⊗ H_beta`` for beta encoding, ``δ0 - h`` for the one-bit ΣΔ filters, ``I`` for MSQ).
``S`` is lower-triangular and banded (:class:`ShapingOperator`): it is applied, transposed and
inverted by O(m · bandwidth) recursions (numba, batched over columns) and never formed densely
(``D^-r`` has entries growing like ``m^(r-1)``).

Three algorithms, chosen by ``method`` in :func:`shaped_basis_pursuit`:

``"homotopy"`` (ℓ2 constraint, no noise variable)
    Eliminating ``w = S^-1 (A z - q)`` gives basis pursuit denoising with ``B = S^-1 A``,
    ``b = S^-1 q``.  We follow the exact Lasso homotopy path (LARS with sign changes) from
    ``λ = ||B^T b||_inf`` down to the point where ``||B z - b||_2 = bound``.  Each breakpoint
    costs one or two fast operator applications (``A^T``, plus ``A`` when a column enters) and
    banded solves; the active columns ``A_T`` and ``S^-1 A_T`` are kept densely (``m × |T|``).
    ``B`` has a condition number growing like ``m^r``: the residual is recomputed from
    ``S^-1 (q - A_T z_T)`` at every breakpoint (never ``b - B_T z_T``), and a Newton corrector
    keeps the iterate on the exact path (see :func:`_homotopy`).  The stop is verified by the
    KKT conditions (``||B^T ρ||_inf <= λ`` off the support, ``B_T^T ρ = λ sign(z_T)``) up to the
    correlations' round-off floor, so the result is the exact minimizer up to round-off.
``"lp"`` (ℓinf constraint, no noise variable)
    The problem is the linear program ``min ||z||_1 s.t. |B z - b| <= bound``.  Only about
    ``|T|`` of its ``2m`` inequalities are active at a vertex, so we solve it by row (and,
    when ``B`` is not formed, column) generation: a restricted LP (HiGHS, kept in one model and
    re-solved warm) on the current columns and rows, then a check of every row (primal
    feasibility) and every column (dual feasibility ``||B^T η||_inf <= 1`` with the LP's
    multipliers ``η``); violators are added until both certificates hold.  The first restricted
    problem comes from a dense primal-dual interior-point method on ``B`` (when ``m n`` is
    moderate: all columns and the rows of smallest slack at its nearly feasible iterate, so that
    usually a single LP solve certifies), or from the ℓ2 homotopy's support (matrix-free).
``"pdhg"`` (any constraint, with or without the noise variable)
    A first-order primal-dual (Chambolle–Pock) iteration on the split form ``K [z; w; ν] = q``
    with the dual step preconditioned by the banded matrix ``(τ_z c_A I + τ_w S S^T + τ_ν I)^-1``
    (Cholesky factor computed once; ``c_A >= ||A||^2``).  Each iteration costs one ``A`` and one
    ``A^T`` and O(m r) banded work.  Accurate to a few digits in a few thousand iterations; used
    when a noise variable is present.

References
----------
R. Saab, R. Wang, Ö. Yılmaz, "Quantization of compressive samples with stable and robust
recovery", Appl. Comput. Harmon. Anal. 44 (2018).
C. S. Güntürk, M. Lammers, A. Powell, R. Saab, Ö. Yılmaz, "Sobolev duals for random frames and
ΣΔ quantization of compressed sensing measurements", Found. Comput. Math. 13 (2013).
J. Feng, F. Krahmer, R. Saab, "Quantized compressed sensing for partial random circulant
matrices", Appl. Comput. Harmon. Anal. (2019).
E. Chou, C. S. Güntürk, "Distributed noise-shaping quantization: I. Beta duals of finite frames
and near-optimal quantization of random measurements", Constr. Approx. 44 (2016).
A. Chambolle, T. Pock, "A first-order primal-dual algorithm for convex problems with
applications to imaging", J. Math. Imaging Vis. 40 (2011).
"""
import functools
import math
import numbers
import time
import warnings

import numpy as np
import scipy.linalg as sla

from .._jit import njit, prange
from ..exceptions import ConditioningWarning
from ..operators import LinearOperator, aslinearoperator
from ._info import SolverInfo

__all__ = ["ShapingOperator", "shaped_basis_pursuit", "shaped_least_squares"]


# ------------------------------------------------------------------------------------------------
# banded lower-triangular (block) Toeplitz kernels, rows of x are independent signals.
# Serial on purpose: the decoders call them once or twice per iteration on a single column, where
# starting a thread pool costs more than the O(m b) work itself (prange acts as range here).
# ------------------------------------------------------------------------------------------------
@njit
def _shape_mul(x, c, block, out):  # pragma: no cover - compiled
    k, m = x.shape
    b = c.size - 1
    for s in prange(k):
        for i in range(m):
            lim = min(b, i - (i // block) * block)
            acc = 0.0
            for j in range(lim + 1):
                acc += c[j] * x[s, i - j]
            out[s, i] = acc


@njit
def _shape_mul_t(x, c, block, out):  # pragma: no cover - compiled
    k, m = x.shape
    b = c.size - 1
    for s in prange(k):
        for i in range(m):
            end = min(m, (i // block + 1) * block)
            lim = min(b, end - 1 - i)
            acc = 0.0
            for j in range(lim + 1):
                acc += c[j] * x[s, i + j]
            out[s, i] = acc


@njit
def _shape_solve(v, c, block, out):  # pragma: no cover - compiled
    k, m = v.shape
    b = c.size - 1
    inv0 = 1.0 / c[0]
    for s in prange(k):
        for i in range(m):
            lim = min(b, i - (i // block) * block)
            acc = v[s, i]
            for j in range(1, lim + 1):
                acc -= c[j] * out[s, i - j]
            out[s, i] = acc * inv0


@njit
def _shape_solve_t(v, c, block, out):  # pragma: no cover - compiled
    k, m = v.shape
    b = c.size - 1
    inv0 = 1.0 / c[0]
    for s in prange(k):
        for i in range(m - 1, -1, -1):
            end = min(m, (i // block + 1) * block)
            lim = min(b, end - 1 - i)
            acc = v[s, i]
            for j in range(1, lim + 1):
                acc -= c[j] * out[s, i + j]
            out[s, i] = acc * inv0


class ShapingOperator(LinearOperator):
    r"""Banded lower-triangular (block) Toeplitz noise-shaping operator ``S``.

    ``(S u)_i = sum_{j=0..b} c_j u_{i-j}``, the sum restricted to the block containing ``i``
    (blocks of ``block_length`` samples; the state restarts at each block).  Every noise-shaping
    quantizer satisfies ``y - q = S u`` with its state ``u``:

    * r-th order ΣΔ: ``S = D^r``, ``c`` = coefficients of ``(1 - z)^r``;
    * beta encoding: ``S = I_p ⊗ H_beta``, ``c = (1, -beta)``, blocks of length ``lam``;
    * stable one-bit ΣΔ: ``S`` = convolution with ``δ0 - h``;
    * MSQ: ``S = I``.

    ``S`` is applied (:meth:`matvec`), transposed (:meth:`rmatvec`) and inverted
    (:meth:`solve`, :meth:`solve_adjoint`) in O(m b) by numba recursions batched over columns;
    ``S^-1`` is never formed.

    Parameters
    ----------
    m : int
        Length of the measurement sequence.
    coefficients : array_like
        ``c_0, ..., c_b`` with ``c_0 != 0``.
    block_length : int, optional
        Length of the independent blocks (must divide ``m``); default ``m`` (one block).

    Examples
    --------
    >>> import numpy as np
    >>> S = ShapingOperator.sigma_delta(6, order=2)
    >>> S.todense()[:3, :3]
    array([[ 1.,  0.,  0.],
           [-2.,  1.,  0.],
           [ 1., -2.,  1.]])
    >>> v = np.arange(6.0)
    >>> bool(np.allclose(S @ S.solve(v), v))
    True
    """

    def __init__(self, m, coefficients, block_length=None):
        if isinstance(m, bool) or not isinstance(m, numbers.Integral) or m < 1:
            raise ValueError(f"m must be a positive int, got {m!r}")
        c = np.asarray(coefficients)
        if c.dtype.kind not in "fiu":
            raise TypeError(f"coefficients must be real numbers, got dtype {c.dtype} ({coefficients!r})")
        c = c.astype(np.float64).ravel()
        if c.size < 1 or c[0] == 0 or not np.all(np.isfinite(c)):
            raise ValueError("coefficients must be finite with a nonzero leading coefficient c_0, "
                             f"got {coefficients!r}")
        block = int(m) if block_length is None else block_length
        if isinstance(block, bool) or not isinstance(block, numbers.Integral) or block < 1 or m % block:
            raise ValueError(f"block_length must be a positive int dividing m={m}, got {block_length!r}")
        super().__init__((int(m), int(m)), np.float64)
        self.coefficients = c
        self.block_length = int(block)

    # -- constructors ------------------------------------------------------------------------
    @classmethod
    def identity(cls, m):
        """``S = I`` (memoryless scalar quantization)."""
        return cls(m, [1.0])

    @classmethod
    def sigma_delta(cls, m, order, block_length=None):
        """``S = D^r``: coefficients of ``(1 - z)^r``; ``block_length`` for independent streams."""
        if isinstance(order, bool) or not isinstance(order, numbers.Integral) or order < 0:
            raise ValueError(f"order must be a non-negative int, got {order!r}")
        c = [(-1.0) ** j * math.comb(int(order), j) for j in range(int(order) + 1)]
        return cls(m, c, block_length)

    @classmethod
    def beta(cls, m, beta, block_length=None):
        """``S = I_p ⊗ H_beta`` (1 on the diagonal, ``-beta`` below it, per block)."""
        if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not np.isfinite(beta) or beta <= 0:
            raise ValueError(f"beta must be a positive finite number, got {beta!r}")
        return cls(m, [1.0, -float(beta)], block_length)

    @classmethod
    def from_filter(cls, m, taps, coefficients, block_length=None):
        """``S`` = convolution with ``δ0 - h``, ``h = sum_j coefficients[j] δ_{taps[j]}`` (taps >= 1)."""
        taps = np.asarray(taps, dtype=np.int64).ravel()
        coefs = np.asarray(coefficients, dtype=np.float64).ravel()
        if taps.shape != coefs.shape or taps.size == 0 or taps.min() < 1:
            raise ValueError("taps must be positive ints matching coefficients in length")
        c = np.zeros(int(taps.max()) + 1)
        c[0] = 1.0
        np.subtract.at(c, taps, coefs)
        return cls(m, c, block_length)

    # -- application -------------------------------------------------------------------------
    def _run(self, kernel, x):
        x = np.asarray(x)
        if np.iscomplexobj(x):
            return self._run(kernel, x.real) + 1j * self._run(kernel, x.imag)
        xt = np.ascontiguousarray(x.T, dtype=np.float64)
        out = np.empty_like(xt)
        kernel(xt, self.coefficients, self.block_length, out)
        return out.T

    def _matvec(self, x):
        return self._run(_shape_mul, x)

    def _rmatvec(self, y):
        return self._run(_shape_mul_t, y)

    def solve(self, v):
        """``S^-1 v`` by forward substitution (``v`` of shape ``(m,)`` or ``(m, k)``)."""
        return self._apply(v, self.shape[0], lambda x: self._run(_shape_solve, x), "solve")

    def solve_adjoint(self, v):
        """``S^-T v`` by backward substitution."""
        return self._apply(v, self.shape[0], lambda x: self._run(_shape_solve_t, x), "solve_adjoint")

    @property
    def bandwidth(self):
        """Number of subdiagonals ``b``."""
        return self.coefficients.size - 1

    def norm_bound(self):
        """``sum |c_j|``, an upper bound on ``||S||_2``."""
        return float(np.abs(self.coefficients).sum())

    def tosparse(self):
        """``S`` as a scipy.sparse CSR matrix (banded, ``(b + 1) m`` nonzeros)."""
        import scipy.sparse as sp  # noqa: PLC0415
        m, L = self.shape[0], self.block_length
        diags, offs = [], []
        for j, cj in enumerate(self.coefficients):
            if cj == 0 or j >= L:
                continue
            d = np.full(m - j, cj)
            pos = np.arange(j, m)
            d[(pos % L) < j] = 0.0  # entries that would cross a block boundary
            diags.append(d)
            offs.append(-j)
        return sp.diags(diags, offs, shape=(m, m), format="csr")

    def gram_banded(self):
        """``S S^T`` in the upper banded storage of :func:`scipy.linalg.cholesky_banded`."""
        b, m = self.bandwidth, self.shape[0]
        sst = (self.tosparse() @ self.tosparse().T).todia()
        ab = np.zeros((b + 1, m))
        for k in range(b + 1):
            ab[b - k, k:] = sst.diagonal(k)
        return ab


# ------------------------------------------------------------------------------------------------
# validation helpers
# ------------------------------------------------------------------------------------------------
def _as_real_operator(A, name="A"):
    try:
        op = aslinearoperator(A)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array or a linear operator, got {type(A).__name__}") from exc
    if op.dtype.kind == "c":
        raise TypeError(f"{name} must be real; stack the real and imaginary parts of a complex operator "
                        "into a real one (cstoolbox.quantized_cs.RealStackedOperator)")
    if min(op.shape) < 1:
        raise ValueError(f"{name} must have at least one row and one column, got shape {op.shape}")
    return op


def _as_vector(q, m, name="q"):
    q = np.asarray(q)
    if q.ndim != 1 or q.shape[0] != m:
        raise ValueError(f"{name} must be a 1-D array of length {m} (the operator's rows), got shape {q.shape}")
    if q.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be real-valued, got dtype {q.dtype}")
    q = q.astype(np.float64)
    if not np.all(np.isfinite(q)):
        raise ValueError(f"{name} contains NaN or inf")
    return q


def _as_support(support, n):
    """A 1-D array of integer column indices in ``[0, n)`` -> sorted unique int64 indices."""
    T = np.asarray(support)
    if T.ndim != 1:
        raise ValueError(f"support must be a 1-D array of column indices, got shape {T.shape}")
    if T.size == 0:
        return np.zeros(0, dtype=np.int64)
    if T.dtype.kind not in "iu":
        hint = " (a boolean mask: pass np.flatnonzero(mask))" if T.dtype.kind == "b" else ""
        raise TypeError(f"support must hold integer column indices, got dtype {T.dtype}{hint}")
    if T.min() < 0 or T.max() >= n:
        raise ValueError(f"support must hold column indices in [0, {n}), got min {T.min()}, max {T.max()}")
    return np.unique(T.astype(np.int64))


def _check_shaping(shaping, m):
    if shaping is None:
        return ShapingOperator.identity(m)
    if not isinstance(shaping, ShapingOperator):
        raise TypeError(f"shaping must be a ShapingOperator or None, got {type(shaping).__name__}")
    if shaping.shape[0] != m:
        raise ValueError(f"shaping acts on sequences of length {shaping.shape[0]}, but A has {m} rows")
    return shaping


def _check_problem(A, q, shaping, bound, noise, norm):
    """Validate the arguments shared by the fast and the cvxpy shaped basis pursuit."""
    A = _as_real_operator(A)
    m = A.shape[0]
    q = _as_vector(q, m)
    S = _check_shaping(shaping, m)
    bound = _nonneg(bound, "bound")
    noise = _nonneg(noise, "noise")
    if norm not in ("l2", "inf"):
        raise ValueError(f"norm must be 'l2' or 'inf', got {norm!r}")
    return A, q, S, bound, noise


def _nonneg(value, name):
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if not isinstance(value, numbers.Real) or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


class _Shaped:
    """``B = S^-1 A`` and ``B^T = A^T S^-T`` with operation counters."""

    def __init__(self, A, S):
        self.A, self.S = A, S
        self.n_matvec = 0
        self.n_rmatvec = 0

    def cols(self, idx):
        n = self.A.shape[1]
        E = np.zeros((n, len(idx)))
        E[np.asarray(idx, dtype=int), np.arange(len(idx))] = 1.0
        self.n_matvec += 1
        return np.asarray(self.S.solve(np.asarray(self.A.matvec(E), dtype=np.float64)))

    def rmatvec(self, y):
        self.n_rmatvec += 1
        return np.asarray(self.A.rmatvec(self.S.solve_adjoint(y)), dtype=np.float64)


def _solve_gram(Bt, rhs, G=None, refine=True):
    """Solve ``(Bt^T Bt) d = rhs`` (|T| small; ``rhs`` of shape ``(k,)`` or ``(k, p)``).

    Jacobi-scaled Cholesky + (``refine``) one step of iterative refinement through ``Bt``.
    ``G`` is the Gram matrix when the caller maintains it.  Falls back to a QR least-squares
    solve when the scaled Gram matrix is not numerically positive definite.
    """
    if G is None:
        G = Bt.T @ Bt
    dg = np.sqrt(np.maximum(np.diag(G), 1e-300))
    sc = dg if rhs.ndim == 1 else dg[:, None]
    Gs = G / dg[:, None] / dg[None, :]
    try:
        cf = sla.cho_factor(Gs, check_finite=False)
        solve = lambda v: sla.cho_solve(cf, v / sc, check_finite=False) / sc  # noqa: E731
        d = solve(rhs)
        if not refine:
            return d
        return d + solve(rhs - Bt.T @ (Bt @ d))  # iterative refinement through Bt (not G)
    except np.linalg.LinAlgError:
        if Bt.shape[1] > Bt.shape[0]:
            raise  # more active columns than rows: the Gram matrix is singular
        nrm = np.where(dg > 0, dg, 1.0)
        Q, R = np.linalg.qr(Bt / nrm)
        y = sla.solve_triangular(R, rhs / (nrm if rhs.ndim == 1 else nrm[:, None]), trans="T")
        return sla.solve_triangular(R, y) / (nrm if rhs.ndim == 1 else nrm[:, None])


# ------------------------------------------------------------------------------------------------
# homotopy (ℓ2)
# ------------------------------------------------------------------------------------------------
# relative KKT violation always accepted at the end of the path (the round-off floor of the
# correlations, estimated per problem by _correlation_noise, is added to it)
_KKT_RTOL = 1e-6


class _ActiveSet:
    """Columns of the active set kept in growing Fortran-ordered buffers.

    ``A_T`` (the operator's columns), ``B_T = S^-1 A_T`` and ``G = B_T^T B_T``.  A column leaves
    by swapping the last one into its slot.  (Keeping ``B^T B_T`` to get ``B^T B_T d`` without
    an operator application was tried: the products of its huge, nearly parallel columns lose
    the digits that ``B^T (B_T d)`` keeps, and the path failed on r = 3 problems.)
    """

    def __init__(self, B, cap=32):
        self.B = B
        m = B.S.shape[0]
        self.Ab = np.empty((m, cap), order="F")
        self.Bb = np.empty((m, cap), order="F")
        self.Gb = np.empty((cap, cap))
        self.T, self.signs = [], []

    @property
    def k(self):
        return len(self.T)

    def views(self):
        k = self.k
        return self.Ab[:, :k], self.Bb[:, :k], self.Gb[:k, :k]

    def add(self, j, sign):
        B, k = self.B, self.k
        if k == self.Ab.shape[1]:
            cap = 2 * k
            for name in ("Ab", "Bb"):
                old = getattr(self, name)
                new = np.empty((old.shape[0], cap), order="F")
                new[:, :k] = old
                setattr(self, name, new)
            Gn = np.empty((cap, cap))
            Gn[:k, :k] = self.Gb[:k, :k]
            self.Gb = Gn
        e = np.zeros(B.A.shape[1])
        e[j] = 1.0
        B.n_matvec += 1
        a_col = np.asarray(B.A.matvec(e), dtype=np.float64)
        b_col = np.asarray(B.S.solve(a_col))
        self.Ab[:, k] = a_col
        self.Bb[:, k] = b_col
        g = self.Bb[:, :k + 1].T @ b_col
        self.Gb[k, :k + 1] = g
        self.Gb[:k + 1, k] = g
        self.T.append(int(j))
        self.signs.append(float(sign))

    def remove(self, pos):
        last = self.k - 1
        if pos != last:
            for buf in (self.Ab, self.Bb):
                buf[:, pos] = buf[:, last]
            G = self.Gb
            G[pos, :last + 1] = G[last, :last + 1]
            G[:last + 1, pos] = G[:last + 1, last]
            G[pos, pos] = G[last, last]
            self.T[pos], self.signs[pos] = self.T[last], self.signs[last]
        self.T.pop()
        self.signs.pop()


def _correlation_noise(B, At, zT, q):
    """Round-off level of the correlations ``c = B^T S^-1 (q - A z)`` (absolute).

    ``S^-1`` amplifies the rounding of ``q - A z`` (about ``u (|A_T| |z_T| + |q|)`` per entry,
    ``u = eps / 2`` the unit round-off) by up to ``||S^-1||`` (``~ m^r`` for ``D^r``), and
    ``B^T`` carries it into every correlation.  Measured by propagating one such perturbation
    (fixed random signs) through ``B^T S^-1``: 4 times its largest effect is what the KKT check
    cannot resolve.  (On the benchmark's ΣΔ r = 2 problems, m = 4096..16384, the correlations'
    actual error against an extended-precision evaluation was 4.6 to 36 times below this.)
    """
    rng = np.random.default_rng(0)
    xi = 0.5 * np.finfo(float).eps * (np.abs(At) @ np.abs(zT) + np.abs(q)) * rng.choice([-1.0, 1.0], q.size)
    return 4.0 * float(np.max(np.abs(B.rmatvec(np.asarray(B.S.solve(xi))))))


def _homotopy(B, q, b, sigma, tol, max_iter, verbose):
    r"""Exact Lasso homotopy for ``min ||z||_1 s.t. ||b - B z||_2 <= σ`` (``B = S^-1 A``).

    Numerics (``B`` has a condition number growing like ``m^r``):

    * the residual is recomputed at every breakpoint in the operator's domain,
      ``ρ = S^-1 (q - A_T z_T)``, never as ``b - B_T z_T``: ``b = S^-1 q`` is ``~ m^r`` times
      larger than ``ρ``, and its rounding would swamp the correlations ``c = B^T ρ``;
    * predictor-corrector: before each step a drift of the active correlations from ``λ s_T``
      above a tenth of their round-off level is removed by a Newton step on the active set,
      ``z_T += G^-1 (c_T - λ s_T)`` (the step starts again from the exact path, so round-off
      does not accumulate over thousands of breakpoints while ``λ`` falls by orders of
      magnitude); a Newton step larger than a tenth of the coefficients (an active set too
      ill-conditioned to trust it) is skipped;
    * a column enters only where its correlation reaches ``±λ`` from inside (a column already
      outside, left there by round-off, enters at once); a column leaves where ``z_j`` leaves
      the side of its sign;
    * at the end, Newton steps on the final support with ``λ`` re-chosen so that
      ``||ρ||_2 = σ`` exactly, then the KKT check against the round-off floor of ``c``.
    """
    n = B.A.shape[1]
    z = np.zeros(n)
    hist = {"lambda": [], "support": [], "residual": []}
    bnorm = float(np.linalg.norm(b))
    if bnorm <= sigma:
        return z, "converged", 0, bnorm, 0.0, hist, "z = 0 is feasible"
    rho = b.copy()
    c = B.rmatvec(rho)
    lam = lam0 = float(np.max(np.abs(c)))
    if not lam > 0:
        return z, "infeasible", 0, bnorm, np.nan, hist, ("B^T b = 0: no column can reduce the residual "
                                                         "below the bound (the constraint set is empty)")
    act = _ActiveSet(B)
    j = int(np.argmax(np.abs(c)))
    act.add(j, np.sign(c[j]))
    status, msg, it = "max_iter", f"stopped after max_iter={max_iter} breakpoints", 0
    last_enter, last_drop = j, None
    n_corr = n_skip = 0
    noise = _correlation_noise(B, act.views()[0], z[act.T], q)   # refreshed every 64 breakpoints
    for it in range(1, max_iter + 1):
        T = act.T
        At, Bt, G = act.views()
        s_T = np.asarray(act.signs)
        zT = z[T]
        if it % 64 == 0:
            noise = _correlation_noise(B, At, zT, q)
        e = c[T] - lam * s_T          # drift of the active correlations from λ s_T
        correct = bool(np.max(np.abs(e)) > max(0.1 * noise, 1e-13 * lam))
        try:
            # (no refinement step here: the corrector absorbs the solve's error at the next breakpoint)
            sol = _solve_gram(Bt, np.column_stack([s_T, e]) if correct else s_T, G, refine=False)
        except np.linalg.LinAlgError:
            status, msg = "error", f"singular active set of size {len(T)} (linearly dependent columns)"
            break
        if correct:
            d, delta = sol[:, 0], sol[:, 1]
            # corrector: back onto the exact path at this λ -- unless the active set is too
            # ill-conditioned for the Newton step to be trusted (a step larger than a tenth of
            # the current coefficients is round-off amplified by G^-1, not drift)
            correct = bool(np.max(np.abs(delta)) <= 0.1 * np.max(np.abs(zT)))
            n_skip += not correct
        else:
            d = sol
        if correct:                   # one batched B^T for the direction and the correction
            uv = Bt @ sol
            u = uv[:, 0]
            av = B.rmatvec(uv)
            a = av[:, 0]
            zT = zT + delta
            rho = rho - uv[:, 1]
            c = c - av[:, 1]
            n_corr += 1
        else:
            u = Bt @ d
            a = B.rmatvec(u)
        mask = np.ones(n, dtype=bool)
        mask[T] = False
        if last_drop is not None:
            mask[last_drop] = False  # a variable just dropped does not re-enter at once
        thr = 1e-12 * max(lam, 1.0)
        gam, kind, idx, new_sign = np.inf, None, None, 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            # entering: s c_j - γ s a_j = λ - γ reached from inside (1 - s a_j > 0); a column
            # already outside (s c_j >= λ, round-off) enters at γ = 0
            for sgn in (1.0, -1.0):
                num = lam - sgn * c
                den = 1.0 - sgn * a
                g = np.where(den > 0, np.maximum(num, 0.0) / den, np.inf)
                g = np.where(mask & ((g > thr) | (num <= 0)), g, np.inf)
                k = int(np.argmin(g))
                if g[k] < gam:
                    gam, kind, idx, new_sign = float(g[k]), "enter", k, sgn
            # dropping: z_T + γ d leaves the side of its sign
            sd = s_T * d
            gd = np.where(sd < 0, np.maximum(s_T * zT, 0.0) / (-sd), np.inf)
        if last_enter is not None and last_enter in T:
            k = T.index(last_enter)
            # a variable just entered does not leave at once -- unless its coefficient would move
            # against its sign (a spurious entry, possible only through round-off): then it
            # leaves at γ = 0 instead of ending the path with sign(z_j) = -sign(c_j)
            gd[k] = 0.0 if sd[k] < 0 else np.inf
        if gd.size and np.min(gd) < gam:
            k = int(np.argmin(gd))
            gam, kind, idx = float(gd[k]), "drop", k
        if lam < gam:
            gam, kind = lam, "zero"
        # reaching the residual target: ||ρ - γ u||^2 = σ^2
        uu, ru, rr = float(u @ u), float(rho @ u), float(rho @ rho)
        disc = ru * ru - uu * (rr - sigma * sigma)
        if uu > 0 and disc >= 0:
            gt = (ru - math.sqrt(disc)) / uu
            if 0 <= gt <= gam:
                gam, kind = gt, "target"
        z[T] = zT + gam * d
        lam -= gam
        if kind == "enter":
            act.add(idx, new_sign)
            last_enter, last_drop = idx, None
        elif kind == "drop":
            last_enter, last_drop = None, T[idx]
            z[T[idx]] = 0.0
            act.remove(idx)
        # residual and correlations recomputed from scratch in the operator's domain
        At = act.views()[0]
        rho = np.asarray(B.S.solve(q - At @ z[act.T]))
        c = B.rmatvec(rho)
        hist["lambda"].append(lam)
        hist["support"].append(act.k)
        hist["residual"].append(float(np.linalg.norm(rho)))
        if kind == "target":
            status, msg = "converged", "residual reached the bound"
            break
        if kind == "zero":
            # λ = 0 with ||ρ|| > σ: the least-squares residual exceeds the bound -- certified only
            # when ρ is orthogonal to every column (B^T ρ = 0 up to round-off), after Newton steps
            # of the least squares on the active set
            At, Bt, G = act.views()
            for _ in range(2):
                try:
                    z[act.T] += _solve_gram(Bt, c[act.T], G)
                except np.linalg.LinAlgError:
                    break
                rho = np.asarray(B.S.solve(q - At @ z[act.T]))
                c = B.rmatvec(rho)
            noise = max(_correlation_noise(B, At, z[act.T], q), 1e-12 * lam0)
            if float(np.max(np.abs(c))) <= noise:
                status, msg = "infeasible", ("the least-squares residual exceeds the bound (B^T ρ = 0 up to "
                                             "round-off): the constraint set is empty (are q and the bound "
                                             "consistent?)")
            else:
                status, msg = "stalled", (f"λ reached 0 with the residual above the bound but max|B^T ρ| = "
                                          f"{float(np.max(np.abs(c))):.3e} above its round-off level "
                                          f"{noise:.1e}: the path lost accuracy")
            break
        if not act.k:
            break
    T = act.T
    At, Bt, G = act.views()
    floor = _correlation_noise(B, At, z[T], q) / lam if T and lam > 0 else 0.0
    kkt_tol = max(tol, _KKT_RTOL, floor)
    n_polish = 0
    if status == "converged" and T:
        # Newton steps on the final support and signs: z_T(λ) = z_T + G^-1 (c_T - λ s_T), with λ
        # such that ||ρ(λ)||_2 = σ exactly; stops once the active correlations are at the floor
        s_T = np.asarray(act.signs)
        for _ in range(4):
            if np.max(np.abs(c[T] - lam * s_T)) <= 0.01 * kkt_tol * lam:
                break
            try:
                sol = _solve_gram(Bt, np.column_stack([c[T], s_T]), G)
            except np.linalg.LinAlgError:
                break
            r01 = Bt @ sol
            r0, r1 = rho - r01[:, 0], r01[:, 1]          # residual(λ) = r0 + λ r1
            a2, a1, a0 = float(r1 @ r1), 2 * float(r0 @ r1), float(r0 @ r0) - sigma * sigma
            disc = a1 * a1 - 4 * a2 * a0
            if not (a2 > 0 and disc >= 0):
                break
            lam_p = (-a1 + math.sqrt(disc)) / (2 * a2)
            zT_p = z[T] + sol[:, 0] - lam_p * sol[:, 1]
            if not (lam_p > 0 and np.all(np.sign(zT_p) == s_T)):
                break
            z[T], lam = zT_p, lam_p
            rho = np.asarray(B.S.solve(q - At @ zT_p))
            c = B.rmatvec(rho)
            n_polish += 1
    hist["corrector_steps"] = n_corr
    hist["corrector_skipped"] = n_skip
    hist["polish_steps"] = n_polish
    hist["kkt_floor"] = floor
    # KKT check: |c| <= λ off the support, c = λ sign(z) on it
    rn = float(np.linalg.norm(rho))
    gap = np.nan
    if lam > 0:
        off = np.ones(n, dtype=bool)
        off[T] = False
        worst = float(np.max(np.abs(c[off]))) if off.any() else 0.0
        on = float(np.max(np.abs(c[T] - lam * np.sign(z[T])))) if T else 0.0
        gap = max(worst - lam, on, 0.0) / lam
        if status == "converged" and (gap > kkt_tol or rn > sigma * (1 + 1e-6)):
            why = []
            if gap > kkt_tol:
                why.append(f"KKT violation {gap:.2e} > {kkt_tol:.1e}")
            if rn > sigma * (1 + 1e-6):
                why.append(f"residual {rn:.6g} above the bound {sigma:.6g} (relative excess "
                           f"{rn / sigma - 1:.1e} > 1e-6; KKT violation {gap:.1e} <= {kkt_tol:.1e})"
                           if gap <= kkt_tol else f"residual {rn:.6g} above the bound {sigma:.6g}")
            status, msg = "stalled", "; ".join(why) + " after the homotopy stopped"
        elif status == "converged":
            msg += f" (KKT violation {gap:.1e} <= {kkt_tol:.1e}, round-off floor {floor:.1e})"
    return z, status, it, rn, gap, hist, msg


# ------------------------------------------------------------------------------------------------
# column/row generation LP (ℓinf)
# ------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _quiet_highs_class():
    """``highspy.Highs`` with ``output_flag`` off before its first logging call.

    ``highspy.Highs.__init__`` registers its callback (``enableCallbacks`` -> ``setCallback``)
    right after constructing the C++ object, and that first call prints the version banner
    ("Running HiGHS ...") unless ``output_flag`` is already false; setting the option after the
    constructor returns is too late.  The override sets it first (``setOptionValue`` itself does
    not log).
    """
    import highspy  # noqa: PLC0415

    class _QuietHighs(highspy.Highs):
        def enableCallbacks(self):  # noqa: N802 - highspy's name
            self.setOptionValue("output_flag", False)
            super().enableCallbacks()

    return _QuietHighs


class _RestrictedLP:
    """The elastic restricted LP, kept in one HiGHS model and re-solved warm after each addition.

    ``min sum(z+ + z-) + penalty * sum(e+ + e-)``  s.t.  ``b_i - c <= B_i (z+ - z-) - e+_i + e-_i
    <= b_i + c`` for the rows ``i`` in play; all variables >= 0.  The slacks keep every
    restricted problem feasible (a restricted one need not be); with an exact penalty (above the
    optimal multipliers) they vanish once enough columns are in.  Rows are ranged (one per
    measurement), columns come in (z+, z-) pairs.  Warm starts (the simplex basis is kept when
    rows or columns are added) make the generation rounds cheap.
    """

    def __init__(self, b, c, penalty):
        import highspy  # noqa: PLC0415
        self._hs = highspy
        self.h = _quiet_highs_class()()
        self.h.setOptionValue("output_flag", False)   # (highspy versions whose __init__ logs nothing)
        self.h.setOptionValue("presolve", "off")  # keep the basis between rounds (warm start)
        self.b, self.c, self.penalty = b, c, penalty
        self.rows = []          # measurement index of each model row
        self.cols = []          # signal index of each (z+, z-) pair
        self.zcol = []          # model column of z+ for each pair (z- is the next one)
        self.ecols = []         # model columns of the slack pairs
        self.ncol = 0

    def add_rows(self, idx, Bfull):
        idx = [int(i) for i in idx]
        if not idx:
            return
        r0 = len(self.rows)
        k = len(self.cols)
        lo = self.b[idx] - self.c
        hi = self.b[idx] + self.c
        vals = Bfull[idx][:, :k] if k else np.zeros((len(idx), 0))
        # entries of the new rows in the existing z columns: +B for z+, -B for z-
        ind = np.empty((len(idx), 2 * k), dtype=np.int32)
        if k:
            zc = np.asarray(self.zcol, dtype=np.int32)
            ind[:, 0::2] = zc
            ind[:, 1::2] = zc + 1
        v = np.empty((len(idx), 2 * k))
        v[:, 0::2] = vals
        v[:, 1::2] = -vals
        starts = np.arange(len(idx), dtype=np.int32) * (2 * k)
        self.h.addRows(len(idx), lo, hi, v.size, starts, ind.ravel(), v.ravel())
        self.rows.extend(idx)
        # slack pairs, one entry each
        nr = len(idx)
        rr = np.repeat(np.arange(r0, r0 + nr, dtype=np.int32), 2)
        vv = np.tile(np.array([-1.0, 1.0]), nr)
        self.h.addCols(2 * nr, np.full(2 * nr, self.penalty), np.zeros(2 * nr), np.full(2 * nr, self._hs.kHighsInf),
                       2 * nr, np.arange(2 * nr, dtype=np.int32), rr, vv)
        self.ecols.extend(range(self.ncol, self.ncol + 2 * nr))
        self.ncol += 2 * nr

    def add_cols(self, idx, cols_full):
        """``cols_full``: the new columns of B (all m rows); one HiGHS call for all of them."""
        idx = [int(j) for j in idx]
        if not idx:
            return
        nr, k = len(self.rows), len(idx)
        R = np.asarray(self.rows, dtype=np.int64)
        vals = np.asarray(cols_full)[R] if nr else np.zeros((0, k))      # (nr, k)
        # column pairs (z+, z-): +B and -B on the rows in play
        v = np.empty((2 * k, nr))
        v[0::2] = vals.T
        v[1::2] = -vals.T
        ind = np.tile(np.arange(nr, dtype=np.int32), 2 * k)
        starts = np.arange(2 * k, dtype=np.int32) * nr
        self.h.addCols(2 * k, np.ones(2 * k), np.zeros(2 * k), np.full(2 * k, self._hs.kHighsInf), v.size,
                       starts, ind, v.ravel())
        self.cols.extend(idx)
        self.zcol.extend(range(self.ncol, self.ncol + 2 * k, 2))
        self.ncol += 2 * k

    def set_penalty(self, penalty):
        self.penalty = penalty
        e = np.asarray(self.ecols, dtype=np.int32)
        self.h.changeColsCost(e.size, e, np.full(e.size, penalty))

    def solve(self):
        self.h.run()
        st = self.h.getModelStatus()
        ok = st == self._hs.HighsModelStatus.kOptimal
        if not ok:
            return False, self.h.modelStatusToString(st), None, None, None
        sol = self.h.getSolution()
        x = np.asarray(sol.col_value)
        zc = np.asarray(self.zcol, dtype=np.int64)
        zT = x[zc] - x[zc + 1] if zc.size else np.zeros(0)
        slack = x[np.asarray(self.ecols, dtype=np.int64)] if self.ecols else np.zeros(0)
        eta_rows = np.asarray(sol.row_dual)
        return ok, self.h.modelStatusToString(st), zT, slack, eta_rows


def _lp(B, b, c, T0, tol, max_iter, verbose, z_start=None, rows0=None, Bfull=None):
    """Column/row generation.  ``rows0``: initial rows (default: the rows most violated by
    ``z_start``); ``Bfull``: the columns ``B[:, T0]`` when the caller has them already."""
    n, m = B.A.shape[1], b.size
    T = list(dict.fromkeys(int(t) for t in T0))
    if not T:
        T = [int(np.argmax(np.abs(B.rmatvec(b))))]
    Bfull = B.cols(T) if Bfull is None else np.asarray(Bfull)
    # exact-penalty weight: well above the multipliers' scale 1 / ||B_T||
    cn = np.linalg.norm(Bfull, axis=0)
    cn = cn[cn > 0]
    penalty = 1e8 / (float(cn.min()) if cn.size else 1.0)
    lp = _RestrictedLP(b, c, penalty)
    # rows: those violated most by the ℓ2 start (least squares on the start columns)
    z0 = np.zeros(len(T)) if z_start is None else np.asarray(z_start, dtype=float)[T]
    r0 = min(m, 2 * len(T) + 20)
    viol = np.abs(Bfull @ z0 - b)
    if rows0 is not None:
        lp.add_rows(np.asarray(rows0, dtype=int), Bfull)
    else:
        lp.add_rows(np.argpartition(-viol, r0 - 1)[:r0] if r0 < m else np.arange(m), Bfull)
    lp.add_cols(T, Bfull)
    hist = {"columns": [], "rows": [], "objective": []}
    status, msg, it = "max_iter", f"stopped after max_iter={max_iter} generation rounds", 0
    feas_tol = tol * max(c, 1e-300) + 1e-9 * c
    z = np.zeros(n)
    zT = np.zeros(len(T))
    eta = np.zeros(m)
    T_sol = list(T)
    for it in range(1, max_iter + 1):
        ok, st, zT_new, slack, eta_rows = lp.solve()
        if not ok:
            status, msg = "error", f"restricted LP: {st}"
            break
        zT, T_sol = zT_new, list(lp.cols)
        eta = np.zeros(m)
        eta[np.asarray(lp.rows)] = eta_rows
        k = len(T_sol)
        hist["columns"].append(k)
        hist["rows"].append(len(lp.rows))
        hist["objective"].append(float(np.abs(zT).sum()))
        resid = Bfull @ zT - b
        in_rows = np.zeros(m, dtype=bool)
        in_rows[lp.rows] = True
        bad_rows = np.flatnonzero((np.abs(resid) > c + feas_tol) & ~in_rows)
        g = B.rmatvec(eta)
        g[T_sol] = 0.0
        bad_cols = np.flatnonzero(np.abs(g) > 1.0 + tol)
        if bad_rows.size == 0 and bad_cols.size == 0:
            if np.max(slack, initial=0.0) <= feas_tol:
                status, msg = "converged", "primal (all rows) and dual (all columns) certificates hold"
                break
            if penalty > 1e30:
                status, msg = "infeasible", "the constraint set appears empty (slack stays positive)"
                break
            penalty *= 100.0  # penalty not exact yet
            lp.set_penalty(penalty)
            continue
        if bad_cols.size:
            add = bad_cols[np.argsort(-np.abs(g[bad_cols]))[:max(16, k)]]
            newcols = B.cols(add)
            Bfull = np.column_stack([Bfull, newcols])
            lp.add_cols(add, newcols)
        if bad_rows.size:
            add = bad_rows[np.argsort(-np.abs(resid[bad_rows]))[:max(20, min(k, len(lp.rows)) // 2)]]
            lp.add_rows(add, Bfull)
    z[T_sol] = zT
    resid = Bfull[:, :len(T_sol)] @ zT - b
    viol = max(float(np.max(np.abs(resid))) - c, 0.0)
    g = B.rmatvec(eta)
    gap = max(float(np.max(np.abs(g))) - 1.0, 0.0)
    return z, status, it, viol, gap, hist, msg


# ------------------------------------------------------------------------------------------------
# dense primal-dual interior point (ℓinf), rows identified for the certified LP polish
# ------------------------------------------------------------------------------------------------
# largest m * n for which "auto" forms B = S^-1 A densely for the interior-point start (it keeps
# B, B / bound and one row-weighted copy: 3 x 8 m n bytes, 1.5 GiB at the limit; n = 4096,
# m = 16384 takes ~2 CPU min, where the matrix-free homotopy start needs > 2.5 min)
_IPM_MAX_ENTRIES = 2 ** 26
# ... and for which one interior-point iteration (m n^2 flops for the n x n normal matrix) stays
# below that of n = 4096, m = 16384: wide problems (m < n, e.g. a support stage on a row prefix)
# go to the matrix-free start
_IPM_MAX_FLOPS = 2 ** 38
# the interior point stops when its scaled primal residual (slab [-1, 1]) and relative gap are
# below these: the rows of smallest slack then contain the active ones (checked by the LP)
_IPM_PRES_STOP = 3e-2
# starting point: t = s_1 = s_2 = t0 (ℓ1 epigraph), row slacks 1 (slab centre), row multipliers y0
_IPM_START = (0.1, 0.01)
# rows whose normal-matrix weight is below this fraction of the largest are left out of it
_IPM_ROW_DROP = 1e-9


def _dense_columns(B, n, chunk=256):
    """All columns of ``B = S^-1 A`` (``chunk`` operator applications at a time)."""
    return np.column_stack([B.cols(range(j, min(n, j + chunk))) for j in range(0, n, chunk)])


def _ipm_linf(Bd, b, c, gap_stop, max_iter):
    r"""Mehrotra predictor-corrector on ``min 1^T t  s.t.  -t <= z <= t,  |B z - b| <= c``.

    Rows are scaled by ``1/c`` (the slab becomes ``[-1, 1]``).  The Newton system is reduced to
    the ``n x n`` normal matrix ``B^T D B + diag(4 W1 W2 / (W1 + W2))`` (Jacobi-scaled Cholesky,
    one refinement step through ``B``); rows whose weight is below ``1e-9`` of the largest are
    left out of it once the weights have spread (they change the step, not the residuals, which
    are always computed exactly).  Stops when the relative primal-dual gap is below
    ``gap_stop``: the iterate only has to identify the active rows for the certified LP polish.
    Returns ``z``, the row slacks (scaled), the iteration count and the history.
    """
    m, n = Bd.shape
    Bs = Bd / c
    bs = b / c
    hi, lo = bs + 1.0, bs - 1.0
    z = np.zeros(n)
    t0, y0 = _IPM_START
    t = np.full(n, t0)
    s1, s2, s3, s4 = np.full(n, t0), np.full(n, t0), np.ones(m), np.ones(m)
    l1, l2, l3, l4 = np.full(n, 0.5), np.full(n, 0.5), np.full(m, y0), np.full(m, y0)
    N = 2 * (n + m)
    hist = {"primal": [], "dual": [], "mu": [], "rows_in_normal_matrix": []}
    it = 0
    # inconsistent or badly scaled data can drive the iterate to overflow: stop at the last finite
    # iterate (the certified LP that follows decides, and reports, what the data allow)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for it in range(1, max_iter + 1):
            Bz = Bs @ z
            rp1, rp2 = z - t + s1, -z - t + s2
            rp3, rp4 = Bz - hi + s3, -Bz + lo + s4
            rdz = l1 - l2 + Bs.T @ (l3 - l4)
            rdt = 1.0 - l1 - l2
            mu = (l1 @ s1 + l2 @ s2 + l3 @ s3 + l4 @ s4) / N
            pobj, dobj = float(t.sum()), float(l4 @ lo - l3 @ hi)
            hist["primal"].append(pobj)
            hist["dual"].append(dobj)
            hist["mu"].append(float(mu))
            pres = max(np.abs(rp3).max(), np.abs(rp4).max())
            if abs(pobj - dobj) <= gap_stop * max(abs(pobj), 1e-300) and pres <= _IPM_PRES_STOP:
                break
            W1, W2, W3, W4 = l1 / s1, l2 / s2, l3 / s3, l4 / s4
            D = W3 + W4
            E = 4.0 * W1 * W2 / (W1 + W2)
            Q = np.flatnonzero(D >= _IPM_ROW_DROP * D.max())
            hist["rows_in_normal_matrix"].append(int(Q.size))
            BQ = (Bs if Q.size == m else Bs[Q]) * np.sqrt(D[Q])[:, None]
            M = sla.blas.dsyrk(1.0, BQ, trans=1, lower=0)
            M[np.diag_indices(n)] += E
            dg = np.sqrt(np.maximum(np.diag(M), 1e-300))
            M /= dg[:, None]
            M /= dg[None, :]
            M[np.diag_indices(n)] += 1e-14
            try:
                cf = sla.cho_factor(M, lower=False, overwrite_a=True, check_finite=False)
            except np.linalg.LinAlgError:
                break  # the normal matrix lost definiteness: the iterate is as accurate as it gets
            Dzt, Dtt = W2 - W1, W1 + W2

            def msolve(r):
                return sla.cho_solve(cf, r / dg, check_finite=False) / dg

            def direction(rc1, rc2, rc3, rc4):
                g1, g2 = W1 * rp1 - rc1 / s1, W2 * rp2 - rc2 / s2
                g3, g4 = W3 * rp3 - rc3 / s3, W4 * rp4 - rc4 / s4
                rz = -rdz - (g1 - g2 + Bs.T @ (g3 - g4))
                rt = -rdt + g1 + g2
                r = rz - Dzt * rt / Dtt
                dz = msolve(r)
                dz = dz + msolve(r - Bs.T @ (D * (Bs @ dz)) - E * dz)  # refinement through B, not M
                dt = (rt - Dzt * dz) / Dtt
                Bdz = Bs @ dz
                dl = (W1 * (dz - dt + rp1) - rc1 / s1, W2 * (-dz - dt + rp2) - rc2 / s2,
                      W3 * (Bdz + rp3) - rc3 / s3, W4 * (-Bdz + rp4) - rc4 / s4)
                ds = tuple(-(rc + sv * d) / lv for rc, sv, d, lv in zip((rc1, rc2, rc3, rc4), S_, dl, L_))
                return dz, dt, dl, ds

            def step(v, dv):
                neg = dv < 0
                return min(1.0, float(np.min(-v[neg] / dv[neg]))) if neg.any() else 1.0

            L_, S_ = (l1, l2, l3, l4), (s1, s2, s3, s4)
            dz, dt, dl, ds = direction(*(lv * sv for lv, sv in zip(L_, S_)))
            ap = min(step(v, d) for v, d in zip(S_, ds))
            ad = min(step(v, d) for v, d in zip(L_, dl))
            mu_aff = sum((sv + ap * d1) @ (lv + ad * d2) for sv, d1, lv, d2 in zip(S_, ds, L_, dl)) / N
            sigma = (mu_aff / mu) ** 3
            dz, dt, dl, ds = direction(*(lv * sv + d1 * d2 - sigma * mu for lv, sv, d1, d2 in zip(L_, S_, ds, dl)))
            ap = min(1.0, 0.995 * min(step(v, d) for v, d in zip(S_, ds)))
            ad = min(1.0, 0.995 * min(step(v, d) for v, d in zip(L_, dl)))
            if not (np.isfinite(ap) and np.isfinite(ad) and np.isfinite(dz).all()
                    and all(np.isfinite(d).all() for d in ds + dl)):
                break
            z, t = z + ap * dz, t + ap * dt
            s1, s2, s3, s4 = (v + ap * d for v, d in zip(S_, ds))
            l1, l2, l3, l4 = (v + ad * d for v, d in zip(L_, dl))
    return z, np.minimum(s3, s4), it, hist


def _ipm_then_lp(B, b, c, tol, max_iter, verbose, gap_stop=0.1):
    """Interior point on the dense ``B`` to find the active rows, then the certified LP on
    those rows and all columns (row generation adds any row the LP solution violates)."""
    n = B.A.shape[1]
    Bd = _dense_columns(B, n)
    z_ipm, slack, ipm_it, ipm_hist = _ipm_linf(Bd, b, c, gap_stop, 60)
    # rows for the restricted LP: the smallest IPM slacks, about 1.5x the rows that look active
    order = np.argsort(slack)
    k_act = int(np.sum(slack < 1e-2))
    k = int(min(b.size, max(32, 1.5 * k_act + 16)))
    z, status, it, viol, gap, hist, msg = _lp(B, b, c, np.arange(n), tol, max_iter, verbose,
                                              z_ipm, rows0=order[:k], Bfull=Bd)
    hist = dict(hist, start="ipm", ipm_iterations=ipm_it, ipm_primal=ipm_hist["primal"], ipm_dual=ipm_hist["dual"],
                ipm_rows_in_normal_matrix=ipm_hist["rows_in_normal_matrix"])
    msg = f"{msg} (after {ipm_it} interior-point iterations)"
    return z, status, ipm_it + it, viol, gap, hist, msg


# ------------------------------------------------------------------------------------------------
# preconditioned primal-dual (any constraint, noise variable)
# ------------------------------------------------------------------------------------------------
def _project(v, radius, norm):
    if norm == "inf":
        return np.clip(v, -radius, radius)
    nv = float(np.linalg.norm(v))
    return v if nv <= radius else v * (radius / nv)


def _pdhg(A, S, q, bound, norm, noise, tol, max_iter, verbose, x0=None):
    m, n = A.shape
    cA = A.norm_estimate(n_iter=50, tol=1e-4) ** 2 * 1.02 + 1e-300
    # scale-free step sizes: τ_z ∝ 1/c_A with z measured in units of ||A^T q||..., τ_w ≫ τ_z c_A
    tz = 0.03 / math.sqrt(cA)
    tw = 3e3 * tz * cA / max(S.norm_bound() ** 2, 1.0)
    tn = 30 * tz * cA if noise > 0 else 0.0
    ab = tw * S.gram_banded()
    ab[-1] += tz * cA + tn
    chol = sla.cholesky_banded(ab)
    theta = 0.99
    z = np.zeros(n) if x0 is None else np.array(x0, dtype=float)
    w = _project(S.solve(A.matvec(z) - q), bound, norm)
    nu = np.zeros(m)
    y = np.zeros(m)
    Az = np.asarray(A.matvec(z))
    Sw = np.asarray(S.matvec(w))
    n_mv = n_rmv = 1
    hist = {"residual": [], "objective": []}
    qn = max(float(np.linalg.norm(q)), 1e-300)
    status, msg = "max_iter", f"stopped after max_iter={max_iter} iterations"
    it = 0
    soft = np.sign
    for it in range(1, max_iter + 1):
        Aty = np.asarray(A.rmatvec(y))
        n_rmv += 1
        v = z - tz * Aty
        zn = soft(v) * np.maximum(np.abs(v) - tz, 0.0)
        wn = _project(w + tw * np.asarray(S.rmatvec(y)), bound, norm)
        nun = _project(nu + tn * y, noise, "l2") if noise > 0 else nu
        Azn = np.asarray(A.matvec(zn))
        n_mv += 1
        Swn = np.asarray(S.matvec(wn))
        rbar = 2 * (Azn - Swn - nun) - (Az - Sw - nu) - q
        y = y + theta * sla.cho_solve_banded((chol, False), rbar)
        dz = float(np.linalg.norm(zn - z))
        z, w, nu, Az, Sw = zn, wn, nun, Azn, Swn
        if it % 10 == 0 or it == max_iter:
            res = float(np.linalg.norm(Az - Sw - nu - q)) / qn
            zn_ = max(float(np.linalg.norm(z)), 1e-300)
            hist["residual"].append(res)
            hist["objective"].append(float(np.abs(z).sum()))
            if res <= tol and dz / (tz * 0 + 1.0) <= tol * zn_:
                status, msg = "converged", "relative primal residual and step below tol"
                break
    info = dict(n_matvec=n_mv, n_rmatvec=n_rmv)
    rn = float(np.linalg.norm(Az - Sw - nu - q))
    return z, status, it, rn, np.nan, hist, msg, info


# ------------------------------------------------------------------------------------------------
# public
# ------------------------------------------------------------------------------------------------
_METHODS = ("auto", "homotopy", "lp", "pdhg")
_LP_STARTS = ("auto", "ipm", "homotopy")


def shaped_basis_pursuit(A, q, shaping=None, bound=1.0, norm="l2", noise=0.0, method="auto",
                         tol=1e-9, max_iter=None, verbose=False, support_hint=None, lp_start="auto",
                         x_start=None):
    r"""One-stage convex decoder for noise-shaped quantized measurements.

    Solves

    .. math::

        \min_{z, w, \nu} \|z\|_1 \quad\text{s.t.}\quad A z - q = S w + \nu,\quad
        \|w\|_p \le \text{bound},\quad \|\nu\|_2 \le \text{noise}

    (equivalently ``||S^-1 (A z - ν - q)||_p <= bound``) without forming ``S^-1``.

    Parameters
    ----------
    A : array_like or LinearOperator, shape (m, n)
        Real measurement operator (stack a complex one into real and imaginary rows first).
    q : ndarray, shape (m,)
        Quantized measurements.
    shaping : ShapingOperator or None
        The quantizer's noise-shaping operator ``S`` (``None`` = identity: plain BPDN, the MSQ
        baseline).
    bound : float
        Radius of the state constraint (``(step/2) sqrt(m)`` for the ℓ2 version,
        ``step/2`` for the ℓinf version of a stable scheme).
    norm : {"l2", "inf"}
        The norm on ``w``.
    noise : float
        Radius of the ℓ2 ball for the noise variable ``ν`` (0: no noise variable).
    method : {"auto", "homotopy", "lp", "pdhg"}
        ``"auto"``: ``"homotopy"`` for ``norm="l2"``, ``"lp"`` for ``norm="inf"``, ``"pdhg"``
        when ``noise > 0``.  See the module docstring.
    tol : float
        Relative tolerance (KKT violation for homotopy/lp, residual and step for pdhg). The
        homotopy accepts ``max(tol, 1e-6, floor)``, ``floor`` its estimate of the round-off level
        of the correlations (grows with m and r: about 2e-2 at m = 1024, r = 3); the tolerance
        used is in ``info.message`` and ``info.history["kkt_floor"]``, the violation reached in
        ``info.gap`` (computed in float64: an extended-precision check found the true violation
        up to 10-100x larger at m = 32768..65536).
    max_iter : int, optional
        Breakpoints (homotopy, default ``4 n``), generation rounds (lp, default 200) or
        iterations (pdhg, default 20000).
    verbose : bool
        Unused except by future progress reporting (kept for a uniform signature).
    support_hint : array_like of int, optional
        Initial columns for the LP method (overrides ``lp_start``).
    x_start : ndarray, shape (n,), optional
        With ``support_hint``: a start point (e.g. the two-stage Sobolev-dual decode) whose most
        violated rows form the first restricted LP (default: the rows of largest ``|b|``).
    lp_start : {"auto", "ipm", "homotopy"}
        How the LP method finds its first restricted problem.  ``"ipm"``: form ``B = S^-1 A``
        densely (``m n`` doubles), run a dense primal-dual interior-point method until its
        iterate is nearly feasible, and start the certified LP with *all* columns and the
        rows of smallest slack (usually one HiGHS solve certifies).  ``"homotopy"``: column
        and row generation from the ℓ2 homotopy's support (matrix-free, for problems whose
        ``B`` does not fit in memory).  ``"auto"``: ``"ipm"`` when ``m n <= 2^26`` (memory
        about ``24 m n`` bytes) and ``m n^2 <= 2^38`` (each interior-point iteration costs
        ``m n^2`` flops: wide problems such as a support stage on 4096 of the rows of an
        n = 2^14 problem take the matrix-free start).

    Returns
    -------
    z : ndarray, shape (n,)
    info : SolverInfo
        ``status`` is ``"converged"`` only when the optimality certificate holds (homotopy,
        lp) or the tolerance was met (pdhg).  ``residual_norm``: ``||S^-1(A z - q)||_2``
        (homotopy) / max constraint violation (lp) / ``||A z - S w - ν - q||_2`` (pdhg).
        ``gap``: relative KKT / dual-feasibility violation.

    Raises
    ------
    ValueError
        ``A`` without rows or columns, wrong lengths, negative bound or noise, unknown norm or
        method, a method that cannot handle the constraint.
    TypeError
        Complex operator, non-real ``q``, ``shaping`` of the wrong type.

    Notes
    -----
    The true signal ``x`` of a stable scheme is feasible (``S^-1 (A x - q) = -u`` with
    ``||u||_inf <= step/2``), which is what the error bounds
    ``||x - z|| <~ (m/s)^{-(r - 1/2)}`` (ΣΔ) and ``beta^{-lam}`` (beta) rest on.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((40, 60)); x = np.zeros(60); x[[3, 17]] = [1.0, -0.5]
    >>> S = ShapingOperator.sigma_delta(40, order=1)
    >>> u = rng.uniform(-0.5, 0.5, 40); q = A @ x - S @ u      # y - q = S u
    >>> z, info = shaped_basis_pursuit(A, q, S, bound=0.5, norm="inf")
    >>> info.status, bool(np.abs(S.solve(A @ z - q)).max() <= 0.5 + 1e-9)
    ('converged', True)
    """
    t0 = time.perf_counter()
    A, q, S, bound, noise = _check_problem(A, q, shaping, bound, noise, norm)
    m, n = A.shape
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if not isinstance(tol, numbers.Real) or not (0 < tol < 1):
        raise ValueError(f"tol must be in (0, 1), got {tol!r}")
    if method == "auto":
        if noise > 0:
            method = "pdhg"
        elif norm == "l2":
            method = "homotopy"
        else:
            method = "lp"
    if method == "homotopy" and (norm != "l2" or noise > 0):
        raise ValueError("method='homotopy' handles norm='l2' without a noise variable; use 'pdhg'")
    if method == "lp" and (norm != "inf" or noise > 0):
        raise ValueError("method='lp' handles norm='inf' without a noise variable; use 'pdhg'")
    if lp_start not in _LP_STARTS:
        raise ValueError(f"lp_start must be one of {_LP_STARTS}, got {lp_start!r}")
    if max_iter is not None and (not isinstance(max_iter, numbers.Integral) or max_iter < 1):
        raise ValueError(f"max_iter must be a positive int, got {max_iter!r}")
    if method == "pdhg":
        z, status, it, rn, gap, hist, msg, cnt = _pdhg(A, S, q, bound, norm, noise, tol,
                                                       max_iter or 20000, verbose)
        info = SolverInfo("qcs:pdhg", status, it, rn, float(np.abs(z).sum()), gap, cnt["n_matvec"],
                          cnt["n_rmatvec"], time.perf_counter() - t0, msg, hist)
        return z, info.warn_if_not_converged()
    if x_start is not None and support_hint is None:
        raise ValueError("x_start is used together with support_hint only (the columns it starts from)")
    if support_hint is not None:
        hint = np.asarray(support_hint)
        if hint.size and hint.dtype.kind not in "iu":
            raise ValueError(f"support_hint must hold integer column indices, got dtype {hint.dtype}")
    B = _Shaped(A, S)
    b = np.asarray(S.solve(q))
    if method == "homotopy":
        z, status, it, rn, gap, hist, msg = _homotopy(B, q, b, bound, tol, max_iter or 4 * n, verbose)
    elif support_hint is None and (lp_start == "ipm" or (lp_start == "auto" and m * n <= _IPM_MAX_ENTRIES
                                                                and m * n * n <= _IPM_MAX_FLOPS)):
        z, status, it, rn, gap, hist, msg = _ipm_then_lp(B, b, bound, tol, max_iter or 200, verbose)
    else:
        z2, start = None, "support_hint"
        if support_hint is None:
            start = "homotopy"
            z2, *_ = _homotopy(B, q, b, bound * math.sqrt(m), tol, 4 * n, verbose)
            support_hint = np.flatnonzero(z2)
        else:
            support_hint = np.asarray(support_hint, dtype=int).ravel()
            if support_hint.size and (support_hint.min() < 0 or support_hint.max() >= n):
                raise ValueError(f"support_hint must hold column indices in [0, {n})")
            if x_start is not None:
                start = "x_start"
                try:
                    z2 = np.asarray(x_start, dtype=np.float64).ravel()
                except (TypeError, ValueError):
                    raise TypeError(f"x_start must be a real vector, got {type(x_start).__name__}") from None
                if z2.shape != (n,) or not np.isfinite(z2).all():
                    raise ValueError(f"x_start must be a finite vector of shape ({n},), got shape {z2.shape}")
        z, status, it, rn, gap, hist, msg = _lp(B, b, bound, support_hint, tol, max_iter or 200, verbose, z2)
        hist["start"] = start
    info = SolverInfo(f"qcs:{method}", status, it, rn, float(np.abs(z).sum()), gap, B.n_matvec,
                      B.n_rmatvec, time.perf_counter() - t0, msg, hist)
    return z, info.warn_if_not_converged()


def shaped_least_squares(A, q, support, shaping=None, condensation=None, warn_cond=1e12):
    r"""Second stage of the two-stage decoder: least squares on a support in the dual metric.

    ``x_T = (S^-1 A_T)^+ S^-1 q`` (Sobolev dual for ``S = D^r``; the beta dual for
    ``S = I_p ⊗ H_beta``), or with a condensation operator ``V`` instead:
    ``x_T = (V A_T)^+ V q``; ``x`` is zero off ``T``.  Only the ``|T|`` columns ``S^-1 A_T`` are
    formed (banded solves), never ``S^-1``.

    Parameters
    ----------
    A : array_like or LinearOperator, shape (m, n)
    q : ndarray, shape (m,)
    support : array_like of int, shape (k,)
        The support ``T`` (from an ℓ1 decode): 1-D integer column indices in ``[0, n)``
        (duplicates are merged), ``|T| <= m``.
    shaping : ShapingOperator, optional
        ``S`` (default identity: ordinary least squares on the support).
    condensation : LinearOperator or array, shape (p, m), optional
        Use ``V`` instead of ``S^-1`` (mutually exclusive with ``shaping``).
    warn_cond : float
        Warn (:class:`~cstoolbox.exceptions.ConditioningWarning`) when the least-squares matrix
        has a larger condition number.

    Returns
    -------
    x : ndarray, shape (n,)
    info : SolverInfo  (``residual_norm`` in the dual metric, ``gap`` = condition number)

    Raises
    ------
    ValueError
        ``A`` without rows or columns, ``q`` of the wrong length or not finite, a support that is
        not 1-D or has indices outside ``[0, n)`` or more than the available equations.
    TypeError
        Complex ``A`` or ``q``; a support of non-integer dtype (float, complex, boolean mask).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> A = rng.standard_normal((50, 20)); x = np.zeros(20); x[[2, 5]] = [1.0, 2.0]
    >>> S = ShapingOperator.sigma_delta(50, 2)
    >>> z, info = shaped_least_squares(A, A @ x, [2, 5], S)
    >>> bool(np.allclose(z, x))
    True
    """
    t0 = time.perf_counter()
    A = _as_real_operator(A)
    m, n = A.shape
    q = _as_vector(q, m)
    T = _as_support(support, n)
    if T.size == 0:
        return np.zeros(n), SolverInfo("qcs:dual-lstsq", "converged", 0, float(np.linalg.norm(q)),
                                       message="empty support")
    if condensation is not None and shaping is not None:
        raise ValueError("give either shaping or condensation, not both")
    E = np.zeros((n, T.size))
    E[T, np.arange(T.size)] = 1.0
    AT = np.asarray(A.matvec(E), dtype=np.float64)
    if condensation is not None:
        V = aslinearoperator(condensation)
        if V.shape[1] != m:
            raise ValueError(f"condensation must have {m} columns, got shape {V.shape}")
        M, rhs = np.asarray(V.matvec(AT)), np.asarray(V.matvec(q))
    else:
        S = _check_shaping(shaping, m)
        M, rhs = np.asarray(S.solve(AT)), np.asarray(S.solve(q))
    if T.size > M.shape[0]:
        raise ValueError(f"support of size {T.size} exceeds the {M.shape[0]} available equations")
    sol, _, rank, sv = np.linalg.lstsq(M, rhs, rcond=None)
    cond = float(sv[0] / sv[-1]) if sv[-1] > 0 else np.inf
    if cond > warn_cond:
        warnings.warn(f"dual least-squares matrix has condition number {cond:.3e} (> {warn_cond:.0e})",
                      ConditioningWarning, stacklevel=2)
    x = np.zeros(n)
    x[T] = sol
    rn = float(np.linalg.norm(M @ sol - rhs))
    status = "converged" if rank == T.size else "rank_deficient"
    return x, SolverInfo("qcs:dual-lstsq", status, 1, rn, np.nan, cond, 1, 0, time.perf_counter() - t0,
                         f"rank {rank} of {T.size}")
