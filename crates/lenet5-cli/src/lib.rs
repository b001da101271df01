//! The `lenet5` command as a library: its flags ([`args`]), one function per command
//! ([`commands`]), and what only a command-line tool needs: the MNIST download
//! ([`download`]), the text and JSON lines of `predict` ([`predict`]), pictures
//! ([`viz`]) and the speed benchmark ([`bench`](mod@bench)). Everything else is the engine,
//! [`lenet5`].

pub mod args;
pub mod bench;
pub mod commands;
pub mod download;
pub mod predict;
pub mod viz;
