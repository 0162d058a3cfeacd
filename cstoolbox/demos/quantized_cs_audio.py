"""One-bit and few-bit compressed acquisition of real audio: SNR vs bits per sample for MSQ, ΣΔ and
beta encoding, with partial circulant and subsampled Hadamard measurements.

Frames of the bigbuckbunny soundtrack (``cstoolbox.datasets.load_audio``), compressible in the DCT
basis (``cstoolbox.operators.DCTOperator``), are measured by ``y = Φ f`` and scaled per frame into
the quantizer's stable range (the gain is side information), quantized with 1, 2 or 3 bits per
measurement, and decoded in the DCT domain by the one-stage ℓinf convex decoders (MSQ: plain
BPDN).  Bits per sample = m * bits / n; m runs from n/2 to 4n (noise shaping needs oversampling).

* Φ partial random circulant in its natural (sorted) row order, i.e. a random convolution
  followed by subsampling.  ``C_xi`` is diagonal in the Fourier basis, so a low-pass audio frame
  gives a low-pass measurement sequence while ΣΔ / beta push their error to high measurement
  frequencies: the classical oversampled A/D situation, and the reason circulant gains more than
  Hadamard here (for white-spectrum sparse signals the sorted full circulant is instead a bad
  order, see ``quantized_cs_rates``).
* Φ subsampled Hadamard with random signs, rows in random order.
* m > n: ``ceil(m / n)`` independent draws stacked.

Beta encoding uses ``p = --beta-blocks`` blocks of length lam = m / p, so that the condensed
``p x n`` matrix keeps enough rows for the frame's effective sparsity while lam, the exponent of the
accuracy ``beta^-lam``, grows with the oversampling.  Default p = n / 4 at 1 bit and n / 2 with
more bits (a finer alphabet resolves more DCT coefficients, so the effective sparsity, and the
number of condensed rows it needs, grows; chosen on one frame: at m = 4n, 3 bits, sorted circulant,
lam = 4 / 8 / 16 gave 37.5 / 41.9 / 28.3 dB, at 1 bit 16.5 / 27.1 / 30.9 dB).
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
    p.add_argument("--ratios", type=float, nargs="+", default=[0.5, 1.0, 2.0, 4.0], help="m / n")
    p.add_argument("--beta-blocks", type=int, default=0,
                   help="beta: number of blocks p (default n / 4 at 1 bit, n / 2 otherwise)")
    p.add_argument("--block-length", type=int, default=0,
                   help="beta block length lam (default m / p, see --beta-blocks)")
    p.add_argument("--norm", default="inf", choices=["l2", "inf"])
    p.add_argument("--circulant-order", default="natural", choices=["natural", "random"],
                   help="row order of the partial circulant measurements (natural: sorted shifts)")
    args = p.parse_args(argv)
    if args.quick:
        args.n, args.frames, args.bits, args.ratios = 128, 1, [1, 3], [1.0, 4.0]
    from ..datasets import load_audio
    from ..metrics import snr_db
    from ..operators import DCTOperator, PartialCirculantOperator, SubsampledOrthogonalOperator
    from ..quantized_cs import QuantizedCS
    from ..quantizers import stability_bound
    from .._progress import progress
    from .quantized_cs_rates import _row_counts, _shuffled, _stacked

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
        blocks = args.beta_blocks or max(1, n // 4 if bits == 1 else n // 2)
        lam = args.block_length or max(2, m // blocks)
        m -= m % lam
        snrs = []
        for f in frames:
            if fam == "circulant":
                Phi = _stacked([math.sqrt(k) * PartialCirculantOperator(k, n, random_state=rng)
                                for k in _row_counts(m, n)])
                if args.circulant_order == "random":
                    Phi = _shuffled(Phi, rng)
            else:
                Phi = _shuffled(_stacked([math.sqrt(k) * SubsampledOrthogonalOperator(
                    k, n, "hadamard", random_signs=True, random_state=rng) for k in _row_counts(m, n)]), rng)
            A = Phi @ B                                     # unit-variance rows, acts on DCT coefficients
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
                            block_length=lam if name == "beta" else None,
                            snr_db=float(np.mean(snrs)), snr_db_frames=snrs))
        rows.append([fam, name, bits, m, f"{bps:.2f}", lam if name == "beta" else "", f"{np.mean(snrs):.1f}"])
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
    table = format_table(["family", "scheme", "bits", "m", "bits/sample", "beta lam", "SNR dB"], rows)
    print(table)
    save_json(out / "audio.json", dict(args=vars(args), rate=rate, frame_starts=starts.tolist(), results=results))
    (out / "audio.md").write_text(table + "\n")
    return results


if __name__ == "__main__":  # pragma: no cover
    main()
