//! `lenet5 draw ...`: the picture commands (library: [`crate::viz`]).

use lenet5::Result;

use crate::args::DrawCmd;
use crate::viz::{self, Format, grids};

pub fn run(cmd: DrawCmd) -> Result<()> {
    match cmd {
        DrawCmd::Layers { image, out, model } => {
            let m = super::model(&model)?;
            let v = viz::layers::visualize(&m.model, &image, &out)?;
            if v.blank {
                eprintln!(
                    "warning: {} holds no ink; the network saw an empty field",
                    image.display()
                );
            }
            println!(
                "{}: digit {} (p = {:.3}, {}); pictures in {}: {}",
                image.display(),
                v.prediction.digit,
                v.prediction.confidence(),
                m.source,
                out.display(),
                v.files
                    .iter()
                    .filter_map(|f| f.file_name())
                    .map(|f| f.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        DrawCmd::Curves { metrics, out } => {
            viz::plot::plot_file(&metrics, &out)?;
            println!("wrote {}", out.display());
        }
        DrawCmd::Errors {
            out,
            max,
            model,
            data,
        } => {
            Format::of(&out, false)?;
            let m = super::model(&model)?;
            let ds = super::data(&data)?;
            let title = format!("misclassified test digits: {}", m.source);
            let (pic, n) = grids::errors_of(&m.model, &ds.test, max, &title)?;
            pic.save_png(&out)?;
            println!("{n} errors; wrote {} ({} shown)", out.display(), n.min(max));
        }
        DrawCmd::Distortions {
            out,
            augment,
            n,
            per,
            seed,
            data,
        } => {
            Format::of(&out, false)?;
            let ds = super::data(&data)?;
            grids::augment_preview(&ds.train, augment.into(), n, per, seed)?.save_png(&out)?;
            println!("wrote {}", out.display());
        }
        DrawCmd::Glyphs { out } => {
            Format::of(&out, false)?;
            grids::glyphs().save_png(&out)?;
            println!("wrote {}", out.display());
        }
    }
    Ok(())
}
