//! `lenet5.train`: the options → the engine's configuration (the same mapping as
//! `lenet5 train`), then the engine's training loop with the GIL released.
//!
//! The loop is the trainer's step-by-step form ([`Trainer::begin_pass`],
//! [`Trainer::train_images`], [`Trainer::end_pass`]), which gives the same bytes as
//! [`Trainer::run`] (what the CLI calls): it lets the calling thread take the GIL back
//! between steps, to see Ctrl-C (a notebook's "interrupt") and to call `on_epoch`, and
//! stop with the callback's exception if it raises. With `out`, the checkpoint and the
//! metrics log are written after every epoch, as `lenet5 train --out` does.

use std::path::PathBuf;
use std::time::Instant;

use lenet5::data::Dataset;
use lenet5::train::{
    TrainConfig, TrainOverrides, Trainer, checkpoint, metrics_path, write_metrics_log,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::errors::{OrRaise, to_py};
use crate::mnist;
use crate::model::{Engine, metrics_dict, parse_arch};
use crate::options;

/// Images between two looks at Ctrl-C (whole batches; the result does not depend on it).
const STEP_IMAGES: usize = 1000;

/// Trains a network and returns it (native half of `lenet5.train`).
#[pyfunction]
#[pyo3(signature = (
    data=None, *, preset=None, arch=None, optim=None, schedule=None, epochs=None,
    batch=None, lr=None, momentum=None, weight_decay=None, augment=None, seed=None,
    limit=None, threads=None, out=None, on_epoch=None
))]
#[allow(clippy::too_many_arguments)]
pub fn train(
    py: Python<'_>,
    data: Option<&Bound<'_, PyAny>>,
    preset: Option<String>,
    arch: Option<&str>,
    optim: Option<&str>,
    schedule: Option<&str>,
    epochs: Option<usize>,
    batch: Option<usize>,
    lr: Option<f32>,
    momentum: Option<f32>,
    weight_decay: Option<f32>,
    augment: Option<&str>,
    seed: Option<u64>,
    limit: Option<usize>,
    threads: Option<usize>,
    out: Option<PathBuf>,
    on_epoch: Option<Py<PyAny>>,
) -> PyResult<Engine> {
    let overrides = TrainOverrides {
        preset,
        arch: arch.map(parse_arch).transpose()?,
        optim: optim.map(options::optim).transpose()?,
        schedule: schedule.map(options::schedule).transpose()?,
        epochs,
        batch,
        lr,
        momentum,
        weight_decay,
        augment: augment.map(options::augment).transpose()?,
        seed,
        limit,
        pieces: None,
    };
    let config = TrainConfig::from_overrides(&overrides).or_raise()?;
    if threads == Some(0) {
        return Err(PyValueError::new_err(
            "threads must be at least 1 (or None: all cores)",
        ));
    }
    if let Some(cb) = &on_epoch
        && !cb.bind(py).is_callable()
    {
        return Err(PyTypeError::new_err(
            "on_epoch must be callable (it is given each epoch's metrics)",
        ));
    }
    let (train, test) = datasets(py, data)?;
    let pool = threads
        .map(|t| rayon::ThreadPoolBuilder::new().num_threads(t).build())
        .transpose()
        .map_err(|e| PyValueError::new_err(format!("cannot start {threads:?} threads: {e}")))?;
    let run = Run {
        pool,
        out,
        on_epoch,
    };
    let train = lenet5::read::pieces::training_data(&config, &train);
    let trainer = py.detach(|| run.train(config, &train, &test))?;
    Ok(Engine::from_checkpoint(trainer.checkpoint()))
}

/// The training and test splits: from the folder `data` names (default: `$LENET5_DATA`,
/// else `./data/mnist`), or from a `(train_images, train_labels, test_images,
/// test_labels)` tuple of numpy arrays.
fn datasets(py: Python<'_>, data: Option<&Bound<'_, PyAny>>) -> PyResult<(Dataset, Dataset)> {
    if let Some(t) = data.and_then(|d| d.cast::<PyTuple>().ok()) {
        if t.len() != 4 {
            return Err(PyValueError::new_err(format!(
                "data as arrays is (train_images, train_labels, test_images, test_labels), got a tuple of {}",
                t.len()
            )));
        }
        let train = mnist::dataset_from_arrays("training", &t.get_item(0)?, &t.get_item(1)?)?;
        let test = mnist::dataset_from_arrays("test", &t.get_item(2)?, &t.get_item(3)?)?;
        return Ok((train, test));
    }
    let dir: Option<PathBuf> = data.map(|d| d.extract()).transpose().map_err(|_| {
        PyTypeError::new_err(
            "data must be a folder (str or os.PathLike) or the tuple load_mnist returns",
        )
    })?;
    let m = mnist::load(py, dir.as_deref())?;
    Ok((m.train, m.test))
}

/// What a training run does besides training.
struct Run {
    /// Worker threads of its own (None: rayon's global pool, as the CLI).
    pool: Option<rayon::ThreadPool>,
    /// Checkpoint and metrics log written after every epoch.
    out: Option<PathBuf>,
    /// Called with each epoch's metrics.
    on_epoch: Option<Py<PyAny>>,
}

impl Run {
    /// Runs `f` on the run's threads.
    fn on_threads<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match &self.pool {
            Some(p) => p.install(f),
            None => f(),
        }
    }

    /// Trains every epoch of `config` (called with the GIL released).
    fn train(&self, config: TrainConfig, train: &Dataset, test: &Dataset) -> PyResult<Trainer> {
        let mut trainer = Trainer::new(config).or_raise()?;
        while trainer.epoch < trainer.config.epochs {
            let clock = Instant::now();
            let mut pass = self.on_threads(|| trainer.begin_pass(train)).or_raise()?;
            while !pass.done() {
                self.on_threads(|| trainer.train_images(&mut pass, train, STEP_IMAGES));
                Python::attach(|py| py.check_signals())?;
            }
            let seconds = clock.elapsed().as_secs_f64();
            let m = self
                .on_threads(|| trainer.end_pass(pass, test, seconds))
                .or_raise()?;
            if let Some(out) = &self.out {
                checkpoint::save(out, &trainer.checkpoint()).map_err(to_py)?;
                write_metrics_log(&metrics_path(out), &trainer.history).map_err(to_py)?;
            }
            if let Some(cb) = &self.on_epoch {
                Python::attach(|py| cb.call1(py, (metrics_dict(py, &m)?,)).map(drop))?;
            }
        }
        Ok(trainer)
    }
}
