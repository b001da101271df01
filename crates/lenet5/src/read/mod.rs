//! Reading a line of handwritten digits: "2026", not just "2".
//!
//! The 1998 paper's recipe for strings (Section V–VI): over-segment the line heuristically,
//! build a graph whose arcs are candidate pieces, score each piece with the network, and
//! take the cheapest path. Here:
//!
//! 1. [`ink`]: the picture → an ink plane (either polarity, any size);
//! 2. [`segment`]: connected components, then cut paths inside touching or overlapping
//!    digits → small ordered segments;
//! 3. [`search`]: the graph of pieces (1 to 4 consecutive segments), each normalised like
//!    an MNIST digit ([`normalise`]) and scored by the network, and its best path;
//! 4. [`recut`] (for a network that knows bad cuts): the wide, doubtful pieces of that
//!    path are cut again finely, their two-digit readings added to the graph, and the
//!    path searched again;
//! 5. a [`Reading`]: the text, each digit's box, scores, runner-up, and a string
//!    confidence to reject on.
//!
//! [`baseline`] reads by connected components alone, for comparison; [`synth`] builds the
//! benchmark strings from MNIST digits; [`pieces`] cuts training strings the way the
//! graph does and labels each piece, so that a recogniser learns what is not a digit
//! (the bundled reader, [`Model::bundled_reader`]).
//!
//! ```
//! use lenet5::Model;
//! use lenet5::model::Arch;
//! use lenet5::data::image::{DynamicImage, GrayImage};
//! // Two vertical bars on white paper, far apart: "11".
//! let mut img = GrayImage::from_pixel(300, 120, image::Luma([255]));
//! for y in 20..100 {
//!     for x in (60..70).chain(200..210) {
//!         img.put_pixel(x, y, image::Luma([0]));
//!     }
//! }
//! let r = Model::bundled(Arch::Classic).read(&DynamicImage::ImageLuma8(img));
//! assert_eq!(r.text, "11");
//! assert_eq!(r.digits.len(), 2);
//! ```

pub mod baseline;
pub mod benchmark;
pub mod ink;
pub mod normalise;
pub mod pieces;
pub mod recut;
pub mod search;
pub mod segment;
pub mod synth;

use serde::Serialize;

use crate::api::{Model, Prediction};
use crate::data::image::DynamicImage;
use ink::InkPlane;
use segment::Refusal;

/// Most digits a reading returns: a line with more is answered as not a number.
pub const MAX_DIGITS: usize = 20;

/// One digit of a reading.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReadDigit {
    /// The digit.
    pub digit: u8,
    /// Its probability.
    pub confidence: f32,
    /// The second most likely digit and its probability.
    pub runner_up: (u8, f32),
    /// All ten probabilities.
    pub scores: [f32; 10],
    /// Where it is in the picture: `(x, y, width, height)` in input pixels.
    pub bbox: (u32, u32, u32, u32),
}

/// What was read in a picture.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reading {
    /// The digits read, left to right (empty when nothing was read).
    pub text: String,
    /// Each digit.
    pub digits: Vec<ReadDigit>,
    /// The string's confidence in `0..=1` (0 when nothing was read),
    /// [`search::string_confidence`]: `exp(−Σ network cost / T)` over its digits
    /// ([`search::temperature`]; for the modern network the product of the digits'
    /// probabilities, for the classic one a function of the summed RBF distances, which
    /// unlike its probabilities grow for badly cut pieces), and for a network that knows
    /// bad cuts ([`Model::knows_bad_cuts`], the bundled reader) times `1 − exp(−margin)`,
    /// the margin being how much costlier the cheapest reading with another text is
    /// ([`search::rival_margin`]).
    pub confidence: f32,
    /// No ink at all.
    pub blank: bool,
    /// Dark ink on light paper (inverted before reading).
    pub inverted: bool,
    /// Why nothing was read, when the picture has ink but is not a line of digits.
    pub note: Option<String>,
}

impl Reading {
    fn empty(plane: &InkPlane, blank: bool, note: Option<String>) -> Reading {
        Reading {
            text: String::new(),
            digits: Vec::new(),
            confidence: 0.0,
            blank,
            inverted: plane.inverted,
            note,
        }
    }

    /// Whether the reading should be answered: something was read with a confidence of
    /// at least `threshold`.
    pub fn accepted(&self, threshold: f32) -> bool {
        !self.text.is_empty() && self.confidence >= threshold
    }
}

