//! The `openapi` feature end to end (slow tier), for the monolith on `PostgreSQL`, the Knative API,
//! the AWS Lambda API's local binary and the microservices through their gateway: schemathesis, from `PyPI`
//! (`scripts/schemathesis-venv.sh`), given only the running service's `/openapi.json`, sends
//! generated requests to every operation (examples, coverage, fuzzing, and the stateful phase
//! that follows the document's links from a create to its reads and writes) and checks every
//! answer: no server error, every status code and content type documented, every body and
//! header as the schema says. Its summary is printed in the test output. The projects are the
//! shared end-to-end cases (the feature is on by default), so nothing is built for this test
//! alone; their own `cargo test` includes the generated check that the router serves exactly
//! what the document describes.
//!
//! `cargo test --test openapi -- --ignored --test-threads=1 --nocapture`
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

use std::path::Path;
use std::process::Command;

mod common;
use common::e2e::{
    self, AWS_LAMBDA_POSTGRES, KNATIVE_POSTGRES, MICROSERVICES_NATS, MONOLITH_POSTGRES, Project, Server, free_port,
    postgres_server, psql,
};
use common::microservices::System;

/// What schemathesis checks: the contract, not the input rules a schema cannot state (a text
/// field's trimmed length, a unique value), which the API answers with a documented 422 or 409.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance";
/// Examples per operation and phase: enough to reach every documented status, short for CI.
const MAX_EXAMPLES: &str = "25";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `bin/schemathesis` from the venv made by scripts/schemathesis-venv.sh.
fn schemathesis() -> std::path::PathBuf {
    let output = Command::new(repo().join("scripts").join("schemathesis-venv.sh")).output().unwrap();
    assert!(
        output.status.success(),
        "scripts/schemathesis-venv.sh failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let venv = String::from_utf8(output.stdout).unwrap();
    Path::new(venv.lines().last().unwrap().trim()).join("bin").join("schemathesis")
}

/// Runs schemathesis against `server` with its document as the only input; prints the summary
/// and fails on any failure; `operations` is how many the document has.
fn contract_holds(server: &Server, operations: usize) {
    let document = format!("http://127.0.0.1:{}/openapi.json", server.port);
    // schemathesis keeps what it found (its example database) in its working directory.
    let scratch = tempfile::tempdir().unwrap();
    let output = Command::new(schemathesis())
        .current_dir(scratch.path())
        .args(["run", &document, "--checks", CHECKS, "--max-examples", MAX_EXAMPLES, "--seed", "1", "--no-color"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary =
        stdout.find("= SUMMARY =").and_then(|at| stdout[..at].rfind('\n')).map_or(&*stdout, |at| &stdout[at..]);
    println!("schemathesis against {} ({document}):{summary}", server.name);
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(summary.contains(&format!("Tested: {operations}")), "every operation tested:\n{summary}");
    assert!(!summary.contains("Failures:") && !summary.contains("Errors:"), "{summary}");
}

/// Builds the case, migrates a database of its own with `migrate` (a binary and its arguments)
/// and serves `binary` on it.
fn serve(project: &Project, binary: &str, migrate: (&str, &[&str]), name: &str) -> (Server, String) {
    let test_url = format!("{}/postgres", postgres_server());
    project.build_and_test(&[("DATABASE_URL", &test_url)]);
    let database = format!("archgen_openapi_{name}_{}", std::process::id());
    psql(&format!("DROP DATABASE IF EXISTS {database}"));
    psql(&format!("CREATE DATABASE {database}"));
    let url = format!("{}/{database}", postgres_server());
    e2e::run_binary(migrate.0, migrate.1, &[("DATABASE_URL", &url)]);
    let server = Server::start(binary, free_port(), &[("DATABASE_URL".to_owned(), url)]);
    server.wait_until("readyz", |s| s.get("/readyz").status == 200);
    (server, database)
}

fn finish(server: Server, database: &str) {
    assert!(server.terminate().success(), "unclean exit on SIGTERM");
    psql(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"));
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn monolith_on_postgres_keeps_its_contract() {
    let (server, database) =
        serve(&MONOLITH_POSTGRES.project(), MONOLITH_POSTGRES.name, (MONOLITH_POSTGRES.name, &["migrate"]), "monolith");
    contract_holds(&server, 14);
    finish(server, &database);
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn knative_api_keeps_its_contract() {
    let binary = format!("{}-api", KNATIVE_POSTGRES.name);
    let (server, database) = serve(&KNATIVE_POSTGRES.project(), &binary, (&binary, &["migrate"]), "knative");
    contract_holds(&server, 14);
    finish(server, &database);
}

/// The AWS Lambda API as its `local` binary serves it (the same router as on Lambda), migrated
/// by the migrate function run as a command.
#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn aws_lambda_api_keeps_its_contract() {
    let migrate = format!("{}-migrate", AWS_LAMBDA_POSTGRES.name);
    let (server, database) = serve(&AWS_LAMBDA_POSTGRES.project(), "local", (&migrate, &[]), "aws_lambda");
    contract_holds(&server, 14);
    finish(server, &database);
}

/// The whole microservices system through its gateway: the merged document of every service
/// (users, orders with two resources) is schemathesis' only input; then with users stopped the
/// gateway's document still answers, with orders' operations, naming users as missing.
#[test]
#[ignore = "slow: builds and runs a generated workspace (needs PostgreSQL and NATS)"]
fn microservices_keep_their_contract_through_the_gateway() {
    let mut system = System::start(MICROSERVICES_NATS, true);
    let merged = system.gateway.get("/openapi.json").json();
    assert!(merged.get("x-missing-services").is_none(), "{merged}");
    // Counted as the monolith's 14 are (4 of its own, 2 resources × 5): the gateway's 4 and its
    // `/status/upstreams`, then 3 resources (users; orders and products) × 5.
    contract_holds(&system.gateway, 4 + 1 + 3 * 5);

    let users = system.services.remove(0);
    assert!(users.terminate().success(), "users: unclean exit on SIGTERM");
    // A complete merge is served for 10 s (the gateway's `FRESH`), so the one before users
    // stopped may still answer; every answer meanwhile is prompt and whole.
    let (second, deadline) =
        (std::time::Duration::from_secs(1), std::time::Instant::now() + std::time::Duration::from_secs(20));
    let partial = loop {
        let started = std::time::Instant::now();
        let answer = system.gateway.get("/openapi.json");
        assert!(started.elapsed() < 5 * second, "a down service delays it: {:?}", started.elapsed());
        assert_eq!(answer.status, 200, "{answer:?}");
        let document = answer.json();
        if document.get("x-missing-services").is_some() || std::time::Instant::now() > deadline {
            break document;
        }
        std::thread::sleep(second);
    };
    assert_eq!(partial["x-missing-services"], serde_json::json!(["users"]), "{partial}");
    assert!(partial["paths"]["/api/v1/orders"]["post"].is_object(), "{partial}");
    assert!(partial["paths"].get("/api/v1/users").is_none(), "{partial}");
    assert_eq!(system.gateway.get("/docs").status, 200);
}
