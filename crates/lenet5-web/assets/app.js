// The LeNet-5 page. No build step, nothing from outside this page's origin.
//
// The page asks `api/model` what serves it. `lenet5 serve` answers with its networks:
// pictures go to the server (the server back end below). The static site (`lenet5 site`)
// has a file there naming its WebAssembly engine and networks: they run in the page
// (wasm-backend.js), which can also train a network (train-panel.js).
//
// A back end: {models: [description as GET /api/model lists them], default, reader (the
// bundled reader's description, or null), maxBytes,
// recognise(input, model) → Promise of an answer shaped like POST /api/predict's,
// read(input, model) → Promise of a reading shaped like POST /api/read's (the number
// mode), where(answer) → text for the status line}; the wasm one also has addModel and
// train. `input` is {pad} (the drawing) or {file}.
//
// The switch: in digit mode the networks that recognise one digit (classic, modern, a
// network trained in the page); in number mode the bundled reader first and chosen (the
// modern network also trained on badly cut pieces of strings: it reads touching digits
// best, docs/read.md), then the same networks, to compare.

import { setupPad } from './pad.js';
import { resetAnswer, setStatus, showAnswer } from './view.js';
import { resetReading, showReading } from './reading.js';
import { el } from './paint.js';

const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------------ the server
// POSTs the input (the file, or the pad as PNG) to `url`; the server's JSON answer.
async function post(url, input) {
  const blob = input.file || await new Promise((resolve) => input.pad.canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the drawing could not be encoded');
  const type = input.file ? (input.file.type || 'application/octet-stream') : 'image/png';
  const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': type }, body: blob });
  const answer = await r.json().catch(() => ({ error: `the server answered ${r.status} without JSON` }));
  if (!r.ok || answer.error) throw new Error(answer.error || `the server answered ${r.status}`);
  return answer;
}

function serverBackend(j) {
  return {
    models: j.models || [],
    default: j.default,
    reader: j.reader || null,
    maxBytes: (j.limits && j.limits.max_body_bytes) || 2 * 1024 * 1024,
    recognise(input, model) {
      return post('/api/predict?activations=true' + (model ? '&model=' + encodeURIComponent(model) : ''), input);
    },
    // The number mode: POST /api/read with the picture.
    read(input, model) {
      return post('/api/read' + (model ? '?model=' + encodeURIComponent(model) : ''), input);
    },
    where(answer) { return `${(answer.elapsed_ms ?? answer.ms).toFixed(1)} ms on the server`; },
  };
}

// ------------------------------------------------------------------ the page
const state = {
  backend: null,
  model: null,     // the network chosen in digit mode
  numberModel: null, // the network chosen in number mode (the reader unless changed)
  last: null,      // the last input, given again when the model changes
  seq: 0,          // request counter; only the newest answer is shown
  shown: 0,        // answers shown (tests wait on data-predictions)
  mode: 'digit',   // 'digit': one digit, every layer; 'number': a line of digits read
  pad: null,
};

function recognise(input) {
  state.last = input;
  const seq = ++state.seq;
  const mode = state.mode;
  document.body.dataset.busy = '1';
  setStatus(mode === 'number' ? 'reading\u2026' : 'thinking\u2026');
  const asked = mode === 'number'
    ? state.backend.read(input, state.numberModel)
    : state.backend.recognise(input, state.model);
  asked
    .then((answer) => {
      if (seq !== state.seq) return;
      if (mode === 'number') {
        showReading(answer, state.pad.fit(input));
        setStatus(answer.blank ? 'no ink found: write a number'
          : answer.note ? answer.note
          : `${answer.model} network read ${answer.digits.length} digit${answer.digits.length === 1 ? '' : 's'}, ${state.backend.where(answer)}`);
      } else {
        showAnswer(answer, state.backend.models.find((m) => m.name === answer.model));
        setStatus(answer.blank ? 'no ink found: draw a digit' : `${answer.model} network, ${state.backend.where(answer)}`);
      }
      state.shown++;
      document.body.dataset.predictions = String(state.shown);
    })
    .catch((err) => {
      if (seq !== state.seq) return;
      setStatus(err.message || String(err), true);
    })
    .finally(() => {
      if (seq === state.seq) delete document.body.dataset.busy;
    });
}

function reset() {
  state.last = null;
  state.seq++; // drop any answer still on its way
  resetAnswer();
  resetReading();
  setStatus('');
}

// The number mode: a wide pad, the reading instead of one digit's layers.
function chooseMode(mode) {
  if (mode === state.mode) return;
  state.mode = mode;
  for (const b of $('mode').querySelectorAll('button')) {
    b.setAttribute('aria-checked', String(b.dataset.mode === mode));
  }
  document.body.classList.toggle('number-mode', mode === 'number');
  state.pad.setWide(mode === 'number');
  showModels();
  reset();
}

function openFile(file) {
  const max = state.backend.maxBytes;
  if (file.size > max) {
    setStatus(`${file.name} is ${(file.size / 1048576).toFixed(1)} MB; at most ${(max / 1048576).toFixed(0)} MB is taken`, true);
    return;
  }
  recognise({ file });
}

// The network the current mode reads with.
const chosen = () => (state.mode === 'number' ? state.numberModel : state.model);

function markChosen() {
  for (const b of $('models').querySelectorAll('button')) {
    b.setAttribute('aria-checked', String(b.dataset.model === chosen()));
  }
}

function chooseModel(name) {
  if (state.mode === 'number') state.numberModel = name; else state.model = name;
  markChosen();
  if (state.last) recognise(state.last);
}

// The switch for the current mode (see the top of this file).
function showModels() {
  const sw = $('models');
  sw.replaceChildren();
  const { backend } = state;
  const reader = state.mode === 'number' ? backend.reader : null;
  const models = reader ? [reader, ...backend.models] : backend.models;
  for (const m of models) {
    const b = el('button', '', m.name);
    b.type = 'button';
    b.setAttribute('role', 'radio');
    b.dataset.model = m.name;
    b.title = m === reader
      ? 'the reader: the modern LeNet-5 also trained on badly cut pieces of digit strings; it reads touching digits best'
      : `${m.name} LeNet-5 from ${m.source}`;
    b.addEventListener('click', () => chooseModel(m.name));
    sw.appendChild(b);
  }
  sw.hidden = models.length < 2;
  const known = (name) => backend.models.some((m) => m.name === name);
  if (!known(state.model)) state.model = backend.default;
  if (!known(state.numberModel) && state.numberModel !== backend.reader?.name) {
    state.numberModel = backend.reader?.name ?? backend.default;
  }
  markChosen();
}

async function init() {
  if (location.protocol === 'file:') {
    throw new Error('browsers do not run this page from a file: serve its folder, e.g. run `python3 -m http.server` in it and open localhost:8000 in the browser');
  }
  const r = await fetch('api/model');
  if (!r.ok) throw new Error(`api/model answered ${r.status}`);
  const j = await r.json();
  if (j.backend === 'wasm') {
    const { wasmBackend } = await import('./wasm-backend.js');
    state.backend = await wasmBackend(j);
  } else {
    state.backend = serverBackend(j);
  }
  const pad = setupPad({
    onDrawn: () => recognise({ pad }),
    onFile: openFile,
    onClear: reset,
  });
  state.pad = pad;
  for (const b of $('mode').querySelectorAll('button')) {
    b.addEventListener('click', () => chooseMode(b.dataset.mode));
  }
  state.model = state.backend.default;
  state.numberModel = state.backend.reader?.name ?? state.backend.default;
  showModels();
  if (state.backend.train) {
    const { setupTrainPanel } = await import('./train-panel.js');
    setupTrainPanel(state.backend, {
      // A trained network joins the switch and is chosen for digits, so the next drawing
      // uses it (number mode keeps its choice).
      onModel: (name) => {
        state.model = name;
        showModels();
        if (state.mode === 'digit' && state.last) recognise(state.last);
      },
    });
  }
  document.body.dataset.ready = '1';
  const names = state.backend.models.map((m) => m.name).join(' and ');
  setStatus(`ready: ${names} network loaded${state.backend.reader ? ', and the reader for numbers' : ''}`);
}

init().catch((e) => setStatus(`cannot start: ${e.message}`, true));
