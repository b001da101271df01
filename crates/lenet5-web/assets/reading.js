// The number mode's answer: the string read, its confidence, each digit's box drawn over
// the pad, and each digit's scores. `reading` has the shape of the server's POST /api/read
// reply (the engine's `Reading`), whichever back end made it.

import { el } from './paint.js';

const $ = (id) => document.getElementById(id);

function overlay() {
  const pad = $('pad');
  const o = $('pad-boxes');
  if (o.width !== pad.width || o.height !== pad.height) {
    o.width = pad.width;
    o.height = pad.height;
  }
  const ctx = o.getContext('2d');
  ctx.clearRect(0, 0, o.width, o.height);
  return ctx;
}

export function resetReading() {
  overlay();
  $('number').textContent = '?';
  $('number-confidence').innerHTML = '&nbsp;';
  $('reading-digits').replaceChildren();
  delete document.body.dataset.number;
}

// fit: how picture pixels map onto the pad ({k, x, y}: pad = picture * k + (x, y)).
export function showReading(r, fit) {
  const read = r.text !== '';
  $('number').textContent = read ? r.text : '?';
  document.body.dataset.number = r.text;
  $('number-confidence').textContent = r.blank ? 'nothing written'
    : read ? `${(100 * r.confidence).toFixed(1)} % sure of the whole string`
    : (r.note || 'nothing read');

  // Each digit's box and digit, over the pad.
  const ctx = overlay();
  ctx.lineWidth = Math.max(2, ctx.canvas.height / 140);
  ctx.font = `bold ${Math.round(ctx.canvas.height / 9)}px system-ui, sans-serif`;
  ctx.textBaseline = 'bottom';
  for (const d of r.digits) {
    const [x, y, w, h] = d.bbox;
    const px = x * fit.k + fit.x, py = y * fit.k + fit.y;
    ctx.strokeStyle = 'rgba(36, 88, 198, 0.9)';
    ctx.strokeRect(px, py, w * fit.k, h * fit.k);
    ctx.fillStyle = 'rgba(36, 88, 198, 0.95)';
    ctx.fillText(String(d.digit), px + 2, Math.max(ctx.canvas.height / 9, py - 2));
  }

  // Each digit's scores: the digit, how sure, the runner-up, ten small bars.
  const list = $('reading-digits');
  list.replaceChildren();
  for (const d of r.digits) {
    const card = el('div', 'read-digit');
    card.append(
      el('div', 'digit small', String(d.digit)),
      el('div', 'note', `${(100 * d.confidence).toFixed(1)} %, then ${d.runner_up[0]} (${(100 * d.runner_up[1]).toFixed(1)} %)`),
    );
    const bars = el('div', 'mini-bars');
    d.scores.forEach((s, k) => {
      const b = el('div', 'mini' + (k === d.digit ? ' best' : ''));
      b.style.height = `${Math.max(1, 100 * s).toFixed(1)}%`;
      b.title = `digit ${k}: ${(100 * s).toFixed(2)} %`;
      bars.appendChild(b);
    });
    card.appendChild(bars);
    list.appendChild(card);
  }
}
