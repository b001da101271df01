//! `Engine`: a trained network and the checkpoint it came from, with what the Python
//! `lenet5.Model` calls (python/lenet5/_model.py holds the documented API).
//!
//! Every call that runs the network releases the GIL; inputs are checked and copied
//! before, results turned into numpy arrays after.

use std::path::{Path, PathBuf};

use lenet5::model::Arch;
use lenet5::train::{Checkpoint, EpochMetrics, checkpoint};
use lenet5::{Activations, Model, Prediction};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::arrays::{Images, array};
use crate::errors::OrRaise;
use crate::picture::{self, Picture};

/// A trained LeNet-5 (native half of `lenet5.Model`).
#[pyclass(module = "lenet5._lenet5", frozen)]
pub struct Engine {
    model: Model,
    ckpt: Checkpoint,
    /// The checkpoint's bytes: those it was read from (a file, the bundle), so that
    /// saving a loaded model copies it exactly, or those `lenet5 train` writes.
    bytes: Vec<u8>,
}

/// `"classic"` / `"modern"` → [`Arch`], or a `ValueError` naming the choices.
pub fn parse_arch(name: &str) -> PyResult<Arch> {
    Arch::parse(name).ok_or_else(|| {
        PyValueError::new_err(format!(
            "unknown architecture `{name}`; choose classic or modern"
        ))
    })
}

impl Engine {
    /// The network a checkpoint holds, with the checkpoint (kept for `save`, the
    /// training configuration and the metrics history).
    pub fn from_checkpoint(ckpt: Checkpoint) -> Engine {
        let bytes = checkpoint::to_bytes(&ckpt);
        Engine::from_parts(ckpt, bytes)
    }

    /// A checkpoint read from `bytes`. (Not [`Engine::from_checkpoint`]: serialising a
    /// loaded checkpoint again need not give the same bytes, as the metrics' floats
    /// are not parsed back exactly.)
    fn from_parts(ckpt: Checkpoint, bytes: Vec<u8>) -> Engine {
        Engine {
            model: Model::from_checkpoint(&ckpt),
            ckpt,
            bytes,
        }
    }
}

/// A layer of [`Activations`]: its name, where it is, its shape for one image.
type Layer<'a> = (&'static str, fn(&Activations) -> &[f32], &'a [usize]);

#[pymethods]
impl Engine {
    /// The network bundled in the library (`"classic"` or `"modern"`).
    #[staticmethod]
    fn bundled(arch: &str) -> PyResult<Engine> {
        let (bytes, name) = if arch == lenet5::bundled::READER_NAME {
            (
                lenet5::bundled::READER_BYTES,
                "<bundled reader model>".to_string(),
            )
        } else {
            let arch = parse_arch(arch).map_err(|_| {
                PyValueError::new_err(format!(
                    "unknown bundled model `{arch}`; choose classic, modern or reader"
                ))
            })?;
            (
                lenet5::bundled::bytes(arch),
                format!("<bundled {arch} model>"),
            )
        };
        let ckpt = checkpoint::from_bytes(bytes, Path::new(&name)).or_raise()?;
        Ok(Engine::from_parts(ckpt, bytes.to_vec()))
    }

