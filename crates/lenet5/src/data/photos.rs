//! The photo benchmark: MNIST *test* digits rendered as phone photos of real paper, to
//! measure what the preprocessing ([`crate::data::image`]) makes of them. The networks are
//! never trained on these (they stay trained on MNIST); the preprocessing does the work.
//!
//! Photo `i` of the benchmark is a pure function of `(SEED, i)` and the MNIST test set
//! ([`Rng::derive`] with key `i`), so the 2,000 pictures are the same on every machine.
//! Photo `i` shows test digit `(i · 7919) mod n` (7919 is prime and coprime with 10,000,
//! so the first 10,000 photos are 10,000 different digits). Each photo is a
//! [`WIDTH`] x [`HEIGHT`] RGB picture, built in this order:
//!
//! 1. **Paper**: an off-white colour (level 200–250, a slight warm or cool tint) with
//!    fine grain. **Paper kind** (one third each): *blank*; *ruled* (light blue or grey
//!    lines every 18–30 px, 1–2.2 px thick); *squared* (both directions every 12–22 px).
//!    The whole sheet is tilted by up to ±4°, lines included.
//! 2. **Ink** (one third each): *black* (a near-black pen), *blue* (a ballpoint blue),
//!    *pencil* (mid grey, 55–85 % opaque, grainy). The MNIST digit is the pen's footprint:
//!    sampled bilinearly, sharpened by a smooth step (a pen's edge is crisper than MNIST's
//!    anti-aliasing), rotated by the sheet's tilt plus its own slant of up to ±10°.
//! 3. **Size and position** (one third each): the digit's 20-pixel MNIST box becomes
//!    *small* 24–45 px, *medium* 45–90 px or *large* 90–170 px tall, anywhere in the frame
//!    with at least 4 px to spare.
//! 4. **Light** (one third each): *even* (overall brightness 0.85–1.05); *gradient* (a
//!    linear fall-off in a random direction down to 0.45–0.75 of the brightest side);
//!    *shadow* (a soft-edged half plane — edge 3–30 px wide — at 0.45–0.7 of the light,
//!    through a random point, over a mild gradient).
//! 5. **Camera**: Gaussian blur σ 0–1.3 px, sensor noise σ 1–4 levels, then JPEG at
//!    quality 40–95 (the file the benchmark decodes, as `lenet5 predict` would).
//!
//! [`Photo::tags`] names each photo's conditions; the benchmark reports accuracy overall
//! and per tag.

use std::f32::consts::PI;

use ::image::codecs::jpeg::JpegEncoder;
use ::image::{DynamicImage, RgbImage};
use serde::Serialize;

use crate::data::Dataset;
use crate::rng::Rng;

/// The benchmark's fixed seed.
pub const SEED: u64 = 12;
/// Photos in the documented benchmark.
pub const COUNT: usize = 2000;
/// Frame width.
pub const WIDTH: u32 = 320;
/// Frame height.
pub const HEIGHT: u32 = 240;

/// What is printed on the sheet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Paper {
    /// Plain paper.
    Blank,
    /// Horizontal lines.
    Ruled,
    /// A square grid.
    Squared,
}

/// How the sheet is lit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Light {
    /// Even light.
    Even,
    /// A linear fall-off across the frame.
    Gradient,
    /// A soft-edged shadow over part of the frame.
    Shadow,
}

/// What the digit is written with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ink {
    /// Black pen.
    Black,
    /// Blue ballpoint.
    Blue,
    /// Grey pencil, partly transparent and grainy.
    Pencil,
}

/// How big the digit is in the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Size {
    /// 24–45 px tall.
    Small,
    /// 45–90 px tall.
    Medium,
    /// 90–170 px tall.
    Large,
}

/// Everything random about one photo.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Spec {
    /// Photo number.
    pub i: usize,
    /// Index of the MNIST test digit.
    pub test_index: usize,
    /// Its label.
    pub label: u8,
    /// Paper kind.
    pub paper: Paper,
    /// Lighting.
    pub light: Light,
    /// Ink.
    pub ink: Ink,
    /// Size class.
    pub size: Size,
    /// Height of the digit's 20-pixel box in the frame, px.
    pub box_px: f32,
    /// Total rotation of the digit (sheet tilt plus slant), degrees.
    pub angle_deg: f32,
    /// Blur σ in px.
    pub blur: f32,
    /// JPEG quality.
    pub quality: u8,
}

