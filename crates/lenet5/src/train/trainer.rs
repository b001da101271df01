//! The training loop: passes, shuffling, batches split over threads with a deterministic
//! reduction, per-pattern SDLM, evaluation, checkpoints, metrics.
//!
//! The trainer never knows what a convolution is: it prepares inputs, calls
//! [`Network::forward`], [`Network::loss`], [`Network::backward`] (or the fused
//! [`Network::sdlm_step`]) and an optimiser.
//!
//! Two ways to drive it: [`Trainer::run`] trains the remaining epochs, saving a checkpoint
//! after each; or, step by step (a browser's event loop, a notebook), [`Trainer::begin_pass`],
//! [`Trainer::train_images`] as often as wanted, then [`Trainer::end_pass`]. Both give the
//! same bytes.
//!
//! Determinism: a batch is cut into fixed chunks of [`CHUNK`] images, whatever the
//! number of threads; each chunk's gradient is computed by one thread into its own
//! buffer and the buffers are summed in chunk order. The same seed therefore gives
//! bit-identical weights with 1, 2 or 16 threads. Every epoch's shuffle (and
//! distortion) stream is derived from (seed, epoch), so a run resumed from the
//! epoch-k checkpoint continues exactly as the uninterrupted run.

use std::path::PathBuf;

use super::checkpoint::{self, Checkpoint};
use super::evaluate::evaluate;
use super::metrics::{EpochMetrics, metrics_path, write_metrics_log};
use super::optim::{OptimKind, OptimState};
use super::presets::TrainConfig;
use super::schedule::lr_factor;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::model::{Arch, Network, Workspace, classic};
use crate::parallel;
use crate::rng::Rng;

/// Images per chunk of a mini-batch: the unit of parallel work and of the reduction.
pub const CHUNK: usize = 16;

/// Where a pass stands: reported to [`RunOptions::on_progress`] at its start (`seen` 0)
/// and every thousand images or so.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// 1-based epoch and the run's epochs.
    pub epoch: usize,
    pub epochs: usize,
    /// Images trained on in this pass, of `total`.
    pub seen: usize,
    pub total: usize,
    /// Mean training loss and accuracy so far in this pass.
    pub loss: f64,
    pub acc: f64,
}

/// Called after every epoch with its metrics.
pub type EpochCallback = Box<dyn FnMut(&EpochMetrics) + Send>;
/// Called as a pass progresses.
pub type ProgressCallback = Box<dyn FnMut(&Progress) + Send>;

/// Where and how to report and save.
pub struct RunOptions {
    /// Checkpoint written after every epoch (metrics log beside it, `.jsonl`).
    pub out: Option<PathBuf>,
    /// Worker threads (a pool of its own); None: the caller's pool. The result does not
    /// depend on it.
    pub threads: Option<usize>,
    /// Called as each pass progresses (a progress bar).
    pub on_progress: Option<ProgressCallback>,
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
            threads: Some(threads),
            on_progress: None,
            on_epoch: None,
            stop_after: None,
        }
    }
}

/// Per-chunk buffers of a mini-batch step, allocated once.
struct ChunkState {
    ws: Workspace,
    grads: Vec<f32>,
    loss: f64,
    correct: usize,
}

/// The buffers a pass reuses: allocated at the first pass, never in the loop.
struct Scratch {
    /// One image's workspace (per-pattern updates, the curvature estimate).
    ws1: Workspace,
    /// The summed gradient of a batch (or one image's).
    grads: Vec<f32>,
    /// One slot per chunk of the largest batch.
    chunks: Vec<ChunkState>,
}

/// One pass over the training set, in progress (see [`Trainer::begin_pass`]).
pub struct Pass {
    /// 0-based epoch.
    epoch: usize,
    /// The images of this pass, shuffled.
    order: Vec<usize>,
    /// How many of `order` are done.
    next: usize,
    /// Updates done, and per pass.
    step: usize,
    steps: usize,
    /// The learning rate at the start of the pass.
    lr: f32,
    loss_sum: f64,
    correct: usize,
}

impl Pass {
    /// Every image of the pass has been trained on.
    pub fn done(&self) -> bool {
        self.next == self.order.len()
    }
    /// Images trained on so far, and in the whole pass.
    pub fn seen(&self) -> (usize, usize) {
        (self.next, self.order.len())
    }
    /// Mean training loss and accuracy so far.
    pub fn running(&self) -> (f64, f64) {
        let k = self.next.max(1) as f64;
        (self.loss_sum / k, self.correct as f64 / k)
    }
}

