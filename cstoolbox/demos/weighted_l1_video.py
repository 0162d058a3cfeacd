"""Weighted ℓ1 on real video: the carphone sequence, each frame sparse in a 2-D orthogonal wavelet
basis (db4), measured by a subsampled orthogonal (DCT) operator with random signs; frame 1 decoded
with ℓ1, every later frame with weighted ℓ1 whose support estimate is the 90 %-energy set of the
previous frame's reconstructed wavelet coefficients (omega = 0.3), as in Friedlander, Mansour, Saab &
Yılmaz (2012).  Per-frame PSNR plot, a montage of original / ℓ1 / weighted ℓ1 frames, table of means.
"""
import time
import warnings

import numpy as np

from ._common import demo_parser, format_table, plt, prepare_out, save_json

DESCRIPTION = ("Weighted l1 on the carphone video (wavelets, subsampled DCT with random signs): "
               "support from the previous frame, per-frame PSNR, montage")


def run(quick=False, out=None, seed=0, ratios=None, n_frames=12, omega=0.3, sigma_rel=0.01,
        max_iter=300, progress=True):
    from .._progress import progress as pbar
    from ..datasets import load_video
    from ..metrics import psnr_db
    from ..operators import SubsampledOrthogonalOperator, WaveletOperator
    from ..weighted_l1 import support_from_previous, weighted_bpdn, weights_from_support
    outdir = prepare_out(out, "weighted_l1_video")
    if quick:
        video = load_video("carphone", frames=3, size=(48, 64))
        ratios, n_frames, max_iter = [0.35], 3, 150
    else:
        video = load_video("carphone", frames=n_frames)
    ratios = [0.3] if ratios is None else list(ratios)
    T_, H, W = video.shape
    n = H * W
    B = WaveletOperator((H, W), "db4")
    results = {"shape": [T_, H, W], "omega": omega, "sigma_rel": sigma_rel, "max_iter": max_iter,
               "ratios": {}}
    rows = []
    fig, axes = plt().subplots(len(ratios), 1, figsize=(8, 2.8 * len(ratios)), squeeze=False)
    montage = None
    for i, ratio in enumerate(ratios):
        m = int(round(ratio * n))
        rng = np.random.default_rng(seed + i)
        rec1 = np.zeros_like(video)
        recw = np.zeros_like(video)
        conv1 = convw = 0
        prev = None
        t0 = time.perf_counter()
        for j in pbar(range(T_), enabled=progress, desc=f"frames m/n={ratio:g}"):
            Phi = SubsampledOrthogonalOperator(m, n, "dct", random_signs=True, random_state=rng)
            A = Phi @ B
            y = Phi @ video[j].ravel()
            sigma = sigma_rel * float(np.linalg.norm(y))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                c1, i1 = weighted_bpdn(A, y, None, sigma=sigma, tol=1e-3, max_iter=max_iter)
                if prev is None:
                    cw, iw = c1, i1
                else:
                    Tset = support_from_previous(prev, 0.9)
                    cw, iw = weighted_bpdn(A, y, weights_from_support(n, Tset, omega), sigma=sigma,
                                           tol=1e-3, max_iter=max_iter, x0=None)
            prev = cw
            rec1[j] = (B @ c1).reshape(H, W)
            recw[j] = (B @ cw).reshape(H, W)
            conv1 += int(i1.converged)
            convw += int(iw.converged)
        el = time.perf_counter() - t0
        p1 = np.array([float(psnr_db(video[j], rec1[j], peak=1.0)) for j in range(T_)])
        pw = np.array([float(psnr_db(video[j], recw[j], peak=1.0)) for j in range(T_)])
        results["ratios"][f"{ratio:g}"] = {"psnr_l1": p1.tolist(), "psnr_weighted": pw.tolist(),
                                           "mean_psnr_l1": float(p1.mean()),
                                           "mean_psnr_weighted": float(pw.mean()),
                                           "converged_l1": conv1, "converged_w": convw,
                                           "seconds": el}
        rows.append([f"{ratio:g}", float(p1.mean()), float(pw.mean()), float(pw.mean() - p1.mean()),
                     f"{int(np.sum(pw[1:] > p1[1:]))}/{T_ - 1}", f"{conv1}/{T_}", f"{convw}/{T_}"])
        ax = axes[i][0]
        ax.plot(p1, "o-", label=f"ℓ1 (mean {p1.mean():.2f} dB)")
        ax.plot(pw, "s-", label=f"weighted ℓ1 ω={omega} (mean {pw.mean():.2f} dB)")
        ax.set_title(f"carphone, m/n = {ratio:g}")
        ax.set_ylabel("PSNR (dB)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        if montage is None:
            pick = sorted({0, T_ // 2, T_ - 1})
            montage = (pick, rec1, recw, ratio)
    axes[-1][0].set_xlabel("frame")
    fig.tight_layout()
    fig.savefig(outdir / "psnr_per_frame.png", dpi=110)
    plt().close(fig)
    pick, rec1, recw, ratio = montage
    fig, axes = plt().subplots(len(pick), 3, figsize=(9, 2.6 * len(pick)), squeeze=False)
    for r, j in enumerate(pick):
        for c, (img, title) in enumerate([(video[j], "original"), (rec1[j], "ℓ1"),
                                          (recw[j], "weighted ℓ1")]):
            axes[r][c].imshow(np.clip(img, 0, 1), cmap="gray", vmin=0, vmax=1)
            axes[r][c].set_title(f"frame {j}: {title}", fontsize=9)
            axes[r][c].axis("off")
    fig.tight_layout()
    fig.savefig(outdir / f"montage_ratio{ratio:g}.png", dpi=110)
    plt().close(fig)
    table = format_table(["m/n", "ℓ1 mean PSNR", "weighted ℓ1 mean PSNR", "gain (dB)",
                          "frames better", "ℓ1 converged", "weighted converged"], rows)
    md = [f"# Weighted ℓ1 on video (carphone {T_} frames of {H}x{W}, db4 wavelets, subsampled DCT "
          f"with random signs, ω={omega}, BPDN sigma = {sigma_rel:g} ||y||, ≤ {max_iter} "
          "iterations)", "", table, ""]
    (outdir / "summary.md").write_text("\n".join(md))
    save_json(outdir / "results.json", results)
    return results


def main(argv=None):
    p = demo_parser("weighted_l1_video", DESCRIPTION)
    p.add_argument("--ratios", type=float, nargs="+", default=None, help="m / n values")
    p.add_argument("--frames", type=int, default=12)
    p.add_argument("--omega", type=float, default=0.3)
    p.add_argument("--max-iter", type=int, default=300)
    args = p.parse_args(argv)
    res = run(quick=args.quick, out=args.out, seed=args.seed, ratios=args.ratios,
              n_frames=args.frames, omega=args.omega, max_iter=args.max_iter,
              progress=not args.no_progress)
    print((prepare_out(args.out, "weighted_l1_video") / "summary.md").read_text())
    return res


if __name__ == "__main__":
    main()
