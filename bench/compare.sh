#!/usr/bin/env bash
# Side-by-side speed of lenet5, PyTorch and onnxruntime on the same CPU: PyTorch on the
# same MNIST files and the same modern LeNet-5 (conv 6@5x5 pad 2, ReLU, maxpool, conv
# 16@5x5, ReLU, maxpool, fc 120, 84, 10; SGD + momentum, batch 64), training and
# inference; onnxruntime (CPU provider) on the ONNX files `lenet5 export` writes of both
# networks (the bundled ones), inference.
#
#   bench/compare.sh [--quick]
#
# Environment: LENET5_DATA (MNIST folder, default ../shared/data/mnist), VENV (PyTorch's,
# default bench/.venv), ORT_VENV (onnxruntime's, default target/onnx-venv, shared with
# .ci/onnx-check.sh), THREADS (default 2), ROUNDS (default 3), SKIP_BUILD, SKIP_TORCH=1
# (only the onnxruntime part), SKIP_ORT=1 (only the PyTorch part).
#
# What it does:
#   1. makes a Python venv and installs torch from PyPI (`pip install torch`: the
#      default Linux wheel, ~5 GB with its CUDA libraries, which stay unused; PyPI has
#      no CPU-only build of torch for Linux x86-64);
#   2. builds lenet5 (release);
#   3. runs each case for lenet5 and for PyTorch, alternating (lenet5, torch, lenet5,
#      torch, ... ROUNDS times, default 2) under /usr/bin/time -v, and keeps the best
#      images/s of each side (the machine is shared: the best run is the least
#      disturbed one) and the peak resident memory;
#   4. prints a table with both and the ratio lenet5 / PyTorch;
#   5. (onnxruntime) makes a venv with numpy and onnxruntime from PyPI, exports the two
#      bundled networks with `lenet5 export --onnx`, and times inference at batch 1 (one
#      thread each), 64 and 1000 (THREADS each) of lenet5 (`lenet5 bench --only infer`)
#      and onnxruntime (bench/onnxruntime_lenet5.py), alternating, ROUNDS runs each;
#      each cell the best; a second table with the ratio lenet5 / onnxruntime.
#
# Cases: training, one epoch over the 60,000 training images, batch 64, THREADS and 1
# thread, batch 256 THREADS; inference at batch 1 (one image per call: lenet5 on one
# thread, PyTorch with THREADS intra-op threads), 64 and 1000 (THREADS). lenet5 trains
# with `lenet5 train` on MNIST; its inference goes through `lenet5 bench` (synthetic
# images: the kernels are dense, so speed does not depend on pixel values), PyTorch's
# on the MNIST test images.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DATA=${LENET5_DATA:-$ROOT/../shared/data/mnist}
VENV=${VENV:-$ROOT/bench/.venv}
T=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
[ "${1:-}" = "--quick" ] && ROUNDS=1
OUT=$(mktemp -d)
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1}

if [ ! -x /usr/bin/time ]; then
  echo "needs GNU time: apt-get install time" >&2
  exit 1
