//! What to type after `new`, per style: the commands each project's own README documents, so
//! that they work as printed. They lead with the path that needs no Docker (the project's own
//! `db setup` on a `PostgreSQL` the user has); compose comes last, as an alternative.
//! `tests/next_steps.rs` checks that every package, file, binary and recipe they name exists in
//! the generated project, and `tests/next_steps_run.rs` runs them.

use crate::answers::Answers;
use crate::cli::{Db, Events, Platform, Style};

/// How a step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Runs to completion.
    Command,
    /// Serves until stopped (Ctrl-C); the note starts with the URL that answers.
    Server,
    /// Another way to the same end, with Docker: printed last, after an `or:`.
    Alternative,
}

/// One command line and what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub command: String,
    pub note: &'static str,
    pub kind: Kind,
}

fn step(command: impl Into<String>, note: &'static str) -> Step {
    Step { command: command.into(), note, kind: Kind::Command }
}

fn server(command: impl Into<String>, note: &'static str) -> Step {
    Step { command: command.into(), note, kind: Kind::Server }
}

fn alternative(command: impl Into<String>, note: &'static str) -> Step {
    Step { command: command.into(), note, kind: Kind::Alternative }
}

const LOAD_ENV: &str = "set -a && . ./.env.example && set +a";

/// The role and server `db setup` creates databases as, printed so that it is easy to change.
pub const ADMIN_URL: &str = "postgres://postgres@localhost:5432/postgres";

/// The steps for a project generated with `answers`, after `cd` into it.
#[must_use]
pub fn for_answers(answers: &Answers) -> Vec<Step> {
    let kebab = &answers.names.kebab;
    let mut steps = Vec::new();
    match (answers.style(), answers.shape.db()) {
        (Style::Monolith, db) => {
            if db != Db::None {
                steps.push(step(LOAD_ENV, "the settings, into this shell"));
            }
            match db {
                Db::Postgres => steps.push(step(
                    format!("cargo run -- db setup --admin-url {ADMIN_URL}"),
                    "role and database of DATABASE_URL on your PostgreSQL, then the migrations",
                )),
                Db::Sqlite => steps.push(step("cargo run -- db setup", "the database file, then the migrations")),
                Db::None => {}
            }
            steps.push(server("cargo run", "http://localhost:8080/healthz"));
            steps.push(step("cargo test", "its own tests"));
            steps.push(alternative("docker compose up --build", "the whole stack in containers"));
        }
        (Style::Microservices, _) => {
            let nats =
                if answers.shape.events() == Some(Events::Nats) { "NATS_URL=nats://localhost:4222 " } else { "" };
            steps.push(step(LOAD_ENV, "the settings, into this shell"));
            steps.push(step(
                format!("scripts/dev.sh setup --admin-url {ADMIN_URL}"),
                "each service's role and database on your PostgreSQL, then its migrations",
            ));
            steps.push(server("scripts/dev.sh run", "http://localhost:8080/healthz (the gateway; every service runs)"));
            steps.push(step(
                format!("DATABASE_URL={ADMIN_URL} {nats}cargo test --workspace"),
                "the tests, against your PostgreSQL",
            ));
            steps.push(alternative("docker compose up --build", "everything in containers"));
        }
        (Style::Serverless, db) => {
            steps.push(step(LOAD_ENV, "the settings, into this shell"));
            let (setup, serve) = match answers.shape.platform() {
                Some(Platform::Knative) => {
                    (format!("cargo run -p {kebab}-api -- db setup"), format!("cargo run -p {kebab}-api"))
                }
                Some(Platform::AwsLambda) | None => (
                    format!("cargo run -p {kebab}-migrate -- db setup"),
                    format!("cargo run -p {kebab}-api --bin local"),
                ),
            };
            if db == Db::Postgres {
                steps.push(step(
                    format!("{setup} --admin-url {ADMIN_URL}"),
                    "role and database of DATABASE_URL on your PostgreSQL, then the migrations",
                ));
            }
            steps.push(server(serve, "http://127.0.0.1:8080/healthz"));
            let test = if db == Db::Postgres {
                format!("DATABASE_URL={ADMIN_URL} cargo test --workspace")
            } else {
                "cargo test --workspace".to_owned()
            };
            steps.push(step(test, "its own tests"));
        }
    }
    steps
}
