"""FWHT speed: cstoolbox.transforms.fwht beside FFHT (FALCONN, C + AVX) and a NumPy reference, same run.

Usage: python benchmarks/bench_fwht.py [--quick]
Writes benchmarks/results/fwht.json and fwht.md.  FFHT is optional (``pip install pybind11 numpy &&
pip install --no-build-isolation FFHT-unofficial``); without it the radix-2 numba loop is the anchor.
"""
import argparse
import sys

import numba
import numpy as np

from _harness import machine_info, md_table, median_time, write_results
from cstoolbox._jit import njit
from cstoolbox.transforms import fwht

try:
    import ffht
except ImportError:  # optional anchor
    ffht = None


def numpy_fwht(x):
    """Reference: log2(n) reshape butterflies in NumPy (what a user writes without a kernel)."""
    b, n = x.shape
    h = 1
    y = x.copy()
    while h < n:
        v = y.reshape(b, n // (2 * h), 2, h)
        y = np.stack((v[:, :, 0] + v[:, :, 1], v[:, :, 0] - v[:, :, 1]), axis=2).reshape(b, n)
        h *= 2
    return y


@njit
def radix2_numba(x):
    """The textbook radix-2 in-place loop (the anchor when FFHT is missing)."""
    n = x.shape[1]
    for r in range(x.shape[0]):
        h = 1
        while h < n:
            for i in range(0, n, 2 * h):
                for j in range(i, i + h):
                    a = x[r, j]
                    c = x[r, j + h]
                    x[r, j] = a + c
                    x[r, j + h] = a - c
            h *= 2


def run(quick=False):
    cases = [("n=2^10", 1, 2**10), ("n=2^16", 1, 2**16), ("n=2^20", 1, 2**20),
             ("4096 x 1024", 4096, 1024), ("64 x 2^16", 64, 2**16)]
    if not quick:
        cases.insert(3, ("n=2^24", 1, 2**24))
    rows, records = [], []
    threads = numba.get_num_threads()
    for dtype in (np.float32, np.float64):
        for label, b, n in cases:
            rng = np.random.default_rng(0)
            x = rng.standard_normal((b, n)).astype(dtype)
            work = x.copy()
            rep = 5 if quick else 15
            ours = median_time(lambda: fwht(work, out=work), repeat=rep)
            rec = {"case": label, "dtype": np.dtype(dtype).name, "batch": b, "n": n, "ours_ms": ours * 1e3}
            if ffht is not None:
                w2 = x.copy()
                rec["ffht_ms"] = median_time(lambda: ffht.fht_(w2, threads), repeat=rep) * 1e3
            w3 = x.copy()
            rec["radix2_numba_ms"] = median_time(lambda: radix2_numba(w3), repeat=max(3, rep // 3)) * 1e3
            if b * n <= 2**22:
                rec["numpy_ms"] = median_time(lambda: numpy_fwht(x), repeat=3) * 1e3
            # correctness beside the anchor, same run
            ref = numpy_fwht(x[:1].astype(np.float64))
            got = fwht(x[:1].astype(np.float64))
            assert np.allclose(got, ref, atol=1e-6 * np.sqrt(n))
            anchor = rec.get("ffht_ms", rec["radix2_numba_ms"])
            rec["ratio_vs_anchor"] = rec["ours_ms"] / anchor
            records.append(rec)
            rows.append((label, rec["dtype"], rec["ours_ms"], rec.get("ffht_ms", "n/a"), rec["radix2_numba_ms"],
                         rec.get("numpy_ms", "skipped"), rec["ratio_vs_anchor"]))
            print(rows[-1], flush=True)
    info = machine_info()
    anchor_name = "FFHT (fht_, nthreads=numba threads)" if ffht is not None else \
        "radix-2 numba loop (FFHT not importable)"
    md = (f"# FWHT benchmark\n\nMachine: {info['cpu']}, {info['cores']} cores, numba threads {threads}, "
          f"{info['date']}.\nAnchor: {anchor_name}. Times are medians in milliseconds, in-place transforms.\n"
          "Target (issue 3): ours <= 1.5x FFHT at n = 2^20 and 4096 x 1024, both precisions.\n\n" +
          md_table(["case", "dtype", "cstoolbox (ms)", "FFHT (ms)", "radix-2 numba (ms)", "numpy (ms)",
                    "ours / anchor"], rows) + "\n")
    write_results("fwht", {"machine": info, "anchor": anchor_name, "results": records}, md)
    print(md)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    sys.exit(run(**vars(p.parse_args())))
