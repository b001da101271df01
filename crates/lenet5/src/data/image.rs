//! A user's own picture of a digit → a 28x28 MNIST-style image.
//!
//! MNIST digits are white ink (255) on black (0). Each was size-normalised so that its
//! bounding box fits a 20x20 box (aspect ratio kept, anti-aliased), then placed in the 28x28
//! field so that its centre of mass is at the centre. (Measured on the MNIST test set: the
//! longest side of the box of non-zero pixels is 20 in 9997 of 10000 images, the centre of
//! mass in pixel-index coordinates is (14.0, 14.0) with a spread of ±0.3 — the shift was
//! rounded to whole pixels — and the brightest pixel is 254 or 255.) A photo or a drawing
//! from a canvas, usually dark ink on light paper and of any size, is garbage to the network
//! unless it goes through the same steps. [`preprocess`] does them:
//!
//! 1. **Grey, early downscale.** Each pixel becomes a luminance in `0..=1` (Rec. 601
//!    weights `0.299 R + 0.587 G + 0.114 B`), with any alpha channel composited on *white*
//!    (a transparent background counts as paper). Images larger than
//!    [`WORKING_MAX_SIDE`] pixels on their long side are reduced by an integer box filter
//!    (mean of each `k x k` block) in the same pass, so a 10000x10000 picture costs one read
//!    of its pixels and a 500x500 working plane, never a float copy of the whole picture.
//!    The pass also keeps the darkest and brightest pixel of every block, so thin strokes
//!    are not averaged away while the ink is being located.
//! 2. **Polarity.** The background level is the median of the outer frame of the working
//!    plane (a frame about 1/40 of the short side thick, at least 1 pixel). A light
//!    background (≥ 0.6) means dark ink, a dark one (≤ 0.4) light ink, which is inverted
//!    first so every later stage sees dark ink on light paper; in between (a photo half in
//!    shadow) the frame's brightest part decides. [`Preprocessed::inverted`] records it.
//! 3. **The paper stages** ([`crate::data::paper`], shared with the number reader): the
//!    paper's own brightness at every pixel by a morphological closing, ink as
//!    `1 − v / background`, normalised by a robust peak (a picture whose strongest ink is
//!    under [`MIN_CONTRAST`] is **blank**; values under [`NOISE_FLOOR`] of the peak become
//!    0); ruled and squared paper lines found by a near-axis Hough transform and divided
//!    out; for a noisy picture (a photo) the ink averaged over 3x3 and what noise alone
//!    could make dropped; the ink normalised again without the lines.
//! 4. **The digit.** The heaviest blob of ink (preferring one inside the frame), with the
//!    blobs near it that are not specks (under [`SPECK_FRACTION`] of it) nor the end of a
//!    paper line; everything else is erased. A box covering most of the picture and mostly
//!    inked is texture or noise: no digit. `lenet5 predict --show-steps` draws these
//!    stages.
//! 5. **Crop to the ink.** The digit's bounding box is the crop, its ink stretched to full
//!    strength. When step 1 downscaled, the box (plus one block of margin) is read again
//!    from the original picture at the finest resolution that keeps it within
//!    [`WORKING_MAX_SIDE`], and the stages are repeated there with the same polarity and
//!    paper level (keeping only what lies next to the ink chosen in step 4), so a small
//!    digit in a huge photo keeps its detail. [`Preprocessed::ink_bbox`] gives the box in
//!    the input's pixel coordinates.
//! 6. **Scale into 20x20.** The crop is scaled so its longer side is about [`BOX`] = 20
//!    pixels and the other side keeps the aspect ratio, by exact area averaging (each output
//!    pixel is the coverage-weighted mean of the input under it; a crop shorter than 40
//!    pixels is first enlarged with bilinear interpolation so this is always a reduction).
//! 7. **Centre by mass.** The digit is placed in the 28x28 field with sub-pixel precision so
//!    that its centre of mass (pixel-index coordinates) is at (14, 14). MNIST rounded the
//!    shift to whole pixels; that makes symmetric digits (whose centre falls exactly between
//!    two pixels) jump by a pixel on the slightest change, so here the shift is exact and
//!    continuous. A box shifted by a fraction of a pixel straddles one pixel more, so the
//!    long side is `20 - d` with the smallest `d` in `0..=1` that keeps the ink within 20
//!    pixels per side: the digit spans 19–20 pixels, like MNIST's 20. If centring would
//!    push part of the box off the field, the shift is clamped so the box stays inside
//!    (the centre of mass is then off-centre, where MNIST would have clipped the digit).
//!    Finally values are rescaled so the brightest pixel is 1, as in MNIST.
//! 8. **Quantise** to `u8` (`round(255·v)`).
//!
//! An image with an alpha channel whose visible content is blank (e.g. white strokes on a
//! transparent canvas, which composite to white on white) is tried once more using its
//! alpha channel as the ink.
//!
//! Photos with EXIF orientation are turned upright by [`load_image`] / [`decode_image`].
//! Decoding is limited to [`MAX_DIMENSION`] pixels a side and [`MAX_DECODE_BYTES`] of pixel
//! memory, so a decompression bomb is an error, not an out-of-memory abort.

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Seek};
use std::path::Path;

use ::image::metadata::Orientation;
pub use ::image::{DynamicImage, GrayImage};
use ::image::{ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};

use super::paper;
#[cfg(test)]
use super::paper::{box_mean, running_extreme};
use crate::error::{Error, Result};

