//! The names `lenet5.train` takes (the CLI's flag values) → the engine's enums. The
//! engine's own names are the one list: nothing is spelled out here but the lookup.

use lenet5::data::augment::{Augment, AugmentKind};
use lenet5::train::{OptimKind, Schedule};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// The value of `choices` whose name is `given`, or a `ValueError` listing them.
fn pick<T: Copy>(
    what: &str,
    given: &str,
    choices: &[T],
    name: impl Fn(T) -> String,
) -> PyResult<T> {
    choices
        .iter()
        .copied()
        .find(|&c| name(c) == given)
        .ok_or_else(|| {
            let names: Vec<String> = choices.iter().map(|&c| name(c)).collect();
            PyValueError::new_err(format!(
                "unknown {what} `{given}`; choose one of: {}",
                names.join(", ")
            ))
        })
}

/// `sdlm`, `sgd` or `adam`.
pub fn optim(given: &str) -> PyResult<OptimKind> {
    pick(
        "optimiser",
        given,
        &[OptimKind::Sdlm, OptimKind::Sgd, OptimKind::Adam],
        |o| o.name().to_string(),
    )
}

/// `const`, `paper` or `cosine` (the names the configuration is stored under).
pub fn schedule(given: &str) -> PyResult<Schedule> {
    pick(
        "schedule",
        given,
        &[Schedule::Const, Schedule::Paper, Schedule::Cosine],
        |s| {
            serde_json::to_value(s)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        },
    )
}

/// `none`, `affine` or `elastic`.
pub fn augment(given: &str) -> PyResult<AugmentKind> {
    pick(
        "distortion",
        given,
        &[AugmentKind::None, AugmentKind::Affine, AugmentKind::Elastic],
        |k| Augment::from(k).name().to_string(),
    )
}
