//! The training loop: epochs, shuffling, batches split over threads with a
//! deterministic reduction, per-pattern SDLM, evaluation, checkpoints, metrics.
//!
//! The trainer never knows what a convolution is: it prepares inputs, calls
//! [`Network::forward`], [`Network::loss`], [`Network::backward`] and an optimiser.
//!
//! Determinism: a batch is cut into fixed chunks of [`CHUNK`] images, whatever the
//! number of threads; each chunk's gradient is computed by one thread into its own
//! buffer and the buffers are summed in chunk order. The same seed therefore gives
//! bit-identical weights with 1, 2 or 16 threads. Every epoch's shuffle (and
//! distortion) stream is derived from (seed, epoch), so a run resumed from the
//! epoch-k checkpoint continues exactly as the uninterrupted run.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::checkpoint::{self, Checkpoint};
use super::optim::{OptimKind, OptimState, Schedule, lr_factor};
use crate::data::Dataset;
use crate::data::augment::Augment;
use crate::model::{Arch, Network, Workspace, classic};
use crate::rng::Rng;
use crate::{Error, Result};

/// Images per chunk of a mini-batch: the unit of parallel work and of the reduction.
pub const CHUNK: usize = 16;

/// Everything that defines a training run (stored in every checkpoint).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub arch: Arch,
    pub optim: OptimKind,
    pub schedule: Schedule,
    pub epochs: usize,
    /// Images per update (1 = the paper's per-pattern SDLM).
    pub batch: usize,
    /// Base learning rate (SDLM: ε of the first passes).
    pub lr: f32,
    pub momentum: f32,
    pub weight_decay: f32,
    /// SDLM's μ.
    pub sdlm_mu: f32,
    /// Patterns used to estimate the SDLM curvature before each pass.
    pub hessian_samples: usize,
    pub seed: u64,
    /// Distortions applied to the training images.
    #[serde(default)]
    pub augment: Augment,
    /// Train on the first N images only (for quick tests); None = all.
    #[serde(default)]
    pub limit: Option<usize>,
}

impl TrainConfig {
    /// The defaults of each architecture: the paper's recipe for classic (SDLM,
    /// per pattern, 20 passes), SGD + momentum + cosine for modern.
    pub fn defaults(arch: Arch) -> Self {
        match arch {
            Arch::Classic => TrainConfig {
                arch,
                optim: OptimKind::Sdlm,
                schedule: Schedule::Paper,
                epochs: 20,
                batch: 1,
                lr: 5e-4,
                momentum: 0.0,
                weight_decay: 0.0,
                sdlm_mu: 0.02,
                hessian_samples: 500,
                seed: 1,
                augment: Augment::None,
                limit: None,
            },
            Arch::Modern => TrainConfig {
                arch,
                optim: OptimKind::Sgd,
                schedule: Schedule::Cosine,
                epochs: 20,
                batch: 64,
                lr: 0.05,
                momentum: 0.9,
                weight_decay: 5e-4,
                sdlm_mu: 0.02,
                hessian_samples: 500,
                seed: 1,
                augment: Augment::None,
                limit: None,
            },
        }
    }

    /// Named recipes a user can run without remembering flags:
    /// - `paper`: classic, SDLM per pattern, the paper's ε schedule, 20 passes, no distortion;
    /// - `paper-distorted`: the same on affinely distorted images (the paper's 0.8 % setup);
    /// - `classic-best`: classic, SDLM with ε from 2e-4 down a cosine, affine
    ///   distortions, 40 passes (the bundled model);
    /// - `modern`: modern, SGD + momentum, cosine, 20 epochs;
    /// - `modern-best`: modern with affine distortions, 40 epochs.
    pub fn preset(name: &str) -> Option<Self> {
        let mut c = match name {
            "paper" | "paper-distorted" | "classic-best" => Self::defaults(Arch::Classic),
            "modern" | "modern-best" => Self::defaults(Arch::Modern),
            _ => return None,
        };
        match name {
            "paper-distorted" => c.augment = Augment::affine(),
            "classic-best" => {
                c.augment = Augment::affine();
                c.schedule = Schedule::Cosine;
                c.lr = 2e-4;
                c.epochs = 40;
            }
            "modern-best" => {
                c.augment = Augment::affine();
                c.epochs = 40;
            }
            _ => {}
        }
        Some(c)
    }

    /// The names accepted by [`TrainConfig::preset`].
    pub const PRESETS: [&'static str; 5] = [
        "paper",
        "paper-distorted",
        "classic-best",
        "modern",
        "modern-best",
    ];

