r"""Quantized compressed sensing with noise shaping: ΣΔ and beta encoding of (structured) measurements.

Measurements ``y = A x`` of an s-sparse ``x`` through any operator — Gaussian, partial random
circulant, subsampled DFT/DCT/Hadamard (BOS) — are quantized by memoryless scalar quantization
(MSQ), greedy r-th order ΣΔ, the stable one-bit ΣΔ filters or distributed (beta) noise shaping,
and decoded by convex programs that know the quantizer's noise-shaping identity ``y - q = S u``.

:class:`QuantizedCS` bundles the operator and the quantizer: ``encode(x)`` gives ``q`` (and the
state ``u``), ``decode(q, method=...)`` returns ``(x_hat, info)`` with a
:class:`~cstoolbox.solvers.SolverInfo`:

``"one-stage"``
    Saab–Wang–Yilmaz: ``min ||z||_1 s.t. ||S^-1 (A z - q)|| <= bound`` (ℓ2: ``(step/2) sqrt(m)``,
    ℓinf: ``step/2``), written with an auxiliary ``w`` (``S w = A z - q``) and the banded ``S``;
    for beta encoding ``S = I_p ⊗ H_beta`` (the beta analogue); optional noise variable.
``"condensed"``
    ``min ||z||_1 s.t. ||V (A z - q)||_2 <= bound_V`` with the condensation operator ``V``
    (beta: ``v = beta^-(1..lam)``, bound ``beta^-lam sqrt(p) step/2``; ΣΔ: ``v`` the coefficients
    of ``(1 + ... + z^(t-1))^r``, bound ``2^r sqrt(p) step/2``).
``"two-stage"``
    Support ``T`` from an ℓ1 decode, then the Sobolev dual (ΣΔ) / beta dual least squares
    ``x_T = (S^-1 A_T)^+ S^-1 q`` (support from the one-stage ℓinf decoder by default, from
    plain BPDN with ``support_from="bpdn"``, or from the condensed decoder with
    ``support_from="condensed"``: for beta encoding with long blocks the fast choice, since the
    condensed ``p x n`` program is well conditioned while ``H_beta^-1`` has entries up to
    ``beta^(lam-1)``).
``"bpdn"``
    The MSQ baseline: plain basis pursuit denoising ``||A z - q||_2 <= ||S||_1 (step/2) sqrt(m)``.

Complex operators (subsampled DFT) are wrapped in :class:`RealStackedOperator` (real and imaginary
parts quantized as two independent streams of length m; the shaping restarts between them).

References
----------
C. S. Güntürk, M. Lammers, A. Powell, R. Saab, Ö. Yılmaz, "Sobolev duals for random frames and
ΣΔ quantization of compressed sensing measurements", Found. Comput. Math. 13 (2013).
R. Saab, R. Wang, Ö. Yılmaz, "Quantization of compressive samples with stable and robust
recovery", Appl. Comput. Harmon. Anal. 44 (2018).
J. Feng, F. Krahmer, R. Saab, "Quantized compressed sensing for partial random circulant
matrices", Appl. Comput. Harmon. Anal. (2019).
E. Chou, C. S. Güntürk, "Distributed noise-shaping quantization: I. Beta duals of finite frames
and near-optimal quantization of random measurements", Constr. Approx. 44 (2016).

Examples
--------
>>> import numpy as np
>>> from cstoolbox.operators import GaussianOperator
>>> from cstoolbox.quantizers import Alphabet
>>> from cstoolbox.quantized_cs import QuantizedCS
>>> rng = np.random.default_rng(0)
>>> n, m, s = 64, 256, 3
>>> x = np.zeros(n); x[rng.choice(n, s, replace=False)] = rng.standard_normal(s)
>>> A = GaussianOperator(m, n, random_state=1)
>>> qcs = QuantizedCS(A, "sigma_delta", order=2, alphabet=Alphabet(8, np.abs(A @ x).max() / 2.5))
>>> q = qcs.encode(x)
>>> x_hat, info = qcs.decode(q, method="one-stage", norm="inf")
>>> info.status, bool(np.linalg.norm(x_hat - x) < 0.1 * np.linalg.norm(x))
('converged', True)
"""
import math
import numbers
import warnings

