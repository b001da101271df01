//! `lenet5`: the command-line tool. Parses the command line, sets the thread count, runs
//! the command (each a few library calls: [`lenet5_cli::commands`]) and prints any error
//! on one line.

use std::process::ExitCode;

use clap::Parser;
use lenet5_cli::args::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(t) = cli.threads {
        // One pool for the whole run; a second call can only fail if one exists already.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(t.max(1))
            .build_global();
    }
    match lenet5_cli::commands::run(cli.cmd) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line whatever a dependency put in its message.
            let msg = e.to_string();
            eprintln!("error: {}", msg.trim().replace(['\n', '\r'], " "));
            ExitCode::FAILURE
        }
    }
}
