//! Pictures of the network and of its training: feature maps, the F6/RBF output, learning
//! curves, confusion matrices, misclassified digits, distortions and the RBF bitmaps.
//!
//! Everything is drawn by this module on its own small raster ([`draw::Canvas`], saved
//! with the `image` crate's PNG encoder) or as hand-written SVG ([`draw::Svg`]); text
//! uses a built-in 5x7 bitmap font ([`font`]), so no font file or system library is
//! needed and the pictures are the same on every machine. Feature maps are enlarged by
//! whole pixels (nearest neighbour) so every unit stays a crisp square.
//!
//! | function | picture |
//! |---|---|
//! | [`layers::visualize`] | input, C1, S2, C3, S4, F6/RBF (or fc2/softmax) and an index.html |
//! | [`plot::plot_file`] | loss and error per epoch from a metrics JSONL log (PNG or SVG) |
//! | [`confusion::write`] | a confusion matrix as a heat map with counts (PNG or SVG) |
//! | [`grids::errors`] | misclassified test digits with true and predicted labels |
//! | [`grids::augment_preview`] | training digits beside random distortions of them |
//! | [`grids::glyphs`] | the ten 7x12 RBF bitmaps |

pub mod color;
pub mod confusion;
pub mod draw;
pub mod font;
pub mod grids;
pub mod layers;
pub mod plot;
pub mod steps;

use std::path::Path;

pub use draw::{Anchor, Canvas, Font, Surface, Svg};

use lenet5::{Error, Result};

/// Output format chosen by a file name's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Png,
    Svg,
}

impl Format {
    /// `.svg` → SVG, `.png` (any case) → PNG; anything else is an error naming the file.
    /// `allow_svg` false means the picture is raster-only.
    pub fn of(path: &Path, allow_svg: bool) -> Result<Format> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("png") => Ok(Format::Png),
            Some("svg") if allow_svg => Ok(Format::Svg),
            _ => Err(Error::Usage(format!(
                "{}: unsupported picture file name; use a .png{} extension",
                path.display(),
                if allow_svg { " or .svg" } else { "" }
            ))),
        }
    }
}

/// Margin around every picture, in pixels.
pub const MARGIN: usize = 16;

/// Stacks pictures top to bottom, left-aligned, with `gap` pixels between them.
pub fn stack(parts: &[&Canvas], gap: usize) -> Canvas {
    let w = parts.iter().map(|c| c.width).max().unwrap_or(1);
    let h = parts.iter().map(|c| c.height).sum::<usize>() + gap * parts.len().saturating_sub(1);
    let mut out = Canvas::new(w, h.max(1), color::WHITE);
    let mut y = 0;
    for (i, c) in parts.iter().enumerate() {
        out.blit(c, 0, y as i64);
        y += c.height;
        if i + 1 < parts.len() {
            out.fill(
                MARGIN as i64,
                (y + gap / 2) as i64,
                (w - 2 * MARGIN) as i64,
                1,
                color::LIGHT,
            );
            y += gap;
        }
    }
    out
}

/// A number in few characters: `0.0123` → `0.012`, `1234.5` → `1235`, `−0.5` → `-0.5`.
pub fn short(v: f32) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 10.0 {
        format!("{v:.2}")
    } else if a >= 0.01 {
        format!("{v:.3}")
    } else {
        format!("{v:.1e}")
    }
}