import numpy as np

from .exceptions import QuantizerInstabilityWarning
from .operators import LinearOperator, aslinearoperator
from .quantizers import (Alphabet, beta_encode, condensation_operator, msq, one_bit_sigma_delta,
                         one_bit_sigma_delta_filter, sigma_delta, stability_bound)
from .solvers._qcs import ShapingOperator, shaped_basis_pursuit, shaped_least_squares

__all__ = ["QuantizedCS", "RealStackedOperator", "SCHEMES", "DECODERS"]

SCHEMES = ("msq", "sigma_delta", "one_bit_sigma_delta", "beta")
DECODERS = ("one-stage", "condensed", "two-stage", "bpdn")


class RealStackedOperator(LinearOperator):
    """A complex operator ``A`` (m x n) acting on real signals as the real ``2m x n`` map
    ``x -> [Re(A x); Im(A x)]``; adjoint ``[a; b] -> Re(A^H (a + i b))``.

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.operators import SubsampledOrthogonalOperator, dottest
    >>> F = SubsampledOrthogonalOperator(8, 32, "dft", random_state=0)
    >>> R = RealStackedOperator(F)
    >>> R.shape, dottest(R, random_state=0)
    ((16, 32), True)
    """

    def __init__(self, operator):
        op = aslinearoperator(operator)
        super().__init__((2 * op.shape[0], op.shape[1]), np.float64)
        self.operator = op

    def _matvec(self, x):
        y = self.operator.matvec(x.real if np.iscomplexobj(x) else x)
        return np.concatenate([y.real, y.imag], axis=0)

    def _rmatvec(self, y):
        m = self.operator.shape[0]
        return np.real(self.operator.rmatvec(y[:m] + 1j * y[m:]))


def _check_int(v, name, minimum=1):
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {v!r}")
    return int(v)


