//! The slow tier for `--style serverless`: generated workspaces compile, pass clippy and rustfmt,
//! pass their own tests (handler tests on real API Gateway v2 and SQS payloads shipped in
//! `events/`), and run under `cargo lambda watch` / `cargo lambda invoke --data-file`: health, a
//! CRUD round trip against a fresh `PostgreSQL` database, and an SQS batch whose bad records come
//! back in `batchItemFailures`.
//!
//! Run with `cargo test --test generated_serverless -- --ignored --test-threads=1`.
//! Shares `target/generated-target` (or `$ARCHGEN_GENERATED_TARGET`) with `tests/generated.rs`.
//! cargo-lambda comes from `PyPI` through `scripts/cargo-lambda-venv.sh` (a venv under target/);
//! `cargo lambda watch` needs no network. `PostgreSQL`: `$ARCHGEN_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432`).
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const NAME: &str = "shop-api";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn shared_target() -> PathBuf {
    std::env::var_os("ARCHGEN_GENERATED_TARGET")
        .map_or_else(|| repo().join("target").join("generated-target"), PathBuf::from)
}

fn postgres_server() -> String {
    std::env::var("ARCHGEN_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// Generates with the real binary into a temp dir outside this repository.
fn generate(platform: &str, db: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("archgen-generated-{}", std::process::id()))
        .join(format!("serverless-{platform}-{db}"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    let status = Command::new(env!("CARGO_BIN_EXE_cargo-archgen"))
        .args(["new", NAME, "--style", "serverless", "--platform", platform, "--db", db])
        .args(["--ci", "none", "--no-git", "--yes", "--output"])
        .arg(&dir)
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "generation failed");
    dir
}

fn cargo(project: &Path, args: &[&str], envs: &[(&str, &str)]) {
    eprintln!("==> [{}] cargo {}", project.file_name().unwrap().to_string_lossy(), args.join(" "));
    let status = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(project)
        .env("CARGO_TARGET_DIR", shared_target())
        .envs(envs.iter().copied())
        .env_remove("RUSTFLAGS")
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "`cargo {}` failed in {}", args.join(" "), project.display());
}

fn build_and_test(project: &Path, test_env: &[(&str, &str)]) {
    cargo(project, &["fmt", "--check"], &[]);
    cargo(project, &["build", "--workspace"], &[]);
    cargo(project, &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"], &[]);
    cargo(project, &["test", "--workspace"], test_env);
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn psql(sql: &str) {
    let status = Command::new("psql")
        .arg(format!("{}/postgres", postgres_server()))
        .args(["-v", "ON_ERROR_STOP=1", "-qc", sql])
        .status()
        .expect("psql is installed");
    assert!(status.success(), "psql failed: {sql}");
}

/// `bin/cargo-lambda` from the venv made by scripts/cargo-lambda-venv.sh.
fn cargo_lambda() -> PathBuf {
    let output = Command::new(repo().join("scripts").join("cargo-lambda-venv.sh"))
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(output.status.success(), "scripts/cargo-lambda-venv.sh failed");
    let venv = String::from_utf8(output.stdout).unwrap();
    PathBuf::from(venv.lines().last().unwrap().trim()).join("bin").join("cargo-lambda")
}

/// `cargo lambda watch` on a free port: the Lambda runtime API emulator, building each function
/// on its first invocation. Killed (with its process group) on drop.
struct Watch {
    child: Child,
    port: u16,
    project: PathBuf,
    cargo_lambda: PathBuf,
}

impl Watch {
    fn start(project: &Path, env: &[(&str, &str)]) -> Self {
        let cargo_lambda = cargo_lambda();
        let port = free_port();
        let mut cmd = Command::new(&cargo_lambda);
        cmd.args(["lambda", "watch", "--invoke-address", "127.0.0.1", "--invoke-port", &port.to_string()])
            .current_dir(project)
            .env("CARGO_TARGET_DIR", shared_target())
            .env_remove("RUSTFLAGS")
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        for (key, value) in env {
            cmd.args(["--env-var", &format!("{key}={value}")]);
        }
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd.spawn().unwrap();
        let watch = Self { child, port, project: project.to_owned(), cargo_lambda };
        let deadline = Instant::now() + Duration::from_secs(120);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "cargo lambda watch did not listen within 120 s");
            std::thread::sleep(Duration::from_millis(200));
        }
        watch
    }

    /// `cargo lambda invoke FUNCTION --data-file FILE`, the response as JSON.
    fn invoke(&self, function: &str, event: &Value) -> Value {
        let file = tempfile_path(&format!("{function}-event.json"));
        std::fs::write(&file, event.to_string()).unwrap();
        let output = Command::new(&self.cargo_lambda)
            .args(["lambda", "invoke", "--invoke-address", "127.0.0.1", "--invoke-port", &self.port.to_string()])
            .args([function, "--data-file"])
            .arg(&file)
            .current_dir(&self.project)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "cargo lambda invoke {function} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", "--", &format!("-{}", self.child.id())]).status();
        let _ = self.child.wait();
    }
}

