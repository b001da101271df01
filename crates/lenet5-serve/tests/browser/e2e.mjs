// End-to-end test of the `lenet5 serve` page in headless Chromium, driven by playwright-core.
// Run by tests/serve_browser.rs (which trains a model and starts the server):
//
//   node e2e.mjs --url http://127.0.0.1:PORT/ --chromium /usr/bin/chromium --screenshot OUT.png
//
// Prints one `RESULT {json}` line per check and exits non-zero on any failure.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { writeNumber, digitMode, modelSwitch } from '../../../lenet5-web/tests/browser/numbers.mjs';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const url = arg('url');
const executablePath = arg('chromium', '/usr/bin/chromium');
const screenshot = arg('screenshot');
if (!url || !url.startsWith('http://127.0.0.1:')) {
  console.error('usage: node e2e.mjs --url http://127.0.0.1:PORT/ [--chromium PATH] [--screenshot FILE]');
  process.exit(2);
}

// Strokes in the 280x280 coordinates of the drawing canvas.
const DIGITS = {
  1: [[[150, 45], [138, 235]]],
  7: [[[75, 55], [205, 55], [125, 240]]],
};

const failures = [];
function report(obj) {
  console.log('RESULT ' + JSON.stringify(obj));
  if (obj.ok === false) failures.push(obj);
}

const userDataDir = mkdtempSync(join(tmpdir(), 'lenet5-chromium-'));
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
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('request', (r) => {
    if (!r.url().startsWith(url) && !r.url().startsWith('data:')) problems.push(`request outside the server: ${r.url()}`);
  });

  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 20000 });

  const predictions = () => page.evaluate(() => Number(document.body.dataset.predictions || 0));
  async function waitAnswer(before) {
    await page.waitForFunction((n) => Number(document.body.dataset.predictions || 0) > n && !document.body.dataset.busy, before, { timeout: 20000 });
    return page.evaluate(() => document.getElementById('digit').textContent.trim());
  }

  async function draw(digit) {
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

  const models = await page.evaluate(() => Array.from(document.querySelectorAll('#models button'), (b) => b.dataset.model));
  const order = models.length ? models.filter((m) => m !== 'classic').concat(models.filter((m) => m === 'classic')) : [null];
  for (const model of order) {
    if (model) {
      await page.click(`#models button[data-model="${model}"]`);
    }
    for (const digit of ['1', '7']) {
      await clear();
      const shown = await draw(digit);
      report({ check: 'draw', model: model || 'default', drawn: digit, shown, ok: shown === digit });
    }
  }

  // What the page shows after a prediction: bars, the 28x28 input, every layer.
  const shape = await page.evaluate(() => ({
    bars: document.querySelectorAll('#bars .bar').length,
    best: document.querySelector('#bars .bar.best .d')?.textContent,
    layers: Array.from(document.querySelectorAll('#layers .layer'), (l) => [l.querySelector('b').textContent, l.querySelectorAll('canvas').length]),
    rbfShown: !document.getElementById('rbf').hidden,
    rbfFigures: document.querySelectorAll('#rbf-row figure').length,
    model: document.querySelector('#models button[aria-checked="true"]')?.dataset.model || null,
  }));
  const layerCounts = shape.layers.map((l) => l[1]).join(',');
  report({ check: 'layout', ...shape, ok: shape.bars === 10 && shape.best === '7' && layerCounts === '6,6,16,16,1,1' && (shape.model !== 'classic' || (shape.rbfShown && shape.rbfFigures === 4)) });

  if (screenshot) {
    await page.screenshot({ path: screenshot, fullPage: true });
    report({ check: 'screenshot', path: screenshot, ok: true });
  }

  // An uploaded file: the canvas with the 7, sent through the file input.
  const png = await page.locator('#pad').screenshot();
  await clear();
  let before = await predictions();
  await page.setInputFiles('#file', { name: 'seven.png', mimeType: 'image/png', buffer: png });
  const uploaded = await waitAnswer(before);
  report({ check: 'upload', shown: uploaded, ok: uploaded === '7' });

  // A file that is not an image: the server's error is shown, nothing breaks.
  await page.setInputFiles('#file', { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a picture') });
  await page.waitForFunction(() => document.querySelector('#status.err') !== null, null, { timeout: 20000 });
  const err = await page.evaluate(() => document.getElementById('status').textContent);
  report({ check: 'bad upload', message: err, ok: /not a PNG, JPEG or BMP/.test(err) });

  // Number mode: a whole number written on the wide pad, read by the server (POST /api/read):
  // by the bundled reader, first on the switch and chosen, then by the classic network
  // chosen on the switch (to compare). Back in digit mode the switch is as it was.
  const digitSwitch = await modelSwitch(page);
  const readers = [[null, '2026'], [null, '31415']].concat(models.includes('classic') ? [['classic', '2026']] : []);
  for (const [model, text] of readers) {
    const read = await writeNumber(page, text, model);
    const by = model || 'reader';
    report({
      check: 'number', model: by, written: text, ...read,
      ok: read.number === text && read.digits === text.length && read.boxesDrawn > 0 && read.chosen === by
        && read.models[0] === 'reader' && read.status.startsWith(`${by} network read ${text.length} digits`),
    });
  }
  await digitMode(page);
  const backSwitch = await modelSwitch(page);
  report({ check: 'number switch', digit_mode: digitSwitch, after: backSwitch, ok: JSON.stringify(backSwitch) === JSON.stringify(digitSwitch) && !backSwitch.models.includes('reader') });

  // Phone-sized screen: nothing wider than the screen; drawing with a finger works.
  await page.setViewportSize({ width: 390, height: 844 });
  await clear();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  report({ check: 'phone width', overflow, ok: overflow <= 0 });
  // The number mode's wider pad and longer switch (reader, classic, modern) fit too.
  await page.click('#mode button[data-mode="number"]');
  await page.waitForFunction(() => document.body.classList.contains('number-mode'));
  const numberOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  report({ check: 'phone width, number mode', overflow: numberOverflow, ok: numberOverflow <= 0 });
  await digitMode(page);
  await clear();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 1 });
  await page.locator('#pad').scrollIntoViewIfNeeded();
  const box = await page.locator('#pad').boundingBox();
  const k = box.width / 280;
  before = await predictions();
  const pts = [[75, 55], [205, 55], [125, 240]];
  const touch = (type, p) => cdp.send('Input.dispatchTouchEvent', {
    type,
    touchPoints: p ? [{ x: box.x + p[0] * k, y: box.y + p[1] * k, id: 1 }] : [],
  });
  await touch('touchStart', pts[0]);
  for (let s = 0; s + 1 < pts.length; s++) {
    for (let i = 1; i <= 15; i++) {
      const t = i / 15;
      await touch('touchMove', [pts[s][0] + t * (pts[s + 1][0] - pts[s][0]), pts[s][1] + t * (pts[s + 1][1] - pts[s][1])]);
    }
  }
  await touch('touchEnd', null);
  const touched = await waitAnswer(before);
  report({ check: 'phone touch', drawn: '7', shown: touched, ok: touched === '7' });

  // The bad upload above produced one expected 400 in the console; anything else is a bug.
  const unexpected = problems.filter((p) => !/status of 400/.test(p));
  report({ check: 'no page errors', problems: unexpected, ok: unexpected.length === 0 });
} catch (e) {
  report({ check: 'exception', message: String(e && e.stack || e), ok: false });
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}

console.log(`browser: ${failures.length ? 'FAILED' : 'all checks passed'}`);
process.exit(failures.length ? 1 : 0);
