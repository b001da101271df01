//! The command line: every subcommand and flag, and nothing else. Defaults that belong to
//! the engine (training recipes, optimiser settings) are not repeated here: an option
//! left out is `None` and the engine's table decides ([`lenet5::train::presets`]).
//!
//! The doc comments below are clap's `--help` text, written for a terminal (`[N,1,28,28]`,
//! `<arch>`), not for rustdoc.
#![allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use lenet5::data::augment::AugmentKind;
use lenet5::model::Arch;
use lenet5::train::{OptimKind, Schedule};

#[derive(Parser)]
#[command(
    name = "lenet5",
    version,
    about = "LeNet-5 (LeCun et al. 1998) from scratch: train, evaluate, explain and serve it on MNIST"
)]
pub struct Cli {
    /// Worker threads (default: all cores). Results never depend on it.
    #[arg(long, global = true)]
    pub threads: Option<usize>,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Train a network on MNIST; writes a checkpoint after every epoch.
    Train(TrainArgs),
    /// Accuracy, errors, per-class accuracy and the confusion matrix on the test set.
    Eval(EvalArgs),
    /// Recognise the digit in image files (PNG, JPEG, BMP, PGM), folders of them, or `-` (stdin).
    Predict(PredictArgs),
    /// Read a whole number (a line of 1 to 20 handwritten digits) in image files, folders or `-`.
    Read(ReadArgs),
    /// Reading benchmark: synthetic 5-digit strings from MNIST digits (separated, touching,
    /// overlapping), read by the segmentation graph and by connected components alone.
    BenchRead(BenchReadArgs),
    /// Photo benchmark: MNIST test digits rendered as phone photos of paper (ruled, squared,
    /// shadows, blue ink, pencil...), read by both bundled networks through `predict`'s
    /// preprocessing; beside plain MNIST and MNIST written as PNG (both polarities).
    BenchPhotos(BenchPhotosArgs),
    /// Web demo: draw a digit in the browser and watch LeNet-5 think.
    Serve(ServeArgs),
    /// The web demo as a static folder (engine in WebAssembly, training in the page): see docs/site.md.
    Site(SiteArgs),
    /// Pictures: every layer for one image, learning curves, errors, distortions, RBF glyphs.
    #[command(subcommand)]
    Draw(DrawCmd),
    /// Per layer: output shape, trainable parameters, connections.
    Summary {
        #[arg(long, value_enum, default_value = "classic")]
        arch: Arch,
    },
    /// Export a checkpoint as ONNX (input: [N,1,28,28] white-on-black 0..1; see docs/onnx.md).
    Export(ExportArgs),
    /// Speed: training and inference images/s, GFLOP/s and fraction of peak on a fixed
    /// synthetic workload.
    Bench(BenchArgs),
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

/// Where MNIST is.
#[derive(Args)]
pub struct DataArgs {
    /// Folder with the four MNIST files (raw or .gz). Default: $LENET5_DATA, else ./data/mnist.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Never download: fail if the files are missing.
    #[arg(long)]
    pub no_download: bool,
}

/// Which trained network: `--model FILE`, else ./lenet5-classic.safetensors or
/// ./lenet5-modern.safetensors, else the classic network bundled in the binary.
#[derive(Args)]
pub struct ModelArg {
    /// Checkpoint (default: ./lenet5-classic.safetensors, else ./lenet5-modern.safetensors,
    /// else the bundled classic network).
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
}

/// Which network reads numbers: `--model FILE`, else the bundled reader.
#[derive(Args)]
pub struct ReaderModelArg {
    /// Checkpoint (default: the bundled reader, a modern LeNet-5 also trained on the pieces
    /// the reader cuts, badly cut ones as "not a digit").
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
}

#[derive(Args)]
pub struct TrainArgs {
    /// A named recipe: paper, paper-distorted, classic-best, modern, modern-best, modern-reader
    /// (`lenet5 train --help` lists what each sets). Other options override it.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Which LeNet-5 (default classic, or the preset's).
    #[arg(long, value_enum)]
    pub arch: Option<Arch>,
    /// Passes over the training set (default 20, or the preset's).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Images per update (default: the optimiser's; 1 for SDLM = per pattern).
    #[arg(long)]
    pub batch: Option<usize>,
    /// Base learning rate (default: the optimiser's; SDLM: ε of passes 1-2).
    #[arg(long)]
    pub lr: Option<f32>,
    /// Optimiser (default: sdlm for classic, sgd for modern).
    #[arg(long, value_enum)]
    pub optim: Option<OptimKind>,
    /// Learning-rate schedule (default: the optimiser's).
    #[arg(long, value_enum)]
    pub schedule: Option<Schedule>,
    /// SGD momentum (default: the optimiser's).
    #[arg(long)]
    pub momentum: Option<f32>,
    /// L2 weight decay (default: the architecture's).
    #[arg(long)]
    pub weight_decay: Option<f32>,
    /// Distortions of the training images (default: the preset's, else none).
    #[arg(long, value_enum)]
    pub augment: Option<AugmentKind>,
    /// Random seed (default 1): the same seed gives the same weights, whatever --threads.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Checkpoint path (default: lenet5-<arch>.safetensors); metrics go to <out>.metrics.jsonl.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Continue the run saved in this checkpoint (its configuration is reused).
    #[arg(long, value_name = "FILE")]
    pub resume: Option<PathBuf>,
    /// Use only the first N training images (quick experiments).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Add the labelled pieces of N synthetic strings of training digits (whole digits as
    /// the reader cuts them, and badly cut pieces taught as "not a digit"); the
    /// modern-reader preset uses 4000.
    #[arg(long, value_name = "N")]
    pub pieces: Option<usize>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Args)]
