//! The bundled networks (`crates/lenet5/models/`) are reproduced bit for bit by the
//! commands the README gives for them:
//!
//! ```sh
//! lenet5 train --preset classic-best --out crates/lenet5/models/lenet5-classic.safetensors
//! lenet5 train --preset modern-best --out crates/lenet5/models/lenet5-modern.safetensors
//! lenet5 train --preset modern-reader --out crates/lenet5/models/lenet5-reader.safetensors
//! ```
//!
//! 40 per-pattern SDLM passes over distorted MNIST (about four minutes on one core), 40
//! epochs of SGD (about five), and the reader's epochs over MNIST and the cut pieces. The files' bytes depend on the floating-point operations
//! the kernels use, so the check runs on the back ends the models were made with: AVX2 +
//! FMA, and AVX-512, which computes the same numbers (`LENET5_SIMD=avx2` checks the
//! former on a CPU that has both); on the portable back end it says so and stops.
//! Needs MNIST.

use std::process::Command;

use lenet5::bundled;
use lenet5::model::Arch;

fn reproduce(name: &str, preset: &str, want: &[u8]) {
    let Some(data) = lenet5_testkit::mnist() else {
        return;
    };
    if lenet5::kernels::simd::backend() == lenet5::kernels::simd::Kind::Portable {
        eprintln!(
            "note: skipped, the bundled models were made with the AVX2+FMA (= AVX-512) kernels, this machine runs {}",
            lenet5::kernels::simd::backend_name()
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(format!("lenet5-{name}.safetensors"));
    eprintln!(
        "{name}: reproducing on the {} back end",
        lenet5::kernels::simd::backend_name()
    );
    let status = Command::new(env!("CARGO_BIN_EXE_lenet5"))
        .args(["train", "--preset", preset, "--quiet", "--no-download"])
        .arg("--threads")
        .arg("1")
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "lenet5 train --preset {preset} failed: {status}"
    );
    let got = std::fs::read(&out).unwrap();
    assert_eq!(got.len(), want.len(), "{name}: file sizes differ");
    assert!(
        got == want,
        "the retrained {name} model differs from crates/lenet5/models/lenet5-{name}.safetensors"
    );
}

#[test]
fn the_documented_command_reproduces_the_bundled_classic_model() {
    reproduce("classic", "classic-best", bundled::bytes(Arch::Classic));
}

#[test]
fn the_documented_command_reproduces_the_bundled_modern_model() {
    reproduce("modern", "modern-best", bundled::bytes(Arch::Modern));
}

#[test]
fn the_documented_command_reproduces_the_bundled_reader() {
    reproduce("reader", "modern-reader", bundled::READER_BYTES);
}
