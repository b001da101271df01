// Training speed in headless Chromium: lenet5's WebAssembly engine next to TensorFlow.js,
// the modern LeNet-5 on the same MNIST images (bench.js says how). Serves the site
// (`lenet5 site`), this folder and its node_modules from one loopback origin, opens
// bench.html, prints the figures as a table and as JSON.
//
//   node compare_tfjs.mjs --site ../../target/site [--images 6400] [--backends wasm,cpu]
//     [--chromium /usr/bin/chromium]
//
// Back ends of TensorFlow.js: `cpu` (JavaScript), `wasm` (its WebAssembly kernels; they
// cannot train a convolution: no Conv2DBackpropFilter kernel), `webgl` (the default in a
// browser with a GPU; this machine has none, so Chromium runs it on SwiftShader, its
// software GPU on the same CPU).
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium } from 'playwright-core';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const here = resolve(new URL('.', import.meta.url).pathname);
const site = resolve(arg('site', join(here, '../../target/site')));
const images = arg('images', '6400');
const backends = arg('backends', 'wasm,cpu');
const executablePath = arg('chromium', '/usr/bin/chromium');

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
const ROOTS = [['/site/', site], ['/tfjs/', join(here, 'node_modules')], ['/', here]];

const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  for (const [prefix, dir] of ROOTS) {
    if (!path.startsWith(prefix)) continue;
    const file = normalize(join(dir, path.slice(prefix.length)));
    if (!file.startsWith(dir)) break;
    try {
      if (!statSync(file).isFile()) break;
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] || 'application/octet-stream' });
      res.end(readFileSync(file));
      return;
    } catch (_) {
      break;
    }
  }
  res.writeHead(404);
  res.end();
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const url = `http://127.0.0.1:${server.address().port}/bench.html?images=${images}&backends=${backends}`;

const userDataDir = mkdtempSync(join(tmpdir(), 'lenet5-tfjs-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage',
    ...(backends.includes('webgl') ? ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'] : ['--disable-gpu'])],
});
let results;
try {
  const page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => window.results, null, { timeout: 1800000, polling: 1000 });
  results = await page.evaluate(() => window.results);
  results.unshift({ browser: await context.browser()?.version?.() ?? (await page.evaluate(() => navigator.userAgent)) });
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
  server.close();
}

for (const r of results.slice(1)) {
  if (r.error) console.log(`${(r.framework || '').padEnd(36)} error: ${r.error}`);
  else console.log(`${r.framework.padEnd(36)} ${String(r.images).padStart(6)} images  ${r.seconds.toFixed(2).padStart(7)} s  ${Math.round(r.images_per_sec).toString().padStart(6)} images/s`);
}
console.log(JSON.stringify(results));