pub struct EvalArgs {
    #[command(flatten)]
    pub model: ModelArg,
    /// Also draw the confusion matrix as a heat map (.png or .svg).
    #[arg(long, value_name = "FILE")]
    pub confusion: Option<PathBuf>,
    /// Also print the error-against-rejection curve (rejecting the digits whose two best
    /// classes are closest first) and the rejection needed for 0.5 % and 0.1 % error.
    #[arg(long)]
    pub reject: bool,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Args)]
pub struct ReadArgs {
    /// Image files, folders (their images, sorted by name; not recursive) or `-` for stdin.
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<PathBuf>,
    #[command(flatten)]
    pub model: ReaderModelArg,
    /// One JSON object per line: file, text, confidence, accepted, blank, inverted, note,
    /// digits (digit, confidence, runner_up [digit, probability], scores, bbox [x, y, w, h]).
    #[arg(long)]
    pub json: bool,
    /// Answer `rejected` when the string's confidence is below T (0 to 1).
    #[arg(long, value_name = "T", default_value_t = 0.0)]
    pub reject: f32,
    /// Write the picture with each digit's box and digit drawn on it; with several images,
    /// OUT-<name>.png for each.
    #[arg(long, value_name = "OUT.png")]
    pub show: Option<PathBuf>,
}

#[derive(Args)]
pub struct BenchReadArgs {
    /// Strings per tier (the documented figures use the default).
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub count: usize,
    /// Which MNIST digits to build the strings from: test (the benchmark) or train.
    #[arg(long, value_parser = ["test", "train"], default_value = "test")]
    pub split: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub model: ReaderModelArg,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Args)]
pub struct BenchPhotosArgs {
    /// Photos (the documented figures use the default; photo i is the same whatever N).
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub count: usize,
    /// Skip the MNIST-as-PNG check (10,000 test images, both polarities, through predict).
    #[arg(long)]
    pub no_png: bool,
    /// Also write the photos as JPEG files into this folder (photo-NNNN-label-L.jpg).
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,
    /// Write the photos that a bundled network gets wrong into this folder
    /// (photo-NNNN-label-L-classic-A-modern-B.jpg, A/B `none` when no digit was found) with
    /// `failures.tsv` listing each one's conditions; look at them with `predict --show-steps`.
    #[arg(long, value_name = "DIR")]
    pub failures: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Args)]
pub struct PredictArgs {
    /// Image files, folders (their images, sorted by name; not recursive) or `-` for stdin.
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<PathBuf>,
    #[command(flatten)]
    pub model: ModelArg,
    /// Also list the K most likely digits with their probabilities.
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=10))]
    pub top: u8,
    /// One JSON object per line: file, digit, confidence, low_confidence, scores, outputs,
    /// [top,] inverted, blank (or file, error).
    #[arg(long)]
    pub json: bool,
    /// Write the 28x28 image the network saw to this PNG; with several images,
    /// OUT-<name>.png for each (OUT without its extension).
    #[arg(long, value_name = "OUT.png")]
    pub show_input: Option<PathBuf>,
    /// Write one picture of the preprocessing's stages (input, background, ink, lines
    /// removed, chosen digit, the 28x28) to this PNG; with several images, OUT-<name>.png.
    #[arg(long, value_name = "OUT.png")]
    pub show_steps: Option<PathBuf>,
}

