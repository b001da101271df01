//! MNIST (or any dataset in its IDX format) between disk, the engine and numpy.

use std::path::{Path, PathBuf};

use lenet5::data::{Dataset, Mnist, mnist};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::arrays::{Images, array};
use crate::errors::OrRaise;

/// The folder a front end reads: `dir` if given, else `$LENET5_DATA`, else
/// `./data/mnist` (the CLI's rule).
pub fn data_dir(dir: Option<&Path>) -> PathBuf {
    mnist::resolve_data_dir(dir)
}

/// Loads both splits from `dir` (see [`data_dir`]) with the GIL released.
pub fn load(py: Python<'_>, dir: Option<&Path>) -> PyResult<Mnist> {
    let dir = data_dir(dir);
    py.detach(|| mnist::load(&dir)).or_raise()
}

type Split<'py> = (Bound<'py, PyAny>, Bound<'py, PyAny>);

/// A split as numpy arrays: images uint8 `[N, rows, cols]`, labels uint8 `[N]`.
fn split_arrays<'py>(py: Python<'py>, ds: Dataset) -> PyResult<Split<'py>> {
    let n = ds.len();
    Ok((
        array(py, ds.images, &[n, ds.rows, ds.cols])?,
        array(py, ds.labels, &[n])?,
    ))
}

/// `((train_images, train_labels), (test_images, test_labels))` from the IDX files in
/// `dir` (default: `$LENET5_DATA`, else `./data/mnist`).
#[pyfunction]
#[pyo3(signature = (dir=None))]
pub fn load_mnist(py: Python<'_>, dir: Option<PathBuf>) -> PyResult<(Split<'_>, Split<'_>)> {
    let m = load(py, dir.as_deref())?;
    Ok((split_arrays(py, m.train)?, split_arrays(py, m.test)?))
}

/// A split from numpy arrays: uint8 images `[N, 28, 28]` and uint8 labels `[N]` (0-9).
/// `what` names the split in messages.
pub fn dataset_from_arrays(
    what: &str,
    images: &Bound<'_, PyAny>,
    labels: &Bound<'_, PyAny>,
) -> PyResult<Dataset> {
    let pixels = match Images::extract(images)? {
        Images::U8(v) => v,
        Images::F32(_) => {
            return Err(PyTypeError::new_err(format!(
                "the {what} images must be uint8 (0-255), as load_mnist returns them"
            )));
        }
    };
    let Ok(labels) = labels.cast::<PyArray1<u8>>() else {
        return Err(PyTypeError::new_err(format!(
            "the {what} labels must be a uint8 numpy array of shape [N] (digits 0-9)"
        )));
    };
    let labels: Vec<u8> = labels.try_readonly()?.as_array().to_vec();
    if labels.len() != pixels.len() {
        return Err(PyValueError::new_err(format!(
            "{} {what} images but {} labels",
            pixels.len(),
            labels.len()
        )));
    }
    if let Some(i) = labels.iter().position(|&l| l > 9) {
        return Err(PyValueError::new_err(format!(
            "{what} label {i} is {}; labels are digits 0-9",
            labels[i]
        )));
    }
    Ok(Dataset {
        images: pixels.concat(),
        labels,
        rows: 28,
        cols: 28,
    })
}
