//! Distortions of training images, generated on the fly and deterministic: the
//! distortion of image `i` in epoch `e` depends only on (seed, e, i).
//!
//! - **Affine** (the paper's distortions, section III.C): translation ±`shift` px,
//!   scaling ×[1−`scale`, 1+`scale`], squeezing (x and y scaled differently, ratio
//!   within ±`squeeze`), horizontal shearing ±`shear`, and a small rotation ±`rotate`
//!   degrees. Defaults: shift 2, scale 0.1, squeeze 0.1, shear 0.2, rotate 8.
//! - **Elastic** (Simard, Steinkraus & Platt 2003): a random displacement field,
//!   uniform in [−1, 1] per pixel, smoothed by a Gaussian of std `sigma`, scaled by
//!   `alpha`, on top of a mild affine. Defaults: sigma 4, alpha 34 (the paper's
//!   values for 28x28 digits: displacements of about 1.4 px RMS).
//!
//! Resampling is bilinear; pixels outside the image are background (0).

use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// Which distortion to apply to training images.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Augment {
    /// Images as they are.
    #[default]
    None,
    /// Random affine transforms.
    Affine {
        shift: f32,
        scale: f32,
        squeeze: f32,
        shear: f32,
        rotate: f32,
    },
    /// Smoothed random displacement fields plus a mild affine.
    Elastic { sigma: f32, alpha: f32 },
}

/// The kinds of [`Augment`], each with its default parameters: what a user picks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum AugmentKind {
    /// No distortion.
    None,
    /// Random translation, scaling, squeezing, shearing, small rotation.
    Affine,
    /// Elastic distortion (Simard et al. 2003) plus a mild affine.
    Elastic,
}

impl From<AugmentKind> for Augment {
    fn from(k: AugmentKind) -> Augment {
        match k {
            AugmentKind::None => Augment::None,
            AugmentKind::Affine => Augment::affine(),
            AugmentKind::Elastic => Augment::elastic(),
        }
    }
}

impl Augment {
    /// The default affine distortion.
    pub fn affine() -> Self {
        Augment::Affine {
            shift: 2.0,
            scale: 0.1,
            squeeze: 0.1,
            shear: 0.2,
            rotate: 8.0,
        }
    }
    /// The default elastic distortion.
    pub fn elastic() -> Self {
        Augment::Elastic {
            sigma: 4.0,
            alpha: 34.0,
        }
    }
    /// Parses `none`, `affine`, `elastic` (each with its default parameters).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(AugmentKind::None.into()),
            "affine" => Some(AugmentKind::Affine.into()),
            "elastic" => Some(AugmentKind::Elastic.into()),
            _ => None,
        }
    }
    /// Short name.
    pub fn name(&self) -> &'static str {
        match self {
            Augment::None => "none",
            Augment::Affine { .. } => "affine",
            Augment::Elastic { .. } => "elastic",
        }
    }

    /// The 28x28 pixels (in [0, 1]) that training sees for image `index` in `epoch`.
    pub fn pixels(&self, img: &[u8], seed: u64, epoch: usize, index: usize) -> [f32; 784] {
        let mut src = [0.0f32; 784];
        for (o, &p) in src.iter_mut().zip(img) {
            *o = p as f32 * (1.0 / 255.0);
        }
        match *self {
            Augment::None => src,
            Augment::Affine {
                shift,
                scale,
                squeeze,
                shear,
                rotate,
            } => {
                let mut rng = Rng::derive(seed, &[2, epoch as u64, index as u64]);
                let m = random_affine(&mut rng, shift, scale, squeeze, shear, rotate);
                warp(&src, |x, y| m.apply(x, y))
            }
            Augment::Elastic { sigma, alpha } => {
                let mut rng = Rng::derive(seed, &[3, epoch as u64, index as u64]);
                let m = random_affine(&mut rng, 1.5, 0.075, 0.075, 0.15, 6.0);
                let (dx, dy) = (smooth_field(&mut rng, sigma), smooth_field(&mut rng, sigma));
                warp(&src, |x, y| {
                    let (u, v) = m.apply(x, y);
                    let k = (y as usize).min(27) * 28 + (x as usize).min(27);
                    (u + alpha * dx[k], v + alpha * dy[k])
                })
            }
        }
    }
}

