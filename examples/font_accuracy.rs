//! Accuracy of trained models on digits rendered from the installed TrueType fonts (not
//! MNIST): 19 fonts × digits 0-9 × 24 styles (sizes 18-140 px, positions, canvas shapes,
//! dark-on-light and light-on-dark, colours, low contrast), each through
//! `Model::predict`, the same path as `lenet5 predict`.
//!
//! ```sh
//! apt-get install fonts-dejavu-core fonts-liberation fonts-freefont-ttf
//! cargo run --release --example font_accuracy -- lenet5-classic.safetensors lenet5-modern.safetensors
//! ```

#[allow(dead_code)]
#[path = "../tests/common/fontdigits.rs"]
mod fontdigits;
#[path = "../tests/predict_support/fonts.rs"]
mod fonts;

use std::process::ExitCode;

fn main() -> ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: font_accuracy CHECKPOINT...");
        return ExitCode::FAILURE;
    }
    let mut models = Vec::new();
    for p in &paths {
        match lenet5::Model::load(p) {
            Ok(m) => models.push((p, m)),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let Some((names, samples)) = fonts::samples() else {
        eprintln!(
            "error: no fonts installed (apt-get install {})",
            fontdigits::FONT_PACKAGES.join(" ")
        );
        return ExitCode::FAILURE;
    };
    println!("{} samples from {} fonts", samples.len(), names.len());
    for (p, m) in &models {
        let r = fonts::score(m, &names, &samples);
        print!("{}", fonts::report(&format!("{p} ({})", m.arch()), &r));
    }
    ExitCode::SUCCESS
}
