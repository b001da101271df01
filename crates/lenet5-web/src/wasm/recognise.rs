//! Networks from checkpoint bytes, and what they make of a picture: the same steps as
//! `lenet5 serve` (decode, [`preprocess`], [`Model::explain_28x28`]), in the page.
//!
//! An answer is JSON (digit, blank, inverted, the ink's box, the 28x28 input, and where
//! each layer's output lies in the floats) plus `f32`s: the 10 outputs, the 10 scores,
//! then every layer's output, input to output (exact bits: the parity test reads them).

use std::cell::RefCell;
use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageReader, RgbaImage};
use lenet5::data::image::{Preprocessed, decode_image, preprocess};
use lenet5::model::Arch;
use lenet5::model::summary::{summary, trainable_params};
use lenet5::nn::rbf::{GLYPH_H, GLYPH_W, GLYPHS};
use lenet5::{Activations, Model, Prediction};
use serde_json::{Value, json};

use super::abi::{Out, Table, call, input};

/// Largest width or height of a picture (as `lenet5 serve`): decoding a larger one
/// could exhaust the module's memory, which would end the page.
pub const MAX_IMAGE_SIDE: u32 = 4096;

thread_local! {
    static MODELS: RefCell<Table<Model>> = const { RefCell::new(Table::new()) };
}

/// Runs `f` on model `h`.
pub fn with_model<R>(h: i32, f: impl FnOnce(&Model) -> Result<R, String>) -> Result<R, String> {
    MODELS.with(|m| f(m.borrow_mut().get_mut(h, "network")?))
}

/// Adds a network to the table; its handle.
pub fn insert_model(model: Model) -> i32 {
    MODELS.with(|m| m.borrow_mut().insert(model))
}

/// The network's description, the fields of one model in the server's `GET /api/model`
/// (computed by the engine: layers, parameters, connections) and the RBF bitmaps.
pub fn info(model: &Model) -> Value {
    let arch = model.arch();
    let rows = summary(arch);
    let layers = json!(rows);
    json!({
        "arch": arch.name(),
        "input": [1, input_side(arch), input_side(arch)],
        "layers": layers,
        "trainable_params": trainable_params(arch),
        "connections": rows.iter().map(|l| l.connections).sum::<usize>(),
        "glyphs": {"width": GLYPH_W, "height": GLYPH_H, "bitmaps": GLYPHS},
    })
}

fn input_side(arch: Arch) -> usize {
    if arch == Arch::Classic { 32 } else { 28 }
}

/// Loads a checkpoint (bytes as `lenet5 train` writes them, verified); returns its handle
/// and leaves [`info`] in the JSON buffer.
///
/// # Safety
/// `(ptr, len)` must be a buffer from `lenet5_alloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lenet5_model_load(ptr: *const u8, len: usize) -> i32 {
    // SAFETY: the caller's contract.
    let bytes = unsafe { input(ptr, len) };
    call(|out| {
        let model = Model::from_checkpoint_bytes(bytes, "checkpoint").map_err(|e| e.to_string())?;
        out.json = info(&model).to_string();
        Ok(insert_model(model))
    })
}

/// Frees network `h`.
#[unsafe(no_mangle)]
pub extern "C" fn lenet5_model_drop(h: i32) {
    MODELS.with(|m| m.borrow_mut().remove(h));
}

/// Recognises the picture on a canvas: `width`x`height` RGBA pixels (as `getImageData`
/// gives them), preprocessed like an uploaded picture. `activations` != 0: every layer's
/// output too.
///
/// # Safety
/// `(ptr, len)` must be a buffer from `lenet5_alloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lenet5_recognise_rgba(
    h: i32,
    ptr: *const u8,
    len: usize,
    width: u32,
    height: u32,
    activations: i32,
) -> i32 {
    // SAFETY: the caller's contract.
    let bytes = unsafe { input(ptr, len) };
    call(|out| {
        let pre = preprocess(&picture_from_rgba(bytes, width, height)?);
        with_model(h, |m| {
            answer(m, &pre, activations != 0, out);
            Ok(0)
        })
    })
}

/// Recognises a picture file (PNG, JPEG, BMP or PGM, at most [`MAX_IMAGE_SIDE`] pixels a
/// side), preprocessed as `lenet5 serve` does.
///
/// # Safety
/// `(ptr, len)` must be a buffer from `lenet5_alloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lenet5_recognise_image(
    h: i32,
    ptr: *const u8,
    len: usize,
    activations: i32,
) -> i32 {
    // SAFETY: the caller's contract.
    let bytes = unsafe { input(ptr, len) };
    call(|out| {
        let pre = preprocess(&picture_from_file(bytes)?);
        with_model(h, |m| {
            answer(m, &pre, activations != 0, out);
            Ok(0)
        })
    })
}

/// Recognises 784 MNIST-style pixels (row-major 28x28, 0 = background, 255 = ink) as
/// they are, without preprocessing (the server's JSON `pixels`).
///
/// # Safety
/// `(ptr, len)` must be a buffer from `lenet5_alloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lenet5_recognise_pixels(
    h: i32,
    ptr: *const u8,
    len: usize,
    activations: i32,
) -> i32 {
    // SAFETY: the caller's contract.
    let bytes = unsafe { input(ptr, len) };
    call(|out| {
        let pixels = Model::pixels_from_slice(bytes).map_err(|e| e.to_string())?;
        let pre = Preprocessed {
            pixels,
            blank: pixels.iter().all(|&p| p == 0),
            inverted: false,
            ink_bbox: None,
        };
        with_model(h, |m| {
            answer(m, &pre, activations != 0, out);
            Ok(0)
        })
    })
}

