"""The lifted (block-circulant) linear system of BlockPR and its solvers."""
import warnings

import numpy as np
import scipy.fft as sfft

from ..exceptions import ConditioningWarning
from ._masks import check_masks, window_structure

__all__ = ["lifted_condition_number", "lifted_solve"]

#: lifted systems with a condition number above this trigger a ConditioningWarning
COND_WARN = 1e8


def _blocks(W):
    """``C[j, p, m] = conj(W[p, j]) W[p, j + m]`` (zero when ``j + m`` is outside the support), m = -(delta-1)..delta-1."""
    K, delta = W.shape
    M = 2 * delta - 1
    C = np.zeros((delta, K, M), dtype=np.complex128)
    for j in range(delta):
        for mi in range(M):
            m = mi - (delta - 1)
            if 0 <= j + m < delta:
                C[j, :, mi] = np.conj(W[:, j]) * W[:, j + m]
    return C


def _J(W, d):
    """``J_k = sum_j C_j exp(+2 pi i k j / d)``, shape (d, K, M)."""
    C = _blocks(W)
    Cpad = np.zeros((d,) + C.shape[1:], dtype=np.complex128)
    Cpad[:C.shape[0]] = C
    return np.fft.ifft(Cpad, axis=0) * d


def _g(window, d):
    """Fast-path symbol ``g_k(m) = sum_j conj(w_j) w_{j+m} exp(2 pi i k j / d)``, shape (M, d)."""
    delta = window.size
    M = 2 * delta - 1
    A = np.zeros((M, d), dtype=np.complex128)
    for mi in range(M):
        m = mi - (delta - 1)
        j = np.arange(max(0, -m), min(delta, delta - m))
        A[mi, j] = np.conj(window[j]) * window[j + m]
    return sfft.ifft(A, axis=-1, overwrite_x=True) * d


class LiftedSystem:
    """Precomputed solver for the lifted system of masks ``W`` at length ``d``.

    ``solve(b)`` maps intensities ``(..., K, d)`` to the band ``z[..., i, m + delta - 1] = x_i conj(x_{i+m})``.
    """

    def __init__(self, masks, d):
        W = check_masks(masks, d)
        self.W = W
        self.d = int(d)
        self.K, self.delta = W.shape
        self.M = 2 * self.delta - 1
        ws = window_structure(W)
        if ws is not None:
            self.fast = True
            window, K = ws
            self.gT = _g(window, self.d)  # (M, d)
            self.g = self.gT.T
            absg = np.abs(self.g)
            mn = absg.min()
            self.condition_number = float(absg.max() / mn) if mn > 0 else np.inf
            # columns m of the K-point DFT (indices m mod K)
            self.cols = np.arange(-(self.delta - 1), self.delta) % K
        else:
            self.fast = False
            J = _J(W, self.d)
            s = np.linalg.svd(J, compute_uv=False)
            mn = s[:, -1].min()
            self.condition_number = float(s[:, 0].max() / mn) if mn > 0 else np.inf
            if np.isfinite(self.condition_number):
                if self.K == self.M:
                    self.Jinv = np.linalg.inv(J)
                else:
                    self.Jinv = np.linalg.pinv(J)
        self.method = "windowed-fourier-fft" if self.fast else ("block-circulant-solve" if self.K == self.M
                                                                else "block-circulant-lstsq")

    def check(self, warn=True):
        if not np.isfinite(self.condition_number) or self.condition_number > 1e15:
            raise ValueError(f"the masks give a singular lifted system at d = {self.d} "
                             f"(condition number {self.condition_number:.3g}); choose other masks")
        if warn and self.condition_number > COND_WARN:
            warnings.warn(f"the lifted system is badly conditioned: condition number "
                          f"{self.condition_number:.3g} (d = {self.d}, delta = {self.delta}, "
                          f"{self.K} masks); expect large errors", ConditioningWarning, stacklevel=4)

    def solve(self, b):
        if self.fast:
            # real b: FFT over the shifts for k <= d/2 only, then the DFT over the masks; the other half
            # follows from Fb(m, d - k) = conj(Fb(-m mod K, k))
            d, K = self.d, self.K
            h = d // 2 + 1
            Fh = sfft.fft(sfft.rfft(b, axis=-1), axis=-2)  # (..., K, h)
            Fb = np.empty(b.shape[:-2] + (self.M, d), dtype=np.complex128)
            Fb[..., :h] = Fh[..., self.cols, :]
            neg = (-self.cols) % K
            Fb[..., h:] = np.conj(Fh[..., neg, :][..., d - np.arange(h, d)])
            Fb /= self.gT * K
            return np.ascontiguousarray(np.swapaxes(sfft.ifft(Fb, axis=-1, overwrite_x=True), -1, -2))
        bh = sfft.fft(b, axis=-1)  # (..., K, d) over shifts l
        uh = np.matmul(self.Jinv, np.swapaxes(bh, -1, -2)[..., None])[..., 0]  # (..., d, M)
        return sfft.ifft(uh, axis=-2)


