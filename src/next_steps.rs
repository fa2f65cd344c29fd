//! What to type after `new`, per style: the commands each project's own README documents, so
//! that they work as printed (`tests/next_steps.rs` checks that every package, file, binary and
//! recipe they name exists in the generated project).

use crate::answers::Answers;
use crate::cli::{Db, Events, Platform, Style};

/// One command line and what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub command: String,
    pub note: &'static str,
}

fn step(command: impl Into<String>, note: &'static str) -> Step {
    Step { command: command.into(), note }
}

const LOAD_ENV: &str = "set -a && . ./.env.example && set +a";

/// The steps for a project generated with `answers`, after `cd` into it.
#[must_use]
pub fn for_answers(answers: &Answers) -> Vec<Step> {
    let kebab = &answers.names.kebab;
    match (answers.style(), answers.shape.db()) {
        (Style::Monolith, db) => {
            let mut steps = Vec::new();
            if db == Db::Postgres {
                steps.push(step("docker compose up --detach --wait postgres", "or any PostgreSQL: see .env.example"));
            }
            if db == Db::None {
                steps.push(step("cargo run", "http://localhost:8080/healthz"));
            } else {
                steps.push(step(LOAD_ENV, "the settings, into this shell"));
                steps.push(step("cargo run -- migrate && cargo run", "http://localhost:8080/healthz"));
            }
            steps.push(step("cargo test", "its own tests"));
            steps.push(step("docker compose up --build", "the whole stack in containers"));
            steps
        }
        (Style::Microservices, _) => {
            let nats =
                if answers.shape.events() == Some(Events::Nats) { "NATS_URL=nats://localhost:4222 " } else { "" };
            vec![
                step("docker compose up --build", "everything; the gateway on http://localhost:8080"),
                step(
                    format!(
                        "DATABASE_URL=postgres://postgres:postgres@localhost:5432/postgres {nats}cargo test --workspace"
                    ),
                    "the tests, against your PostgreSQL",
                ),
            ]
        }
        (Style::Serverless, db) => {
            let mut steps = vec![step(LOAD_ENV, "the settings, into this shell")];
            match answers.shape.platform() {
                Some(Platform::Knative) => {
                    if db == Db::Postgres {
                        steps.push(step("just migrate", "the migrations, to DATABASE_URL"));
                    }
                    steps.push(step("just api", "http://127.0.0.1:8080/healthz"));
                }
                Some(Platform::AwsLambda) | None => {
                    if db == Db::Postgres {
                        steps.push(step(format!("cargo run -p {kebab}-migrate"), "the migrations, to DATABASE_URL"));
                    }
                    steps.push(step(format!("cargo run -p {kebab}-api --bin local"), "http://127.0.0.1:8080/healthz"));
                }
            }
            let test = if db == Db::Postgres {
                "DATABASE_URL=postgres://postgres:postgres@localhost:5432/postgres cargo test --workspace"
            } else {
                "cargo test --workspace"
            };
            steps.push(step(test, "its own tests"));
            steps
        }
    }
}
