//! The command line every binary shares, so a `main` keeps only its usage text and its table of
//! commands: the words of the arguments, `--help`, `--version`, the refusal of words that name no
//! command, `healthcheck`, and the exit, where an error is printed once through
//! [`failure::render`].

use std::process::ExitCode;
use std::time::Duration;

use crate::{failure, healthcheck};

/// What a command fails with: anything that says what went wrong (a [`failure::Failure`] also
/// says what to do). `Send + Sync`, as the Lambda runtimes' errors are.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// What a command returns.
pub type Result<T = (), E = Error> = std::result::Result<T, E>;

/// A binary: its name and version, for `--version` and the usage line (its own package's, which
/// names the binary: pass `env!("CARGO_PKG_NAME")` and `env!("CARGO_PKG_VERSION")` from the
/// binary's crate), and what its usage says after that line, for `--help` and for words that
/// name no command.
#[derive(Debug, Clone, Copy)]
pub struct Program {
    pub name: &'static str,
    pub version: &'static str,
    pub usage: &'static str,
}

impl Program {
    /// Runs the command that the process's arguments name: `commands` is the binary's table,
    /// `None` for words that name none of its commands. Help and version come first: they are
    /// the same in every binary.
    pub async fn run(&self, commands: impl AsyncFnOnce(&[&str]) -> Option<Result>) -> ExitCode {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        let result = match words.as_slice() {
            ["-h" | "--help" | "help"] => {
                println!("{self}");
                Ok(())
            }
            ["-V" | "--version"] => {
                println!("{} {}", self.name, self.version);
                Ok(())
            }
            words => match commands(words).await {
                Some(result) => result,
                None => Err(format!("unexpected arguments {args:?}\n\n{self}").into()),
            },
        };
        exit(result)
    }
}

/// The usage text.
impl std::fmt::Display for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "usage: {} [COMMAND]\n\n{}", self.name, self.usage)
    }
}

/// How a `main` ends: success, or the error said once (see [`failure::render`]) and a failure.
pub fn exit(result: Result) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{}", failure::render(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

/// `healthcheck`: succeeds when `GET http://127.0.0.1:$PORT/healthz` answers 200 within 2s
/// (`PORT` as the server reads it, 8080 when unset), for container images without curl.
///
/// # Errors
/// `PORT` is not a port, or the server does not answer 200 in time.
pub async fn healthcheck() -> Result {
    let port = match std::env::var("PORT") {
        Ok(port) => port
            .parse()
            .map_err(|e| format!("environment variable PORT={port:?} is invalid: {e}"))?,
        Err(_) => 8080,
    };
    healthcheck::check(port, Duration::from_secs(2)).await?;
    Ok(())
}
