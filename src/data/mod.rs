//! Bytes on disk → images and labels in memory.
//!
//! - [`idx`]: the IDX file format (raw or gzip), with strict header validation.

pub mod idx;
