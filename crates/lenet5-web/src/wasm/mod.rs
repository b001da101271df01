//! The engine's WebAssembly interface, written by hand (no generated glue): plain
//! `extern "C"` functions over numbers and pointers into the module's memory, called by
//! `assets/engine.js`. The module imports nothing: no clock, no randomness, no console,
//! so it runs the same in any browser, a worker, or Node.js.
//!
//! Conventions, for every exported function:
//! - Inputs larger than a number are copied by the script into a buffer it got from
//!   [`abi::lenet5_alloc`] and passes as `(pointer, length)`; it frees them with
//!   [`abi::lenet5_free`].
//! - A function that can fail returns an `i32`: `>= 0` is success (a handle or a count),
//!   `-1` is an error whose message [`abi::lenet5_error_ptr`]/`_len` hold. Bad input
//!   (a corrupt checkpoint, a picture that is not one) is an error, never a trap.
//! - Results are left in the module's three output buffers until the next call: JSON
//!   text ([`abi::lenet5_json_ptr`]), `f32`s ([`abi::lenet5_floats_ptr`]) and bytes
//!   ([`abi::lenet5_bytes_ptr`]).
//! - A trap (a bug) records the panic message first ([`abi::lenet5_panic_ptr`]); the
//!   script then reports it and starts a fresh instance.
//!
//! - [`abi`]: memory, errors, output buffers, the panic hook;
//! - [`recognise`]: networks from checkpoint bytes; a picture, a canvas or 28x28 pixels
//!   → the answer and every layer's output;
//! - [`read`]: a line of digits in a canvas or a picture → the engine's reading;
//! - [`train`]: datasets from IDX bytes; a [`lenet5::train::Trainer`] stepped a few
//!   images at a time.

pub mod abi;
pub mod read;
pub mod recognise;
pub mod train;
