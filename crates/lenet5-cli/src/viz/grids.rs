//! Grids of digits: misclassified test images, training images beside their random
//! distortions, and the RBF output layer's ten bitmaps.

use super::color;
use super::draw::{Canvas, Font, Surface};
use super::{MARGIN, font};
use lenet5::data::augment::Augment;
use lenet5::data::mnist::Dataset;
use lenet5::nn::rbf::{GLYPH_H, GLYPH_LEN, GLYPH_W, centres};
use lenet5::train::evaluate;
use lenet5::{Error, Model, Result};

/// Most digits [`errors`] draws (a 1000-digit grid is already 15,000 pixels tall).
pub const MAX_ERRORS_SHOWN: usize = 1000;
/// Most rows (training digits) of [`augment_preview`].
pub const MAX_PREVIEW_ROWS: usize = 100;
/// Most distortions per row of [`augment_preview`].
pub const MAX_PREVIEW_PER: usize = 30;

/// Enlargement of one 28x28 digit in the grids.
pub const DIGIT_SCALE: usize = 3;
const DIGIT: usize = 28 * DIGIT_SCALE;

fn blank_with_title(w: usize, h: usize, title: &str, note: &str) -> Canvas {
    let w = w.max(font::text_width(title, 2).max(font::text_width(note, 1)) + 2 * MARGIN);
    let mut c = Canvas::new(w, h, color::WHITE);
    c.text_at(MARGIN as i64, MARGIN as i64, title, 2, color::INK);
    c.text_at(MARGIN as i64, (MARGIN + 24) as i64, note, 1, color::GREY);
    c
}

const TOP: usize = MARGIN + 24 + 10 + 16;

/// Draws 784 values in [0, 1] (1 = ink) as dark ink on white, framed, top-left (x, y).
fn digit(c: &mut Canvas, x: usize, y: usize, px: impl Fn(usize) -> f32) {
    c.frame(
        x as f32 - 1.0,
        y as f32 - 1.0,
        (DIGIT + 2) as f32,
        (DIGIT + 2) as f32,
        1.0,
        color::LIGHT,
    );
    c.cells(x as i64, y as i64, 28, 28, DIGIT_SCALE, |i| {
        let g = (255.0 * (1.0 - px(i).clamp(0.0, 1.0))).round() as u8;
        [g, g, g]
    });
}

/// Misclassified images of `ds` (whose predicted digits are `predictions`), at most `max`,
/// in dataset order, each labelled with its true and predicted digit and its index.
/// `max` is capped at [`MAX_ERRORS_SHOWN`].
pub fn errors(ds: &Dataset, predictions: &[u8], max: usize, title: &str) -> Canvas {
    let max = max.min(MAX_ERRORS_SHOWN);
    let wrong: Vec<usize> = (0..ds.len().min(predictions.len()))
        .filter(|&i| predictions[i] != ds.label(i))
        .collect();
    let shown = &wrong[..wrong.len().min(max)];
    let cols = 10usize;
    let (tw, th) = (DIGIT + 18, DIGIT + 6 + 20 + 20 + 14 + 14);
    let rows = shown.len().div_ceil(cols).max(1);
    let note = format!(
        "{} of {} test images misclassified, the first {} shown; below each: true digit, network's answer, index in the test set",
        wrong.len(),
        ds.len().min(predictions.len()),
        shown.len()
    );
    let mut c = blank_with_title(
        2 * MARGIN + cols * tw,
        TOP + rows * th + MARGIN,
        title,
        &note,
    );
    if wrong.is_empty() {
        c.text_at(
            MARGIN as i64,
            TOP as i64,
            "no misclassified images",
            2,
            color::GREEN,
        );
    }
    for (k, &i) in shown.iter().enumerate() {
        let (x, y) = (MARGIN + (k % cols) * tw, TOP + (k / cols) * th);
        let img = ds.image(i);
        digit(&mut c, x, y, |j| img[j] as f32 / 255.0);
        let ly = y + DIGIT + 8;
        c.text_at(
            x as i64,
            ly as i64,
            &format!("true {}", ds.label(i)),
            2,
            color::INK,
        );
        c.text_at(
            x as i64,
            (ly + 20) as i64,
            &format!("said {}", predictions[i]),
            2,
            color::ACCENT,
        );
        c.text_at(x as i64, (ly + 40) as i64, &format!("#{i}"), 1, color::GREY);
    }
    c
}

/// Evaluates `model` on `test` and draws its misclassified images (see [`errors`]).
/// Returns the picture and the number of errors; `max` above [`MAX_ERRORS_SHOWN`] is an error.
pub fn errors_of(
    model: &Model,
    test: &Dataset,
    max: usize,
    title: &str,
) -> Result<(Canvas, usize)> {
    if max > MAX_ERRORS_SHOWN {
        return Err(Error::Usage(format!(
            "--max {max}: at most {MAX_ERRORS_SHOWN} digits fit in one picture"
        )));
    }
    let r = evaluate(model.network(), test);
    Ok((errors(test, &r.predictions, max, title), r.errors()))
}

