//! Synthetic digits drawn as thick anti-aliased strokes, and measurements on 28x28 images.

use image::{Rgb, RgbImage, Rgba, RgbaImage};

/// A straight stroke from one point to another, in the unit square (x right, y down).
pub type Seg = ((f32, f32), (f32, f32));

/// Stick-figure digits in the unit square (only the ones the tests use).
pub fn strokes(digit: char) -> Vec<Seg> {
    match digit {
        '1' => vec![((0.5, 0.05), (0.5, 0.95)), ((0.5, 0.05), (0.3, 0.25))],
        '7' => vec![((0.2, 0.05), (0.8, 0.05)), ((0.8, 0.05), (0.4, 0.95))],
        '4' => vec![
            ((0.6, 0.05), (0.15, 0.65)),
            ((0.15, 0.65), (0.85, 0.65)),
            ((0.65, 0.3), (0.65, 0.95)),
        ],
        '0' => {
            let n = 16;
            let p = |i: usize| {
                let t = i as f32 / n as f32 * std::f32::consts::TAU;
                (0.5 + 0.3 * t.cos(), 0.5 + 0.45 * t.sin())
            };
            (0..n).map(|i| (p(i), p(i + 1))).collect()
        }
        other => panic!("no strokes for {other:?}"),
    }
}

/// Where and how to draw: the unit square maps to `size` pixels at `origin`.
#[derive(Clone, Copy, Debug)]
pub struct Pen {
    pub origin: (f32, f32),
    pub size: f32,
    pub thickness: f32,
}

fn dist_to_seg(px: f32, py: f32, a: (f32, f32), b: (f32, f32)) -> f32 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((px - a.0) * dx + (py - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (qx, qy) = (a.0 + t * dx, a.1 + t * dy);
    ((px - qx).powi(2) + (py - qy).powi(2)).sqrt()
}

/// Calls `f(x, y, coverage)` for every canvas pixel the strokes touch (coverage in 0..=1,
/// anti-aliased over one pixel). Only the strokes' bounding box is visited.
pub fn for_each_covered(w: u32, h: u32, segs: &[Seg], pen: Pen, mut f: impl FnMut(u32, u32, f32)) {
    let map = |p: (f32, f32)| (pen.origin.0 + p.0 * pen.size, pen.origin.1 + p.1 * pen.size);
    let segs: Vec<_> = segs.iter().map(|&(a, b)| (map(a), map(b))).collect();
    let r = pen.thickness / 2.0;
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for &(a, b) in &segs {
        x0 = x0.min(a.0).min(b.0);
        y0 = y0.min(a.1).min(b.1);
        x1 = x1.max(a.0).max(b.0);
        y1 = y1.max(a.1).max(b.1);
    }
    let clampx = |v: f32| (v.max(0.0) as u32).min(w);
    let clampy = |v: f32| (v.max(0.0) as u32).min(h);
    for y in clampy(y0 - r - 2.0)..clampy(y1 + r + 2.0) {
        for x in clampx(x0 - r - 2.0)..clampx(x1 + r + 2.0) {
            let (cx, cy) = (x as f32 + 0.5, y as f32 + 0.5);
            let d = segs
                .iter()
                .map(|&(a, b)| dist_to_seg(cx, cy, a, b))
                .fold(f32::MAX, f32::min);
            let c = (r + 0.5 - d).clamp(0.0, 1.0);
            if c > 0.0 {
                f(x, y, c);
            }
        }
    }
}

fn mix(paper: [u8; 3], ink: [u8; 3], c: f32) -> [u8; 3] {
    let m = |p: u8, i: u8| (f32::from(p) * (1.0 - c) + f32::from(i) * c).round() as u8;
    [
        m(paper[0], ink[0]),
        m(paper[1], ink[1]),
        m(paper[2], ink[2]),
    ]
}

/// `digit` drawn with `pen` in `ink` on a `w x h` canvas of `paper`.
pub fn draw_rgb(w: u32, h: u32, digit: char, pen: Pen, ink: [u8; 3], paper: [u8; 3]) -> RgbImage {
    let mut img = RgbImage::from_pixel(w, h, Rgb(paper));
    for_each_covered(w, h, &strokes(digit), pen, |x, y, c| {
        img.put_pixel(x, y, Rgb(mix(paper, ink, c)));
    });
    img
}

/// `digit` drawn with `pen` in opaque `ink` on a fully transparent canvas of colour
/// `under` (alpha = coverage).
pub fn draw_rgba(w: u32, h: u32, digit: char, pen: Pen, ink: [u8; 3], under: [u8; 3]) -> RgbaImage {
    let [r, g, b] = under;
    let mut img = RgbaImage::from_pixel(w, h, Rgba([r, g, b, 0]));
    for_each_covered(w, h, &strokes(digit), pen, |x, y, c| {
        img.put_pixel(
            x,
            y,
            Rgba([ink[0], ink[1], ink[2], (c * 255.0).round() as u8]),
        );
    });
    img
}

/// Bounding box `(x0, y0, x1, y1)`, exclusive ends, of the non-zero pixels of a 28x28 image.
pub fn bbox(p: &[u8]) -> Option<(usize, usize, usize, usize)> {
    let (mut x0, mut y0, mut x1, mut y1) = (28, 28, 0, 0);
    for (i, &v) in p.iter().enumerate() {
        if v > 0 {
            let (x, y) = (i % 28, i / 28);
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x + 1);
            y1 = y1.max(y + 1);
        }
    }
    (x1 > x0).then_some((x0, y0, x1, y1))
}

