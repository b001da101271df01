//! `lenet5 predict --show-steps`: the preprocessing's stages side by side, so that a user
//! sees why a picture fails.

use std::path::Path;

use lenet5::data::image::{DynamicImage, SIDE, Steps, preprocess_with_steps};
use lenet5::{Recognition, Result};

use super::color::{self, Rgb};
use super::draw::Canvas;

/// Panel size (the working plane is scaled to fit it).
const PANEL: usize = 240;
const GAP: usize = 12;
const TITLE: usize = 22;

/// Draws the stages for `img` and the answer in `rec` into a PNG at `path`.
pub fn write(img: &DynamicImage, rec: &Recognition, path: &Path) -> Result<()> {
    render(img, rec).save_png(path)
}

/// The stages as one picture: input, background, ink, lines removed, chosen digit (its
/// box in green), the 28x28 the network saw; the answer underneath.
pub fn render(img: &DynamicImage, rec: &Recognition) -> Canvas {
    let (_, steps) = preprocess_with_steps(img);
    let cols = 3;
    let rows = 2;
    let width = cols * PANEL + (cols + 1) * GAP;
    let height = rows * (PANEL + TITLE) + (rows + 1) * GAP + 24;
    let mut c = Canvas::new(width, height, color::WHITE);
    let origin = |k: usize| {
        let (col, row) = (k % cols, k / cols);
        (
            (GAP + col * (PANEL + GAP)) as i64,
            (GAP + row * (PANEL + TITLE + GAP)) as i64,
        )
    };
    let grey = |v: f32| -> Rgb {
        let g = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        [g, g, g]
    };
    let ink = |v: f32| grey(1.0 - v);
    let mut panels: Vec<(String, Canvas)> = Vec::new();
    if let Some(s) = &steps {
        panels.push(("input (dark ink)".into(), plane(s, &s.input, grey)));
        panels.push(("background".into(), plane(s, &s.background, grey)));
        panels.push(("ink".into(), plane(s, &s.ink, ink)));
        let erased: Vec<f32> = s
            .ink
            .iter()
            .zip(&s.lines_removed)
            .map(|(&a, &b)| if a > 0.0 && b <= 0.0 { 1.0 } else { 0.0 })
            .collect();
        let mut lr = plane(s, &s.lines_removed, ink);
        overlay(&mut lr, s, &erased, [220, 40, 40]);
        panels.push((format!("lines: {} + {} (red)", s.lines.0, s.lines.1), lr));
        let mut ch = plane(s, &s.chosen, ink);
        if let Some((x0, y0, x1, y1)) = s.bbox {
            let k = scale(s);
            let (x0, y0) = ((x0 as f32 * k) as i64, (y0 as f32 * k) as i64);
            let (x1, y1) = ((x1 as f32 * k) as i64, (y1 as f32 * k) as i64);
            for (fx, fy, fw, fh) in [
                (x0, y0, x1 - x0, 2),
                (x0, y1 - 2, x1 - x0, 2),
                (x0, y0, 2, y1 - y0),
                (x1 - 2, y0, 2, y1 - y0),
            ] {
                ch.fill(fx, fy, fw, fh, color::GREEN);
            }
        }
        panels.push(("chosen digit".into(), ch));
    }
    let mut net = Canvas::new(SIDE * 8, SIDE * 8, color::BLACK);
    net.cells(0, 0, SIDE, SIDE, 8, |i| {
        let v = rec.input.pixels[i];
        [v, v, v]
    });
    panels.push(("28x28 seen".into(), net));
    for (k, (title, p)) in panels.iter().enumerate() {
        let (x, y) = origin(k);
        c.text_at(x, y, title, 2, color::INK);
        c.blit(p, x, y + TITLE as i64);
    }
    let answer = match rec.digit() {
        None => "no digit found".to_string(),
        Some(d) => format!(
            "answer {d} ({:.1}%){}",
            100.0 * rec.prediction.confidence(),
            if rec.low_confidence() {
                ", low confidence"
            } else {
                ""
            }
        ),
    };
    c.text_at(GAP as i64, (height - 22) as i64, &answer, 2, color::ACCENT);
    c
}

fn scale(s: &Steps) -> f32 {
    PANEL as f32 / s.w.max(s.h) as f32
}

/// A plane scaled (nearest neighbour) to fit the panel.
fn plane(s: &Steps, v: &[f32], col: impl Fn(f32) -> Rgb) -> Canvas {
    let k = scale(s);
    let (w, h) = (
        ((s.w as f32 * k) as usize).max(1),
        ((s.h as f32 * k) as usize).max(1),
    );
    let mut c = Canvas::new(w, h, color::WHITE);
    for y in 0..h {
        for x in 0..w {
            let sx = ((x as f32 / k) as usize).min(s.w - 1);
            let sy = ((y as f32 / k) as usize).min(s.h - 1);
            c.put(x as i64, y as i64, col(v[sy * s.w + sx]));
        }
    }
    c
}

/// Paints the pixels where `v > 0` in `rgb`.
fn overlay(c: &mut Canvas, s: &Steps, v: &[f32], rgb: Rgb) {
    let k = scale(s);
    for y in 0..c.height {
        for x in 0..c.width {
            let sx = ((x as f32 / k) as usize).min(s.w - 1);
            let sy = ((y as f32 / k) as usize).min(s.h - 1);
            if v[sy * s.w + sx] > 0.0 {
                c.put(x as i64, y as i64, rgb);
            }
        }
    }
}