    /// Checks the combination makes sense.
    pub fn validate(&self) -> Result<()> {
        if self.epochs == 0 || self.batch == 0 {
            return Err(Error::Usage(
                "--epochs and --batch must be at least 1".into(),
            ));
        }
        if self.optim == OptimKind::Sdlm && self.arch != Arch::Classic {
            return Err(Error::Usage("--optim sdlm needs --arch classic (its curvature pass is written for the paper's network); use sgd or adam".into()));
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return Err(Error::Usage(format!(
                "--lr must be a positive number, got {}",
                self.lr
            )));
        }
        // A resumed configuration comes from a file: refuse values that would blow up
        // (a huge elastic sigma means a huge smoothing kernel).
        for (name, v) in [
            ("momentum", self.momentum),
            ("weight decay", self.weight_decay),
            ("SDLM mu", self.sdlm_mu),
        ] {
            if !v.is_finite() {
                return Err(Error::Usage(format!("{name} must be finite, got {v}")));
            }
        }
        let augment_ok = match self.augment {
            Augment::None => true,
            Augment::Affine {
                shift,
                scale,
                squeeze,
                shear,
                rotate,
            } => [shift, scale, squeeze, shear, rotate]
                .iter()
                .all(|v| v.is_finite() && v.abs() <= 100.0),
            Augment::Elastic { sigma, alpha } => {
                sigma > 0.0 && sigma <= 28.0 && alpha.is_finite() && alpha.abs() <= 1000.0
            }
        };
        if !augment_ok {
            return Err(Error::Usage(format!(
                "distortion parameters out of range: {:?}",
                self.augment
            )));
        }
        Ok(())
    }
}

/// What one epoch measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// 1-based epoch number.
    pub epoch: usize,
    pub lr: f32,
    /// Mean loss and accuracy over the epoch's training images, measured on the fly.
    pub train_loss: f64,
    pub train_acc: f64,
    pub test_loss: f64,
    pub test_acc: f64,
    pub test_errors: usize,
    /// Training time of the epoch (not kept in checkpoints: 0 there).
    #[serde(default)]
    pub seconds: f64,
    #[serde(default)]
    pub images_per_sec: f64,
}

/// Accuracy, loss and confusion matrix on a dataset.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalResult {
    pub n: usize,
    pub correct: usize,
    pub loss: f64,
    /// `confusion[true][predicted]`
    pub confusion: [[usize; 10]; 10],
    /// Predicted digit of every image.
    pub predictions: Vec<u8>,
}

impl EvalResult {
    /// Fraction correct.
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.n.max(1) as f64
    }
    /// Number of errors.
    pub fn errors(&self) -> usize {
        self.n - self.correct
    }
}

/// Evaluates `net` on all of `ds`, in parallel over chunks (results do not depend
/// on the thread count: every image is computed alone in its own chunk slot).
pub fn evaluate(net: &Network, ds: &Dataset) -> EvalResult {
    const EVAL_CHUNK: usize = 128;
    let n = ds.len();
    let starts: Vec<usize> = (0..n).step_by(EVAL_CHUNK).collect();
    let parts: Vec<(f64, Vec<u8>)> = starts
        .par_iter()
        .map_init(
            || Workspace::new(net.arch, EVAL_CHUNK),
            |ws, &s| {
                let m = EVAL_CHUNK.min(n - s);
                for k in 0..m {
                    net.prepare_input_u8(ds.image(s + k), ws, k);
                }
                net.forward(ws, m);
                let labels: Vec<u8> = (s..s + m).map(|i| ds.label(i)).collect();
                let (loss, _) = net.loss(ws, &labels, 1.0);
                let preds = (0..m).map(|k| net.predicted(ws, k) as u8).collect();
                (loss, preds)
            },
        )
        .collect();
    let mut r = EvalResult {
        n,
        correct: 0,
        loss: 0.0,
        confusion: [[0; 10]; 10],
        predictions: Vec::with_capacity(n),
    };
    for (loss, preds) in parts {
        r.loss += loss;
        r.predictions.extend(preds);
    }
    for (i, &p) in r.predictions.iter().enumerate() {
        let t = ds.label(i) as usize;
        r.confusion[t][p as usize] += 1;
        r.correct += (t == p as usize) as usize;
    }
    r.loss /= n.max(1) as f64;
    r
}

