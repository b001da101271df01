//! Bytes on disk → images and labels in memory.
pub mod image;
