//! Bytes on disk → images and labels in memory.
//!
//! - [`idx`]: the IDX file format (raw or gzip), with strict header validation.
//! - [`mnist`]: finding, downloading (with SHA-256 checks) and loading the four MNIST
//!   files into [`Dataset`]s.

pub mod augment;
pub mod idx;
pub mod mnist;

pub use mnist::{Dataset, Mnist};
