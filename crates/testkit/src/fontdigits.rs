//! Digits 0–9 rendered from installed TrueType fonts: a source of non-MNIST digits to
//! check the preprocessing on, and later to measure the trained network's accuracy on.
//!
//! The fonts come from the Debian packages `fonts-dejavu-core`, `fonts-liberation` and
//! `fonts-freefont-ttf` (see [`FONT_CANDIDATES`]); whichever are missing are skipped with a
//! printed note, and a test that finds none should skip itself (see [`load_fonts`]).
//!
//! ```ignore
//! let fonts = fontdigits::load_fonts();
//! for s in fontdigits::samples(&fonts, &fontdigits::styles()) {
//!     // s.image: RgbImage of digit s.digit in font s.font, drawn as s.style says
//! }
//! ```

use std::path::{Path, PathBuf};

use ab_glyph::{Font, FontVec, PxScale, point};
use image::{Rgb, RgbImage};

/// Debian package names that provide [`FONT_CANDIDATES`] (for CI's `apt-get install`).
pub const FONT_PACKAGES: &[&str] = &[
    "fonts-dejavu-core",
    "fonts-liberation",
    "fonts-freefont-ttf",
];

/// Fonts tried, in this order: regular, bold, serif, monospace, condensed and italic
/// shapes, so the digits differ from font to font.
pub const FONT_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-ExtraLight.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Oblique.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-BoldItalic.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Italic.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSansBoldOblique.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSerifItalic.ttf",
    "/usr/share/fonts/truetype/freefont/FreeMono.ttf",
    "/usr/share/fonts/truetype/freefont/FreeMonoBold.ttf",
];

/// A loaded font.
pub struct DigitFont {
    /// File stem, e.g. `DejaVuSans-Bold`.
    pub name: String,
    pub path: PathBuf,
    font: FontVec,
}

/// Loads one font file; `None` (with a printed note) if it is missing or unreadable.
pub fn load_font(path: &Path) -> Option<DigitFont> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("note: font {} skipped: {e}", path.display());
            return None;
        }
    };
    match FontVec::try_from_vec(bytes) {
        Ok(font) => Some(DigitFont {
            name: path
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
            path: path.to_path_buf(),
            font,
        }),
        Err(e) => {
            eprintln!("note: font {} skipped: {e}", path.display());
            None
        }
    }
}

/// What to install when no font is found.
pub fn no_fonts_note() -> String {
    format!(
        "no fonts installed (apt-get install {})",
        FONT_PACKAGES.join(" ")
    )
}

/// Every font of [`FONT_CANDIDATES`] that is installed, or `None` (after [`crate::skip`]:
/// a note, or a panic when `LENET5_REQUIRE` lists `fonts`) when none is.
pub fn require_fonts() -> Option<Vec<DigitFont>> {
    let fonts = load_fonts();
    if fonts.is_empty() {
        crate::skip("fonts", &no_fonts_note());
        return None;
    }
    Some(fonts)
}

/// Every font of [`FONT_CANDIDATES`] that is installed. Prints one note naming the missing
/// ones (and the packages to install); empty when none is installed.
pub fn load_fonts() -> Vec<DigitFont> {
    let mut fonts = Vec::new();
    let mut missing = Vec::new();
    for p in FONT_CANDIDATES {
        let p = Path::new(p);
        if p.is_file() {
            fonts.extend(load_font(p));
        } else {
            missing.push(p.display().to_string());
        }
    }
    if !missing.is_empty() {
        eprintln!(
            "note: {} of {} fonts are not installed (apt-get install {}): {}",
            missing.len(),
            FONT_CANDIDATES.len(),
            FONT_PACKAGES.join(" "),
            missing.join(", ")
        );
    }
    fonts
}

/// How one sample is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Style {
    /// Font size in pixels (the em height; digits are about 0.7 of it).
    pub px: f32,
    /// Canvas width and height as multiples of `px`.
    pub canvas: (f32, f32),
    /// Where the glyph sits in the free space of the canvas: 0 = left/top, 1 = right/bottom.
    pub pos: (f32, f32),
    pub ink: [u8; 3],
    pub paper: [u8; 3],
}

impl Style {
    /// Ink lighter than the paper (as MNIST itself).
    pub fn light_on_dark(&self) -> bool {
        let l = |c: [u8; 3]| u32::from(c[0]) * 299 + u32::from(c[1]) * 587 + u32::from(c[2]) * 114;
        l(self.ink) > l(self.paper)
    }
}

