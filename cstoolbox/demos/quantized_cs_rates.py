"""Error decay of quantized compressed sensing: MSQ flat, ΣΔ polynomial, beta exponential, for
Gaussian, partial random circulant and subsampled Hadamard/DFT measurements.

For each family and each m an s-sparse unit-norm x is measured with unit-variance rows
(``sqrt(m) * A``), quantized with one fixed alphabet (1 bit, or ``--bits``) and decoded:

* MSQ: plain BPDN with the quantization-error bound (the baseline; flat in m);
* ΣΔ r = 1, 2: the one-stage decoder (Saab–Wang–Yilmaz, ℓinf by default), m on a geometric
  grid from about 2 s log n; fitted slope of log error vs log m (theory: -(r - 1/2) or steeper);
* beta encoding: ``p`` blocks of length lam, ``m = p * lam``, with ``p`` fixed at about
  ``2 s log(n/s)`` (the number of measurements an s-sparse recovery needs: the condensed
  ``p x n`` matrix ``V A`` must have the null space property), decoded by the two-stage beta dual
  (support: the s largest entries of the condensed ℓ2 decode ``min ||z||_1 s.t.
  ||V (A z - q)||_2 <= beta^-lam sqrt(p) step/2``, then ``x_T = (H^-1 A_T)^+ H^-1 q``; the
  one-stage support, ``--beta-decoder two-stage-inf``, works with ``H^-1 A`` whose rows grow like
  ``beta^lam`` and becomes slow and ill-conditioned for long blocks); fitted slope of
  log error vs lam (theory: -log(beta)) over the lam where the error is below ``--fit-below``
  (before that the support is not yet found and the error saturates near 1; the same rule
  applies to the ΣΔ fits, the slope over all points is reported beside it).

m may exceed n (``--m-max-factor``): Gaussian matrices simply get more rows; partial circulant and
subsampled Hadamard/DFT matrices, which have at most n distinct rows, are then stacked from
``ceil(m / n)`` independent draws (each an FFT/FWHT-fast structured block).

Slopes are fitted by least squares over all trials, with 95% confidence intervals; the table
compares the three families.  Why ``p`` matters: with p = 4 s = 40 blocks for s = 10, n = 512
(p/n = 0.08, s/p = 0.25: at the ℓ1 phase transition) a fraction of the trials fails outright at
every lam and the beta curve is no line; see docs/quantized_cs.md.
"""
import math
import os
import time
import warnings

import numpy as np

from ._common import demo_parser, format_table, plt, prepare_out, save_json

DESCRIPTION = "Quantized CS error decay: MSQ flat, Sigma-Delta polynomial (slope <= -(r-1/2)), beta exponential, 3 families"

FAMILIES = ("gaussian", "circulant", "hadamard", "dft")
SD_DECODERS = ("one-stage", "one-stage-l2", "two-stage")
BETA_DECODERS = ("two-stage", "two-stage-inf", "one-stage", "condensed")


def _shuffled(op, rng):
    """``P op``: the rows in a random acquisition order (a random permutation P)."""
    import scipy.sparse as sps
    m = op.shape[0]
    perm = rng.permutation(m)
    return sps.csr_matrix((np.ones(m), (np.arange(m), perm)), shape=(m, m)) @ op


def _stacked(blocks):
    """The operator ``[B_1; B_2; ...]`` (rows of independent blocks one after the other)."""
    from ..operators import LinearOperator, aslinearoperator

    class _Stacked(LinearOperator):
        def __init__(self, ops):
            self.ops = [aslinearoperator(b) for b in ops]
            dtype = np.result_type(*[b.dtype for b in self.ops])
            super().__init__((sum(b.shape[0] for b in self.ops), self.ops[0].shape[1]), dtype)
            self._cuts = np.cumsum([0] + [b.shape[0] for b in self.ops])

        def _matvec(self, x):
            return np.concatenate([np.asarray(b.matvec(x)) for b in self.ops], axis=0)

        def _rmatvec(self, y):
            c = self._cuts
            return sum(np.asarray(b.rmatvec(y[c[i]:c[i + 1]])) for i, b in enumerate(self.ops))

    return blocks[0] if len(blocks) == 1 else _Stacked(blocks)


