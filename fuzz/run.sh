#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), one after the other (never two
# fuzzer processes at once), on the STABLE toolchain: cargo-fuzz needs `-Z` flags
# (sanitizers, coverage), which RUSTC_BOOTSTRAP=1 lets a stable rustc accept.
#
#   fuzz/run.sh [SECONDS] [TARGET...]      e.g. fuzz/run.sh 60 idx checkpoint
#
# Needs `cargo install cargo-fuzz` once. Each target starts from the committed seeds in
# seeds/<target>/ and grows its own working corpus in corpus/<target>/ (not committed).
# Limits: a run over 10 s is a hang, a single allocation over 1 GiB (-malloc_limit_mb) or
# a resident size over 2 GiB (-rss_limit_mb) is a finding. Crashing inputs land in
# artifacts/<target>/; logs and a summary (executions, findings) in logs/.
set -uo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET="${1:-600}"
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(idx idx_gzip checkpoint image predict_body)
fi
export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
command -v cargo-fuzz >/dev/null 2>&1 || { echo "cargo-fuzz missing: cargo install cargo-fuzz" >&2; exit 1; }

max_len() {
  case "$1" in
    checkpoint) echo 600000 ;;   # a real classic checkpoint with optimiser state is ~484 KB
    idx|idx_gzip) echo 8192 ;;
    *) echo 32768 ;;
  esac
}

mkdir -p logs
summary=logs/summary.txt
: > "$summary"
status=0
for t in "${TARGETS[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  log="logs/$t.log"
  echo "== $t: ${SECONDS_PER_TARGET}s" | tee -a "$summary"
  cargo fuzz run --release --debug-assertions --target-dir target-fuzz "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$SECONDS_PER_TARGET" -timeout=10 \
    -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len="$(max_len "$t")" \
    -artifact_prefix="artifacts/$t/" -print_final_stats=1 > "$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  cov=$(grep -oE '#[0-9]+.*cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+')
  found=$(grep -cE '^(==[0-9]+==ERROR|SUMMARY: libFuzzer|thread .* panicked)' "$log")
  echo "   exit $rc, executions ${execs:-?}, ${cov:-cov ?}, findings $found" | tee -a "$summary"
  ls "artifacts/$t" | sed 's/^/   artifact: /' | tee -a "$summary"
  [ "$rc" -ne 0 ] && status=1
done
exit $status
