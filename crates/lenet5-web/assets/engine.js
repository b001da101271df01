// The lenet5 engine in WebAssembly: the glue to lenet5_web.wasm (crates/lenet5-web/src/wasm).
// Runs in the page and in the training worker. The module imports nothing; each call
// copies its inputs into the module's memory, and reads its results (JSON text, f32s,
// bytes) from the module's output buffers before the next call.
//
//   const engine = await Engine.load(new URL('lenet5_web.wasm', import.meta.url));
//   const net = engine.loadModel(bytes);            // a checkpoint (.safetensors)
//   const answer = net.recogniseRgba(rgba, w, h);   // {digit, blank, input, scores, outputs, layers}
//   const reading = net.readRgba(rgba, w, h);       // {text, confidence, digits: [{digit, bbox, ...}]}
//
// Errors (a corrupt checkpoint, a file that is no picture) are thrown as EngineError with
// the engine's message. A trap (a bug in the engine) is thrown too, with the engine's
// panic message; the instance is then replaced by a fresh one, and handles made before
// it are gone.

const ABI_VERSION = 1;

export class EngineError extends Error {}

export class Engine {
  static async load(url) {
    const response = await fetch(url);
    if (!response.ok) throw new EngineError(`cannot load ${url}: the server answered ${response.status}`);
    // Compiled from bytes, not streamed: works whatever Content-Type the host gives .wasm.
    const engine = new Engine(await WebAssembly.compile(await response.arrayBuffer()));
    await engine.start();
    return engine;
  }

  constructor(module) {
    this.module = module;
    this.x = null; // the instance's exports; null while (re)starting
    this.generation = 0;
  }

  async start() {
    const instance = await WebAssembly.instantiate(this.module, {});
    const v = instance.exports.lenet5_abi_version();
    if (v !== ABI_VERSION) {
      throw new EngineError(`lenet5_web.wasm speaks interface version ${v}, this script ${ABI_VERSION}: rebuild the site`);
    }
    this.x = instance.exports;
    this.generation++;
  }

  // ------------------------------------------------------------------ memory
  bytesAt(ptr, len) { return new Uint8Array(this.x.memory.buffer, ptr, len); }

  text(ptrFn, lenFn) {
    return new TextDecoder().decode(this.bytesAt(ptrFn(), lenFn()));
  }

  // Copies each Uint8Array of `inputs` into the module, calls fn(...[ptr, len] of each),
  // frees them, and returns fn's status (throwing the engine's error on -1).
  call(inputs, fn) {
    if (!this.x) throw new EngineError('the engine is restarting after a failure; try again');
    const bufs = [];
    try {
      for (const data of inputs) {
        const ptr = this.x.lenet5_alloc(data.length);
        if (ptr === 0 && data.length > 0) throw new EngineError(`out of memory for ${data.length} bytes`);
        this.bytesAt(ptr, data.length).set(data);
        bufs.push([ptr, data.length]);
      }
      const status = fn(...bufs.flat());
      if (status < 0) throw new EngineError(this.text(this.x.lenet5_error_ptr, this.x.lenet5_error_len));
      return status;
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) throw this.trapped(e);
      throw e;
    } finally {
      if (this.x) for (const [ptr, len] of bufs) this.x.lenet5_free(ptr, len);
    }
  }

  trapped(e) {
    let message = '';
    try {
      message = this.text(this.x.lenet5_panic_ptr, this.x.lenet5_panic_len);
    } catch (_) { /* nothing readable */ }
    this.x = null;
    this.restarted = this.start();
    return new EngineError(`the engine failed (${message || e.message}); it is being restarted`);
  }

  json() { return JSON.parse(this.text(this.x.lenet5_json_ptr, this.x.lenet5_json_len)); }

  // The f32 result, copied out (a view would go stale when the module's memory grows).
  floats() {
    const len = this.x.lenet5_floats_len();
    return new Float32Array(this.x.memory.buffer, this.x.lenet5_floats_ptr(), len).slice();
  }

  bytes() { return this.bytesAt(this.x.lenet5_bytes_ptr(), this.x.lenet5_bytes_len()).slice(); }

  // ------------------------------------------------------------------ networks
  // A checkpoint's bytes (Uint8Array) → a Network.
  loadModel(bytes) {
    const h = this.call([bytes], (p, n) => this.x.lenet5_model_load(p, n));
    return new Network(this, h, this.json());
  }

  // ------------------------------------------------------------------ training
  // IDX images and labels (Uint8Array each, raw or gzip) → a Dataset.
  loadDataset(images, labels) {
    const h = this.call([images, labels], (a, b, c, d) => this.x.lenet5_dataset_load(a, b, c, d));
    return new Dataset(this, h, this.json());
  }

  // Settings as `lenet5 train` takes them ({arch, epochs, seed, batch, lr, ...}) → a TrainingRun.
  newTrainingRun(settings) {
    const json = new TextEncoder().encode(JSON.stringify(settings));
    const h = this.call([json], (p, n) => this.x.lenet5_trainer_new(p, n));
    return new TrainingRun(this, h, this.json());
  }
}

