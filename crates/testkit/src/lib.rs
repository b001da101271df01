//! Helpers shared by the integration tests of the lenet5 crates: where MNIST is and what
//! a missing prerequisite means ([`data`]), synthetic stroke drawings and measurements
//! on 28x28 results ([`draw`]), digits rendered from installed TrueType fonts
//! ([`fontdigits`]) and the accuracy of models on them ([`fonts`]), and what both browser
//! tests check alike ([`browser`]).

pub mod browser;
pub mod data;
pub mod draw;
pub mod fontdigits;
pub mod fonts;

pub use data::{mnist, required, skip};
