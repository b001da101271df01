//! A line of digits in a picture → the engine's reading ([`Model::read`]), as
//! `lenet5 read --json` and the server's `POST /api/read` give it: the number mode of
//! the page. The answer is JSON only: text, confidence, blank, inverted, note, and each
//! digit with its box in picture pixels, its ten probabilities and its runner-up.

use lenet5::Model;

use super::abi::{Out, call, input};
use super::recognise::{picture_from_file, picture_from_rgba, with_model};

/// Reads the number on a canvas: `width`x`height` RGBA pixels (as `getImageData` gives
/// them).
///
/// # Safety
/// `(ptr, len)` must be a buffer from `lenet5_alloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lenet5_read_rgba(
    h: i32,
    ptr: *const u8,
    len: usize,
    width: u32,
    height: u32,
) -> i32 {
    // SAFETY: the caller's contract.
    let bytes = unsafe { input(ptr, len) };
    call(|out| {
        let img = picture_from_rgba(bytes, width, height)?;
        with_model(h, |m| reading(m, &img, out))
    })
}

/// Reads the number in a picture file (PNG, JPEG, BMP or PGM).
///
/// # Safety
/// `(ptr, len)` must be a buffer from `lenet5_alloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lenet5_read_image(h: i32, ptr: *const u8, len: usize) -> i32 {
    // SAFETY: the caller's contract.
    let bytes = unsafe { input(ptr, len) };
    call(|out| {
        let img = picture_from_file(bytes)?;
        with_model(h, |m| reading(m, &img, out))
    })
}

fn reading(model: &Model, img: &image::DynamicImage, out: &mut Out) -> Result<i32, String> {
    out.json = serde_json::to_string(&model.read(img)).map_err(|e| e.to_string())?;
    Ok(0)
}
