"""Fast binary embeddings (Zhang–Saab / Huynh–Saab): one-bit noise-shaped codes that keep distances.

Three experiments, each beside the usual sign random projections (SimHash) and the unquantized
Johnson–Lindenstrauss embedding:

1. synthetic well-spread data (n = 4096, p = 64 condensation blocks): distance MAPE of ΣΔ r = 1, 2, 3
   and beta codes vs m = 512..8192, beside the spec's reference values;
2. natural images (32x32 grayscale patches of the scikit-learn photographs and of the carphone /
   bikes videos, plus whole frames downsized to 128x128, n = 16384): MAPE vs m and vs stored bits,
   log-log slopes, and the quantization part of the error alone;
3. retrieval: recall@10 of the exact Euclidean neighbours from the codes, against SimHash at equal
   bits.

Run ``python demos/binary_embeddings.py [--quick] [--out DIR]``.
"""
import math
import time

import numpy as np
from scipy.spatial.distance import pdist, squareform

from ._common import demo_parser, format_table, plt, prepare_out, save_json

DESCRIPTION = ("fast binary embeddings (noise-shaping one-bit codes) vs SimHash: distance MAPE vs m "
               "and bits, recall@10")

NAME = "binary_embeddings"
# spec reference values (synthetic, n = 4096, p = 64)
REFERENCE = {"sd1": {512: 0.32, 2048: 0.17, 8192: 0.10}, "sd2": {2048: 0.06}, "jl": 0.06}
METHODS = {
    "sd1": dict(method="sigma_delta", order=1),
    "sd2": dict(method="sigma_delta", order=2),
    "sd3": dict(method="sigma_delta", order=3),
    "beta": dict(method="beta", beta=1.5),
}
LABELS = {"sd1": "ΣΔ r=1", "sd2": "ΣΔ r=2", "sd3": "ΣΔ r=3", "beta": "beta=1.5",
          "sd1_norm": "ΣΔ r=1, authors' scale", "jl": "ℓ1-JL (unquantized)",
          "simhash": "SimHash (angle only)", "simhash_norms": "SimHash + exact norms",
          "jl_float32": "JL float32, ℓ2"}
COLORS = {"sd1": "C0", "sd2": "C1", "sd3": "C2", "beta": "C3", "sd1_norm": "C4", "jl": "C5",
          "simhash": "C6", "simhash_norms": "C7", "jl_float32": "C8"}


def _upper(D):
    return D[np.triu_indices(D.shape[0], 1)]


def _mape(D_hat, d_true):
    return float(np.mean(np.abs(_upper(D_hat) - d_true) / d_true))


def _slope(ms, values):
    """Least-squares slope of log(values) against log(ms)."""
    ms, values = np.asarray(ms, float), np.asarray(values, float)
    ok = values > 0
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(ms[ok]), np.log(values[ok]), 1)[0])


def _simhash_estimates(srp, Xc):
    """SimHash distance estimates: angle with the mean norm, and with the exact norms."""
    codes = srp.transform(Xc)
    theta = srp.pairwise_distances(codes, metric="angle")
    r = np.linalg.norm(Xc, axis=1)
    angle_only = 2.0 * r.mean() * np.sin(theta / 2.0)
    with_norms = np.sqrt(np.maximum(r[:, None] ** 2 + r[None, :] ** 2
                                    - 2.0 * np.outer(r, r) * np.cos(theta), 0.0))
    return angle_only, with_norms