/// Per-chunk buffers of a mini-batch step, allocated once.
struct ChunkState {
    ws: Workspace,
    grads: Vec<f32>,
    loss: f64,
    correct: usize,
}

/// Called after every epoch with its metrics.
pub type EpochCallback = Box<dyn FnMut(&EpochMetrics) + Send>;

/// Where and how to report and save.
pub struct RunOptions {
    /// Checkpoint written after every epoch (metrics log beside it, `.jsonl`).
    pub out: Option<PathBuf>,
    /// Threads for data parallelism (does not change the result).
    pub threads: usize,
    /// Show a progress bar.
    pub progress: bool,
    /// Called after every epoch with its metrics.
    pub on_epoch: Option<EpochCallback>,
    /// Stop (as if interrupted) once this many epochs are complete; None = run to the end.
    pub stop_after: Option<usize>,
}

impl RunOptions {
    /// Quiet, no checkpoint, `threads` workers.
    pub fn quiet(threads: usize) -> Self {
        RunOptions {
            out: None,
            threads,
            progress: false,
            on_epoch: None,
            stop_after: None,
        }
    }
}

/// The path of the metrics log kept beside checkpoint `out`: `x.safetensors` → `x.metrics.jsonl`.
pub fn metrics_path(out: &Path) -> PathBuf {
    out.with_extension("metrics.jsonl")
}

/// A training run in progress: network, optimiser state, history.
pub struct Trainer {
    pub config: TrainConfig,
    pub net: Network,
    pub state: OptimState,
    /// Epochs completed.
    pub epoch: usize,
    pub history: Vec<EpochMetrics>,
}

impl Trainer {
    /// A fresh run.
    pub fn new(config: TrainConfig) -> Result<Self> {
        config.validate()?;
        let net = Network::new(config.arch, config.seed);
        let state = OptimState::new(config.optim, net.params.len());
        Ok(Trainer {
            config,
            net,
            state,
            epoch: 0,
            history: vec![],
        })
    }

    /// Continues the run saved in `ckpt`; `epochs` may extend it.
    pub fn resume(ckpt: Checkpoint, epochs: Option<usize>) -> Result<Self> {
        let mut config = ckpt.config.clone().ok_or_else(|| {
            Error::Usage("this checkpoint holds no training configuration (it was not written by `lenet5 train`), so it cannot be resumed".into())
        })?;
        if let Some(e) = epochs {
            config.epochs = e;
        }
        config.validate()?;
        let net = ckpt.network();
        let mut state = OptimState::new(config.optim, net.params.len());
        if let OptimState::Adam { t, .. } = &mut state {
            *t = ckpt.adam_t;
        }
        for (name, buf) in state.buffers_mut() {
            match ckpt.optim.iter().find(|(n, _)| n == name) {
                Some((_, v)) if v.len() == buf.len() => buf.copy_from_slice(v),
                _ => {
                    return Err(Error::Usage(format!(
                        "checkpoint lacks optimiser state `{name}`; cannot resume exactly"
                    )));
                }
            }
        }
        Ok(Trainer {
            config,
            net,
            state,
            epoch: ckpt.epoch,
            history: ckpt.metrics,
        })
    }

