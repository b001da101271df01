//! What each epoch measured, and the JSON-lines log kept beside a checkpoint.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::files::write_atomic;

/// What one epoch measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// 1-based epoch number.
    pub epoch: usize,
    pub lr: f32,
    /// Mean loss and accuracy over the epoch's training images, measured on the fly.
    pub train_loss: f64,
    pub train_acc: f64,
    pub test_loss: f64,
    pub test_acc: f64,
    pub test_errors: usize,
    /// Training time of the epoch (not kept in checkpoints: 0 there).
    #[serde(default)]
    pub seconds: f64,
    #[serde(default)]
    pub images_per_sec: f64,
}

/// The path of the metrics log kept beside checkpoint `out`: `x.safetensors` → `x.metrics.jsonl`.
pub fn metrics_path(out: &Path) -> PathBuf {
    out.with_extension("metrics.jsonl")
}

/// Rewrites the JSON-lines metrics log from the full history (atomically), so a
/// resumed run never duplicates or loses a line. Checkpoints do not keep timings
/// (their bytes must not depend on the machine's speed), so the timings of epochs
/// from before a resume are taken from the existing log when it has them.
pub fn write_metrics_log(path: &Path, history: &[EpochMetrics]) -> Result<()> {
    let old: Vec<EpochMetrics> = std::fs::read_to_string(path)
        .map(|s| {
            s.lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect()
        })
        .unwrap_or_default();
    let mut s = String::new();
    for m in history {
        let mut m = m.clone();
        if m.seconds == 0.0
            && let Some(o) = old.iter().find(|o| o.epoch == m.epoch)
        {
            m.seconds = o.seconds;
            m.images_per_sec = o.images_per_sec;
        }
        s += &serde_json::to_string(&m).expect("metrics serialise");
        s.push('\n');
    }
    write_atomic(path, s.as_bytes())
}
