//! Training pieces: what the segmentation graph shows the network, labelled, so that a
//! recogniser learns that half a digit, two digits or a digit with a piece of its
//! neighbour are not digits (Section VI.B of the paper: "the recognizer must be trained
//! to reject badly segmented characters").
//!
//! For synthetic strings of MNIST *training* digits ([`synth`]: two to six digits,
//! separated, touching or overlapping), the reader's own segmentation ([`segment`]) and
//! its graph's arcs ([`search::pieces`]) are computed; each arc's pixels are then
//! compared with the string's truth ([`synth::SynthString::owner`]):
//!
//! - a piece holding at least [`GOOD_COVERAGE`] of one digit's ink, with at least
//!   [`GOOD_PURITY`] of its own ink from that digit, is that digit, as cut;
//! - a piece holding less than [`BAD_COVERAGE`] of its main digit, or with less than
//!   [`BAD_PURITY`] of its ink from it, is [`NOT_A_DIGIT`];
//! - anything in between is left out (neither answer would be right).
//!
//! The pieces join the MNIST training images ([`training_set`]); `lenet5 train --preset
//! modern-reader` trains the bundled reader on them.

use std::borrow::Cow;

use super::ink::InkPlane;
use super::synth::{self, NO_DIGIT, Tier};
use super::{search, segment};
use crate::data::Dataset;
pub use crate::nn::loss::NOT_A_DIGIT;
use crate::rng::Rng;
use crate::train::TrainConfig;

/// A good piece holds at least this fraction of its digit's ink...
pub const GOOD_COVERAGE: f32 = 0.92;
/// ...and at least this fraction of its own ink comes from that digit.
pub const GOOD_PURITY: f32 = 0.92;
/// A piece with less than this fraction of its main digit's ink is not a digit...
pub const BAD_COVERAGE: f32 = 0.75;
/// ...and so is one with less than this fraction of its ink from its main digit.
pub const BAD_PURITY: f32 = 0.8;
/// Digits per training string: from 2 to this many.
pub const MAX_DIGITS: usize = 6;
/// Of the not-a-digit pieces that hold less than [`BAD_COVERAGE`] of any digit (pieces
/// of digits), one in this many is kept, drawn at random (deterministically); those that
/// hold a whole digit with its neighbour's ink are all kept. The dense over-segmentation
/// gives about 13 not-a-digit pieces for every whole digit (4,000 strings: 544,613
/// against 42,367), which would drown the digits and multiply the training time; this
/// keeps 155,390, of which the merges, the graph's costliest mistake on overlapping
/// digits, are most. (Keeping one in eight of all of them instead: 77.2 % → 70.8 % of
/// the overlapping benchmark strings read, touching 95.2 → 95.7 %, separated 96.8 → 96.2 %.)
pub const GARBAGE_EVERY: usize = 8;

/// What a piece is, judged against the truth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// One whole digit (the value).
    Digit(u8),
    /// Not a digit.
    Garbage,
    /// Neither clearly.
    Unclear,
}

/// Judges the piece made of segments `from..to` of `seg` in string `s`.
pub fn judge(s: &synth::SynthString, seg: &segment::Segments, from: usize, to: usize) -> Verdict {
    verdict(s, measure(s, seg, from, to))
}

/// The verdict on a piece [`measure`]d as `m`.
fn verdict(s: &synth::SynthString, m: Option<(usize, f32, f32)>) -> Verdict {
    let Some((d, coverage, purity)) = m else {
        return Verdict::Garbage;
    };
    if coverage >= GOOD_COVERAGE && purity >= GOOD_PURITY {
        Verdict::Digit(s.text.as_bytes()[d] - b'0')
    } else if coverage < BAD_COVERAGE || purity < BAD_PURITY {
        Verdict::Garbage
    } else {
        Verdict::Unclear
    }
}