fn tempfile_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("archgen-generated-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn fixture(project: &Path, name: &str) -> Value {
    let text = std::fs::read_to_string(project.join("events").join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// An API Gateway v2 event for `method path` (and a JSON body), built from a shipped fixture.
fn route(project: &Path, method: &str, path: &str, body: Option<&Value>) -> Value {
    let mut event = fixture(project, "api-healthz.json");
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["method"] = json!(method);
    event["requestContext"]["http"]["path"] = json!(path);
    if let Some(body) = body {
        event["body"] = json!(body.to_string());
        event["headers"]["content-type"] = json!("application/json");
    }
    event
}

/// The API Gateway v2 response's status and parsed body.
fn reply(response: &Value) -> (u64, Value) {
    let status = response["statusCode"].as_u64().unwrap_or_else(|| panic!("no statusCode: {response}"));
    let body =
        response["body"].as_str().filter(|b| !b.is_empty()).map_or(Value::Null, |b| serde_json::from_str(b).unwrap());
    (status, body)
}

/// Health, a CRUD round trip and an SQS batch with failures, through `cargo lambda invoke`.
fn exercise_lambdas(project: &Path, watch: &Watch) {
    let api = format!("{NAME}-api");
    let (status, body) = reply(&watch.invoke(&api, &fixture(project, "api-healthz.json")));
    assert_eq!((status, body), (200, json!({"status": "ok"})));

    let (status, created) = reply(&watch.invoke(&api, &fixture(project, "api-create-item.json")));
    assert_eq!(status, 201, "{created}");
    let id = created["data"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/items/{id}");
    let (status, fetched) = reply(&watch.invoke(&api, &route(project, "GET", &path, None)));
    assert_eq!((status, &fetched["data"]["name"]), (200, &json!("lambda-widget")));
    let (status, list) = reply(&watch.invoke(&api, &fixture(project, "api-list-items.json")));
    assert_eq!(status, 200, "{list}");
    assert!(list["meta"]["total"].as_i64() >= Some(1), "{list}");
    let update = json!({"name": "lambda-widget-v2"});
    let (status, updated) = reply(&watch.invoke(&api, &route(project, "PUT", &path, Some(&update))));
    assert_eq!((status, &updated["data"]["name"]), (200, &json!("lambda-widget-v2")));
    let (status, _) = reply(&watch.invoke(&api, &route(project, "DELETE", &path, None)));
    assert_eq!(status, 204);
    let (status, gone) = reply(&watch.invoke(&api, &route(project, "GET", &path, None)));
    assert_eq!((status, &gone["error"]["code"]), (404, &json!("not_found")));

    let worker = format!("{NAME}-worker");
    let batch = watch.invoke(&worker, &fixture(project, "sqs-batch.json"));
    let failed: Vec<&str> = batch["batchItemFailures"]
        .as_array()
        .unwrap_or_else(|| panic!("no batchItemFailures: {batch}"))
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["0c5a4c1e-5d3b-4f0e-9a4e-7d1f3c2b1a03", "0c5a4c1e-5d3b-4f0e-9a4e-7d1f3c2b1a04"], "{batch}");
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn serverless_aws_lambda_postgres_builds_tests_and_runs_under_cargo_lambda() {
    let project = generate("aws-lambda", "postgres");
    let test_url = format!("{}/postgres", postgres_server());
    build_and_test(&project, &[("DATABASE_URL", &test_url)]);

    let database = format!("archgen_sls_{}", std::process::id());
    psql(&format!("DROP DATABASE IF EXISTS {database}"));
    psql(&format!("CREATE DATABASE {database}"));
    let url = format!("{}/{database}", postgres_server());
    // Migrations come from the migrate function's binary, never from a cold start.
    for _ in 0..2 {
        let status = Command::new(shared_target().join("debug").join(format!("{NAME}-migrate")))
            .env("DATABASE_URL", &url)
            .env_remove("AWS_LAMBDA_RUNTIME_API")
            .stdin(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "migrate failed");
    }
    let watch = Watch::start(&project, &[("DATABASE_URL", &url)]);
    exercise_lambdas(&project, &watch);
    drop(watch);
    psql(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"));
    let _ = std::fs::remove_dir_all(project);
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn serverless_aws_lambda_without_database_builds_tests_and_runs_under_cargo_lambda() {
    let project = generate("aws-lambda", "none");
    build_and_test(&project, &[]);
    let watch = Watch::start(&project, &[]);
    exercise_lambdas(&project, &watch);
    drop(watch);
    let _ = std::fs::remove_dir_all(project);
}
