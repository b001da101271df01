#!/usr/bin/env python3
"""Runs an ONNX file exported by `lenet5 export` with onnxruntime on the 10,000 MNIST test
images and compares it with lenet5's own results (written by `lenet5 export --reference DIR`).

    python3 tests/onnx/check.py --onnx m.onnx --reference DIR --data ../shared/data/mnist

Passes (exit 0) when every predicted digit is identical and every output and probability
differs by at most --tol, relative to max(1, |value|) (RBF distances reach the hundreds).
Exit 1 on a mismatch, 2 on a usage or input error. Needs numpy and onnxruntime; when the
`onnx` package is installed, its checker (full check, strict shape inference) runs first.
"""

import argparse
import gzip
import os
import sys

import numpy as np
import onnxruntime as ort


def read_idx(path):
    """An IDX file (raw or gzip, recognised by content) as a numpy uint8 array."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    start = 4 + 4 * ndim
    count = int(np.prod(dims))
    if len(data) - start != count:
        raise ValueError(f"{path}: header says {dims} ({count} bytes) but {len(data) - start} follow")
    return np.frombuffer(data, dtype=np.uint8, offset=start).reshape(dims)


def find(data_dir, stem):
    for name in (stem + ".gz", stem):
        p = os.path.join(data_dir, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(f"{data_dir}: no {stem}[.gz]")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--reference", required=True, help="folder written by lenet5 export --reference")
    ap.add_argument("--data", default=os.environ.get("LENET5_DATA", "data/mnist"))
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--batch", type=int, default=1000)
    a = ap.parse_args()

    try:
        images = read_idx(find(a.data, "t10k-images-idx3-ubyte"))
        labels = read_idx(find(a.data, "t10k-labels-idx1-ubyte"))
        ref_out = np.load(os.path.join(a.reference, "outputs.npy"))
        ref_scores = np.load(os.path.join(a.reference, "scores.npy"))
        ref_digits = np.load(os.path.join(a.reference, "digits.npy")).astype(np.int64)
        ref_labels = np.load(os.path.join(a.reference, "labels.npy"))
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    n = len(images)
    if ref_out.shape != (n, 10) or not np.array_equal(ref_labels, labels):
        print(f"error: reference {ref_out.shape} does not belong to these {n} test images", file=sys.stderr)
        return 2

    try:
        import onnx  # optional: the official checker, with strict shape inference
    except ImportError:
        onnx = None
    if onnx is not None:
        model = onnx.load(a.onnx)
        onnx.checker.check_model(model, full_check=True)
        onnx.shape_inference.infer_shapes(model, strict_mode=True)
        print(f"{os.path.basename(a.onnx)}: onnx.checker (full check, strict shape inference) passed")

    sess = ort.InferenceSession(a.onnx, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    meta = sess.get_modelmeta().custom_metadata_map
    # The same float32 values lenet5 computes: pixel * (1/255).
    x = images.astype(np.float32).reshape(n, 1, 28, 28) * np.float32(1.0 / 255.0)
    outs = {k: [] for k in names}
    for s in range(0, n, a.batch):
        for k, v in zip(names, sess.run(names, {"image": x[s: s + a.batch]})):
            outs[k].append(v)
    outs = {k: np.concatenate(v) for k, v in outs.items()}

    def rel_diff(got, want):
        return float(np.max(np.abs(got.astype(np.float64) - want) / np.maximum(1.0, np.abs(want))))

    d_out = rel_diff(outs["outputs"], ref_out)
    d_scores = rel_diff(outs["scores"], ref_scores)
    abs_out = float(np.max(np.abs(outs["outputs"].astype(np.float64) - ref_out)))
    same = int(np.sum(outs["digit"] == ref_digits))
    same_argm = int(np.sum((np.argmin if meta.get("arch") == "classic" else np.argmax)(outs["outputs"], axis=1) == ref_digits))
    acc_onnx = float(np.mean(outs["digit"] == labels))
    acc_ref = float(np.mean(ref_digits == labels))
    print(
        f"{os.path.basename(a.onnx)} ({meta.get('arch', '?')}): identical predictions {same}/{n}"
        f" (argmin/argmax of outputs: {same_argm}/{n}); max |outputs diff| {abs_out:.3g},"
        f" max relative outputs diff {d_out:.3g}, max scores diff {d_scores:.3g};"
        f" test accuracy onnxruntime {100 * acc_onnx:.2f}% lenet5 {100 * acc_ref:.2f}%"
    )
    ok = same == n and same_argm == n and d_out <= a.tol and d_scores <= a.tol
    if not ok:
        print(f"MISMATCH (tolerance {a.tol})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
