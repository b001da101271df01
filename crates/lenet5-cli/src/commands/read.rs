//! `lenet5 read`: one line per picture, `name: 2026 (0.97)`; `lenet5 bench-read`: the
//! reading benchmark ([`lenet5::read::benchmark`]).

use std::path::Path;

use lenet5::data::image::DynamicImage;
use lenet5::read::Reading;
use lenet5::read::benchmark::{self, Summary};
use lenet5::read::synth::Tier;
use lenet5::{Error, Result};
use serde::Serialize;

use crate::args::{BenchReadArgs, ReadArgs};
use crate::predict::{self, Input};
use crate::viz::{Canvas, color};

pub fn run(a: ReadArgs) -> Result<()> {
    if !(0.0..=1.0).contains(&a.reject) {
        return Err(Error::Usage(format!(
            "--reject {}: a string confidence threshold is between 0 and 1",
            a.reject
        )));
    }
    let m = super::reader_model(&a.model)?;
    if !a.json {
        eprintln!("model: {} ({} network)", m.source, m.model.arch());
    }
    let listed = predict::expand_inputs(&a.images);
    let inputs: Vec<Input> = listed
        .iter()
        .filter_map(|(_, i)| i.as_ref().ok().cloned())
        .collect();
    let mut shown = a
        .show
        .as_deref()
        .map(|base| predict::show_input_paths(base, &inputs).into_iter());
    let (mut failed, total) = (0, listed.len());
    for (name, input) in listed {
        let out = input
            .is_ok()
            .then(|| shown.as_mut().and_then(Iterator::next))
            .flatten();
        let r = input.and_then(|i| {
            let img = i.read()?;
            let r = m.model.read(&img);
            if let Some(path) = out {
                show(&img, &r, &path)?;
            }
            Ok(r)
        });
        match r {
            Ok(r) if a.json => println!("{}", json_line(&name, &r, a.reject)),
            Ok(r) => println!("{}", text_line(&name, &r, a.reject)),
            Err(e) => {
                failed += 1;
                if a.json {
                    println!(
                        "{}",
                        serde_json::json!({ "file": name, "error": e.to_string() })
                    );
                } else {
                    eprintln!("error: {e}");
                }
            }
        }
    }
    match failed {
        0 => Ok(()),
        n => Err(Error::Usage(format!(
            "{n} of {total} inputs could not be read"
        ))),
    }
}

/// `name: 2026 (0.97)`, `name: rejected (best guess 2026, 0.12 < T)`, or why nothing
/// was read.
pub fn text_line(name: &str, r: &Reading, reject: f32) -> String {
    if r.blank {
        return format!("{name}: no digits found (the picture is blank)");
    }
    if let Some(note) = &r.note {
        return format!("{name}: nothing read: {note}");
    }
    if r.text.is_empty() {
        return format!("{name}: no digits found");
    }
    if !r.accepted(reject) {
        return format!(
            "{name}: rejected (best guess {}, confidence {:.2} < {reject})",
            r.text, r.confidence
        );
    }
    format!("{name}: {} ({:.2})", r.text, r.confidence)
}

#[derive(Serialize)]
struct JsonLine<'a> {
    file: &'a str,
    accepted: bool,
    #[serde(flatten)]
    reading: &'a Reading,
}

/// The reading as one JSON object.
pub fn json_line(name: &str, r: &Reading, reject: f32) -> String {
    serde_json::to_string(&JsonLine {
        file: name,
        accepted: r.accepted(reject),
        reading: r,
    })
    .unwrap_or_else(|e| serde_json::json!({ "file": name, "error": e.to_string() }).to_string())
}

/// The picture with each digit's box (green) and digit drawn above it.
fn show(img: &DynamicImage, r: &Reading, path: &Path) -> Result<()> {
    let rgb = img.to_rgb8();
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    let mut c = Canvas::new(w, h, color::WHITE);
    c.data.copy_from_slice(rgb.as_raw());
    let thick = (h.max(w) / 300).max(1) as i64;
    let scale = (h / 60).clamp(1, 8);
    for d in &r.digits {
        let (x, y, bw, bh) = (
            d.bbox.0 as i64,
            d.bbox.1 as i64,
            d.bbox.2 as i64,
            d.bbox.3 as i64,
        );
        for (fx, fy, fw, fh) in [
            (x, y, bw, thick),
            (x, y + bh - thick, bw, thick),
            (x, y, thick, bh),
            (x + bw - thick, y, thick, bh),
        ] {
            c.fill(fx, fy, fw, fh, color::GREEN);
        }
        let ty = (y - 9 * scale as i64).max(0);
        c.text_at(x, ty, &d.digit.to_string(), scale, color::ACCENT);
    }
    c.save_png(path)
}

pub fn bench(a: BenchReadArgs) -> Result<()> {
    let m = super::reader_model(&a.model)?;
    let data = super::data(&a.data)?;
    let ds = if a.split == "train" {
        &data.train
    } else {
        &data.test
    };
    let what = super::describe(a.model.model.as_deref(), &m.model, &m.source);
    let start = std::time::Instant::now();
    let mut rows = Vec::new();
    for tier in Tier::ALL {
        let (graph, base) = benchmark::run_tier(&m.model, ds, tier, a.count);
        rows.push((
            tier,
            benchmark::summarise(&graph),
            benchmark::summarise(&base),
        ));
        if !a.json {
            eprintln!("{}: {} strings read", tier.name(), a.count);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    if a.json {
        let v: Vec<_> = rows
            .iter()
            .map(|(t, g, b)| serde_json::json!({ "tier": t, "graph": g, "baseline": b }))
            .collect();
        let out = serde_json::json!({
            "model": what, "split": a.split, "count": a.count, "digits": benchmark::DIGITS,
            "seed": benchmark::SEED, "seconds": secs, "tiers": v,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&out).expect("plain values")
        );
        return Ok(());
    }
    println!(
        "model {what}; {} strings of {} MNIST {} digits per tier (seed {}), {secs:.1} s",
        a.count,
        benchmark::DIGITS,
        a.split,
        benchmark::SEED
    );
    println!(
        "{:<12} {:>9} {:>9} {:>12} {:>12} {:>9}   {:>12} {:>12}",
        "tier",
        "string",
        "digit",
        "reject@0.5%",
        "reject@0.1%",
        "cuttable",
        "CC string",
        "CC digit"
    );
    for (t, g, b) in &rows {
        println!(
            "{:<12} {:>8.2}% {:>8.2}% {:>12} {:>12} {:>8.2}%   {:>11.2}% {:>11.2}%",
            t.name(),
            100.0 * g.string_accuracy,
            100.0 * g.digit_accuracy,
            pct(g.reject_for_half_percent),
            pct(g.reject_for_tenth_percent),
            100.0 * g.cuttable,
            100.0 * b.string_accuracy,
            100.0 * b.digit_accuracy
        );
    }
    println!(
        "cuttable: the graph holds the right reading as clean cuts (each piece >= 92 % of its digit's ink, >= 92 % pure)"
    );
    println!("error against rejection (graph; string error among the answered):");
    for (t, g, _) in &rows {
        println!("  {:<12} {}", t.name(), curve(g));
    }
    Ok(())
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "never".into(), |r| format!("{:.1}%", 100.0 * r))
}

fn curve(s: &Summary) -> String {
    s.curve
        .iter()
        .map(|(r, e)| format!("{:.0}%:{:.2}%", 100.0 * r, 100.0 * e))
        .collect::<Vec<_>>()
        .join(" ")
}