/// Maps an output pixel centre to the source position it reads.
struct Affine {
    a: [f32; 4],
    t: [f32; 2],
}

impl Affine {
    fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let (cx, cy) = (x - 13.5, y - 13.5);
        (
            self.a[0] * cx + self.a[1] * cy + 13.5 + self.t[0],
            self.a[2] * cx + self.a[3] * cy + 13.5 + self.t[1],
        )
    }
}

fn random_affine(
    r: &mut Rng,
    shift: f32,
    scale: f32,
    squeeze: f32,
    shear: f32,
    rotate: f32,
) -> Affine {
    let s = 1.0 + r.uniform(-scale, scale);
    let q = 1.0 + r.uniform(-squeeze, squeeze);
    let (sx, sy) = (s * q.sqrt(), s / q.sqrt());
    let h = r.uniform(-shear, shear);
    let th = r.uniform(-rotate, rotate).to_radians();
    let (c, si) = (th.cos(), th.sin());
    // Forward map: rotate · shear · scale; we need its inverse for sampling.
    // M = R · [[1, h], [0, 1]] · diag(sx, sy)
    let m = [c * sx, (c * h - si) * sy, si * sx, (si * h + c) * sy];
    let det = m[0] * m[3] - m[1] * m[2];
    let inv = [m[3] / det, -m[1] / det, -m[2] / det, m[0] / det];
    Affine {
        a: inv,
        t: [r.uniform(-shift, shift), r.uniform(-shift, shift)],
    }
}

/// A 28x28 field uniform in [−1, 1], smoothed by a separable Gaussian of std `sigma`.
fn smooth_field(r: &mut Rng, sigma: f32) -> Vec<f32> {
    let f: Vec<f32> = (0..784).map(|_| r.uniform(-1.0, 1.0)).collect();
    let rad = (3.0 * sigma).ceil() as isize;
    let k: Vec<f32> = (-rad..=rad)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let norm: f32 = k.iter().sum();
    // Zero padding: each output sums the taps that land inside the image, in tap order.
    // Tap-outer loops over whole rows keep that order per pixel and vectorise.
    let blur = |src: &[f32], horizontal: bool| {
        let mut out = vec![0.0f32; 784];
        for (j, &w) in k.iter().enumerate() {
            let d = j as isize - rad;
            // Outputs t in lo..hi read t + d, which must lie in 0..28.
            let (lo, hi) = ((-d).max(0) as usize, (28 - d).clamp(0, 28) as usize);
            if lo >= hi {
                continue;
            }
            if horizontal {
                for (o, s) in out.chunks_exact_mut(28).zip(src.chunks_exact(28)) {
                    let s = &s[(lo as isize + d) as usize..(hi as isize + d) as usize];
                    for (o, s) in o[lo..hi].iter_mut().zip(s) {
                        *o += w * s;
                    }
                }
            } else {
                for y in lo..hi {
                    let sy = (y as isize + d) as usize;
                    let (o, s) = (&mut out[y * 28..y * 28 + 28], &src[sy * 28..sy * 28 + 28]);
                    for (o, s) in o.iter_mut().zip(s) {
                        *o += w * s;
                    }
                }
            }
        }
        for o in &mut out {
            *o /= norm;
        }
        out
    };
    blur(&blur(&f, true), false)
}

