//! # lenet5
//!
//! LeNet-5 (LeCun, Bottou, Bengio & Haffner, 1998) written from scratch in Rust.
pub mod api;
pub mod bench;
pub mod data;
pub mod error;
pub mod kernels;
pub mod nn;
pub mod rng;
pub mod train;

pub use api::{Activations, Model, Prediction};
pub use error::{Error, Result};
pub mod model;