/// Side of an MNIST image.
pub const SIDE: usize = 28;
/// Longer side of the digit's box after size normalisation.
pub const BOX: usize = 20;
/// The long side of the working plane: larger inputs are box-filtered down to this first.
pub const WORKING_MAX_SIDE: u32 = 512;
/// Minimum deviation from the background (on `0..=1`) that counts as ink at all.
pub const MIN_CONTRAST: f32 = 0.1;
/// Ink weaker than this fraction of the peak is noise and becomes 0.
pub const NOISE_FLOOR: f32 = 0.15;
/// Blobs lighter than this fraction of the heaviest blob are specks and are erased.
pub const SPECK_FRACTION: f32 = 0.025;
/// Largest width or height [`load_image`] / [`decode_image`] accept.
pub const MAX_DIMENSION: u32 = 16384;
/// Most memory the decoder may allocate for one image (512 MiB).
pub const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

/// The 28x28 result of [`preprocess`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preprocessed {
    /// MNIST-style pixels, row-major 28x28: white ink (255) on black (0).
    pub pixels: [u8; SIDE * SIDE],
    /// No ink was found (uniform or nearly uniform image); `pixels` are then all 0.
    pub blank: bool,
    /// The input was dark ink on a light background and was inverted (for a blank image:
    /// the background was light).
    pub inverted: bool,
    /// The ink's bounding box in the input's pixel coordinates, as `(x, y, width, height)`;
    /// `None` when blank.
    pub ink_bbox: Option<(u32, u32, u32, u32)>,
}

impl Preprocessed {
    fn blank(inverted: bool) -> Self {
        Preprocessed {
            pixels: [0; SIDE * SIDE],
            blank: true,
            inverted,
            ink_bbox: None,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------

const NOT_AN_IMAGE: &str = "not a PNG/JPEG/BMP/PGM image";

/// Reads and decodes the image file at `path` (PNG, JPEG, BMP or PGM/PNM, recognised by
/// content, not by extension), turned upright by its EXIF orientation if it has one.
///
/// Errors: [`Error::Io`] if the file cannot be read; [`Error::Format`] naming the file if it
/// is not such an image, is corrupt or truncated, or is too large to decode safely.
pub fn load_image(path: &Path) -> Result<DynamicImage> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if len == 0 {
        return Err(Error::format(
            path,
            format!("{NOT_AN_IMAGE} (the file is empty)"),
        ));
    }
    decode_from(BufReader::new(file), len, path)
}

/// Decodes an image held in memory; `name_for_errors` is the name error messages give it.
/// Same formats, limits and errors as [`load_image`].
pub fn decode_image(bytes: &[u8], name_for_errors: &Path) -> Result<DynamicImage> {
    if bytes.is_empty() {
        return Err(Error::format(
            name_for_errors,
            format!("{NOT_AN_IMAGE} (it is empty)"),
        ));
    }
    decode_from(Cursor::new(bytes), bytes.len() as u64, name_for_errors)
}

/// Most pixels a JPEG file can really encode per byte. Even a progressive grayscale JPEG
/// spends at least one bit per 8x8 block on its DC scan (512 pixels a byte); a baseline
/// colour one needs about 170. A file claiming far more is truncated or hostile, and the
/// decoder would pad it out at full cost (the `image` fuzz target found an 800-byte JPEG
/// claiming 12554x2384 pixels: seconds of CPU and 90 MB for nothing).
pub const MAX_JPEG_PIXELS_PER_BYTE: u64 = 2048;

fn decode_from<R: BufRead + Seek>(reader: R, len: u64, name: &Path) -> Result<DynamicImage> {
    let mut reader = ImageReader::new(reader)
        .with_guessed_format()
        .map_err(|e| Error::io(name, e))?;
    let format = match reader.format() {
        Some(f @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Bmp | ImageFormat::Pnm)) => f,
        Some(other) => {
            return Err(Error::format(
                name,
                format!(
                    "{NOT_AN_IMAGE} (it looks like a {} image, which is not supported)",
                    format!("{other:?}").to_uppercase()
                ),
            ));
        }
        None => {
            return Err(Error::format(
                name,
                format!("{NOT_AN_IMAGE} (unrecognised file signature)"),
            ));
        }
    };
    let kind = format_name(format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);

    let mut decoder = reader
        .into_decoder()
        .map_err(|e| decode_error(name, kind, e))?;
    let (w, h) = decoder.dimensions();
    if w > MAX_DIMENSION || h > MAX_DIMENSION {
        return Err(Error::format(
            name,
            format!(
                "{kind} image is {w}x{h} pixels; at most {MAX_DIMENSION}x{MAX_DIMENSION} is accepted"
            ),
        ));
    }
    if w == 0 || h == 0 {
        return Err(Error::format(
            name,
            format!("{kind} image has no pixels ({w}x{h})"),
        ));
    }
    let pixels = u64::from(w) * u64::from(h);
    if format == ImageFormat::Jpeg && pixels > len.saturating_mul(MAX_JPEG_PIXELS_PER_BYTE) {
        return Err(Error::format(
            name,
            format!(
                "{kind} image claims {w}x{h} pixels but the file has only {len} bytes; \
                 it is truncated or corrupt"
            ),
        ));
    }
    let needed = decoder.total_bytes();
    if needed > MAX_DECODE_BYTES {
        return Err(Error::format(
            name,
            format!(
                "{kind} image of {w}x{h} pixels needs {} MiB to decode; at most {} MiB is allowed",
                needed.div_ceil(1 << 20),
                MAX_DECODE_BYTES >> 20
            ),
        ));
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(name, kind, e))?;
    img.apply_orientation(orientation);
    Ok(img)
}

fn format_name(f: ImageFormat) -> &'static str {
    match f {
        ImageFormat::Png => "PNG",
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Bmp => "BMP",
        ImageFormat::Pnm => "PNM/PGM",
        _ => "image",
    }
}

