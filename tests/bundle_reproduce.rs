//! The bundled model (`models/lenet5-classic.safetensors`) is reproduced bit for bit by
//! the command the README gives for it:
//!
//! ```sh
//! lenet5 train --preset classic-best --out models/lenet5-classic.safetensors
//! ```
//!
//! 40 per-pattern SDLM passes over distorted MNIST: about four minutes on one core. The
//! file's bytes depend on the floating-point operations the kernels use, so the check
//! runs on the back end the model was made with (AVX2 + FMA); on the portable back end
//! (no FMA) it says so and stops. Needs MNIST (LENET5_DATA, else ../shared/data/mnist).

#[path = "common/data.rs"]
mod data;

use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_documented_command_reproduces_the_bundled_model() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let data = data::mnist_dir();
    if !data.exists() {
        eprintln!("skipping: no MNIST at {}", data.display());
        return;
    }
    if !lenet5::kernels::simd::use_avx2() {
        eprintln!(
            "skipping: the bundled model was made with the AVX2+FMA kernels, this machine runs {}",
            lenet5::kernels::simd::backend_name()
        );
        return;
    }
    let dir = std::env::temp_dir().join(format!("lenet5-bundle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("lenet5-classic.safetensors");
    let status = Command::new(env!("CARGO_BIN_EXE_lenet5"))
        .args([
            "train",
            "--preset",
            "classic-best",
            "--quiet",
            "--no-download",
        ])
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "lenet5 train failed: {status}");
    let got = std::fs::read(&out).unwrap();
    let want = std::fs::read(root.join("models/lenet5-classic.safetensors")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(got.len(), want.len(), "file sizes differ");
    assert!(
        got == want,
        "the retrained model differs from models/lenet5-classic.safetensors"
    );
}
