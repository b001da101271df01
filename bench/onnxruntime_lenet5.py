#!/usr/bin/env python3
"""Inference speed of onnxruntime's CPU provider on an ONNX file written by `lenet5 export`,
timed the way `lenet5 bench --only infer` times lenet5.

  --onnx FILE   the exported network (input "image" [N,1,28,28] float32, ink 1 on 0)
  --batch B     images per call (1 = one image per call)
  --threads T   intra-op threads (inter-op 1, sequential execution)
  --images N    images timed (cycled), after one untimed warm-up call

The images are synthetic (seed 7, about 20 % ink pixels with random grey levels, like
`lenet5 bench`'s): the network's work does not depend on the pixel values.

Prints one JSON line: {"framework": "onnxruntime", "version", "batch", "threads",
"images", "seconds", "images_per_sec"}.
"""

import argparse
import json
import time

import numpy as np
import onnxruntime as ort


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--images", type=int, default=10000)
    a = ap.parse_args()
    if a.batch < 1 or a.threads < 1 or a.images < 1:
        raise SystemExit("--batch, --threads and --images must be at least 1")

    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(a.onnx, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name

    rng = np.random.default_rng(7)
    pool = 1000
    ink = rng.random((pool, 784)) < 0.2
    images = np.where(ink, rng.random((pool, 784)), 0.0).astype(np.float32)
    images = images.reshape(pool, 1, 28, 28)
    # The batches, cut before timing (lenet5's timed loop gets its images in memory too).
    batches = []
    done = 0
    while done < a.images:
        b = min(a.batch, a.images - done)
        idx = np.arange(done, done + b) % pool
        batches.append(np.ascontiguousarray(images[idx]))
        done += b
    # Every output (scores and digit too), as lenet5's predictions carry both.
    outs = None
    sess.run(outs, {name: batches[0]})
    t0 = time.perf_counter()
    for x in batches:
        sess.run(outs, {name: x})
    secs = time.perf_counter() - t0
    print(json.dumps({
        "framework": "onnxruntime",
        "version": ort.__version__,
        "batch": a.batch,
        "threads": a.threads,
        "images": a.images,
        "seconds": secs,
        "images_per_sec": a.images / secs,
    }))


if __name__ == "__main__":
    main()