/// One benchmark photo: how it was made and its JPEG file.
#[derive(Clone, Debug)]
pub struct Photo {
    /// How it was made.
    pub spec: Spec,
    /// The JPEG file's bytes.
    pub jpeg: Vec<u8>,
}

impl Photo {
    /// The conditions this photo belongs to, e.g. `["paper: ruled", "light: shadow",
    /// "ink: blue", "size: small", "rotation: > 6°", "blur: σ > 0.8", "jpeg: q < 60"]`
    /// (the last three only when they apply).
    pub fn tags(&self) -> Vec<String> {
        let s = &self.spec;
        let mut t = vec![
            format!("paper: {}", name(&s.paper)),
            format!("light: {}", name(&s.light)),
            format!("ink: {}", name(&s.ink)),
            format!("size: {}", name(&s.size)),
        ];
        if s.angle_deg.abs() > 6.0 {
            t.push("rotation: > 6°".into());
        }
        if s.blur > 0.8 {
            t.push("blur: σ > 0.8".into());
        }
        if s.quality < 60 {
            t.push("jpeg: q < 60".into());
        }
        t
    }
}

/// The lowercase serde name of a condition (a unit variant).
fn name<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Photo `i` of the benchmark made from `test` (the MNIST test set). Panics if `test` is
/// empty or its images are not 28x28.
pub fn photo(test: &Dataset, i: usize) -> Photo {
    assert!(
        !test.is_empty(),
        "the photo benchmark needs MNIST test digits"
    );
    assert_eq!((test.rows, test.cols), (28, 28), "MNIST digits are 28x28");
    let mut r = Rng::derive(SEED, &[i as u64]);
    let test_index = (i * 7919) % test.len();
    let pick3 = |r: &mut Rng| r.below(3);
    let paper = [Paper::Blank, Paper::Ruled, Paper::Squared][pick3(&mut r)];
    let light = [Light::Even, Light::Gradient, Light::Shadow][pick3(&mut r)];
    let ink = [Ink::Black, Ink::Blue, Ink::Pencil][pick3(&mut r)];
    let size = [Size::Small, Size::Medium, Size::Large][pick3(&mut r)];
    let box_px = match size {
        Size::Small => r.uniform(24.0, 45.0),
        Size::Medium => r.uniform(45.0, 90.0),
        Size::Large => r.uniform(90.0, 170.0),
    };
    let tilt = r.uniform(-4.0, 4.0);
    let angle_deg = tilt + r.uniform(-10.0, 10.0);
    let blur = r.uniform(0.0, 1.3);
    let quality = 40 + r.below(56) as u8;
    let spec = Spec {
        i,
        test_index,
        label: test.label(test_index),
        paper,
        light,
        ink,
        size,
        box_px,
        angle_deg,
        blur,
        quality,
    };
    let rgb = render(&spec, test.image(test_index), tilt, &mut r);
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, quality)
        .encode_image(&DynamicImage::ImageRgb8(rgb))
        .expect("encoding an RGB picture in memory cannot fail");
    Photo { spec, jpeg }
}

fn smoothstep(x: f32) -> f32 {
    let x = x.clamp(0.0, 1.0);
    x * x * (3.0 - 2.0 * x)
}

/// Bilinear sample of a 28x28 byte image at continuous pixel-index coordinates, 0 outside.
fn sample28(img: &[u8], u: f32, v: f32) -> f32 {
    let (x0, y0) = (u.floor(), v.floor());
    let (tx, ty) = (u - x0, v - y0);
    let at = |x: f32, y: f32| -> f32 {
        if (0.0..28.0).contains(&x) && (0.0..28.0).contains(&y) {
            f32::from(img[y as usize * 28 + x as usize]) / 255.0
        } else {
            0.0
        }
    };
    let top = at(x0, y0) * (1.0 - tx) + at(x0 + 1.0, y0) * tx;
    let bottom = at(x0, y0 + 1.0) * (1.0 - tx) + at(x0 + 1.0, y0 + 1.0) * tx;
    top * (1.0 - ty) + bottom * ty
}

