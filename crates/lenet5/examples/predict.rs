//! Recognise the digit in an image file with the library API: the bundled classic
//! network, or a checkpoint written by `lenet5 train`.
//!
//! ```sh
//! cargo run --release -p lenet5 --example predict -- digit.png
//! cargo run --release -p lenet5 --example predict -- digit.png lenet5-modern.safetensors
//! ```

use std::process::ExitCode;

use lenet5::Model;
use lenet5::model::Arch;

fn run(image: &str, checkpoint: Option<&String>) -> lenet5::Result<()> {
    let model = match checkpoint {
        Some(path) => Model::load(path)?,
        None => Model::bundled(Arch::Classic),
    };
    let img = lenet5::data::image::load_image(image.as_ref())?;
    let seen = model.recognise(&img);
    let Some(digit) = seen.digit() else {
        println!("{image}: no digit found");
        return Ok(());
    };
    println!(
        "{image}: {digit} ({:.1}%)",
        100.0 * seen.prediction.confidence()
    );
    for (digit, probability) in seen.prediction.top(3) {
        println!("  {digit}: {probability:.4}");
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(image), checkpoint) = (args.first(), args.get(1)) else {
        eprintln!("usage: predict IMAGE [CHECKPOINT]");
        return ExitCode::FAILURE;
    };
    match run(image, checkpoint) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
