//! `lenet5._lenet5`, the native half of the `lenet5` Python package: the engine's
//! model, data loading and training, numpy in and out, the GIL released while the
//! engine works. The documented, Pythonic API is python/lenet5/ (its `.pyi` stub for
//! this module: python/lenet5/_lenet5.pyi).
//!
//! - [`model`]: `Engine` (load, save, predict, activations, recognise, read);
//! - [`train`]: `train` and the loop that gives the GIL back between steps;
//! - [`mnist`]: `load_mnist`, datasets from numpy arrays;
//! - [`arrays`]: batches in, arrays out; [`picture`]: `Picture`, pictures in, verdicts
//!   and readings out;
//! - [`options`]: option names → the engine's enums; [`errors`]: exceptions.

mod arrays;
mod errors;
mod mnist;
mod model;
mod options;
mod picture;
mod train;

use pyo3::prelude::*;
use pyo3::types::PyDict;

#[pymodule]
fn _lenet5(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<model::Engine>()?;
    m.add_class::<picture::Picture>()?;
    m.add_function(wrap_pyfunction!(mnist::load_mnist, m)?)?;
    m.add_function(wrap_pyfunction!(train::train, m)?)?;
    m.add("Lenet5Error", py.get_type::<errors::Lenet5Error>())?;
    m.add("LOW_CONFIDENCE", lenet5::api::LOW_CONFIDENCE)?;
    let presets = PyDict::new(py);
    for p in lenet5::train::PRESETS {
        presets.set_item(p.name, p.about)?;
    }
    m.add("PRESETS", presets)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
