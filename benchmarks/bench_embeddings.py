"""Benchmark: fast binary embeddings vs scikit-learn SparseRandomProjection + sign.

1. Encoding throughput: 1e5 points (``--quick``: 1e4), n = 1024, m = 4096, both with the same
   sparse matrix density 1/sqrt(n) (scikit-learn's "auto"), packed one-bit output.
2. Pairwise distances for 2000 x 2000 codes (``--quick``: 500): FastBinaryEmbedding's estimator on
   the codes (condensed integers, numba) beside Euclidean distances of the float32 embeddings
   (scikit-learn ``euclidean_distances``, BLAS) and SimHash Hamming distances (popcount).

Writes benchmarks/results/embeddings.json and embeddings.md.
Run: ``.venv/bin/python benchmarks/bench_embeddings.py [--quick]``.
"""
import argparse
import json
import os
import pathlib
import platform
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from cstoolbox.embeddings import FastBinaryEmbedding, SignRandomProjection  # noqa: E402

RESULTS = pathlib.Path(__file__).resolve().parent / "results"


_CPU = {}


def _best(fn, repeat):
    """Best wall time of ``repeat`` runs; the CPU time (all threads) of that run goes to _CPU['last']."""
    best, out = np.inf, None
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        wall = time.perf_counter() - t0
        if wall < best:
            best, _CPU["last"] = wall, time.process_time() - c0
    return best, out


def machine_info():
    import numba
    import scipy
    import sklearn
    info = {"python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
            "numba_threads": numba.config.NUMBA_NUM_THREADS, "numpy": np.__version__,
            "scipy": scipy.__version__, "sklearn": sklearn.__version__, "numba": numba.__version__}
    try:
        info["load_average_1min"] = os.getloadavg()[0]
    except OSError:
        pass
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return info


