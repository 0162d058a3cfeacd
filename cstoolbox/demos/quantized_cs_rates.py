"""Error decay of quantized compressed sensing: MSQ flat, ΣΔ polynomial, beta exponential, for
Gaussian, partial random circulant and subsampled Hadamard/DFT measurements.

For each family and each m (from about 2 s log n up to n) an s-sparse unit-norm x is measured
with unit-variance rows (``sqrt(m) * A``), quantized with a fixed alphabet (1 bit, or ``--bits``)
and decoded:

* MSQ: plain BPDN with the quantization-error bound (the baseline; flat in m);
* ΣΔ r = 1, 2: the one-stage decoder (slope about -(r - 1/2) in log-log);
* beta encoding: the one-stage beta decoder with p fixed blocks of length lam = m / p
  (straight line in lam on a semilog plot, slope about -log(beta)).

Slopes are fitted by least squares on (log m, log error) over all trials, with 95% confidence
intervals; the table compares the three families.
"""
import math

import numpy as np

from ._common import demo_parser, format_table, plt, prepare_out, save_json

DESCRIPTION = "Quantized CS error decay: MSQ flat, Sigma-Delta slope -(r-1/2), beta exponential, 3 families"

FAMILIES = ("gaussian", "circulant", "hadamard", "dft")


def _shuffled(op, rng):
    """``P op``: the rows in a random acquisition order (a random permutation P)."""
    import scipy.sparse as sps
    m = op.shape[0]
    perm = rng.permutation(m)
    return sps.csr_matrix((np.ones(m), (np.arange(m), perm)), shape=(m, m)) @ op


def make_operator(family, m, n, rng):
    """Unit-variance-row operator ``sqrt(m) A`` of the family (complex DFT: m/2 complex rows).

    The subsampled orthogonal (BOS) rows are taken in a random order: noise shaping runs along
    the measurement index, and with sorted Walsh/Fourier rows some columns are high-frequency
    sequences that ``D^-r`` attenuates (the error then does not decay; see docs/quantized_cs.md).
    Partial circulant rows stay sorted (each column is a shifted Rademacher sequence).
    """
    from ..operators import GaussianOperator, PartialCirculantOperator, SubsampledOrthogonalOperator
    if family == "gaussian":
        return math.sqrt(m) * GaussianOperator(m, n, random_state=rng)
    if family == "circulant":
        return math.sqrt(m) * PartialCirculantOperator(m, n, "rademacher", random_state=rng)
    if family == "hadamard":
        op = SubsampledOrthogonalOperator(m, n, "hadamard", random_signs=True, random_state=rng)
        return math.sqrt(m) * _shuffled(op, rng)
    if family == "dft":
        mc = m // 2  # m real measurements = m/2 complex ones (real and imaginary parts)
        op = SubsampledOrthogonalOperator(mc, n, "dft", random_signs=True, random_state=rng)
        return math.sqrt(mc) * _shuffled(op, rng)
    raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")


