"""One-bit compressed sensing with norm estimation (Knudson, Saab, Ward 2016): the authors' example and more.

1. Empirical-distribution (EDF) norm estimation, n = 200, s = 5, ||x|| ~ U[0.1, 1]: mean |norm error| for
   the fixed thresholds tau = 0.1, 0.3, 0.55, 1 (m = 500 and m = 1000), the delta-method prediction, and the
   adaptive two-stage estimate (tau = 0.1 on m1 = 500, then tau2 = 1.575 ||x||_hat on m2 = 500) beside the
   spec's reference numbers.
2. Lifted recovery with Gaussian thresholds (tau = 0.55, m = 1000): Plan–Vershynin LP (30 trials in the
   spec) and the other decoders; the hybrid split m1 = m2 = 500 (norm by EDF with tau2 = 0.55).
3. Error vs m for each decoder (figure).
4. Universality: one A and one set of thresholds, many sparse signals in the ball (figure).

Run ``python demos/onebit_norm.py [--quick] [--out DIR] [--seed S]``.
"""
import time
import warnings

import numpy as np

from cstoolbox import onebit
from cstoolbox._progress import progress
from cstoolbox.demos._common import demo_parser, format_table, plt, prepare_out, save_json
from cstoolbox.exceptions import ConvergenceWarning

DESCRIPTION = "One-bit CS with norm estimation: EDF/adaptive norm, lifted LP/BIHT, error vs m, universality"

SPEC_EDF = {"0.1": 0.181, "0.3": 0.037, "0.55": 0.037, "1.0": 0.064}   # mean |norm error|, 500 trials
SPEC_LIFTED_LP = {"norm_error": 0.011, "relative_error": 0.057}      # 30 trials
TAUS = (0.1, 0.3, 0.55, 1.0)
DECODERS = ("passive", "convex", "biht", "normalized_biht", "lp")
LABELS = {"passive": "lifted hard thresholding", "convex": "PV convex program", "biht": "BIHT",
          "normalized_biht": "normalized BIHT", "lp": "PV LP (HiGHS cutting planes)"}


def sparse_signal(rng, n, s, norm):
    """An s-sparse Gaussian vector rescaled to the given norm."""
    x = np.zeros(n)
    x[rng.choice(n, s, replace=False)] = rng.standard_normal(s)
    return x * norm / np.linalg.norm(x)


def _quiet():
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("ignore", onebit.NormClippingWarning)
    warnings.simplefilter("ignore", ConvergenceWarning)
    return ctx


def expected_abs_error(norms, tau, m):
    """E|estimate_norm - ||x|||: exact sum over the binomial number of -1 bits, mean over ``norms``."""
    from scipy import special
    norms = np.asarray(norms, dtype=float)
    k = np.arange(m + 1)
    lo, hi = 0.5 + 0.5 / m, 1 - 0.5 / m
    est = tau / special.ndtri(np.clip(k / m, lo, hi))
    p = special.ndtr(tau / norms)[:, None]
    logpmf = (special.gammaln(m + 1) - special.gammaln(k + 1) - special.gammaln(m - k + 1)
              + special.xlogy(k, p) + special.xlog1py(m - k, -p))
    return float(np.mean(np.sum(np.exp(logpmf) * np.abs(est[None, :] - norms[:, None]), axis=1)))


def edf_experiment(n=200, s=5, trials=500, seed=0, verbose=False, grid_points=901):
    """Mean |norm error| of the fixed-threshold EDF estimator and of the adaptive two-stage estimator."""
    rng = np.random.default_rng(seed)
    out = {"fixed": {}, "fixed_m500": {}, "predicted": {}, "trials": trials}
    err = {tau: [] for tau in TAUS}
    err500 = {tau: [] for tau in TAUS}
    adapt, norms = [], []
    ctx = _quiet()
    try:
        for _ in progress(range(trials), enabled=verbose, desc="EDF norm estimation"):
            r = rng.uniform(0.1, 1.0)
            x = sparse_signal(rng, n, s, r)
            A = rng.standard_normal((1000, n))
            Ax = A @ x
            norms.append(r)
            for tau in TAUS:
                y = np.where(Ax - tau >= 0, 1.0, -1.0)
                err[tau].append(abs(onebit.estimate_norm(y, tau) - r))
                err500[tau].append(abs(onebit.estimate_norm(y[:500], tau) - r))
            est, _ = onebit.adaptive_estimate_norm(A, x, 0.1, n_first=500)
            adapt.append(abs(est - r))
    finally:
        ctx.__exit__(None, None, None)
    # exact expectation of |error| under the binomial law of the number of -1 bits (same clipping),
    # averaged over ||x|| ~ U[0.1, 1]: an independent check of the estimator's implementation
    grid = np.linspace(0.1, 1.0, grid_points)
    for tau in TAUS:
        key = str(tau)
        out["fixed"][key] = {"mean_abs_error": float(np.mean(err[tau])), "spec": SPEC_EDF[key],
                             "mc_se": float(np.std(err[tau]) / np.sqrt(trials))}
        out["fixed_m500"][key] = {"mean_abs_error": float(np.mean(err500[tau]))}
        out["predicted"][key] = expected_abs_error(grid, tau, 1000)
    out["adaptive"] = {"mean_abs_error": float(np.mean(adapt)), "mc_se": float(np.std(adapt) / np.sqrt(trials)),
                       "tau1": 0.1, "m1": 500, "m2": 500,
                       "delta_method_second_stage_only": float(np.mean(np.sqrt(2 / np.pi) * grid * np.sqrt(1.64 / 500)))}
    return out