impl Model {
    /// Reads the line of digits in a picture (any size, either polarity).
    pub fn read(&self, img: &DynamicImage) -> Reading {
        self.read_plane(&ink::ink_plane(img))
    }

    /// Reads an ink plane (see [`ink::InkPlane`]); for a network that knows bad cuts
    /// ([`Model::knows_bad_cuts`], the bundled reader) with the second pass
    /// ([`recut`]), for the others without (they read the halves of a digit as digits).
    pub fn read_plane(&self, plane: &InkPlane) -> Reading {
        let second = self.knows_bad_cuts().then(recut::RecutParams::default);
        self.read_plane_with(plane, second.as_ref())
    }

    /// Reads an ink plane, with the second pass ([`recut`]) if `second_pass` gives its
    /// parameters.
    pub fn read_plane_with(
        &self,
        plane: &InkPlane,
        second_pass: Option<&recut::RecutParams>,
    ) -> Reading {
        if plane.is_blank() {
            return Reading::empty(plane, true, None);
        }
        let seg = match segment::segment(plane, true) {
            Ok(s) => s,
            Err(r) => return Reading::empty(plane, false, Some(refusal(&r))),
        };
        let pieces = search::pieces(plane, &seg);
        let preds = search::score(self, &pieces);
        let arch = self.arch();
        let w = search::CostWeights::for_arch(arch);
        let cost_as = |digit: &dyn Fn(&Prediction) -> u8| -> Vec<f32> {
            pieces
                .iter()
                .zip(&preds)
                .map(|(p, q)| search::piece_cost(arch, &w, p, q, digit(q), &seg))
                .collect()
        };
        let costs = cost_as(&|q| q.digit);
        let Some(path) = search::best_path(seg.boxes.len(), &pieces, &costs) else {
            return Reading::empty(plane, false, Some("no segmentation found".into()));
        };
        let rival_costs = cost_as(&search::runner_up);
        let mut g = recut::Graph {
            nodes: seg.boxes.len(),
            pieces,
            preds,
            costs,
            rival_costs,
        };
        let mut path = path;
        if let Some(p) = second_pass {
            g = recut::second_pass(self, plane, &seg, &w, p, g, &path);
            path = search::best_path(g.nodes, &g.pieces, &g.costs)
                .expect("the first path is still in the graph");
        }
        let chosen: Vec<([usize; 4], &Prediction)> = path
            .iter()
            .map(|&k| (g.pieces[k].bbox, &g.preds[k]))
            .collect();
        let total: f32 = path
            .iter()
            .map(|&k| search::network_cost(arch, &g.preds[k]))
            .sum();
        let mut r = assemble(plane, &chosen);
        if !r.text.is_empty() {
            let margin = self.knows_bad_cuts().then(|| {
                search::rival_margin(g.nodes, &g.pieces, &g.costs, &g.rival_costs, &g.digits())
            });
            r.confidence = search::string_confidence(arch, total, margin.flatten());
        }
        r
    }
}

/// A reading from the chosen pieces (box in plane pixels, prediction), left to right.
fn assemble(plane: &InkPlane, chosen: &[([usize; 4], &Prediction)]) -> Reading {
    if chosen.len() > MAX_DIGITS {
        return Reading::empty(
            plane,
            false,
            Some(format!(
                "{} marks: more than the {MAX_DIGITS} digits a line may have",
                chosen.len()
            )),
        );
    }
    let s = plane.scale;
    let digits: Vec<ReadDigit> = chosen
        .iter()
        .map(|(b, p)| {
            let top = p.top(2);
            ReadDigit {
                digit: p.digit,
                confidence: p.confidence(),
                runner_up: top[1],
                scores: p.scores,
                bbox: (
                    b[0] as u32 * s,
                    b[1] as u32 * s,
                    (b[2] - b[0]) as u32 * s,
                    (b[3] - b[1]) as u32 * s,
                ),
            }
        })
        .collect();
    Reading {
        text: digits.iter().map(|d| char::from(b'0' + d.digit)).collect(),
        confidence: digits.iter().map(|d| d.confidence).product(),
        digits,
        blank: false,
        inverted: plane.inverted,
        note: None,
    }
}

fn refusal(r: &Refusal) -> String {
    match r {
        Refusal::TooManyMarks(n) => format!(
            "{n} separate marks: not a line of at most {MAX_DIGITS} digits (noise, or a page?)"
        ),
        Refusal::TooManySegments(n) => format!(
            "{n} pieces once cut: not a line of at most {MAX_DIGITS} digits (a page, or scribbles?)"
        ),
    }
}