def schemes_for(bits, beta_blocks):
    """(label, QuantizedCS kwargs, decode kwargs, amplitude of x) for a fixed alphabet."""
    from ..quantizers import Alphabet, stability_bound
    ymax = 4.5  # about the largest |N(0,1)| over the experiment's samples
    out = []
    if bits == 1:
        a = Alphabet.one_bit()
        out.append(("MSQ", dict(scheme="msq", alphabet=a), dict(method="bpdn"), 1.0 / ymax))
        out.append(("ΣΔ r=1", dict(scheme="sigma_delta", order=1, alphabet=a), dict(method="one-stage"),
                    stability_bound("sigma_delta", a, order=1) / ymax))
        out.append(("ΣΔ r=2", dict(scheme="one_bit_sigma_delta", order=2), dict(method="one-stage"),
                    stability_bound("one_bit_sigma_delta", a, order=2) / ymax))
        beta = 1.5
        out.append((f"beta={beta}", dict(scheme="beta", beta=beta, alphabet=a), dict(method="one-stage"),
                    stability_bound("beta", a, beta=beta) / ymax))
    else:
        levels = 2 ** bits
        K = levels // 2
        # one fixed alphabet for every scheme: step chosen so that ΣΔ r=2 is stable for |y| <= ymax
        step = ymax / (K - 1.5)
        a = Alphabet(levels, step)
        out.append(("MSQ", dict(scheme="msq", alphabet=a), dict(method="bpdn"), 1.0))
        out.append(("ΣΔ r=1", dict(scheme="sigma_delta", order=1, alphabet=a), dict(method="one-stage"), 1.0))
        out.append(("ΣΔ r=2", dict(scheme="sigma_delta", order=2, alphabet=a), dict(method="one-stage"), 1.0))
        beta = float(min(2 * K - 2 * ymax / step, 1.9 * K))
        beta = max(1.2, min(beta, 2.0 * K - 0.1))
        out.append((f"beta={beta:.2g}", dict(scheme="beta", beta=beta, alphabet=a), dict(method="one-stage"), 1.0))
    return out


def fit_slope(xs, ys, level=0.95):
    """Least-squares slope of ys on xs with its ``level`` confidence half-width (t distribution)."""
    from scipy import stats
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    ok = np.isfinite(ys)
    xs, ys = xs[ok], ys[ok]
    if xs.size < 3 or np.ptp(xs) == 0:
        return float("nan"), float("nan")
    res = stats.linregress(xs, ys)
    t = stats.t.ppf(0.5 + level / 2, xs.size - 2)
    return float(res.slope), float(t * res.stderr)


