//! numpy in and out: MNIST-style image batches checked and copied in, results as arrays.
//!
//! A batch is a numpy array of shape `[N, 28, 28]` (N images of 28 rows by 28 columns,
//! white ink on black, MNIST's convention), either `uint8` (0-255, fed to the engine as
//! the CLI feeds MNIST) or `float32` in `[0, 1]`. Anything else is a `TypeError` (not an
//! array, another dtype) or a `ValueError` (another shape, a float pixel out of range)
//! that says what was given and what to do.

use numpy::{
    Element, PyArray, PyArray1, PyArray3, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

/// Pixels in one 28x28 image.
pub const PIXELS: usize = 28 * 28;

/// A batch of images, copied out of numpy (so the GIL can be released while the engine
/// reads them, whatever other Python threads do to the array meanwhile).
pub enum Images {
    /// 0-255, white ink 255 on black 0.
    U8(Vec<[u8; PIXELS]>),
    /// 0.0-1.0, white ink 1.0 on black 0.0.
    F32(Vec<[f32; PIXELS]>),
}

impl Images {
    /// Checks `x` (type, shape, dtype, float range) and copies its pixels.
    pub fn extract(x: &Bound<'_, PyAny>) -> PyResult<Images> {
        let Ok(arr) = x.cast::<PyUntypedArray>() else {
            return Err(PyTypeError::new_err(format!(
                "expected a numpy array of shape [N, 28, 28] (uint8 0-255, or float32 0.0-1.0), got {}",
                x.get_type().name()?
            )));
        };
        let shape = arr.shape();
        if shape.len() != 3 || shape[1] != 28 || shape[2] != 28 {
            let hint = if shape == [28, 28] {
                "; for one image pass x[None] (shape [1, 28, 28])"
            } else {
                ""
            };
            return Err(PyValueError::new_err(format!(
                "expected an array of shape [N, 28, 28] (N images of 28x28 pixels, MNIST's convention), got shape {shape:?}{hint}"
            )));
        }
        if let Ok(a) = x.cast::<PyArray3<u8>>() {
            return Ok(Images::U8(copy_images(a)?));
        }
        if let Ok(a) = x.cast::<PyArray3<f32>>() {
            let images = copy_images(a)?;
            check_unit_range(&images)?;
            return Ok(Images::F32(images));
        }
        Err(PyTypeError::new_err(format!(
            "expected dtype uint8 (pixels 0-255) or float32 (pixels 0.0-1.0), got {}; \
             convert with x.astype(np.uint8) or x.astype(np.float32)",
            arr.dtype()
        )))
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        match self {
            Images::U8(v) => v.len(),
            Images::F32(v) => v.len(),
        }
    }
}

/// The images of a `[N, 28, 28]` array, any memory layout, in index order.
fn copy_images<T: Element + Copy + Default>(
    a: &Bound<'_, PyArray3<T>>,
) -> PyResult<Vec<[T; PIXELS]>> {
    let ro = a
        .try_readonly()
        .map_err(|e| PyValueError::new_err(format!("cannot read the array: {e}")))?;
    if let Ok(flat) = ro.as_slice() {
        return Ok(flat.as_chunks::<PIXELS>().0.to_vec());
    }
    let view = ro.as_array();
    Ok(view
        .outer_iter()
        .map(|img| {
            let mut out = [T::default(); PIXELS];
            for (o, &v) in out.iter_mut().zip(img.iter()) {
                *o = v;
            }
            out
        })
        .collect())
}

/// Float pixels must be in [0, 1]: 0-255 values given as floats would otherwise be
/// silently read as a blown-out picture.
fn check_unit_range(images: &[[f32; PIXELS]]) -> PyResult<()> {
    for (n, img) in images.iter().enumerate() {
        if let Some(i) = img.iter().position(|v| !(0.0..=1.0).contains(v)) {
            return Err(PyValueError::new_err(format!(
                "float32 pixels must be in [0, 1] (white ink 1.0 on black 0.0); image {n} has {} \
                 at row {}, column {}; divide 0-255 values by 255, or pass them as uint8",
                img[i],
                i / 28,
                i % 28
            )));
        }
    }
    Ok(())
}

/// A numpy array of `shape` holding `data` (row-major).
pub fn array<'py, T: Element>(
    py: Python<'py>,
    data: Vec<T>,
    shape: &[usize],
) -> PyResult<Bound<'py, PyAny>> {
    Ok(PyArray::from_vec(py, data)
        .reshape(shape.to_vec())?
        .into_any())
}

/// A one-dimensional numpy array.
pub fn vector<'py, T: Element>(py: Python<'py>, data: Vec<T>) -> Bound<'py, PyArray1<T>> {
    PyArray1::from_vec(py, data)
}
