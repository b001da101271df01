//! What every fuzz target checks, shared by the targets in `fuzz_targets/` and by the
//! seed generator: `engine.rs` for the engine's readers (IDX, checkpoints, pictures),
//! `serve.rs` for the web server's request parser. Each file is also compiled into the
//! normal test suite, which replays every seed and every input a fuzzer found a problem
//! with: `crates/lenet5/tests/fuzz_regressions.rs` (engine.rs) and
//! `crates/lenet5-serve/tests/fuzz_predict_body.rs` (serve.rs).

mod engine;
mod serve;

pub use engine::*;
pub use serve::*;
