//! # lenet5
//!
//! LeNet-5 (LeCun, Bottou, Bengio & Haffner, 1998) written from scratch in Rust: the
//! paper's network (tanh, trainable subsampling, the C3 connection table, RBF output,
//! SDLM training) and the "modern" ReLU / max-pool / softmax variant, with training on
//! MNIST, a command-line tool and this library.
//!
//! ## Recognise a digit in a picture
//!
//! Load a checkpoint written by `lenet5 train` and give [`Model::predict`] any picture of
//! one digit — a photo, a scan, a canvas drawing, dark ink on light paper or the reverse,
//! of any size. It is turned into an MNIST-style 28x28 image first
//! ([`data::image::preprocess`]).
//!
//! ```no_run
//! use std::path::Path;
//!
//! use lenet5::Model;
//! use lenet5::data::image::load_image;
//!
//! fn main() -> lenet5::Result<()> {
//!     let img = load_image(Path::new("digit.png"))?; // PNG, JPEG, BMP or PGM
//!     let p = Model::load("lenet5-classic.safetensors")?.predict(&img);
//!     println!("digit {} ({:.1}% sure)", p.digit, 100.0 * p.confidence());
//!     for (digit, probability) in p.top(3) {
//!         println!("  {digit}: {probability:.3}");
//!     }
//!     Ok(())
//! }
//! ```
//!
//! [`Model::predict_file`] does both steps; [`Model::predict_with_input`] also returns the
//! 28x28 image the network saw; [`Model::forward_28x28`] and
//! [`Model::forward_batch_28x28`] take MNIST-style pixels directly (white ink 255 on
//! black 0); [`predict`] has what `lenet5 predict` is made of (folders, stdin, JSON,
//! blank and low-confidence verdicts). Errors are [`Error`]s whose message names the file
//! and what is wrong.
//!
//! Runnable without any file (an untrained network, so the digit is arbitrary):
//!
//! ```
//! use lenet5::Model;
//! use lenet5::data::image::{DynamicImage, GrayImage};
//! use lenet5::model::{Arch, Network};
//!
//! let model = Model::from_network(Network::new(Arch::Modern, 1));
//! // A black "1" on white paper, 200x200 pixels.
//! let mut img = GrayImage::from_pixel(200, 200, image::Luma([255]));
//! for y in 40..160 {
//!     for x in 95..105 {
//!         img.put_pixel(x, y, image::Luma([0]));
//!     }
//! }
//! let (p, seen) = model.predict_with_input(&DynamicImage::ImageLuma8(img));
//! assert!(seen.inverted && !seen.blank);
//! assert!(p.digit <= 9 && (p.scores.iter().sum::<f32>() - 1.0).abs() < 1e-4);
//! ```
//!
//! ## Modules
//!
//! * [`api`]: [`Model`] and [`Prediction`];
//! * [`predict`]: recognising image files (the `lenet5 predict` command);
//! * [`export`]: ONNX export and reference outputs (`lenet5 export`);
//! * [`data`]: MNIST (IDX files, download) and user pictures → 28x28;
//! * [`model`], [`nn`], [`kernels`]: the two networks, their layers, the GEMM calls;
//! * [`train`]: optimisers, the training loop, checkpoints.
pub mod api;
pub mod bundled;
pub mod data;
pub mod error;
pub mod export;
pub mod kernels;
pub mod model;
pub mod nn;
pub mod parallel;
pub mod rng;
pub mod train;

pub use api::{Activations, Model, Prediction, Recognition};
pub use error::{Error, Result};
