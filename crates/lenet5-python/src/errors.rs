//! The engine's errors as Python exceptions, with the engine's messages.
//!
//! | engine error | Python exception |
//! |---|---|
//! | `Io` (file not found) | `FileNotFoundError` |
//! | `Io` (any other) | `OSError` |
//! | `Usage` (a bad option or argument) | `ValueError` |
//! | `Format`, `Checkpoint`, `Data`, `Download` | `lenet5.Lenet5Error` |
//!
//! Bad arrays are `TypeError` (not an array, wrong dtype) or `ValueError` (wrong shape,
//! pixels out of range): see `arrays.rs`.

use pyo3::PyErr;
use pyo3::exceptions::{PyException, PyFileNotFoundError, PyOSError, PyValueError};

pyo3::create_exception!(
    lenet5,
    Lenet5Error,
    PyException,
    "A data file, picture or checkpoint that lenet5 cannot use (corrupt, truncated, wrong \
     format or shape), or a dataset that cannot be found. The message names the file and \
     what is wrong."
);

/// `lenet5::Error` → the Python exception above, message unchanged.
pub fn to_py(e: lenet5::Error) -> PyErr {
    let msg = e.to_string();
    match e {
        lenet5::Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            PyFileNotFoundError::new_err(msg)
        }
        lenet5::Error::Io { .. } => PyOSError::new_err(msg),
        lenet5::Error::Usage(_) => PyValueError::new_err(msg),
        lenet5::Error::Format { .. }
        | lenet5::Error::Checkpoint { .. }
        | lenet5::Error::Data(_)
        | lenet5::Error::Download(_) => Lenet5Error::new_err(msg),
    }
}

/// `Result<T, lenet5::Error>` → `PyResult<T>`.
pub trait OrRaise<T> {
    fn or_raise(self) -> pyo3::PyResult<T>;
}

impl<T> OrRaise<T> for lenet5::Result<T> {
    fn or_raise(self) -> pyo3::PyResult<T> {
        self.map_err(to_py)
    }
}
