"""Core kernels: quantizer throughput (samples/s) beside a pure-NumPy reference, and FWHT time.

Usage: python benchmarks/bench_core.py [--quick]
Writes benchmarks/results/core.json and core.md.

Quantizers: every scheme of cstoolbox.quantizers on float64 batches of 1000 x 1000 and
100 x 100000 samples (quantized along the last axis), through the public functions:
* "per core": numba limited to one thread (``numba.set_num_threads(1)``), throughput =
  samples / CPU seconds of the process (``time.process_time``, best of the repeats). CPU time is
  what one core spends, so the figure is not diluted when other jobs share the machine.
* "all threads": every numba thread, samples / wall-clock seconds (median).
* "NumPy loop": the reference a user writes without a kernel: a Python loop over time,
  vectorized over the batch (memoryless schemes: fully vectorized NumPy), same run, samples /
  CPU second. Its output is checked equal to ours (power-of-two steps make both exact).
FWHT: cstoolbox.transforms.fwht beside a NumPy reshape-butterfly reference, same run.
"""

import argparse
import math
import os
import statistics
import sys
import time

import numba
import numpy as np

from _harness import machine_info, md_table, write_results
from bench_fwht import numpy_fwht as np_fwht
from cstoolbox.quantizers import (
    Alphabet,
    beta_encode,
    msq,
    one_bit_sigma_delta,
    one_bit_sigma_delta_filter,
    sigma_delta,
    stochastic_round,
)
from cstoolbox.transforms import fwht

TARGET = 50e6  # issue 2: ΣΔ (r <= 2) and beta at >= 50 million samples/s per core on >= 1e6 samples


# ------------------------------------------------------------------------------------------
# timing
# ------------------------------------------------------------------------------------------


def cpu_time(func, repeat):
    """Best CPU seconds of ``func()`` (after one warm-up call)."""
    func()
    best = math.inf
    for _ in range(repeat):
        t0 = time.process_time()
        func()
        best = min(best, time.process_time() - t0)
    return max(best, 1e-9)


def wall_time(func, repeat):
    """Median wall-clock seconds of ``func()`` (after one warm-up call)."""
    func()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# ------------------------------------------------------------------------------------------
# NumPy references: loop over time, vectorized over the batch
# ------------------------------------------------------------------------------------------


def _np_quantize(v, a):
    return np.clip(a.step * np.floor(v / a.step) + a.step / 2, -a.max_value, a.max_value)


def np_msq(y, a):
    return _np_quantize(y, a)


def np_stochastic(y, a, seed):
    rng = np.random.default_rng(seed)
    t = np.clip(y / a.step + (a.K - 0.5), 0, a.levels - 1)
    k = np.floor(t)
    k += rng.random(y.size).reshape(y.shape) < t - k
    return (k - (a.K - 0.5)) * a.step


def np_sigma_delta(y, r, a):
    yt = np.ascontiguousarray(y.T)
    c = np.array([(-1) ** (j - 1) * math.comb(r, j) for j in range(1, r + 1)], dtype=float)
    hist = np.zeros((r, y.shape[0]))  # hist[j] = u_{i-1-j}
    q = np.empty_like(yt)
    for i in range(yt.shape[0]):
        rho = yt[i] + c @ hist
        q[i] = _np_quantize(rho, a)
        hist[1:] = hist[:-1]
        hist[0] = rho - q[i]
    return q.T


def np_one_bit_sigma_delta(y, r):
    taps, coefs = one_bit_sigma_delta_filter(r)
    yt = np.ascontiguousarray(y.T)
    size = int(taps[-1]) + 1
    ring = np.zeros((size, y.shape[0]))  # ring[i % size] = v_i
    q = np.empty_like(yt)
    for i in range(yt.shape[0]):
        w = yt[i].copy()
        for t, c in zip(taps, coefs):
            w += c * ring[(i - t) % size]
        q[i] = np.where(w >= 0, 1.0, -1.0)
        ring[i % size] = w - q[i]
    return q.T


