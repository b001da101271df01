"""Runs a notebook headless (nbclient, a fresh Python kernel) and fails on the first
cell that raises; with --write, saves the executed notebook, outputs included, in place.

    python crates/lenet5-python/scripts/run_notebook.py examples/lenet5.ipynb [--write]

The kernel starts in the notebook's folder (so it imports its neighbours) with this
interpreter's environment: LENET5_DATA must name MNIST.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebook", type=Path)
    ap.add_argument("--write", action="store_true", help="save the outputs into the notebook")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = ap.parse_args()

    nb = nbformat.read(args.notebook, as_version=4)
    client = NotebookClient(
        nb,
        timeout=args.timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(args.notebook.resolve().parent)}},
    )
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as e:
        print(f"{args.notebook}: a cell failed:\n{e}", file=sys.stderr)
        return 1
    cells = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        print(f"{args.notebook}: {len(errors)} error outputs", file=sys.stderr)
        return 1
    print(f"{args.notebook}: {len(cells)} code cells ran without error in {time.perf_counter() - start:.0f} s")
    if args.write:
        nbformat.write(nb, args.notebook)
        print(f"{args.notebook}: outputs saved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
