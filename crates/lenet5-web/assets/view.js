// The answer: digit, confidence, ten score bars, the 28x28 the network saw, every layer's
// maps, and for the classic network F6 against the RBF bitmaps. `answer` has the shape of
// the server's POST /api/predict reply, whichever back end made it.

import { el, grey, layerColour, paint } from './paint.js';

const $ = (id) => document.getElementById(id);
const LAYER_INDEX = { c1: 0, s2: 1, c3: 2, s4: 3, c5: 4, f6: 5 };

export function setStatus(text, isError) {
  const s = $('status');
  s.textContent = text;
  s.className = isError ? 'err' : '';
}

export function resetAnswer() {
  $('digit').textContent = '?';
  $('confidence').innerHTML = '&nbsp;';
  $('output-note').textContent = '';
  $('bars').replaceChildren();
  const c = $('input28').getContext('2d');
  c.clearRect(0, 0, 28, 28);
  $('layers').replaceChildren(el('p', 'note', "Draw a digit to see every layer's output."));
  $('rbf').hidden = true;
  delete document.body.dataset.digit;
}

// info: the model's description (GET /api/model's entry), for parameter counts and kinds.
export function showAnswer(j, info) {
  $('digit').textContent = j.blank ? '?' : String(j.digit);
  document.body.dataset.digit = j.blank ? '' : String(j.digit);
  $('confidence').textContent = j.blank ? 'nothing drawn' : `${(100 * j.confidence).toFixed(1)} % sure`;

  // Ten score bars.
  const bars = $('bars');
  bars.replaceChildren();
  j.scores.forEach((s, d) => {
    const row = el('div', 'bar' + (d === j.digit && !j.blank ? ' best' : ''));
    row.title = j.output_kind === 'rbf_distance'
      ? `digit ${d}: probability ${s.toFixed(4)}, RBF distance ${j.outputs[d].toFixed(2)}`
      : `digit ${d}: probability ${s.toFixed(4)}, logit ${j.outputs[d].toFixed(2)}`;
    const track = el('div', 'track');
    const fill = el('div', 'fill');
    fill.style.width = `${(100 * s).toFixed(1)}%`;
    track.appendChild(fill);
    row.append(el('span', 'd', String(d)), track, el('span', 'val', `${(100 * s).toFixed(1)}%`));
    bars.appendChild(row);
  });
  $('output-note').textContent = j.output_kind === 'rbf_distance'
    ? 'Scores: softmax of the negated RBF distances (hover a bar for the distance).'
    : 'Scores: softmax of the output logits.';

  // The 28x28 input, white ink on black as MNIST.
  paint($('input28'), j.input, 28, 28, (v) => [v, v, v]);

  $('arch').textContent = info ? `(${info.name}: ${info.trainable_params.toLocaleString('en')} parameters)` : '';
  showLayers(j, info);
  showRbf(j);
}

function shapeText(shape) {
  return shape.length === 3 ? `${shape[0]}@${shape[1]}\u00d7${shape[2]}` : String(shape[0]);
}

function showLayers(j, info) {
  const list = $('layers');
  list.replaceChildren();
  for (const a of j.activations || []) {
    if (!(a.key in LAYER_INDEX)) continue;
    const row = el('div', 'layer');
    const label = el('div', 'label');
    const meta = info && info.layers[LAYER_INDEX[a.key]];
    label.append(el('b', '', a.name), el('span', '', shapeText(a.shape) + (meta ? ` \u00b7 ${meta.kind}` : '')));
    row.appendChild(label);
    const colour = layerColour(a.data);
    if (a.shape.length === 3) {
      const [c, h, w] = a.shape;
      const maps = el('div', 'maps s' + h);
      for (let k = 0; k < c; k++) {
        const cv = el('canvas', 'px');
        cv.title = `${a.name} map ${k}`;
        paint(cv, a.data.slice(k * h * w, (k + 1) * h * w), w, h, colour);
        maps.appendChild(cv);
      }
      row.appendChild(maps);
    } else {
      const cv = el('canvas', 'px strip');
      cv.title = `${a.name}: ${a.shape[0]} values`;
      paint(cv, a.data, a.data.length, 1, colour);
      row.appendChild(cv);
    }
    list.appendChild(row);
  }
}

function showRbf(j) {
  const panel = $('rbf');
  const f6 = (j.activations || []).find((a) => a.key === 'f6');
  if (!j.rbf || !f6) { panel.hidden = true; return; }
  panel.hidden = false;
  const [gh, gw] = j.rbf.glyph_shape;
  const row = $('rbf-row');
  row.replaceChildren();
  let m = 1;
  for (const v of f6.data) m = Math.max(m, Math.abs(v));
  const fig = el('figure', 'f6');
  const cv = el('canvas', 'px');
  paint(cv, f6.data, gw, gh, grey(m));
  fig.append(cv, el('figcaption', '', 'F6 (7\u00d712)'));
  row.append(fig, el('span', 'vs', 'nearest \u2192'));
  for (const n of j.rbf.nearest.slice(0, 3)) {
    const g = el('figure');
    const gc = el('canvas', 'px');
    const values = Array.from(n.glyph, (ch) => (ch === '#' ? 1 : -1));
    paint(gc, values, gw, gh, grey(1));
    g.append(gc, el('figcaption', '', `${n.digit}: d = ${n.distance.toFixed(1)}`));
    row.appendChild(g);
  }
}