def bench_encoding(X, m, repeat):
    from sklearn.random_projection import SparseRandomProjection
    n = X.shape[1]
    density = 1.0 / np.sqrt(n)
    fit_rows = X[:2000]
    rows = []
    srp = SparseRandomProjection(n_components=m, density="auto", random_state=0).fit(fit_rows)

    def sk_encode():
        out = np.empty((X.shape[0], (m + 7) // 8), np.uint8)
        for s in range(0, X.shape[0], 8192):
            out[s:s + 8192] = np.packbits(srp.transform(X[s:s + 8192]) >= 0, axis=1)
        return out

    sk_encode_small = lambda: np.packbits(srp.transform(X[:64]) >= 0, axis=1)  # noqa: E731
    sk_encode_small()
    t_sk, _ = _best(sk_encode, repeat)
    cpu_sk = _CPU["last"]
    rows.append({"method": "sklearn SparseRandomProjection + sign (packed)", "m": m,
                 "nnz_per_row": float(srp.components_.nnz / m), "seconds": t_sk, "cpu_seconds": cpu_sk,
                 "points_per_second": X.shape[0] / t_sk})

    for label, kw in (("FastBinaryEmbedding ΣΔ r=1 (packed)", dict(order=1)),
                      ("FastBinaryEmbedding ΣΔ r=2 (packed)", dict(order=2)),
                      ("FastBinaryEmbedding beta=1.5 (packed)", dict(method="beta"))):
        fbe = FastBinaryEmbedding(m, density=density, random_state=0, **kw).fit(fit_rows)
        fbe.transform(X[:64], packed=True)          # compile / load the numba cache
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")         # points beyond the 2000 fitted ones may overload
            t, _ = _best(lambda: fbe.transform(X, packed=True), repeat)
        rows.append({"method": label, "m": m, "nnz_per_row": float(fbe.operator_.matrix.nnz / m),
                     "seconds": t, "cpu_seconds": _CPU["last"], "points_per_second": X.shape[0] / t,
                     "speedup_vs_sklearn": t_sk / t})
    t_proj, _ = _best(lambda: fbe.project(X[:20000]), 1)
    rows.append({"method": "FastBinaryEmbedding projection only (float64 out, 2e4 points)", "m": m,
                 "seconds": t_proj, "cpu_seconds": _CPU["last"], "points_per_second": 20000 / t_proj})
    return rows


def bench_kernel(X, m, npts=8192, repeat=3):
    """The projection alone, same float32 CSR matrix: tiled numba kernel vs scipy's sparse product."""
    import numba
    from cstoolbox.embeddings import _csr_project
    Xs = np.ascontiguousarray(X[:npts])
    fbe = FastBinaryEmbedding(m, density=1.0 / np.sqrt(X.shape[1]), random_state=0).fit(Xs[:100])
    A = fbe.operator_.matrix.astype(np.float32)
    _csr_project(A, Xs[:70], 1.0)
    rows = []
    t, _ = _best(lambda: Xs @ A.T, repeat)
    rows.append({"method": "scipy X @ A.T (float32, single thread)", "threads": 1, "seconds": t,
                 "cpu_seconds": _CPU["last"]})
    ref_cpu = _CPU["last"]
    threads = numba.get_num_threads()
    for k in sorted({1, threads}):
        numba.set_num_threads(k)
        t, _ = _best(lambda: _csr_project(A, Xs, 1.0), repeat)
        rows.append({"method": "cstoolbox tiled numba kernel (float32)", "threads": k, "seconds": t,
                     "cpu_seconds": _CPU["last"], "cpu_speedup_vs_scipy": ref_cpu / _CPU["last"]})
    numba.set_num_threads(threads)
    return rows


def bench_pairwise(X, m, npts, repeat):
    from sklearn.metrics.pairwise import euclidean_distances
    from sklearn.random_projection import SparseRandomProjection
    Xs = X[:npts]
    rows = []
    srp = SparseRandomProjection(n_components=m, random_state=0).fit(Xs)
    Y = srp.transform(Xs).astype(np.float32)
    t_float, _ = _best(lambda: euclidean_distances(Y), repeat)
    cpu_float = _CPU["last"]
    rows.append({"method": "float32 embeddings, sklearn euclidean_distances", "seconds": t_float, "cpu_seconds": cpu_float,
                 "bytes_per_point": int(Y.itemsize * m)})
    fbe = FastBinaryEmbedding(m, random_state=0).fit(Xs)
    codes = fbe.transform(Xs, packed=True)
    cond = fbe.condense(codes)
    fbe.pairwise_distances(codes[:8])
    t_codes, _ = _best(lambda: fbe.pairwise_distances(codes), repeat)
    cpu_codes = _CPU["last"]
    t_cond, _ = _best(lambda: fbe.pairwise_distances(cond, condensed=True), repeat)
    cpu_cond = _CPU["last"]
    rows.append({"method": "FastBinaryEmbedding r=1, from packed codes (condense + l1)",
                 "seconds": t_codes, "cpu_seconds": cpu_codes, "bytes_per_point": int(codes.shape[1]),
                 "speedup_vs_float": t_float / t_codes})
    rows.append({"method": f"FastBinaryEmbedding r=1, from condensed {cond.dtype} (l1)",
                 "seconds": t_cond, "cpu_seconds": cpu_cond, "bytes_per_point": int(cond.shape[1] * cond.itemsize),
                 "speedup_vs_float": t_float / t_cond})
    sh = SignRandomProjection(m, random_state=0).fit(Xs)
    sc = sh.transform(Xs, packed=True)
    sh.pairwise_distances(sc[:8])
    t_sh, _ = _best(lambda: sh.pairwise_distances(sc), repeat)
    rows.append({"method": "SimHash Hamming (popcount), packed codes", "seconds": t_sh,
                 "cpu_seconds": _CPU["last"],
                 "bytes_per_point": int(sc.shape[1]), "speedup_vs_float": t_float / t_sh})
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    n, m = 1024, 4096
    N = 10_000 if args.quick else 100_000
    npair = 500 if args.quick else 2000
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, n), dtype=np.float32)
    info = machine_info()
    t0 = time.perf_counter()
    kern = bench_kernel(X, m, npts=2048 if args.quick else 8192)
    enc = bench_encoding(X, m, repeat=2 if args.quick else 1)
    pair = bench_pairwise(X, m, npair, repeat=3)
    res = {"quick": args.quick, "n_points": N, "n_features": n, "n_components": m, "pairwise_points": npair,
           "machine": info, "projection_kernel": kern, "encoding": enc, "pairwise": pair, "total_seconds": time.perf_counter() - t0}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "embeddings.json").write_text(json.dumps(res, indent=2))
    lines = [f"# Binary embeddings benchmark ({'quick' if args.quick else 'full'})", "",
             f"Machine: {info.get('cpu', info['processor'])}, {info['cpu_count']} cores, numba threads "
             f"{info['numba_threads']}, load average at start {info.get('load_average_1min', float('nan')):.1f} "
             f"(shared machine: absolute times are noisy, ratios within one run are the figure); "
             f"numpy {info['numpy']}, scipy {info['scipy']}, scikit-learn {info['sklearn']}, numba {info['numba']}.",
             "", f"## Encoding {N} points, n = {n}, m = {m} (same density 1/sqrt(n))", "",
             "| method | nnz/row | wall s | CPU s (all threads) | points/s (wall) | speed-up vs sklearn (wall) |",
             "|---|---|---|---|---|---|"]
    for r in enc:
        lines.append(f"| {r['method']} | {r.get('nnz_per_row', float('nan')):.1f} | {r['seconds']:.2f} | "
                     f"{r['cpu_seconds']:.2f} | "
                     f"{r['points_per_second']:.0f} | {r.get('speedup_vs_sklearn', float('nan')):.2f} |")
    lines += ["", f"## Projection kernel alone ({2048 if args.quick else 8192} points, same float32 matrix)", "",
              "| method | threads | wall s | CPU s | CPU speed-up vs scipy |", "|---|---|---|---|---|"]
    for r in kern:
        lines.append(f"| {r['method']} | {r['threads']} | {r['seconds']:.3f} | {r['cpu_seconds']:.3f} | "
                     f"{r.get('cpu_speedup_vs_scipy', 1.0):.2f} |")
    lines += ["", f"## Pairwise distances, {npair} x {npair} points, m = {m}", "",
              "| method | wall s | CPU s | bytes/point | speed-up vs float (wall) |", "|---|---|---|---|---|"]
    for r in pair:
        lines.append(f"| {r['method']} | {r['seconds']:.4f} | {r['cpu_seconds']:.4f} | {r['bytes_per_point']} | "
                     f"{r.get('speedup_vs_float', 1.0):.1f} |")
    lines += ["", f"Command: `.venv/bin/python benchmarks/bench_embeddings.py{' --quick' if args.quick else ''}`", ""]
    (RESULTS / "embeddings.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
