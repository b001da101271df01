//! Learning-rate schedules: the multiplier of the base rate at each point of a run.

use serde::{Deserialize, Serialize};

/// How the learning rate changes over training.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Schedule {
    /// The same rate throughout.
    Const,
    /// The paper's steps: ×1 for passes 1-2, ×0.4 for 3-5, ×0.2 for 6-8, ×0.1 for
    /// 9-12, ×0.02 after (ε = 0.0005, 0.0002, 0.0001, 0.00005, 0.00001).
    Paper,
    /// Cosine decay from the base rate to 0 over all steps.
    Cosine,
}

/// The multiplier of the base rate at `epoch` (0-based) and `progress` ∈ [0, 1) of
/// the whole run.
pub fn lr_factor(schedule: Schedule, epoch: usize, progress: f64) -> f32 {
    match schedule {
        Schedule::Const => 1.0,
        Schedule::Paper => match epoch {
            0..=1 => 1.0,
            2..=4 => 0.4,
            5..=7 => 0.2,
            8..=11 => 0.1,
            _ => 0.02,
        },
        Schedule::Cosine => (0.5 * (1.0 + (std::f64::consts::PI * progress).cos())) as f32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_schedule_matches_the_paper() {
        let eps: Vec<f32> = (0..20)
            .map(|e| 5e-4 * lr_factor(Schedule::Paper, e, 0.0))
            .collect();
        let want = [
            5e-4, 5e-4, 2e-4, 2e-4, 2e-4, 1e-4, 1e-4, 1e-4, 5e-5, 5e-5, 5e-5, 5e-5, 1e-5,
        ];
        for (a, b) in eps.iter().zip(want) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
        assert!((eps[19] - 1e-5).abs() < 1e-9);
        assert_eq!(lr_factor(Schedule::Cosine, 0, 0.0), 1.0);
        assert!((lr_factor(Schedule::Cosine, 0, 0.5) - 0.5).abs() < 1e-6);
        assert!(lr_factor(Schedule::Cosine, 0, 0.999_999) < 1e-6);
    }
}
