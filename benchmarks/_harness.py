"""Small shared harness for the benchmark scripts: machine facts, robust timing, JSON + markdown output."""
import json
import os
import pathlib
import platform
import statistics
import time

import numpy as np

RESULTS = pathlib.Path(__file__).resolve().parent / "results"


def machine_info():
    """CPU model, core count and library versions, recorded beside every figure."""
    import numba
    import scipy
    cpu = platform.processor() or "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "numba_threads": numba.get_num_threads(),
            "python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
            "numba": numba.__version__, "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}


def median_time(func, repeat=7, warmup=1, min_time=0.0):
    """Median wall-clock seconds of ``func()`` over ``repeat`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        func()
    times = []
    t_start = time.perf_counter()
    while len(times) < repeat or time.perf_counter() - t_start < min_time:
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
        if len(times) >= 10 * repeat:
            break
    return statistics.median(times)


def write_results(name, payload, markdown):
    """Write ``results/<name>.json`` and ``results/<name>.md``; return their paths."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    jpath, mpath = RESULTS / f"{name}.json", RESULTS / f"{name}.md"
    jpath.write_text(json.dumps(payload, indent=2, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))
    mpath.write_text(markdown)
    return jpath, mpath


def md_table(header, rows):
    """A markdown table (floats printed with 4 significant digits)."""
    def cell(v):
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
