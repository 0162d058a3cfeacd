"""One-bit and few-bit compressed acquisition of real audio: SNR vs bits per sample for MSQ, ΣΔ and
beta encoding, with partial circulant and subsampled Hadamard measurements.

Frames of the bigbuckbunny soundtrack (``cstoolbox.datasets.load_audio``), sparse-ish in the DCT
basis (``cstoolbox.operators.DCTOperator``), are measured by ``y = Φ f`` (Φ partial random
circulant or subsampled Hadamard with random signs, rows in random order), scaled per frame into
the quantizer's stable range (the gain is side information), quantized with 1, 2 or 3 bits per
measurement, and decoded in the DCT domain by the one-stage convex decoders (MSQ: plain BPDN).
Bits per sample = m * bits / n.
"""
import math
import warnings

import numpy as np

from ._common import demo_parser, format_table, plt, prepare_out, save_json

DESCRIPTION = "1-3 bit compressed acquisition of audio frames (DCT basis): SNR vs bits/sample, MSQ vs ΣΔ vs beta"


def _scheme(name, bits):
    from ..quantizers import Alphabet
    levels = 2 ** bits
    if name == "MSQ":
        return dict(scheme="msq", alphabet=Alphabet(levels, 2.0)), "bpdn"
    if name == "ΣΔ r=1":
        return dict(scheme="sigma_delta", order=1, alphabet=Alphabet(levels, 2.0)), "one-stage"
    if name == "ΣΔ r=2":
        if bits == 1:
            return dict(scheme="one_bit_sigma_delta", order=2), "one-stage"
        return dict(scheme="sigma_delta", order=2, alphabet=Alphabet(levels, 2.0)), "one-stage"
    if name == "beta":
        K = levels // 2
        beta = 1.5 if bits == 1 else float(min(K, 2.5))
        return dict(scheme="beta", beta=beta, alphabet=Alphabet(levels, 2.0)), "one-stage"
    raise ValueError(name)


def main(argv=None):
    p = demo_parser("quantized_cs_audio", DESCRIPTION)
    p.add_argument("--n", type=int, default=256, help="frame length (power of two)")
    p.add_argument("--frames", type=int, default=3)
    p.add_argument("--bits", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--ratios", type=float, nargs="+", default=[0.25, 0.5, 1.0], help="m / n")
    p.add_argument("--block-length", type=int, default=8, help="beta block length")
    p.add_argument("--norm", default="inf", choices=["l2", "inf"])
    args = p.parse_args(argv)
    if args.quick:
        args.n, args.frames, args.bits, args.ratios = 128, 1, [1, 3], [0.5, 1.0]
    from ..datasets import load_audio
    from ..metrics import snr_db
    from ..operators import DCTOperator, PartialCirculantOperator, SubsampledOrthogonalOperator
    from ..quantized_cs import QuantizedCS
    from ..quantizers import stability_bound
    from .._progress import progress
    from .quantized_cs_rates import _shuffled

    out = prepare_out(args.out, "quantized_cs_audio")
    rng = np.random.default_rng(args.seed)
    audio, rate = load_audio("bigbuckbunny")
    n = args.n
    # frames with energy (skip near-silence), evenly spread over the track
    starts = np.arange(0, audio.size - n, n)
    energy = np.array([np.linalg.norm(audio[s:s + n]) for s in starts])
    starts = starts[energy > np.quantile(energy, 0.5)]
    starts = starts[np.linspace(0, starts.size - 1, args.frames).astype(int)]
    frames = [audio[s:s + n] for s in starts]
    B = DCTOperator(n)
    schemes = ["MSQ", "ΣΔ r=1", "ΣΔ r=2", "beta"]
    families = ["circulant", "hadamard"]
    results, rows = [], []
    jobs = [(fam, ratio, bits, name) for fam in families for ratio in args.ratios for bits in args.bits
            for name in schemes]
    for fam, ratio, bits, name in progress(jobs, enabled=not args.no_progress, desc="audio"):
        m = int(round(ratio * n))
        lam = args.block_length
        m -= m % lam
        snrs = []
        for f in frames:
            if fam == "circulant":
                Phi = PartialCirculantOperator(m, n, random_state=rng)
            else:
                Phi = _shuffled(SubsampledOrthogonalOperator(m, n, "hadamard", random_signs=True,
                                                             random_state=rng), rng)
            A = math.sqrt(m) * Phi @ B                      # acts on DCT coefficients
            kw, method = _scheme(name, bits)
            if kw["scheme"] == "beta":
                kw["block_length"] = lam
            qcs = QuantizedCS(A, **kw)
            bound = stability_bound(kw["scheme"] if kw["scheme"] != "msq" else "msq", qcs.alphabet,
                                    order=kw.get("order"), beta=kw.get("beta"))
            c = np.asarray(B.rmatvec(f))
            y = np.asarray(A.matvec(c))
            gain = 0.98 * bound / np.abs(y).max()          # automatic gain control (side information)
            q = qcs.quantize(gain * y)
            dec = dict(method=method)
            if method == "one-stage":
                dec["norm"] = args.norm
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                c_hat, info = qcs.decode(q, **dec)
            f_hat = np.asarray(B.matvec(c_hat)) / gain
            snrs.append(float(snr_db(f, f_hat)))
        bps = m * bits / n
        results.append(dict(family=fam, scheme=name, bits=bits, m=m, n=n, bits_per_sample=bps,
                            snr_db=float(np.mean(snrs)), snr_db_frames=snrs))
        rows.append([fam, name, bits, m, f"{bps:.2f}", f"{np.mean(snrs):.1f}"])
    pyplot = plt()
    fig, axes = pyplot.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, fam in zip(axes, families):
        for name in schemes:
            for bits in args.bits:
                pts = sorted((r["bits_per_sample"], r["snr_db"]) for r in results
                             if r["family"] == fam and r["scheme"] == name and r["bits"] == bits)
                if pts:
                    xs, ys = zip(*pts)
                    ax.plot(xs, ys, "o-", label=f"{name}, {bits} bit")
        ax.set(xlabel="bits per sample (m * bits / n)", ylabel="SNR (dB)",
               title=f"{fam}: audio frames (n={n}, DCT basis)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(out / "audio_snr_vs_bits.png", dpi=120)
    pyplot.close(fig)
    table = format_table(["family", "scheme", "bits", "m", "bits/sample", "SNR dB"], rows)
    print(table)
    save_json(out / "audio.json", dict(args=vars(args), rate=rate, frame_starts=starts.tolist(), results=results))
    (out / "audio.md").write_text(table + "\n")
    return results


if __name__ == "__main__":  # pragma: no cover
    main()
