// The static site's engine (lenet5_web.wasm) timed in Node.js's V8 by CPU time, not wall
// time, so the figures hold on a shared machine: milliseconds per drawn digit with every
// layer's output (a 280x280 canvas-sized picture of a 7, preprocessed, both networks) and
// training images per CPU-second (the modern network, batches of 64, the site's images).
//
//   node bench/wasm_speed.mjs [SITE_DIR]     (default target/site, as `lenet5 site` writes it)
//
// Prints one JSON object. Compare with the native engine's CPU time, e.g.
// `/usr/bin/time -v lenet5 --threads 1 bench --arch modern --only train --train-batches 64`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const { Engine } = await import(new URL('../crates/lenet5-web/assets/engine.js', import.meta.url));
const site = process.argv[2] || 'target/site';
const manifest = JSON.parse(readFileSync(join(site, 'api/model'), 'utf8'));
const file = (p) => new Uint8Array(readFileSync(join(site, p)));
const engine = new Engine(await WebAssembly.compile(file(manifest.wasm)));
await engine.start();

// CPU seconds of this process (user + system) spent in f.
function cpu(f) {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const r = f();
  const c = process.cpuUsage(c0);
  return { result: r, cpu_s: (c.user + c.system) / 1e6, wall_s: (performance.now() - w0) / 1000 };
}

// A 7 drawn on a white 280x280 canvas: black strokes 20 pixels wide.
function seven() {
  const w = 280, rgba = new Uint8Array(w * w * 4).fill(255);
  const ink = (x, y) => {
    for (let dy = -10; dy <= 10; dy++) for (let dx = -10; dx <= 10; dx++) {
      if (dx * dx + dy * dy > 100) continue;
      const i = 4 * ((y + dy) * w + (x + dx));
      rgba[i] = rgba[i + 1] = rgba[i + 2] = 0;
    }
  };
  const line = (x0, y0, x1, y1) => { for (let t = 0; t <= 1; t += 0.005) ink(Math.round(x0 + t * (x1 - x0)), Math.round(y0 + t * (y1 - y0))); };
  line(75, 55, 205, 55);
  line(205, 55, 125, 240);
  return rgba;
}

const out = { node: process.version, digit: {}, train: {} };
const rgba = seven();
for (const m of manifest.models) {
  const net = engine.loadModel(file(m.file));
  for (let i = 0; i < 20; i++) net.recogniseRgba(rgba, 280, 280, true); // warm-up
  const runs = 200;
  const t = cpu(() => { let d; for (let i = 0; i < runs; i++) d = net.recogniseRgba(rgba, 280, 280, true).digit; return d; });
  out.digit[m.name] = { answer: t.result, runs, cpu_ms: (1000 * t.cpu_s) / runs, wall_ms: (1000 * t.wall_s) / runs };
}

const tr = manifest.train;
const train = engine.loadDataset(file(tr.images), file(tr.labels));
const warm = engine.newTrainingRun({ arch: 'modern', epochs: 1, seed: 1, limit: 640 });
while (!warm.train(train, 640).pass_done) { /* warm-up */ }
const images = Math.min(6400, train.info.len);
const run = engine.newTrainingRun({ arch: 'modern', epochs: 1, seed: 1, limit: images });
const t = cpu(() => { let p; do { p = run.train(train, 640); } while (!p.pass_done); return p; });
out.train = { images, batch: run.config.batch, cpu_s: t.cpu_s, wall_s: t.wall_s, images_per_cpu_s: images / t.cpu_s, images_per_wall_s: images / t.wall_s };
console.log(JSON.stringify(out, null, 1));
