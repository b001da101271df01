// "Watch it learn": trains the modern LeNet-5 from scratch on the MNIST images shipped
// with the site, in a Web Worker (train-worker.js) so the page stays responsive. Shows
// the loss and accuracy as it goes, the first layer's six 5x5 filters, and hands the
// network to the drawing pad whenever training pauses or ends.
//
// For tests, #train carries data-state (idle, loading, running, paused, done, error),
// data-images, data-steps, data-first-loss, data-last-loss, data-test-acc and
// data-images-per-sec.

import { Chart } from './chart.js';
import { diverging, el, paint } from './paint.js';

const $ = (id) => document.getElementById(id);
const TRAINED = 'trained';
const FILTER = 'conv1.weight'; // the modern network's first layer

export function setupTrainPanel(backend, { onModel }) {
  const panel = $('train');
  const files = backend.train;
  panel.hidden = false;
  $('train-size').textContent = `${files.count.toLocaleString('en')} MNIST training images`;
  const chart = new Chart($('train-chart'));
  const button = $('train-go');
  let worker = null;
  let state = 'idle';
  let config = null;
  let trainCount = files.count;

  const data = panel.dataset;
  function setState(s) {
    state = s;
    data.state = s;
    button.textContent = { idle: 'Train', loading: 'Loading\u2026', running: 'Pause', paused: 'Resume', done: 'Train again', error: 'Train again' }[s];
    button.disabled = s === 'loading';
    $('train-epochs').disabled = $('train-seed').disabled = s === 'loading' || s === 'running' || s === 'paused';
  }

  function status(text, isError) {
    const s = $('train-status');
    s.textContent = text;
    s.className = isError ? 'note err' : 'note';
  }

  function showFilters(t) {
    const [c, , h, w] = t.shape;
    let m = 1e-6;
    for (const v of t.data) m = Math.max(m, Math.abs(v));
    const box = $('train-filters');
    if (box.children.length !== c) {
      box.replaceChildren(...Array.from({ length: c }, (_, k) => {
        const cv = el('canvas', 'px');
        cv.title = `C1 filter ${k}`;
        return cv;
      }));
    }
    for (let k = 0; k < c; k++) {
      paint(box.children[k], t.data.subarray(k * h * w, (k + 1) * h * w), w, h, (v) => diverging(v / m));
    }
  }

  function start() {
    const epochs = Math.max(1, Math.min(50, Number($('train-epochs').value) || 1));
    const seed = Math.max(0, Math.floor(Number($('train-seed').value) || 0));
    if (worker) worker.terminate();
    worker = new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = (e) => receive(e.data);
    worker.onerror = (e) => { setState('error'); status(`training stopped: ${e.message || 'the worker failed'}`, true); };
    for (const k of ['images', 'steps', 'firstLoss', 'lastLoss', 'testAcc', 'imagesPerSec']) delete data[k];
    chart.reset(epochs * trainCount);
    setState('loading');
    status('loading the training images\u2026');
    const abs = (p) => new URL(p, document.baseURI).href;
    worker.postMessage({
      cmd: 'start',
      wasm: backend.engineUrl,
      files: { images: abs(files.images), labels: abs(files.labels), test_images: abs(files.test_images), test_labels: abs(files.test_labels) },
      settings: { arch: 'modern', epochs, seed },
      filter: FILTER,
    });
  }

  function receive(m) {
    if (m.type === 'ready') {
      config = m.config;
      trainCount = m.train.len;
      chart.reset(config.epochs * trainCount);
      showFilters(m.filter);
      setState('running');
      status(`training: ${config.epochs} passes over ${m.train.len.toLocaleString('en')} images, batches of ${config.batch}, ${config.optim} with learning rate ${config.lr}`);
    } else if (m.type === 'progress') {
      // A pass's last chunk may hold a few images only: too noisy to plot.
      if (m.chunkImages >= 2 * config.batch || m.seen === m.chunkImages) {
        chart.loss.push([m.images, m.chunkLoss]);
        chart.acc.push([m.images, m.chunkAcc]);
        chart.draw();
      }
      showFilters(m.filter);
      data.images = String(m.images);
      data.steps = String(Math.ceil(m.images / config.batch));
      if (data.firstLoss === undefined) data.firstLoss = String(m.chunkLoss);
      data.lastLoss = String(m.chunkLoss);
      data.imagesPerSec = String(m.imagesPerSec);
      if (state === 'running') {
        status(`pass ${m.epoch} of ${m.epochs} \u00b7 ${m.seen.toLocaleString('en')} of ${m.total.toLocaleString('en')} images \u00b7 loss ${m.chunkLoss.toFixed(3)} \u00b7 ${Math.round(m.imagesPerSec).toLocaleString('en')} images/s`);
      }
    } else if (m.type === 'epoch') {
      chart.test.push([m.images, m.test_acc]);
      chart.draw();
      data.testAcc = String(m.test_acc);
      $('train-result').textContent = `pass ${m.epoch}: ${(100 * m.test_acc).toFixed(1)} % right on ${files.test_count.toLocaleString('en')} test images (${m.test_errors} wrong)`;
      if (m.done) {
        setState('done');
        status(`done: ${(100 * m.test_acc).toFixed(1)} % on the test images. Draw a digit: the "${TRAINED}" network answers.`);
      }
    } else if (m.type === 'model') {
      backend.addModel(TRAINED, m.bytes, `this page, after ${m.images.toLocaleString('en')} training images`);
      onModel(TRAINED);
    } else if (m.type === 'error') {
      setState('error');
      status(`training stopped: ${m.message}`, true);
    }
  }

  button.addEventListener('click', () => {
    if (state === 'running') {
      worker.postMessage({ cmd: 'pause' });
      setState('paused');
      status(`paused after ${Number(data.images || 0).toLocaleString('en')} images. Draw a digit: the "${TRAINED}" network answers.`);
    } else if (state === 'paused') {
      worker.postMessage({ cmd: 'resume' });
      setState('running');
    } else if (state !== 'loading') {
      start();
    }
  });
  setState('idle');
}