class Handle {
  constructor(engine, h) {
    this.engine = engine;
    this.h = h;
    this.generation = engine.generation;
  }

  get x() {
    if (this.generation !== this.engine.generation) {
      throw new EngineError('this object belonged to an engine instance that failed; load it again');
    }
    return this.engine.x;
  }
}

export class Network extends Handle {
  constructor(engine, h, info) {
    super(engine, h);
    this.info = info; // the engine's description: arch, layers, parameters, RBF glyphs
  }

  // What the network makes of the result of the last recognise call.
  answer() {
    const meta = this.engine.json();
    const f = this.engine.floats();
    return {
      ...meta,
      outputs: f.subarray(0, 10),
      scores: f.subarray(10, 20),
      layers: meta.layers.map((l) => ({ ...l, data: f.subarray(l.offset, l.offset + l.len) })),
    };
  }

  // A canvas's RGBA pixels (ImageData.data) of width x height, preprocessed like a picture.
  recogniseRgba(rgba, width, height, activations = true) {
    const px = new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength);
    this.engine.call([px], (p, n) => this.x.lenet5_recognise_rgba(this.h, p, n, width, height, activations ? 1 : 0));
    return this.answer();
  }

  // A picture file's bytes (PNG, JPEG, BMP, PGM).
  recogniseImage(bytes, activations = true) {
    this.engine.call([bytes], (p, n) => this.x.lenet5_recognise_image(this.h, p, n, activations ? 1 : 0));
    return this.answer();
  }

  // 784 MNIST-style pixels (0 background, 255 ink), as they are.
  recognisePixels(pixels, activations = true) {
    this.engine.call([pixels], (p, n) => this.x.lenet5_recognise_pixels(this.h, p, n, activations ? 1 : 0));
    return this.answer();
  }

  // A line of digits on a canvas (RGBA pixels of width x height) → the engine's reading:
  // {text, confidence, blank, inverted, note, digits: [{digit, confidence, runner_up,
  // scores, bbox: [x, y, w, h]}]}, as `lenet5 read --json` gives it.
  readRgba(rgba, width, height) {
    const px = new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength);
    this.engine.call([px], (p, n) => this.x.lenet5_read_rgba(this.h, p, n, width, height));
    return this.engine.json();
  }

  // A line of digits in a picture file's bytes → the reading.
  readImage(bytes) {
    this.engine.call([bytes], (p, n) => this.x.lenet5_read_image(this.h, p, n));
    return this.engine.json();
  }

  // n images of 784 pixels back to back → n × {outputs, scores}.
  forwardBatch(pixels) {
    const n = this.engine.call([pixels], (p, len) => this.x.lenet5_forward_batch(this.h, p, len));
    const f = this.engine.floats();
    return Array.from({ length: n }, (_, i) => ({
      outputs: f.subarray(20 * i, 20 * i + 10),
      scores: f.subarray(20 * i + 10, 20 * i + 20),
    }));
  }

  drop() { if (this.generation === this.engine.generation) this.engine.x.lenet5_model_drop(this.h); }
}

export class Dataset extends Handle {
  constructor(engine, h, info) {
    super(engine, h);
    this.info = info; // {len, rows, cols, class_counts}
  }

  drop() { if (this.generation === this.engine.generation) this.engine.x.lenet5_dataset_drop(this.h); }
}

export class TrainingRun extends Handle {
  constructor(engine, h, config) {
    super(engine, h);
    this.config = config; // the whole configuration, as a checkpoint stores it
  }

  // Trains on about maxImages more images (whole batches) → {epoch, epochs, seen, total, loss, acc, pass_done, images}.
  train(dataset, maxImages) {
    const n = this.engine.call([], () => this.x.lenet5_trainer_train(this.h, dataset.h, maxImages));
    return { ...this.engine.json(), images: n };
  }

  // After a finished pass: evaluates on `test`, records the epoch → its metrics (+ done).
  endPass(test, seconds) {
    this.engine.call([], () => this.x.lenet5_trainer_end_pass(this.h, test.h, seconds));
    return this.engine.json();
  }

  evaluate(dataset) {
    this.engine.call([], () => this.x.lenet5_trainer_evaluate(this.h, dataset.h));
    return this.engine.json();
  }

  // One tensor of the network ('conv1.weight', ...) → {name, shape, data: Float32Array}.
  tensor(name) {
    this.engine.call([new TextEncoder().encode(name)], (p, n) => this.x.lenet5_trainer_tensor(this.h, p, n));
    return { ...this.engine.json(), data: this.engine.floats() };
  }

  // The network's weights as checkpoint bytes (Uint8Array), loadable by loadModel and `lenet5`.
  checkpoint() {
    this.engine.call([], () => this.x.lenet5_trainer_checkpoint(this.h));
    return this.engine.bytes();
  }

  drop() { if (this.generation === this.engine.generation) this.engine.x.lenet5_trainer_drop(this.h); }
}
