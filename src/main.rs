//! `lenet5`: the command-line tool. Argument parsing and printing only; everything
//! it does is a library call.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use lenet5::data::augment::Augment;
use lenet5::data::mnist;
use lenet5::model::{Arch, summary};
use lenet5::train::{
    EpochMetrics, OptimKind, RunOptions, Schedule, TrainConfig, Trainer, checkpoint, evaluate,
};
use lenet5::{Error, Result};

#[derive(Parser)]
#[command(
    name = "lenet5",
    version,
    about = "LeNet-5 (LeCun et al. 1998) from scratch: train, evaluate, explain and serve it on MNIST"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, ValueEnum)]
enum ArchArg {
    /// The 1998 paper: tanh, trainable subsampling, C3 table, RBF output, SDLM.
    Classic,
    /// The seed exercise: ReLU, max-pooling, softmax cross-entropy.
    Modern,
}

impl From<ArchArg> for Arch {
    fn from(a: ArchArg) -> Arch {
        match a {
            ArchArg::Classic => Arch::Classic,
            ArchArg::Modern => Arch::Modern,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum OptimArg {
    /// Stochastic diagonal Levenberg-Marquardt (the paper's; classic only).
    Sdlm,
    /// SGD with momentum.
    Sgd,
    /// Adam.
    Adam,
}

#[derive(Clone, Copy, ValueEnum)]
enum ScheduleArg {
    /// Constant learning rate.
    Const,
    /// The paper's steps (×1, ×0.4, ×0.2, ×0.1, ×0.02 after passes 2, 5, 8, 12).
    Paper,
    /// Cosine decay to 0.
    Cosine,
}

#[derive(Clone, Copy, ValueEnum)]
enum AugmentArg {
    /// No distortion.
    None,
    /// Random translation, scaling, squeezing, shearing, small rotation.
    Affine,
    /// Elastic distortion (Simard et al. 2003) plus a mild affine.
    Elastic,
}

#[derive(clap::Args)]
struct DataArgs {
    /// Folder with the four MNIST files (raw or .gz). Default: $LENET5_DATA, else ./data/mnist.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Never download: fail if the files are missing.
    #[arg(long)]
    no_download: bool,
}

#[derive(Subcommand)]
enum Cmd {
    /// Train a network on MNIST; writes a checkpoint after every epoch.
    Train {
        /// A named recipe: paper (classic, SDLM, 20 passes), paper-distorted, classic-best,
        /// modern, modern-best. Other options override its settings.
        #[arg(long, value_name = "NAME")]
        preset: Option<String>,
        /// Which LeNet-5 (default classic, or the preset's).
        #[arg(long, value_enum)]
        arch: Option<ArchArg>,
        /// Passes over the training set (default 20).
        #[arg(long)]
        epochs: Option<usize>,
        /// Images per update (default: 1 for classic = per-pattern SDLM, 64 for modern).
        #[arg(long)]
        batch: Option<usize>,
        /// Base learning rate (SDLM: ε of passes 1-2, default 0.0005; SGD default 0.05; Adam 0.001).
        #[arg(long)]
        lr: Option<f32>,
        /// Optimiser (default: sdlm for classic, sgd for modern).
        #[arg(long, value_enum)]
        optim: Option<OptimArg>,
        /// Learning-rate schedule (default: paper for SDLM, cosine otherwise).
        #[arg(long, value_enum)]
        schedule: Option<ScheduleArg>,
        /// SGD momentum (default 0.9).
        #[arg(long)]
        momentum: Option<f32>,
        /// L2 weight decay (default 5e-4 for modern, 0 for classic).
        #[arg(long)]
        weight_decay: Option<f32>,
        /// Distortions of the training images (default none, or the preset's).
        #[arg(long, value_enum)]
        augment: Option<AugmentArg>,
        /// Random seed: the same seed gives the same weights, whatever --threads.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Worker threads for mini-batches and evaluation (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Checkpoint path (default: lenet5-<arch>.safetensors); metrics go to <out>.metrics.jsonl.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Continue the run saved in this checkpoint (its configuration is reused).
        #[arg(long, value_name = "FILE")]
        resume: Option<PathBuf>,
        /// Use only the first N training images (quick experiments).
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Accuracy, errors, per-class accuracy and the confusion matrix on the test set.
    Eval {
        /// Checkpoint to evaluate (default: the classic model bundled in the binary).
        #[arg(long, value_name = "FILE")]
        model: Option<PathBuf>,
        /// Worker threads.
        #[arg(long)]
        threads: Option<usize>,
        /// Also draw the confusion matrix as a heat map (.png or .svg).
        #[arg(long, value_name = "FILE")]
        confusion: Option<PathBuf>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Pictures of every layer for one image: input, C1, S2, C3, S4, F6/RBF, summary, index.html.
    Visualize {
        /// The picture of a digit (PNG, JPEG, BMP, PNM; any size, dark ink on paper is fine).
        #[arg(long, value_name = "IMG")]
        image: PathBuf,
        /// Folder to write the pictures into (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Checkpoint to run.
        #[arg(
            long,
            value_name = "FILE",
            default_value = "lenet5-classic.safetensors"
        )]
        model: PathBuf,
    },
    /// Learning curves (loss and error per epoch) from a metrics log written by train.
    Plot {
        /// The log: <checkpoint>.metrics.jsonl.
        #[arg(value_name = "METRICS.jsonl")]
        metrics: PathBuf,
        /// Picture to write (.png, or .svg).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// A grid of the test digits the model gets wrong, with true and predicted labels.
    Errors {
        /// Checkpoint to evaluate.
        #[arg(long, value_name = "FILE")]
        model: PathBuf,
        /// Picture to write (.png).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Show at most this many digits.
        #[arg(long, value_name = "N", default_value_t = 100)]
        max: usize,
        /// Worker threads.
        #[arg(long)]
        threads: Option<usize>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// A grid of training digits, each beside random distortions of it.
    AugmentPreview {
        /// Picture to write (.png).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Which distortion.
        #[arg(long, value_enum, default_value = "affine")]
        augment: AugmentArg,
        /// Number of training digits (rows).
        #[arg(long, default_value_t = 10)]
        n: usize,
        /// Distortions per digit (columns).
        #[arg(long, default_value_t = 8)]
        per: usize,
        /// Random seed (as for train).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The ten 7x12 bitmaps of the RBF output layer.
    Glyphs {
        /// Picture to write (.png).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Per layer: output shape, trainable parameters, connections.
    Summary {
        #[arg(long, value_enum, default_value = "classic")]
        arch: ArchArg,
    },
    /// Speed: training and inference images/s, GFLOP/s and fraction of peak on a
    /// fixed synthetic workload (see the `bench` module docs).
    Bench {
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Images per training measurement.
        #[arg(long, default_value_t = 12_800)]
        train_images: usize,
        /// Images per inference measurement.
        #[arg(long, default_value_t = 10_000)]
        infer_images: usize,
        /// Only this architecture (default: both).
        #[arg(long, value_enum)]
        arch: Option<ArchArg>,
        /// Training batch sizes (comma-separated).
        #[arg(long, value_delimiter = ',', default_value = "1,64,256")]
        train_batches: Vec<usize>,
        /// Inference batch sizes (comma-separated).
        #[arg(long, value_delimiter = ',', default_value = "1,64,1000")]
        infer_batches: Vec<usize>,
        /// Skip the per-kernel timings.
        #[arg(long)]
        no_kernels: bool,
        /// Run only this part: train, infer or kernels.
        #[arg(long, value_parser = ["train", "infer", "kernels"])]
        only: Option<String>,
        /// Print JSON (one object: machine and rows) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Recognise the digit in image files (PNG, JPEG, BMP, PGM), folders of them, or `-` (stdin).
    Predict(PredictArgs),
    /// Export a checkpoint as ONNX (input: [N,1,28,28] white-on-black 0..1; see README).
    Export(ExportArgs),
    /// Download the four MNIST files (SHA-256 verified) into the data folder.
    Download {
        /// Target folder. Default: $LENET5_DATA, else ./data/mnist.
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Mirror base URL to try (repeatable; default: the well-known MNIST mirrors).
        #[arg(long, value_name = "URL")]
        mirror: Vec<String>,
    },
    /// Web demo: draw a digit in the browser and watch LeNet-5 think.
    Serve {
        /// Checkpoint to serve (repeatable: one classic and/or one modern). Default:
        /// lenet5-classic.safetensors and lenet5-modern.safetensors in the current folder.
        #[arg(long, value_name = "FILE")]
        model: Vec<PathBuf>,
        /// Address to listen on (loopback only unless told otherwise).
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
    },
}

fn load_data(d: &DataArgs) -> Result<mnist::Mnist> {
    let dir = mnist::resolve_data_dir(d.data.as_deref());
    let m = if d.no_download || mnist::find_files(&dir).is_ok() {
        mnist::load(&dir)?
    } else {
        eprintln!("MNIST not found in {}; downloading it", dir.display());
        mnist::load_or_download(&dir, &[])?
    };
    // The network takes 28x28 digits; other sizes would be silently cropped or padded.
    if (m.train.rows, m.train.cols) != (28, 28) {
        let file = mnist::find_files(&dir).map_or(dir, |[images, ..]| images);
        return Err(Error::format(
            file,
            format!(
                "holds {}x{} images; LeNet-5 takes MNIST's 28x28",
                m.train.rows, m.train.cols
            ),
        ));
    }
    Ok(m)
}

fn threads(t: Option<usize>) -> usize {
    t.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn print_epoch(m: &EpochMetrics) {
    println!(
        "epoch {:>2}  lr {:.2e}  train loss {:.4} acc {:.2}%  test loss {:.4} acc {:.2}% ({} errors)  {:.1}s  {:.0} img/s",
        m.epoch,
        m.lr,
        m.train_loss,
        100.0 * m.train_acc,
        m.test_loss,
        100.0 * m.test_acc,
        m.test_errors,
        m.seconds,
        m.images_per_sec
    );
}

fn run(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Predict(a) => predict(a),
        Cmd::Export(a) => export(a),
        Cmd::Serve { model, addr } => lenet5::serve::run(&model, addr),
        Cmd::Summary { arch } => {
            print!("{}", summary::render(arch.into()));
            Ok(())
        }
        Cmd::Bench {
            threads: t,
            train_images,
            infer_images,
            arch,
            train_batches,
            infer_batches,
            no_kernels,
            only,
            json,
        } => {
            let part = |p: &str| only.as_deref().is_none_or(|o| o == p);
            let cfg = lenet5::bench::BenchConfig {
                threads: threads(t),
                train_images,
                infer_images,
                archs: arch.map_or(vec![Arch::Modern, Arch::Classic], |a| vec![a.into()]),
                train_batches: if part("train") { train_batches } else { vec![] },
                infer_batches: if part("infer") { infer_batches } else { vec![] },
                kernels: !no_kernels && part("kernels"),
            };
            let m = lenet5::bench::machine();
            let rows = lenet5::bench::run(&cfg, |r| {
                if !json {
                    eprintln!(
                        "{} {} batch {}: {:.0} images/s",
                        r.mode, r.what, r.batch, r.images_per_sec
                    )
                }
            })?;
            if json {
                let v = serde_json::json!({ "machine": m, "rows": rows });
                println!("{}", serde_json::to_string_pretty(&v).expect("serialises"));
            } else {
                print!("{}", lenet5::bench::render(&rows, &m));
            }
            Ok(())
        }
        Cmd::Download { data, mirror } => {
            let dir = mnist::resolve_data_dir(data.as_deref());
            mnist::download(&dir, &mirror)?;
            let m = mnist::load(&dir)?;
            println!(
                "MNIST ready in {}: {} training and {} test images",
                dir.display(),
                m.train.len(),
                m.test.len()
            );
            Ok(())
        }
        Cmd::Eval {
            model,
            threads: t,
            confusion,
            data,
        } => {
            if let Some(p) = &confusion {
                lenet5::viz::Format::of(p, true)?;
            }
            let (net, what) = match &model {
                Some(path) => {
                    let ck = checkpoint::load(path)?;
                    (
                        ck.network(),
                        format!(
                            "{} ({} network, {} epochs)",
                            path.display(),
                            ck.arch,
                            ck.epoch
                        ),
                    )
                }
                None => (
                    lenet5::Model::bundled().network().clone(),
                    "the bundled classic LeNet-5".to_string(),
                ),
            };
            let ds = load_data(&data)?;
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads(t))
                .build()
                .map_err(|e| Error::Usage(e.to_string()))?;
            let r = pool.install(|| evaluate(&net, &ds.test));
            println!("model {what}");
            println!(
                "test accuracy {:.2}%  errors {} / {}  error rate {:.2}%  mean loss {:.4}",
                100.0 * r.accuracy(),
                r.errors(),
                r.n,
                100.0 * (1.0 - r.accuracy()),
                r.loss
            );
            let names = ds.identify().map(|k| k.class_names());
            match ds.identify() {
                Some(k) => println!("per class ({}):", k.name()),
                None => println!("per class:"),
            }
            for (c, row) in r.confusion.iter().enumerate() {
                let n: usize = row.iter().sum();
                let name = names.map_or(String::new(), |n| {
                    if n[c] == c.to_string() {
                        String::new()
                    } else {
                        format!(" {:<12}", n[c])
                    }
                });
                println!(
                    "  {c}{name}: {:6.2}%  ({} / {n})",
                    100.0 * row[c] as f64 / n.max(1) as f64,
                    row[c]
                );
            }
            println!("confusion matrix (rows: true digit, columns: predicted):");
            println!(
                "     {}",
                (0..10).map(|c| format!("{c:>5}")).collect::<String>()
            );
            for (c, row) in r.confusion.iter().enumerate() {
                println!(
                    "  {c}: {}",
                    row.iter().map(|v| format!("{v:>5}")).collect::<String>()
                );
            }
            if let Some(p) = &confusion {
                let title = format!("confusion matrix: {what}");
                lenet5::viz::confusion::write(&r.confusion, &title, p)?;
                println!("wrote {}", p.display());
            }
            Ok(())
        }
        c @ (Cmd::Visualize { .. }
        | Cmd::Plot { .. }
        | Cmd::Errors { .. }
        | Cmd::AugmentPreview { .. }
        | Cmd::Glyphs { .. }) => run_viz(c),
        Cmd::Train {
            preset,
            arch,
            epochs,
            batch,
            lr,
            optim,
            schedule,
            momentum,
            weight_decay,
            augment,
            seed,
            threads: t,
            out,
            resume,
            limit,
            quiet,
            data,
        } => {
            let mut trainer = match &resume {
                Some(path) => {
                    let ck = checkpoint::load(path)?;
                    let tr = Trainer::resume(ck, epochs)
                        .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
                    eprintln!(
                        "resuming {} after epoch {} of {}",
                        path.display(),
                        tr.epoch,
                        tr.config.epochs
                    );
                    tr
                }
                None => {
                    let mut c = match &preset {
                        Some(p) => TrainConfig::preset(p).ok_or_else(|| {
                            Error::Usage(format!(
                                "unknown preset `{p}`; choose one of: {}",
                                TrainConfig::PRESETS.join(", ")
                            ))
                        })?,
                        None => TrainConfig::defaults(arch.map_or(Arch::Classic, Arch::from)),
                    };
                    if let Some(a) = arch {
                        let a: Arch = a.into();
                        if a != c.arch {
                            let keep = (c.epochs, c.augment);
                            c = TrainConfig::defaults(a);
                            (c.epochs, c.augment) = keep;
                        }
                    }
                    let arch = c.arch;
                    if let Some(o) = optim {
                        c.optim = match o {
                            OptimArg::Sdlm => OptimKind::Sdlm,
                            OptimArg::Sgd => OptimKind::Sgd,
                            OptimArg::Adam => OptimKind::Adam,
                        };
                        if c.optim != TrainConfig::defaults(arch).optim {
                            // Defaults that follow the optimiser.
                            c.lr = match c.optim {
                                OptimKind::Sdlm => 5e-4,
                                OptimKind::Sgd => 0.05,
                                OptimKind::Adam => 1e-3,
                            };
                            c.schedule = if c.optim == OptimKind::Sdlm {
                                Schedule::Paper
                            } else {
                                Schedule::Cosine
                            };
                            c.batch = if c.optim == OptimKind::Sdlm { 1 } else { 64 };
                            c.momentum = if c.optim == OptimKind::Sgd { 0.9 } else { 0.0 };
                        }
                    }
                    if let Some(s) = schedule {
                        c.schedule = match s {
                            ScheduleArg::Const => Schedule::Const,
                            ScheduleArg::Paper => Schedule::Paper,
                            ScheduleArg::Cosine => Schedule::Cosine,
                        };
                    }
                    c.epochs = epochs.unwrap_or(c.epochs);
                    c.batch = batch.unwrap_or(c.batch);
                    c.lr = lr.unwrap_or(c.lr);
                    c.momentum = momentum.unwrap_or(c.momentum);
                    c.weight_decay = weight_decay.unwrap_or(c.weight_decay);
                    if let Some(a) = augment {
                        c.augment = match a {
                            AugmentArg::None => Augment::None,
                            AugmentArg::Affine => Augment::affine(),
                            AugmentArg::Elastic => Augment::elastic(),
                        };
                    }
                    c.seed = seed;
                    c.limit = limit;
                    Trainer::new(c)?
                }
            };
            let out = out.or(resume).unwrap_or_else(|| {
                PathBuf::from(format!("lenet5-{}.safetensors", trainer.config.arch))
            });
            let ds = load_data(&data)?;
            let c = &trainer.config;
            println!(
                "training {} LeNet-5: {} epochs, optim {}, batch {}, lr {}, schedule {:?}, augment {}, seed {}, {} threads",
                c.arch,
                c.epochs,
                c.optim.name(),
                c.batch,
                c.lr,
                c.schedule,
                c.augment.name(),
                c.seed,
                threads(t)
            );
            let mut opts = RunOptions {
                out: Some(out.clone()),
                threads: threads(t),
                progress: !quiet,
                on_epoch: Some(Box::new(print_epoch)),
                stop_after: None,
            };
            trainer.run(&ds.train, &ds.test, &mut opts)?;
            println!(
                "saved {} (metrics: {})",
                out.display(),
                lenet5::train::trainer::metrics_path(&out).display()
            );
            Ok(())
        }
    }
}

/// The picture commands (library: `lenet5::viz`).
fn run_viz(cmd: Cmd) -> Result<()> {
    use lenet5::viz::{self, Format, grids};
    match cmd {
        Cmd::Visualize { image, out, model } => {
            let m = lenet5::Model::load(&model)?;
            let v = viz::layers::visualize(&m, &image, &out)?;
            if v.blank {
                eprintln!(
                    "warning: {} holds no ink; the network saw an empty field",
                    image.display()
                );
            }
            println!(
                "{}: digit {} (p = {:.3}); pictures in {}: {}",
                image.display(),
                v.prediction.digit,
                v.prediction.confidence(),
                out.display(),
                v.files
                    .iter()
                    .filter_map(|f| f.file_name())
                    .map(|f| f.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        Cmd::Plot { metrics, out } => {
            viz::plot::plot_file(&metrics, &out)?;
            println!("wrote {}", out.display());
        }
        Cmd::Errors {
            model,
            out,
            max,
            threads: t,
            data,
        } => {
            Format::of(&out, false)?;
            let m = lenet5::Model::load(&model)?;
            let ds = load_data(&data)?;
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads(t))
                .build()
                .map_err(|e| Error::Usage(e.to_string()))?;
            let title = format!("misclassified test digits: {}", model.display());
            let (pic, n) = pool.install(|| grids::errors_of(&m, &ds.test, max, &title))?;
            pic.save_png(&out)?;
            println!("{n} errors; wrote {} ({} shown)", out.display(), n.min(max));
        }
        Cmd::AugmentPreview {
            out,
            augment,
            n,
            per,
            seed,
            data,
        } => {
            Format::of(&out, false)?;
            let ds = load_data(&data)?;
            let aug = match augment {
                AugmentArg::None => Augment::None,
                AugmentArg::Affine => Augment::affine(),
                AugmentArg::Elastic => Augment::elastic(),
            };
            grids::augment_preview(&ds.train, aug, n, per, seed)?.save_png(&out)?;
            println!("wrote {}", out.display());
        }
        Cmd::Glyphs { out } => {
            Format::of(&out, false)?;
            grids::glyphs().save_png(&out)?;
            println!("wrote {}", out.display());
        }
        _ => return Err(Error::Usage("not a picture command".into())),
    }
    Ok(())
}

#[derive(clap::Args)]
struct PredictArgs {
    /// Image files, folders (their images, sorted by name; not recursive) or `-` for stdin.
    #[arg(required = true, value_name = "IMAGE")]
    images: Vec<PathBuf>,
    /// Checkpoint (default: ./lenet5-classic.safetensors, else ./lenet5-modern.safetensors,
    /// else the classic model bundled in the binary).
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
    /// Also list the K most likely digits with their probabilities.
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=10))]
    top: u8,
    /// One JSON object per line: file, digit, confidence, low_confidence, scores, outputs,
    /// [top,] inverted, blank (or file, error).
    #[arg(long)]
    json: bool,
    /// Write the 28x28 image the network saw to this PNG; with several images,
    /// OUT-<name>.png for each (OUT without its extension).
    #[arg(long, value_name = "OUT.png")]
    show_input: Option<PathBuf>,
}

fn predict(a: PredictArgs) -> Result<()> {
    use lenet5::predict::{self, Input};
    let (model, from) = predict::resolve_model(a.model.as_deref(), std::path::Path::new("."))?;
    if !a.json {
        eprintln!("model: {from} ({} network)", model.arch());
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
    let (mut failed, total) = (0, listed.len());
    for (name, input) in listed {
        let out = input
            .is_ok()
            .then(|| shown.as_mut().and_then(Iterator::next))
            .flatten();
        let r = input.and_then(|i| predict::recognise(&model, &i));
        let r = match (r, out) {
            (Ok(rec), Some(path)) => predict::save_input_image(&rec, &path).map(|()| rec),
            (r, _) => r,
        };
        failed += usize::from(r.is_err());
        if a.json {
            println!("{}", predict::json_line(&name, &r, a.top.into()));
        } else if r.is_err() {
            eprintln!("{}", predict::text_line(&name, &r, a.top.into()));
        } else {
            println!("{}", predict::text_line(&name, &r, a.top.into()));
        }
    }
    match failed {
        0 => Ok(()),
        n => Err(Error::Usage(format!(
            "{n} of {total} inputs could not be recognised"
        ))),
    }
}

#[derive(clap::Args)]
struct ExportArgs {
    /// Write the network as ONNX (opset 13) to this file.
    #[arg(long, value_name = "FILE")]
    onnx: PathBuf,
    /// Checkpoint to export (default: the classic model bundled in the binary).
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
    /// Also run the network on the MNIST test images and write DIR/{outputs,scores,digits,labels}.npy
    /// (for checking an ONNX runtime against lenet5: tests/onnx/check.py).
    #[arg(long, value_name = "DIR")]
    reference: Option<PathBuf>,
    #[command(flatten)]
    data: DataArgs,
}

fn export(a: ExportArgs) -> Result<()> {
    let (model, source) = match &a.model {
        Some(p) => (
            lenet5::Model::load(p)?,
            p.file_name()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
        ),
        None => (lenet5::Model::bundled(), "bundled lenet5-classic".into()),
    };
    let bytes = lenet5::export::write_onnx(&model, &source, &a.onnx)?;
    println!(
        "wrote {} ({} network, {bytes} bytes, ONNX opset {})",
        a.onnx.display(),
        model.arch(),
        lenet5::export::onnx::OPSET
    );
    if let Some(dir) = a.reference {
        let ds = load_data(&a.data)?;
        let n = lenet5::export::write_reference(&model, &ds.test, &dir)?;
        println!(
            "wrote reference outputs for {n} test images to {}",
            dir.display()
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line whatever a dependency put in its message.
            let msg = e.to_string();
            eprintln!("error: {}", msg.trim().replace(['\n', '\r'], " "));
            ExitCode::FAILURE
        }
    }
}