/// The piece made of segments `from..to` against the truth: its main digit (the one it
/// holds most ink of), the fraction of that digit's ink it holds (coverage) and the
/// fraction of its own ink from that digit (purity); `None` for a piece without ink.
pub fn measure(
    s: &synth::SynthString,
    seg: &segment::Segments,
    from: usize,
    to: usize,
) -> Option<(usize, f32, f32)> {
    let n = s.text.len();
    let mut inside = vec![0f32; n];
    let mut total = vec![0f32; n];
    let mut piece = 0f32;
    for (at, &l) in seg.label.iter().enumerate() {
        if l == u32::MAX {
            continue;
        }
        let v = s.pixels[at] as f32;
        let o = s.owner[at];
        let mine = (from..to).contains(&(l as usize));
        if o != NO_DIGIT {
            total[o as usize] += v;
            if mine {
                inside[o as usize] += v;
            }
        }
        if mine {
            piece += v;
        }
    }
    let (d, &ink) = inside
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))?;
    if piece <= 0.0 || total[d] <= 0.0 {
        return None;
    }
    Some((d, ink / total[d], ink / piece))
}

/// Training string `index`: its tier, digit count and digits drawn from `seed` and
/// `index` alone.
pub fn training_string(ds: &Dataset, seed: u64, index: u64) -> synth::SynthString {
    let mut rng = Rng::derive(seed, &[0x7069_6563_6573, index]); // "pieces"
    let tier = Tier::ALL[rng.below(Tier::ALL.len())];
    let digits = 2 + rng.below(MAX_DIGITS - 1);
    synth::make(ds, tier, digits, seed, index)
}

/// The labelled pieces of [`training_string`] `index`: `(28x28 pixels, label)`, digits
/// as cut and [`NOT_A_DIGIT`]s (the fragments thinned, see [`GARBAGE_EVERY`]).
pub fn of_string(ds: &Dataset, seed: u64, index: u64) -> Vec<([u8; 784], u8)> {
    let s = training_string(ds, seed, index);
    let plane = InkPlane::from_ink_bytes(s.w, s.h, &s.pixels);
    let Ok(seg) = segment::segment(&plane, true) else {
        return Vec::new();
    };
    let mut keep = Rng::derive(seed, &[0x0067_6172_6261_6765, index]); // "garbage"
    search::pieces(&plane, &seg)
        .into_iter()
        .filter_map(|p| {
            let m = measure(&s, &seg, p.from, p.to);
            match verdict(&s, m) {
                Verdict::Digit(d) => Some((p.pixels, d)),
                Verdict::Garbage => {
                    // A whole digit with its neighbour's ink is always kept; fragments
                    // one in GARBAGE_EVERY.
                    let whole = m.is_some_and(|(_, coverage, _)| coverage >= BAD_COVERAGE);
                    (whole || keep.below(GARBAGE_EVERY) == 0).then_some((p.pixels, NOT_A_DIGIT))
                }
                Verdict::Unclear => None,
            }
        })
        .collect()
}

/// Whether the graph (`arcs` over `seg`, from [`search::pieces`]) holds the right reading
/// at all: a path from the first segment to the last made only of arcs that are whole
/// digits ([`judge`]), spelling the string: how often the segmentation offers clean cuts.
/// (A string without such a path may still be read right from imperfect cuts.)
pub fn right_path_exists(
    s: &synth::SynthString,
    seg: &segment::Segments,
    arcs: &[search::Piece],
) -> bool {
    let n = seg.boxes.len();
    // reached[j]: how many digits of the truth a path of whole digits to node j spells.
    let mut reached: Vec<Option<usize>> = vec![None; n + 1];
    reached[0] = Some(0);
    let truth = s.text.as_bytes();
    for (from, to) in search::in_graph_order(arcs)
        .into_iter()
        .map(|k| (arcs[k].from, arcs[k].to))
    {
        let Some(k) = reached[from] else { continue };
        if k < truth.len()
            && judge(s, seg, from, to) == Verdict::Digit(truth[k] - b'0')
            && reached[to].is_none()
        {
            reached[to] = Some(k + 1);
        }
    }
    reached[n] == Some(truth.len())
}

