//! The one module that prints to the user: human text, or JSON with `--json`.

use std::fmt::Write as _;
use std::process::ExitCode;

use serde_json::json;

use crate::cli::{Choice, Cli, Command};
use crate::error::Error;
use crate::vcs::GitOutcome;
use crate::{Generated, Outcome};

/// Prints the outcome and turns it into the process exit code.
#[must_use]
pub fn finish(cli: &Cli, result: Result<Outcome, Error>) -> ExitCode {
    let json = matches!(&cli.command, Command::New(args) if args.json);
    match result {
        Ok(Outcome::Generated(generated)) if json => println!("{}", success_json(&generated)),
        Ok(Outcome::Generated(generated)) => print!("{}", summary(&generated)),
        Ok(Outcome::Printed) => {}
        Err(error) if json => {
            println!(
                "{}",
                json!({"ok": false, "error": {"code": error.code(), "message": error.to_string(), "help": error.help()}})
            );
            return ExitCode::from(error.exit_code());
        }
        Err(error) => {
            eprintln!("error: {error}\nhelp: {}", error.help());
            return ExitCode::from(error.exit_code());
        }
    }
    ExitCode::SUCCESS
}

fn git_text(git: &GitOutcome) -> String {
    match git {
        GitOutcome::Initialized => "initialized a repository with an initial commit".into(),
        GitOutcome::InsideRepository(root) => {
            format!("skipped: already inside the git work tree {}", root.display())
        }
        GitOutcome::Disabled => "skipped (--no-git)".into(),
        GitOutcome::DryRun => "skipped (--dry-run)".into(),
    }
}

fn success_json(g: &Generated) -> serde_json::Value {
    let files: Vec<_> = g.files.iter().map(|(path, bytes)| json!({"path": path, "bytes": bytes})).collect();
    json!({
        "ok": true,
        "dry_run": g.dry_run,
        "path": g.target.display().to_string(),
        "answers": g.answers.to_file(),
        "files": files,
        "git": git_text(&g.git),
        "command": g.answers.command_line(Some(&g.target)),
    })
}

fn summary(g: &Generated) -> String {
    let mut out = String::new();
    let dir = g.target.display();
    let style = g.answers.style.name();
    let name = &g.answers.name;
    if g.dry_run {
        let _ = writeln!(out, "Would create {style} project `{name}` in {dir} ({} files):", g.files.len());
        let width = g.files.iter().map(|(_, bytes)| bytes.to_string().len()).max().unwrap_or(1);
        for (path, bytes) in &g.files {
            let _ = writeln!(out, "  {bytes:>width$}  {path}");
        }
        let _ = writeln!(out, "Nothing was written (--dry-run).");
        return out;
    }
    let _ = writeln!(out, "Created {style} project `{name}` in {dir} ({} files)", g.files.len());
    let _ = writeln!(out, "git: {}", git_text(&g.git));
    let _ = writeln!(out, "\nNext steps:\n  cd {dir}");
    match g.answers.db {
        crate::cli::Db::Postgres => {
            let _ =
                writeln!(out, "  docker compose up --detach --wait postgres   # or any PostgreSQL: see .env.example");
            let _ = writeln!(out, "  set -a && . ./.env.example && set +a         # the settings, into this shell");
            let _ = writeln!(out, "  cargo run -- migrate && cargo run            # http://localhost:8080/healthz");
        }
        crate::cli::Db::Sqlite => {
            let _ = writeln!(out, "  set -a && . ./.env.example && set +a         # the settings, into this shell");
            let _ = writeln!(out, "  cargo run -- migrate && cargo run            # http://localhost:8080/healthz");
        }
        crate::cli::Db::None => {
            let _ = writeln!(out, "  cargo run                                    # http://localhost:8080/healthz");
        }
    }
    let _ =
        writeln!(out, "  cargo test\n  docker compose up --build                    # the whole stack in containers");
    let _ = writeln!(out, "\nSame project without questions:\n  {}", g.answers.command_line(Some(&g.target)));
    out
}
