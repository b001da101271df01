// The static site's back end: the engine in WebAssembly, in this page. `site` is the
// site's `api/model` file, written by `lenet5 site`:
//   {backend: "wasm", wasm, default, models: [{name, file, source}],
//    reader: {name, file, source} (the bundled reader, for the number mode),
//    train: {images, labels, test_images, test_labels, count, test_count} | null}
// Every file is fetched from this page's own origin, relative to the page.

import { Engine } from './engine.js';

// The largest picture file taken (the engine also refuses pictures over 4096 pixels a side).
const MAX_FILE_BYTES = 20 * 1024 * 1024;

async function fetchBytes(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`cannot load ${path}: the server answered ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

// The answer of the engine's network `net` named `name`, shaped like the server's.
function serverShaped(name, net, a, ms) {
  const classic = net.info.arch === 'classic';
  const answer = {
    model: name,
    digit: a.digit,
    confidence: a.scores[a.digit],
    scores: a.scores,
    outputs: a.outputs,
    output_kind: classic ? 'rbf_distance' : 'logit',
    input: a.input,
    input_shape: [28, 28],
    blank: a.blank,
    inverted: a.inverted,
    ink_bbox: a.ink_bbox,
    activations: a.layers.map((l) => ({ key: l.key, name: l.name, shape: l.shape, data: l.data })),
    elapsed_ms: ms,
  };
  if (classic) {
    const g = net.info.glyphs;
    const order = Array.from(a.outputs, (distance, digit) => ({ digit, distance }))
      .sort((x, y) => x.distance - y.distance);
    answer.rbf = {
      glyph_shape: [g.height, g.width],
      nearest: order.map((o) => ({ ...o, glyph: g.bitmaps[o.digit] })),
    };
  }
  return answer;
}

// The network `name` of `nets` on the input: `fromImage(net, bytes)` for a file,
// `fromRgba(net, {rgba, width, height})` for the pad. Timed from reading the pad's pixels
// (or the file's decoded bytes) to the answer: preprocessing and the network.
async function run(nets, name, input, fromImage, fromRgba) {
  const net = nets.get(name);
  if (!net) throw new Error(`no network called ${name}`);
  const bytes = input.file ? new Uint8Array(await input.file.arrayBuffer()) : null;
  const t0 = performance.now();
  const out = bytes ? fromImage(net, bytes) : fromRgba(net, input.pad.pixels());
  return { name, net, out, ms: performance.now() - t0 };
}

export async function wasmBackend(site) {
  const engine = await Engine.load(new URL(site.wasm, document.baseURI));
  const nets = new Map(); // name → Network
  const models = [];

  // Loads a network under `name` (replacing one of that name); its description.
  function load(name, bytes, source) {
    const net = engine.loadModel(bytes);
    const old = nets.get(name);
    if (old) old.drop();
    nets.set(name, net);
    return { name, source, ...net.info };
  }

  function addModel(name, bytes, source) {
    const description = load(name, bytes, source);
    const i = models.findIndex((m) => m.name === name);
    if (i >= 0) models[i] = description; else models.push(description);
  }

  for (const m of site.models) {
    addModel(m.name, await fetchBytes(m.file), m.source);
  }
  // The reader is not one of `models` (the digit mode's switch): it reads numbers.
  const r = site.reader;
  const reader = r ? load(r.name, await fetchBytes(r.file), r.source) : null;

  return {
    models,
    default: site.default || models[0].name,
    reader,
    maxBytes: MAX_FILE_BYTES,
    train: site.train || null,
    engineUrl: new URL(site.wasm, document.baseURI).href,
    addModel,
    async recognise(input, model) {
      const { name, net, out, ms } = await run(nets, model || this.default, input,
        (n, bytes) => n.recogniseImage(bytes), (n, p) => n.recogniseRgba(p.rgba, p.width, p.height));
      return serverShaped(name, net, out, ms);
    },
    // The number mode: the reading shaped like the server's POST /api/read answer.
    async read(input, model) {
      const { name, out, ms } = await run(nets, model || this.default, input,
        (n, bytes) => n.readImage(bytes), (n, p) => n.readRgba(p.rgba, p.width, p.height));
      return { model: name, ...out, ms };
    },
    where(answer) { return `${(answer.elapsed_ms ?? answer.ms).toFixed(1)} ms in this page (WebAssembly)`; },
  };
}