/// Runs `n` = `len / 784` MNIST-style images through the network in one batch; the
/// floats are, per image, its 10 outputs then its 10 scores. Returns `n`.
///
/// # Safety
/// `(ptr, len)` must be a buffer from `lenet5_alloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lenet5_forward_batch(h: i32, ptr: *const u8, len: usize) -> i32 {
    // SAFETY: the caller's contract.
    let bytes = unsafe { input(ptr, len) };
    call(|out| {
        if bytes.is_empty() || bytes.len() % 784 != 0 {
            return Err(format!(
                "expected a whole number of 784-pixel images, got {} bytes",
                bytes.len()
            ));
        }
        let images: Vec<[u8; 784]> = bytes
            .chunks_exact(784)
            .map(|c| std::array::from_fn(|i| c[i]))
            .collect();
        let preds = with_model(h, |m| Ok(m.forward_batch_28x28(&images)))?;
        for p in &preds {
            out.floats.extend_from_slice(&p.outputs);
            out.floats.extend_from_slice(&p.scores);
        }
        i32::try_from(preds.len()).map_err(|e| e.to_string())
    })
}

/// A canvas's `width`x`height` RGBA pixels (as `getImageData` gives them) as a picture.
pub fn picture_from_rgba(bytes: &[u8], width: u32, height: u32) -> Result<DynamicImage, String> {
    check_side(width, height)?;
    if width as usize * height as usize * 4 != bytes.len() {
        return Err(format!(
            "{width}x{height} RGBA pixels are {} bytes, got {}",
            width as usize * height as usize * 4,
            bytes.len()
        ));
    }
    let img = RgbaImage::from_raw(width, height, bytes.to_vec())
        .ok_or("the pixels do not fill the picture")?;
    Ok(DynamicImage::ImageRgba8(img))
}

/// A picture file's bytes (PNG, JPEG, BMP or PGM, at most [`MAX_IMAGE_SIDE`] pixels a
/// side, checked from the header before decoding) as a picture.
pub fn picture_from_file(bytes: &[u8]) -> Result<DynamicImage, String> {
    if bytes.is_empty() {
        return Err("the file is empty".into());
    }
    let (w, h) = dimensions(bytes)?;
    check_side(w, h)?;
    decode_image(bytes, Path::new("the file")).map_err(|e| e.to_string())
}

fn check_side(w: u32, h: u32) -> Result<(), String> {
    if w == 0 || h == 0 {
        return Err(format!("the picture is {w}x{h} pixels: nothing to see"));
    }
    if w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE {
        return Err(format!(
            "the picture is {w}x{h} pixels; at most {MAX_IMAGE_SIDE} a side is accepted, scale it down"
        ));
    }
    Ok(())
}

/// The size a picture file says it has, read from its header before decoding.
fn dimensions(bytes: &[u8]) -> Result<(u32, u32), String> {
    const NOT_AN_IMAGE: &str = "the file is not a PNG, JPEG, BMP or PGM image";
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| NOT_AN_IMAGE.to_string())?;
    if reader.format().is_none() {
        return Err(NOT_AN_IMAGE.into());
    }
    reader
        .into_dimensions()
        .map_err(|e| format!("the image cannot be read: {e}"))
}

/// Runs the network on `pre` and writes the answer (see the module documentation).
fn answer(model: &Model, pre: &Preprocessed, with_activations: bool, out: &mut Out) {
    let (p, act): (Prediction, Option<Activations>) = if with_activations {
        let (p, a) = model.explain_28x28(&pre.pixels);
        (p, Some(a))
    } else {
        (model.forward_28x28(&pre.pixels), None)
    };
    out.floats.extend_from_slice(&p.outputs);
    out.floats.extend_from_slice(&p.scores);
    let mut layers = Vec::new();
    if let Some(a) = act {
        let arch = model.arch();
        let side = input_side(arch);
        // Names and shapes from the engine's summary, one row per layer after the input.
        let rows = summary(arch);
        let layer = |i: usize| match rows.get(i) {
            Some(r) if r.output.1 * r.output.2 > 1 => {
                (r.name, vec![r.output.0, r.output.1, r.output.2])
            }
            Some(r) => (r.name, vec![r.output.0]),
            None => ("?", vec![0]),
        };
        let table: [(&str, (&str, Vec<usize>)); 8] = [
            ("input", ("input", vec![1, side, side])),
            ("c1", layer(0)),
            ("s2", layer(1)),
            ("c3", layer(2)),
            ("s4", layer(3)),
            ("c5", layer(4)),
            ("f6", layer(5)),
            ("output", layer(6)),
        ];
        let data = [
            &a.input, &a.c1, &a.s2, &a.c3, &a.s4, &a.c5, &a.f6, &a.output,
        ];
        for ((key, (name, shape)), data) in table.into_iter().zip(data) {
            layers.push(json!({
                "key": key,
                "name": name,
                "shape": shape,
                "offset": out.floats.len(),
                "len": data.len(),
            }));
            out.floats.extend_from_slice(data);
        }
    }
    out.json = json!({
        "arch": model.arch().name(),
        "digit": p.digit,
        "blank": pre.blank,
        "inverted": pre.inverted,
        "ink_bbox": pre.ink_bbox.map(|(x, y, w, h)| [x, y, w, h]),
        "input": pre.pixels.as_slice(),
        "layers": layers,
    })
    .to_string();
}