def _mape_sweep(X, ms, methods, seed, progress, simhash=True, authors_scale=False, center=False,
                trials=1):
    """MAPE of every method at every m on X (rows = points), averaged over ``trials`` matrices.

    Data near a low-dimensional subspace (image patches, frames) make the error of one random
    matrix strongly correlated across pairs, so one draw is not representative: average draws.
    """
    runs = [_mape_sweep_once(X, ms, methods, seed + t, progress and t == 0, simhash, authors_scale,
                             center) for t in range(trials)]
    res = runs[0]

    def avg(get):
        return list(np.mean([get(r) for r in runs], axis=0))

    for key in ("mape", "quantization_mape"):
        res[key] = {k: avg(lambda r, k=k, key=key: r[key][k]) for k in res[key]}
    res["jl_float32_same_bits"] = avg(lambda r: r["jl_float32_same_bits"])
    res["slopes"] = {k: _slope(ms, v) for k, v in res["mape"].items()}
    res["quantization_slopes"] = {k: _slope(ms, v) for k, v in res["quantization_mape"].items()}
    res["trials"] = trials
    if trials > 1:
        res["mape_trial_std"] = {k: list(np.std([r["mape"][k] for r in runs], axis=0))
                                 for k in res["mape"]}
    return res


def _mape_sweep_once(X, ms, methods, seed, progress, simhash, authors_scale, center):
    from ..embeddings import FastBinaryEmbedding, SignRandomProjection
    from .._progress import progress as bar
    import warnings
    from ..exceptions import QuantizerInstabilityWarning

    Xc = X - X.mean(axis=0) if center else X
    d_true = pdist(Xc)          # condensed upper triangle, same order as _upper
    keep = d_true > 0
    d_true = d_true[keep]

    def mape(D):
        return float(np.mean(np.abs(_upper(D)[keep] - d_true) / d_true))

    names = list(methods) + (["sd1_norm"] if authors_scale else []) + ["jl"] \
        + (["simhash", "simhash_norms"] if simhash else [])
    res = {k: [] for k in names}
    qerr = {k: [] for k in methods}
    bits = {k: [] for k in methods}
    jl_float = []
    for m in bar(ms, enabled=progress, desc="m"):
        jl_done = False
        for name in list(methods) + (["sd1_norm"] if authors_scale else []):
            kw = dict(METHODS["sd1"], scale="norm") if name == "sd1_norm" else METHODS[name]
            fbe = FastBinaryEmbedding(m, random_state=seed, **kw).fit(Xc)
            with warnings.catch_warnings():
                # the authors' scale deliberately exceeds the provable range
                warnings.simplefilter("ignore", QuantizerInstabilityWarning)
                D = fbe.pairwise_distances(fbe.transform(Xc))
            res[name].append(mape(D))
            if name in methods:
                J = fbe.unquantized_pairwise_distances(Xc)
                # quantization error alone: codes vs the same estimator without quantization
                qerr[name].append(float(np.mean(np.abs(_upper(D)[keep] - _upper(J)[keep]) / d_true)))
                bits[name].append(fbe.condensed_bits())
                if not jl_done:       # same seed -> same matrix for every method
                    res["jl"].append(mape(J))
                    k = max(1, m // 32)   # float32 JL with the same bit budget, l2 estimator
                    Y = fbe.project(Xc)[:, :k] * fbe.scale_
                    G = squareform(pdist(Y)) / math.sqrt(k)
                    jl_float.append(mape(G))
                    jl_done = True
        if simhash:
            srp = SignRandomProjection(m, random_state=seed).fit(Xc)
            a, b = _simhash_estimates(srp, Xc)
            res["simhash"].append(mape(a))
            res["simhash_norms"].append(mape(b))
    return {"m": list(ms), "mape": res, "quantization_mape": qerr, "condensed_bits": bits,
            "jl_float32_same_bits": jl_float,
            "slopes": {k: _slope(ms, v) for k, v in res.items()},
            "quantization_slopes": {k: _slope(ms, v) for k, v in qerr.items()},
            "n_points": int(X.shape[0]), "n_features": int(X.shape[1])}


def _patches(quick, seed, count):
    """Random grayscale patches (32x32; 16x16 in quick mode) of photographs and video frames."""
    from ..datasets import load_image_gray, load_video
    rng = np.random.default_rng(seed)
    size = 16 if quick else 32
    sources = [load_image_gray("china"), load_image_gray("flower")]
    if not quick:
        sources += list(load_video("carphone", frames=slice(0, 120, 8)))
        sources += list(load_video("bikes", frames=slice(0, 250, 16)))
    out = np.empty((count, size * size))
    which = rng.integers(0, len(sources), count)
    for i, s in enumerate(which):
        img = sources[s]
        r = rng.integers(0, img.shape[0] - size + 1)
        c = rng.integers(0, img.shape[1] - size + 1)
        out[i] = img[r:r + size, c:c + size].ravel()
    return out


def _frames(seed):
    """Whole video frames downsized to 128x128 (n = 16384), every 4th frame of both videos."""
    from ..datasets import load_video
    a = load_video("carphone", frames=slice(0, 120, 4), size=(128, 128))
    b = load_video("bikes", frames=slice(0, 248, 8), size=(128, 128))
    return np.concatenate([a, b]).reshape(-1, 128 * 128)


def _retrieval(X, queries, ms, seed, progress, k=10):
    import warnings
    from ..embeddings import FastBinaryEmbedding, SignRandomProjection
    from ..exceptions import QuantizerInstabilityWarning
    from .._progress import progress as bar
    mean = X.mean(axis=0)
    Xc, Qc = X - mean, queries - mean
    D = np.sqrt(np.maximum((Qc ** 2).sum(1)[:, None] + (Xc ** 2).sum(1)[None] - 2 * Qc @ Xc.T, 0))
    exact = np.argsort(D, axis=1, kind="stable")[:, :k]

    def recall(ind):
        return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(ind, exact)]))

    res = {"sd1": [], "sd1_norm": [], "sd2": [], "beta": [], "simhash": []}
    times = {key: [] for key in res}
    for m in bar(ms, enabled=progress, desc="retrieval m"):
        for name in ("sd1", "sd1_norm", "sd2", "beta"):
            kw = dict(METHODS["sd1"], scale="norm") if name == "sd1_norm" else METHODS[name]
            fbe = FastBinaryEmbedding(m, random_state=seed, **kw).fit(Xc)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", QuantizerInstabilityWarning)   # authors' scale
                db = fbe.condense(fbe.transform(Xc, packed=True))
                qc = fbe.condense(fbe.transform(Qc, packed=True))
            t0 = time.perf_counter()
            ind = fbe.kneighbors(qc, k, database=db, condensed=True, return_distance=False)
            times[name].append(time.perf_counter() - t0)
            res[name].append(recall(ind))
        srp = SignRandomProjection(m, random_state=seed).fit(Xc)
        t0 = time.perf_counter()
        ind = srp.kneighbors(srp.transform(Qc, packed=True), k, database=srp.transform(Xc, packed=True),
                             return_distance=False)
        times["simhash"].append(time.perf_counter() - t0)
        res["simhash"].append(recall(ind))
    return {"m": list(ms), "recall_at_10": res, "search_seconds": times,
            "n_database": int(X.shape[0]), "n_queries": int(queries.shape[0]), "n_features": int(X.shape[1])}


