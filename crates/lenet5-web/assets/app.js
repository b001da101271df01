// lenet5 serve: the drawing page. Plain script, no build step, no outside resources.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const pad = $('pad');
  const ctx = pad.getContext('2d');
  const LINE_WIDTH = pad.width / 14; // ~2 pixels of 28 once the digit is scaled into 20x20
  const LAYER_INDEX = { c1: 0, s2: 1, c3: 2, s4: 3, c5: 4, f6: 5 };

  const state = {
    models: [],      // from GET /api/model
    model: null,     // selected model name
    glyphs: null,    // RBF bitmaps
    maxBody: 2 * 1024 * 1024,
    last: null,      // {blob, type}: what was last sent, re-sent when the model changes
    seq: 0,          // request counter; only the newest answer is shown
    shown: 0,        // answers shown (tests wait on data-predictions)
  };

  // ------------------------------------------------------------------ status
  function setStatus(text, isError) {
    const s = $('status');
    s.textContent = text;
    s.className = isError ? 'err' : '';
  }

  // ------------------------------------------------------------------ drawing
  function clearPad() {
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, pad.width, pad.height);
  }

  function point(e) {
    const r = pad.getBoundingClientRect();
    return {
      x: ((e.clientX - r.left) * pad.width) / r.width,
      y: ((e.clientY - r.top) * pad.height) / r.height,
    };
  }

  function stroke(a, b) {
    ctx.strokeStyle = '#000';
    ctx.lineWidth = LINE_WIDTH;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
  }

  let pen = null; // id of the pointer drawing
  let lastPoint = null;

  pad.addEventListener('pointerdown', (e) => {
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    if (pen !== null) return;
    e.preventDefault();
    try { pad.setPointerCapture(e.pointerId); } catch (_) { /* not capturable: fine */ }
    pen = e.pointerId;
    lastPoint = point(e);
    stroke(lastPoint, lastPoint);
  });

  pad.addEventListener('pointermove', (e) => {
    if (e.pointerId !== pen) return;
    e.preventDefault();
    const events = (e.getCoalescedEvents && e.getCoalescedEvents().length) ? e.getCoalescedEvents() : [e];
    for (const ev of events) {
      const p = point(ev);
      stroke(lastPoint, p);
      lastPoint = p;
    }
  });

  function endStroke(e) {
    if (e.pointerId !== pen) return;
    pen = null;
    lastPoint = null;
    pad.toBlob((blob) => {
      if (blob) send(blob, 'image/png');
    }, 'image/png');
  }
  pad.addEventListener('pointerup', endStroke);
  pad.addEventListener('pointercancel', endStroke);
  pad.addEventListener('contextmenu', (e) => e.preventDefault());

  $('clear').addEventListener('click', () => {
    clearPad();
    state.last = null;
    state.seq++; // drop any answer still on its way
    resetAnswer();
    setStatus('');
  });

  // ------------------------------------------------------------------ files
  function openFile(file) {
    if (!file) return;
    if (file.size > state.maxBody) {
      setStatus(`${file.name} is ${(file.size / 1048576).toFixed(1)} MB; the server takes at most ${(state.maxBody / 1048576).toFixed(0)} MB`, true);
      return;
    }
    // Show it on the pad (scaled to fit), then send the original file.
    if (window.createImageBitmap) {
      createImageBitmap(file).then((bmp) => {
        clearPad();
        const k = Math.min(pad.width / bmp.width, pad.height / bmp.height);
        const w = bmp.width * k, h = bmp.height * k;
        ctx.drawImage(bmp, (pad.width - w) / 2, (pad.height - h) / 2, w, h);
      }).catch(() => { /* the server will say what is wrong with it */ });
    }
    send(file, file.type || 'application/octet-stream');
  }

  $('file').addEventListener('change', (e) => {
    openFile(e.target.files && e.target.files[0]);
    e.target.value = '';
  });

  const drop = $('drop');
  let dragDepth = 0;
  document.addEventListener('dragenter', (e) => { e.preventDefault(); dragDepth++; drop.classList.add('dragging'); });
  document.addEventListener('dragleave', () => { dragDepth = Math.max(0, dragDepth - 1); if (!dragDepth) drop.classList.remove('dragging'); });
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    dragDepth = 0;
    drop.classList.remove('dragging');
    const f = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
    if (f) openFile(f);
  });

  // ------------------------------------------------------------------ server
  function send(blob, type) {
    state.last = { blob, type };
    const seq = ++state.seq;
    document.body.dataset.busy = '1';
    setStatus('thinking\u2026');
    const url = '/api/predict?activations=true' + (state.model ? '&model=' + encodeURIComponent(state.model) : '');
    fetch(url, { method: 'POST', headers: { 'Content-Type': type }, body: blob })
      .then((r) => r.json().catch(() => ({ error: `the server answered ${r.status} without JSON` }))
        .then((j) => {
          if (!r.ok || j.error) throw new Error(j.error || `the server answered ${r.status}`);
          return j;
        }))
      .then((j) => {
        if (seq !== state.seq) return;
        show(j);
        state.shown++;
        document.body.dataset.predictions = String(state.shown);
        setStatus(j.blank ? 'no ink found: draw a digit' : `${j.model} network, ${j.elapsed_ms.toFixed(1)} ms on the server`);
      })
      .catch((err) => {
        if (seq !== state.seq) return;
        setStatus(err.message || String(err), true);
      })
      .finally(() => {
        if (seq === state.seq) delete document.body.dataset.busy;
      });
  }

  // ------------------------------------------------------------------ pictures
  // Dark-centred diverging colours: negative blue, zero black, positive orange.
  function diverging(t) {
    if (t >= 0) return [255 * t, 165 * t, 40 * t];
    t = -t;
    return [70 * t, 150 * t, 255 * t];
  }

  function paint(canvas, data, w, h, colour) {
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
  function layerColour(data) {
    let lo = 0, hi = 0;
    for (const v of data) { if (v < lo) lo = v; if (v > hi) hi = v; }
    const m = Math.max(-lo, hi) || 1;
    if (lo >= 0) return (v) => { const g = 255 * v / m; return [g, g, g]; };
    return (v) => diverging(Math.max(-1, Math.min(1, v / m)));
  }

  function grey(m) {
    return (v) => { const g = 255 * Math.max(0, Math.min(1, (v + m) / (2 * m))); return [g, g, g]; };
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function resetAnswer() {
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

  function show(j) {
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

    const info = state.models.find((m) => m.name === j.model);
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

  // ------------------------------------------------------------------ models
  function chooseModel(name) {
    state.model = name;
    for (const b of $('models').querySelectorAll('button')) {
      b.setAttribute('aria-checked', String(b.dataset.model === name));
    }
    if (state.last) send(state.last.blob, state.last.type);
  }

  function init() {
    clearPad();
    fetch('/api/model')
      .then((r) => r.json())
      .then((j) => {
        state.models = j.models || [];
        state.model = j.default;
        state.glyphs = j.glyphs;
        if (j.limits && j.limits.max_body_bytes) state.maxBody = j.limits.max_body_bytes;
        const sw = $('models');
        sw.replaceChildren();
        if (state.models.length > 1) {
          for (const m of state.models) {
            const b = el('button', '', m.name);
            b.type = 'button';
            b.setAttribute('role', 'radio');
            b.dataset.model = m.name;
            b.title = `${m.name} LeNet-5 from ${m.source}`;
            b.addEventListener('click', () => chooseModel(m.name));
            sw.appendChild(b);
          }
          sw.hidden = false;
          chooseModel(state.model);
        }
        document.body.dataset.ready = '1';
        setStatus(`ready: ${state.models.map((m) => m.name).join(' and ')} network loaded`);
      })
      .catch((e) => setStatus(`cannot reach the server: ${e.message}`, true));
  }

  init();
})();
