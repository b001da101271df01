// End-to-end test of the static site (`lenet5 site`) in headless Chromium, driven by
// playwright-core. Run by tests/site_browser.rs, which serves the site's folder with a
// plain static file server and checks the numbers printed here against the native engine:
//
//   node site.mjs --url http://127.0.0.1:PORT/ --chromium /usr/bin/chromium \
//     [--screenshot OUT.png] [--train-steps 300] [--parity 100]
//
// Prints one `RESULT {json}` line per check and exits non-zero on any failure. Numbers
// that the Rust side compares with the native engine are printed as f32 bit patterns.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { writeNumber, digitMode, modelSwitch } from './numbers.mjs';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const url = arg('url');
const executablePath = arg('chromium', '/usr/bin/chromium');
const screenshot = arg('screenshot');
const trainSteps = Number(arg('train-steps', '300'));
const parityCount = Number(arg('parity', '100'));
if (!url || !url.startsWith('http://127.0.0.1:')) {
  console.error('usage: node site.mjs --url http://127.0.0.1:PORT/ [--chromium PATH] [--screenshot FILE] [--train-steps N] [--parity N]');
  process.exit(2);
}

// Strokes in the 280x280 coordinates of the drawing canvas (as the serve test draws them).
const DIGITS = {
  1: [[[150, 45], [138, 235]]],
  7: [[[75, 55], [205, 55], [125, 240]]],
};

const failures = [];
function report(obj) {
  console.log('RESULT ' + JSON.stringify(obj));
  if (obj.ok === false) failures.push(obj);
}

const userDataDir = mkdtempSync(join(tmpdir(), 'lenet5-site-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  viewport: { width: 1180, height: 900 },
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
    '--disable-dev-shm-usage',
  ],
  timeout: 60000,
});

