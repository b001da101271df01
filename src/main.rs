//! `lenet5`: the command-line tool. Argument parsing and printing only; everything
//! it does is a library call.

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
        /// Which LeNet-5.
        #[arg(long, value_enum, default_value = "classic")]
        arch: ArchArg,
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
        /// Distortions of the training images.
        #[arg(long, value_enum, default_value = "none")]
        augment: AugmentArg,
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
        /// Checkpoint to evaluate.
        #[arg(long, value_name = "FILE")]
        model: PathBuf,
        /// Worker threads.
        #[arg(long)]
        threads: Option<usize>,
        #[command(flatten)]
        data: DataArgs,
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
    /// Download the four MNIST files (SHA-256 verified) into the data folder.
    Download {
        /// Target folder. Default: $LENET5_DATA, else ./data/mnist.
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Mirror base URL to try (repeatable; default: the well-known MNIST mirrors).
        #[arg(long, value_name = "URL")]
        mirror: Vec<String>,
    },
}

fn load_data(d: &DataArgs) -> Result<mnist::Mnist> {
    let dir = mnist::resolve_data_dir(d.data.as_deref());
    if d.no_download || mnist::find_files(&dir).is_ok() {
        mnist::load(&dir)
    } else {
        eprintln!("MNIST not found in {}; downloading it", dir.display());
        mnist::load_or_download(&dir, &[])
    }
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
            data,
        } => {
            let ck = checkpoint::load(&model)?;
            let net = ck.network();
            let ds = load_data(&data)?;
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads(t))
                .build()
                .map_err(|e| Error::Usage(e.to_string()))?;
            let r = pool.install(|| evaluate(&net, &ds.test));
            println!(
                "model {} ({} network, {} epochs)",
                model.display(),
                ck.arch,
                ck.epoch
            );
            println!(
                "test accuracy {:.2}%  errors {} / {}  error rate {:.2}%  mean loss {:.4}",
                100.0 * r.accuracy(),
                r.errors(),
                r.n,
                100.0 * (1.0 - r.accuracy()),
                r.loss
            );
            println!("per class:");
            for (c, row) in r.confusion.iter().enumerate() {
                let n: usize = row.iter().sum();
                println!(
                    "  {c}: {:6.2}%  ({} / {n})",
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
            Ok(())
        }
        Cmd::Train {
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
                    let tr = Trainer::resume(ck, epochs)?;
                    eprintln!(
                        "resuming {} after epoch {} of {}",
                        path.display(),
                        tr.epoch,
                        tr.config.epochs
                    );
                    tr
                }
                None => {
                    let arch: Arch = arch.into();
                    let mut c = TrainConfig::defaults(arch);
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
                    c.augment = match augment {
                        AugmentArg::None => Augment::None,
                        AugmentArg::Affine => Augment::affine(),
                        AugmentArg::Elastic => Augment::elastic(),
                    };
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