def run_case(family, n, s, m_values, bits, trials, beta_blocks, norm, rng, verbose):
    from .._progress import progress
    from ..quantized_cs import QuantizedCS
    schemes = schemes_for(bits, beta_blocks)
    errors = {label: np.full((len(m_values), trials), np.nan) for label, *_ in schemes}
    lam = {label: [] for label, *_ in schemes}
    status = {label: 0 for label, *_ in schemes}
    total = len(m_values) * trials
    bar = progress(total=total, enabled=verbose, desc=f"{family} n={n} s={s} {bits}-bit")
    for i, m in enumerate(m_values):
        for t in range(trials):
            x = np.zeros(n)
            supp = rng.choice(n, s, replace=False)
            x[supp] = rng.standard_normal(s)
            x /= np.linalg.norm(x)
            A = make_operator(family, m, n, rng)
            for label, qkw, dkw, amp in schemes:
                kw = dict(qkw)
                if kw["scheme"] == "beta":
                    mm = A.shape[0] // (2 if family == "dft" else 1)   # stream length
                    p = beta_blocks
                    while mm % p:
                        p -= 1
                    kw["block_length"] = mm // p
                    if t == 0:
                        lam[label].append(mm // p)
                qcs = QuantizedCS(A, **kw)
                q = qcs.encode(amp * x)
                d = dict(dkw)
                if d["method"] == "one-stage":
                    d["norm"] = norm
                import warnings
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    x_hat, info = qcs.decode(q, **d)
                status[label] += int(info.converged)
                errors[label][i, t] = np.linalg.norm(x_hat / amp - x)
            bar.update(1)
    bar.close()
    return schemes, errors, lam, status


def main(argv=None):
    p = demo_parser("quantized_cs_rates", DESCRIPTION)
    p.add_argument("--n", type=int, nargs="+", default=[512, 1024], help="signal dimensions")
    p.add_argument("--sparsity", type=int, nargs="+", default=[10, 20])
    p.add_argument("--families", nargs="+", default=["gaussian", "circulant", "hadamard"], choices=FAMILIES)
    p.add_argument("--bits", type=int, nargs="+", default=[1, 3], help="alphabet sizes in bits")
    p.add_argument("--trials", type=int, default=5)
    p.add_argument("--points", type=int, default=7, help="number of m values")
    p.add_argument("--norm", default="inf", choices=["l2", "inf"], help="one-stage constraint norm")
    p.add_argument("--beta-blocks", type=int, default=0, help="beta: number of blocks p (default 4 s)")
    args = p.parse_args(argv)
    if args.quick:
        args.n, args.sparsity, args.bits, args.trials, args.points = [128], [3], [3], 1, 4
    out = prepare_out(args.out, "quantized_cs_rates")
    rng = np.random.default_rng(args.seed)
    pyplot = plt()
    results, rows = [], []
    for n in args.n:
        for s in args.sparsity:
            m_lo = int(math.ceil(2 * s * math.log(n)))
            blocks = args.beta_blocks or max(4 * s, 8)
            # m on a geometric grid, rounded to multiples of the beta block count p (so that the
            # beta block length lam = m / p is an integer) and of 4
            unit = int(np.lcm(blocks, 4))
            m_values = np.unique(np.maximum(np.geomspace(m_lo, n, args.points) // unit * unit, unit).astype(int))
            for bits in args.bits:
                fig, axes = pyplot.subplots(1, 2, figsize=(11, 4.2))
                for family in args.families:
                    schemes, errors, lam, status = run_case(family, n, s, m_values, bits, args.trials,
                                                            blocks, args.norm, rng, not args.no_progress)
                    for label, *_ in schemes:
                        E = errors[label]
                        if label.startswith("beta"):
                            xs = np.repeat(np.asarray(lam[label], float), args.trials)
                            slope, ci = fit_slope(xs, np.log(E.ravel()))
                            kind, expect = "semilog (per lam)", -math.log(float(label.split("=")[1]))
                            axes[1].semilogy(lam[label], np.exp(np.nanmean(np.log(E), 1)), "o-",
                                             label=f"{family}")
                        else:
                            xs = np.repeat(np.log(m_values), args.trials)
                            slope, ci = fit_slope(xs, np.log(E.ravel()))
                            kind = "log-log"
                            expect = {"MSQ": 0.0, "ΣΔ r=1": -0.5, "ΣΔ r=2": -1.5}[label]
                            axes[0].loglog(m_values, np.exp(np.nanmean(np.log(E), 1)), "o-",
                                           label=f"{family} {label}")
                        conv = status[label] / E.size
                        results.append(dict(n=n, s=s, bits=bits, family=family, scheme=label, fit=kind,
                                            slope=slope, ci95=ci, expected=expect, m=m_values.tolist(),
                                            block_lengths=lam[label], converged_fraction=conv,
                                            mean_error=np.exp(np.nanmean(np.log(E), 1)).tolist()))
                        rows.append([n, s, bits, family, label, f"{slope:+.2f} ± {ci:.2f}", f"{expect:+.2f}",
                                     f"{np.exp(np.nanmean(np.log(E[0]))):.2e}",
                                     f"{np.exp(np.nanmean(np.log(E[-1]))):.2e}", f"{conv:.2f}"])
                axes[0].set(xlabel="m", ylabel="||x - x_hat||_2 / ||x||_2",
                            title=f"n={n}, s={s}, {bits}-bit: MSQ and ΣΔ")
                axes[1].set(xlabel="block length lam = m / p", ylabel="relative error",
                            title=f"beta encoding (p={blocks} blocks)")
                for ax in axes:
                    ax.grid(True, which="both", alpha=0.3)
                    ax.legend(fontsize=7)
                fig.tight_layout()
                fig.savefig(out / f"rates_n{n}_s{s}_{bits}bit.png", dpi=120)
                pyplot.close(fig)
    header = ["n", "s", "bits", "family", "scheme", "slope ± 95% CI", "expected", "err(m_min)", "err(m_max)",
              "converged"]
    table = format_table(header, rows)
    print(table)
    save_json(out / "rates.json", dict(args=vars(args), results=results))
    (out / "rates.md").write_text(table + "\n")
    return results


if __name__ == "__main__":  # pragma: no cover
    main()