class QuantizedCS:
    r"""Compressed sensing measurements quantized with noise shaping, and their decoders.

    Parameters
    ----------
    operator : array_like or LinearOperator, shape (m, n)
        The measurement operator ``A`` (real, or complex: then real and imaginary parts are
        quantized separately, see :class:`RealStackedOperator`).
    scheme : {"msq", "sigma_delta", "one_bit_sigma_delta", "beta"}
        The quantizer.
    order : int
        ΣΔ order r (``"sigma_delta"``: any r >= 1 that the alphabet stabilizes;
        ``"one_bit_sigma_delta"``: the DGK filters).
    alphabet : Alphabet, optional
        Default ``Alphabet.one_bit()`` (values ±1).  Ignored by ``"one_bit_sigma_delta"``
        (always ±1).
    beta : float, optional
        Required for ``"beta"``: 1 < beta <= 2K.
    block_length : int, optional
        Beta encoding block length ``lam`` (must divide the stream length m; default m).  The
        other schemes shape each stream as one block and ignore it (it must still be ``None`` or
        a positive int; the ΣΔ condensation block is ``decode(..., block_length=...)``).

    Attributes
    ----------
    A_ : LinearOperator, the real operator actually quantized (``2m`` rows for complex A)
    shaping_ : ShapingOperator, ``S`` with ``y - q = S u``
    state_bound_ : float, the guaranteed ``||u||_inf`` of a stable run (``step/2``)
    input_bound_ : float, the largest ``||A x||_inf`` for which the scheme is provably stable
    stream_length_ : int, length of each independently shaped stream (m)

    Raises
    ------
    ValueError
        Unknown scheme, an alphabet too small to stabilize greedy ΣΔ of that order
        (``2K < 2^r - 1``: use ``"one_bit_sigma_delta"`` or more levels), beta outside
        (1, 2K], block length not a positive int (any scheme) or not dividing m (beta).

    Notes
    -----
    Every scheme satisfies ``y - q = S u`` exactly, with ``S = D^r`` (ΣΔ), ``δ0 - h`` (one-bit
    filters), ``I_p ⊗ H_beta`` (beta) or ``I`` (MSQ); in the stable range
    ``||u||_inf <= step/2``, so the true ``x`` is feasible for the one-stage decoders, whose
    error then decays like ``(m/s)^{-(r - 1/2)}`` (ΣΔ) or ``beta^{-lam}`` (beta) while MSQ's
    does not decay at a fixed step.
    """

    def __init__(self, operator, scheme="sigma_delta", order=1, alphabet=None, beta=None, block_length=None):
        try:
            op = aslinearoperator(operator)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"operator must be an array or a linear operator, got {type(operator).__name__}") \
                from exc
        if scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
        self.operator = op
        self.scheme = scheme
        self.complex_ = op.dtype.kind == "c"
        self.A_ = RealStackedOperator(op) if self.complex_ else op
        m_stream = op.shape[0]
        self.stream_length_ = m_stream
        self.n_streams_ = 2 if self.complex_ else 1
        m, self.n_ = self.A_.shape
        self.m_ = m
        if alphabet is None:
            alphabet = Alphabet.one_bit()
        if not isinstance(alphabet, Alphabet):
            raise TypeError(f"alphabet must be a cstoolbox.quantizers.Alphabet, got {type(alphabet).__name__}")
        self.order = order
        self.beta = beta
        if block_length is not None:  # validated for every scheme; only 'beta' uses it
            block_length = _check_int(block_length, "block_length")
        self.block_length = block_length
        if scheme == "msq":
            self.alphabet = alphabet
            self.shaping_ = ShapingOperator.identity(m)
            self.input_bound_ = stability_bound("msq", alphabet)
        elif scheme == "sigma_delta":
            order = _check_int(order, "order")
            self.alphabet = alphabet
            bound = stability_bound("sigma_delta", alphabet, order=order)
            if bound <= 0:
                need = 2 ** order - 1
                raise ValueError(
                    f"an alphabet with {alphabet.levels} levels cannot stabilize greedy sigma-delta of order "
                    f"{order} (the stability bound ||y||_inf + (2^r - 1) step/2 <= K step needs "
                    f"2K > {need}, i.e. levels >= {need + 1}); use more levels or "
                    f"scheme='one_bit_sigma_delta'")
            self.input_bound_ = bound
            self.shaping_ = ShapingOperator.sigma_delta(m, order, block_length=m_stream)
        elif scheme == "one_bit_sigma_delta":
            order = _check_int(order, "order")
            self.alphabet = Alphabet.one_bit()
            taps, coefs = one_bit_sigma_delta_filter(order)
            if int(taps.max()) >= m_stream:
                raise ValueError(f"the order-{order} one-bit filter has a tap at delay {int(taps.max())}, "
                                 f"longer than the m={m_stream} measurements")
            self.input_bound_ = stability_bound("one_bit_sigma_delta", self.alphabet, order=order)
            self.shaping_ = ShapingOperator.from_filter(m, taps, coefs, block_length=m_stream)
        else:
            if beta is None:
                raise ValueError("scheme='beta' needs beta (1 < beta <= 2K)")
            self.alphabet = alphabet
            lam = m_stream if block_length is None else block_length
            if m_stream % lam:
                raise ValueError(f"block_length={lam} must divide the number of measurements m={m_stream}")
            self.input_bound_ = stability_bound("beta", alphabet, beta=beta)  # validates beta
            self.block_length = lam
            self.shaping_ = ShapingOperator.beta(m, float(beta), block_length=lam)
        self.state_bound_ = self.alphabet.step / 2

    # -- encoding -----------------------------------------------------------------------------
    def measure(self, x):
        """The real measurements ``y = A_ x`` (stacked real/imaginary parts for complex A)."""
        x = np.asarray(x)
        if x.ndim not in (1, 2) or x.shape[0] != self.n_:
            raise ValueError(f"x must have shape ({self.n_},) or ({self.n_}, k) for an operator with "
                             f"{self.n_} columns, got {x.shape}")
        if np.iscomplexobj(x):
            raise TypeError("x must be real (complex signals: split them into real parts first)")
        return np.asarray(self.A_.matvec(x.astype(np.float64)))

    def quantize(self, y, return_state=False, warn=True):
        """Quantize real measurements ``y`` (shape ``(m,)`` or ``(m, k)``), stream by stream."""
        y = np.asarray(y, dtype=np.float64)
        if y.shape[0] != self.m_:
            raise ValueError(f"y must have {self.m_} rows, got shape {y.shape}")
        single = y.ndim == 1
        Y = y.reshape(self.n_streams_, self.stream_length_, -1)        # (streams, m, k)
        Y = np.moveaxis(Y, 1, -1)                                      # (streams, k, m)
        if self.scheme == "msq":
            q = msq(Y, self.alphabet)
            u = Y - q
        elif self.scheme == "sigma_delta":
            q, u = sigma_delta(Y, self.order, self.alphabet, return_state=True, warn=False)
        elif self.scheme == "one_bit_sigma_delta":
            q, u = one_bit_sigma_delta(Y, self.order, return_state=True, warn=False)
        else:
            q, u = beta_encode(Y, self.beta, self.block_length, self.alphabet, return_state=True, warn=False)
        back = (lambda a: np.moveaxis(a, -1, 1).reshape(self.m_, -1))  # noqa: E731
        q, u = back(q), back(u)
        if single:
            q, u = q[:, 0], u[:, 0]
        umax = float(np.max(np.abs(u))) if u.size else 0.0
        if warn and umax > self.state_bound_ * (1 + 1e-9):
            warnings.warn(
                f"{self.scheme} state max|u| = {umax:.4g} exceeds the bound {self.state_bound_:.4g} "
                f"(||y||_inf = {float(np.max(np.abs(y))):.4g}, stable for ||y||_inf <= {self.input_bound_:.4g}): "
                "x is not feasible for the decoders; scale the signal down or use more levels",
                QuantizerInstabilityWarning, stacklevel=3)
        return (q, u) if return_state else q

    def encode(self, x, return_state=False, warn=True):
        """Measure and quantize: ``q = Q(A x)`` (and the state ``u`` with ``y - q = S u``).

        Warns :class:`~cstoolbox.exceptions.QuantizerInstabilityWarning` when the state leaves
        its bound (the decoders' feasibility guarantee is then void).
        """
        return self.quantize(self.measure(x), return_state=return_state, warn=warn)

    # -- decoding -----------------------------------------------------------------------------
    def _check_q(self, q):
        q = np.asarray(q)
        if q.ndim != 1 or q.shape[0] != self.m_:
            raise ValueError(f"q must be a 1-D array of length {self.m_}, got shape {q.shape}")
        return q.astype(np.float64)

    def condensation(self, block_length=None):
        r"""The condensation operator ``V`` (p x m) and the bound on ``||V(A x - q)||_2``.

        Beta encoding: ``V = I_p ⊗ beta^-(1..lam)`` with the encoder's (or a dividing) block
        length, bound ``beta^-lam sqrt(p) step/2``.  ΣΔ of order r: blocks of length
        ``lam = r(t-1)+1`` carrying ``v`` = the coefficients of ``(1 + z + ... + z^(t-1))^r``,
        bound ``2^r sqrt(p) step/2`` (``v^T D^r`` is the filter ``(1 - z^t)^r``, of ℓ1 norm
        ``2^r``, wherever the block starts).  When no such ``lam`` divides the stream length
        (every power-of-two m, since lam is odd for r = 2), only the first
        ``p = floor(m_stream / lam)`` blocks of each stream are condensed and the remaining
        ``m_stream - p lam`` measurements are left out: a constraint on a subset of the rows is
        still a valid relaxation, the true x stays feasible because ``(y - q)`` restricted to a
        prefix is ``D^r`` applied to the prefix of ``u``.

        Default ΣΔ block length: ``t = round(sqrt(m_stream / 4))``, lowered until ``lam``
        divides ``m_stream``; when none does, ``t`` itself with the truncation above.

        Examples
        --------
        >>> import numpy as np
        >>> from cstoolbox.quantizers import Alphabet
        >>> qcs = QuantizedCS(np.ones((64, 4)), "sigma_delta", order=2, alphabet=Alphabet(8, 1.0))
        >>> V, bound = qcs.condensation(block_length=9)   # 7 blocks of 9, the last 1 row left out
        >>> V.shape, float(np.abs(V @ np.ones(64)).max())
        ((7, 64), 25.0)
        """
        if self.scheme in ("msq", "one_bit_sigma_delta"):
            raise ValueError(f"condensation is defined for 'sigma_delta' and 'beta', not {self.scheme!r}")
        half = self.state_bound_
        if self.scheme == "beta":
            lam = self.block_length if block_length is None else _check_int(block_length, "block_length")
            if self.stream_length_ % lam:
                raise ValueError(f"block_length={lam} must divide m={self.stream_length_}")
            V = condensation_operator("beta", self.m_, lam, beta=self.beta)
            per_block = self.beta ** (-lam) * half
            return V, per_block * math.sqrt(V.shape[0])
        r = self.order
        ms = self.stream_length_
        if block_length is None:
            t0 = max(2, int(round((ms / 4) ** 0.5)))
            t = t0
            lam = r * (t - 1) + 1
            while ms % lam and lam > r + 1:
                t -= 1
                lam = r * (t - 1) + 1
            if ms % lam:
                lam = r * (t0 - 1) + 1          # no dividing length: truncate (see above)
        else:
            lam = _check_int(block_length, "block_length")
        if (lam - 1) % r or lam > ms:
            raise ValueError(f"a ΣΔ condensation block length must be r(t-1)+1 with t >= 1 and at most "
                             f"m={ms}, got {lam} for r={r}")
        per_block = 2 ** r * half
        if ms % lam == 0:
            V = condensation_operator("sigma_delta", self.m_, lam, order=r)
        else:
            import scipy.sparse as sps  # noqa: PLC0415
            v = condensation_operator("sigma_delta", lam, lam, order=r).vector
            pb = ms // lam
            rows, cols, vals = [], [], []
            for k in range(self.n_streams_):
                start = k * ms
                blk = np.arange(pb * lam)
                rows.append(k * pb + blk // lam)
                cols.append(start + blk)
                vals.append(np.tile(v, pb))
            M = sps.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                               shape=(self.n_streams_ * pb, self.m_))
            V = aslinearoperator(M)
        p = V.shape[0]
        return V, per_block * math.sqrt(p)

    def decode(self, q, method="one-stage", norm="inf", noise=0.0, solver="fast", sparsity=None,
               block_length=None, bpdn_solver="homotopy", support_from="one-stage", support_rows=None,
               **solver_options):
        r"""Decode quantized measurements.

        Parameters
        ----------
        q : ndarray, shape (m,)
            Output of :meth:`encode` (for complex operators: ``2m`` stacked values).
        method : {"one-stage", "condensed", "two-stage", "bpdn"}
            See the module docstring.
        norm : {"inf", "l2"}
            One-stage constraint norm: ℓinf with bound ``step/2`` (default; the tighter program,
            solved as a certified LP) or ℓ2 with ``(step/2) sqrt(m)`` (exact homotopy, faster,
            looser).
        noise : float
            ℓ2 radius of an additive measurement-noise variable (one-stage only; uses the
            primal-dual solver).
        solver : {"fast", "cvxpy"}
            Fast decoders (:func:`~cstoolbox.solvers.shaped_basis_pursuit`) or the cvxpy
            reference (small problems).
        sparsity : int, optional
            Two-stage: keep the ``sparsity`` largest ℓ1 coefficients as the support (default:
            the ℓ1 solution's support).
        block_length : int, optional
            Condensed decoder block length (default the encoder's for beta; ΣΔ: about sqrt(m)).
        support_from : {"one-stage", "bpdn", "condensed"}
            Two-stage: the ℓ1 decode giving the support (the one-stage decoder with ``norm``,
            plain BPDN with the worst-case bound ``||S||_1 (step/2) sqrt(m)``, which needs
            coefficients well above the quantization step, or the condensed decoder with
            ``block_length``, for ``"sigma_delta"`` and ``"beta"``).
        support_rows : int, optional
            ``method="one-stage"`` (ℓinf, fast): start the certified LP from the two-stage decode
            below (its support as the first columns, its most violated rows as the first rows;
            the answer is the same certified optimum).
            Two-stage with ``support_from="one-stage"``: run the support stage on the first
            ``support_rows`` measurements of each stream only (``A_{1:m'}``, ``S_{m'}``, the
            leading block of ``S``), then the dual least squares on all ``m``.  Still a valid
            relaxation containing the true x: ``S`` is lower-triangular, so
            ``(A x - q)_{1:m'} = S_{m'} u_{1:m'}`` with the same bound.  For large problems
            (n = 2^14, m = 4n): the ℓinf LP on m' = 4096 rows finds a support superset in about
            a minute where the full one-stage LP does not finish in minutes; with
            ``sparsity=s`` the dual least squares then reaches the oracle error (9.7e-6 there),
            while all of the LP vertex's nonzeros (127) gave 0.0113: extra columns next to true
            ones make ``S^-1 A_T`` ill-conditioned.  Must be a multiple of the shaping block
            (beta: ``block_length``).
        bpdn_solver : {"homotopy", "weighted_l1"}
            Solver of the plain BPDN (baseline and two-stage support): our exact homotopy, or
            :func:`cstoolbox.weighted_l1.weighted_bpdn` with unit weights.
        **solver_options
            Passed to the solver (``tol``, ``max_iter``, ``method``, cvxpy ``solver``...).

        Returns
        -------
        x_hat : ndarray, shape (n,)
        info : SolverInfo
        """
        q = self._check_q(q)
        if method not in DECODERS:
            raise ValueError(f"method must be one of {DECODERS}, got {method!r}")
        if solver not in ("fast", "cvxpy"):
            raise ValueError(f"solver must be 'fast' or 'cvxpy', got {solver!r}")
        if norm not in ("l2", "inf"):
            raise ValueError(f"norm must be 'l2' or 'inf', got {norm!r}")
        if support_rows is not None and method not in ("one-stage", "two-stage"):
            raise ValueError("support_rows applies to method='one-stage' or 'two-stage' only, "
                             f"got method={method!r}")
        half = self.state_bound_
        if method == "one-stage":
            bound = half * math.sqrt(self.m_) if norm == "l2" else half
            if support_rows is not None:
                return self._lp_from_two_stage(q, support_rows, sparsity, norm, noise, solver, **solver_options)
            return self._bp(self.A_, q, self.shaping_, bound, norm, noise, solver, **solver_options)
        if noise:
            raise ValueError(f"noise is supported by method='one-stage' only, got method={method!r}")
        if method == "condensed":
            V, bound = self.condensation(block_length)
            return self._bp(V @ self.A_, np.asarray(V.matvec(q)), None, bound, "l2", 0.0, solver,
                            **solver_options)
        # plain BPDN (MSQ baseline, two-stage support)
        bound = self.shaping_.norm_bound() * half * math.sqrt(self.m_)
        if method == "bpdn":
            return self._bpdn(q, bound, solver, bpdn_solver, **solver_options)
        if support_rows is not None and support_from != "one-stage":
            raise ValueError(f"support_rows needs support_from='one-stage', got {support_from!r}")
        if support_from == "bpdn":
            z, info = self._bpdn(q, bound, solver, bpdn_solver, **solver_options)
        elif support_from == "condensed":
            V, bV = self.condensation(block_length)
            z, info = self._bp(V @ self.A_, np.asarray(V.matvec(q)), None, bV, "l2", 0.0, solver,
                               **solver_options)
        elif support_from == "one-stage":
            A1, q1, S1 = self.A_, q, self.shaping_
            if support_rows is not None:
                A1, q1, S1 = self._row_prefix(q, support_rows)
            b1 = half * math.sqrt(A1.shape[0]) if norm == "l2" else half
            z, info = self._bp(A1, q1, S1, b1, norm, 0.0, solver, **solver_options)
        else:
            raise ValueError(f"support_from must be 'one-stage', 'bpdn' or 'condensed', got {support_from!r}")
        if sparsity is not None:
            k = _check_int(sparsity, "sparsity")
            T = np.argsort(-np.abs(z))[:k]
            T = T[np.abs(z[T]) > 0]
        else:
            T = np.flatnonzero(np.abs(z) > 1e-10 * max(np.abs(z).max(), 1e-300))
        x, info2 = shaped_least_squares(self.A_, q, T, self.shaping_)
        info2.solver = f"two-stage({info.solver} + dual-lstsq)"
        info2.iterations += info.iterations
        info2.time += info.time
        rows = "" if support_rows is None else f" on {A1.shape[0]} of {self.m_} rows"
        info2.message = (f"support stage{rows} ({info.solver}, {info.status}: {info.message}), |T| = {T.size}; "
                         f"dual least squares: {info2.message}")
        if not info.converged:
            info2.status = info.status
        return x, info2

    def _lp_from_two_stage(self, q, support_rows, sparsity, norm, noise, solver, **opts):
        """Certified ℓinf one-stage LP started from the two-stage decode (support stage on a
        row prefix): its support as the first columns, the rows it violates most as the first rows."""
        if norm != "inf" or noise or solver != "fast":
            raise ValueError("method='one-stage' with support_rows starts the certified ℓinf LP from the "
                             "two-stage decode: it needs norm='inf', noise=0 and solver='fast'")
        z2, info2 = self.decode(q, method="two-stage", norm="inf", sparsity=sparsity, support_rows=support_rows,
                                **opts)
        lp_opts = {k: v for k, v in opts.items() if k != "lp_start"}
        z, info = shaped_basis_pursuit(self.A_, q, self.shaping_, self.state_bound_, "inf", 0.0, method="lp",
                                       support_hint=np.flatnonzero(z2), x_start=z2, **lp_opts)
        info.time += info2.time
        info.iterations += info2.iterations
        info.n_matvec += info2.n_matvec
        info.message = f"{info.message} (started from the two-stage decode: {info2.message})"
        return z, info

    def _row_prefix(self, q, rows):
        """``(A_{1:m'}, q_{1:m'}, S_{m'})``: the first ``rows`` measurements of every stream."""
        ms, ns = self.stream_length_, self.n_streams_
        mp = _check_int(rows, "support_rows")
        block = self.shaping_.block_length
        if mp > ms:
            raise ValueError(f"support_rows={mp} exceeds the stream length m={ms}")
        if block < ms and mp % block:
            raise ValueError(f"support_rows={mp} must be a multiple of the shaping block length {block}")
        import scipy.sparse as sps  # noqa: PLC0415
        idx = np.concatenate([k * ms + np.arange(mp) for k in range(ns)])
        R = sps.csr_matrix((np.ones(idx.size), (np.arange(idx.size), idx)), shape=(idx.size, self.m_))
        S1 = ShapingOperator(idx.size, self.shaping_.coefficients, block_length=mp if block == ms else block)
        return aslinearoperator(R) @ self.A_, q[idx], S1

    def _bp(self, A, q, S, bound, norm, noise, solver, **opts):
        if solver == "cvxpy":
            from .solvers._qcs_cvx import shaped_basis_pursuit_cvxpy  # noqa: PLC0415
            return shaped_basis_pursuit_cvxpy(A, q, S, bound, norm, noise, **opts)
        return shaped_basis_pursuit(A, q, S, bound, norm, noise, **opts)

    def _bpdn(self, q, bound, solver, bpdn_solver, **opts):
        if bpdn_solver not in ("homotopy", "weighted_l1"):
            raise ValueError(f"bpdn_solver must be 'homotopy' or 'weighted_l1', got {bpdn_solver!r}")
        if solver == "fast" and bpdn_solver == "weighted_l1":
            from .weighted_l1 import weighted_bpdn  # noqa: PLC0415
            return weighted_bpdn(self.A_, q, np.ones(self.n_), sigma=bound, **opts)
        return self._bp(self.A_, q, None, bound, "l2", 0.0, solver, **opts)

    def __repr__(self):
        extra = {"msq": "", "sigma_delta": f", order={self.order}", "one_bit_sigma_delta": f", order={self.order}",
                 "beta": f", beta={self.beta}, block_length={self.block_length}"}[self.scheme]
        return (f"QuantizedCS({self.m_}x{self.n_} {type(self.operator).__name__}, {self.scheme!r}{extra}, "
                f"alphabet={self.alphabet})")

