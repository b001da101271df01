//! The reading benchmark: synthetic strings ([`super::synth`]) read by the segmentation
//! graph and by the connected-components baseline, summarised as string accuracy, digit
//! accuracy and the error-against-rejection curve.

use serde::Serialize;

use super::ink::InkPlane;
use super::synth::{self, Tier};
use super::{Reading, baseline, pieces, search, segment};
use crate::api::Model;
use crate::data::Dataset;

/// The benchmark's fixed seed.
pub const SEED: u64 = 2026;
/// Digits per benchmark string.
pub const DIGITS: usize = 5;

/// One string: what it says, what was read, and the confidence.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outcome {
    /// The true digits.
    pub truth: String,
    /// What was read.
    pub read: String,
    /// The reading's confidence.
    pub confidence: f32,
    /// The segmentation graph holds the right reading as clean cuts
    /// ([`pieces::right_path_exists`]).
    pub cuttable: bool,
}

/// Reads `count` strings of `tier` from `ds` with both readers: `(graph, baseline)`.
pub fn run_tier(
    model: &Model,
    ds: &Dataset,
    tier: Tier,
    count: usize,
) -> (Vec<Outcome>, Vec<Outcome>) {
    let idx: Vec<u64> = (0..count as u64).collect();
    let parts = crate::parallel::map_chunks(&idx, 8, |chunk| {
        chunk
            .iter()
            .map(|&i| {
                let s = synth::make(ds, tier, DIGITS, SEED, i);
                let plane = InkPlane::from_ink_bytes(s.w, s.h, &s.pixels);
                let cuttable = segment::segment(&plane, true).is_ok_and(|seg| {
                    pieces::right_path_exists(&s, &seg, &search::pieces(&plane, &seg))
                });
                let o = |r: Reading| Outcome {
                    truth: s.text.clone(),
                    read: r.text,
                    confidence: r.confidence,
                    cuttable,
                };
                (
                    o(model.read_plane(&plane)),
                    o(baseline::read(model, &plane)),
                )
            })
            .collect::<Vec<_>>()
    });
    parts.into_iter().flatten().unzip()
}

/// The figures for one set of outcomes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Strings.
    pub n: usize,
    /// Fraction read exactly.
    pub string_accuracy: f64,
    /// Fraction whose segmentation graph holds the right reading as clean cuts
    /// ([`pieces::right_path_exists`]).
    pub cuttable: f64,
    /// 1 − (edit distance / length), averaged (never below 0 per string).
    pub digit_accuracy: f64,
    /// Fraction that must be rejected (lowest confidence first) so that at most 0.5 % of
    /// the strings answered are wrong; `None` if no threshold reaches it.
    pub reject_for_half_percent: Option<f64>,
    /// The same for 0.1 %.
    pub reject_for_tenth_percent: Option<f64>,
    /// The curve: `(rejected fraction, error among the answered)` at 0 %, 5 %, ... 50 %
    /// rejected.
    pub curve: Vec<(f64, f64)>,
}

/// Summarises outcomes.
pub fn summarise(o: &[Outcome]) -> Summary {
    let n = o.len();
    let right = o.iter().filter(|x| x.read == x.truth).count();
    let digit: f64 = o
        .iter()
        .map(|x| {
            let d = edit_distance(x.read.as_bytes(), x.truth.as_bytes()) as f64;
            (1.0 - d / x.truth.len().max(1) as f64).max(0.0)
        })
        .sum();
    let curve = error_reject(o.iter().map(|x| (x.confidence, x.read == x.truth)));
    let need = |e: f64| {
        curve
            .iter()
            .filter(|&&(_, err)| err <= e)
            .map(|&(r, _)| r)
            .reduce(f64::min)
    };
    let coarse = (0..=10)
        .map(|k| {
            let r = k as f64 * 0.05;
            let i = curve
                .iter()
                .position(|&(rej, _)| rej >= r - 1e-12)
                .unwrap_or(curve.len() - 1);
            curve[i]
        })
        .collect();
    Summary {
        n,
        string_accuracy: right as f64 / n.max(1) as f64,
        cuttable: o.iter().filter(|x| x.cuttable).count() as f64 / n.max(1) as f64,
        digit_accuracy: digit / n.max(1) as f64,
        reject_for_half_percent: need(0.005),
        reject_for_tenth_percent: need(0.001),
        curve: coarse,
    }
}

/// The error-against-rejection curve of `(confidence, correct)` answers: answering the
/// `k` most confident (ties broken by order), for `k = n, n−1, ..., 1`, the fraction
/// rejected and the error among the answered.
pub fn error_reject(items: impl Iterator<Item = (f32, bool)>) -> Vec<(f64, f64)> {
    let mut v: Vec<(f32, bool)> = items.collect();
    if v.is_empty() {
        return vec![(0.0, 0.0)];
    }
    v.sort_by(|a, b| b.0.total_cmp(&a.0));
    let n = v.len();
    let mut wrong_prefix = vec![0usize; n + 1];
    for (i, &(_, ok)) in v.iter().enumerate() {
        wrong_prefix[i + 1] = wrong_prefix[i] + usize::from(!ok);
    }
    (1..=n)
        .rev()
        .map(|k| (1.0 - k as f64 / n as f64, wrong_prefix[k] as f64 / k as f64))
        .collect()
}

/// Levenshtein distance.
pub fn edit_distance(a: &[u8], b: &[u8]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, &x) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &y) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(x != y))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_and_curve() {
        assert_eq!(edit_distance(b"2026", b"2026"), 0);
        assert_eq!(edit_distance(b"226", b"2026"), 1);
        assert_eq!(edit_distance(b"", b"123"), 3);
        // Two right (confident), one wrong (least confident): rejecting a third removes
        // the error.
        let c = error_reject([(0.9, true), (0.2, false), (0.8, true)].into_iter());
        assert_eq!(c[0], (0.0, 1.0 / 3.0));
        assert!((c[1].0 - 1.0 / 3.0).abs() < 1e-12 && c[1].1 == 0.0);
        let s = summarise(&[
            Outcome {
                truth: "12".into(),
                read: "12".into(),
                confidence: 0.9,
                cuttable: true,
            },
            Outcome {
                truth: "34".into(),
                read: "3".into(),
                confidence: 0.1,
                cuttable: false,
            },
        ]);
        assert_eq!(s.string_accuracy, 0.5);
        assert_eq!(s.cuttable, 0.5);
        assert_eq!(s.digit_accuracy, 0.75);
        assert_eq!(s.reject_for_half_percent, Some(0.5));
    }
}
