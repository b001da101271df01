//! Accuracy of trained models on digits rendered from the installed TrueType fonts (not
//! MNIST): 19 fonts × digits 0-9 × 24 styles (sizes 18-140 px, positions, canvas shapes,
//! dark-on-light and light-on-dark, colours, low contrast), each through
//! `Model::predict`, the same path as `lenet5 predict`.
//!
//! ```sh
//! apt-get install fonts-dejavu-core fonts-liberation fonts-freefont-ttf
//! cargo run --release --example font_accuracy                     # the two bundled networks
//! cargo run --release --example font_accuracy -- my-model.safetensors
//! ```

use std::process::ExitCode;

use lenet5::model::Arch;
use lenet5_testkit::{fontdigits, fonts};

fn main() -> ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    let mut models = Vec::new();
    if paths.is_empty() {
        for arch in [Arch::Classic, Arch::Modern] {
            models.push((format!("bundled {arch}"), lenet5::Model::bundled(arch)));
        }
    }
    for p in &paths {
        match lenet5::Model::load(p) {
            Ok(m) => models.push((p.clone(), m)),
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
