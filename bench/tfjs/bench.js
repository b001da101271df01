// In the page (bench.html): trains the modern LeNet-5 on the site's MNIST training images
// with lenet5's WebAssembly engine and with TensorFlow.js, same model, same recipe, same
// images, one after the other on the page's thread, and leaves the figures in
// window.results. Run by compare_tfjs.mjs.
//
// The model, as `lenet5 train --arch modern`: conv 6@5x5 pad 2, ReLU, max-pool 2, conv
// 16@5x5, ReLU, max-pool 2, dense 120, ReLU, dense 84, ReLU, dense 10, softmax
// cross-entropy; SGD lr 0.05 momentum 0.9; batches of 64; inputs (x/255 - 0.1307)/0.3081.

import { Engine } from '/site/engine.js';

const params = new URLSearchParams(location.search);
const IMAGES = Number(params.get('images') || 6400);
const BATCH = 64;
const BACKENDS = (params.get('backends') || 'wasm,cpu').split(',');

async function bytes(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function gunzip(path) {
  const r = await fetch(path);
  return new Uint8Array(await new Response(r.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
}

async function lenet5(site) {
  const engine = await Engine.load('/site/' + site.wasm);
  const t = site.train;
  const train = engine.loadDataset(await bytes('/site/' + t.images), await bytes('/site/' + t.labels));
  const n = Math.min(IMAGES, train.info.len);
  // Warm-up: one short pass, then the timed pass over n images.
  const warm = engine.newTrainingRun({ arch: 'modern', epochs: 1, seed: 1, limit: 640 });
  while (!warm.train(train, 640).pass_done) { /* next */ }
  const run = engine.newTrainingRun({ arch: 'modern', epochs: 1, seed: 1, limit: n });
  const t0 = performance.now();
  let p;
  do { p = run.train(train, 1024); } while (!p.pass_done);
  const seconds = (performance.now() - t0) / 1000;
  return { framework: 'lenet5 (WebAssembly)', images: n, seconds, images_per_sec: n / seconds, final_running_loss: p.loss };
}

async function tfjs(site, backend) {
  const tf = window.tf;
  await tf.setBackend(backend);
  await tf.ready();
  const t = site.train;
  const images = (await gunzip('/site/' + t.images)).subarray(16);
  const labels = (await gunzip('/site/' + t.labels)).subarray(8);
  const n = Math.min(IMAGES, labels.length);
  const x = new Float32Array(n * 784);
  for (let i = 0; i < n * 784; i++) x[i] = (images[i] / 255 - 0.1307) / 0.3081;
  const y = new Float32Array(n * 10);
  for (let i = 0; i < n; i++) y[10 * i + labels[i]] = 1;
  const xs = tf.tensor4d(x, [n, 28, 28, 1]);
  const ys = tf.tensor2d(y, [n, 10]);
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 120, activation: 'relu' }),
      tf.layers.dense({ units: 84, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.momentum(0.05, 0.9), loss: 'categoricalCrossentropy' });
  // Warm-up (kernels compiled, memory allocated), then the timed epoch.
  const warm = 640;
  await model.fit(xs.slice(0, warm), ys.slice(0, warm), { batchSize: BATCH, epochs: 1, shuffle: true });
  const t0 = performance.now();
  const h = await model.fit(xs, ys, { batchSize: BATCH, epochs: 1, shuffle: true });
  const seconds = (performance.now() - t0) / 1000;
  tf.dispose([xs, ys]);
  model.dispose();
  return { framework: `TensorFlow.js ${tf.version.tfjs} (${backend})`, images: n, seconds, images_per_sec: n / seconds, final_loss: h.history.loss[0] };
}

async function main() {
  const site = await (await fetch('/site/api/model')).json();
  const results = [];
  results.push(await lenet5(site));
  for (const b of BACKENDS) {
    try {
      results.push(await tfjs(site, b));
    } catch (e) {
      results.push({ framework: `TensorFlow.js (${b})`, error: String(e && e.message || e) });
    }
  }
  results.push(await lenet5(site)); // again, after: the machine is shared
  window.results = results;
}

main().catch((e) => { window.results = [{ error: String(e && e.stack || e) }]; });