def lifted_condition_number(masks, d):
    r"""Condition number of BlockPR's lifted block-circulant system for masks ``W`` at length ``d``.

    Parameters
    ----------
    masks : array_like, shape (K, delta)
    d : int
        Signal length, ``d >= 2 delta - 1``.

    Returns
    -------
    float
        ``max_k sigma_max(J_k) / min_k sigma_min(J_k)`` (``inf`` when singular).

    Notes
    -----
    The lifted unknowns ``z_{i,m} = x_i conj(x_{i+m})``, ``|m| < delta``, satisfy
    ``b_l = sum_{j<delta} C_j u_{l+j}`` with ``C_j[p, m] = conj(W[p, j]) W[p, j+m]``.  A DFT over the shifts
    block-diagonalizes the system into ``b_hat_k = J_k u_hat_k``, ``J_k = sum_j C_j exp(2 pi i k j / d)``.
    For windowed-Fourier masks ``J_k`` is a DFT times ``diag(g_k)`` and the condition number is
    ``max|g| / min|g|``.  Measured at ``d = 256``: exponential masks 9.2 (delta 4) .. 262 (delta 24).

    Examples
    --------
    >>> from cstoolbox.phase_retrieval import exponential_masks
    >>> round(lifted_condition_number(exponential_masks(4), 256), 1)
    9.2
    """
    d = _check_length(d)
    return LiftedSystem(masks, d).condition_number


def _check_length(d):
    if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)):
        raise TypeError(f"d must be an int, got {type(d).__name__}")
    return int(d)


def check_intensities(b, W=None):
    b = np.asarray(b)
    if not np.issubdtype(b.dtype, np.number) or np.iscomplexobj(b):
        raise TypeError(f"intensities b must be real, got dtype {b.dtype}")
    if b.ndim < 2:
        raise ValueError(f"intensities b must have shape (..., n_masks, d), got shape {b.shape}")
    if not np.all(np.isfinite(b)):
        raise ValueError("intensities b must be finite (negative values from noise are allowed)")
    if W is not None and b.shape[-2] != W.shape[0]:
        raise ValueError(f"intensities b have {b.shape[-2]} rows (axis -2) but there are {W.shape[0]} masks; "
                         f"b must have shape (..., n_masks, d)")
    return b.astype(np.float64, copy=False)


def lifted_solve(b, masks):
    r"""Solve BlockPR's lifted system: intensities to the band of ``x x^*``.

    Parameters
    ----------
    b : array_like, shape (..., K, d)
        Intensities from :func:`local_measurements`.
    masks : array_like, shape (K, delta)

    Returns
    -------
    z : ndarray, shape (..., d, 2 delta - 1), complex128
        ``z[..., i, m + delta - 1]`` estimates ``x_i conj(x_{(i + m) mod d})``, ``|m| < delta``.

    Notes
    -----
    FFT over the shifts, one small solve (least squares when ``K > 2 delta - 1``) per frequency, inverse
    FFT: ``O(d delta^3 + delta d log d)``; for windowed-Fourier masks ``O(delta d log d)``.

    Examples
    --------
    >>> import numpy as np
    >>> from cstoolbox.phase_retrieval import exponential_masks, local_measurements
    >>> x = np.exp(1j * np.arange(16.0)) * (1 + np.arange(16.0) % 3)
    >>> W = exponential_masks(4)
    >>> z = lifted_solve(local_measurements(x, W), W)
    >>> bool(np.allclose(z[:, 3 + 1], x * np.conj(np.roll(x, -1))))
    True
    """
    W = check_masks(masks)
    b = check_intensities(b, W)
    system = LiftedSystem(W, b.shape[-1])
    system.check()
    return system.solve(b)
