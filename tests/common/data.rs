//! Where the tests find real MNIST: `$LENET5_DATA`, else `../shared/data/mnist` beside
//! the crate (the product itself never looks there).

use std::path::PathBuf;

/// The MNIST folder the tests use (it may not exist: callers skip with a note).
pub fn mnist_dir() -> PathBuf {
    std::env::var_os("LENET5_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mnist"))
}
