//! The real MNIST files, when present (`lenet5_testkit::mnist`): their shape, labels and
//! published SHA-256 sums. A folder that exists but does not load is a failure.

use std::io::Read;

use lenet5::data::mnist;
use sha2::{Digest, Sha256};

#[test]
fn real_mnist_has_canonical_shape_and_labels() {
    let Some(dir) = lenet5_testkit::mnist() else {
        return;
    };
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

/// Each file on disk hashes to its published sum: the `.gz` as published, or (a mirror
/// may recompress) its decompressed content; a raw file to the content's sum.
#[test]
fn real_mnist_files_match_their_published_sha256() {
    let Some(dir) = lenet5_testkit::mnist() else {
        return;
    };
    let found = mnist::find_files(&dir).expect("found above");
    for (spec, path) in mnist::mnist_files().iter().zip(found) {
        let bytes = std::fs::read(&path).unwrap();
        let sha = |b: &[u8]| mnist::hex(&Sha256::digest(b));
        let gz = path.extension().is_some_and(|e| e == "gz");
        let ok = if gz {
            let mut raw = Vec::new();
            flate2::read::MultiGzDecoder::new(&bytes[..])
                .read_to_end(&mut raw)
                .unwrap();
            sha(&bytes) == spec.gz_sha256 || sha(&raw) == spec.raw_sha256
        } else {
            sha(&bytes) == spec.raw_sha256
        };
        assert!(
            ok,
            "{} does not match the published SHA-256 of {}",
            path.display(),
            spec.name
        );
    }
}
