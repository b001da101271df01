//! The real MNIST files, when present: `$LENET5_DATA`, else `../shared/data/mnist`
//! relative to the crate. Skips (with a note) only when that directory does not exist;
//! a directory that exists but does not load is a failure.

use std::path::PathBuf;

use lenet5::data::mnist;

fn data_dir() -> PathBuf {
    match std::env::var_os("LENET5_DATA") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mnist"),
    }
}

#[test]
fn real_mnist_has_canonical_shape_and_labels() {
    let dir = data_dir();
    if !dir.exists() {
        eprintln!(
            "SKIP real_mnist: {} does not exist (set LENET5_DATA to the MNIST directory)",
            dir.display()
        );
        return;
    }
    let m = mnist::load(&dir).unwrap_or_else(|e| panic!("loading {}: {e}", dir.display()));
    for (split, n) in [(&m.train, 60_000), (&m.test, 10_000)] {
        assert_eq!(split.len(), n);
        assert_eq!((split.rows, split.cols), (28, 28));
        assert_eq!(split.images.len(), n * 28 * 28);
        assert_eq!(split.image(n - 1).len(), 784);
    }
    assert_eq!(
        m.test.class_counts(),
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    assert_eq!(m.train.class_counts().iter().sum::<usize>(), 60_000);
    assert_eq!(m.train.label(0), 5);
    // Pixels are bytes with an MNIST-like distribution: mostly background, some full ink.
    let first = m.train.image(0);
    assert_eq!(first.iter().max(), Some(&255));
    assert!(first.iter().filter(|&&p| p == 0).count() > 784 / 2);
}
