//! `cargo-archgen`: the binary only parses, runs and turns the outcome into an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cargo_archgen::cli::parse_from(std::env::args_os());
    cargo_archgen::report::finish(&cli, cargo_archgen::run(&cli))
}