fn render(s: &Spec, digit: &[u8], tilt_deg: f32, r: &mut Rng) -> RgbImage {
    let (w, h) = (WIDTH as usize, HEIGHT as usize);
    // Paper.
    let level = r.uniform(200.0, 250.0);
    let warm = r.uniform(-0.04, 0.06);
    let paper = [level * (1.0 + warm * 0.3), level, level * (1.0 - warm)];
    let grain = r.uniform(1.0, 4.0);
    let mut img = vec![[0f32; 3]; w * h];
    for p in img.iter_mut() {
        let g = r.normal() * grain;
        *p = [paper[0] + g, paper[1] + g, paper[2] + g];
    }

    // Lines, drawn anti-aliased in the tilted sheet's coordinates.
    let tilt = tilt_deg * PI / 180.0;
    let (sin, cos) = tilt.sin_cos();
    let blue_lines = r.below(3) < 2;
    let line_rgb = if blue_lines {
        [
            r.uniform(140.0, 190.0),
            r.uniform(165.0, 205.0),
            r.uniform(215.0, 245.0),
        ]
    } else {
        let g = r.uniform(140.0, 195.0);
        [g, g, g]
    };
    let strength = r.uniform(0.5, 0.95);
    let (spacing, thick) = match s.paper {
        Paper::Blank => (0.0, 0.0),
        Paper::Ruled => (r.uniform(18.0, 30.0), r.uniform(1.0, 2.2)),
        Paper::Squared => (r.uniform(12.0, 22.0), r.uniform(0.8, 1.6)),
    };
    let (off_u, off_v) = (r.uniform(0.0, 30.0), r.uniform(0.0, 30.0));
    if s.paper != Paper::Blank {
        let cover = |c: f32| {
            let m = (c.rem_euclid(spacing) - spacing / 2.0).abs();
            let d = spacing / 2.0 - m; // distance to the nearest line
            (thick / 2.0 + 0.5 - d).clamp(0.0, 1.0)
        };
        for y in 0..h {
            for x in 0..w {
                let (xf, yf) = (x as f32, y as f32);
                let u = xf * cos + yf * sin + off_u;
                let v = -xf * sin + yf * cos + off_v;
                let mut a = cover(v);
                if s.paper == Paper::Squared {
                    a = a.max(cover(u));
                }
                let a = a * strength;
                if a > 0.0 {
                    let p = &mut img[y * w + x];
                    for c in 0..3 {
                        p[c] = p[c] * (1.0 - a) + line_rgb[c] * a;
                    }
                }
            }
        }
    }

    // The digit.
    let (ink_rgb, opacity, graininess) = match s.ink {
        Ink::Black => {
            let k = r.uniform(15.0, 50.0);
            ([k, k, k + r.uniform(0.0, 15.0)], 1.0, 0.0)
        }
        Ink::Blue => (
            [
                r.uniform(20.0, 60.0),
                r.uniform(35.0, 80.0),
                r.uniform(120.0, 190.0),
            ],
            1.0,
            0.0,
        ),
        Ink::Pencil => {
            let g = r.uniform(70.0, 120.0);
            ([g, g, g + 5.0], r.uniform(0.55, 0.85), r.uniform(0.2, 0.45))
        }
    };
    let f = s.box_px / 20.0; // frame pixels per MNIST pixel
    let half = 14.0 * f;
    let margin = 10.0 * f + 4.0;
    let cx = r.uniform(margin, (w as f32 - margin).max(margin + 1.0));
    let cy = r.uniform(margin, (h as f32 - margin).max(margin + 1.0));
    let phi = s.angle_deg * PI / 180.0;
    let (ps, pc) = phi.sin_cos();
    let reach = half * 1.5;
    let (xa, xb) = (
        (cx - reach).max(0.0) as usize,
        ((cx + reach) as usize).min(w - 1),
    );
    let (ya, yb) = (
        (cy - reach).max(0.0) as usize,
        ((cy + reach) as usize).min(h - 1),
    );
    for y in ya..=yb {
        for x in xa..=xb {
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            // Frame -> digit: undo the rotation, then the scale.
            let u = (dx * pc + dy * ps) / f + 14.0 - 0.5;
            let v = (-dx * ps + dy * pc) / f + 14.0 - 0.5;
            let m = sample28(digit, u, v);
            if m <= 0.0 {
                continue;
            }
            let mut a = smoothstep((m - 0.15) / 0.55) * opacity;
            if graininess > 0.0 {
                a *= 1.0 - graininess * r.next_f32();
            }
            let p = &mut img[y * w + x];
            for c in 0..3 {
                p[c] = p[c] * (1.0 - a) + ink_rgb[c] * a;
            }
        }
    }

    // Light.
    let light = lighting(s.light, w, h, r);
    for (p, l) in img.iter_mut().zip(&light) {
        for c in p.iter_mut() {
            *c *= l;
        }
    }

    // Camera: blur, noise, 8 bits.
    if s.blur > 0.05 {
        gaussian_blur(&mut img, w, h, s.blur);
    }
    let noise = r.uniform(1.0, 4.0);
    let mut out = RgbImage::new(WIDTH, HEIGHT);
    for (o, p) in out.pixels_mut().zip(&img) {
        for (oc, &pc) in o.0.iter_mut().zip(p) {
            *oc = (pc + r.normal() * noise).round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

/// The light falling on each pixel, as a factor.
fn lighting(kind: Light, w: usize, h: usize, r: &mut Rng) -> Vec<f32> {
    let diag = ((w * w + h * h) as f32).sqrt();
    let theta = r.uniform(0.0, 2.0 * PI);
    let (gs, gc) = theta.sin_cos();
    // Position along the direction theta, 0..1 over the frame.
    let along = move |x: usize, y: usize| {
        let (xf, yf) = (x as f32 - w as f32 / 2.0, y as f32 - h as f32 / 2.0);
        ((xf * gc + yf * gs) / diag + 0.5).clamp(0.0, 1.0)
    };
    let mut out = vec![1f32; w * h];
    match kind {
        Light::Even => {
            let b = r.uniform(0.85, 1.05);
            out.iter_mut().for_each(|v| *v = b);
        }
        Light::Gradient => {
            let low = r.uniform(0.45, 0.75);
            for y in 0..h {
                for x in 0..w {
                    out[y * w + x] = 1.0 - (1.0 - low) * along(x, y);
                }
            }
        }
        Light::Shadow => {
            let low = r.uniform(0.85, 1.0);
            let depth = r.uniform(0.45, 0.7);
            let edge = r.uniform(3.0, 30.0);
            let (px, py) = (
                r.uniform(0.2, 0.8) * w as f32,
                r.uniform(0.2, 0.8) * h as f32,
            );
            let a = r.uniform(0.0, 2.0 * PI);
            let (ns, nc) = a.sin_cos();
            for y in 0..h {
                for x in 0..w {
                    let d = (x as f32 - px) * nc + (y as f32 - py) * ns;
                    let t = smoothstep(d / edge + 0.5);
                    let shade = 1.0 - (1.0 - depth) * t;
                    out[y * w + x] = (1.0 - (1.0 - low) * along(x, y)) * shade;
                }
            }
        }
    }
    out
}

/// In-place separable Gaussian blur with σ px (edges repeated).
fn gaussian_blur(img: &mut [[f32; 3]], w: usize, h: usize, sigma: f32) {
    let rad = (3.0 * sigma).ceil() as isize;
    let k: Vec<f32> = (-rad..=rad)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f32 = k.iter().sum();
    let k: Vec<f32> = k.iter().map(|v| v / sum).collect();
    let mut tmp = vec![[0f32; 3]; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut acc = [0f32; 3];
            for (j, &kv) in k.iter().enumerate() {
                let xx = (x as isize + j as isize - rad).clamp(0, w as isize - 1) as usize;
                let p = img[y * w + xx];
                for c in 0..3 {
                    acc[c] += kv * p[c];
                }
            }
            tmp[y * w + x] = acc;
        }
    }
    for y in 0..h {
        for x in 0..w {
            let mut acc = [0f32; 3];
            for (j, &kv) in k.iter().enumerate() {
                let yy = (y as isize + j as isize - rad).clamp(0, h as isize - 1) as usize;
                let p = tmp[yy * w + x];
                for c in 0..3 {
                    acc[c] += kv * p[c];
                }
            }
            img[y * w + x] = acc;
        }
    }
}

/// One photo's outcome: its tags, the truth and each classifier's answer (`None` = no
/// digit found).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outcome {
    /// [`Photo::tags`].
    pub tags: Vec<String>,
    /// The true digit.
    pub label: u8,
    /// One answer per classifier.
    pub answers: Vec<Option<u8>>,
}

/// Makes photos `0..count` and asks each classifier (decoded picture in, digit or `None`
/// out) about them, in parallel; results in photo order.
pub fn run<F>(test: &Dataset, count: usize, classifiers: &[F]) -> Vec<Outcome>
where
    F: Fn(&DynamicImage) -> Option<u8> + Sync,
{
    let idx: Vec<usize> = (0..count).collect();
    let parts = crate::parallel::map_chunks(&idx, 16, |chunk| {
        chunk
            .iter()
            .map(|&i| {
                let p = photo(test, i);
                let img = crate::data::image::decode_image(&p.jpeg, "photo.jpg".as_ref())
                    .expect("the generator writes valid JPEG");
                Outcome {
                    tags: p.tags(),
                    label: p.spec.label,
                    answers: classifiers.iter().map(|c| c(&img)).collect(),
                }
            })
            .collect::<Vec<_>>()
    });
    parts.into_iter().flatten().collect()
}

/// Accuracy of classifier `k`: `(tag, right, total)`, overall first (tag `"all"`), then
/// each tag in a fixed order.
pub fn summarise(outcomes: &[Outcome], k: usize) -> Vec<(String, usize, usize)> {
    let mut order: Vec<String> = vec!["all".into()];
    for o in outcomes {
        for t in &o.tags {
            if !order.contains(t) {
                order.push(t.clone());
            }
        }
    }
    let rank = |t: &str| {
        // Fixed, readable order: by condition family, then the generator's order.
        const FAMILIES: [&str; 8] = [
            "all", "paper", "light", "ink", "size", "rotation", "blur", "jpeg",
        ];
        const VALUES: [&str; 12] = [
            "blank", "ruled", "squared", "even", "gradient", "shadow", "black", "blue", "pencil",
            "small", "medium", "large",
        ];
        let fam = t.split(':').next().unwrap_or(t);
        let val = t.split(": ").nth(1).unwrap_or("");
        (
            FAMILIES.iter().position(|f| *f == fam).unwrap_or(99),
            VALUES.iter().position(|v| *v == val).unwrap_or(99),
        )
    };
    order.sort_by_key(|t| rank(t));
    order
        .into_iter()
        .map(|t| {
            let sel: Vec<&Outcome> = outcomes
                .iter()
                .filter(|o| t == "all" || o.tags.contains(&t))
                .collect();
            let right = sel.iter().filter(|o| o.answers[k] == Some(o.label)).count();
            (t, right, sel.len())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_test_set() -> Dataset {
        let mut images = vec![0u8; 2 * 784];
        for y in 4..24 {
            images[y * 28 + 14] = 255; // a "1"
            images[784 + y * 28 + 8] = 255;
            images[784 + y * 28 + 20] = 255;
        }
        Dataset {
            images,
            labels: vec![1, 0],
            rows: 28,
            cols: 28,
        }
    }

    #[test]
    fn photos_are_deterministic_and_vary() {
        let ds = tiny_test_set();
        let a = photo(&ds, 3);
        let b = photo(&ds, 3);
        assert_eq!(a.jpeg, b.jpeg);
        assert_eq!(a.spec, b.spec);
        let c = photo(&ds, 4);
        assert_ne!(a.jpeg, c.jpeg);
        let img = crate::data::image::decode_image(&a.jpeg, "a.jpg".as_ref()).unwrap();
        assert_eq!((img.width(), img.height()), (WIDTH, HEIGHT));
    }

    #[test]
    fn every_condition_occurs_and_tags_name_them() {
        let ds = tiny_test_set();
        let specs: Vec<Spec> = (0..60).map(|i| photo(&ds, i).spec).collect();
        for p in [Paper::Blank, Paper::Ruled, Paper::Squared] {
            assert!(specs.iter().any(|s| s.paper == p), "{p:?}");
        }
        for l in [Light::Even, Light::Gradient, Light::Shadow] {
            assert!(specs.iter().any(|s| s.light == l), "{l:?}");
        }
        for k in [Ink::Black, Ink::Blue, Ink::Pencil] {
            assert!(specs.iter().any(|s| s.ink == k), "{k:?}");
        }
        let t = photo(&ds, 0).tags();
        assert!(t[0].starts_with("paper: ") && t[3].starts_with("size: "));
        assert!(["blank", "ruled", "squared"].contains(&&t[0]["paper: ".len()..]));
    }

    #[test]
    fn summary_counts_right_answers_per_tag() {
        let o = |tags: &[&str], label, a| Outcome {
            tags: tags.iter().map(|s| s.to_string()).collect(),
            label,
            answers: vec![a],
        };
        let out = [
            o(&["paper: ruled"], 3, Some(3)),
            o(&["paper: ruled"], 3, None),
            o(&["paper: blank"], 1, Some(1)),
        ];
        let s = summarise(&out, 0);
        assert_eq!(s[0], ("all".into(), 2, 3));
        assert_eq!(s[1], ("paper: blank".into(), 1, 1));
        assert_eq!(s[2], ("paper: ruled".into(), 1, 2));
    }
}