fn decode_error(name: &Path, kind: &str, e: ImageError) -> Error {
    // Decoders' messages may span lines (zune-jpeg ends some with '\n', found by the
    // `image` fuzz target): fold them into the one-line error.
    let one_line = |m: String| m.split_whitespace().collect::<Vec<_>>().join(" ");
    match e {
        ImageError::Limits(l) => Error::format(
            name,
            format!(
                "{kind} image is too large to decode safely ({}); at most \
                 {MAX_DIMENSION}x{MAX_DIMENSION} pixels and {} MiB are accepted",
                one_line(l.to_string()),
                MAX_DECODE_BYTES >> 20
            ),
        ),
        ImageError::IoError(io) if io.kind() != std::io::ErrorKind::UnexpectedEof => {
            Error::io(name, io)
        }
        ImageError::IoError(io) => Error::format(
            name,
            format!("truncated {kind} image ({})", one_line(io.to_string())),
        ),
        ImageError::Unsupported(u) => Error::format(
            name,
            format!(
                "unsupported kind of {kind} image ({})",
                one_line(u.to_string())
            ),
        ),
        other => Error::format(
            name,
            format!(
                "corrupt or truncated {kind} image ({})",
                one_line(other.to_string())
            ),
        ),
    }
}

// ---------------------------------------------------------------------------------------
// 28x28 <-> GrayImage helpers
// ---------------------------------------------------------------------------------------

/// A 28x28 MNIST image (784 row-major bytes) as a [`GrayImage`], e.g. to save as PNG.
///
/// # Panics
/// If `pixels.len() != 784`.
pub fn from_mnist_u8(pixels: &[u8]) -> GrayImage {
    assert_eq!(
        pixels.len(),
        SIDE * SIDE,
        "an MNIST image has 28x28 = 784 pixels, got {}",
        pixels.len()
    );
    GrayImage::from_raw(SIDE as u32, SIDE as u32, pixels.to_vec())
        .expect("784 bytes make a 28x28 grey image")
}

/// The preprocessed 28x28 image as a [`GrayImage`] (white ink on black), e.g. to save as PNG.
pub fn to_gray_image(p: &Preprocessed) -> GrayImage {
    from_mnist_u8(&p.pixels)
}

// ---------------------------------------------------------------------------------------
// Preprocessing
// ---------------------------------------------------------------------------------------

/// Turns any picture of a single digit into a 28x28 MNIST-style image; see the module
/// documentation for the steps. Never panics; a uniform image gives `blank: true`.
pub fn preprocess(img: &DynamicImage) -> Preprocessed {
    run(img, None)
}

/// [`preprocess`], also returning what each stage of the ink extraction made of the
/// picture (`None` for an empty picture); `lenet5 predict --show-steps` draws them.
pub fn preprocess_with_steps(img: &DynamicImage) -> (Preprocessed, Option<Steps>) {
    let mut steps = None;
    let p = run(img, Some(&mut steps));
    (p, steps)
}

