"""What the Python layer costs: lenet5 from Python against the Rust library and the CLI.

    LENET5_DATA=... python crates/lenet5-python/bench/overhead.py [--rounds 7] [--threads 1]

1. Inference: ``Model.predict`` on a ``[1000, 28, 28]`` uint8 array (MNIST test images),
   against the Rust library's own speed on batches of 1000: ``lenet5 bench --only infer
   --infer-batches 1000`` (``Model::forward_batch_28x28``, 10 batches timed together).
2. Training: one epoch through ``lenet5.train`` against ``lenet5 train --epochs 1``,
   both reporting the training loop's seconds (the ``seconds`` of the epoch's metrics).

The two sides alternate, round after round, so that a machine whose speed drifts (a
shared one) affects both alike; the medians and the per-round ratios are printed. The
threads are the same on both sides (``--threads``; Python: ``RAYON_NUM_THREADS``, set
here before lenet5 starts its thread pool).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def median(xs):
    return statistics.median(xs)


def python_predict(model, x, repeats=10):
    model.predict(x)  # warm-up: the thread pool, the workspaces
    t0 = time.perf_counter()
    for _ in range(repeats):
        model.predict(x)
    return repeats * len(x) / (time.perf_counter() - t0)


def rust_predict(cli, arch, threads):
    out = subprocess.run(
        [cli, "bench", "--only", "infer", "--arch", arch, "--infer-batches", "1000",
         "--infer-images", "10000", "--threads", str(threads), "--json"],
        check=True, capture_output=True, text=True,
    ).stdout
    (row,) = [r for r in json.loads(out)["rows"] if r["mode"] == "infer" and r["batch"] == 1000]
    return row["images_per_sec"]


def cli_epoch(cli, arch, threads, data, folder):
    out = Path(folder) / f"cli-{arch}.safetensors"
    subprocess.run(
        [cli, "--threads", str(threads), "train", "--arch", arch, "--epochs", "1", "--quiet",
         "--out", str(out), "--data", data],
        check=True, capture_output=True,
    )
    return json.loads(out.with_suffix(".metrics.jsonl").read_text().splitlines()[0])["seconds"]


def python_epoch(lenet5, arch, threads, data):
    return lenet5.train(data, arch=arch, epochs=1, threads=threads).history[0].seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--skip-train", action="store_true")
    ap.add_argument("--cli", default=os.environ.get("LENET5_BIN", str(REPO / "target/release/lenet5")))
    args = ap.parse_args()
    os.environ["RAYON_NUM_THREADS"] = str(args.threads)
    import lenet5  # after RAYON_NUM_THREADS: the global pool reads it once

    data = os.environ["LENET5_DATA"]
    x = lenet5.load_mnist(data).test_images[:1000]
    print(f"{args.threads} thread(s), {args.rounds} rounds; {sys.version.split()[0]}, lenet5 {lenet5.__version__}")
    for arch in ("classic", "modern"):
        model = lenet5.Model.bundled(arch)
        py, rs = [], []
        for _ in range(args.rounds):
            rs.append(rust_predict(args.cli, arch, args.threads))
            py.append(python_predict(model, x))
        ratios = [p / r for p, r in zip(py, rs)]
        print(
            f"predict [1000,28,28] {arch:7}: Python {median(py):7.0f} img/s, Rust library "
            f"{median(rs):7.0f} img/s; Python/Rust median {median(ratios):.3f} "
            f"(rounds {min(ratios):.3f}-{max(ratios):.3f})"
        )
    if args.skip_train:
        return
    with tempfile.TemporaryDirectory() as folder:
        for arch in ("classic", "modern"):
            py, cl = [], []
            for _ in range(args.rounds):
                cl.append(cli_epoch(args.cli, arch, args.threads, data, folder))
                py.append(python_epoch(lenet5, arch, args.threads, data))
            ratios = [p / c for p, c in zip(py, cl)]
            print(
                f"train one epoch {arch:7}: Python {median(py):5.2f} s, CLI {median(cl):5.2f} s; "
                f"Python/CLI median {median(ratios):.3f} (rounds {min(ratios):.3f}-{max(ratios):.3f})"
            )


if __name__ == "__main__":
    main()
