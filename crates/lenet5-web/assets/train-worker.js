// Training off the page's thread: a Web Worker with its own engine instance. It trains a
// chunk of images (~CHUNK_MS of work), reports, and yields so that pause arrives between
// chunks. Messages in: {cmd: 'start', wasm, files, settings, filter}, {cmd: 'pause'},
// {cmd: 'resume'}. Messages out: {type: 'ready' | 'progress' | 'epoch' | 'model' |
// 'error', ...}.

import { Engine } from './engine.js';

const CHUNK_MS = 60; // work per chunk: small enough for a smooth curve and a prompt pause

let engine = null;
let run = null;
let train = null;
let test = null;
let filter = null;   // the first layer's weight tensor, e.g. 'conv1.weight'
let paused = true;
let busy = false;    // a chunk is scheduled or running
let chunk = 64;      // images per chunk, adapted to CHUNK_MS
let trainMs = 0;     // time in the engine's training calls, all passes
let passMs = 0;      // the same, this pass
let images = 0;      // images trained on, all passes
let prev = { seen: 0, sum: 0, correct: 0 }; // running totals at the last report, this pass

async function fetchBytes(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`cannot load ${path}: the server answered ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function start(m) {
  engine = await Engine.load(m.wasm);
  const [ti, tl, si, sl] = await Promise.all(
    [m.files.images, m.files.labels, m.files.test_images, m.files.test_labels].map(fetchBytes));
  train = engine.loadDataset(ti, tl);
  test = engine.loadDataset(si, sl);
  run = engine.newTrainingRun(m.settings);
  filter = m.filter;
  postMessage({ type: 'ready', config: run.config, train: train.info, test: test.info, filter: run.tensor(filter) });
  resume();
}

function resume() {
  paused = false;
  if (!busy) { busy = true; setTimeout(step, 0); }
}

function sendModel() {
  const bytes = run.checkpoint();
  postMessage({ type: 'model', bytes, images }, [bytes.buffer]);
}

function step() {
  if (paused) { busy = false; return; }
  try {
    trainChunk();
  } catch (err) {
    paused = true;
    busy = false;
    postMessage({ type: 'error', message: err.message || String(err) });
    return;
  }
  setTimeout(step, 0);
}

function trainChunk() {
  const t0 = performance.now();
  const p = run.train(train, chunk);
  const ms = performance.now() - t0;
  trainMs += ms;
  passMs += ms;
  images += p.images;
  chunk = Math.max(run.config.batch, Math.min(4096, Math.round(chunk * CHUNK_MS / Math.max(ms, 1))));

  // This chunk's mean loss and accuracy, from the pass's running means.
  const sum = p.loss * p.seen, correct = p.acc * p.seen;
  const n = p.seen - prev.seen;
  const chunkLoss = n > 0 ? (sum - prev.sum) / n : p.loss;
  const chunkAcc = n > 0 ? (correct - prev.correct) / n : p.acc;
  prev = { seen: p.seen, sum, correct };
  postMessage({
    type: 'progress', ...p, images, chunkImages: n, chunkLoss, chunkAcc,
    imagesPerSec: images / (trainMs / 1000), filter: run.tensor(filter),
  });

  if (p.pass_done) {
    const metrics = run.endPass(test, passMs / 1000);
    passMs = 0;
    prev = { seen: 0, sum: 0, correct: 0 };
    postMessage({ type: 'epoch', ...metrics, images });
    if (metrics.done) {
      paused = true;
      sendModel();
    }
  }
}

onmessage = (e) => {
  const m = e.data;
  try {
    if (m.cmd === 'start') {
      start(m).catch((err) => postMessage({ type: 'error', message: err.message || String(err) }));
    } else if (m.cmd === 'pause') {
      paused = true;
      if (run) sendModel();
    } else if (m.cmd === 'resume') {
      resume();
    }
  } catch (err) {
    postMessage({ type: 'error', message: err.message || String(err) });
  }
};