fn run(img: &DynamicImage, mut steps: Option<&mut Option<Steps>>) -> Preprocessed {
    let (w, h) = (img.width(), img.height());
    if w == 0 || h == 0 {
        return Preprocessed::blank(false);
    }
    let full = Rect { x: 0, y: 0, w, h };
    let k = reduction_factor(w, h);

    let coarse = reduce(img, full, k, Channel::Luma);
    let bg = border_median(&coarse.mean);
    let dark_ink = dark_ink(&coarse.mean, bg);
    if let Some(ink) = locate(
        img,
        &coarse,
        full,
        k,
        bg,
        dark_ink,
        Channel::Luma,
        steps.as_deref_mut(),
    ) {
        return finish(ink, dark_ink);
    }

    // Nothing visible: strokes may differ from the canvas only in alpha (white on a
    // transparent background composites to white on white).
    if img.color().has_alpha() {
        let alpha = reduce(img, full, k, Channel::Alpha);
        let bg_alpha = border_median(&alpha.mean);
        if bg_alpha < 0.5
            && let Some(ink) = locate(img, &alpha, full, k, bg_alpha, false, Channel::Alpha, steps)
        {
            return finish(ink, false);
        }
    }
    Preprocessed::blank(dark_ink)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rect {
    x: u32,
    y: u32,
    w: u32,
    h: u32,
}

/// A plane of values in `0..=1`, row-major.
#[derive(Clone, Debug)]
struct Plane {
    w: usize,
    h: usize,
    v: Vec<f32>,
}

/// Box-reduced planes: the mean of each block, and its darkest and brightest pixel.
struct Reduced {
    mean: Plane,
    min: Plane,
    max: Plane,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Channel {
    /// Luminance with alpha composited on white.
    Luma,
    /// The alpha channel alone (1 when there is none).
    Alpha,
}

/// Ink ready for scaling: the cropped, normalised ink plane and where it was in the input.
struct Ink {
    w: usize,
    h: usize,
    v: Vec<f32>,
    bbox: (u32, u32, u32, u32),
}

/// Integer factor that brings the long side down to at most [`WORKING_MAX_SIDE`].
fn reduction_factor(w: u32, h: u32) -> u32 {
    w.max(h).div_ceil(WORKING_MAX_SIDE).max(1)
}

fn reduce(img: &DynamicImage, rect: Rect, k: u32, ch: Channel) -> Reduced {
    use DynamicImage as D;
    let iw = img.width() as usize;
    match img {
        D::ImageLuma8(b) => reduce_raw::<_, 1>(b.as_raw(), iw, rect, k, ch),
        D::ImageLumaA8(b) => reduce_raw::<_, 2>(b.as_raw(), iw, rect, k, ch),
        D::ImageRgb8(b) => reduce_raw::<_, 3>(b.as_raw(), iw, rect, k, ch),
        D::ImageRgba8(b) => reduce_raw::<_, 4>(b.as_raw(), iw, rect, k, ch),
        D::ImageLuma16(b) => reduce_raw::<_, 1>(b.as_raw(), iw, rect, k, ch),
        D::ImageLumaA16(b) => reduce_raw::<_, 2>(b.as_raw(), iw, rect, k, ch),
        D::ImageRgb16(b) => reduce_raw::<_, 3>(b.as_raw(), iw, rect, k, ch),
        D::ImageRgba16(b) => reduce_raw::<_, 4>(b.as_raw(), iw, rect, k, ch),
        D::ImageRgb32F(b) => reduce_raw::<_, 3>(b.as_raw(), iw, rect, k, ch),
        D::ImageRgba32F(b) => reduce_raw::<_, 4>(b.as_raw(), iw, rect, k, ch),
        // A layout added to `image` after this was written: convert (costs a copy).
        other => reduce_raw::<_, 4>(other.to_rgba32f().as_raw(), iw, rect, k, ch),
    }
}

/// One pass over the pixels of `rect`, `k x k` blocks at a time (edge blocks may be smaller).
fn reduce_raw<T: Sample, const C: usize>(
    raw: &[T],
    img_w: usize,
    rect: Rect,
    k: u32,
    ch: Channel,
) -> Reduced {
    let k = k.max(1) as usize;
    let (x0, y0) = (rect.x as usize, rect.y as usize);
    let (rw, rh) = (rect.w as usize, rect.h as usize);
    let (ow, oh) = (rw.div_ceil(k), rh.div_ceil(k));
    let channels = C;
    let mut mean = vec![0f32; ow * oh];
    let mut lo = vec![1f32; ow * oh];
    let mut hi = vec![0f32; ow * oh];
    for oy in 0..oh {
        let span = oy * ow..(oy + 1) * ow;
        let (acc, lo_row, hi_row) = (
            &mut mean[span.clone()],
            &mut lo[span.clone()],
            &mut hi[span],
        );
        let ys = y0 + oy * k;
        let ye = (ys + k).min(y0 + rh);
        for y in ys..ye {
            let start = (y * img_w + x0) * channels;
            let row = &raw[start..start + rw * channels];
            for (i, block) in row.chunks(k * channels).enumerate() {
                let (mut s, mut mn, mut mx) = (0f32, lo_row[i], hi_row[i]);
                for px in block.chunks_exact(C) {
                    let v = pixel_value::<T, C>(px, ch);
                    s += v;
                    mn = mn.min(v);
                    mx = mx.max(v);
                }
                acc[i] += s;
                lo_row[i] = mn;
                hi_row[i] = mx;
            }
        }
        let rows = (ye - ys) as f32;
        for (ox, a) in acc.iter_mut().enumerate() {
            let cols = k.min(rw - ox * k) as f32;
            *a /= rows * cols;
        }
    }
    let plane = |v| Plane { w: ow, h: oh, v };
    Reduced {
        mean: plane(mean),
        min: plane(lo),
        max: plane(hi),
    }
}

/// A channel value that converts to `0..=1`.
trait Sample: Copy {
    fn unit(self) -> f32;
}

impl Sample for u8 {
    #[inline]
    fn unit(self) -> f32 {
        f32::from(self) * (1.0 / 255.0)
    }
}

impl Sample for u16 {
    #[inline]
    fn unit(self) -> f32 {
        f32::from(self) * (1.0 / 65535.0)
    }
}

impl Sample for f32 {
    #[inline]
    fn unit(self) -> f32 {
        if self.is_finite() {
            self.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

/// One pixel of `C` channels (grey, grey+alpha, RGB, RGBA) as luminance composited on
/// white, or as its alpha.
#[inline]
fn pixel_value<T: Sample, const C: usize>(px: &[T], ch: Channel) -> f32 {
    let luma = |r: f32, g: f32, b: f32| 0.299 * r + 0.587 * g + 0.114 * b;
    let (l, a) = match C {
        1 => (px[0].unit(), 1.0),
        2 => (px[0].unit(), px[1].unit()),
        3 => (luma(px[0].unit(), px[1].unit(), px[2].unit()), 1.0),
        _ => (luma(px[0].unit(), px[1].unit(), px[2].unit()), px[3].unit()),
    };
    match ch {
        Channel::Luma => l * a + (1.0 - a),
        Channel::Alpha => a,
    }
}

/// Median of the outer frame (about 1/40 of the short side thick, at least 1 pixel).
fn border_median(p: &Plane) -> f32 {
    frame_quantile(p, 0.5)
}

/// The `q` quantile of the outer frame (as [`border_median`]).
fn frame_quantile(p: &Plane, q: f32) -> f32 {
    let t = (p.w.min(p.h) / 40).max(1);
    let mut frame: Vec<f32> = Vec::with_capacity(2 * t * (p.w + p.h));
    for y in 0..p.h {
        let row = &p.v[y * p.w..(y + 1) * p.w];
        if y < t || y + t >= p.h || p.w <= 2 * t {
            frame.extend_from_slice(row);
        } else {
            frame.extend_from_slice(&row[..t]);
            frame.extend_from_slice(&row[p.w - t..]);
        }
    }
    let k = ((frame.len() as f32 * q) as usize).min(frame.len() - 1);
    *frame.select_nth_unstable_by(k, f32::total_cmp).1
}

/// Whether the ink is darker than the background. A light frame (median ≥ 0.6) means
/// dark ink, a dark one (≤ 0.25) light ink. In between — a photo half in shadow, grey
/// paper — a frame whose brightest tenth is light (≥ 0.6) is paper with a shadow on it
/// (dark ink); otherwise the side (darker or lighter than the median) that deviates more
/// decides.
fn dark_ink(p: &Plane, bg: f32) -> bool {
    if bg >= 0.6 {
        return true;
    }
    if bg <= 0.25 {
        return false;
    }
    if frame_quantile(p, 0.9) >= 0.6 {
        return true;
    }
    let (mut darker, mut lighter) = (0f64, 0f64);
    for &v in &p.v {
        let d = v - bg;
        if d < -0.05 {
            darker += f64::from(-d);
        } else if d > 0.05 {
            lighter += f64::from(d);
        }
    }
    darker >= lighter
}

/// Bilinear sample of a plane at continuous sample coordinates (centres at integers),
/// clamped to the edges.
fn sample(p: &Plane, x: f64, y: f64) -> f32 {
    let x = x.clamp(0.0, (p.w - 1) as f64);
    let y = y.clamp(0.0, (p.h - 1) as f64);
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(p.w - 1), (y0 + 1).min(p.h - 1));
    let (tx, ty) = ((x - x0 as f64) as f32, (y - y0 as f64) as f32);
    let at = |x, y| p.v[y * p.w + x];
    let top = at(x0, y0) * (1.0 - tx) + at(x1, y0) * tx;
    let bottom = at(x0, y1) * (1.0 - tx) + at(x1, y1) * tx;
    top * (1.0 - ty) + bottom * ty
}

/// What each stage of the ink extraction made of the working plane (see
/// [`preprocess_with_steps`]); planes are row-major `w x h`, values in `0..=1`.
#[derive(Clone, Debug, PartialEq)]
pub struct Steps {
    /// Working-plane width.
    pub w: usize,
    /// Working-plane height.
    pub h: usize,
    /// The picture as the stages see it: dark ink on light paper (inverted if it was
    /// light on dark), at most [`WORKING_MAX_SIDE`] a side.
    pub input: Vec<f32>,
    /// The paper level at each pixel.
    pub background: Vec<f32>,
    /// Ink strength (1 − input / background), normalised, noise zeroed.
    pub ink: Vec<f32>,
    /// Ink left after the paper's lines were erased.
    pub lines_removed: Vec<f32>,
    /// Number of paper lines found (horizontal, vertical).
    pub lines: (usize, usize),
    /// The ink kept as the digit.
    pub chosen: Vec<f32>,
    /// The digit's box on the working plane `(x0, y0, x1, y1)`, exclusive ends.
    pub bbox: Option<(usize, usize, usize, usize)>,
}

/// Steps 2–5 on the working plane, with the refinement pass when it was downscaled.
#[allow(clippy::too_many_arguments)]
fn locate(
    img: &DynamicImage,
    coarse: &Reduced,
    rect: Rect,
    k: u32,
    bg: f32,
    dark_ink: bool,
    ch: Channel,
    steps: Option<&mut Option<Steps>>,
) -> Option<Ink> {
    // The extreme of each block finds thin strokes that the block mean would dilute.
    let extreme = if k == 1 {
        &coarse.mean
    } else if dark_ink {
        &coarse.min
    } else {
        &coarse.max
    };
    let (w, h) = (extreme.w, extreme.h);
    let orient = |x: f32| if dark_ink { x } else { 1.0 - x };
    let input: Vec<f32> = extreme.v.iter().map(|&x| orient(x)).collect();
    let paper_level = orient(bg).max(0.05);
    let background = paper::background(&input, w, h, paper_level);
    let mut raw = paper::ink_from_background(&input, &background);
    let mut v = raw.clone();
    let min_contrast = MIN_CONTRAST / paper_level.max(0.3);
    let mut found = paper::normalise(&mut v, min_contrast).is_some();
    let ink = v.clone();
    let (hl, vl) = if found {
        // Normalised again without the lines: the peak is the digit's, not a dark line's.
        let lines = paper::remove_lines(&mut raw, w, h);
        if w.min(h) >= 32 && paper::noise_level(&input, w, h) > paper::NOISY {
            // A photo: grainy pencil and noise averaged over 3x3, then what noise alone
            // could make dropped. (Under 32 pixels a side, the strokes' own edges would
            // pass for noise.)
            v = paper::smooth(&raw, w, h, 1);
            paper::drop_noise(&mut v, &background);
        } else {
            v.copy_from_slice(&raw);
        }
        found = paper::normalise(&mut v, min_contrast).is_some();
        if !found {
            v.iter_mut().for_each(|x| *x = 0.0);
        }
        lines
    } else {
        Default::default()
    };
    let lines_removed = v.clone();
    let bb = if found {
        paper::select_digit(&mut v, w, h)
    } else {
        None
    };
    if let Some(s) = steps {
        *s = Some(Steps {
            w,
            h,
            input,
            background: background.clone(),
            ink,
            lines_removed,
            lines: (hl.bands.len(), vl.bands.len()),
            chosen: v.clone(),
            bbox: bb,
        });
    }
    let bb = bb?;
    // Stretch the digit's own ink to full strength (faint pencil beside dark lines).
    let peak = v.iter().copied().fold(0f32, f32::max);
    if peak <= 0.0 {
        return None;
    }
    v.iter_mut().for_each(|x| *x /= peak);
    if k > 1 {
        // Read the box again, finer, from the original pixels, keeping only what lies
        // on (or next to) the ink chosen on the working plane.
        let k = k as usize;
        let fx0 = rect.x as usize + bb.0.saturating_sub(1) * k;
        let fy0 = rect.y as usize + bb.1.saturating_sub(1) * k;
        let fx1 = (rect.x + rect.w).min((rect.x as usize + (bb.2 + 1) * k) as u32);
        let fy1 = (rect.y + rect.h).min((rect.y as usize + (bb.3 + 1) * k) as u32);
        let fine_rect = Rect {
            x: fx0 as u32,
            y: fy0 as u32,
            w: fx1 - fx0 as u32,
            h: fy1 - fy0 as u32,
        };
        let k2 = reduction_factor(fine_rect.w, fine_rect.h);
        if (k2 as usize) < k {
            let fine = reduce(img, fine_rect, k2, ch).mean;
            let bgp = Plane {
                w,
                h,
                v: background,
            };
            let (kf, k2f) = (k as f64, f64::from(k2));
            let mut fv = Vec::with_capacity(fine.w * fine.h);
            for fy in 0..fine.h {
                for fx in 0..fine.w {
                    // Fine sample centre -> input pixel -> working-plane coordinates.
                    let ix = f64::from(fine_rect.x - rect.x) + (fx as f64 + 0.5) * k2f;
                    let iy = f64::from(fine_rect.y - rect.y) + (fy as f64 + 0.5) * k2f;
                    let (cx, cy) = (ix / kf - 0.5, iy / kf - 0.5);
                    let near = {
                        let (x, y) = (cx.round() as i64, cy.round() as i64);
                        (y - 1..=y + 1).any(|yy| {
                            (x - 1..=x + 1).any(|xx| {
                                xx >= 0
                                    && yy >= 0
                                    && (xx as usize) < w
                                    && (yy as usize) < h
                                    && v[yy as usize * w + xx as usize] > 0.0
                            })
                        })
                    };
                    let b = sample(&bgp, cx, cy).max(1e-3);
                    let x = orient(fine.v[fy * fine.w + fx]);
                    fv.push(if near { (1.0 - x / b).max(0.0) } else { 0.0 });
                }
            }
            if let Some(fbb) = clean(&mut fv, fine.w, fine.h, 1e-4) {
                return Some(crop(&fv, fine.w, fbb, fine_rect, k2));
            }
        }
        return Some(crop(&v, w, bb, rect, k as u32));
    }
    Some(crop(&v, w, bb, rect, 1))
}

/// Normalise by a robust peak, zero the noise, erase specks; returns the bounding box
/// `(x0, y0, x1, y1)` (exclusive ends) of the ink left, or `None` if there is none.
fn clean(
    v: &mut [f32],
    w: usize,
    h: usize,
    min_contrast: f32,
) -> Option<(usize, usize, usize, usize)> {
    super::paper::normalise(v, min_contrast)?;
    remove_specks(v, w, h);

    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for y in 0..h {
        for x in 0..w {
            if v[y * w + x] > 0.0 {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x + 1);
                y1 = y1.max(y + 1);
            }
        }
    }
    (x1 > x0 && y1 > y0).then_some((x0, y0, x1, y1))
}

/// Erase 8-connected blobs lighter than [`SPECK_FRACTION`] of the heaviest.
fn remove_specks(v: &mut [f32], w: usize, h: usize) {
    let (label, blobs) = paper::blobs(v, w, h);
    let mass: Vec<f32> = blobs.iter().map(|b| b.mass).collect();
    if mass.len() < 2 {
        return;
    }
    let heaviest = mass.iter().copied().fold(0f32, f32::max);
    for (x, &l) in v.iter_mut().zip(&label) {
        if l != paper::NO_BLOB && mass[l as usize] < SPECK_FRACTION * heaviest {
            *x = 0.0;
        }
    }
}

/// Cut the box out of a plane that covers `rect` of the input at `k` input pixels a sample.
fn crop(v: &[f32], w: usize, bb: (usize, usize, usize, usize), rect: Rect, k: u32) -> Ink {
    let (x0, y0, x1, y1) = bb;
    let (cw, chh) = (x1 - x0, y1 - y0);
    let mut out = Vec::with_capacity(cw * chh);
    for y in y0..y1 {
        out.extend_from_slice(&v[y * w + x0..y * w + x1]);
    }
    let k = k as usize;
    let ix0 = rect.x as usize + x0 * k;
    let iy0 = rect.y as usize + y0 * k;
    let ix1 = (rect.x + rect.w) as usize;
    let iy1 = (rect.y + rect.h) as usize;
    let ix1 = ix1.min(rect.x as usize + x1 * k);
    let iy1 = iy1.min(rect.y as usize + y1 * k);
    Ink {
        w: cw,
        h: chh,
        v: out,
        bbox: (
            ix0 as u32,
            iy0 as u32,
            (ix1 - ix0) as u32,
            (iy1 - iy0) as u32,
        ),
    }
}

/// Steps 6–8: scale into the 20x20 box, centre by mass in 28x28, quantise.
fn finish(ink: Ink, inverted: bool) -> Preprocessed {
    // Area averaging needs a source at least twice the target: enlarge tiny crops first.
    let long = ink.w.max(ink.h);
    let (src, w, h) = if long < 2 * BOX {
        let m = (2 * BOX).div_ceil(long);
        (
            upsample_bilinear(&ink.v, ink.w, ink.h, m),
            ink.w * m,
            ink.h * m,
        )
    } else {
        (ink.v, ink.w, ink.h)
    };

    // Centre of mass as a fraction of the crop, pixel i covering [i, i+1).
    let (mut mass, mut sx, mut sy) = (0f64, 0f64, 0f64);
    for y in 0..h {
        for x in 0..w {
            let v = f64::from(src[y * w + x]);
            mass += v;
            sx += v * (x as f64 + 0.5);
            sy += v * (y as f64 + 0.5);
        }
    }
    if mass <= 0.0 {
        return Preprocessed::blank(inverted);
    }
    let (ux, uy) = (sx / mass / w as f64, sy / mass / h as f64);

    let (len_x, len_y, ox, oy) = placement(w, h, ux, uy);
    let wx = coverage_weights(w, ox, len_x / w as f64);
    let wy = coverage_weights(h, oy, len_y / h as f64);

    // Separable area averaging into the 28x28 field.
    let mut tmp = vec![0f32; h * SIDE];
    for y in 0..h {
        let row = &src[y * w..(y + 1) * w];
        for (ox, ws) in wx.iter().enumerate() {
            tmp[y * SIDE + ox] = ws.iter().map(|&(j, wt)| row[j] * wt).sum();
        }
    }
    let mut field = [0f32; SIDE * SIDE];
    for (oy, ws) in wy.iter().enumerate() {
        for x in 0..SIDE {
            field[oy * SIDE + x] = ws.iter().map(|&(j, wt)| tmp[j * SIDE + x] * wt).sum();
        }
    }

    let m = field.iter().copied().fold(0f32, f32::max);
    let mut pixels = [0u8; SIDE * SIDE];
    if m > 0.0 {
        for (p, &v) in pixels.iter_mut().zip(&field) {
            *p = (v / m * 255.0).round().clamp(0.0, 255.0) as u8;
        }
    }
    let blank = pixels.iter().all(|&p| p == 0);
    Preprocessed {
        pixels,
        blank,
        inverted,
        ink_bbox: (!blank).then_some(ink.bbox),
    }
}

/// Size and sub-pixel position of the digit in the 28x28 field, as
/// `(width, height, left, top)` in output pixels, pixel i covering `[i, i+1)`.
///
/// The long side becomes `20 - d` and the short side keeps the aspect ratio. The digit is
/// shifted so its centre of mass is at 14.5, i.e. on pixel index 14 (within the 20x20 box
/// fitting the field: the shift is clamped to keep the whole box inside). A fractional
/// position makes a 20-long side straddle 21 pixels, so `d` is the smallest value in
/// `0..=1` (in steps of 1/1024) for which each side covers at most 20 pixels; `d = 1`
/// always fits. This keeps the result continuous in the input (no rounding jumps for
/// symmetric digits, whose centre of mass falls exactly between two pixels) while the
/// digit spans 19–20 pixels, as MNIST's does.
fn placement(w: usize, h: usize, ux: f64, uy: f64) -> (f64, f64, f64, f64) {
    let long = w.max(h) as f64;
    let (rx, ry) = (w as f64 / long, h as f64 / long);
    let centre = SIDE as f64 / 2.0 + 0.5;
    let place = |len: f64, u: f64| (centre - len * u).clamp(0.0, SIDE as f64 - len);
    let span = |o: f64, len: f64| ((o + len - 1e-6).ceil() - (o + 1e-6).floor()) as usize;
    const STEPS: u32 = 1024;
    let mut best = None;
    for k in 0..=STEPS {
        let l = BOX as f64 - f64::from(k) / f64::from(STEPS);
        let (lx, ly) = (l * rx, l * ry);
        let (ox, oy) = (place(lx, ux), place(ly, uy));
        best = Some((lx, ly, ox, oy));
        if span(ox, lx) <= BOX && span(oy, ly) <= BOX {
            break;
        }
    }
    best.expect("at least one step")
}

/// Per output pixel `0..28` along one axis: the input samples and their weights when input
/// sample `j` covers `[offset + j·s, offset + (j+1)·s)` of the output axis (`s <= 1`):
/// exact area averaging, zero outside the input.
fn coverage_weights(n_in: usize, offset: f64, s: f64) -> Vec<Vec<(usize, f32)>> {
    (0..SIDE)
        .map(|i| {
            // The output pixel [i, i+1) in input coordinates.
            let a = (i as f64 - offset) / s;
            let b = (i as f64 + 1.0 - offset) / s;
            let j0 = a.max(0.0).floor() as usize;
            let j1 = (b.min(n_in as f64).ceil().max(0.0) as usize).min(n_in);
            (j0..j1)
                .map(|j| (j, (b.min((j + 1) as f64) - a.max(j as f64)) * s))
                .filter(|&(_, w)| w > 1e-9)
                .map(|(j, w)| (j, w as f32))
                .collect()
        })
        .collect()
}

/// Enlarges a `w x h` plane `m` times with bilinear interpolation (edges repeated).
fn upsample_bilinear(src: &[f32], w: usize, h: usize, m: usize) -> Vec<f32> {
    let axis = |n: usize| -> Vec<(usize, usize, f32)> {
        (0..n * m)
            .map(|i| {
                let c = ((i as f64 + 0.5) / m as f64 - 0.5).clamp(0.0, (n - 1) as f64);
                let j0 = c.floor() as usize;
                (j0, (j0 + 1).min(n - 1), (c - j0 as f64) as f32)
            })
            .collect()
    };
    let (ax, ay) = (axis(w), axis(h));
    let nw = w * m;
    let mut out = vec![0f32; nw * h * m];
    for (y, &(y0, y1, ty)) in ay.iter().enumerate() {
        for (x, &(x0, x1, tx)) in ax.iter().enumerate() {
            let top = src[y0 * w + x0] * (1.0 - tx) + src[y0 * w + x1] * tx;
            let bottom = src[y1 * w + x0] * (1.0 - tx) + src[y1 * w + x1] * tx;
            out[y * nw + x] = top * (1.0 - ty) + bottom * ty;
        }
    }
    out
}

/// `x.round() as i32` (halves away from zero) for `|x| < 2^31`, without the call to
/// libm's `roundf` that `f32::round` makes on a baseline x86-64 (the photo line search
/// and the reader's normalisation round millions of values in a picture of noise).
/// `x - trunc(x)` is exact.
pub(crate) fn round(x: f32) -> i32 {
    let t = x as i32;
    let f = x - t as f32;
    t + i32::from(f >= 0.5) - i32::from(f <= -0.5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::image::Luma;

    #[test]
    fn round_is_f32_round() {
        let mut xs = vec![0.0f32, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 1e9, -1e9];
        xs.extend([0.5f32, 1.5, 2.5, 8e6].map(|h| h.next_down()));
        xs.extend([0.5f32, 1.5, 2.5, 8e6].map(|h| -h.next_down()));
        let mut s = 1u64;
        for _ in 0..100_000 {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            xs.push(((s >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 6000.0);
        }
        for x in xs {
            assert_eq!(round(x), x.round() as i32, "{x}");
        }
    }

    #[test]
    fn coverage_weights_conserve_mass_inside_the_field() {
        for (n_in, offset, s) in [(40, 4.0, 0.5), (41, 3.7, 0.48), (512, 5.25, 19.5 / 512.0)] {
            let ws = coverage_weights(n_in, offset, s);
            let mut per_input = vec![0f64; n_in];
            for w in &ws {
                for &(j, x) in w {
                    per_input[j] += f64::from(x);
                }
            }
            // Each input sample lands whole in the field, scaled by its output width s.
            for c in per_input {
                assert!((c - s).abs() < 1e-5, "{n_in} {offset} {s}: {c}");
            }
            // Output pixels outside [offset, offset + n_in·s) get nothing.
            assert!(ws[..offset.floor() as usize].iter().all(Vec::is_empty));
            let end = (offset + n_in as f64 * s).ceil() as usize;
            assert!(ws[end..].iter().all(Vec::is_empty));
        }
    }

    #[test]
    fn placement_keeps_the_span_within_20_and_the_centre_of_mass_on_14() {
        for i in 0..200 {
            let u = 0.2 + 0.6 * f64::from(i) / 200.0;
            for (w, h) in [(100, 100), (40, 100), (100, 97), (100, 7)] {
                let (lx, ly, ox, oy) = placement(w, h, u, 1.0 - u);
                let span = |o: f64, l: f64| ((o + l - 1e-6).ceil() - (o + 1e-6).floor()) as usize;
                assert!(span(ox, lx) <= 20 && span(oy, ly) <= 20);
                assert!(lx.max(ly) >= 19.0 && lx.max(ly) <= 20.0);
                assert!(ox >= 0.0 && ox + lx <= 28.0 + 1e-9);
                let cx = ox + lx * u;
                if ox > 0.0 && ox + lx < 28.0 {
                    assert!((cx - 14.5).abs() < 1e-9);
                }
            }
        }
    }

    #[test]
    fn upsampling_keeps_a_constant() {
        let up = upsample_bilinear(&[1.0; 6], 3, 2, 7);
        assert_eq!(up.len(), 21 * 14);
        assert!(up.iter().all(|&x| (x - 1.0).abs() < 1e-6));
        let up = upsample_bilinear(&[0.0, 1.0], 2, 1, 2);
        assert_eq!(up, [0.0, 0.25, 0.75, 1.0].repeat(2), "both rows");
    }

    #[test]
    fn border_median_ignores_a_minority_of_ink_on_the_frame() {
        let mut p = Plane {
            w: 10,
            h: 10,
            v: vec![0.9; 100],
        };
        for x in 0..4 {
            p.v[x] = 0.0;
        }
        assert_eq!(border_median(&p), 0.9);
    }

    #[test]
    fn specks_are_removed_but_the_digit_stays() {
        let (w, h) = (30, 30);
        let mut v = vec![0f32; w * h];
        for y in 5..25 {
            for x in 10..14 {
                v[y * w + x] = 1.0;
            }
        }
        v[2 * w + 28] = 1.0; // a speck in a corner
        let bb = clean(&mut v, w, h, MIN_CONTRAST).unwrap();
        assert_eq!(bb, (10, 5, 14, 25));
    }

    #[test]
    fn running_extreme_and_box_mean_match_the_naive_ones() {
        let src: Vec<f32> = (0..37u32)
            .map(|i| ((i * 7919) % 31) as f32 / 31.0)
            .collect();
        for r in [1, 2, 5, 36, 50] {
            let (mut mx, mut mn, mut mean) = (vec![0.0; 37], vec![0.0; 37], vec![0.0; 37]);
            running_extreme(&src, r, true, &mut mx);
            running_extreme(&src, r, false, &mut mn);
            box_mean(&src, r, &mut mean);
            for i in 0..37usize {
                let win = &src[i.saturating_sub(r)..(i + r + 1).min(37)];
                assert_eq!(
                    mx[i],
                    win.iter().copied().fold(0.0, f32::max),
                    "r={r} i={i}"
                );
                assert_eq!(
                    mn[i],
                    win.iter().copied().fold(1.0, f32::min),
                    "r={r} i={i}"
                );
                let m = win.iter().sum::<f32>() / win.len() as f32;
                assert!((mean[i] - m).abs() < 1e-5, "r={r} i={i}");
            }
        }
    }

    #[test]
    fn background_map_follows_a_gradient_and_ignores_strokes() {
        let (w, h) = (60, 60);
        let mut p = Plane {
            w,
            h,
            v: (0..w * h)
                .map(|i| 0.95 - 0.3 * (i % w) as f32 / w as f32)
                .collect(),
        };
        for y in 10..50 {
            for x in 28..32 {
                p.v[y * w + x] = 0.1; // a stroke
            }
        }
        let bg = paper::background(&p.v, w, h, 0.8);
        for y in 0..h {
            let paper = 0.95 - 0.3 * 30.0 / w as f32;
            let got = bg[y * w + 30];
            assert!(
                (got - paper).abs() < 0.06,
                "row {y}: {got} vs paper {paper}"
            );
        }
    }

    #[test]
    fn reduce_averages_blocks_and_keeps_extremes() {
        let mut g = GrayImage::from_pixel(5, 3, Luma([255]));
        g.put_pixel(0, 0, Luma([0]));
        let img = DynamicImage::ImageLuma8(g);
        let r = reduce(
            &img,
            Rect {
                x: 0,
                y: 0,
                w: 5,
                h: 3,
            },
            2,
            Channel::Luma,
        );
        assert_eq!((r.mean.w, r.mean.h), (3, 2));
        assert!((r.mean.v[0] - 0.75).abs() < 1e-6);
        assert_eq!(r.min.v[0], 0.0);
        assert_eq!(r.mean.v[5], 1.0);
    }
}
