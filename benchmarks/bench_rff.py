"""Benchmark cstoolbox.rff.QuantizedRFF against scikit-learn's RBFSampler.

1. Time of ``transform`` for n = 1e5 samples, d = 64, m = 2048 (``--quick``: n = 1e4), float64 and
   float32 input, every QuantizedRFF scheme (ΣΔ r = 1, 2, 3, the one-bit DGK filter, beta, MSQ,
   StocQ) beside ``RBFSampler.transform`` in the same run (target: <= 1.5x), with numba's
   default thread count and with one numba thread; wall and CPU time.
2. Storage: bytes per sample of the packed codes beside float64 RFF features at equal kernel RMSE
   (pairs with distances on [0, 5], d = 50, gamma = 0.2; target >= 16x smaller). The float64 RFF
   RMSE is measured for several m and fitted as c / sqrt(m) to find the m giving the same RMSE.

Usage: ``.venv/bin/python benchmarks/bench_rff.py [--quick]``; writes benchmarks/results/rff.json
and rff.md.
"""
import argparse
import json
import math
import os
import pathlib
import platform
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from sklearn.kernel_approximation import RBFSampler  # noqa: E402

from cstoolbox.demos._common import format_table  # noqa: E402
from cstoolbox.demos.quantized_rff import pair_data  # noqa: E402
from cstoolbox.exceptions import QuantizerInstabilityWarning  # noqa: E402
from cstoolbox.rff import QuantizedRFF, kernel_approximation  # noqa: E402

RESULTS = pathlib.Path(__file__).resolve().parent / "results"

TIMED = {
    "ΣΔ r=1, 1 bit, λ=2": dict(order=1, levels=2, block_length=2),
    "ΣΔ r=1, 2 bits, λ=2": dict(order=1, levels=4, block_length=2),
    # m = 2048 has no divisor of the form r(t-1)+1 > 1 for r = 2, 3: no condensation (λ = 1)
    "ΣΔ r=2, 2 bits, λ=1": dict(order=2, levels=4, block_length=1),
    "ΣΔ r=3, 3 bits, λ=1": dict(order=3, levels=8, block_length=1),
    "ΣΔ r=2 (DGK), 1 bit, λ=1": dict(order=2, levels=2, block_length=1),
    "β=1.5, 1 bit, λ=4": dict(method="beta", beta=1.5, levels=2, block_length=4),
    "MSQ, 2 bits": dict(method="msq", levels=4),
    "StocQ, 2 bits": dict(method="stochastic", levels=4),
}
STORAGE = {
    "StocQ, 1 bit": (3000, dict(method="stochastic", levels=2)),
    "StocQ, 2 bits": (3000, dict(method="stochastic", levels=4)),
    "ΣΔ r=1, 1 bit, λ=2": (3000, dict(order=1, levels=2, block_length=2)),
    "ΣΔ r=1, 2 bits, λ=2": (3000, dict(order=1, levels=4, block_length=2)),
    "ΣΔ r=1, 3 bits (K=4), λ=2": (3000, dict(order=1, levels=8, block_length=2)),
    "ΣΔ r=1, 2 bits, λ=4": (6000, dict(order=1, levels=4, block_length=4)),
    "ΣΔ r=1, 2 bits, λ=2, m=6000": (6000, dict(order=1, levels=4, block_length=2)),
    "β=1.5, 1 bit, λ=4": (3000, dict(method="beta", beta=1.5, levels=2, block_length=4)),
}


def machine_info():
    import numba
    import sklearn
    info = {"python": platform.python_version(), "numpy": np.__version__,
            "sklearn": sklearn.__version__,
            "numba": numba.__version__, "cpu": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count()}
    try:
        info["load_avg_1min"] = os.getloadavg()[0]
    except OSError:  # pragma: no cover
        pass
    return info


def best_time(func, repeats):
    """(best wall time, best process CPU time) over repeats; the machine may be shared, so the CPU
    time (all threads) is reported beside the wall time."""
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        out = func()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        del out
    return min(wall), min(cpu)


