//! Pictures (any size, photo or scan) → what the network made of them, through the
//! engine's own code: one digit as `lenet5 predict` sees it ([`recognise`]), a line of
//! digits as `lenet5 read` reads it ([`read`]).
//!
//! A picture comes as a file (decoded by the engine: PNG, JPEG, BMP, PGM; EXIF
//! orientation applied), as the bytes of such a file, or as raw pixels (a PIL image or
//! a numpy array, converted by the Python side to one of [`MODES`]); either way it
//! becomes a [`Picture`], which both actions take.

use std::path::Path;

use image::{DynamicImage, GrayImage, ImageBuffer, LumaA, Rgb, Rgba};
use lenet5::read::Reading;
use lenet5::{Model, Recognition};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::arrays::{array, vector};
use crate::errors::OrRaise;

/// A decoded picture, ready for [`recognise`] or [`read`] (native half of what
/// python/lenet5/_pictures.py builds from a path, bytes, a PIL image or an array).
#[pyclass(module = "lenet5._lenet5", frozen)]
pub struct Picture {
    pub img: DynamicImage,
}

#[pymethods]
impl Picture {
    /// A picture read from an image file.
    #[staticmethod]
    fn from_file(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Picture> {
        let img = py.detach(|| from_file(&path)).or_raise()?;
        Ok(Picture { img })
    }

    /// A picture decoded from the bytes of an image file (`name`: for messages).
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8], name: &str) -> PyResult<Picture> {
        let img = py.detach(|| from_bytes(data, name)).or_raise()?;
        Ok(Picture { img })
    }

    /// A picture from raw pixels, row-major (`mode`: L, LA, RGB, RGBA or I;16).
    #[staticmethod]
    fn from_pixels(mode: &str, width: u32, height: u32, data: &[u8]) -> PyResult<Picture> {
        let img = from_pixels(mode, width, height, data.to_vec())?;
        Ok(Picture { img })
    }

    /// `(width, height)` in pixels.
    #[getter]
    fn size(&self) -> (u32, u32) {
        (self.img.width(), self.img.height())
    }
}

/// The raw pixel layouts accepted (PIL's mode names): 8-bit grey, grey + alpha, RGB,
/// RGBA, and 16-bit grey (little-endian).
pub const MODES: [&str; 5] = ["L", "LA", "RGB", "RGBA", "I;16"];

/// A picture from raw pixels, row-major, `mode` one of [`MODES`].
fn from_pixels(mode: &str, width: u32, height: u32, data: Vec<u8>) -> PyResult<DynamicImage> {
    let channels = match mode {
        "L" => 1,
        "LA" | "I;16" => 2,
        "RGB" => 3,
        "RGBA" => 4,
        _ => {
            return Err(PyValueError::new_err(format!(
                "unsupported pixel mode `{mode}`; expected one of {}",
                MODES.join(", ")
            )));
        }
    };
    let want = width as usize * height as usize * channels;
    if data.len() != want {
        return Err(PyValueError::new_err(format!(
            "a {width}x{height} {mode} picture has {want} bytes, got {}",
            data.len()
        )));
    }
    let img =
        match mode {
            "L" => GrayImage::from_raw(width, height, data).map(DynamicImage::ImageLuma8),
            "LA" => ImageBuffer::<LumaA<u8>, _>::from_raw(width, height, data)
                .map(DynamicImage::ImageLumaA8),
            "RGB" => ImageBuffer::<Rgb<u8>, _>::from_raw(width, height, data)
                .map(DynamicImage::ImageRgb8),
            "RGBA" => ImageBuffer::<Rgba<u8>, _>::from_raw(width, height, data)
                .map(DynamicImage::ImageRgba8),
            _ => {
                let wide: Vec<u16> = data
                    .chunks_exact(2)
                    .map(|b| u16::from_le_bytes([b[0], b[1]]))
                    .collect();
                ImageBuffer::from_raw(width, height, wide).map(DynamicImage::ImageLuma16)
            }
        };
    img.ok_or_else(|| PyValueError::new_err("picture size and data do not match"))
}

/// A picture decoded from the bytes of an image file; `name` is what errors call it.
fn from_bytes(bytes: &[u8], name: &str) -> lenet5::Result<DynamicImage> {
    lenet5::data::image::decode_image(bytes, Path::new(name))
}

/// A picture read from a file.
fn from_file(path: &Path) -> lenet5::Result<DynamicImage> {
    lenet5::data::image::load_image(path)
}

/// Recognises `img` with the GIL released; the verdicts as a dict (see `Recognition`
/// in python/lenet5/_results.py).
pub fn recognise<'py>(
    py: Python<'py>,
    model: &Model,
    img: &DynamicImage,
) -> PyResult<Bound<'py, PyDict>> {
    let r: Recognition = py.detach(|| model.recognise(img));
    let p = &r.prediction;
    let d = PyDict::new(py);
    d.set_item("digit", r.digit())?;
    d.set_item("confidence", p.confidence())?;
    d.set_item("probabilities", vector(py, p.scores.to_vec()))?;
    d.set_item("outputs", vector(py, p.outputs.to_vec()))?;
    d.set_item("low_confidence", r.low_confidence())?;
    d.set_item("blank", r.blank())?;
    d.set_item("inverted", r.input.inverted)?;
    d.set_item("input", array(py, r.input.pixels.to_vec(), &[28, 28])?)?;
    Ok(d)
}

/// Reads the line of digits in `img` with the GIL released, as `lenet5 read` does; the
/// reading as a dict (see `Reading` in python/lenet5/_results.py): text, confidence,
/// blank, inverted, note, and each digit's digit, confidence, runner-up, probabilities
/// and box `(x, y, width, height)` in picture pixels.
pub fn read<'py>(
    py: Python<'py>,
    model: &Model,
    img: &DynamicImage,
) -> PyResult<Bound<'py, PyDict>> {
    let r: Reading = py.detach(|| model.read(img));
    let d = PyDict::new(py);
    d.set_item("text", &r.text)?;
    d.set_item("confidence", r.confidence)?;
    d.set_item("blank", r.blank)?;
    d.set_item("inverted", r.inverted)?;
    d.set_item("note", r.note.as_deref())?;
    let mut digits = Vec::with_capacity(r.digits.len());
    for g in &r.digits {
        let e = PyDict::new(py);
        e.set_item("digit", g.digit)?;
        e.set_item("confidence", g.confidence)?;
        e.set_item("runner_up", g.runner_up)?;
        e.set_item("probabilities", vector(py, g.scores.to_vec()))?;
        e.set_item("box", g.bbox)?;
        digits.push(e);
    }
    d.set_item("digits", digits)?;
    Ok(d)
}
