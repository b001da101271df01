#!/usr/bin/env bash
# Installs what crates/lenet5-serve/tests/serve_browser.rs needs: Debian's Chromium and ChromeDriver, Node.js
# and npm (the machine usually has them), and playwright-core from crates/lenet5-serve/tests/browser's lock
# file. Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${need_apt[@]}"
fi

# playwright-core only (no browser download: the tests use /usr/bin/chromium).
if [ ! -d crates/lenet5-serve/tests/browser/node_modules/playwright-core ]; then
  (cd crates/lenet5-serve/tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

echo "browser setup: $(/usr/bin/chromium --version 2>/dev/null | head -1); node $(node --version); playwright-core $(node -p "require('./crates/lenet5-serve/tests/browser/node_modules/playwright-core/package.json').version")"
