//! Training: optimisers, the loop, checkpoints.

pub mod checkpoint;
pub mod optim;
pub mod trainer;

pub use checkpoint::Checkpoint;
pub use optim::{OptimKind, Schedule};
pub use trainer::{EpochMetrics, EvalResult, RunOptions, TrainConfig, Trainer, evaluate};
