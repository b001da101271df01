//! # lenet5
//!
//! LeNet-5 (LeCun, Bottou, Bengio & Haffner, *Gradient-Based Learning Applied to Document
//! Recognition*, 1998) written from scratch: the paper's network (scaled tanh, trainable
//! subsampling, the C3 connection table, RBF output, per-pattern SDLM training) and a
//! "modern" ReLU / max-pool / softmax variant, MNIST reading, training, checkpoints, ONNX
//! export, and two trained networks inside the crate. No deep-learning framework: plain
//! `f32` buffers, hand-written SIMD kernels (AVX2 + FMA when the CPU has it), and rayon
//! (the default `threads` feature; without it the crate builds for
//! `wasm32-unknown-unknown`).
//!
//! ## Recognise a digit
//!
//! ```
//! use lenet5::Model;
//! use lenet5::data::image::{DynamicImage, GrayImage};
//! use lenet5::model::Arch;
//!
//! // The classic network bundled in the crate (0.66 % MNIST test error).
//! let model = Model::bundled(Arch::Classic);
//! // A black "1" drawn on white paper, 200x200 pixels: any size, either polarity.
//! let mut img = GrayImage::from_pixel(200, 200, image::Luma([255]));
//! for y in 40..160 {
//!     for x in 95..105 {
//!         img.put_pixel(x, y, image::Luma([0]));
//!     }
//! }
//! let seen = model.recognise(&DynamicImage::ImageLuma8(img));
//! assert_eq!(seen.digit(), Some(1));
//! assert!(seen.prediction.confidence() > 0.9 && seen.input.inverted);
//! ```
//!
//! A picture file: `Model::bundled(Arch::Classic).predict_file("seven.png")?`. Pictures
//! go through MNIST's own preprocessing first ([`data::image::preprocess`]: the ink found,
//! its box scaled into 20x20, centred by mass in 28x28); [`Model::forward_28x28`] and
//! [`Model::forward_batch_28x28`] take MNIST-style pixels directly (white ink 255 on black
//! 0), and [`Model::explain_28x28`] returns every layer's output too.
//!
//! ## Train one
//!
//! ```no_run
//! use lenet5::data::mnist;
//! use lenet5::train::{RunOptions, TrainConfig, Trainer};
//!
//! # fn main() -> lenet5::Result<()> {
//! let data = mnist::load(std::path::Path::new("data/mnist"))?; // the four IDX files
//! let mut trainer = Trainer::new(TrainConfig::preset("paper").expect("a preset"))?;
//! trainer.run(&data.train, &data.test, &mut RunOptions::quiet(2))?;
//! println!("test error {:.2} %", 100.0 * (1.0 - trainer.history.last().unwrap().test_acc));
//! # Ok(()) }
//! ```
//!
//! The same seed gives the same weights, bit for bit, whatever the number of threads.
//!
//! ## Modules, from the bytes to the answer
//!
//! * [`data`]: IDX files (raw or gzip, validated), MNIST, user pictures → 28x28, distortions;
//! * [`kernels`]: the hot loops, one file per layer, over an 8-lane vector trait;
//! * [`nn`]: the layers, forward and backward side by side, with gradient checks;
//! * [`model`]: the two networks, written like the paper's Figure 2, and their workspace;
//! * [`train`]: the table of defaults and presets, optimisers, the deterministic trainer,
//!   checkpoints;
//! * [`api`]: [`Model`], [`Prediction`], [`Recognition`]; [`bundled`]: the two shipped
//!   networks and how a model is chosen;
//! * [`export`]: ONNX; [`parallel`]: where threads are decided; [`files`]: atomic writes.
//!
//! Errors are [`Error`]s whose message names the file (or option) and what is wrong.
pub mod api;
pub mod bundled;
pub mod data;
pub mod error;
pub mod export;
pub mod files;
pub mod kernels;
pub mod model;
pub mod nn;
pub mod parallel;
pub mod read;
pub mod rng;
pub mod train;

pub use api::{Activations, Model, Prediction, Recognition};
pub use error::{Error, Result};
