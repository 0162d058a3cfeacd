"""2-D ptychography with a known probe: a real photograph with a synthetic phase, recovered by the direct
(lifted + angular synchronization) solver from far-field intensities, with all and with 15% missing scan
positions."""
import numpy as np

from ..backend import check_random_state
from ..metrics import phase_aligned_error
from .._progress import progress
from ..phase_retrieval import exponential_probe, ptychography_blockpr, ptychography_measurements, scan_positions
from ._common import demo_parser, format_table, plt, prepare_out, save_json

DESCRIPTION = "2-D ptychography (known probe, far field) of a photograph with synthetic phase; missing positions"


def test_object(n, rng):
    """Magnitude: the 'china' photograph (grayscale, block-averaged to n x n, in [0.2, 1]); phase: a smooth
    synthetic field (sum of random low-frequency cosines, range about +-pi/2... pi)."""
    from ..datasets import load_image_gray
    img = load_image_gray("china")
    h = min(img.shape)
    img = img[:h, :h]
    f = h // n
    img = img[:f * n, :f * n].reshape(n, f, n, f).mean(axis=(1, 3))
    mag = 0.2 + 0.8 * (img - img.min()) / max(img.max() - img.min(), 1e-12)
    t1, t2 = np.meshgrid(np.arange(n) / n, np.arange(n) / n, indexing="ij")
    phase = np.zeros((n, n))
    for _ in range(4):
        k1, k2 = rng.integers(-3, 4, size=2)
        phase += rng.uniform(0.3, 0.8) * np.cos(2 * np.pi * (k1 * t1 + k2 * t2) + rng.uniform(0, 2 * np.pi))
    return mag * np.exp(1j * phase)


def main(argv=None):
    p = demo_parser("ptychography", DESCRIPTION)
    p.add_argument("--size", type=int, default=None, help="image side (default 64, quick 24)")
    p.add_argument("--missing", type=float, default=0.15, help="fraction of missing scan positions")
    args = p.parse_args(argv)
    out = prepare_out(args.out, "ptychography")
    rng = check_random_state(args.seed)
    n = args.size or (24 if args.quick else 64)
    delta = 4 if args.quick else 6
    X = test_object(n, rng)
    P = exponential_probe(delta)
    cases = [("all positions", 0.0, None), ("all positions", 0.0, 40.0),
             (f"{100 * args.missing:.0f}% missing", args.missing, None),
             (f"{100 * args.missing:.0f}% missing", args.missing, 40.0)]
    rows, recs, results = [], [], []
    for name, miss, snr in progress(cases, enabled=not args.no_progress, desc="ptychography"):
        pos = scan_positions((n, n), miss, random_state=rng)
        I = ptychography_measurements(X, P, positions=pos, noise_snr_db=snr, random_state=rng)
        X_hat, info = ptychography_blockpr(I, P, warn=False)
        err, aligned = phase_aligned_error(X, X_hat)
        err_db = float(20 * np.log10(max(err, 1e-300)))
        label = f"{name}, {'noiseless' if snr is None else f'{snr:.0f} dB SNR'}"
        rows.append([label, err_db, info.time, info.history["refine_iterations"], info.status])
        results.append({"case": label, "error_db": err_db, "time": info.time, "status": info.status,
                        "condition_number": info.history["condition_number"],
                        "missing_fraction": info.history["missing_fraction"]})
        recs.append((label, aligned, err_db))
    pyplot = plt()
    fig, ax = pyplot.subplots(2, len(recs) + 1, figsize=(3 * (len(recs) + 1), 6))
    ax[0, 0].imshow(np.abs(X), cmap="gray")
    ax[0, 0].set_title("true magnitude", fontsize=8)
    ax[1, 0].imshow(np.angle(X), cmap="twilight")
    ax[1, 0].set_title("true phase", fontsize=8)
    for k, (label, rec, e) in enumerate(recs, start=1):
        ax[0, k].imshow(np.abs(rec), cmap="gray")
        ax[0, k].set_title(f"{label}\n{e:.1f} dB", fontsize=7)
        ax[1, k].imshow(np.angle(rec), cmap="twilight")
    for a in ax.ravel():
        a.set_axis_off()
    fig.suptitle(f"Ptychography, {n}x{n}, probe {delta}x{delta} (exponential), far field {2 * delta - 1}^2")
    fig.tight_layout()
    fig.savefig(out / "ptychography.png", dpi=120)
    table = format_table(["case", "error (dB)", "time (s)", "ER passes", "status"], rows)
    save_json(out / "results.json", {"n": n, "delta": delta, "cases": results})
    (out / "results.md").write_text(table + "\n")
    print(table)
    return results


if __name__ == "__main__":  # pragma: no cover
    main()
