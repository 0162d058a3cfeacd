"""FWHT speed: cstoolbox.transforms.fwht beside FFHT (FALCONN, C + AVX) and a NumPy reference, same run.

Usage: python benchmarks/bench_fwht.py [--quick]
Writes benchmarks/results/fwht.json and fwht.md.  FFHT is optional (``pip install pybind11 numpy &&
pip install --no-build-isolation FFHT-unofficial``); without it the radix-2 numba loop is the anchor.

Ours and FFHT are timed *interleaved* (one call of each per round, medians over the rounds), with one
thread (``numba.set_num_threads(1)``, ``fht_(x, 1)``) and with every thread, so that load from other
processes on a shared machine hits both alike.  For one thread the median process CPU time per call is
recorded too: it is insensitive to time-sharing of the cores (not to cache sharing).
"""
import argparse
import statistics
import sys
import time

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


def interleaved(funcs, rounds, budget_s):
    """Median wall and process-CPU seconds per call of each function, calls alternating round by round."""
    for f in funcs:
        f()
    wall = [[] for _ in funcs]
    cpu = [[] for _ in funcs]
    t_start = time.perf_counter()
    for i in range(rounds):
        for k, f in enumerate(funcs):
            c0, t0 = time.process_time(), time.perf_counter()
            f()
            wall[k].append(time.perf_counter() - t0)
            cpu[k].append(time.process_time() - c0)
        if i >= 4 and time.perf_counter() - t_start > budget_s:
            break
    return [statistics.median(w) for w in wall], [statistics.median(c) for c in cpu]


def run(quick=False):
    cases = [("n=2^10", 1, 2**10), ("n=2^16", 1, 2**16), ("n=2^20", 1, 2**20),
             ("4096 x 1024", 4096, 1024), ("64 x 2^16", 64, 2**16)]
    if not quick:
        cases.insert(3, ("n=2^24", 1, 2**24))
    all_threads = numba.get_num_threads()
    thread_counts = sorted({1, all_threads})
    rows, records = [], []
    for dtype in (np.float32, np.float64):
        for label, b, n in cases:
            rng = np.random.default_rng(0)
            x = rng.standard_normal((b, n)).astype(dtype)
            # correctness beside the anchors, same run
            ref = numpy_fwht(x[:1].astype(np.float64))
            assert np.allclose(fwht(x[:1].astype(np.float64)), ref, atol=1e-9 * np.sqrt(n))
            if ffht is not None:
                y = x[:1].copy()
                ffht.fht_(y, 1)
                assert np.allclose(fwht(x[:1]), y, rtol=1e-4, atol=1e-4 * np.sqrt(n))
            size = b * n
            rounds = 7 if quick else (15 if size >= 2**22 else (41 if size >= 2**16 else 401))
            budget = 3.0 if quick else 20.0
            w3 = x.copy()
            radix2 = median_time(lambda: radix2_numba(w3), repeat=3 if size >= 2**22 else 7)
            numpy_t = median_time(lambda: numpy_fwht(x), repeat=3) if size <= 2**22 else None
            for threads in thread_counts:
                numba.set_num_threads(threads)
                work, w2 = x.copy(), x.copy()
                funcs = [lambda: fwht(work, out=work)]
                if ffht is not None:
                    funcs.append(lambda: ffht.fht_(w2, threads))
                wall, cpu = interleaved(funcs, rounds, budget)
                rec = {"case": label, "dtype": np.dtype(dtype).name, "batch": b, "n": n, "threads": threads,
                       "ours_ms": wall[0] * 1e3, "radix2_numba_ms": radix2 * 1e3}
                if threads == 1:
                    rec["ours_cpu_ms"] = cpu[0] * 1e3
                if ffht is not None:
                    rec["ffht_ms"] = wall[1] * 1e3
                    if threads == 1:
                        rec["ffht_cpu_ms"] = cpu[1] * 1e3
                        rec["cpu_ratio_vs_ffht"] = cpu[0] / cpu[1]
                if numpy_t is not None:
                    rec["numpy_ms"] = numpy_t * 1e3
                anchor = rec.get("ffht_ms", rec["radix2_numba_ms"])
                rec["ratio_vs_anchor"] = rec["ours_ms"] / anchor
                records.append(rec)
                rows.append((label, rec["dtype"], threads, rec["ours_ms"], rec.get("ffht_ms", "n/a"),
                             rec["ratio_vs_anchor"], rec.get("cpu_ratio_vs_ffht", ""),
                             rec["radix2_numba_ms"], rec.get("numpy_ms", "skipped")))
                print(rows[-1], flush=True)
            numba.set_num_threads(all_threads)
    info = machine_info()
    try:
        info["load_average"] = open("/proc/loadavg").read().split()[:3]
    except OSError:
        pass
    anchor_name = "FFHT (fht_, same thread count)" if ffht is not None else \
        "radix-2 numba loop (FFHT not importable)"
    md = (f"# FWHT benchmark\n\nMachine: {info['cpu']}, {info['cores']} cores, numba threads {all_threads}, "
          f"load average {' '.join(info.get('load_average', ['?']))}, {info['date']}.\n"
          f"Anchor: {anchor_name}. Times are medians in milliseconds of in-place transforms, ours and FFHT "
          "interleaved call by call; 'CPU ratio' is ours / FFHT in process CPU time (one thread; "
          "insensitive to other processes time-sharing the cores).\n"
          "Target (issue 3): ours <= 1.5x FFHT at n = 2^20 and 4096 x 1024, both precisions.\n"
          f"Command: `python benchmarks/bench_fwht.py{' --quick' if quick else ''}`\n\n" +
          md_table(["case", "dtype", "threads", "cstoolbox (ms)", "FFHT (ms)", "ours / anchor (wall)",
                    "ours / FFHT (CPU)", "radix-2 numba (ms)", "numpy (ms)"], rows) + "\n")
    write_results("fwht", {"machine": info, "anchor": anchor_name, "results": records}, md)
    print(md)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    sys.exit(run(**vars(p.parse_args())))
