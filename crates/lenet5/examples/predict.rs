//! Recognise the digit in an image file with the library API.
//!
//! ```sh
//! cargo run --release --example predict -- lenet5-classic.safetensors digit.png
//! ```

use std::path::Path;
use std::process::ExitCode;

use lenet5::Model;
use lenet5::data::image::load_image;

fn run(model: &str, image: &str) -> lenet5::Result<()> {
    let model = Model::load(model)?;
    let img = load_image(Path::new(image))?;
    let (p, seen) = model.predict_with_input(&img);
    if seen.blank {
        println!("{image}: no digit found");
        return Ok(());
    }
    println!("{image}: {} ({:.1}%)", p.digit, 100.0 * p.confidence());
    for (digit, probability) in p.top(3) {
        println!("  {digit}: {probability:.4}");
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model, image] = args.as_slice() else {
        eprintln!("usage: predict CHECKPOINT IMAGE");
        return ExitCode::FAILURE;
    };
    match run(model, image) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