def bench_transform(n, d, m, repeats):
    """Each QuantizedRFF time is bracketed by RBFSampler runs (the machine is shared); the fused
    kernel is timed with numba's default thread count (float64: prange over row groups;
    float32: the two-stage pipeline, product in the calling thread, cos + kernel in a worker)
    and with one numba thread (block by block in the calling thread). Inside a multi-chunk
    transform BLAS runs single-threaded (QuantizedRFF's threadpoolctl limit); RBFSampler's
    BLAS uses every thread."""
    import numba
    threads = numba.get_num_threads()
    rng = np.random.default_rng(0)
    X64 = rng.standard_normal((n, d)) / math.sqrt(d)
    rows = []
    for dtype in (np.float64, np.float32):
        X = X64.astype(dtype)
        ref = RBFSampler(gamma=1.0, n_components=m, random_state=0).fit(X)
        ref.transform(X[:100])
        for label, params in TIMED.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", QuantizerInstabilityWarning)
                tr = QuantizedRFF(n_components=m, gamma=1.0, random_state=0, **params).fit(X)
            tr.transform(X[:3000])                                 # compile / warm up
            r1, r1c = best_time(lambda: ref.transform(X), 1)
            timings = {}
            for nt in sorted({threads, 1}, reverse=True):
                numba.set_num_threads(nt)
                try:
                    timings[nt] = best_time(lambda: tr.transform(X), repeats)
                finally:
                    numba.set_num_threads(threads)
            r2, r2c = best_time(lambda: ref.transform(X), 1)
            anchor, anchor_c = min(r1, r2), min(r1c, r2c)
            for nt, (t, tc) in timings.items():
                rows.append({"dtype": np.dtype(dtype).name, "scheme": label, "n": n, "d": d,
                             "m": m, "p": tr.n_features_out_, "numba_threads": nt,
                             "qrff_s": t, "rbfsampler_s": anchor, "ratio": t / anchor,
                             "qrff_cpu_s": tc, "rbfsampler_cpu_s": anchor_c,
                             "cpu_ratio": tc / anchor_c, "target_ratio": 1.5,
                             "met": t / anchor <= 1.5, "load_avg_1min": _load()})
                print(f"{rows[-1]['dtype']:8s} {label:28s} numba threads {nt}: qrff {t:.3f}s  "
                      f"rbf {anchor:.3f}s  ratio {t / anchor:.2f}  (cpu ratio {tc / anchor_c:.2f})"
                      f"  load {rows[-1]['load_avg_1min']}", flush=True)
    return rows


def _load():
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:  # pragma: no cover
        return None


def bench_cos(size=1 << 21, repeats=5):
    """NumPy's cos against numba's scalar cos (the fused kernel's), float64 and float32: time per
    value and fraction of values that differ (the design choice of cstoolbox._rff_numba)."""
    import numba

    @numba.njit(cache=False)
    def ncos(z, out):
        for i in range(z.shape[0]):
            out[i] = np.cos(z[i])

    rng = np.random.default_rng(0)
    rows = []
    for dtype in (np.float64, np.float32):
        z = (rng.standard_normal(size) * 3 + 3).astype(dtype)     # like XW + xi here
        out = np.empty_like(z)
        ncos(z, out)
        t_np = min(best_time(lambda: np.cos(z, out=out), 1)[0] for _ in range(repeats))
        ref = np.cos(z)
        t_nb = min(best_time(lambda: ncos(z, out), 1)[0] for _ in range(repeats))
        rows.append({"dtype": np.dtype(dtype).name, "numpy_ns": 1e9 * t_np / size,
                     "numba_ns": 1e9 * t_nb / size, "differ_fraction": float(np.mean(out != ref)),
                     "load_avg_1min": _load()})
        print(rows[-1], flush=True)
    return rows


def cos_table(rows):
    return format_table(["dtype", "NumPy cos [ns/value]", "numba cos [ns/value]",
                         "values that differ", "load avg"],
                        [[r["dtype"], f"{r['numpy_ns']:.2f}", f"{r['numba_ns']:.2f}",
                          f"{100 * r['differ_fraction']:.1f} %", r["load_avg_1min"]]
                         for r in rows])


