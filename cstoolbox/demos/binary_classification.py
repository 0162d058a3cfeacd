"""Simple classification using binary data (Needell, Saab, Woolf 2018) on scikit-learn's digits.

The 8 x 8 digit images (1797 points, 10 classes, 50/50 stratified split) are centered by the training mean
and seen only through ``q = sign(A x)`` with a Gaussian ``m x 64`` matrix ``A``. For each m: test accuracy of
:class:`~cstoolbox.classification.BinaryDataClassifier` for L = 1..4 levels and, on the same bits, of
scikit-learn's logistic regression; mean over trials (new ``A`` per trial). Figure + table.

Run ``python demos/binary_classification.py [--quick] [--out DIR] [--seed S] [--trials N]``.
"""
import time
import warnings

import numpy as np

from cstoolbox._progress import progress
from cstoolbox.classification import BinaryDataClassifier
from cstoolbox.demos._common import demo_parser, format_table, plt, prepare_out, save_json

DESCRIPTION = "Classification from one-bit data (Needell-Saab-Woolf) on digits: accuracy vs m for L = 1..4"

MS = (10, 25, 50, 100, 200, 400, 800)
LEVELS = (1, 2, 3, 4)


def digits_accuracy(ms=MS, levels=LEVELS, trials=5, seed=0, verbose=False):
    """Mean test accuracy of the NSW classifier (each L) and of logistic regression on the same bits."""
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.5, random_state=seed, stratify=y)
    mu = Xtr.mean(axis=0)
    Xtr, Xte = Xtr - mu, Xte - mu
    acc = {f"L={L}": [] for L in levels}
    acc["logistic"] = []
    fit_time = {f"L={L}": [] for L in levels}
    for m in progress(ms, enabled=verbose, desc="digits, accuracy vs m"):
        sums = {k: 0.0 for k in acc}
        tsum = {k: 0.0 for k in fit_time}
        for t in range(trials):
            rs = 1000 * seed + t
            clf = None
            for L in levels:
                t0 = time.perf_counter()
                clf = BinaryDataClassifier(n_projections=m, n_levels=L, random_state=rs).fit(Xtr, ytr)
                tsum[f"L={L}"] += time.perf_counter() - t0
                sums[f"L={L}"] += clf.score(Xte, yte)
            A = clf.projection_            # the same bits for logistic regression
            Qtr, Qte = np.where(Xtr @ A.T >= 0, 1.0, -1.0), np.where(Xte @ A.T >= 0, 1.0, -1.0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SkConvergenceWarning)
                lr = LogisticRegression(max_iter=3000).fit(Qtr, ytr)
            sums["logistic"] += lr.score(Qte, yte)
        for k in acc:
            acc[k].append(sums[k] / trials)
        for k in fit_time:
            fit_time[k].append(tsum[k] / trials)
    return {"m": list(ms), "accuracy": acc, "fit_time_s": fit_time, "trials": trials,
            "n_train": int(Xtr.shape[0]), "n_test": int(Xte.shape[0])}


def run(quick=False, out=None, seed=0, progress_bar=False, trials=None):
    """Run the experiment, save the figure/JSON/markdown table in ``out`` and return the results."""
    path = prepare_out(out, "binary_classification")
    ms = (10, 50) if quick else MS
    trials = trials if trials is not None else (1 if quick else 5)
    res = digits_accuracy(ms, trials=trials, seed=seed, verbose=progress_bar)
    pyplot = plt()
    fig, ax = pyplot.subplots(figsize=(6, 4))
    for k, v in res["accuracy"].items():
        style = "k--s" if k == "logistic" else "o-"
        ax.semilogx(res["m"], v, style, label="logistic regression (same bits)" if k == "logistic" else f"NSW, {k}")
    ax.set_xlabel("m (one-bit measurements)")
    ax.set_ylabel("test accuracy")
    ax.set_title(f"digits (sklearn), {res['n_train']} train / {res['n_test']} test, {res['trials']} trials")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path / "accuracy_vs_m.png", dpi=120)
    pyplot.close(fig)
    save_json(path / "binary_classification.json", res | {"quick": quick, "seed": seed})
    keys = list(res["accuracy"])
    rows = [[m] + [res["accuracy"][k][i] for k in keys] for i, m in enumerate(res["m"])]
    table = format_table(["m"] + keys, rows, floatfmt="{:.3f}")
    (path / "binary_classification.md").write_text(table + "\n")
    if progress_bar:
        print(table)
    return res


def main(argv=None):
    parser = demo_parser("binary_classification", DESCRIPTION)
    parser.add_argument("--trials", type=int, default=None, help="trials (new A) per m")
    args = parser.parse_args(argv)
    run(quick=args.quick, out=args.out, seed=args.seed, progress_bar=not args.no_progress, trials=args.trials)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
