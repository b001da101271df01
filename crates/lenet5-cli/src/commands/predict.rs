//! `lenet5 predict`: one line (text or JSON) per input image.

use lenet5::{Error, Result};

use crate::args::PredictArgs;
use crate::predict::{self, Input};

pub fn run(a: PredictArgs) -> Result<()> {
    let m = super::model(&a.model)?;
    if !a.json {
        eprintln!("model: {} ({} network)", m.source, m.model.arch());
    }
    let listed = predict::expand_inputs(&a.images);
    let inputs: Vec<Input> = listed
        .iter()
        .filter_map(|(_, i)| i.as_ref().ok().cloned())
        .collect();
    let mut shown = a
        .show_input
        .as_deref()
        .map(|base| predict::show_input_paths(base, &inputs).into_iter());
    let mut steps = a
        .show_steps
        .as_deref()
        .map(|base| predict::show_input_paths(base, &inputs).into_iter());
    let (mut failed, total) = (0, listed.len());
    let top = a.top.into();
    for (name, input) in listed {
        let out = input
            .is_ok()
            .then(|| shown.as_mut().and_then(Iterator::next))
            .flatten();
        let steps_out = input
            .is_ok()
            .then(|| steps.as_mut().and_then(Iterator::next))
            .flatten();
        let r = input.and_then(|i| {
            let img = i.read()?;
            let rec = m.model.recognise(&img);
            if let Some(path) = steps_out {
                crate::viz::steps::write(&img, &rec, &path)?;
            }
            Ok(rec)
        });
        let r = match (r, out) {
            (Ok(rec), Some(path)) => predict::save_input_image(&rec, &path).map(|()| rec),
            (r, _) => r,
        };
        failed += usize::from(r.is_err());
        if a.json {
            println!("{}", predict::json_line(&name, &r, top));
        } else if r.is_err() {
            eprintln!("{}", predict::text_line(&name, &r, top));
        } else {
            println!("{}", predict::text_line(&name, &r, top));
        }
    }
    match failed {
        0 => Ok(()),
        n => Err(Error::Usage(format!(
            "{n} of {total} inputs could not be recognised"
        ))),
    }
}