/// `n` training images (the first of each digit in turn), each followed by `k` random
/// distortions: those that training with `augment` and `seed` applies to that image in
/// epochs 1..=k. At most [`MAX_PREVIEW_ROWS`] rows and [`MAX_PREVIEW_PER`] distortions.
pub fn augment_preview(
    train: &Dataset,
    augment: Augment,
    n: usize,
    k: usize,
    seed: u64,
) -> Result<Canvas> {
    if n == 0 || n > MAX_PREVIEW_ROWS || k > MAX_PREVIEW_PER {
        return Err(Error::Usage(format!(
            "--n {n} --per {k}: the preview shows 1 to {MAX_PREVIEW_ROWS} digits with 0 to \
             {MAX_PREVIEW_PER} distortions each"
        )));
    }
    if train.is_empty() {
        return Err(Error::Data(
            "the training set is empty: nothing to distort".into(),
        ));
    }
    // Pick the first unused image of digit 0, 1, 2, ... in turn, for variety.
    let mut picked: Vec<usize> = Vec::new();
    let mut next = [0usize; 10];
    for r in 0..n.min(train.len()) {
        let want = (r % 10) as u8;
        let start = next[want as usize];
        match (start..train.len()).find(|&i| train.label(i) == want && !picked.contains(&i)) {
            Some(i) => {
                next[want as usize] = i + 1;
                picked.push(i);
            }
            None => {
                if let Some(i) = (0..train.len()).find(|i| !picked.contains(i)) {
                    picked.push(i);
                }
            }
        }
    }
    let (tw, th) = (DIGIT + 10, DIGIT + 10);
    let sep = 24;
    let title = format!(
        "{} distortions of training digits (seed {seed})",
        augment.name()
    );
    let note = format!(
        "left: the original; right: the {k} distortions training applies to it in epochs 1 to {k} (--augment {})",
        augment.name()
    );
    let w = 2 * MARGIN + (k + 1) * tw + sep;
    let h = TOP + 24 + picked.len().max(1) * th + MARGIN;
    let mut c = blank_with_title(w, h, &title, &note);
    c.text(
        MARGIN as f32,
        TOP as f32,
        "original",
        Font::new(2, color::INK),
    );
    for e in 0..k {
        let x = MARGIN + (e + 1) * tw + sep;
        c.text(
            (x + DIGIT / 2) as f32,
            TOP as f32,
            &format!("{}", e + 1),
            Font::new(2, color::INK).middle(),
        );
    }
    let lx = MARGIN + tw + sep / 2 - 5;
    c.fill(
        lx as i64,
        (TOP + 22) as i64,
        2,
        (picked.len() * th) as i64,
        color::LIGHT,
    );
    for (r, &i) in picked.iter().enumerate() {
        let y = TOP + 24 + r * th;
        let img = train.image(i);
        digit(&mut c, MARGIN, y, |j| img[j] as f32 / 255.0);
        for e in 0..k {
            let d = augment.pixels(img, seed, e, i);
            digit(&mut c, MARGIN + (e + 1) * tw + sep, y, |j| d[j]);
        }
    }
    Ok(c)
}

/// The ten 7x12 RBF bitmaps, enlarged, labelled with their digits.
pub fn glyphs() -> Canvas {
    const S: usize = 12;
    let (gw, gh, gap) = (GLYPH_W * S, GLYPH_H * S, 20);
    let title = "the RBF output layer's ten centres: 7x12 bitmaps";
    let note = "black = +1, white = -1; output unit d is the squared distance from the 84 F6 units to bitmap d";
    let mut c = blank_with_title(
        2 * MARGIN + 10 * gw + 9 * gap,
        TOP + gh + 2 + 34 + MARGIN,
        title,
        note,
    );
    let cen = centres();
    for d in 0..10 {
        let x = MARGIN + d * (gw + gap);
        c.frame(
            x as f32 - 1.0,
            TOP as f32 - 1.0,
            (gw + 2) as f32,
            (gh + 2) as f32,
            1.0,
            color::GREY,
        );
        let g = &cen[d * GLYPH_LEN..(d + 1) * GLYPH_LEN];
        c.cells(x as i64, TOP as i64, GLYPH_W, GLYPH_H, S, |i| {
            color::ink_pm1(g[i])
        });
        // Light grid between the bitmap's pixels so the 7x12 structure shows.
        for k in 1..GLYPH_W {
            c.fill(
                (x + k * S) as i64,
                TOP as i64,
                1,
                gh as i64,
                [200, 200, 200],
            );
        }
        for k in 1..GLYPH_H {
            c.fill(
                x as i64,
                (TOP + k * S) as i64,
                gw as i64,
                1,
                [200, 200, 200],
            );
        }
        c.text(
            (x + gw / 2) as f32,
            (TOP + gh + 14) as f32,
            &d.to_string(),
            Font::new(2, color::INK).middle(),
        );
    }
    c
}
