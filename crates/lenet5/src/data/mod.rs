//! Bytes on disk → images and labels in memory.
//!
//! - [`idx`]: the IDX file format (raw or gzip), with strict header validation.
//! - [`mnist`]: finding, downloading (with SHA-256 checks) and loading the four MNIST
//!   files into [`Dataset`]s.
//! - [`image`]: a user's picture (PNG, JPEG, BMP, PGM) → an MNIST-style 28x28.
//! - [`augment`]: on-the-fly distortions of training images.
//! - [`photos`]: MNIST test digits rendered as photos of real paper (the photo benchmark).

pub mod augment;
pub mod idx;
pub mod image;
pub mod mnist;
pub mod paper;
pub mod photos;

pub use mnist::{Dataset, Mnist};