def run(quick=False, out=None, seed=0, progress=True):
    """Run the three experiments; returns the measured figures (also saved to ``out``)."""
    out = prepare_out(out, NAME)
    t_start = time.perf_counter()
    rng = np.random.default_rng(seed)
    results = {"quick": bool(quick), "seed": int(seed), "reference": REFERENCE}

    # 1. synthetic well-spread data
    n, npts = (256, 30) if quick else (4096, 200)
    ms = [256, 1024] if quick else [512, 1024, 2048, 4096, 8192]
    X = rng.standard_normal((npts, n)) * rng.uniform(0.5, 1.5, (npts, 1))
    methods = ["sd1", "sd2", "beta"] if quick else ["sd1", "sd2", "sd3", "beta"]
    results["synthetic"] = _mape_sweep(X, ms, methods, seed, progress, simhash=not quick,
                                       authors_scale=not quick)

    # 2. natural images: patches (centred: distances do not change, the input range shrinks)
    pool = _patches(quick, seed, (40 + 220) if quick else (400 + 2100))
    npatch = 40 if quick else 400
    trials = 1 if quick else 4
    results["images"] = _mape_sweep(pool[:npatch], ms, methods, seed, progress, simhash=True,
                                    authors_scale=not quick, center=True, trials=trials)
    if not quick:
        results["images"]["uncentred_sd1"] = _mape_sweep(pool[:npatch], ms, ["sd1"], seed, False,
                                                         simhash=False, trials=trials)["mape"]["sd1"]
    if not quick:
        frames = _frames(seed)
        results["frames"] = _mape_sweep(frames, [1024, 2048, 4096, 8192], ["sd1", "sd2", "beta"], seed,
                                        progress, simhash=True, authors_scale=True, center=True,
                                        trials=trials)

    # 3. retrieval
    db, queries = pool[npatch:npatch + (200 if quick else 2000)], pool[-(20 if quick else 100):]
    results["retrieval"] = _retrieval(db, queries, [256] if quick else [256, 1024, 4096], seed, progress)
    results["seconds"] = time.perf_counter() - t_start

    _figures(results, out)
    save_json(out / "results.json", results)
    (out / "results.md").write_text(_report(results))
    return results


