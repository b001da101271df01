//! Helpers shared by the integration tests: synthetic stroke drawings, measurements on
//! 28x28 results, and digits rendered from installed TrueType fonts.
#![allow(dead_code)]

pub mod data;
pub mod draw;
pub mod fontdigits;
