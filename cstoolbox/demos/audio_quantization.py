"""Main demo: noise-shaping quantization of real audio (Big Buck Bunny soundtrack).

Each frame of ``N`` consecutive audio samples (48 kHz) is taken as the Nyquist-rate samples of a
periodic band-limited signal and sampled ``R`` times faster (``y = Phi x``, ``Phi`` the (R N) x N
band-limited interpolation frame).  The oversampled stream is quantized at one bit and at 2-3 bits
with MSQ, greedy ΣΔ of order 1 and 2 (the stable one-bit DGK filter for order 2 at one bit) and
distributed beta noise shaping, then reconstructed by

* low-pass filtering (the canonical dual frame ``Phi^+``: what an audio DAC does),
* the Sobolev dual ``(D^-r Phi)^+ D^-r`` for ΣΔ, and
* condensation ``(V Phi)^+ V`` (the beta-dual) for beta encoding.

Prints a table of SNRs, saves ``snr_table.md``, ``results.json``, ``audio_quantization.png``
(waveforms and the spectra of the quantization error, which show the noise shaping) and a .wav of
the best one-bit reconstruction.
"""
import time

import numpy as np
import scipy.io.wavfile
import scipy.signal

from .. import quantizers as Q
from .._progress import progress
from ..datasets import load_audio
from ..metrics import snr_db
from ._common import demo_parser, format_table, plt, prepare_out, save_json

DESCRIPTION = "quantize real audio at 1-3 bits with MSQ, ΣΔ (r=1,2) and beta encoding; SNR table + plots"
NAME = "audio_quantization"


