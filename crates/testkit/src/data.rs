//! What the tests need from the machine, and what they do when it is missing.
//!
//! Real MNIST is found as the product finds it: `$LENET5_DATA`, else `./data/mnist`
//! (here: `data/mnist` at the repository root). A test that needs something the machine
//! lacks skips with a printed note, unless `LENET5_REQUIRE` lists it: `.ci/run` sets
//! `LENET5_REQUIRE=data,fonts,browser,fashion`, so on CI a missing prerequisite is a failure, not
//! a silent pass. A `LENET5_DATA` that is set but holds no MNIST is always an error.

use std::path::PathBuf;

use lenet5::data::mnist;

/// The repository root (two folders above this crate).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether `LENET5_REQUIRE` (comma-separated) lists `what`: `data` (MNIST), `fonts`
/// (the font-rendered digits), `browser` (Chromium, Node.js, playwright-core), `fashion`
/// (Debian's Fashion-MNIST).
pub fn required(what: &str) -> bool {
    std::env::var("LENET5_REQUIRE").is_ok_and(|v| v.split(',').any(|w| w.trim() == what))
}

/// A test cannot run here because `what` is missing (`why` says how to get it): a printed
/// note, or a panic when `LENET5_REQUIRE` lists `what`.
pub fn skip(what: &str, why: &str) {
    if required(what) {
        panic!("LENET5_REQUIRE lists `{what}` but it is missing: {why}");
    }
    eprintln!("note: test skipped, {what} missing: {why}");
}

/// The real MNIST folder, or `None` (after [`skip`]) when there is none. Panics when
/// `LENET5_DATA` is set to a folder without the four files.
pub fn mnist() -> Option<PathBuf> {
    match std::env::var_os(mnist::DATA_ENV) {
        Some(d) if !d.is_empty() => {
            let dir = PathBuf::from(d);
            if let Err(e) = mnist::find_files(&dir) {
                panic!("LENET5_DATA is set but unusable: {e}");
            }
            Some(dir)
        }
        _ => {
            let dir = repo_root().join("data/mnist");
            if mnist::find_files(&dir).is_ok() {
                return Some(dir);
            }
            skip(
                "data",
                "no MNIST in $LENET5_DATA or ./data/mnist (`lenet5 download` fetches it)",
            );
            None
        }
    }
}
