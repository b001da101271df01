//! One function per `lenet5` command: flags in, library calls, lines out.

mod draw;
mod eval;
mod photos;
mod predict;
mod read;
mod site;
mod train;

use std::path::{Path, PathBuf};

use lenet5::bundled::{self, Resolved};
use lenet5::data::mnist::{self, Mnist};
use lenet5::model::summary;
use lenet5::{Model, Result};

use crate::args::{BenchArgs, Cmd, DataArgs, ExportArgs, ModelArg};
use crate::download;

/// Runs one command.
pub fn run(cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Train(a) => train::run(a),
        Cmd::Eval(a) => eval::run(a),
        Cmd::Predict(a) => predict::run(a),
        Cmd::Read(a) => read::run(a),
        Cmd::BenchRead(a) => read::bench(a),
        Cmd::BenchPhotos(a) => photos::bench(a),
        Cmd::Draw(d) => draw::run(d),
        Cmd::Serve(a) => {
            let models = bundled::resolve(&a.model, &current_dir()?)?;
            lenet5_serve::run(models, a.addr)
        }
        Cmd::Site(a) => site::run(a),
        Cmd::Summary { arch } => {
            print!("{}", summary::render(arch));
            Ok(())
        }
        Cmd::Export(a) => export(a),
        Cmd::Bench(a) => bench(a),
        Cmd::Download { data, mirror } => {
            let dir = mnist::resolve_data_dir(data.as_deref());
            download::download(&dir, &mirror)?;
            let m = mnist::load(&dir)?;
            println!(
                "MNIST ready in {}: {} training and {} test images",
                dir.display(),
                m.train.len(),
                m.test.len()
            );
            Ok(())
        }
    }
}

fn current_dir() -> Result<PathBuf> {
    std::env::current_dir().map_err(|e| lenet5::Error::io(".", e))
}

/// The model a command runs ([`bundled::resolve_one`] from the current folder).
fn model(m: &ModelArg) -> Result<Resolved> {
    bundled::resolve_one(m.model.as_deref(), &current_dir()?)
}

/// The model that reads numbers ([`bundled::resolve_reader`]).
fn reader_model(m: &crate::args::ReaderModelArg) -> Result<Resolved> {
    bundled::resolve_reader(m.model.as_deref())
}

/// MNIST from `--data` / `$LENET5_DATA` / ./data/mnist, downloaded if missing.
fn data(d: &DataArgs) -> Result<Mnist> {
    download::load_data(&mnist::resolve_data_dir(d.data.as_deref()), d.no_download)
}

fn export(a: ExportArgs) -> Result<()> {
    let Resolved { model, source } = model(&a.model)?;
    let bytes = lenet5::export::write_onnx(&model, &source, &a.onnx)?;
    println!(
        "wrote {} ({} network from {source}, {bytes} bytes, ONNX opset {})",
        a.onnx.display(),
        model.arch(),
        lenet5::export::onnx::OPSET
    );
    if let Some(dir) = a.reference {
        let n = lenet5::export::write_reference(&model, &data(&a.data)?.test, &dir)?;
        println!(
            "wrote reference outputs for {n} test images to {}",
            dir.display()
        );
    }
    Ok(())
}

fn bench(a: BenchArgs) -> Result<()> {
    use lenet5::model::Arch;
    let part = |p: &str| a.only.as_deref().is_none_or(|o| o == p);
    let cfg = crate::bench::BenchConfig {
        threads: rayon::current_num_threads(),
        train_images: a.train_images,
        infer_images: a.infer_images,
        archs: a
            .arch
            .map_or(vec![Arch::Modern, Arch::Classic], |a| vec![a]),
        train_batches: if part("train") {
            a.train_batches
        } else {
            vec![]
        },
        infer_batches: if part("infer") {
            a.infer_batches
        } else {
            vec![]
        },
        kernels: !a.no_kernels && part("kernels"),
    };
    let mut m = crate::bench::machine(&crate::bench::thread_counts(&cfg));
    let json = a.json;
    let mut rows = crate::bench::run(&cfg, &m, |r| {
        if !json {
            eprintln!(
                "{} {} batch {}: {:.0} images/s",
                r.mode, r.what, r.batch, r.images_per_sec
            )
        }
    })?;
    m.measure_again(&mut rows);
    if json {
        let v = serde_json::json!({ "machine": m, "rows": rows });
        println!("{}", serde_json::to_string_pretty(&v).expect("serialises"));
    } else {
        print!("{}", crate::bench::render(&rows, &m));
    }
    Ok(())
}

/// A file name for messages: the checkpoint's name, or where the model came from.
fn describe(path: Option<&Path>, m: &Model, source: &str) -> String {
    match path {
        Some(p) => format!("{} ({} network)", p.display(), m.arch()),
        None => source.to_string(),
    }
}
