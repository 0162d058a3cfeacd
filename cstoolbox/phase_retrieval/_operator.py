"""The local measurement operator ``A: x -> (sum_j conj(W[p, j]) x[l + j])_{p, l}`` by FFT."""
import numpy as np

__all__ = ["LocalOperator"]


class LocalOperator:
    """``A x`` (shape (..., K, d)), ``A^* y``, the least-squares inverse ``A^+ y`` and ``A^* A`` (circulant).

    ``A^* A`` is circulant with symbol ``s(k) = sum_p |W_hat_p(k)|^2``, so ``A^+ = (A^* A)^{-1} A^*`` is
    one FFT division.
    """

    def __init__(self, W, d):
        self.W = np.asarray(W, dtype=np.complex128)
        self.d = int(d)
        K, delta = self.W.shape
        Wpad = np.zeros((K, self.d), dtype=np.complex128)
        Wpad[:, :delta] = self.W
        self.What = np.fft.fft(Wpad, axis=-1)
        self.symbol = np.sum(np.abs(self.What) ** 2, axis=0)
        self.norm2 = float(self.symbol.max())  # ||A||_2^2

    def forward(self, x):
        return np.fft.ifft(np.conj(self.What) * np.fft.fft(x, axis=-1)[..., None, :], axis=-1)

    def adjoint(self, y):
        return np.fft.ifft(np.sum(self.What * np.fft.fft(y, axis=-1), axis=-2), axis=-1)

    def pinv(self, y):
        s = self.symbol
        inv = np.where(s > 1e-14 * s.max(), 1.0 / np.where(s > 0, s, 1.0), 0.0)
        return np.fft.ifft(np.sum(self.What * np.fft.fft(y, axis=-1), axis=-2) * inv, axis=-1)

    def normal(self, x):
        return np.fft.ifft(self.symbol * np.fft.fft(x, axis=-1), axis=-1)


def project_magnitudes(y, amp):
    """``amp * y / |y|`` (``amp`` where ``y = 0``)."""
    a = np.abs(y)
    return amp * np.where(a > 0, y / np.where(a > 0, a, 1.0), 1.0)


def dr_er(op, b, x0, n_hio=25, n_er=5, beta=1.0, real=False):
    """HIO in Douglas–Rachford form in measurement space, then error reduction; returns (x, iterations)."""
    amp = np.sqrt(np.maximum(b, 0.0))

    def ps(y):
        x = op.pinv(y)
        if real:
            x = x.real
        return op.forward(x)

    y = op.forward(x0)
    for _ in range(n_hio):
        pm = project_magnitudes(y, amp)
        y = y + beta * (ps(2.0 * pm - y) - pm)
    for _ in range(n_er):
        y = ps(project_magnitudes(y, amp))
    x = op.pinv(project_magnitudes(y, amp))
    return (x.real if real else x), n_hio + n_er