    /// The checkpoint of the current state.
    pub fn checkpoint(&self) -> Checkpoint {
        let optim = self
            .state
            .buffers()
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.to_vec()))
            .collect();
        let adam_t = if let OptimState::Adam { t, .. } = &self.state {
            *t
        } else {
            0
        };
        Checkpoint {
            arch: self.net.arch,
            params: self.net.params.clone(),
            epoch: self.epoch,
            config: Some(self.config.clone()),
            optim,
            adam_t,
            metrics: self.history.clone(),
        }
    }

    /// Runs the remaining epochs on `train`, evaluating on `test` after each.
    pub fn run(&mut self, train: &Dataset, test: &Dataset, opts: &mut RunOptions) -> Result<()> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(opts.threads.max(1))
            .build()
            .map_err(|e| Error::Usage(format!("cannot start {} threads: {e}", opts.threads)))?;
        pool.install(|| self.run_inner(train, test, opts))
    }

    fn run_inner(&mut self, train: &Dataset, test: &Dataset, opts: &mut RunOptions) -> Result<()> {
        let n = self
            .config
            .limit
            .map_or(train.len(), |l| l.min(train.len()));
        if n == 0 {
            return Err(Error::Data("the training set is empty".into()));
        }
        for (what, ds) in [("training", train), ("test", test)] {
            if (ds.rows, ds.cols) != (28, 28) {
                return Err(Error::Data(format!(
                    "the {what} images are {}x{}; LeNet-5 takes MNIST's 28x28",
                    ds.rows, ds.cols
                )));
            }
        }
        let p = self.net.params.len();
        let mut grads = vec![0.0f32; p];
        // A batch never holds more than the n images there are: allocate no more chunks
        // than that (a checkpoint's config is outside input; batch may be huge).
        let nchunks = self.config.batch.min(n).div_ceil(CHUNK);
        let mut chunks: Vec<ChunkState> = (0..nchunks)
            .map(|_| ChunkState {
                ws: Workspace::new(self.config.arch, CHUNK),
                grads: vec![0.0; p],
                loss: 0.0,
                correct: 0,
            })
            .collect();
        let mut ws1 = Workspace::new(self.config.arch, 1);
        let steps_per_epoch = n.div_ceil(self.config.batch);
        let last = opts
            .stop_after
            .map_or(self.config.epochs, |s| s.min(self.config.epochs));
        while self.epoch < last {
            let e = self.epoch;
            let t0 = Instant::now();
            let mut order: Vec<usize> = (0..n).collect();
            Rng::derive(self.config.seed, &[1, e as u64]).shuffle(&mut order);
            let lr = self.step_lr(e, 0, steps_per_epoch); // the rate at the start of the epoch
            let bar = progress_bar(opts.progress, n as u64, e + 1, self.config.epochs);
            let (mut loss_sum, mut correct) = (0.0f64, 0usize);
            if self.config.optim == OptimKind::Sdlm {
                self.estimate_curvature(train, &order, e, &mut ws1, lr);
            }
            if self.config.batch == 1 {
                // Per-pattern updates (the paper's SDLM, or plain SGD at batch 1).
                for (k, &i) in order.iter().enumerate() {
                    let px = self
                        .config
                        .augment
                        .pixels(train.image(i), self.config.seed, e, i);
                    self.net.prepare_input(&px, &mut ws1, 0);
                    self.net.forward(&mut ws1, 1);
                    let (l, c) = self.net.loss(&mut ws1, &[train.label(i)], 1.0);
                    loss_sum += l;
                    correct += c;
                    if let (Arch::Classic, OptimState::Sdlm { step }) =
                        (self.config.arch, &self.state)
                    {
                        // The paper's update, fused into the backward pass (bit-identical).
                        self.net.sdlm_step(&mut ws1, step, &mut grads);
                    } else {
                        grads.fill(0.0);
                        self.net.backward(&mut ws1, 1, &mut grads);
                        let lr_k = self.step_lr(e, k, steps_per_epoch);
                        self.state.step(
                            &mut self.net.params,
                            &grads,
                            lr_k,
                            self.config.momentum,
                            self.config.weight_decay,
                        );
                    }
                    if k % 1000 == 999 {
                        bar.set_position(k as u64 + 1);
                        bar.set_message(format!(
                            "loss {:.4} acc {:.2}%",
                            loss_sum / (k + 1) as f64,
                            100.0 * correct as f64 / (k + 1) as f64
                        ));
                    }
                }
            } else {
                for (step, batch) in order.chunks(self.config.batch).enumerate() {
                    let scale = 1.0 / batch.len() as f32;
                    let net = &self.net;
                    let cfg = &self.config;
                    chunks
                        .par_iter_mut()
                        .zip(batch.par_chunks(CHUNK))
                        .for_each(|(cs, idx)| {
                            for (k, &i) in idx.iter().enumerate() {
                                let px = cfg.augment.pixels(train.image(i), cfg.seed, e, i);
                                net.prepare_input(&px, &mut cs.ws, k);
                            }
                            net.forward(&mut cs.ws, idx.len());
                            let labels: Vec<u8> = idx.iter().map(|&i| train.label(i)).collect();
                            let (l, c) = net.loss(&mut cs.ws, &labels, scale);
                            cs.loss = l;
                            cs.correct = c;
                            cs.grads.fill(0.0);
                            net.backward(&mut cs.ws, idx.len(), &mut cs.grads);
                        });
                    // Deterministic reduction: chunk 0, then 1, ... whatever thread ran them.
                    let used = batch.len().div_ceil(CHUNK);
                    grads.copy_from_slice(&chunks[0].grads);
                    for cs in &chunks[1..used] {
                        for (g, c) in grads.iter_mut().zip(&cs.grads) {
                            *g += c;
                        }
                    }
                    for cs in &chunks[..used] {
                        loss_sum += cs.loss;
                        correct += cs.correct;
                    }
                    let lr_k = self.step_lr(e, step, steps_per_epoch);
                    self.state.step(
                        &mut self.net.params,
                        &grads,
                        lr_k,
                        self.config.momentum,
                        self.config.weight_decay,
                    );
                    if step % 20 == 19 {
                        let seen = ((step + 1) * self.config.batch).min(n);
                        bar.set_position(seen as u64);
                        bar.set_message(format!(
                            "loss {:.4} acc {:.2}%",
                            loss_sum / seen as f64,
                            100.0 * correct as f64 / seen as f64
                        ));
                    }
                }
            }
            let train_secs = t0.elapsed().as_secs_f64();
            bar.finish_and_clear();
            let ev = evaluate(&self.net, test);
            if !self.net.params.iter().all(|v| v.is_finite()) {
                return Err(Error::Usage(format!(
                    "training diverged in epoch {} (non-finite weights); lower --lr",
                    e + 1
                )));
            }
            let m = EpochMetrics {
                epoch: e + 1,
                lr,
                train_loss: loss_sum / n as f64,
                train_acc: correct as f64 / n as f64,
                test_loss: ev.loss,
                test_acc: ev.accuracy(),
                test_errors: ev.errors(),
                seconds: train_secs,
                images_per_sec: n as f64 / train_secs,
            };
            self.epoch += 1;
            self.history.push(m.clone());
            if let Some(out) = &opts.out {
                checkpoint::save(out, &self.checkpoint())?;
                write_metrics_log(&metrics_path(out), &self.history)?;
            }
            if let Some(f) = opts.on_epoch.as_mut() {
                f(&m);
            }
        }
        Ok(())
    }

    /// The learning rate of update `step` of epoch `e` (cosine decays per update).
    fn step_lr(&self, e: usize, step: usize, steps_per_epoch: usize) -> f32 {
        // In f64 (exact below 2^53): a resumed configuration may ask for absurd epochs.
        let steps = steps_per_epoch as f64;
        let progress = (e as f64 * steps + step as f64) / (self.config.epochs as f64 * steps);
        self.config.lr * lr_factor(self.config.schedule, e, progress)
    }

    /// SDLM: averages the Gauss-Newton diagonal over the first `hessian_samples`
    /// patterns of this pass and sets the steps ε/(μ + h).
    fn estimate_curvature(
        &mut self,
        train: &Dataset,
        order: &[usize],
        e: usize,
        ws: &mut Workspace,
        eps: f32,
    ) {
        let m = self.config.hessian_samples.clamp(1, order.len());
        let mut h = vec![0.0f32; self.net.params.len()];
        for &i in &order[..m] {
            let px = self
                .config
                .augment
                .pixels(train.image(i), self.config.seed, e, i);
            self.net.prepare_input(&px, ws, 0);
            self.net.forward(ws, 1);
            classic::hessian_diag(&self.net.params, &self.net.mask, ws, &mut h);
        }
        for v in &mut h {
            *v /= m as f32;
        }
        self.state.set_sdlm_steps(eps, self.config.sdlm_mu, &h);
    }
}