def np_beta(y, beta, lam, a):
    """Per block, in units of the step like the kernel.

    Beta encoding is a beta-expansion: a one-ulp difference in the arithmetic is amplified by
    beta per sample and changes the codes after about log(2^53)/log(beta) samples, so the
    reference uses the kernel's arithmetic.
    """
    n, m = y.shape
    blocks = np.ascontiguousarray(y.reshape(n * (m // lam), lam).T) * (1.0 / a.step)  # (lam, n*p)
    u = np.zeros(blocks.shape[1])
    t = np.empty_like(blocks)
    for i in range(lam):
        w = blocks[i] + beta * u
        t[i] = np.clip(np.floor(w), -a.K, a.K - 1)
        u = (w - t[i]) - 0.5
    return ((t + 0.5) * a.step).T.reshape(n, m)


# ------------------------------------------------------------------------------------------
# cases
# ------------------------------------------------------------------------------------------

A16 = Alphabet(16, 0.125)  # 4 bits, stable range covers |y| <= 0.5 for r <= 3 and beta 1.5
A1 = Alphabet.one_bit()


def quantizer_cases():
    """(label, ours(y), numpy reference(y), scheme family for the target)."""
    return [
        ("MSQ (4 bits)", lambda y: msq(y, A16), lambda y: np_msq(y, A16), "msq"),
        (
            "stochastic rounding (4 bits)",
            lambda y: stochastic_round(y, A16, random_state=0),
            lambda y: np_stochastic(y, A16, 0),
            "msq",
        ),
        (
            "ΣΔ r=1 (1 bit)",
            lambda y: sigma_delta(y, 1, A1),
            lambda y: np_sigma_delta(y, 1, A1),
            "target",
        ),
        (
            "ΣΔ r=1 (4 bits)",
            lambda y: sigma_delta(y, 1, A16),
            lambda y: np_sigma_delta(y, 1, A16),
            "target",
        ),
        (
            "ΣΔ r=2 (4 bits)",
            lambda y: sigma_delta(y, 2, A16),
            lambda y: np_sigma_delta(y, 2, A16),
            "target",
        ),
        (
            "ΣΔ r=3 (4 bits)",
            lambda y: sigma_delta(y, 3, A16),
            lambda y: np_sigma_delta(y, 3, A16),
            "other",
        ),
        (
            "one-bit ΣΔ r=2 (DGK)",
            lambda y: one_bit_sigma_delta(y, 2),
            lambda y: np_one_bit_sigma_delta(y, 2),
            "other",
        ),
        (
            "one-bit ΣΔ r=3 (DGK)",
            lambda y: one_bit_sigma_delta(y, 3),
            lambda y: np_one_bit_sigma_delta(y, 3),
            "other",
        ),
        (
            "beta β=1.5, λ=100 (1 bit)",
            lambda y: beta_encode(y, 1.5, 100, A1),
            lambda y: np_beta(y, 1.5, 100, A1),
            "target",
        ),
        (
            "beta β=1.5, λ=100 (4 bits)",
            lambda y: beta_encode(y, 1.5, 100, A16),
            lambda y: np_beta(y, 1.5, 100, A16),
            "target",
        ),
    ]


def run_quantizers(quick):
    shapes = [(1000, 1000)] if quick else [(1000, 1000), (100, 100000)]
    repeat = 3 if quick else 7
    n_threads = numba.config.NUMBA_NUM_THREADS
    records = []
    for shape in shapes:
        y = np.random.default_rng(0).uniform(-0.5, 0.5, shape)
        for label, ours, ref, family in quantizer_cases():
            numba.set_num_threads(1)
            t1 = cpu_time(lambda: ours(y), repeat)
            numba.set_num_threads(n_threads)
            tall = wall_time(lambda: ours(y), repeat)
            q_ref = ref(y)  # (also the warm-up of the reference)
            tref = cpu_time(lambda: ref(y), 1 if quick or shape[1] > 10**4 else 2)
            agree = bool(np.array_equal(ours(y), q_ref))
            records.append(
                {
                    "scheme": label,
                    "shape": list(shape),
                    "samples": y.size,
                    "family": family,
                    "per_core_samples_per_s": y.size / t1,
                    "all_threads_samples_per_s": y.size / tall,
                    "numpy_loop_samples_per_s": y.size / tref,
                    "speedup_per_core_vs_numpy": tref / t1,
                    "threads": n_threads,
                    "equal_to_numpy_reference": agree,
                    "meets_50M_per_core": (y.size / t1 >= TARGET) if family == "target" else None,
                }
            )
            print(
                f"{label:28s} {str(shape):14s} per core {y.size / t1 / 1e6:8.1f} M/s | "
                f"{n_threads} threads {y.size / tall / 1e6:8.1f} M/s | "
                f"numpy {y.size / tref / 1e6:7.2f} M/s"
                f" | equal {agree}",
                flush=True,
            )
    numba.set_num_threads(n_threads)
    return records


def run_fwht(quick):
    cases = [
        ("n=2^10", 1, 2**10),
        ("n=2^16", 1, 2**16),
        ("n=2^20", 1, 2**20),
        ("4096 x 1024", 4096, 1024),
    ]
    repeat = 3 if quick else 9
    records = []
    n_threads = numba.config.NUMBA_NUM_THREADS
    for label, b, n in cases:
        x = np.random.default_rng(0).standard_normal((b, n))
        ours = wall_time(lambda: fwht(x), repeat)
        numba.set_num_threads(1)
        ours_cpu1 = cpu_time(lambda: fwht(x), repeat)
        numba.set_num_threads(n_threads)
        ref = wall_time(lambda: np_fwht(x), max(1, repeat // 3))
        err = float(np.abs(fwht(x[:1]) - np_fwht(x[:1])).max() / np.sqrt(n))
        records.append(
            {
                "case": label,
                "batch": b,
                "n": n,
                "fwht_ms": ours * 1e3,
                "fwht_cpu_ms_1_thread": ours_cpu1 * 1e3,
                "numpy_ms": ref * 1e3,
                "speedup_vs_numpy": ref / ours,
                "max_abs_diff_over_sqrt_n": err,
            }
        )
        print(
            f"fwht {label:12s} {ours * 1e3:9.3f} ms ({n_threads} threads) | "
            f"1 thread CPU {ours_cpu1 * 1e3:9.3f} ms"
            f" | numpy {ref * 1e3:9.3f} ms",
            flush=True,
        )
    return records


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1000 x 1000 only, fewer repeats")
    args = parser.parse_args(argv)
    info = machine_info()
    info["load_average_at_start"] = os.getloadavg()
    print(info, flush=True)
    quant = run_quantizers(args.quick)
    try:
        fw, fw_error = run_fwht(args.quick), None
    except Exception as exc:  # the transform is another module's: record its failure, keep ours
        fw, fw_error = [], f"{type(exc).__name__}: {exc}"
        print("FWHT benchmark failed:", fw_error, flush=True)
    info["load_average_at_end"] = os.getloadavg()
    command = "python benchmarks/bench_core.py" + (" --quick" if args.quick else "")
    rows = [
        (
            r["scheme"],
            "x".join(map(str, r["shape"])),
            r["per_core_samples_per_s"] / 1e6,
            r["all_threads_samples_per_s"] / 1e6,
            r["numpy_loop_samples_per_s"] / 1e6,
            r["speedup_per_core_vs_numpy"],
            "yes" if r["equal_to_numpy_reference"] else "NO",
            {True: "met", False: "NOT met", None: "-"}[r["meets_50M_per_core"]],
        )
        for r in quant
    ]
    frows = [
        (r["case"], r["fwht_ms"], r["fwht_cpu_ms_1_thread"], r["numpy_ms"], r["speedup_vs_numpy"])
        for r in fw
    ]
    load0, load1 = info["load_average_at_start"][0], info["load_average_at_end"][0]
    header = [
        "scheme",
        "batch",
        "per core (M/s)",
        "all threads (M/s)",
        "NumPy loop (M/s)",
        "speed-up per core",
        "equal",
        "target 50 M/s",
    ]
    parts = [
        "# Core kernels: quantizers and FWHT",
        f"Command: `{command}` (float64). Machine: {info['cpu']}, {info['cores']} cores, "
        f"numba {info['numba']} ({quant[0]['threads']} threads), numpy {info['numpy']}, "
        f"{info['date']}; load average {load0:.1f} at the start and {load1:.1f} at the end "
        "(the machine is shared with other jobs).",
        "Quantizer throughput in million samples per second through the public functions "
        "(q only). *Per core*: numba limited to 1 thread, samples per CPU second (best of the "
        "repeats). *All threads*: wall clock (median); on a shared, loaded machine the threads "
        "wait for CPU slices, so this column measures the machine's load more than the kernels. "
        "*NumPy loop*: Python loop over time vectorized over the batch (MSQ / stochastic "
        "rounding: plain vectorized NumPy), samples per CPU second; *equal*: our output equals "
        "it exactly. Target (issue 2): ΣΔ r <= 2 and beta >= 50 M samples/s per core.",
        md_table(header, rows),
        "FWHT (`cstoolbox.transforms.fwht`, float64) beside a NumPy reshape-butterfly "
        "reference: wall-clock milliseconds (median), and CPU milliseconds with 1 numba thread.",
        md_table(["case", "fwht (ms)", "fwht 1 thread CPU (ms)", "NumPy (ms)", "speed-up"], frows)
        if fw_error is None
        else f"FWHT benchmark failed in this run: `{fw_error}`",
    ]
    md = "\n\n".join(parts) + "\n"
    paths = write_results(
        "core",
        {
            "machine": info,
            "command": command,
            "quantizers": quant,
            "fwht": fw,
            "fwht_error": fw_error,
        },
        md,
    )
    print("wrote", *paths)
    return 0


if __name__ == "__main__":
    sys.exit(main())
