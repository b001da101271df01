//! Training: the configuration and its defaults, optimisers, schedules, the loop,
//! evaluation, checkpoints and the metrics log.
//!
//! - [`presets`]: [`TrainConfig`], the one table of defaults and the named recipes;
//! - [`optim`], [`schedule`]: SDLM, SGD, Adam; constant, the paper's steps, cosine;
//! - [`trainer`]: the deterministic loop ([`Trainer`]);
//! - [`evaluate`](mod@evaluate): accuracy and confusion matrix;
//! - [`checkpoint`]: safetensors files, checksummed, written atomically;
//! - [`metrics`]: what each epoch measured, the JSON-lines log.

pub mod checkpoint;
pub mod evaluate;
pub mod metrics;
pub mod optim;
pub mod presets;
pub mod schedule;
pub mod trainer;

pub use checkpoint::Checkpoint;
pub use evaluate::{EvalResult, evaluate};
pub use metrics::{EpochMetrics, metrics_path, write_metrics_log};
pub use optim::{OptimKind, OptimState};
pub use presets::{PRESETS, Preset, TrainConfig, TrainOverrides};
pub use schedule::Schedule;
pub use trainer::{Pass, Progress, RunOptions, Trainer};