def _figures(results, out):
    pyplot = plt()
    panels = [("synthetic", "synthetic well-spread"), ("images", "image patches (centred)")]
    if "frames" in results:
        panels.append(("frames", "128x128 video frames"))
    fig, axes = pyplot.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.2), squeeze=False)
    for ax, (key, title) in zip(axes[0], panels):
        r = results[key]
        for name, vals in r["mape"].items():
            slope = r["slopes"][name]
            ax.loglog(r["m"], vals, "o-" if not name.startswith(("jl", "sim")) else "s--",
                      color=COLORS[name], label=f"{LABELS[name]} (slope {slope:.2f})")
        if key == "synthetic":
            for name, ref in REFERENCE.items():
                if isinstance(ref, dict):
                    ax.loglog(list(ref), list(ref.values()), "kx", ms=9)
            ax.plot([], [], "kx", label="spec reference")
        ax.set_xlabel("m (bits per point)")
        ax.set_ylabel("distance MAPE")
        ax.set_title(title)
        ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(out / "mape_vs_m.png", dpi=120)
    pyplot.close(fig)

    r = results["images"]
    fig, axes = pyplot.subplots(1, 2, figsize=(10.5, 4.2))
    ax = axes[0]
    for name in r["quantization_mape"]:
        ax.loglog(r["m"], r["mape"][name], "o-", color=COLORS[name], label=f"{LABELS[name]}, {{±1}}^m codes")
        if name != "beta":
            ax.loglog(r["condensed_bits"][name], r["mape"][name], "^:", color=COLORS[name],
                      label=f"{LABELS[name]}, condensed integers")
    ax.loglog(np.add(r["m"], 32), r["mape"]["simhash_norms"], "s--", color=COLORS["simhash_norms"],
              label="SimHash + float32 norm (m + 32 bits)")
    ax.loglog(r["m"], r["mape"]["simhash"], "s--", color=COLORS["simhash"], label="SimHash (angle only)")
    ax.loglog(r["m"], r["jl_float32_same_bits"], "d--", color=COLORS["jl_float32"],
              label="JL float32, m/32 measurements")
    ax.set_xlabel("stored bits per point")
    ax.set_ylabel("distance MAPE")
    ax.set_title("image patches: error vs bits")
    ax.legend(fontsize=6)
    ax = axes[1]
    for name, vals in r["quantization_mape"].items():
        ax.loglog(r["m"], vals, "o-", color=COLORS[name],
                  label=f"{LABELS[name]} (slope {r['quantization_slopes'][name]:.2f})")
    ax.set_xlabel("m")
    ax.set_ylabel("mean |d_codes - d_unquantized| / d")
    ax.set_title("quantization part of the error")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "mape_vs_bits.png", dpi=120)
    pyplot.close(fig)

    rr = results["retrieval"]
    fig, ax = pyplot.subplots(figsize=(5, 4))
    for name, vals in rr["recall_at_10"].items():
        ax.semilogx(rr["m"], vals, "o-", color=COLORS[name], label=LABELS.get(name, name))
    ax.set_xlabel("m (bits per point)")
    ax.set_ylabel("recall@10")
    ax.set_title(f"retrieval, {rr['n_database']} patches")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "recall.png", dpi=120)
    pyplot.close(fig)