def _row_counts(m, n):
    """Split m rows into ceil(m / n) nearly equal blocks of at most n rows."""
    k = -(-m // n)
    return [m // k + (1 if i < m % k else 0) for i in range(k)]


def make_operator(family, m, n, rng, row_order="random"):
    """Unit-variance-row operator ``sqrt(m) A`` of the family (complex DFT: m/2 complex rows).

    The structured rows are taken in a random order (``P R_Omega F D_eps``, ``P R_Omega C_xi``
    with a random permutation P): noise shaping runs along the measurement index, and with sorted
    Walsh/Fourier rows some columns are high-frequency sequences that ``D^-r`` attenuates (the
    error then does not decay).  The same happens to a partial circulant matrix whose sorted rows
    cover (nearly) all n shifts: ``C_xi`` is diagonal in the Fourier basis, so the high signal
    frequencies are seen only in the high measurement-index frequencies where ΣΔ puts its noise
    (see docs/quantized_cs.md).  For m > n the structured families stack ``ceil(m/n)``
    independent draws (see :func:`_stacked`).  ``row_order="sorted"`` keeps the natural order
    (for the comparison in docs/quantized_cs.md).
    """
    if row_order not in ("random", "sorted"):
        raise ValueError(f"row_order must be 'random' or 'sorted', got {row_order!r}")
    order = _shuffled if row_order == "random" else (lambda op, rng: op)  # noqa: E731
    from ..operators import GaussianOperator, PartialCirculantOperator, SubsampledOrthogonalOperator
    if family == "gaussian":
        return math.sqrt(m) * GaussianOperator(m, n, random_state=rng)
    if family == "circulant":
        op = _stacked([math.sqrt(k) * PartialCirculantOperator(k, n, "rademacher", random_state=rng)
                       for k in _row_counts(m, n)])
        return order(op, rng)
    if family == "hadamard":
        op = _stacked([math.sqrt(k) * SubsampledOrthogonalOperator(k, n, "hadamard", random_signs=True,
                                                                    random_state=rng)
                       for k in _row_counts(m, n)])
        return order(op, rng)
    if family == "dft":
        mc = m // 2  # m real measurements = m/2 complex ones (real and imaginary parts)
        op = _stacked([math.sqrt(k) * SubsampledOrthogonalOperator(k, n, "dft", random_signs=True,
                                                                    random_state=rng)
                       for k in _row_counts(mc, n)])
        return order(op, rng)
    raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")


def schemes_for(bits, sd_decoder="one-stage", beta_decoder="two-stage", sparsity=None, lp_start="homotopy"):
    """(label, QuantizedCS kwargs, decode kwargs, amplitude of x) for one fixed alphabet.

    The amplitude puts ``||A x||_inf <= ymax = 4.5`` (unit-variance rows, unit-norm x) inside the
    scheme's stable range; errors are reported relative to it.
    """
    from ..quantizers import Alphabet, stability_bound
    ymax = 4.5  # about the largest |N(0,1)| over the experiment's samples
    sd = {"one-stage": dict(method="one-stage", norm="inf", lp_start=lp_start),
          "one-stage-l2": dict(method="one-stage", norm="l2"),
          "two-stage": dict(method="two-stage", norm="inf", sparsity=sparsity, lp_start=lp_start)}[sd_decoder]
    bd = {"one-stage": dict(method="one-stage", norm="inf"), "condensed": dict(method="condensed"),
          "two-stage": dict(method="two-stage", support_from="condensed", sparsity=sparsity),
          "two-stage-inf": dict(method="two-stage", norm="inf", sparsity=sparsity, lp_start=lp_start)}[beta_decoder]
    out = []
    if bits == 1:
        a = Alphabet.one_bit()
        out.append(("MSQ", dict(scheme="msq", alphabet=a), dict(method="bpdn"), 1.0 / ymax))
        out.append(("ΣΔ r=1", dict(scheme="sigma_delta", order=1, alphabet=a), sd,
                    stability_bound("sigma_delta", a, order=1) / ymax))
        out.append(("ΣΔ r=2", dict(scheme="one_bit_sigma_delta", order=2), sd,
                    stability_bound("one_bit_sigma_delta", a, order=2) / ymax))
        beta = 1.5
        out.append((f"beta={beta}", dict(scheme="beta", beta=beta, alphabet=a), bd,
                    stability_bound("beta", a, beta=beta) / ymax))
    else:
        levels = 2 ** bits
        K = levels // 2
        # one fixed alphabet for every scheme: step chosen so that ΣΔ r=2 is stable for |y| <= ymax
        step = ymax / (K - 1.5)
        a = Alphabet(levels, step)
        out.append(("MSQ", dict(scheme="msq", alphabet=a), dict(method="bpdn"), 1.0))
        out.append(("ΣΔ r=1", dict(scheme="sigma_delta", order=1, alphabet=a), sd, 1.0))
        out.append(("ΣΔ r=2", dict(scheme="sigma_delta", order=2, alphabet=a), sd, 1.0))
        # the largest beta stable for |y| <= ymax: s (K - beta/2) >= ymax
        beta = float(min(2 * K - 2 * ymax / step, 1.9 * K))
        beta = max(1.2, min(beta, 2.0 * K - 0.1))
        out.append((f"beta={beta:.2g}", dict(scheme="beta", beta=beta, alphabet=a), bd, 1.0))
    return out


def fit_slope(xs, ys, level=0.95):
    """Least-squares slope of ys on xs with its ``level`` confidence half-width (t distribution)."""
    from scipy import stats
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    ok = np.isfinite(ys)
    xs, ys = xs[ok], ys[ok]
    if xs.size < 3 or np.unique(xs).size < 2:
        return float("nan"), float("nan")
    res = stats.linregress(xs, ys)
    t = stats.t.ppf(0.5 + level / 2, xs.size - 2)
    return float(res.slope), float(t * res.stderr)


def default_blocks(n, s):
    """Beta block count p: about 2 s log(n/s) condensed measurements, a multiple of 8."""
    p = 2 * s * math.log(n / s)
    return int(8 * math.ceil(p / 8))


def _geomean(E):
    with np.errstate(divide="ignore"):
        return np.exp(np.nanmean(np.log(np.maximum(E, 1e-300)), axis=-1))


def run_case(family, n, s, m_values, lam_values, p, bits, trials, rng, verbose, sd_decoder="one-stage",
             beta_decoder="two-stage", lp_start="homotopy", row_order="random"):
    """Errors (relative to ||x|| = 1) of every scheme: MSQ/ΣΔ on ``m_values``, beta on ``p * lam_values``."""
    from .._progress import progress
    from ..quantized_cs import QuantizedCS
    schemes = schemes_for(bits, sd_decoder, beta_decoder, sparsity=s, lp_start=lp_start)
    is_beta = {label: qkw["scheme"] == "beta" for label, qkw, *_ in schemes}
    grid = {label: (p * np.asarray(lam_values) if is_beta[label] else np.asarray(m_values)) for label in is_beta}
    errors = {label: np.full((len(grid[label]), trials), np.nan) for label in is_beta}
    conv = {label: 0 for label in is_beta}
    unstable = {label: 0 for label in is_beta}
    seconds = {label: 0.0 for label in is_beta}
    failures = {label: [] for label in is_beta}
    all_m = sorted(set(np.concatenate(list(grid.values())).tolist()))
    bar = progress(total=len(all_m) * trials, enabled=verbose, desc=f"{family} n={n} s={s} {bits}-bit")
    for m in all_m:
        for t in range(trials):
            x = np.zeros(n)
            x[rng.choice(n, s, replace=False)] = rng.standard_normal(s)
            x /= np.linalg.norm(x)
            A = make_operator(family, int(m), n, rng, row_order)
            for label, qkw, dkw, amp in schemes:
                hit = np.flatnonzero(grid[label] == m)
                if not hit.size:
                    continue
                kw = dict(qkw)
                if is_beta[label]:
                    stream = int(m) // (2 if family == "dft" else 1)
                    kw["block_length"] = int(lam_values[hit[0]])
                    assert stream % kw["block_length"] == 0
                qcs = QuantizedCS(A, **kw)
                q, u = qcs.encode(amp * x, return_state=True, warn=False)
                unstable[label] += int(np.abs(u).max() > qcs.state_bound_ * (1 + 1e-9))
                t0 = time.process_time()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    x_hat, info = qcs.decode(q, **dkw)
                seconds[label] += time.process_time() - t0
                conv[label] += int(info.converged)
                if not info.converged and len(failures[label]) < 5:
                    failures[label].append(f"m={int(m)}: {info.status}: {info.message}")
                errors[label][hit[0], t] = np.linalg.norm(x_hat / amp - x)
            bar.update(1)
    bar.close()
    return schemes, grid, errors, dict(converged=conv, unstable=unstable, cpu_seconds=seconds, failures=failures)


def analyse(label, grid, E, p, fit_below):
    """Fitted slope (log-log for MSQ/ΣΔ, semilog per lam for beta) and its CI over the decay regime.

    The decay laws are asymptotic: before the decoder has found the signal (relative error near
    1, the support not yet identified) the error saturates.  For the noise-shaping schemes the
    fit therefore starts at the first grid point whose mean error is below ``fit_below`` (MSQ:
    all points); the slope over all points is returned as well.
    """
    trials = E.shape[1]
    mean = _geomean(E)
    beta = label.startswith("beta")
    xs = grid / p if beta else np.log(grid)
    if label == "MSQ":
        sel = np.arange(len(grid))
    else:
        ok = np.flatnonzero(mean < fit_below)
        sel = np.arange(ok[0] if ok.size else len(grid), len(grid))
    slope, ci = fit_slope(np.repeat(xs[sel], trials), np.log(E[sel].ravel()))
    slope_all, ci_all = fit_slope(np.repeat(xs, trials), np.log(E.ravel()))
    if beta:
        expect, kind = -math.log(float(label.split("=")[1])), "semilog (per lam)"
        fitted = f"lam {int(round(xs[sel[0]]))}..{int(round(xs[sel[-1]]))}" if sel.size else "none"
    else:
        expect, kind = {"MSQ": 0.0, "ΣΔ r=1": -0.5, "ΣΔ r=2": -1.5}[label], "log-log"
        fitted = f"m {int(grid[sel[0]])}..{int(grid[sel[-1]])}" if sel.size else "none"
    return dict(slope=slope, ci95=ci, slope_all=slope_all, ci95_all=ci_all, expected=expect, fit=kind,
                fitted_range=fitted, mean=mean)


def main(argv=None):
    p = demo_parser("quantized_cs_rates", DESCRIPTION)
    p.add_argument("--n", type=int, nargs="+", default=[512, 1024], help="signal dimensions")
    p.add_argument("--sparsity", type=int, nargs="+", default=[10, 20])
    p.add_argument("--families", nargs="+", default=["gaussian", "circulant", "hadamard"], choices=FAMILIES)
    p.add_argument("--bits", type=int, nargs="+", default=[1, 3], help="alphabet sizes in bits")
    p.add_argument("--trials", type=int, default=5)
    p.add_argument("--points", type=int, default=6, help="number of m values for MSQ and ΣΔ")
    p.add_argument("--m-max-factor", type=float, default=2.0,
                   help="largest m = factor * n (structured families stack independent draws beyond n)")
    p.add_argument("--m-max-factor-one-bit", type=float, default=4.0,
                   help="the same for 1-bit alphabets (their decay starts later: smaller amplitudes)")
    p.add_argument("--beta-points", type=int, default=10, help="at most this many block lengths lam")
    p.add_argument("--beta-blocks", type=int, default=0, help="beta: number of blocks p (default about 2 s log(n/s))")
    p.add_argument("--fit-below", type=float, default=0.3,
                   help="ΣΔ/beta slopes fitted from the first m (lam) whose mean error is below this")
    p.add_argument("--sd-decoder", default="one-stage", choices=SD_DECODERS)
    p.add_argument("--beta-decoder", default="two-stage", choices=BETA_DECODERS)
    p.add_argument("--row-order", default="random", choices=["random", "sorted"],
                   help="acquisition order of the structured rows (sorted: natural order, see the docs)")
    p.add_argument("--lp-start", default="homotopy", choices=["auto", "ipm", "homotopy"],
                   help="start of the ℓinf LP (homotopy measured faster than ipm at these sizes)")
    args = p.parse_args(argv)
    if args.quick:
        args.n, args.sparsity, args.bits, args.trials, args.points, args.beta_points = [128], [3], [3], 2, 4, 5
    out = prepare_out(args.out, "quantized_cs_rates")
    rng = np.random.default_rng(args.seed)
    pyplot = plt()
    results, rows = [], []
    t_start = time.time()
    for n in args.n:
        for s in args.sparsity:
            m_lo = int(math.ceil(2 * s * math.log(n)))
            blocks = args.beta_blocks or default_blocks(n, s)
            for bits in args.bits:
                m_max = int((args.m_max_factor_one_bit if bits == 1 else args.m_max_factor) * n)
                m_values = np.unique((np.geomspace(m_lo, m_max, args.points) // 4 * 4).astype(int))
                lam_max = max(1, m_max // blocks)
                lam_values = np.unique(np.round(np.linspace(1, lam_max, min(args.beta_points, lam_max))).astype(int))
                fig, axes = pyplot.subplots(1, 2, figsize=(12, 4.5))
                for fi, family in enumerate(args.families):
                    schemes, grid, errors, stats = run_case(family, n, s, m_values, lam_values, blocks, bits,
                                                            args.trials, rng, not args.no_progress,
                                                            args.sd_decoder, args.beta_decoder, args.lp_start,
                                                            args.row_order)
                    color = f"C{fi}"
                    for si, (label, *_) in enumerate(schemes):
                        E = errors[label]
                        a = analyse(label, grid[label], E, blocks, args.fit_below)
                        slope, ci, mean = a["slope"], a["ci95"], a["mean"]
                        if label.startswith("beta"):
                            axes[1].semilogy(grid[label] / blocks, mean, "o-", color=color,
                                             label=f"{family}: {slope:+.2f} ± {ci:.2f} per lam")
                        else:
                            axes[0].loglog(m_values, mean, "os^"[si % 3] + "-", color=color,
                                           label=f"{family} {label}: {slope:+.2f} ± {ci:.2f}")
                        n_dec = E.size
                        results.append(dict(
                            n=n, s=s, bits=bits, family=family, scheme=label, fit=a["fit"],
                            fitted_range=a["fitted_range"], slope=slope, ci95=ci, slope_all_points=a["slope_all"],
                            ci95_all_points=a["ci95_all"], expected=a["expected"], m=grid[label].tolist(),
                            block_lengths=(grid[label] // blocks).tolist() if label.startswith("beta") else None,
                            beta_blocks=blocks, mean_error=mean.tolist(), errors=E.tolist(),
                            converged_fraction=stats["converged"][label] / n_dec,
                            unstable_fraction=stats["unstable"][label] / n_dec,
                            cpu_seconds_per_decode=stats["cpu_seconds"][label] / n_dec,
                            not_converged_messages=stats["failures"][label]))
                        rows.append([n, s, bits, family, label, f"{slope:+.2f} ± {ci:.2f}", f"{a['expected']:+.2f}",
                                     a["fitted_range"], f"{a['slope_all']:+.2f} ± {a['ci95_all']:.2f}",
                                     f"{mean[0]:.2e}", f"{mean[-1]:.2e}",
                                     f"{stats['converged'][label] / n_dec:.2f}",
                                     f"{stats['unstable'][label] / n_dec:.2f}",
                                     f"{stats['cpu_seconds'][label] / n_dec:.3f}"])
                lam_plot = np.asarray(lam_values, float)
                beta_label = [lab for lab, *_ in schemes if lab.startswith("beta")][0]
                beta = float(beta_label.split("=")[1])
                axes[1].semilogy(lam_plot, beta ** -lam_plot, "k--", label=f"beta^-lam (beta={beta:g})")
                if m_max > n:
                    axes[0].axvline(n, color="gray", ls=":", lw=1)
                axes[0].set(xlabel="m", ylabel="||x - x_hat||_2 / ||x||_2",
                            title=f"n={n}, s={s}, {bits}-bit: MSQ (o), ΣΔ r=1 (s), r=2 (^)")
                axes[1].set(xlabel="block length lam = m / p", ylabel="relative error",
                            title=f"beta encoding, p={blocks} blocks ({args.beta_decoder})")
                for ax in axes:
                    ax.grid(True, which="both", alpha=0.3)
                    ax.legend(fontsize=6)
                fig.tight_layout()
                fig.savefig(out / f"rates_n{n}_s{s}_{bits}bit.png", dpi=120)
                pyplot.close(fig)
    header = ["n", "s", "bits", "family", "scheme", "slope ± 95% CI", "expected", "fitted over",
              "slope (all points)", "err(first)", "err(last)", "converged", "unstable", "CPU s/decode"]
    table = format_table(header, rows)
    load = [round(float(v), 2) for v in os.getloadavg()]
    print(table)
    print(f"wall {time.time() - t_start:.0f} s, load average {load}")
    save_json(out / "rates.json", dict(args=vars(args), results=results, wall_seconds=time.time() - t_start,
                                       load_average=load))
    (out / "rates.md").write_text(table + f"\n\nwall {time.time() - t_start:.0f} s, load average {load}\n")
    return results


if __name__ == "__main__":  # pragma: no cover
    main()
