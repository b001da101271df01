//! Accuracy of trained models on digits rendered from installed fonts (not MNIST): every
//! font of `fontdigits::FONT_CANDIDATES` × digits 0-9 × `fontdigits::styles()` (sizes,
//! positions, canvas shapes, dark-on-light and light-on-dark, colours), each through
//! `lenet5::Model::predict` (preprocessing included).
//!
//! Shared by `tests/predict_fonts.rs` and `examples/font_accuracy.rs`, which include this
//! file and `tests/common/fontdigits.rs` at their crate root.

use image::DynamicImage;
use lenet5::Model;
use lenet5::api::LOW_CONFIDENCE;
use lenet5::data::image::{Preprocessed, preprocess};
use rayon::prelude::*;

use crate::fontdigits;

/// Correct out of total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Count {
    pub correct: usize,
    pub n: usize,
}

impl Count {
    fn add(&mut self, ok: bool) {
        self.n += 1;
        self.correct += usize::from(ok);
    }
    /// Accuracy in percent.
    pub fn pct(&self) -> f64 {
        100.0 * self.correct as f64 / self.n.max(1) as f64
    }
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.1}% ({}/{})", self.pct(), self.correct, self.n)
    }
}

/// One model's results on the font digits.
#[derive(Clone, Debug, Default)]
pub struct FontScore {
    pub all: Count,
    pub digit: [Count; 10],
    pub dark_on_light: Count,
    pub light_on_dark: Count,
    /// Predictions at or above `LOW_CONFIDENCE`, and below it.
    pub confident: Count,
    pub unsure: Count,
    /// Per font (file stem), in `fontdigits::FONT_CANDIDATES` order.
    pub fonts: Vec<(String, Count)>,
    /// Samples preprocessing found blank (counted as wrong).
    pub blank: usize,
}

/// A rendered, preprocessed sample.
pub struct Sample {
    pub digit: u8,
    pub font: usize,
    pub dark_on_light: bool,
    pub input: Preprocessed,
}

/// Renders and preprocesses every sample (in parallel); `None` when no font is installed
/// (after [`crate::skip`]: a note, or a panic when `LENET5_REQUIRE` lists `fonts`).
pub fn samples() -> Option<(Vec<String>, Vec<Sample>)> {
    let fonts = fontdigits::load_fonts();
    if fonts.is_empty() {
        crate::skip("fonts", &fontdigits::no_fonts_note());
        return None;
    }
    let styles = fontdigits::styles();
    let jobs: Vec<(usize, u8, usize)> = (0..fonts.len())
        .flat_map(|f| (0..10u8).map(move |d| (f, d)))
        .flat_map(|(f, d)| (0..styles.len()).map(move |s| (f, d, s)))
        .collect();
    let samples = jobs
        .par_iter()
        .map(|&(f, digit, s)| {
            let img = fontdigits::render(&fonts[f], digit, &styles[s]);
            Sample {
                digit,
                font: f,
                dark_on_light: !styles[s].light_on_dark(),
                input: preprocess(&DynamicImage::ImageRgb8(img)),
            }
        })
        .collect();
    Some((fonts.iter().map(|f| f.name.clone()).collect(), samples))
}

/// Scores `model` on the samples.
pub fn score(model: &Model, font_names: &[String], samples: &[Sample]) -> FontScore {
    let preds =
        model.forward_batch_28x28(&samples.iter().map(|s| s.input.pixels).collect::<Vec<_>>());
    let mut r = FontScore {
        fonts: font_names
            .iter()
            .map(|n| (n.clone(), Count::default()))
            .collect(),
        ..FontScore::default()
    };
    for (s, p) in samples.iter().zip(&preds) {
        let ok = !s.input.blank && p.digit == s.digit;
        r.blank += usize::from(s.input.blank);
        r.all.add(ok);
        r.digit[usize::from(s.digit)].add(ok);
        if s.dark_on_light {
            r.dark_on_light.add(ok);
        } else {
            r.light_on_dark.add(ok);
        }
        if p.confidence() >= LOW_CONFIDENCE {
            r.confident.add(ok);
        } else {
            r.unsure.add(ok);
        }
        r.fonts[s.font].1.add(ok);
    }
    r
}

/// A multi-line report.
pub fn report(name: &str, r: &FontScore) -> String {
    let mut s = format!(
        "{name}: font digits {}  dark-on-light {}  light-on-dark {}  blank {}\n",
        r.all, r.dark_on_light, r.light_on_dark, r.blank
    );
    s += &format!(
        "  confidence >= {LOW_CONFIDENCE}: {} of the samples, accuracy {}; below: {} of the samples, accuracy {}\n",
        r.confident.n, r.confident, r.unsure.n, r.unsure
    );
    s += "  per digit:";
    for (d, c) in r.digit.iter().enumerate() {
        s += &format!(" {d}:{:.0}%", c.pct());
    }
    s += "\n  per font:";
    for (f, c) in &r.fonts {
        s += &format!(" {f} {:.0}%;", c.pct());
    }
    s.push('\n');
    s
}