def lifted_experiment(n=200, s=5, m=1000, tau=0.55, trials=30, seed=1, decoders=DECODERS, verbose=False):
    """The authors' lifted example: mean |norm error| and relative error for each decoder (+ the hybrid)."""
    rng = np.random.default_rng(seed)
    res = {d: {"norm_error": [], "relative_error": [], "time": []} for d in decoders}
    res["hybrid_lp"] = {"norm_error": [], "relative_error": [], "time": []}
    ctx = _quiet()
    try:
        for _ in progress(range(trials), enabled=verbose, desc="lifted recovery"):
            x = sparse_signal(rng, n, s, rng.uniform(0.1, 1.0))
            A = rng.standard_normal((m, n))
            b = onebit.gaussian_thresholds(m, tau, rng)
            y = onebit.measure(A, x, b)
            for d in decoders:
                t0 = time.perf_counter()
                r = onebit.recover(A, y, b, s, decoder=d)
                res[d]["time"].append(time.perf_counter() - t0)
                res[d]["norm_error"].append(abs(r.norm - np.linalg.norm(x)))
                res[d]["relative_error"].append(np.linalg.norm(r.x - x) / np.linalg.norm(x))
            h = m // 2
            t0 = time.perf_counter()
            r = onebit.hybrid_recover(A[:h], onebit.measure(A[:h], x, tau), tau, A[h:], onebit.measure(A[h:], x),
                                      s, decoder="lp")
            res["hybrid_lp"]["time"].append(time.perf_counter() - t0)
            res["hybrid_lp"]["norm_error"].append(abs(r.norm - np.linalg.norm(x)))
            res["hybrid_lp"]["relative_error"].append(np.linalg.norm(r.x - x) / np.linalg.norm(x))
    finally:
        ctx.__exit__(None, None, None)
    return {d: {k: float(np.mean(v)) for k, v in r.items()} for d, r in res.items()} | {"trials": trials}


def error_vs_m(ms, n=200, s=5, tau=0.55, trials=10, seed=2, decoders=DECODERS, verbose=False):
    """Mean relative error of x_hat (lifted, Gaussian thresholds) for each decoder and m."""
    rng = np.random.default_rng(seed)
    curves = {d: [] for d in decoders}
    ctx = _quiet()
    try:
        for m in progress(ms, enabled=verbose, desc="error vs m"):
            e = {d: [] for d in decoders}
            for _ in range(trials):
                x = sparse_signal(rng, n, s, rng.uniform(0.1, 1.0))
                A = rng.standard_normal((m, n))
                b = onebit.gaussian_thresholds(m, tau, rng)
                y = onebit.measure(A, x, b)
                for d in decoders:
                    r = onebit.recover(A, y, b, s, decoder=d)
                    e[d].append(np.linalg.norm(r.x - x) / np.linalg.norm(x))
            for d in decoders:
                curves[d].append(float(np.mean(e[d])))
    finally:
        ctx.__exit__(None, None, None)
    return {"m": list(ms), "relative_error": curves, "trials": trials}


