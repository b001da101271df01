//! Synthetic lines of digits made from MNIST digits, for the reading benchmark (from the
//! *test* digits) and for training on pieces (from the *training* digits).
//!
//! Each digit of a string is a random MNIST digit cropped to its ink, scaled by a random
//! factor in [`SCALE_RANGE`] (bilinear), shifted up or down by up to [`JITTER`] pixels,
//! and placed after the previous one with a horizontal gap between their ink boxes that
//! depends on the [`Tier`]: 2–6 pixels (separated), 0 (touching: the boxes abut, so the
//! anti-aliased edges usually touch), or −1 to −3 (overlapping). Overlapping ink is
//! combined by taking the maximum. Everything is drawn from [`Rng::derive`] of the seed,
//! the tier and the string's index: string `k` is the same whatever else is generated.

use serde::Serialize;

use crate::data::Dataset;
use crate::rng::Rng;

/// Scale factors of the digits (1 = MNIST's 20-pixel box).
pub const SCALE_RANGE: (f32, f32) = (0.8, 1.2);
/// Largest vertical shift of a digit, in pixels.
pub const JITTER: i32 = 3;
/// Blank border around a string, in pixels.
pub const MARGIN: usize = 4;

/// How close the digits of a string are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Gaps of 2 to 6 pixels between the ink boxes.
    Separated,
    /// Ink boxes abut (gap 0).
    Touching,
    /// Ink boxes overlap by 1 to 3 pixels.
    Overlapping,
}

impl Tier {
    /// The three tiers, easiest first.
    pub const ALL: [Tier; 3] = [Tier::Separated, Tier::Touching, Tier::Overlapping];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Separated => "separated",
            Tier::Touching => "touching",
            Tier::Overlapping => "overlapping",
        }
    }

    fn gap(self, rng: &mut Rng) -> i32 {
        match self {
            Tier::Separated => 2 + rng.below(5) as i32,
            Tier::Touching => 0,
            Tier::Overlapping => -1 - rng.below(3) as i32,
        }
    }
}

/// A synthetic string: white ink on black, row-major `w x h`, and its digits.
#[derive(Clone, Debug, PartialEq)]
pub struct SynthString {
    /// Width in pixels.
    pub w: usize,
    /// Height in pixels.
    pub h: usize,
    /// Ink, 0-255.
    pub pixels: Vec<u8>,
    /// The digits, e.g. `"40913"`.
    pub text: String,
    /// Which images of the dataset were used, left to right.
    pub sources: Vec<usize>,
    /// Each digit's ink box `[x0, y0, x1, y1)`.
    pub boxes: Vec<[usize; 4]>,
    /// Which digit (index into `text`) each pixel's ink comes from, [`NO_DIGIT`] where
    /// there is none; where two digits overlap, the one whose ink is stronger there.
    pub owner: Vec<u8>,
}

/// [`SynthString::owner`] of a pixel without ink.
pub const NO_DIGIT: u8 = u8::MAX;

/// String number `index` of `tier` with `digits` digits (at most 254), from the images
/// of `ds`.
pub fn make(ds: &Dataset, tier: Tier, digits: usize, seed: u64, index: u64) -> SynthString {
    let digits = digits.min(NO_DIGIT as usize - 1);
    let mut rng = Rng::derive(seed, &[tier as u64, index]);
    let glyphs: Vec<(usize, Glyph, i32)> = (0..digits)
        .map(|_| {
            let i = rng.below(ds.len());
            let s = rng.uniform(SCALE_RANGE.0, SCALE_RANGE.1);
            let dy = rng.below(2 * JITTER as usize + 1) as i32 - JITTER;
            (i, Glyph::from_mnist(ds.image(i), ds.cols, s), dy)
        })
        .collect();
    let gaps: Vec<i32> = (1..digits).map(|_| tier.gap(&mut rng)).collect();
    let tallest = (28.0 * SCALE_RANGE.1).ceil() as usize;
    let h = 2 * MARGIN + tallest + 2 * JITTER as usize;
    let mut x = MARGIN as i32;
    let mut placed = Vec::new();
    for (k, (_, g, dy)) in glyphs.iter().enumerate() {
        if k > 0 {
            x += gaps[k - 1];
        }
        let y = (h as i32 - g.h as i32) / 2 + dy;
        placed.push((x.max(0) as usize, y.max(0) as usize));
        x += g.w as i32;
    }
    let w = x.max(1) as usize + MARGIN;
    let mut pixels = vec![0u8; w * h];
    let mut owner = vec![NO_DIGIT; w * h];
    let mut boxes = Vec::new();
    for (k, ((_, g, _), &(px, py))) in glyphs.iter().zip(&placed).enumerate() {
        for y in 0..g.h {
            for x in 0..g.w {
                let at = (py + y) * w + px + x;
                let v = g.v[y * g.w + x];
                if v > pixels[at] {
                    pixels[at] = v;
                    owner[at] = k as u8;
                }
            }
        }
        boxes.push([px, py, px + g.w, py + g.h]);
    }
    SynthString {
        w,
        h,
        pixels,
        text: glyphs
            .iter()
            .map(|(i, _, _)| char::from(b'0' + ds.label(*i)))
            .collect(),
        sources: glyphs.iter().map(|g| g.0).collect(),
        boxes,
        owner,
    }
}

/// A digit cropped to its ink and scaled.
struct Glyph {
    w: usize,
    h: usize,
    v: Vec<u8>,
}

impl Glyph {
    fn from_mnist(img: &[u8], side: usize, scale: f32) -> Glyph {
        let rows = img.len() / side.max(1);
        let on = |x: usize, y: usize| img[y * side + x] > 0;
        let xs: Vec<usize> = (0..side).filter(|&x| (0..rows).any(|y| on(x, y))).collect();
        let ys: Vec<usize> = (0..rows).filter(|&y| (0..side).any(|x| on(x, y))).collect();
        let (Some(&x0), Some(&x1), Some(&y0), Some(&y1)) =
            (xs.first(), xs.last(), ys.first(), ys.last())
        else {
            return Glyph {
                w: 1,
                h: 1,
                v: vec![0],
            };
        };
        let (cw, ch) = (x1 - x0 + 1, y1 - y0 + 1);
        let w = ((cw as f32 * scale).round() as usize).max(1);
        let h = ((ch as f32 * scale).round() as usize).max(1);
        let at = |x: isize, y: isize| -> f32 {
            if x < 0 || y < 0 || x >= cw as isize || y >= ch as isize {
                0.0
            } else {
                img[(y0 + y as usize) * side + x0 + x as usize] as f32
            }
        };
        let mut v = vec![0u8; w * h];
        for y in 0..h {
            for x in 0..w {
                let sx = (x as f32 + 0.5) * cw as f32 / w as f32 - 0.5;
                let sy = (y as f32 + 0.5) * ch as f32 / h as f32 - 0.5;
                let (fx, fy) = (sx.floor(), sy.floor());
                let (ax, ay) = (sx - fx, sy - fy);
                let (ix, iy) = (fx as isize, fy as isize);
                let top = at(ix, iy) * (1.0 - ax) + at(ix + 1, iy) * ax;
                let bot = at(ix, iy + 1) * (1.0 - ax) + at(ix + 1, iy + 1) * ax;
                v[y * w + x] = (top * (1.0 - ay) + bot * ay).round().clamp(0.0, 255.0) as u8;
            }
        }
        Glyph { w, h, v }
    }
}