/// The pieces of `strings` synthetic strings of `ds`'s digits, in string order (the same
/// bytes for any number of threads).
pub fn cut(ds: &Dataset, strings: usize, seed: u64) -> Dataset {
    let idx: Vec<u64> = (0..strings as u64).collect();
    let parts = crate::parallel::map_chunks(&idx, 64, |chunk| {
        chunk
            .iter()
            .flat_map(|&i| of_string(ds, seed, i))
            .collect::<Vec<_>>()
    });
    let mut out = Dataset {
        images: Vec::new(),
        labels: Vec::new(),
        rows: 28,
        cols: 28,
    };
    for (px, label) in parts.into_iter().flatten() {
        out.images.extend_from_slice(&px);
        out.labels.push(label);
    }
    out
}

/// `train` (MNIST's training digits) followed by the pieces of `strings` strings made
/// from them.
pub fn training_set(train: &Dataset, strings: usize, seed: u64) -> Dataset {
    let pieces = cut(train, strings, seed);
    let mut out = train.clone();
    out.images.extend_from_slice(&pieces.images);
    out.labels.extend_from_slice(&pieces.labels);
    out
}

/// The training set `config` asks for: `mnist` alone, or followed by the pieces of
/// [`TrainConfig::pieces`] strings made from it (seeded by the configuration's seed).
/// Every front end that trains calls this, so a recipe means the same data everywhere.
pub fn training_data<'a>(config: &TrainConfig, mnist: &'a Dataset) -> Cow<'a, Dataset> {
    match config.pieces {
        Some(n) => Cow::Owned(training_set(mnist, n, config.seed)),
        None => Cow::Borrowed(mnist),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two separated "digits" (a bar and a box) drawn by hand, with their owners.
    fn two_marks() -> synth::SynthString {
        let (w, h) = (60, 40);
        let mut pixels = vec![0u8; w * h];
        let mut owner = vec![NO_DIGIT; w * h];
        for y in 8..32 {
            for x in 10..14 {
                pixels[y * w + x] = 255;
                owner[y * w + x] = 0;
            }
            for x in 30..46 {
                let hole = (11..=28).contains(&y) && (33..=42).contains(&x);
                if !hole {
                    pixels[y * w + x] = 255;
                    owner[y * w + x] = 1;
                }
            }
        }
        synth::SynthString {
            w,
            h,
            pixels,
            text: "10".into(),
            sources: vec![0, 1],
            boxes: vec![[10, 8, 14, 32], [30, 8, 46, 32]],
            owner,
        }
    }

    #[test]
    fn whole_marks_are_digits_and_their_union_is_not() {
        let s = two_marks();
        let plane = InkPlane::from_ink_bytes(s.w, s.h, &s.pixels);
        let seg = segment::segment(&plane, false).unwrap();
        assert_eq!(seg.boxes.len(), 2, "{:?}", seg.boxes);
        assert_eq!(judge(&s, &seg, 0, 1), Verdict::Digit(1));
        assert_eq!(judge(&s, &seg, 1, 2), Verdict::Digit(0));
        // Both marks in one piece: the box holds all of itself but the piece is only
        // 4·24 / (4·24 + box) of it: not a digit.
        assert_eq!(judge(&s, &seg, 0, 2), Verdict::Garbage);
    }

    #[test]
    fn half_a_mark_is_not_a_digit() {
        let s = two_marks();
        let plane = InkPlane::from_ink_bytes(s.w, s.h, &s.pixels);
        let mut seg = segment::segment(&plane, false).unwrap();
        // Relabel the box's right half as a third segment.
        for y in 0..s.h {
            for x in 38..s.w {
                if seg.label[y * s.w + x] == 1 {
                    seg.label[y * s.w + x] = 2;
                }
            }
        }
        assert_eq!(judge(&s, &seg, 1, 2), Verdict::Garbage);
        assert_eq!(judge(&s, &seg, 1, 3), Verdict::Digit(0));
    }
}