pub const BLACK: [u8; 3] = [0, 0, 0];
pub const WHITE: [u8; 3] = [255, 255, 255];

/// The standard set: several sizes, positions and canvas shapes, dark-on-light and
/// light-on-dark, grey and coloured. Deterministic.
pub fn styles() -> Vec<Style> {
    let colours: [([u8; 3], [u8; 3]); 6] = [
        (BLACK, WHITE),
        (WHITE, BLACK),
        ([20, 40, 200], [250, 230, 60]), // blue ballpoint on yellow paper
        ([60, 60, 60], [200, 200, 200]), // dark grey on light grey (low contrast)
        ([230, 230, 210], [30, 70, 40]), // chalk on a green board
        ([150, 20, 20], [245, 240, 225]), // red ink on cream
    ];
    let places: [((f32, f32), (f32, f32)); 4] = [
        ((1.6, 1.6), (0.5, 0.5)),  // centred, snug
        ((3.0, 3.0), (0.1, 0.2)),  // small in the top-left of a big canvas
        ((4.0, 2.0), (0.9, 0.7)),  // landscape, bottom-right
        ((1.5, 3.5), (0.3, 0.95)), // portrait, near the bottom
    ];
    let sizes = [18.0, 36.0, 72.0, 140.0];
    let mut out = Vec::new();
    for (i, &(ink, paper)) in colours.iter().enumerate() {
        for (j, &(canvas, pos)) in places.iter().enumerate() {
            out.push(Style {
                px: sizes[(i + j) % sizes.len()],
                canvas,
                pos,
                ink,
                paper,
            });
        }
    }
    out
}

/// `digit` (0–9) in `font`, drawn as `style` says. Anti-aliased coverage blends ink over paper.
pub fn render(font: &DigitFont, digit: u8, style: &Style) -> RgbImage {
    assert!(digit <= 9, "a digit is 0-9, not {digit}");
    let ch = char::from(b'0' + digit);
    let scale = PxScale::from(style.px);
    let glyph = font
        .font
        .glyph_id(ch)
        .with_scale_and_position(scale, point(0.0, 0.0));
    let cw = (style.px * style.canvas.0).ceil().max(4.0) as u32;
    let chh = (style.px * style.canvas.1).ceil().max(4.0) as u32;
    let mut img = RgbImage::from_pixel(cw, chh, Rgb(style.paper));
    let Some(outline) = font.font.outline_glyph(glyph) else {
        return img; // a font without this digit: a blank canvas
    };
    let b = outline.px_bounds();
    let (gw, gh) = (b.width(), b.height());
    let free = |canvas: u32, g: f32| (canvas as f32 - g).max(0.0);
    let ox = (free(cw, gw) * style.pos.0).floor() as i64;
    let oy = (free(chh, gh) * style.pos.1).floor() as i64;
    let (ink, paper) = (style.ink, style.paper);
    outline.draw(|x, y, c| {
        let (px, py) = (ox + i64::from(x), oy + i64::from(y));
        if px < 0 || py < 0 || px >= i64::from(cw) || py >= i64::from(chh) {
            return;
        }
        let c = c.clamp(0.0, 1.0);
        let m = |p: u8, i: u8| (f32::from(p) * (1.0 - c) + f32::from(i) * c).round() as u8;
        img.put_pixel(
            px as u32,
            py as u32,
            Rgb([
                m(paper[0], ink[0]),
                m(paper[1], ink[1]),
                m(paper[2], ink[2]),
            ]),
        );
    });
    img
}

/// One rendered digit.
pub struct Sample {
    pub digit: u8,
    /// The font's file stem.
    pub font: String,
    pub style: Style,
    pub image: RgbImage,
}

/// Every font × digit 0–9 × style, rendered lazily (fonts outermost, then digits).
pub fn samples<'a>(
    fonts: &'a [DigitFont],
    styles: &'a [Style],
) -> impl Iterator<Item = Sample> + 'a {
    fonts.iter().flat_map(move |f| {
        (0..10u8).flat_map(move |digit| {
            styles.iter().map(move |style| Sample {
                digit,
                font: f.name.clone(),
                style: *style,
                image: render(f, digit, style),
            })
        })
    })
}
