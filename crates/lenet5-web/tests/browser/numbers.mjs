// Writing a number with the mouse in the page's number mode, shared by the static
// site's test (site.mjs) and the server's (crates/lenet5-serve/tests/browser/e2e.mjs).

// Each digit's strokes in a 100x200 cell, a line through the points.
export const STROKES = {
  0: [[[50,8],[20,30],[8,100],[20,170],[50,192],[80,170],[92,100],[80,30],[50,8]]],
  1: [[[30,45],[60,8],[55,192]]],
  2: [[[12,50],[30,14],[62,8],[88,35],[82,80],[12,190],[95,188]]],
  3: [[[12,28],[50,8],[85,35],[78,80],[40,98],[85,122],[90,165],[52,192],[10,175]]],
  4: [[[62,8],[8,132],[95,132]],[[70,65],[68,195]]],
  5: [[[88,10],[22,10],[16,88],[58,78],[90,115],[86,168],[50,192],[10,176]]],
  6: [[[80,12],[40,40],[15,110],[20,170],[55,192],[86,160],[80,115],[45,100],[16,132]]],
  7: [[[10,12],[92,12],[40,195]]],
  8: [[[80,35],[50,8],[18,35],[30,80],[72,115],[85,165],[50,192],[15,165],[28,115],[72,80],[80,35]]],
  9: [[[84,60],[50,95],[16,60],[30,15],[65,10],[84,60],[78,192]]],
};

// The networks on the page's switch, and the one chosen.
export function modelSwitch(page) {
  return page.evaluate(() => ({
    models: Array.from(document.querySelectorAll('#models button'), (b) => b.dataset.model),
    chosen: document.querySelector('#models button[aria-checked="true"]')?.dataset.model || null,
  }));
}

// Switches the page to the number mode (a 840x280 pad), chooses the network `model` on
// the switch if given (else keeps the number mode's choice: the reader at first), writes
// `text` centred, one digit per 140-pixel cell, 160 pixels tall, waits for the reading
// after every stroke, and returns what the page shows: {number, confidence, boxes (drawn
// over the pad), digits (the per-digit cards), status, models (the switch), chosen}.
export async function writeNumber(page, text, model = null) {
  await page.click('#mode button[data-mode="number"]');
  await page.waitForFunction(() => document.body.classList.contains('number-mode') && document.getElementById('pad').width === 840);
  if (model) {
    await page.click(`#models button[data-model="${model}"]`);
    await page.waitForFunction((m) => document.querySelector(`#models button[data-model="${m}"]`).getAttribute('aria-checked') === 'true', model);
  }
  await page.click('#clear');
  await page.waitForFunction(() => document.getElementById('number').textContent.trim() === '?');
  await page.locator('#pad').scrollIntoViewIfNeeded();
  const box = await page.locator('#pad').boundingBox();
  const k = box.width / 840;
  const cell = 140, scale = 0.8;
  const x0 = (840 - text.length * cell) / 2 + (cell - 100 * scale) / 2;
  const y0 = (280 - 200 * scale) / 2;
  for (let i = 0; i < text.length; i++) {
    for (const stroke of STROKES[text[i]]) {
      const before = await page.evaluate(() => Number(document.body.dataset.predictions || 0));
      const at = ([x, y]) => [box.x + (x0 + i * cell + x * scale) * k, box.y + (y0 + y * scale) * k];
      await page.mouse.move(...at(stroke[0]));
      await page.mouse.down();
      for (const p of stroke.slice(1)) await page.mouse.move(...at(p), { steps: 12 });
      await page.mouse.up();
      await page.waitForFunction((n) => Number(document.body.dataset.predictions || 0) > n && !document.body.dataset.busy, before, { timeout: 30000 });
    }
  }
  const shown = await page.evaluate(() => ({
    number: document.getElementById('number').textContent.trim(),
    confidence: document.getElementById('number-confidence').textContent,
    digits: document.querySelectorAll('#reading-digits .read-digit').length,
    status: document.getElementById('status').textContent,
    boxesDrawn: (() => {
      const c = document.getElementById('pad-boxes');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    })(),
  }));
  return { ...shown, ...(await modelSwitch(page)) };
}

// Back to the one-digit mode.
export async function digitMode(page) {
  await page.click('#mode button[data-mode="digit"]');
  await page.waitForFunction(() => !document.body.classList.contains('number-mode') && document.getElementById('pad').width === 280);
}