def universality(n=200, s=5, m=2000, tau=0.55, signals=100, seed=3, verbose=False):
    """One A and one set of thresholds for many s-sparse signals with ||x|| <= 1 (decoder: BIHT)."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    b = onebit.gaussian_thresholds(m, tau, rng)
    X = np.stack([sparse_signal(rng, n, s, rng.uniform(0.1, 1.0)) for _ in range(signals)], axis=1)
    ctx = _quiet()
    try:
        res = onebit.recover(A, onebit.measure(A, X, b), b, s, decoder="biht", verbose=verbose)
    finally:
        ctx.__exit__(None, None, None)
    rel = np.linalg.norm(res.x - X, axis=0) / np.linalg.norm(X, axis=0)
    return {"true_norm": np.linalg.norm(X, axis=0), "est_norm": res.norm, "relative_error": rel,
            "max_relative_error": float(rel.max()), "median_relative_error": float(np.median(rel)),
            "m": m, "signals": signals}


def run(quick=False, out=None, seed=0, progress_bar=False):
    """Run all experiments, save figures/JSON/markdown in ``out`` and return the measured figures."""
    path = prepare_out(out, "onebit_norm")
    pyplot = plt()
    verbose = progress_bar
    edf = edf_experiment(trials=20 if quick else 500, seed=seed, verbose=verbose, grid_points=46 if quick else 901)
    lifted = lifted_experiment(trials=1 if quick else 30, seed=seed + 1, verbose=verbose)
    ms = (200, 400) if quick else (250, 500, 1000, 2000, 4000)
    curves = error_vs_m(ms, trials=1 if quick else 10, seed=seed + 2, verbose=verbose)
    uni = universality(signals=4 if quick else 100, m=600 if quick else 2000, seed=seed + 3, verbose=verbose)

    fig, ax = pyplot.subplots(figsize=(6, 4))
    for d in DECODERS:
        ax.loglog(curves["m"], curves["relative_error"][d], "o-", label=LABELS[d])
    ax.set_xticks(curves["m"])
    ax.set_xticklabels([str(m) for m in curves["m"]])
    ax.xaxis.set_minor_formatter(pyplot.NullFormatter())
    ax.set_xlabel("m (measurements)")
    ax.set_ylabel("mean relative error of x_hat")
    ax.set_title("lifted one-bit recovery, n = 200, s = 5, tau = 0.55")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path / "error_vs_m.png", dpi=120)
    pyplot.close(fig)

    fig, axes = pyplot.subplots(1, 2, figsize=(10, 4))
    taus = [float(t) for t in edf["fixed"]]
    axes[0].semilogy(taus, [edf["fixed"][k]["mean_abs_error"] for k in edf["fixed"]], "o-", label="EDF, m = 1000")
    axes[0].semilogy(taus, [edf["fixed_m500"][k]["mean_abs_error"] for k in edf["fixed"]], "s-",
                     label="EDF, m = 500")
    axes[0].semilogy(taus, [edf["predicted"][k] for k in edf["fixed"]], "k--", label="exact expectation, m = 1000")
    axes[0].semilogy(taus, [SPEC_EDF[k] for k in edf["fixed"]], "x", ms=9, label="spec reference")
    axes[0].axhline(edf["adaptive"]["mean_abs_error"], color="C3", label="adaptive (0.1 -> 1.575 est), m = 1000")
    axes[0].set_xlabel("tau")
    axes[0].set_ylabel("mean |norm error|")
    axes[0].legend(fontsize=7)
    axes[0].set_title("norm estimation, ||x|| ~ U[0.1, 1]")
    axes[1].plot(uni["true_norm"], uni["est_norm"], ".", label="BIHT, one A for all signals")
    axes[1].plot([0, 1], [0, 1], "k:")
    axes[1].set_xlabel("||x||")
    axes[1].set_ylabel("estimated ||x||")
    axes[1].set_title(f"universality: {uni['signals']} signals, m = {uni['m']}")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path / "norm_estimation.png", dpi=120)
    pyplot.close(fig)

    result = {"edf": edf, "lifted": lifted, "error_vs_m": curves,
              "universality": {k: v for k, v in uni.items() if k not in ("true_norm", "est_norm", "relative_error")},
              "quick": quick, "seed": seed}
    save_json(path / "onebit_norm.json", result)
    rows = [[f"EDF tau={k}", edf["fixed"][k]["mean_abs_error"], SPEC_EDF[k], edf["predicted"][k]]
            for k in edf["fixed"]]
    rows.append(["adaptive 0.1 -> 1.575 ||x||_hat", edf["adaptive"]["mean_abs_error"], "-", "-"])
    table1 = format_table(["estimator (m = 1000)", "mean abs norm error", "spec", "exact expectation"], rows,
                          floatfmt="{:.4f}")
    rows = [[LABELS.get(d, d), lifted[d]["norm_error"], lifted[d]["relative_error"], lifted[d]["time"]]
            for d in (*DECODERS, "hybrid_lp")]
    rows.append(["spec: lifted LP", SPEC_LIFTED_LP["norm_error"], SPEC_LIFTED_LP["relative_error"], "-"])
    table2 = format_table(["decoder (m = 1000, tau = 0.55)", "mean abs norm error", "mean rel. error", "s/trial"],
                          rows, floatfmt="{:.4f}")
    rows = [[m] + [curves["relative_error"][d][i] for d in DECODERS] for i, m in enumerate(curves["m"])]
    table3 = format_table(["m"] + [LABELS[d] for d in DECODERS], rows, floatfmt="{:.4f}")
    text = "\n\n".join([table1, table2, table3])
    (path / "onebit_norm.md").write_text(text + "\n")
    if verbose:
        print(text)
    return result


def main(argv=None):
    parser = demo_parser("onebit_norm", DESCRIPTION)
    args = parser.parse_args(argv)
    run(quick=args.quick, out=args.out, seed=args.seed, progress_bar=not args.no_progress)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
