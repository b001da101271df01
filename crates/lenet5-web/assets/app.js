// The LeNet-5 page. No build step, nothing from outside this page's origin.
//
// The page asks `api/model` what serves it. `lenet5 serve` answers with its networks:
// pictures go to the server (the server back end below). The static site (`lenet5 site`)
// has a file there naming its WebAssembly engine and networks: they run in the page
// (wasm-backend.js), which can also train a network (train-panel.js).
//
// A back end: {models: [description as GET /api/model lists them], default, maxBytes,
// recognise(input, model) → Promise of an answer shaped like POST /api/predict's,
// where(answer) → text for the status line}; the wasm one also has addModel and train.
// `input` is {pad} (the drawing) or {file}.

import { setupPad } from './pad.js';
import { resetAnswer, setStatus, showAnswer } from './view.js';
import { el } from './paint.js';

const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------------ the server
function serverBackend(j) {
  return {
    models: j.models || [],
    default: j.default,
    maxBytes: (j.limits && j.limits.max_body_bytes) || 2 * 1024 * 1024,
    async recognise(input, model) {
      const blob = input.file || await new Promise((resolve) => input.pad.canvas.toBlob(resolve, 'image/png'));
      if (!blob) throw new Error('the drawing could not be encoded');
      const type = input.file ? (input.file.type || 'application/octet-stream') : 'image/png';
      const url = '/api/predict?activations=true' + (model ? '&model=' + encodeURIComponent(model) : '');
      const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': type }, body: blob });
      const answer = await r.json().catch(() => ({ error: `the server answered ${r.status} without JSON` }));
      if (!r.ok || answer.error) throw new Error(answer.error || `the server answered ${r.status}`);
      return answer;
    },
    where(answer) { return `${answer.elapsed_ms.toFixed(1)} ms on the server`; },
  };
}

// ------------------------------------------------------------------ the page
const state = {
  backend: null,
  model: null,     // selected model name
  last: null,      // the last input, given again when the model changes
  seq: 0,          // request counter; only the newest answer is shown
  shown: 0,        // answers shown (tests wait on data-predictions)
};

function recognise(input) {
  state.last = input;
  const seq = ++state.seq;
  document.body.dataset.busy = '1';
  setStatus('thinking\u2026');
  state.backend.recognise(input, state.model)
    .then((answer) => {
      if (seq !== state.seq) return;
      showAnswer(answer, state.backend.models.find((m) => m.name === answer.model));
      state.shown++;
      document.body.dataset.predictions = String(state.shown);
      setStatus(answer.blank ? 'no ink found: draw a digit' : `${answer.model} network, ${state.backend.where(answer)}`);
    })
    .catch((err) => {
      if (seq !== state.seq) return;
      setStatus(err.message || String(err), true);
    })
    .finally(() => {
      if (seq === state.seq) delete document.body.dataset.busy;
    });
}

function openFile(file) {
  const max = state.backend.maxBytes;
  if (file.size > max) {
    setStatus(`${file.name} is ${(file.size / 1048576).toFixed(1)} MB; at most ${(max / 1048576).toFixed(0)} MB is taken`, true);
    return;
  }
  recognise({ file });
}

function markChosen() {
  for (const b of $('models').querySelectorAll('button')) {
    b.setAttribute('aria-checked', String(b.dataset.model === state.model));
  }
}

function chooseModel(name) {
  state.model = name;
  markChosen();
  if (state.last) recognise(state.last);
}

function showModels() {
  const sw = $('models');
  sw.replaceChildren();
  const models = state.backend.models;
  for (const m of models) {
    const b = el('button', '', m.name);
    b.type = 'button';
    b.setAttribute('role', 'radio');
    b.dataset.model = m.name;
    b.title = `${m.name} LeNet-5 from ${m.source}`;
    b.addEventListener('click', () => chooseModel(m.name));
    sw.appendChild(b);
  }
  sw.hidden = models.length < 2;
  if (!models.some((m) => m.name === state.model)) state.model = state.backend.default;
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
    onClear: () => {
      state.last = null;
      state.seq++; // drop any answer still on its way
      resetAnswer();
      setStatus('');
    },
  });
  state.model = state.backend.default;
  showModels();
  if (state.backend.train) {
    const { setupTrainPanel } = await import('./train-panel.js');
    setupTrainPanel(state.backend, {
      // A trained network joins the switch and is chosen, so the next drawing uses it.
      onModel: (name) => {
        showModels();
        chooseModel(name);
      },
    });
  }
  document.body.dataset.ready = '1';
  setStatus(`ready: ${state.backend.models.map((m) => m.name).join(' and ')} network loaded`);
}

init().catch((e) => setStatus(`cannot start: ${e.message}`, true));
