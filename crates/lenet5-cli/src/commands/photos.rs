//! `lenet5 bench-photos`: the photo benchmark ([`lenet5::data::photos`]) for both bundled
//! networks, beside plain MNIST and MNIST written as PNG through `predict`.

use std::io::Cursor;

use lenet5::data::Dataset;
use lenet5::data::image::{DynamicImage, GrayImage, decode_image};
use lenet5::data::photos;
use lenet5::model::Arch;
use lenet5::{Error, Model, Result};

use crate::args::BenchPhotosArgs;

/// Fraction of `ds` the model gets right when each 28x28 test image is written as a PNG
/// (white on black, or `dark_on_light`), decoded and preprocessed as `predict` does.
pub fn mnist_png_accuracy(model: &Model, ds: &Dataset, dark_on_light: bool) -> f64 {
    let idx: Vec<usize> = (0..ds.len()).collect();
    let right: usize = lenet5::parallel::map_chunks(&idx, 256, |chunk| {
        chunk
            .iter()
            .filter(|&&i| {
                let px: Vec<u8> = ds
                    .image(i)
                    .iter()
                    .map(|&p| if dark_on_light { 255 - p } else { p })
                    .collect();
                let g = GrayImage::from_raw(28, 28, px).expect("784 bytes");
                let mut png = Vec::new();
                DynamicImage::ImageLuma8(g)
                    .write_to(&mut Cursor::new(&mut png), ::image::ImageFormat::Png)
                    .expect("PNG in memory");
                let img = decode_image(&png, "mnist.png".as_ref()).expect("own PNG");
                model.recognise(&img).digit() == Some(ds.label(i))
            })
            .count()
    })
    .into_iter()
    .sum();
    right as f64 / ds.len().max(1) as f64
}

/// Writes every photo that some network got wrong into `dir`, named with the truth and
/// each network's answer, and `failures.tsv` (photo, label, answers, conditions).
fn write_failures(
    dir: &std::path::Path,
    test: &Dataset,
    archs: &[Arch],
    outcomes: &[photos::Outcome],
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let answer = |a: &Option<u8>| a.map_or("none".to_string(), |d| d.to_string());
    let mut tsv = String::from("photo\tlabel");
    for arch in archs {
        tsv.push_str(&format!("\t{arch}"));
    }
    tsv.push_str("\tconditions\n");
    for (i, o) in outcomes.iter().enumerate() {
        if o.answers.iter().all(|&d| d == Some(o.label)) {
            continue;
        }
        let mut name = format!("photo-{i:04}-label-{}", o.label);
        tsv.push_str(&format!("{i}\t{}", o.label));
        for (arch, d) in archs.iter().zip(&o.answers) {
            name.push_str(&format!("-{arch}-{}", answer(d)));
            tsv.push_str(&format!("\t{}", answer(d)));
        }
        tsv.push_str(&format!("\t{}\n", o.tags.join(", ")));
        let path = dir.join(format!("{name}.jpg"));
        std::fs::write(&path, photos::photo(test, i).jpeg).map_err(|e| Error::io(&path, e))?;
    }
    let path = dir.join("failures.tsv");
    std::fs::write(&path, tsv).map_err(|e| Error::io(&path, e))
}

pub fn bench(a: BenchPhotosArgs) -> Result<()> {
    if a.count == 0 {
        return Err(Error::Usage("--count must be at least 1".into()));
    }
    let data = super::data(&a.data)?;
    let test = &data.test;
    if let Some(dir) = &a.save {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        for i in 0..a.count {
            let p = photos::photo(test, i);
            let path = dir.join(format!("photo-{i:04}-label-{}.jpg", p.spec.label));
            std::fs::write(&path, &p.jpeg).map_err(|e| Error::io(&path, e))?;
        }
    }
    let archs = [Arch::Classic, Arch::Modern];
    let models: Vec<Model> = archs.iter().map(|&a| Model::bundled(a)).collect();
    let start = std::time::Instant::now();
    let classifiers: Vec<_> = models
        .iter()
        .map(|m| move |img: &DynamicImage| m.recognise(img).digit())
        .collect();
    let outcomes = photos::run(test, a.count, &classifiers);
    let secs = start.elapsed().as_secs_f64();
    if let Some(dir) = &a.failures {
        write_failures(dir, test, &archs, &outcomes)?;
    }
    let mut nets = Vec::new();
    for (k, (arch, m)) in archs.iter().zip(&models).enumerate() {
        let mnist = lenet5::train::evaluate::evaluate(m.network(), test).accuracy();
        let png = (!a.no_png).then(|| {
            (
                mnist_png_accuracy(m, test, false),
                mnist_png_accuracy(m, test, true),
            )
        });
        nets.push((*arch, mnist, png, photos::summarise(&outcomes, k)));
    }
    if a.json {
        let v: Vec<_> = nets
            .iter()
            .map(|(arch, mnist, png, rows)| {
                serde_json::json!({
                    "network": arch.to_string(), "mnist_test": mnist,
                    "mnist_png_white_on_black": png.map(|p| p.0),
                    "mnist_png_dark_on_light": png.map(|p| p.1),
                    "photos": rows.iter().map(|(t, r, n)| serde_json::json!({
                        "condition": t, "right": r, "total": n,
                        "accuracy": *r as f64 / (*n).max(1) as f64 })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let out = serde_json::json!({
            "count": a.count, "seed": photos::SEED, "seconds": secs, "networks": v,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&out).expect("plain values")
        );
        return Ok(());
    }
    println!(
        "{} photos of MNIST test digits (seed {}, {}x{} JPEG), {secs:.1} s",
        a.count,
        photos::SEED,
        photos::WIDTH,
        photos::HEIGHT
    );
    let pct = |r: usize, n: usize| 100.0 * r as f64 / n.max(1) as f64;
    print!("{:<18} {:>6}", "condition", "photos");
    for (arch, ..) in &nets {
        print!(" {:>9}", arch.to_string());
    }
    println!();
    for (j, (tag, _, n)) in nets[0].3.iter().enumerate() {
        print!("{tag:<18} {n:>6}");
        for (.., rows) in &nets {
            print!(" {:>8.2}%", pct(rows[j].1, rows[j].2));
        }
        println!();
    }
    print!("{:<25}", "MNIST test (28x28)");
    for (_, mnist, ..) in &nets {
        print!(" {:>8.2}%", 100.0 * mnist);
    }
    println!();
    if !a.no_png {
        for (name, pick) in [
            ("MNIST as PNG, white/black", 0),
            ("MNIST as PNG, dark/light", 1),
        ] {
            print!("{name:<25}");
            for (_, _, png, _) in &nets {
                let p = png.expect("measured");
                print!(" {:>8.2}%", 100.0 * if pick == 0 { p.0 } else { p.1 });
            }
            println!();
        }
    }
    Ok(())
}
