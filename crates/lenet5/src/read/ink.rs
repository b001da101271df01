//! A picture of a line of digits → an ink plane: ink strength in `0..=1` (0 = paper),
//! whatever the polarity and size of the picture.
//!
//! This is the one place that turns pixels into ink for reading ([`ink_plane`]); a better
//! ink extraction (uneven light in photos) replaces its body and nothing else.
//!
//! Steps: luminance (alpha composited on white), reduced by an integer box filter so the
//! plane is at most [`WORKING_MAX_WIDTH`] x [`WORKING_MAX_HEIGHT`]; the median of the
//! outer frame decides the polarity (light paper = dark ink); then the paper stages that
//! a single digit goes through ([`crate::data::paper`]): the local paper level by a
//! closing, ink as `1 − v / paper`, normalised, ruled and squared paper lines erased;
//! finally ink is divided by a robust peak, with everything under [`NOISE_FLOOR`] of it
//! set to 0. A picture whose strongest ink is under
//! [`MIN_CONTRAST`] is blank (then the alpha channel is tried as ink, for strokes drawn
//! on a transparent canvas).

use crate::data::image::{DynamicImage, MIN_CONTRAST, NOISE_FLOOR};
use crate::data::paper;
use image::GenericImageView;

/// Widest working plane: wider pictures are box-filtered down first.
pub const WORKING_MAX_WIDTH: usize = 2400;
/// Tallest working plane (a line of digits does not need more to be read).
pub const WORKING_MAX_HEIGHT: usize = 240;

/// Ink strength over a picture, row-major, `w x h`.
#[derive(Clone, Debug, PartialEq)]
pub struct InkPlane {
    /// Width in plane pixels.
    pub w: usize,
    /// Height in plane pixels.
    pub h: usize,
    /// Ink strength in `0..=1`, 0 where there is no ink.
    pub v: Vec<f32>,
    /// Input pixels per plane pixel (the box filter's factor; 1 when not reduced).
    pub scale: u32,
    /// The picture was dark ink on light paper.
    pub inverted: bool,
}

impl InkPlane {
    /// A plane made from MNIST-style bytes (white ink 255 on black 0), e.g. a synthetic
    /// string; `v = byte / 255`.
    pub fn from_ink_bytes(w: usize, h: usize, bytes: &[u8]) -> InkPlane {
        assert_eq!(bytes.len(), w * h, "{w}x{h} plane needs {} bytes", w * h);
        InkPlane {
            w,
            h,
            v: bytes.iter().map(|&b| b as f32 / 255.0).collect(),
            scale: 1,
            inverted: false,
        }
    }

    /// No ink anywhere.
    pub fn is_blank(&self) -> bool {
        self.v.iter().all(|&x| x <= 0.0)
    }
}

/// The ink in a picture (see the module documentation).
pub fn ink_plane(img: &DynamicImage) -> InkPlane {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let k = w
        .div_ceil(WORKING_MAX_WIDTH)
        .max(h.div_ceil(WORKING_MAX_HEIGHT))
        .max(1);
    let (pw, ph) = (w.div_ceil(k).max(1), h.div_ceil(k).max(1));
    let mut luma = vec![0f32; pw * ph];
    let mut alpha = vec![0f32; pw * ph];
    let mut count = vec![0f32; pw * ph];
    for (x, y, p) in img.pixels() {
        let [r, g, b, a] = p.0;
        let a = a as f32 / 255.0;
        let l = (0.299 * r as f32 + 0.587 * g as f32 + 0.114 * b as f32) / 255.0;
        let i = (y as usize / k) * pw + x as usize / k;
        luma[i] += l * a + (1.0 - a);
        alpha[i] += a;
        count[i] += 1.0;
    }
    for i in 0..luma.len() {
        let n = count[i].max(1.0);
        luma[i] /= n;
        alpha[i] /= n;
    }
    let bg = frame_median(&luma, pw, ph);
    let dark = bg >= 0.5;
    // The same paper stages as a single digit's (crate::data::paper): the paper level
    // by a closing, ink by division, ruled and squared lines erased.
    let oriented: Vec<f32> = luma
        .iter()
        .map(|&l| if dark { l } else { 1.0 - l })
        .collect();
    let paper_level = if dark { bg } else { 1.0 - bg }.max(0.05);
    let background = paper::background(&oriented, pw, ph, paper_level);
    let mut raw = paper::ink_from_background(&oriented, &background);
    let mut ink = raw.clone();
    let min_contrast = MIN_CONTRAST / paper_level.max(0.3);
    if paper::normalise(&mut ink, min_contrast).is_some() {
        paper::remove_lines(&mut raw, pw, ph);
        ink.copy_from_slice(&raw);
        if paper::normalise(&mut ink, min_contrast).is_none() {
            ink.iter_mut().for_each(|x| *x = 0.0);
        }
    }
    let scale = k as u32;
    if let Some(v) = stretch(ink) {
        return InkPlane {
            w: pw,
            h: ph,
            v,
            scale,
            inverted: dark,
        };
    }
    if img.color().has_alpha() && frame_median(&alpha, pw, ph) < 0.5 {
        let abg = frame_median(&alpha, pw, ph);
        if let Some(v) = stretch(alpha.iter().map(|&a| (a - abg).max(0.0)).collect()) {
            return InkPlane {
                w: pw,
                h: ph,
                v,
                scale,
                inverted: false,
            };
        }
    }
    InkPlane {
        w: pw,
        h: ph,
        v: vec![0.0; pw * ph],
        scale,
        inverted: dark,
    }
}

/// Median of the outer frame (about 1/40 of the short side thick, at least one pixel).
fn frame_median(v: &[f32], w: usize, h: usize) -> f32 {
    let t = (w.min(h) / 40).max(1);
    let mut f: Vec<f32> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .filter(|&(x, y)| x < t || y < t || x + t >= w || y + t >= h)
        .map(|(x, y)| v[y * w + x])
        .collect();
    f.sort_by(f32::total_cmp);
    f.get(f.len() / 2).copied().unwrap_or(1.0)
}

/// Ink divided by a robust peak (the 90th percentile of the pixels at least a quarter of
/// the maximum), floored at [`NOISE_FLOOR`] and stretched back to `0..=1`; `None` when
/// the maximum is under [`MIN_CONTRAST`].
fn stretch(mut ink: Vec<f32>) -> Option<Vec<f32>> {
    let max = ink.iter().copied().fold(0.0f32, f32::max);
    if max < MIN_CONTRAST {
        return None;
    }
    let mut strong: Vec<f32> = ink.iter().copied().filter(|&x| x >= 0.25 * max).collect();
    strong.sort_by(f32::total_cmp);
    let peak = strong[(strong.len() * 9 / 10).min(strong.len() - 1)].max(1e-6);
    for x in &mut ink {
        let s = (*x / peak).min(1.0);
        *x = if s < NOISE_FLOOR {
            0.0
        } else {
            (s - NOISE_FLOOR) / (1.0 - NOISE_FLOOR)
        };
    }
    Some(ink)
}