def bench_storage(n_pairs, trials):
    X, Y, dist = pair_data(n_pairs, 50, 5.0, 0)
    k = np.exp(-0.2 * dist ** 2)

    def rmse(est):
        return math.sqrt(np.mean((est - k) ** 2))

    # float64 RFF: RMSE(m) measured, fitted as c / sqrt(m)
    rff_points = []
    for m in (250, 500, 1000, 2000, 4000):
        vals = [rmse(kernel_approximation(X, Y, estimator="rff", n_components=m, gamma=0.2,
                                          random_state=t, paired=True)) for t in range(trials)]
        rff_points.append((m, math.sqrt(np.mean(np.square(vals)))))
    ms, es = np.array(rff_points).T
    c = float(np.exp(np.mean(np.log(es) + 0.5 * np.log(ms))))
    rows = []
    for label, (m, params) in STORAGE.items():
        vals = []
        for t in range(trials):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", QuantizerInstabilityWarning)
                tr = QuantizedRFF(n_components=m, gamma=0.2, random_state=t, **params).fit(X)
            vals.append(rmse(kernel_approximation(X, Y, transformer=tr, paired=True)))
            packed = tr.pack(tr.transform_codes(X[:4]))
            assert np.allclose(tr.unpack(packed), tr.transform(X[:4]))
        e = math.sqrt(np.mean(np.square(vals)))
        m_equiv = (c / e) ** 2
        bytes_q = tr.bits_per_sample_ / 8
        bytes_f64 = 8 * m_equiv
        rows.append({"scheme": label, "m": m, "p": tr.n_features_out_, "rmse": e,
                     "bytes_per_sample": bytes_q,
                     "rff_m_at_equal_rmse": m_equiv, "rff_float64_bytes": bytes_f64,
                     "compression": bytes_f64 / bytes_q, "target": 16.0,
                     # compression = 64 * eta / b: eta = RFF features worth one stored feature,
                     # b = stored bits per output feature
                     "eta": m_equiv / tr.n_features_out_,
                     "bits_per_feature_out": tr.bits_per_sample_ / tr.n_features_out_,
                     "met": bytes_f64 / bytes_q >= 16})
        print(f"{label:30s} rmse {e:.4f} bytes {bytes_q:.0f} vs float64 RFF {bytes_f64:.0f}: "
              f"{bytes_f64 / bytes_q:.1f}x", flush=True)
    return {"rff_points": rff_points, "rff_fit_c": c, "rows": rows}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--cos-only", action="store_true",
                    help="only the NumPy-vs-numba cos comparison, added to the existing results")
    args = ap.parse_args(argv)
    if args.cos_only:
        rows = bench_cos()
        path = RESULTS / "rff.json"
        res = json.loads(path.read_text()) if path.exists() else {}
        res["cos"] = rows
        res["cos_machine"] = machine_info()
        path.write_text(json.dumps(res, indent=2, default=float))
        md_path = RESULTS / "rff.md"
        md = md_path.read_text() if md_path.exists() else "# QuantizedRFF benchmark\n"
        md = md.split("\n## cos: NumPy against numba")[0].rstrip("\n") + "\n"
        md += ("\n## cos: NumPy against numba (`.venv/bin/python benchmarks/bench_rff.py "
               "--cos-only`)\n\n" + cos_table(rows) + "\n")
        md_path.write_text(md)
        print(md)
        return 0
    n = 10_000 if args.quick else 100_000
    info = machine_info()
    t0 = time.perf_counter()
    cos_rows = bench_cos()
    trows = bench_transform(n, 64, 2048, repeats=2)
    storage = bench_storage(300 if args.quick else 1000, 1 if args.quick else 3)
    res = {"machine": info, "quick": args.quick, "cos": cos_rows, "transform": trows,
           "storage": storage,
           "time_s": time.perf_counter() - t0}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "rff.json").write_text(json.dumps(res, indent=2, default=float))
    quick = " --quick" if args.quick else ""
    t_table = format_table(
        ["input", "scheme", "p (features out)", "numba threads", "QuantizedRFF [s]",
         "RBFSampler [s]", "ratio", "CPU-time ratio", "met (wall <= 1.5x)", "load avg"],
        [[r["dtype"], r["scheme"], r["p"], r["numba_threads"], f"{r['qrff_s']:.3f}",
          f"{r['rbfsampler_s']:.3f}", f"{r['ratio']:.2f}", f"{r['cpu_ratio']:.2f}", r["met"],
          r["load_avg_1min"]] for r in trows])
    s_table = format_table(
        ["scheme", "m", "p", "kernel RMSE", "bytes/sample (packed)", "float64 RFF m at equal RMSE",
         "float64 bytes/sample", "smaller by", "met", "η = RFF m / p", "stored bits / p"],
        [[r["scheme"], r["m"], r["p"], f"{r['rmse']:.4f}", f"{r['bytes_per_sample']:.0f}",
          f"{r['rff_m_at_equal_rmse']:.0f}", f"{r['rff_float64_bytes']:.0f}",
          f"{r['compression']:.1f}x", r["met"], f"{r['eta']:.2f}",
          f"{r['bits_per_feature_out']:.2f}"] for r in storage["rows"]])
    points = ", ".join(f"{m:.0f}: {e:.4f}" for m, e in storage["rff_points"])
    md = ["# QuantizedRFF benchmark", "",
          f"Command: `.venv/bin/python benchmarks/bench_rff.py{quick}`", "",
          "Machine: " + ", ".join(f"{k}={v}" for k, v in info.items()), "",
          f"## transform time, n={n}, d=64, m=2048 "
          "(best of repeats; RBFSampler in the same run; target <= 1.5x)", "",
          t_table, "",
          "## storage at equal kernel RMSE "
          "(d=50, pairs on [0, 5], gamma=0.2; target >= 16x smaller)",
          "",
          f"float64 RFF RMSE measured at m = {points}; "
          f"fitted RMSE = {storage['rff_fit_c']:.3f} / sqrt(m).", "",
          s_table, "",
          "Smaller by = 64 η / (stored bits / p): a stored output feature is worth η float64 RFF "
          "features; 16x needs η >= (stored bits / p) / 4.", "",
          "## cos: NumPy against numba", "", cos_table(cos_rows), ""]
    (RESULTS / "rff.md").write_text("\n".join(md))
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