def _report(results):
    lines = [f"# Fast binary embeddings demo ({'quick' if results['quick'] else 'full'}, seed {results['seed']})", ""]
    for key, title in (("synthetic", "Synthetic well-spread data"), ("images", "Image patches (centred)"),
                       ("frames", "128x128 video frames (centred)")):
        if key not in results:
            continue
        r = results[key]
        lines += [f"## {title}: n = {r['n_features']}, {r['n_points']} points, distance MAPE"
                  + (f" (mean of {r['trials']} random matrices)" if r["trials"] > 1 else ""), ""]
        header = ["method"] + [f"m={m}" for m in r["m"]] + ["log-log slope"]
        rows = []
        for name, vals in r["mape"].items():
            rows.append([LABELS[name]] + [f"{v:.3f}" for v in vals] + [f"{r['slopes'][name]:.2f}"])
        if key == "synthetic":
            refs = {**{k: v for k, v in REFERENCE.items() if isinstance(v, dict)}}
            for name, ref in refs.items():
                rows.append([f"spec reference {LABELS[name]}"] + [f"{ref[m]:.2f}" if m in ref else "" for m in r["m"]] + [""])
            rows.append(["spec reference ℓ1-JL"] + [f"~{REFERENCE['jl']:.2f}"] * len(r["m"]) + [""])
        rows.append(["JL float32, m/32 floats (same bits, ℓ2)"]
                    + [f"{v:.3f}" for v in r["jl_float32_same_bits"]] + [""])
        if "uncentred_sd1" in r:
            rows.append(["ΣΔ r=1, uncentred data"] + [f"{v:.3f}" for v in r["uncentred_sd1"]] + [""])
        lines += [format_table(header, rows), ""]
        lines += ["Quantization part alone (mean |d_codes - d_unquantized| / d):", ""]
        rows = [[LABELS[k]] + [f"{v:.4f}" for v in vals] + [f"{r['quantization_slopes'][k]:.2f}"]
                for k, vals in r["quantization_mape"].items()]
        lines += [format_table(header, rows), ""]
        rows = [[LABELS[k]] + [str(b) for b in vals] + [""] for k, vals in r["condensed_bits"].items()]
        lines += ["Stored bits per point as condensed integers (vs m for the raw codes):", "",
                  format_table(header, rows), ""]
    rr = results["retrieval"]
    lines += [f"## Retrieval: recall@10, {rr['n_queries']} queries, {rr['n_database']} patches, "
              f"n = {rr['n_features']}", ""]
    header = ["method"] + [f"m={m}" for m in rr["m"]]
    rows = [[LABELS.get(k, k)] + [f"{v:.3f}" for v in vals] for k, vals in rr["recall_at_10"].items()]
    lines += [format_table(header, rows), "", f"Total time {results['seconds']:.1f} s.", ""]
    return "\n".join(lines)


def main(argv=None):
    parser = demo_parser(NAME, DESCRIPTION)
    args = parser.parse_args(argv)
    out = prepare_out(args.out, NAME)
    res = run(quick=args.quick, out=out, seed=args.seed, progress=not args.no_progress)
    print((out / "results.md").read_text())
    print(f"figures and results in {out}")
    return res


if __name__ == "__main__":
    main()
