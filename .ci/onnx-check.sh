#!/usr/bin/env bash
# ONNX parity check: trains a small classic and a small modern LeNet-5, exports each with
# `lenet5 export --onnx`, validates the file with the onnx checker, runs it with
# onnxruntime on the 10,000 MNIST test images and requires identical predictions and
# outputs within 1e-4 of lenet5's own (crates/lenet5/tests/onnx/check.py). Also checks the
# two bundled models. Exits non-zero on any mismatch or failure.
#
# Environment: LENET5_DATA (MNIST folder; default data/mnist),
# ONNX_CHECK_DIR (work folder, default a temporary one), ONNX_CHECK_VENV (virtualenv
# folder, default target/onnx-venv; reused when it already has numpy and onnxruntime),
# ONNX_CHECK_MODELS="classic.safetensors modern.safetensors" to check given checkpoints
# instead of training.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"

export LENET5_DATA="${LENET5_DATA:-data/mnist}"
echo "onnx-check: MNIST from $LENET5_DATA"

venv="${ONNX_CHECK_VENV:-target/onnx-venv}"
if ! "$venv/bin/python" -c "import numpy, onnxruntime, onnx" >/dev/null 2>&1; then
  echo "onnx-check: creating $venv (numpy, onnxruntime, onnx)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check numpy onnxruntime onnx
fi
"$venv/bin/python" -c "import numpy, onnxruntime, onnx; print('onnx-check: numpy', numpy.__version__, 'onnxruntime', onnxruntime.__version__, 'onnx', onnx.__version__)"

cargo build --release --quiet
bin=target/release/lenet5

work="${ONNX_CHECK_DIR:-}"
if [ -z "$work" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"

if [ -n "${ONNX_CHECK_MODELS:-}" ]; then
  models=($ONNX_CHECK_MODELS)
else
  models=()
  for arch in classic modern; do
    echo "onnx-check: training a small $arch model (1 epoch on 5,000 images)"
    "$bin" train --arch "$arch" --epochs 1 --limit 5000 --quiet --no-download \
      --out "$work/$arch.safetensors" >"$work/$arch.train.log"
    tail -n 2 "$work/$arch.train.log"
    models+=("$work/$arch.safetensors")
  done
  models+=(crates/lenet5/models/lenet5-classic.safetensors crates/lenet5/models/lenet5-modern.safetensors)
fi

status=0
for m in "${models[@]}"; do
  name="$(basename "$m" .safetensors)"
  "$bin" export --model "$m" --onnx "$work/$name.onnx" --reference "$work/$name.ref" --no-download
  if ! "$venv/bin/python" crates/lenet5/tests/onnx/check.py --onnx "$work/$name.onnx" \
      --reference "$work/$name.ref" --data "$LENET5_DATA"; then
    echo "onnx-check: $m: onnxruntime disagrees with lenet5" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "onnx-check: passed"
exit "$status"
