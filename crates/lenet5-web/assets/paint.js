// Pictures of numbers: maps, strips and glyphs painted into canvases, one canvas pixel a
// value. Shared by the answer view and the training panel.

export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// Dark-centred diverging colours: negative blue, zero black, positive orange.
export function diverging(t) {
  if (t >= 0) return [255 * t, 165 * t, 40 * t];
  t = -t;
  return [70 * t, 150 * t, 255 * t];
}

// Paints `data` (w*h values, row-major) into `canvas`, colour(v) → [r, g, b].
export function paint(canvas, data, w, h, colour) {
  canvas.width = w;
  canvas.height = h;
  const c = canvas.getContext('2d');
  const img = c.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const rgb = colour(data[i]);
    img.data[4 * i] = rgb[0];
    img.data[4 * i + 1] = rgb[1];
    img.data[4 * i + 2] = rgb[2];
    img.data[4 * i + 3] = 255;
  }
  c.putImageData(img, 0, 0);
}

// Colours for one layer: grey from 0 when nothing is negative (ReLU, max-pool),
// diverging otherwise (tanh), scaled by the layer's largest magnitude.
export function layerColour(data) {
  let lo = 0, hi = 0;
  for (const v of data) { if (v < lo) lo = v; if (v > hi) hi = v; }
  const m = Math.max(-lo, hi) || 1;
  if (lo >= 0) return (v) => { const g = 255 * v / m; return [g, g, g]; };
  return (v) => diverging(Math.max(-1, Math.min(1, v / m)));
}

// Grey from -m (black) to +m (white).
export function grey(m) {
  return (v) => { const g = 255 * Math.max(0, Math.min(1, (v + m) / (2 * m))); return [g, g, g]; };
}
