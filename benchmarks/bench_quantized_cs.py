"""Quantized CS decoders: fast (homotopy / LP generation) vs the cvxpy reference, same run.

Case from issue 9: n = 1024, m = 4096, s = 20, partial random circulant (Rademacher), greedy ΣΔ
of order r = 2 with a 3-bit alphabet; one-stage decoder with the ℓ2 and the ℓinf constraint.
Both solve the same convex program; we report wall and CPU seconds, the relative difference of
the solutions and of the ℓ1 objectives (matching accuracy), and the reconstruction error.
Then n = 2^14, m = 4n with the fast decoders only (cvxpy would need the dense 65536 x 16384 A).

A partial circulant with m > n is the first n columns of an m x m circulant
(``PartialCirculantOperator(m, m) @ [I_n; 0]``): the rows are still shifts of one Rademacher
sequence.

Run: ``.venv/bin/python benchmarks/bench_quantized_cs.py [--quick]``.
"""
import argparse
import json
import math
import pathlib
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sps

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _harness import machine_info, md_table, write_results  # noqa: E402

RESULTS_PARTIAL = pathlib.Path("/tmp") / "cstoolbox_bench_partial"

from cstoolbox.operators import PartialCirculantOperator  # noqa: E402
from cstoolbox.quantized_cs import QuantizedCS  # noqa: E402
from cstoolbox.quantizers import Alphabet  # noqa: E402


def circulant_tall(m, n, rng):
    """First n columns of an m x m random Rademacher circulant, rows scaled to unit variance."""
    C = PartialCirculantOperator(m, m, "rademacher", random_state=rng)
    pad = sps.csr_matrix((np.ones(n), (np.arange(n), np.arange(n))), shape=(m, n))
    return math.sqrt(m) * C @ pad if m > n else math.sqrt(m) * PartialCirculantOperator(m, n, random_state=rng)


def timed(func):
    w0, c0 = time.perf_counter(), time.process_time()
    out = func()
    return out, time.perf_counter() - w0, time.process_time() - c0


def case(n, m, s, seed, with_cvxpy, norms, sink=None, cvxpy_time_limit=None):
    rng = np.random.default_rng(seed)
    A = circulant_tall(m, n, rng)
    x = np.zeros(n)
    x[rng.choice(n, s, replace=False)] = rng.standard_normal(s)
    x /= np.linalg.norm(x)
    ymax = float(np.abs(A @ x).max())
    alphabet = Alphabet(8, ymax / 2.5 * 1.001)      # 3 bits, ΣΔ r=2 stable: ||y|| <= K s - 3 s / 2
    qcs = QuantizedCS(A, "sigma_delta", order=2, alphabet=alphabet)
    q = qcs.encode(x)
    rows = []
    for norm in norms:
        (z, info), wall, cpu = timed(lambda: qcs.decode(q, method="one-stage", norm=norm))
        rec = dict(n=n, m=m, s=s, norm=norm, solver=info.solver, status=info.status, wall_s=wall, cpu_s=cpu,
                   iterations=info.iterations, l1=float(np.abs(z).sum()), error=float(np.linalg.norm(z - x)),
                   matvecs=info.n_matvec, rmatvecs=info.n_rmatvec)
        rows.append(rec)
        if sink:
            sink(rec)
        if with_cvxpy:
            opts = {} if cvxpy_time_limit is None else {"time_limit": float(cvxpy_time_limit)}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                (zr, ir), wr, cr = timed(lambda: qcs.decode(q, method="one-stage", norm=norm, solver="cvxpy",
                                                            **opts))
            rows.append(dict(n=n, m=m, s=s, norm=norm, solver=ir.solver, status=ir.status, wall_s=wr, cpu_s=cr,
                             iterations=ir.iterations, l1=float(np.abs(zr).sum()),
                             error=float(np.linalg.norm(zr - x)), matvecs=0, rmatvecs=0,
                             rel_diff_to_fast=float(np.linalg.norm(z - zr) / np.linalg.norm(zr)),
                             l1_rel_diff=float(abs(np.abs(z).sum() - np.abs(zr).sum()) / np.abs(zr).sum()),
                             speedup_wall=wr / wall, speedup_cpu=cr / cpu))
            if sink:
                sink(rows[-1])
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    ap.add_argument("--only", choices=["small", "large"], default=None, help="run one of the two cases")
    ap.add_argument("--cvxpy-time-limit", type=float, default=None,
                    help="CLARABEL time limit in seconds (a stopped reference gives a lower bound on the speedup)")
    args = ap.parse_args(argv)
    if args.quick:
        cases = [(256, 1024, 10, True), (2048, 8192, 10, False)]
    else:
        cases = [(1024, 4096, 20, True), (2 ** 14, 4 * 2 ** 14, 20, False)]
    if args.only:
        cases = [cases[0] if args.only == "small" else cases[1]]
    rows = []

    def sink(rec):
        print(rec, flush=True)
        partial = RESULTS_PARTIAL / f"quantized_cs_{args.only or 'all'}.jsonl"
        partial.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "a") as fh:
            fh.write(json.dumps(rec) + "\n")

    for n, m, s, cvx in cases:
        rows += case(n, m, s, 0, cvx, ("l2", "inf"), sink, args.cvxpy_time_limit)
    header = ["n", "m", "s", "norm", "solver", "status", "wall s", "CPU s", "iters", "||z||_1", "||z - x||",
              "rel. diff to fast", "speedup (wall)", "speedup (CPU)"]
    table = [[r["n"], r["m"], r["s"], r["norm"], r["solver"], r["status"], r["wall_s"], r["cpu_s"],
              r["iterations"], r["l1"], r["error"], r.get("rel_diff_to_fast", "—"),
              r.get("speedup_wall", "—"), r.get("speedup_cpu", "—")] for r in rows]
    info = machine_info()
    md = ("# quantized_cs: one-stage ΣΔ (r = 2) decoder, fast vs cvxpy\n\n"
          "Partial random circulant (Rademacher), 3-bit greedy ΣΔ of order 2, s-sparse unit-norm x. "
          "Fast: exact homotopy (ℓ2) / column-and-row generation LP (ℓinf) with banded D^r; "
          "reference: cvxpy (CLARABEL) on the same program with the sparse banded D^r and dense A. "
          "Target: >= 20x at matching accuracy.\n\n"
          + md_table(header, table) + "\n\n"
          f"Machine: {info}\n\nCommand: `.venv/bin/python benchmarks/bench_quantized_cs.py"
          f"{' --quick' if args.quick else ''}`\n")
    write_results("quantized_cs", dict(machine=info, quick=args.quick, rows=rows), md)
    print(md)


if __name__ == "__main__":
    main()
