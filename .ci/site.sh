#!/usr/bin/env bash
# The static site (issue 14): builds the engine in WebAssembly and the site from this
# checkout, then runs the site's end-to-end test in headless Chromium (with its parity
# checks against the native engine). Works from a clean clone; safe to run again.
#
#   bash .ci/site.sh               # the site in target/site, then its browser test
#   bash .ci/site.sh --build-only  # the site only (`cargo test --release` then runs the test)
#
# Environment: LENET5_DATA (MNIST, for the site's training images; default
# ../shared/data/mnist when it exists, else the CLI's ./data/mnist), LENET5_SITE (where to
# build the site; default target/site, where the test looks), CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
build_only=0
[ "${1:-}" = "--build-only" ] && build_only=1
target="${CARGO_TARGET_DIR:-target}"
site="${LENET5_SITE:-target/site}"
# MNIST as .ci/run finds it (the product itself never depends on this path).
if [ -z "${LENET5_DATA:-}" ] && [ -d ../shared/data/mnist ]; then
  export LENET5_DATA="$(cd ../shared/data/mnist && pwd)"
fi

# The WebAssembly target; Chromium, Node.js and playwright-core for the test.
rustup target add wasm32-unknown-unknown
bash .ci/browser-setup.sh
command -v python3 >/dev/null || { echo "site: python3 is needed (the test's static file server)" >&2; exit 1; }
if [ ! -d crates/lenet5-web/tests/browser/node_modules/playwright-core ]; then
  (cd crates/lenet5-web/tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

# The engine in WebAssembly (SIMD128: .cargo/config.toml), linted for its own target.
cargo clippy -p lenet5-web --target wasm32-unknown-unknown --profile wasm -- -D warnings
cargo build -p lenet5-web --target wasm32-unknown-unknown --profile wasm
# The site: the page, that .wasm, the bundled networks, 10,000 + 1,000 MNIST images.
cargo build --release -p lenet5-cli
rm -rf "$site"
"$target/release/lenet5" site "$site" --wasm "$target/wasm32-unknown-unknown/wasm/lenet5_web.wasm" --no-download
[ "$build_only" = 1 ] && exit 0

# The site in headless Chromium, checked against the native engine.
export LENET5_SITE="$(cd "$site" && pwd)"
export LENET5_REQUIRE="${LENET5_REQUIRE:-browser}"
cargo test --release -p lenet5-web --test site_browser -- --nocapture