def interpolation_frame(n, oversampling):
    """The (R n) x n periodic band-limited (trigonometric) interpolation matrix.

    Column j is the periodic band-limited interpolant of the unit vector e_j evaluated on the R times
    finer grid, so ``(Phi x)[R j] = x[j]``.  Apart from the Nyquist bin (kept as a cosine, hence not
    exactly tight) ``Phi.T @ Phi = R I``; its pseudo-inverse is low-pass filtering + decimation.
    """
    m = n * oversampling
    eye = np.eye(n)
    spec = np.fft.rfft(eye, axis=0)
    fine = np.zeros((m // 2 + 1, n), dtype=complex)
    half = n // 2
    fine[:half] = spec[:half]
    if n % 2 == 0:  # split the Nyquist bin symmetrically so the interpolant stays real and tight
        fine[half] = spec[half] / 2.0
    return np.fft.irfft(fine, n=m, axis=0) * oversampling


def _inv_diff(a, order, axis):
    """Apply D^-order along ``axis`` (D = first difference with zero initial state): repeated cumsum."""
    for _ in range(order):
        a = np.cumsum(a, axis=axis)
    return a


def _schemes(bits, oversampling):
    """(label, quantize(Y) -> q, shaping) for one bit depth; shaping in {"none", "sd1", "sd2", "beta"}."""
    levels = 2**bits
    if bits == 1:
        alph = Q.Alphabet.one_bit()
        sd2 = ("ΣΔ r=2 (DGK one-bit)", lambda Y: Q.one_bit_sigma_delta(Y, order=2), "sd2")
    else:
        alph = Q.Alphabet(levels, step=2.0 / (levels - 1))
        sd2 = ("ΣΔ r=2", lambda Y: Q.sigma_delta(Y, order=2, alphabet=alph), "sd2")
    beta = 1.5 if bits == 1 else 1.8
    lam = oversampling // 2  # p = 2n condensed values per frame
    return alph, beta, lam, [
        ("MSQ", lambda Y: Q.msq(Y, alphabet=alph), "none"),
        ("ΣΔ r=1", lambda Y: Q.sigma_delta(Y, order=1, alphabet=alph), "sd1"),
        sd2,
        (f"beta={beta} (λ={lam})", lambda Y: Q.beta_encode(Y, beta, block_length=lam, alphabet=alph), "beta"),
    ]


def _input_scale(bits, alph):
    """Largest amplitude every scheme at this bit depth keeps stable (the most restrictive bound)."""
    if bits == 1:
        bounds = [Q.stability_bound("sigma_delta", alph, order=1),
                  Q.stability_bound("one_bit_sigma_delta", alph, order=2),
                  Q.stability_bound("beta", alph, beta=1.5)]
    else:
        bounds = [Q.stability_bound("sigma_delta", alph, order=2),
                  Q.stability_bound("beta", alph, beta=1.8)]
    return 0.95 * min(bounds)


def run(quick=False, out=None, seed=0, show_progress=True):
    """Run the demo; return a dict with the SNR table (dB) and timings."""
    out = prepare_out(out, NAME)
    audio, rate = load_audio("bigbuckbunny", mono=True)
    n, oversampling = 64, 32
    seconds = 0.5 if quick else 4.0
    start = int(0.8 * rate)  # skip the fade-in
    frames_count = int(seconds * rate) // n
    x = audio[start:start + frames_count * n]
    X = x.reshape(frames_count, n)
    Phi = interpolation_frame(n, oversampling)
    m = n * oversampling
    lowpass = np.linalg.pinv(Phi)  # canonical dual: low-pass filter + decimation
    sobolev = {r: np.linalg.pinv(_inv_diff(Phi, r, axis=0)) for r in (1, 2)}

    results, rows, recon_keep = {}, [], {}
    t0 = time.perf_counter()
    cases = [(b,) + _schemes(b, oversampling) for b in ((1, 2) if quick else (1, 2, 3))]
    bar = progress(total=sum(len(c[-1]) for c in cases), enabled=show_progress, desc="quantize+decode")
    for bits, alph, beta, lam, schemes in cases:
        amp = _input_scale(bits, alph)
        scale = amp / np.max(np.abs(X @ Phi.T))
        Y = (X * scale) @ Phi.T  # oversampled, in the stable range
        Xs = X * scale
        for label, quantize, shaping in schemes:
            q = quantize(Y)
            snrs = {"low-pass": float(snr_db(Xs.ravel(), (q @ lowpass.T).ravel()))}
            if shaping in ("sd1", "sd2"):
                # Sobolev dual (D^-r Phi)^+ D^-r; D^-1 is a cumulative sum, never a dense inverse
                r = 1 if shaping == "sd1" else 2
                rec = _inv_diff(q, r, axis=1) @ sobolev[r].T
                snrs["Sobolev dual"] = float(snr_db(Xs.ravel(), rec.ravel()))
            if shaping == "beta":
                V = Q.condensation_operator("beta", m, lam, beta=beta)
                rec = V.apply(q, axis=1) @ np.linalg.pinv(V.todense() @ Phi).T
                snrs["beta dual"] = float(snr_db(Xs.ravel(), rec.ravel()))
            best = max(snrs, key=snrs.get)
            results[f"{bits} bit / {label}"] = snrs
            rows.append((bits, label, snrs["low-pass"], snrs.get("Sobolev dual", snrs.get("beta dual", "—")),
                         best))
            if bits == 1:
                recon_keep[label] = (Y - q, (q @ lowpass.T) / scale if best == "low-pass" else rec / scale,
                                     snrs[best])
            bar.update(1)
    bar.close()
    elapsed = time.perf_counter() - t0

    header = ["bits", "scheme", "SNR low-pass (dB)", "SNR dual frame (dB)", "best decoder"]
    table = format_table(header, rows)
    print(f"\nBig Buck Bunny audio, {frames_count} frames of {n} samples ({frames_count * n / rate:.2f} s), "
          f"oversampling R = {oversampling}\n")
    print(table)
    (out / "snr_table.md").write_text(table + "\n")
    save_json(out / "results.json", {"snr_db": results, "frames": frames_count, "frame_length": n,
                                     "oversampling": oversampling, "seconds": elapsed})
    _plot(out, x, recon_keep, rate, oversampling)
    best_label = max(recon_keep, key=lambda k: recon_keep[k][2])
    wav = np.clip(recon_keep[best_label][1].ravel(), -1, 1)
    scipy.io.wavfile.write(out / "one_bit_reconstruction.wav", rate, (wav * 32767).astype(np.int16))
    scipy.io.wavfile.write(out / "original_excerpt.wav", rate, (np.clip(x, -1, 1) * 32767).astype(np.int16))
    print(f"\nfigures, table and .wav files written to {out}/ ({elapsed:.1f} s)")
    return {"snr_db": results, "out": str(out), "seconds": elapsed}


def _plot(out, x, recon_keep, rate, oversampling):
    pyplot = plt()
    fig, axes = pyplot.subplots(2, 1, figsize=(10, 7.5))
    t = np.arange(x.size) / rate * 1e3
    width = min(x.size, 480)  # 10 ms around the loudest part of the excerpt
    energy = np.convolve(x**2, np.ones(width), mode="valid")
    seg = slice(int(np.argmax(energy)), int(np.argmax(energy)) + width)
    axes[0].plot(t[seg], x[seg], "k", lw=2.0, label="original")
    for label, (_, rec, snr) in recon_keep.items():
        if label != "MSQ":  # one-bit MSQ is off the chart; its SNR is in the table
            axes[0].plot(t[seg], rec.ravel()[seg], lw=0.9, label=f"1 bit {label}: {snr:.1f} dB")
    lim = 1.3 * np.max(np.abs(x[seg]))
    axes[0].set_ylim(-lim, lim)
    axes[0].set_xlabel("time (ms)")
    axes[0].set_title("Waveforms reconstructed from one-bit oversampled measurements")
    axes[0].legend(fontsize=8, loc="upper right")
    for label, (err, _, _) in recon_keep.items():
        f, p = scipy.signal.welch(err.ravel(), fs=rate * oversampling, nperseg=2048)
        axes[1].loglog(f[1:] / 1e3, p[1:], lw=1, label=label)
    axes[1].axvline(rate / 2e3, color="k", ls="--", lw=0.8, label="signal band edge")
    axes[1].set_xlabel("frequency (kHz)")
    axes[1].set_ylabel("PSD of y - q")
    axes[1].set_title("Quantization error spectra (noise shaping pushes error out of the signal band)")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "audio_quantization.png", dpi=120)
    pyplot.close(fig)


def main(argv=None):
    args = demo_parser(NAME, DESCRIPTION).parse_args(argv)
    run(quick=args.quick, out=args.out, seed=args.seed, show_progress=not args.no_progress)
    return 0