    /// Loads and verifies a checkpoint written by `lenet5 train` or `save`.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Engine> {
        let (ckpt, bytes) = py
            .detach(|| {
                // The engine's loader checks the size and verifies the file; the bytes
                // it verified are read again to keep, and parsed so both agree.
                checkpoint::load(&path)?;
                let bytes = std::fs::read(&path).map_err(|e| lenet5::Error::io(&path, e))?;
                Ok((checkpoint::from_bytes(&bytes, &path)?, bytes))
            })
            .or_raise()?;
        Ok(Engine::from_parts(ckpt, bytes))
    }

    /// Writes the checkpoint (atomically) to `path`.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| checkpoint::write_atomic(&path, &self.bytes))
            .or_raise()
    }

    /// The checkpoint's bytes, as `save` writes them.
    fn checkpoint_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.bytes)
    }

    /// `"classic"` or `"modern"`.
    #[getter]
    fn arch(&self) -> &'static str {
        self.model.arch().name()
    }

    /// Epochs of training the checkpoint records (0 when unknown).
    #[getter]
    fn epochs(&self) -> usize {
        self.ckpt.epoch
    }

    /// The training configuration as JSON (None when the checkpoint has none).
    fn config_json(&self) -> Option<String> {
        self.ckpt
            .config
            .as_ref()
            .map(|c| serde_json::to_string(c).expect("a configuration serialises"))
    }

    /// The per-epoch metrics, as dicts (`seconds` is 0 for a checkpoint read from
    /// bytes: files keep no timings).
    fn history<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        self.ckpt
            .metrics
            .iter()
            .map(|m| metrics_dict(py, m))
            .collect()
    }

    /// The fixed RBF centres, float32 `[10, 84]` (classic), or None (modern).
    fn rbf_centers<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let c = &self.model.network().centres;
        if c.is_empty() {
            return Ok(None);
        }
        Ok(Some(array(py, c.clone(), &[10, c.len() / 10])?))
    }

    /// Every parameter tensor by its checkpoint name (`c1.weight` `[6, 1, 5, 5]`, ...).
    fn weights<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let params = &self.model.network().params;
        for t in self.model.arch().layout().tensors {
            d.set_item(t.name, array(py, params[t.range()].to_vec(), &t.shape)?)?;
        }
        Ok(d)
    }

    /// Digits `[N]` uint8, probabilities `[N, 10]` and raw outputs `[N, 10]` float32 for
    /// a `[N, 28, 28]` batch.
    fn predict<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let images = Images::extract(x)?;
        let n = images.len();
        let preds = py.detach(|| match &images {
            Images::U8(v) => self.model.forward_batch_28x28(v),
            Images::F32(v) => self.model.forward_batch_f32(v),
        });
        let digits: Vec<u8> = preds.iter().map(|p| p.digit).collect();
        let scores: Vec<f32> = preds.iter().flat_map(|p| p.scores).collect();
        let outputs: Vec<f32> = preds.iter().flat_map(|p| p.outputs).collect();
        Ok((
            array(py, digits, &[n])?,
            array(py, scores, &[n, 10])?,
            array(py, outputs, &[n, 10])?,
        ))
    }

    /// Every layer's outputs for a `[N, 28, 28]` batch, by name, each `[N, ...]`.
    fn activations<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let images = Images::extract(x)?;
        let n = images.len();
        let each: Vec<(Prediction, Activations)> = py.detach(|| match &images {
            Images::U8(v) => v.iter().map(|i| self.model.explain_28x28(i)).collect(),
            Images::F32(v) => v.iter().map(|i| self.model.explain_f32(i)).collect(),
        });
        let side = if self.model.arch() == Arch::Classic {
            32
        } else {
            28
        };
        let side = [side, side];
        let layers: [Layer<'_>; 8] = [
            ("input", |a| &a.input, &side),
            ("C1", |a| &a.c1, &[6, 28, 28]),
            ("S2", |a| &a.s2, &[6, 14, 14]),
            ("C3", |a| &a.c3, &[16, 10, 10]),
            ("S4", |a| &a.s4, &[16, 5, 5]),
            ("C5", |a| &a.c5, &[120]),
            ("F6", |a| &a.f6, &[84]),
            ("output", |a| &a.output, &[10]),
        ];
        let d = PyDict::new(py);
        for (name, get, dims) in layers {
            let len: usize = dims.iter().product();
            let data: Vec<f32> = each
                .iter()
                .flat_map(|(_, a)| get(a)[..len].iter().copied())
                .collect();
            let shape: Vec<usize> = std::iter::once(n).chain(dims.iter().copied()).collect();
            d.set_item(name, array(py, data, &shape)?)?;
        }
        Ok(d)
    }

    /// Recognises the one digit in a picture, as `lenet5 predict FILE` does.
    fn recognise<'py>(&self, py: Python<'py>, picture: &Picture) -> PyResult<Bound<'py, PyDict>> {
        picture::recognise(py, &self.model, &picture.img)
    }

    /// Reads the line of digits in a picture, as `lenet5 read FILE` does.
    fn read<'py>(&self, py: Python<'py>, picture: &Picture) -> PyResult<Bound<'py, PyDict>> {
        picture::read(py, &self.model, &picture.img)
    }
}

/// One epoch's metrics as a dict (the fields of `lenet5.EpochMetrics`).
pub fn metrics_dict<'py>(py: Python<'py>, m: &EpochMetrics) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("epoch", m.epoch)?;
    d.set_item("lr", m.lr)?;
    d.set_item("train_loss", m.train_loss)?;
    d.set_item("train_acc", m.train_acc)?;
    d.set_item("test_loss", m.test_loss)?;
    d.set_item("test_acc", m.test_acc)?;
    d.set_item("test_errors", m.test_errors)?;
    d.set_item("seconds", m.seconds)?;
    d.set_item("images_per_sec", m.images_per_sec)?;
    Ok(d)
}
