#!/usr/bin/env bash
# CI of the Python package (crates/lenet5-python), called by .ci/run:
#   1. clippy on the package's Rust code (it is not a default member of the workspace);
#   2. a fresh virtualenv under target/, `pip install crates/lenet5-python` (maturin
#      builds the abi3 wheel from the repository, dependencies from PyPI);
#   3. the types: the native module's stub against the module (mypy's stubtest), mypy on
#      the Python sources;
#   4. pytest: parity with the `lenet5` command (predictions on the 10,000 test images,
#      one-epoch trainings byte for byte, `predict --json`), errors, the GIL, the
#      bundled models;
#   5. examples/lenet5.ipynb run headless (nbclient): every cell must run.
# Measured 7-10 minutes on a shared 2-core machine (load 10-17; 3.2 CPU-minutes, most of
# it building the wheel), so about 5 on a quiet one. Runnable alone.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

if [ -z "${LENET5_DATA:-}" ] && [ -d ../shared/data/mnist ]; then
  export LENET5_DATA="$(cd ../shared/data/mnist && pwd)"
fi
echo "LENET5_DATA=${LENET5_DATA:-<unset>}"
# The tests that need MNIST fail (instead of skipping) when it is missing.
export LENET5_REQUIRE="${LENET5_REQUIRE:-data}"

cargo clippy -p lenet5-python --all-targets --release -- -D warnings
# The command the parity tests compare with (already built when .ci/run calls this).
cargo build --release -p lenet5-cli
export LENET5_BIN="$PWD/target/release/lenet5"

venv=target/python-ci
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q "./crates/lenet5-python[test,notebook]" nbclient ipykernel mypy
"$venv/bin/python" -c 'import lenet5, numpy; print("installed lenet5", lenet5.__version__, "numpy", numpy.__version__)'

# (from target/, where mypy leaves its cache)
(cd target && "../$venv/bin/python" -m mypy.stubtest lenet5._lenet5 &&
  "../$venv/bin/python" -m mypy ../crates/lenet5-python/python/lenet5)
"$venv/bin/python" -m pytest -q -p no:cacheprovider crates/lenet5-python/tests
"$venv/bin/python" crates/lenet5-python/scripts/run_notebook.py examples/lenet5.ipynb
