//! Accuracy, loss and confusion matrix of a network on a dataset.

use crate::data::Dataset;
use crate::model::{Network, Workspace};
use crate::parallel;

/// Accuracy, loss and confusion matrix on a dataset.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalResult {
    pub n: usize,
    pub correct: usize,
    pub loss: f64,
    /// `confusion[true][predicted]`
    pub confusion: [[usize; 10]; 10],
    /// Predicted digit of every image.
    pub predictions: Vec<u8>,
}

impl EvalResult {
    /// Fraction correct.
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.n.max(1) as f64
    }
    /// Number of errors.
    pub fn errors(&self) -> usize {
        self.n - self.correct
    }
}

/// Images per evaluation chunk (one workspace each).
const EVAL_CHUNK: usize = 128;

/// Evaluates `net` on all of `ds`, in parallel over chunks (results do not depend
/// on the thread count: every image is computed alone in its own chunk slot).
pub fn evaluate(net: &Network, ds: &Dataset) -> EvalResult {
    let n = ds.len();
    let starts: Vec<usize> = (0..n).step_by(EVAL_CHUNK).collect();
    let c3 = net.c3_tap_major();
    let parts: Vec<(f64, Vec<u8>)> = parallel::map_with_state(
        &starts,
        || Workspace::new(net.arch, EVAL_CHUNK),
        |ws, &s| {
            let m = EVAL_CHUNK.min(n - s);
            for k in 0..m {
                net.prepare_input_u8(ds.image(s + k), ws, k);
            }
            net.infer(ws, m, Some(&c3));
            let labels: Vec<u8> = (s..s + m).map(|i| ds.label(i)).collect();
            let (loss, _) = net.loss(ws, &labels, 1.0);
            let preds = (0..m).map(|k| net.predicted(ws, k) as u8).collect();
            (loss, preds)
        },
    );
    let mut r = EvalResult {
        n,
        correct: 0,
        loss: 0.0,
        confusion: [[0; 10]; 10],
        predictions: Vec::with_capacity(n),
    };
    for (loss, preds) in parts {
        r.loss += loss;
        r.predictions.extend(preds);
    }
    for (i, &p) in r.predictions.iter().enumerate() {
        let t = ds.label(i) as usize;
        r.confusion[t][p as usize] += 1;
        r.correct += (t == p as usize) as usize;
    }
    r.loss /= n.max(1) as f64;
    r
}
