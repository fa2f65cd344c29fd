//! `cargo-archgen`: the binary only parses, runs and turns the outcome into an exit code.

use std::process::ExitCode;

use cargo_archgen::{cli, report};

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().collect();
    match cli::try_parse_from(args.clone()) {
        Ok(cli) => report::finish(&cli, cargo_archgen::run(&cli)),
        Err(error) => report::usage_error(&error, &args),
    }
}