#[derive(Args)]
pub struct ServeArgs {
    /// Checkpoint to serve (repeatable: one classic and/or one modern). Default:
    /// lenet5-classic.safetensors and lenet5-modern.safetensors in the current folder,
    /// else the two networks bundled in the binary.
    #[arg(long, value_name = "FILE")]
    pub model: Vec<PathBuf>,
    /// Address to listen on (loopback only unless told otherwise).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
}

#[derive(Args)]
pub struct SiteArgs {
    /// Folder to write the site into (created if needed; the site's files in it are replaced).
    #[arg(value_name = "OUT_DIR")]
    pub out: PathBuf,
    /// The engine in WebAssembly, as `cargo build -p lenet5-web --target
    /// wasm32-unknown-unknown --profile wasm` leaves it.
    #[arg(
        long,
        value_name = "FILE",
        default_value = "target/wasm32-unknown-unknown/wasm/lenet5_web.wasm"
    )]
    pub wasm: PathBuf,
    /// Checkpoint to ship (repeatable: one classic and/or one modern). Default as for serve.
    #[arg(long, value_name = "FILE")]
    pub model: Vec<PathBuf>,
    /// MNIST training images shipped for the page to train on (0: no training panel).
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub train_images: usize,
    /// MNIST test images shipped, to measure the network trained in the page.
    #[arg(long, value_name = "N", default_value_t = 1_000)]
    pub test_images: usize,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Subcommand)]
pub enum DrawCmd {
    /// Every layer for one image: input, C1, S2, C3, S4, F6/RBF, summary, index.html.
    Layers {
        /// The picture of a digit (PNG, JPEG, BMP, PNM; any size, dark ink on paper is fine).
        #[arg(long, value_name = "IMG")]
        image: PathBuf,
        /// Folder to write the pictures into (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        #[command(flatten)]
        model: ModelArg,
    },
    /// Learning curves (loss and error per epoch) from a metrics log written by train.
    Curves {
        /// The log: <checkpoint>.metrics.jsonl.
        #[arg(value_name = "METRICS.jsonl")]
        metrics: PathBuf,
        /// Picture to write (.png, or .svg).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// A grid of the test digits the model gets wrong, with true and predicted labels.
    Errors {
        /// Picture to write (.png).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Show at most this many digits.
        #[arg(long, value_name = "N", default_value_t = 100)]
        max: usize,
        #[command(flatten)]
        model: ModelArg,
        #[command(flatten)]
        data: DataArgs,
    },
    /// A grid of training digits, each beside random distortions of it.
    Distortions {
        /// Picture to write (.png).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Which distortion.
        #[arg(long, value_enum, default_value = "affine")]
        augment: AugmentKind,
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
}

#[derive(Args)]
pub struct ExportArgs {
    /// Write the network as ONNX (opset 13) to this file.
    #[arg(long, value_name = "FILE")]
    pub onnx: PathBuf,
    #[command(flatten)]
    pub model: ModelArg,
    /// Also run the network on the MNIST test images and write DIR/{outputs,scores,digits,labels}.npy
    /// (for checking an ONNX runtime against lenet5: crates/lenet5/tests/onnx/check.py).
    #[arg(long, value_name = "DIR")]
    pub reference: Option<PathBuf>,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Args)]
pub struct BenchArgs {
    /// Images per training measurement.
    #[arg(long, default_value_t = 12_800)]
    pub train_images: usize,
    /// Images per inference measurement.
    #[arg(long, default_value_t = 10_000)]
    pub infer_images: usize,
    /// Only this architecture (default: both).
    #[arg(long, value_enum)]
    pub arch: Option<Arch>,
    /// Training batch sizes (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "1,64,256")]
    pub train_batches: Vec<usize>,
    /// Inference batch sizes (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "1,64,1000")]
    pub infer_batches: Vec<usize>,
    /// Skip the per-kernel timings.
    #[arg(long)]
    pub no_kernels: bool,
    /// Run only this part: train, infer or kernels.
    #[arg(long, value_parser = ["train", "infer", "kernels"])]
    pub only: Option<String>,
    /// Print JSON (one object: machine and rows) instead of a table.
    #[arg(long)]
    pub json: bool,
}