/// A training run in progress: network, optimiser state, history.
pub struct Trainer {
    pub config: TrainConfig,
    pub net: Network,
    pub state: OptimState,
    /// Epochs completed.
    pub epoch: usize,
    pub history: Vec<EpochMetrics>,
    scratch: Option<Scratch>,
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
            scratch: None,
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
            scratch: None,
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

    /// Runs the remaining epochs on `train`, evaluating on `test` after each, saving a
    /// checkpoint and calling back as `opts` says.
    pub fn run(&mut self, train: &Dataset, test: &Dataset, opts: &mut RunOptions) -> Result<()> {
        match opts.threads {
            Some(t) => parallel::with_threads(t, || self.run_here(train, test, opts))?,
            None => self.run_here(train, test, opts),
        }
    }

    fn run_here(&mut self, train: &Dataset, test: &Dataset, opts: &mut RunOptions) -> Result<()> {
        check_28x28("training", train)?;
        check_28x28("test", test)?;
        let last = opts
            .stop_after
            .map_or(self.config.epochs, |s| s.min(self.config.epochs));
        // Report about every thousand images: whole updates only.
        let report_every = self.config.batch * 1000usize.div_ceil(self.config.batch);
        while self.epoch < last {
            let clock = Clock::start();
            let mut pass = self.begin_pass(train)?;
            let mut report = |p: &Pass, epochs: usize| {
                if let Some(f) = opts.on_progress.as_mut() {
                    let ((seen, total), (loss, acc)) = (p.seen(), p.running());
                    f(&Progress {
                        epoch: p.epoch + 1,
                        epochs,
                        seen,
                        total,
                        loss,
                        acc,
                    });
                }
            };
            report(&pass, self.config.epochs);
            while !pass.done() {
                self.train_images(&mut pass, train, report_every);
                report(&pass, self.config.epochs);
            }
            let m = self.end_pass(pass, test, clock.seconds())?;
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

    /// Starts the next pass over `train`: shuffles it (a stream derived from the seed and
    /// the epoch) and, for SDLM, estimates the curvature.
    pub fn begin_pass(&mut self, train: &Dataset) -> Result<Pass> {
        check_28x28("training", train)?;
        if self.epoch >= self.config.epochs {
            return Err(Error::Usage(format!(
                "the run is complete ({} epochs); resume with more epochs to continue",
                self.config.epochs
            )));
        }
        let n = self
            .config
            .limit
            .map_or(train.len(), |l| l.min(train.len()));
        if n == 0 {
            return Err(Error::Data("the training set is empty".into()));
        }
        self.allocate_scratch(n);
        let e = self.epoch;
        let mut order: Vec<usize> = (0..n).collect();
        Rng::derive(self.config.seed, &[1, e as u64]).shuffle(&mut order);
        let steps = n.div_ceil(self.config.batch);
        let lr = self.step_lr(e, 0, steps); // the rate at the start of the epoch
        if self.config.optim == OptimKind::Sdlm {
            self.estimate_curvature(train, &order, e, lr);
        }
        Ok(Pass {
            epoch: e,
            order,
            next: 0,
            step: 0,
            steps,
            lr,
            loss_sum: 0.0,
            correct: 0,
        })
    }

    /// Trains on the next images of `pass`, at least one update and no more updates than
    /// fit in `max_images` (a whole batch at a time). Returns the images trained on.
    pub fn train_images(&mut self, pass: &mut Pass, train: &Dataset, max_images: usize) -> usize {
        let start = pass.next;
        let batch = self.config.batch;
        loop {
            if pass.done() {
                break;
            }
            let end = (pass.next + batch).min(pass.order.len());
            if pass.next > start && end - start > max_images {
                break;
            }
            if batch == 1 {
                self.train_one(pass, train);
            } else {
                self.train_batch(pass, train, end);
            }
            pass.next = end;
            pass.step += 1;
        }
        pass.next - start
    }

    /// Per-pattern update (the paper's SDLM, or plain SGD at batch 1) on `order[next]`.
    fn train_one(&mut self, pass: &mut Pass, train: &Dataset) {
        let (e, k) = (pass.epoch, pass.next);
        let i = pass.order[k];
        let lr_k = self.step_lr(e, k, pass.steps);
        let Scratch { ws1, grads, .. } = self.scratch.as_mut().expect("allocated by begin_pass");
        let px = self
            .config
            .augment
            .pixels(train.image(i), self.config.seed, e, i);
        self.net.prepare_input(&px, ws1, 0);
        self.net.forward(ws1, 1);
        let (l, c) = self.net.loss(ws1, &[train.label(i)], 1.0);
        pass.loss_sum += l;
        pass.correct += c;
        if let (Arch::Classic, OptimState::Sdlm { step }) = (self.config.arch, &self.state) {
            // The paper's update, fused into the backward pass (bit-identical).
            self.net.sdlm_step(ws1, step, grads);
        } else {
            grads.fill(0.0);
            self.net.backward(ws1, 1, grads);
            self.state.step(
                &mut self.net.params,
                grads,
                lr_k,
                self.config.momentum,
                self.config.weight_decay,
            );
        }
    }

    /// One mini-batch update on `order[next..end]`, its chunks spread over the threads.
    fn train_batch(&mut self, pass: &mut Pass, train: &Dataset, end: usize) {
        let e = pass.epoch;
        let lr_k = self.step_lr(e, pass.step, pass.steps);
        let batch = &pass.order[pass.next..end];
        let scale = 1.0 / batch.len() as f32;
        let Scratch { grads, chunks, .. } = self.scratch.as_mut().expect("allocated by begin_pass");
        let (net, cfg) = (&self.net, &self.config);
        parallel::zip_chunks(chunks, batch, CHUNK, |cs, idx| {
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
            pass.loss_sum += cs.loss;
            pass.correct += cs.correct;
        }
        self.state.step(
            &mut self.net.params,
            grads,
            lr_k,
            self.config.momentum,
            self.config.weight_decay,
        );
    }

    /// Ends `pass`: evaluates on `test`, records the epoch (`seconds`: the pass's
    /// training time, for the log) and returns its metrics.
    pub fn end_pass(&mut self, pass: Pass, test: &Dataset, seconds: f64) -> Result<EpochMetrics> {
        if !pass.done() {
            return Err(Error::Usage("end_pass before the pass is done".into()));
        }
        check_28x28("test", test)?;
        let ev = evaluate(&self.net, test);
        if !self.net.params.iter().all(|v| v.is_finite()) {
            return Err(Error::Usage(format!(
                "training diverged in epoch {} (non-finite weights); lower --lr",
                pass.epoch + 1
            )));
        }
        let n = pass.order.len();
        let m = EpochMetrics {
            epoch: pass.epoch + 1,
            lr: pass.lr,
            train_loss: pass.loss_sum / n as f64,
            train_acc: pass.correct as f64 / n as f64,
            test_loss: ev.loss,
            test_acc: ev.accuracy(),
            test_errors: ev.errors(),
            seconds,
            images_per_sec: if seconds > 0.0 {
                n as f64 / seconds
            } else {
                0.0
            },
        };
        self.epoch += 1;
        self.history.push(m.clone());
        Ok(m)
    }

    /// Allocates the reused buffers for passes of `n` images (once).
    fn allocate_scratch(&mut self, n: usize) {
        let p = self.net.params.len();
        // A batch never holds more than the n images there are: allocate no more chunks
        // than that (a checkpoint's config is outside input; batch may be huge).
        let nchunks = self.config.batch.min(n).div_ceil(CHUNK);
        if self
            .scratch
            .as_ref()
            .is_some_and(|s| s.chunks.len() >= nchunks)
        {
            return;
        }
        let arch = self.config.arch;
        self.scratch = Some(Scratch {
            ws1: Workspace::new(arch, 1),
            grads: vec![0.0; p],
            chunks: (0..nchunks)
                .map(|_| ChunkState {
                    ws: Workspace::new(arch, CHUNK),
                    grads: vec![0.0; p],
                    loss: 0.0,
                    correct: 0,
                })
                .collect(),
        });
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
    fn estimate_curvature(&mut self, train: &Dataset, order: &[usize], e: usize, eps: f32) {
        let m = self.config.hessian_samples.clamp(1, order.len());
        let ws = &mut self.scratch.as_mut().expect("allocated by begin_pass").ws1;
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

/// LeNet-5 takes MNIST's 28x28 images: other sizes would be silently cropped or padded.
fn check_28x28(what: &str, ds: &Dataset) -> Result<()> {
    if (ds.rows, ds.cols) != (28, 28) {
        return Err(Error::Data(format!(
            "the {what} images are {}x{}; LeNet-5 takes MNIST's 28x28",
            ds.rows, ds.cols
        )));
    }
    Ok(())
}

/// Wall-clock time of a pass, for the metrics log (0 where there is no clock: in a
/// browser the page times the passes itself).
struct Clock(Option<std::time::Instant>);

impl Clock {
    fn start() -> Clock {
        Clock((!cfg!(target_arch = "wasm32")).then(std::time::Instant::now))
    }
    fn seconds(&self) -> f64 {
        self.0.map_or(0.0, |t| t.elapsed().as_secs_f64())
    }
}