/// Centre of mass (pixel-index coordinates) of a 28x28 image.
pub fn centre_of_mass(p: &[u8]) -> (f64, f64) {
    let (mut m, mut sx, mut sy) = (0f64, 0f64, 0f64);
    for (i, &v) in p.iter().enumerate() {
        let v = f64::from(v);
        m += v;
        sx += v * (i % 28) as f64;
        sy += v * (i / 28) as f64;
    }
    (sx / m, sy / m)
}

/// Mean absolute difference of two 28x28 images, on 0..=255.
pub fn mad(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).abs())
        .sum::<f64>()
        / a.len() as f64
}

/// Checks the MNIST normalisation of a non-blank result: the box of non-zero pixels has a
/// longest side of 19–20, the centre of mass is within 1 px of (14, 14), the brightest
/// pixel is 255, and nothing outside the box is lit (the background is 0).
pub fn assert_mnist_like(p: &[u8], what: &str) {
    let (x0, y0, x1, y1) = bbox(p).unwrap_or_else(|| panic!("{what}: no ink in the 28x28"));
    let long = (x1 - x0).max(y1 - y0);
    assert!(
        (19..=20).contains(&long),
        "{what}: ink box {x0},{y0}..{x1},{y1} has longest side {long}, want 19-20"
    );
    let (cx, cy) = centre_of_mass(p);
    assert!(
        (cx - 14.0).abs() <= 1.0 && (cy - 14.0).abs() <= 1.0,
        "{what}: centre of mass ({cx:.2}, {cy:.2}) is not within 1 px of (14, 14)"
    );
    assert_eq!(
        p.iter().copied().max(),
        Some(255),
        "{what}: brightest pixel"
    );
    for y in 0..28 {
        for x in 0..28 {
            if !(x0..x1).contains(&x) || !(y0..y1).contains(&y) {
                assert_eq!(p[y * 28 + x], 0, "{what}: background at ({x},{y})");
            }
        }
    }
    // The box may touch one edge (the shift is clamped so the box stays inside; MNIST
    // lights its edge rows in ~1.4% of images), never two opposite ones, so the corners
    // are always dark.
    for (x, y) in [(0, 0), (27, 0), (0, 27), (27, 27)] {
        assert_eq!(p[y * 28 + x], 0, "{what}: corner ({x},{y}) is lit");
    }
}

/// The 28x28 as text, for failure messages.
pub fn ascii(p: &[u8]) -> String {
    p.chunks(28)
        .map(|row| {
            row.iter()
                .map(|&v| match v {
                    0 => '.',
                    1..=84 => '-',
                    85..=169 => '+',
                    _ => '#',
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
