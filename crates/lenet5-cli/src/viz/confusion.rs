//! The confusion matrix as a heat map: rows are the true digits, columns the predicted
//! ones, every cell coloured by its count (log scale, darker = more) and labelled with it.

use std::path::Path;

use super::color;
use super::draw::{Canvas, Font, Surface, Svg};
use super::{Format, MARGIN};
use lenet5::Result;

const LABEL: Font = Font::new(2, color::INK);

/// Side of one cell in pixels.
pub const CELL: usize = 56;
/// Left edge of the grid.
pub const GRID_X: usize = MARGIN + 64;
/// Top edge of the grid.
pub const GRID_Y: usize = MARGIN + 30 + 62;
/// Width of the picture.
pub const WIDTH: usize = GRID_X + 10 * CELL + 110 + MARGIN;
/// Height of the picture.
pub const HEIGHT: usize = GRID_Y + 10 * CELL + 44 + MARGIN;

/// The top-left pixel of cell (true digit `row`, predicted digit `col`).
pub fn cell_origin(row: usize, col: usize) -> (usize, usize) {
    (GRID_X + col * CELL, GRID_Y + row * CELL)
}

/// Writes `confusion[true][predicted]` to `out` as a PNG (or SVG for `.svg`).
pub fn write(confusion: &[[usize; 10]; 10], title: &str, out: &Path) -> Result<()> {
    match Format::of(out, true)? {
        Format::Png => render_png(confusion, title).save_png(out),
        Format::Svg => {
            let mut s = Svg::new(WIDTH as f32, HEIGHT as f32);
            draw(&mut s, confusion, title);
            s.save(out)
        }
    }
}

/// The heat map as a raster of [`WIDTH`] x [`HEIGHT`].
pub fn render_png(confusion: &[[usize; 10]; 10], title: &str) -> Canvas {
    let mut c = Canvas::new(WIDTH, HEIGHT, color::WHITE);
    draw(&mut c, confusion, title);
    c
}

fn draw(s: &mut impl Surface, cm: &[[usize; 10]; 10], title: &str) {
    let total: usize = cm.iter().flatten().sum();
    let correct: usize = (0..10).map(|i| cm[i][i]).sum();
    let max = cm.iter().flatten().copied().max().unwrap_or(0);
    s.text(MARGIN as f32, MARGIN as f32, title, LABEL);
    let sub = format!(
        "{correct} of {total} right ({:.2}%), {} errors; colour: log of the count",
        100.0 * correct as f64 / total.max(1) as f64,
        total - correct
    );
    s.text(
        MARGIN as f32,
        MARGIN as f32 + 22.0,
        &sub,
        Font::new(1, color::GREY),
    );
    let (gx, gy, cs) = (GRID_X as f32, GRID_Y as f32, CELL as f32);
    s.text(gx + 5.0 * cs, gy - 46.0, "predicted digit", LABEL.middle());
    s.text(
        MARGIN as f32,
        gy + 5.0 * cs,
        "true digit",
        LABEL.middle().vertical(),
    );
    s.text(gx + 10.0 * cs + 58.0, gy - 22.0, "right", LABEL.middle());
    for (i, row) in cm.iter().enumerate() {
        let d = i.to_string();
        s.text(gx + (i as f32 + 0.5) * cs, gy - 22.0, &d, LABEL.middle());
        s.text(gx - 14.0, gy + (i as f32 + 0.5) * cs - 7.0, &d, LABEL.end());
        let n: usize = row.iter().sum();
        if n > 0 {
            let acc = format!("{:.1}%", 100.0 * row[i] as f64 / n as f64);
            s.text(
                gx + 10.0 * cs + 12.0,
                gy + (i as f32 + 0.5) * cs - 7.0,
                &acc,
                LABEL,
            );
        }
        for (j, &count) in row.iter().enumerate() {
            let (x, y) = cell_origin(i, j);
            let bg = color::heat(count, max);
            s.rect(x as f32, y as f32, cs, cs, bg);
            if count > 0 {
                let t = count.to_string();
                let scale = if t.len() > 4 { 1 } else { 2 };
                let ty = y as f32 + cs / 2.0 - (3.5 * scale as f32).round();
                s.text(
                    x as f32 + cs / 2.0,
                    ty,
                    &t,
                    Font::new(scale, color::text_on(bg)).middle(),
                );
            }
        }
    }
    // Cell borders and the diagonal outline.
    for k in 0..=10 {
        let o = k as f32 * cs;
        s.rect(gx + o, gy, 1.0, 10.0 * cs + 1.0, color::LIGHT);
        s.rect(gx, gy + o, 10.0 * cs + 1.0, 1.0, color::LIGHT);
    }
    s.frame(gx, gy, 10.0 * cs + 1.0, 10.0 * cs + 1.0, 1.0, color::GREY);
    s.text(
        gx,
        gy + 10.0 * cs + 16.0,
        "rows: the true digit; columns: what the network said; the diagonal is right",
        Font::new(1, color::GREY),
    );
}