try {
  const page = context.pages()[0] || (await context.newPage());
  const problems = [];
  const requests = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  // Every request of the page and of its workers.
  context.on('request', (r) => requests.push(r.url()));

  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => document.body.dataset.ready === '1' || document.querySelector('#status.err'), null, { timeout: 60000 });
  const startError = await page.evaluate(() => document.querySelector('#status.err')?.textContent || null);
  if (startError) throw new Error(`the page did not start: ${startError}`);

  const predictions = () => page.evaluate(() => Number(document.body.dataset.predictions || 0));
  async function waitAnswer(before) {
    await page.waitForFunction((n) => Number(document.body.dataset.predictions || 0) > n && !document.body.dataset.busy, before, { timeout: 30000 });
    return page.evaluate(() => ({
      digit: document.getElementById('digit').textContent.trim(),
      status: document.getElementById('status').textContent,
    }));
  }

  async function draw(digit) {
    await page.locator('#pad').scrollIntoViewIfNeeded();
    const box = await page.locator('#pad').boundingBox();
    const k = box.width / 280;
    let shown = null;
    for (const stroke of DIGITS[digit]) {
      const before = await predictions();
      const [x0, y0] = stroke[0];
      await page.mouse.move(box.x + x0 * k, box.y + y0 * k);
      await page.mouse.down();
      for (const [x, y] of stroke.slice(1)) {
        await page.mouse.move(box.x + x * k, box.y + y * k, { steps: 20 });
      }
      await page.mouse.up();
      shown = await waitAnswer(before);
    }
    return shown;
  }

  async function clear() {
    await page.click('#clear');
    await page.waitForFunction(() => document.getElementById('digit').textContent.trim() === '?');
  }

  async function choose(model) {
    await page.click(`#models button[data-model="${model}"]`);
    await page.waitForFunction((m) => document.querySelector(`#models button[data-model="${m}"]`).getAttribute('aria-checked') === 'true', model);
  }

  // ---------------------------------------------------------------- draw on both networks
  const models = await page.evaluate(() => Array.from(document.querySelectorAll('#models button'), (b) => b.dataset.model));
  // The digit mode's switch: the networks, not the reader (which reads numbers).
  report({ check: 'models', models, ok: models.includes('classic') && models.includes('modern') && !models.includes('reader') });
  for (const model of ['modern', 'classic']) {
    await choose(model);
    for (const digit of ['1', '7']) {
      await clear();
      const shown = await draw(digit);
      const ms = Number((shown.status.match(/([\d.]+) ms in this page/) || [])[1]);
      report({ check: 'draw', model, drawn: digit, shown: shown.digit, page_ms: ms, ok: shown.digit === digit && /in this page/.test(shown.status) });
    }
  }

  // What the page shows: bars, every layer, the RBF panel (classic is chosen).
  const shape = await page.evaluate(() => ({
    bars: document.querySelectorAll('#bars .bar').length,
    best: document.querySelector('#bars .bar.best .d')?.textContent,
    layers: Array.from(document.querySelectorAll('#layers .layer'), (l) => l.querySelectorAll('canvas').length).join(','),
    rbfFigures: document.querySelectorAll('#rbf-row figure').length,
    trainPanel: !document.getElementById('train').hidden,
  }));
  report({ check: 'layout', ...shape, ok: shape.bars === 10 && shape.best === '7' && shape.layers === '6,6,16,16,1,1' && shape.rbfFigures === 4 && shape.trainPanel });

  // ---------------------------------------------------------------- time per drawn digit
  // The engine on the pad's pixels (the 7), every layer's output, as the page calls it.
  const timing = await page.evaluate(async () => {
    const { Engine } = await import('./engine.js');
    const site = await (await fetch('api/model')).json();
    const engine = await Engine.load(new URL(site.wasm, document.baseURI));
    const pad = document.getElementById('pad');
    const out = {};
    for (const m of site.models) {
      const net = engine.loadModel(new Uint8Array(await (await fetch(m.file)).arrayBuffer()));
      const times = [];
      for (let i = 0; i < 60; i++) {
        const t0 = performance.now();
        const rgba = pad.getContext('2d').getImageData(0, 0, pad.width, pad.height).data;
        net.recogniseRgba(rgba, pad.width, pad.height, true);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      out[m.name] = { median_ms: times[30], min_ms: times[0], max_ms: times[59], runs: 60 };
    }
    return out;
  });
  report({ check: 'time per drawn digit', ...timing, ok: true });

  // ---------------------------------------------------------------- upload
  const png = await page.locator('#pad').screenshot();
  await clear();
  let before = await predictions();
  await page.setInputFiles('#file', { name: 'seven.png', mimeType: 'image/png', buffer: png });
  const uploaded = await waitAnswer(before);
  report({ check: 'upload', shown: uploaded.digit, ok: uploaded.digit === '7' });
  await page.setInputFiles('#file', { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a picture') });
  await page.waitForFunction(() => document.querySelector('#status.err') !== null, null, { timeout: 20000 });
  const err = await page.evaluate(() => document.getElementById('status').textContent);
  report({ check: 'bad upload', message: err, ok: /not a PNG, JPEG, BMP or PGM/.test(err) });

  // ---------------------------------------------------------------- number mode
  // A whole number written with the mouse on the wide pad, read in the page by the
  // bundled reader (first on the switch and chosen), then by the classic network chosen
  // on the switch: the string, one card per digit, the boxes drawn over the pad. Back in
  // digit mode the switch is as it was.
  const digitSwitch = await modelSwitch(page);
  let readingParity = null;
  for (const [model, text] of [[null, '2026'], [null, '31415'], ['classic', '2026']]) {
    const read = await writeNumber(page, text, model);
    const by = model || 'reader';
    report({
      check: 'number', model: by, written: text, ...read,
      ok: read.number === text && read.digits === text.length && read.boxesDrawn > 0 && read.chosen === by
        && read.models[0] === 'reader' && read.status.startsWith(`${by} network read ${text.length} digits`)
        && /in this page/.test(read.status),
    });
    if (by === 'reader' && text === '31415') {
      // The pad as a PNG, and the site's reader reading that PNG in the page's engine: the
      // Rust side reads the same PNG with the native bundled reader.
      readingParity = await page.evaluate(async () => {
        const { Engine } = await import('./engine.js');
        const site = await (await fetch('api/model')).json();
        const engine = await Engine.load(new URL(site.wasm, document.baseURI));
        const net = engine.loadModel(new Uint8Array(await (await fetch(site.reader.file)).arrayBuffer()));
        const pad = document.getElementById('pad');
        const png = new Uint8Array(await (await new Promise((r) => pad.toBlob(r, 'image/png'))).arrayBuffer());
        const hex = Array.from(png, (b) => b.toString(16).padStart(2, '0')).join('');
        return { png: hex, reading: net.readImage(png), shown: document.getElementById('number').textContent.trim() };
      });
    }
  }
  report({ check: 'reading parity', ...readingParity, ok: readingParity !== null && readingParity.reading.text === readingParity.shown });
  await digitMode(page);
  const backSwitch = await modelSwitch(page);
  report({ check: 'number switch', digit_mode: digitSwitch, after: backSwitch, ok: JSON.stringify(backSwitch) === JSON.stringify(digitSwitch) && !backSwitch.models.includes('reader') });
  await choose('classic');

  // ---------------------------------------------------------------- bad input to the engine
  // Each is an error with a message, never a trap; the engine keeps working after them.
  const errors = await page.evaluate(async () => {
    const { Engine, EngineError } = await import('./engine.js');
    const site = await (await fetch('api/model')).json();
    const engine = await Engine.load(new URL(site.wasm, document.baseURI));
    const net = engine.loadModel(new Uint8Array(await (await fetch(site.models[0].file)).arrayBuffer()));
    const cases = {
      checkpoint: () => engine.loadModel(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])),
      dataset: () => engine.loadDataset(new Uint8Array([0, 0, 8, 3, 0, 0, 0, 9]), new Uint8Array([0, 0, 8, 1])),
      settings: () => engine.newTrainingRun({ arch: 'modern', epochz: 3 }),
      arch: () => engine.newTrainingRun({ arch: 'lenet7' }),
      rgba: () => net.recogniseRgba(new Uint8Array(10), 5, 5),
      huge: () => net.recogniseRgba(new Uint8Array(4), 1, 100000),
      pixels: () => net.recognisePixels(new Uint8Array(100)),
    };
    const out = {};
    for (const [name, f] of Object.entries(cases)) {
      try { f(); out[name] = 'no error'; } catch (e) { out[name] = (e instanceof EngineError ? '' : 'not an EngineError: ') + e.message; }
    }
    out.after = net.recognisePixels(new Uint8Array(784)).blank;
    return out;
  });
  const expected = {
    checkpoint: /bad checkpoint/, dataset: /image file|label file/, settings: /unknown setting "epochz"/,
    arch: /classic or modern/, rgba: /5x5 RGBA pixels are 100 bytes, got 10/, huge: /at most 4096 a side/, pixels: /784 pixels/,
  };
  report({ check: 'engine errors', ...errors, ok: errors.after === true && Object.entries(expected).every(([k, re]) => re.test(errors[k])) });

  // ---------------------------------------------------------------- parity inputs
  // The first `parityCount` test digits shipped with the site, through the page's engine
  // (each network and the reader):
  // in one batch (outputs and scores) and one by one with every layer (a SHA-256 of all
  // the layers' f32 bytes, input to output).
  const parity = await page.evaluate(async (count) => {
    const { Engine } = await import('./engine.js');
    const site = await (await fetch('api/model')).json();
    const engine = await Engine.load(new URL(site.wasm, document.baseURI));
    const gunzip = async (path) => new Uint8Array(await new Response(
      (await fetch(path)).body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
    const images = (await gunzip(site.train.test_images)).subarray(16, 16 + 784 * count);
    const bits = (f) => Array.from(new Uint32Array(Float32Array.from(f).buffer));
    const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
    const out = {};
    for (const m of [...site.models, site.reader]) {
      const net = engine.loadModel(new Uint8Array(await (await fetch(m.file)).arrayBuffer()));
      const batch = net.forwardBatch(images).map((p) => ({ outputs: bits(p.outputs), scores: bits(p.scores) }));
      const one = [];
      for (let i = 0; i < count; i++) {
        const a = net.recognisePixels(images.subarray(784 * i, 784 * (i + 1)), true);
        const all = new Float32Array(a.layers.reduce((n, l) => n + l.len, 0));
        let o = 0;
        for (const l of a.layers) { all.set(l.data, o); o += l.len; }
        one.push({ digit: a.digit, outputs: bits(a.outputs), scores: bits(a.scores), layers: hex(await crypto.subtle.digest('SHA-256', all.buffer)) });
      }
      out[m.name] = { file: m.file, batch, one };
    }
    return { count, test_images: site.train.test_images, models: out };
  }, parityCount);
  // The site's two networks and its reader.
  report({ check: 'parity', ...parity, ok: Object.keys(parity.models).sort().join() === 'classic,modern,reader' });

  // Training parity: two short passes (seed 5, the first 640 shipped images), twice; the
  // weights before and after. The Rust side trains the same natively.
  const trainParity = await page.evaluate(async () => {
    const { Engine } = await import('./engine.js');
    const site = await (await fetch('api/model')).json();
    const engine = await Engine.load(new URL(site.wasm, document.baseURI));
    const bytes = async (p) => new Uint8Array(await (await fetch(p)).arrayBuffer());
    const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
    const sha = async (b) => hex(await crypto.subtle.digest('SHA-256', b));
    const t = site.train;
    const train = engine.loadDataset(await bytes(t.images), await bytes(t.labels));
    const test = engine.loadDataset(await bytes(t.test_images), await bytes(t.test_labels));
    const settings = { arch: 'modern', epochs: 2, seed: 5, limit: 640 };
    const runs = [];
    for (let k = 0; k < 2; k++) {
      const run = engine.newTrainingRun(settings);
      const initial = await sha(run.checkpoint());
      const metrics = [];
      for (let e = 0; e < 2; e++) {
        while (!run.train(train, 200).pass_done) { /* next chunk */ }
        metrics.push(run.endPass(test, 0));
      }
      const ckpt = run.checkpoint();
      runs.push({ initial_sha256: initial, metrics, sha256: await sha(ckpt), checkpoint: hex(ckpt) });
    }
    return { settings, ...runs[0], repeat_sha256: runs[1].sha256 };
  });
  // The same run twice in the page gives the same bytes.
  report({ check: 'train parity', ...trainParity, ok: trainParity.sha256 === trainParity.repeat_sha256 });

  // ---------------------------------------------------------------- watch it learn
  // Four passes (40,000 images): the run is still going when the test pauses it at ~300 steps.
  await page.fill('#train-epochs', '4');
  await page.fill('#train-seed', '1');
  await page.click('#train-go');
  await page.waitForFunction(() => document.getElementById('train').dataset.state === 'running', null, { timeout: 60000 });
  // The page stays responsive while the worker trains: animation frames keep coming, and
  // a digit drawn meanwhile is answered.
  const frames = await page.evaluate(() => new Promise((resolve) => {
    const t0 = performance.now();
    let last = t0, worst = 0, n = 0;
    function frame(t) {
      worst = Math.max(worst, t - last);
      last = t;
      n++;
      if (t - t0 < 1500) requestAnimationFrame(frame); else resolve({ frames: n, worst_gap_ms: worst });
    }
    requestAnimationFrame(frame);
  }));
  await choose('modern');
  await clear();
  const during = await draw('7');
  report({ check: 'responsive while training', ...frames, drawn: '7', shown: during.digit, ok: frames.worst_gap_ms < 250 && during.digit === '7' });

  await page.waitForFunction((n) => Number(document.getElementById('train').dataset.steps || 0) >= n, trainSteps, { timeout: 600000, polling: 500 });
  await page.click('#train-go'); // pause
  await page.waitForFunction(() => document.querySelector('#models button[data-model="trained"]')?.getAttribute('aria-checked') === 'true', null, { timeout: 30000 });
  await page.waitForTimeout(500);
  const atPause = await page.evaluate(() => ({ ...document.getElementById('train').dataset }));
  await page.waitForTimeout(1500);
  const later = await page.evaluate(() => document.getElementById('train').dataset.images);
  const firstLoss = Number(atPause.firstLoss), lastLoss = Number(atPause.lastLoss);
  report({
    check: 'train', state: atPause.state, steps: Number(atPause.steps), images: Number(atPause.images),
    first_loss: firstLoss, last_loss: lastLoss, test_acc: atPause.testAcc ? Number(atPause.testAcc) : null,
    images_per_sec: Number(atPause.imagesPerSec), paused_images_stay: later === atPause.images,
    ok: atPause.state === 'paused' && Number(atPause.steps) >= trainSteps && lastLoss < firstLoss / 3 && lastLoss < 0.6 && later === atPause.images,
  });

  // The trained network answers the pad.
  for (const digit of ['1', '7']) {
    await clear();
    const shown = await draw(digit);
    report({ check: 'draw trained', drawn: digit, shown: shown.digit, status: shown.status, ok: /^trained network/.test(shown.status) && /^\d$/.test(shown.digit) });
  }

  if (screenshot) {
    await page.screenshot({ path: screenshot, fullPage: true });
    report({ check: 'screenshot', path: screenshot, ok: true });
  }

  const origin = new URL(url).origin;
  const outside = requests.filter((r) => !r.startsWith(origin + '/') && !r.startsWith('data:') && !r.startsWith('blob:'));
  report({ check: 'same origin only', requests: requests.length, outside, ok: requests.length > 0 && outside.length === 0 });

  // The bad upload is reported on the status line, not the console; anything else is a bug.
  report({ check: 'no page errors', problems, ok: problems.length === 0 });
} catch (e) {
  report({ check: 'exception', message: String(e && e.stack || e), ok: false });
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}

console.log(`browser: ${failures.length ? 'FAILED' : 'all checks passed'}`);
process.exit(failures.length ? 1 : 0);