fi
if [ -z "${SKIP_TORCH:-}" ] && { [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import torch" 2>/dev/null; }; then
  echo "== installing torch into $VENV (once; several GB)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet torch
fi
PY="$VENV/bin/python"
TORCH=$("$PY" -c "import torch; print(torch.__version__)" 2>/dev/null || echo none)
# SKIP_BUILD=1 reuses target/release/lenet5 as it is.
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet
BIN=$ROOT/target/release/lenet5
# The machine's load average when the measurements start (they are only comparable
# when it is low).
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

# run NAME CMD...: runs under /usr/bin/time -v; prints "<images/s> <peak RSS kB>".
run() {
  local name=$1
  shift
  /usr/bin/time -v "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" || {
    echo "failed: $*" >&2
    tail -5 "$OUT/$name.err" >&2
    exit 1
  }
  local rss ips
  rss=$(grep "Maximum resident set size" "$OUT/$name.err" | awk '{print $NF}')
  if grep -q '"framework": "\(pytorch\|onnxruntime\)"' "$OUT/$name.out"; then
    ips=$(sed -n 's/.*"images_per_sec": \([0-9.e+]*\).*/\1/p' "$OUT/$name.out")
  elif grep -q '"images_per_sec"' "$OUT/$name.out"; then
    ips=$(sed -n 's/.*"images_per_sec": \([0-9.e+]*\).*/\1/p' "$OUT/$name.out" | head -1)
  else
    ips=$(sed -n 's/.* \([0-9]*\) img\/s$/\1/p' "$OUT/$name.out" | tail -1)
  fi
  echo "$ips $rss"
}

best() { # best "a b" "c d" ...: max images/s, max RSS
  printf '%s\n' "$@" | awk '{ if ($1 > i) i = $1; if ($2 > r) r = $2 } END { print i, r }'
}

CPU="$(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
if [ -z "${SKIP_TORCH:-}" ]; then
  CASES=(
    "train 64 $T"
    "train 64 1"
    "train 256 $T"
    "infer 1 $T"
    "infer 64 $T"
    "infer 1000 $T"
  )
  ROWS=()
  for c in "${CASES[@]}"; do
    read -r mode batch th <<<"$c"
    L=() P=()
    for r in $(seq "$ROUNDS"); do
      if [ "$mode" = train ]; then
        L+=("$(run "l-$mode-$batch-$th-$r" "$BIN" train --arch modern --epochs 1 --batch "$batch" \
          --threads "$th" --quiet --no-download --data "$DATA" --out "$OUT/m.safetensors")")
      else
        lt=$th
        [ "$batch" = 1 ] && lt=1
        L+=("$(run "l-$mode-$batch-$th-$r" "$BIN" bench --arch modern --only infer --threads "$lt" \
          --infer-batches "$batch" --infer-images 10000 --no-kernels --json)")
      fi
      P+=("$(run "p-$mode-$batch-$th-$r" "$PY" bench/pytorch_lenet5.py --data "$DATA" --mode "$mode" \
        --batch "$batch" --threads "$th" --images 10000)")
    done
    read -r li lr <<<"$(best "${L[@]}")"
    read -r pi pr <<<"$(best "${P[@]}")"
    ROWS+=("$mode $batch $th $li $pi $lr $pr")
    echo "  $mode batch $batch threads $th: lenet5 $li img/s, pytorch $pi img/s" >&2
  done

  echo
  echo "lenet5 vs PyTorch $TORCH, $(date -u +%Y-%m-%d), $CPU, best of $ROUNDS alternating runs, load before: $LOAD"
  printf '| %-5s | %5s | %7s | %14s | %14s | %7s | %13s | %13s |\n' \
    mode batch threads "lenet5 img/s" "PyTorch img/s" ratio "lenet5 RSS MB" "PyTorch RSS MB"
  printf '|%s|\n' "-------|-------|---------|----------------|----------------|---------|---------------|---------------"
  for row in "${ROWS[@]}"; do
    read -r mode batch th li pi lr pr <<<"$row"
    awk -v m="$mode" -v b="$batch" -v t="$th" -v li="$li" -v pi="$pi" -v lr="$lr" -v pr="$pr" 'BEGIN {
      printf "| %-5s | %5s | %7s | %14.0f | %14.0f | %6.2fx | %13.1f | %13.1f |\n", m, b, t, li, pi, li / pi, lr / 1024, pr / 1024 }'
  done
fi

if [ -z "${SKIP_ORT:-}" ]; then
  OVENV=${ORT_VENV:-$ROOT/target/onnx-venv}
  if ! "$OVENV/bin/python" -c "import numpy, onnxruntime" 2>/dev/null; then
    echo "== installing numpy and onnxruntime into $OVENV (once)"
    python3 -m venv "$OVENV"
    "$OVENV/bin/pip" install --quiet --disable-pip-version-check numpy onnxruntime
  fi
  OPY="$OVENV/bin/python"
  ORT=$("$OPY" -c "import onnxruntime; print(onnxruntime.__version__)")
  ROWS=()
  for arch in modern classic; do
    "$BIN" export --model "$ROOT/crates/lenet5/models/lenet5-$arch.safetensors" \
      --onnx "$OUT/$arch.onnx" >/dev/null
    for batch in 1 64 1000; do
      th=$T
      [ "$batch" = 1 ] && th=1
      L=() O=()
      for r in $(seq "$ROUNDS"); do
        L+=("$(run "lo-$arch-$batch-$r" "$BIN" bench --arch "$arch" --only infer --threads "$th" \
          --infer-batches "$batch" --infer-images 10000 --no-kernels --json)")
        O+=("$(run "o-$arch-$batch-$r" "$OPY" bench/onnxruntime_lenet5.py --onnx "$OUT/$arch.onnx" \
          --batch "$batch" --threads "$th" --images 10000)")
      done
      read -r li lr <<<"$(best "${L[@]}")"
      read -r oi or <<<"$(best "${O[@]}")"
      ROWS+=("$arch $batch $th $li $oi $lr $or")
      echo "  $arch infer batch $batch threads $th: lenet5 ${li%.*} img/s, onnxruntime ${oi%.*} img/s" >&2
    done
  done
  echo
  echo "lenet5 vs onnxruntime $ORT (CPU provider), inference, $(date -u +%Y-%m-%d), $CPU, best of $ROUNDS alternating runs, load before: $LOAD"
  printf '| %-7s | %5s | %7s | %14s | %18s | %7s | %13s | %17s |\n' \
    network batch threads "lenet5 img/s" "onnxruntime img/s" ratio "lenet5 RSS MB" "onnxruntime RSS MB"
  printf '|%s|\n' "---------|-------|---------|----------------|--------------------|---------|---------------|-------------------"
  for row in "${ROWS[@]}"; do
    read -r arch batch th li oi lr or <<<"$row"
    awk -v m="$arch" -v b="$batch" -v t="$th" -v li="$li" -v oi="$oi" -v lr="$lr" -v orr="$or" 'BEGIN {
      printf "| %-7s | %5s | %7s | %14.0f | %18.0f | %6.2fx | %13.1f | %17.1f |\n", m, b, t, li, oi, li / oi, lr / 1024, orr / 1024 }'
  done
fi
rm -rf "$OUT"