/// Bilinear resampling: output pixel (x, y) reads the source at `map(x, y)`.
fn warp(src: &[f32; 784], map: impl Fn(f32, f32) -> (f32, f32)) -> [f32; 784] {
    let at = |x: isize, y: isize| {
        if (0..28).contains(&x) && (0..28).contains(&y) {
            src[(y * 28 + x) as usize]
        } else {
            0.0
        }
    };
    let mut out = [0.0f32; 784];
    for y in 0..28 {
        for x in 0..28 {
            let (u, v) = map(x as f32, y as f32);
            let (x0, y0) = (u.floor(), v.floor());
            let (fx, fy) = (u - x0, v - y0);
            let (x0, y0) = (x0 as isize, y0 as isize);
            let val = (1.0 - fy) * ((1.0 - fx) * at(x0, y0) + fx * at(x0 + 1, y0))
                + fy * ((1.0 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
            out[y * 28 + x] = val.clamp(0.0, 1.0);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digit() -> Vec<u8> {
        let mut img = vec![0u8; 784];
        for y in 6..22 {
            for x in 12..16 {
                img[y * 28 + x] = 255;
            }
        }
        img
    }

    #[test]
    fn none_is_identity_and_distortions_are_deterministic() {
        let img = digit();
        let p = Augment::None.pixels(&img, 1, 0, 0);
        assert!(
            p.iter()
                .zip(&img)
                .all(|(a, &b)| (a * 255.0 - b as f32).abs() < 1e-3)
        );
        for a in [Augment::affine(), Augment::elastic()] {
            let x = a.pixels(&img, 1, 3, 7);
            assert_eq!(x, a.pixels(&img, 1, 3, 7), "{a:?} deterministic");
            assert_ne!(x, a.pixels(&img, 1, 4, 7), "{a:?} differs across epochs");
            assert_ne!(x, p, "{a:?} changes the image");
            // Ink is roughly preserved (no digit pushed out of the frame).
            let ink: f32 = x.iter().sum();
            let ink0: f32 = p.iter().sum();
            assert!(
                ink > 0.6 * ink0 && ink < 1.5 * ink0,
                "{a:?}: ink {ink} vs {ink0}"
            );
        }
    }

    #[test]
    fn pure_translation_moves_the_image() {
        let img = digit();
        let src = Augment::None.pixels(&img, 0, 0, 0);
        let m = Affine {
            a: [1.0, 0.0, 0.0, 1.0],
            t: [1.0, 0.0],
        };
        let out = warp(&src, |x, y| m.apply(x, y));
        // out(x) = src(x+1): the bar's columns 12..16 now sit at 11..15.
        assert_eq!(out[10 * 28 + 11], 1.0);
        assert_eq!(out[10 * 28 + 15], 0.0);
    }

    #[test]
    fn smoothing_equals_the_direct_gaussian_sum() {
        // The field is a truncated, zero-padded Gaussian blur of uniform noise: compare
        // with the sum written out per pixel (same taps, same order: bit for bit).
        let sigma = 4.0f32;
        let got = smooth_field(&mut Rng::derive(9, &[1]), sigma);
        let mut r = Rng::derive(9, &[1]);
        let f: Vec<f32> = (0..784).map(|_| r.uniform(-1.0, 1.0)).collect();
        let rad = 12isize;
        let k: Vec<f32> = (-rad..=rad)
            .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
            .collect();
        let norm: f32 = k.iter().sum();
        let pass = |src: &[f32], horizontal: bool| -> Vec<f32> {
            let mut out = vec![0.0f32; 784];
            for y in 0..28isize {
                for x in 0..28isize {
                    let mut acc = 0.0f32;
                    for (j, w) in k.iter().enumerate() {
                        let d = j as isize - rad;
                        let (sx, sy) = if horizontal { (x + d, y) } else { (x, y + d) };
                        if (0..28).contains(&sx) && (0..28).contains(&sy) {
                            acc += w * src[(sy * 28 + sx) as usize];
                        }
                    }
                    out[(y * 28 + x) as usize] = acc / norm;
                }
            }
            out
        };
        let want = pass(&pass(&f, true), false);
        assert_eq!(got, want);
        // Smooth: neighbours differ far less than independent noise would.
        let step: f32 = (0..783).map(|i| (got[i + 1] - got[i]).abs()).sum::<f32>() / 783.0;
        assert!(step < 0.05, "mean neighbour step {step}");
    }
}
