"""Shared plumbing for demos: argument parsing, output folder, matplotlib backend, tables."""
import argparse
import json
import os
import pathlib

__all__ = ["demo_parser", "prepare_out", "save_json", "format_table", "plt"]

DEFAULT_OUT = "demo_output"


def demo_parser(name, description):
    """An argparse parser with the options every demo shares."""
    p = argparse.ArgumentParser(prog=f"python -m cstoolbox demo {name}", description=description)
    p.add_argument("--quick", action="store_true", help="small, fast version (used by the tests)")
    p.add_argument("--out", default=None, help=f"output folder (default {DEFAULT_OUT}/{name})")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return p


def prepare_out(out, name):
    """Create and return the output folder as a Path."""
    path = pathlib.Path(out if out is not None else os.path.join(DEFAULT_OUT, name))
    path.mkdir(parents=True, exist_ok=True)
    return path


def plt():
    """matplotlib.pyplot with a non-interactive backend (demos only save figures)."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as pyplot
    return pyplot


def save_json(path, obj):
    """Write ``obj`` as indented JSON (numpy scalars converted)."""
    def conv(o):
        if hasattr(o, "tolist"):
            return o.tolist()
        raise TypeError(type(o))
    pathlib.Path(path).write_text(json.dumps(obj, indent=2, default=conv))


def format_table(header, rows, floatfmt="{:.2f}"):
    """A markdown table from a header list and rows of values."""
    def cell(v):
        return floatfmt.format(v) if isinstance(v, float) else str(v)
    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