fn progress_bar(show: bool, len: u64, epoch: usize, epochs: usize) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "epoch {epoch}/{epochs} [{{bar:30}}] {{pos}}/{{len}} {{per_sec}} {{msg}}"
        ))
        .expect("static template")
        .progress_chars("=> "),
    );
    bar
}

/// Rewrites the JSON-lines metrics log from the full history (atomically), so a
/// resumed run never duplicates or loses a line. Checkpoints do not keep timings
/// (their bytes must not depend on the machine's speed), so the timings of epochs
/// from before a resume are taken from the existing log when it has them.
pub fn write_metrics_log(path: &Path, history: &[EpochMetrics]) -> Result<()> {
    let old: Vec<EpochMetrics> = std::fs::read_to_string(path)
        .map(|s| {
            s.lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect()
        })
        .unwrap_or_default();
    let mut s = String::new();
    for m in history {
        let mut m = m.clone();
        if m.seconds == 0.0
            && let Some(o) = old.iter().find(|o| o.epoch == m.epoch)
        {
            m.seconds = o.seconds;
            m.images_per_sec = o.images_per_sec;
        }
        s += &serde_json::to_string(&m).expect("metrics serialise");
        s.push('\n');
    }
    checkpoint::write_atomic(path, s.as_bytes())
}
