// The drawing pad, the file button and drag-and-drop: what the user gives the network.
// setupPad calls onDrawn() after every stroke, onFile(file) for a picture, onClear().
// The pad is square (one digit) or three times as wide (a number: setWide(true)).

const $ = (id) => document.getElementById(id);

export function setupPad({ onDrawn, onFile, onClear }) {
  const pad = $('pad');
  const ctx = pad.getContext('2d', { willReadFrequently: true });
  const LINE_WIDTH = pad.height / 14; // ~2 pixels of 28 once a digit is scaled into 20x20
  // Where the last opened picture lies on the pad: pad = picture * k + (x, y).
  let fileFit = { k: 1, x: 0, y: 0 };

  function clear() {
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
    onDrawn();
  }
  pad.addEventListener('pointerup', endStroke);
  pad.addEventListener('pointercancel', endStroke);
  pad.addEventListener('contextmenu', (e) => e.preventDefault());

  $('clear').addEventListener('click', () => {
    clear();
    onClear();
  });

  // A picture: shown on the pad (scaled to fit), then given as it is.
  function openFile(file) {
    if (!file) return;
    if (window.createImageBitmap) {
      createImageBitmap(file).then((bmp) => {
        clear();
        const k = Math.min(pad.width / bmp.width, pad.height / bmp.height);
        const w = bmp.width * k, h = bmp.height * k;
        fileFit = { k, x: (pad.width - w) / 2, y: (pad.height - h) / 2 };
        ctx.drawImage(bmp, fileFit.x, fileFit.y, w, h);
      }).catch(() => { /* the back end will say what is wrong with it */ });
    }
    onFile(file);
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

  clear();
  return {
    canvas: pad,
    // Square for one digit, three times as wide for a number; either way cleared.
    setWide(wide) {
      pad.width = wide ? 3 * pad.height : pad.height;
      $('drop').classList.toggle('wide', wide);
      clear();
    },
    // How picture pixels of `input` map onto the pad: {k, x, y} (pad = picture * k + (x, y)).
    fit(input) { return input.file ? fileFit : { k: 1, x: 0, y: 0 }; },
    // The pad's pixels: {rgba, width, height}.
    pixels() {
      return { rgba: ctx.getImageData(0, 0, pad.width, pad.height).data, width: pad.width, height: pad.height };
    },
  };
}
