//! The `otel` feature end to end (slow tier): the monolith with every feature
//! (`e2e::MONOLITH_AUTH`) exporting to an OTLP/HTTP receiver this test runs on a free port
//! (`tests/otel/receiver.py`, OpenTelemetry's protobuf types from the Python registry in a venv made by
//! `scripts/otlp-receiver-venv.sh`). A request with a W3C `traceparent` yields a server span
//! in that trace whose parent is the caller's span, with the resource's service name, version
//! and environment; the app's JSON log line for that request carries the same `trace_id` and
//! the span's `span_id`. With the receiver stopped, requests still answer (within the client's
//! normal timeout: no timing is asserted) and the server still stops cleanly on SIGTERM.
//!
//! `cargo test --test otel -- --ignored --test-threads=1`
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::e2e::{self, Databases, MONOLITH_AUTH, Response, free_port, postgres_server};
use serde_json::Value;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

/// A child process killed on drop if the test fails first.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The OTLP/HTTP receiver on `port`, appending the spans it gets to `out` (JSON lines).
fn receiver(port: u16, out: &Path) -> Process {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/otlp-receiver-venv.sh");
    let output = Command::new("bash").arg(script).stderr(Stdio::inherit()).output().unwrap();
    assert!(output.status.success(), "the receiver's venv: {output:?}");
    let venv = String::from_utf8(output.stdout).unwrap();
    let python = Path::new(venv.lines().last().unwrap().trim()).join("bin/python");
    let receiver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/otel/receiver.py");
    let child = Command::new(python).arg(receiver).arg(port.to_string()).arg(out).stdin(Stdio::null()).spawn().unwrap();
    let process = Process(child);
    eventually("the receiver listens", 30, || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    process
}

/// The app's `serve` with its JSON log on stdout written to `log`.
fn serve(binary: &str, port: u16, envs: &[(&str, &str)], log: &Path) -> Process {
    let child = Command::new(e2e::binary(binary))
        .arg("serve")
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let process = Process(child);
    eventually("the app answers /healthz", 30, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            && e2e::http(port, "GET", "/healthz", None, &[]).status == 200
    });
    process
}

/// Polls `done` every 100 ms for up to `secs`.
fn eventually(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "not within {secs} s: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn json_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

fn list(port: u16, token: &str, traceparent: Option<&str>) -> Response {
    let authorization = format!("Bearer {token}");
    let mut headers = vec![("authorization", authorization.as_str())];
    if let Some(traceparent) = traceparent {
        headers.push(("traceparent", traceparent));
    }
    e2e::http(port, "GET", "/api/v1/items", None, &headers)
}

/// SIGTERM, then the exit status within 15 s.
fn terminate(mut app: Process) -> std::process::ExitStatus {
    let status = Command::new("kill").args(["-TERM", &app.0.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = app.0.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the app did not stop within 15 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn monolith_exports_each_request_span_into_the_callers_trace_and_its_logs_carry_the_ids() {
    let project = MONOLITH_AUTH.project();
    project.build_and_test(&[("DATABASE_URL", &format!("{}/postgres", postgres_server()))]);
    let binary = MONOLITH_AUTH.name;
    let mut databases = Databases::default();
    let url = databases.create(format!("archgen_otel_{}", std::process::id()));
    e2e::run_binary(binary, &["migrate"], &[("DATABASE_URL", &url)]);
    let dir = tempfile::tempdir().unwrap();
    let (spans, log): (PathBuf, PathBuf) = (dir.path().join("spans.jsonl"), dir.path().join("app.log"));

    let collector = free_port();
    let receiver = receiver(collector, &spans);
    let endpoint = format!("http://127.0.0.1:{collector}");
    let secret = "dev-only-hs256-secret-for-the-test-0123";
    let settings = [
        ("DATABASE_URL", url.as_str()),
        ("AUTH_HS256_SECRET", secret),
        ("AUTH_ISSUER", "https://issuer.test/"),
        ("AUTH_AUDIENCE", "guarded"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test"),
        // Export each batch soon rather than every 5 s, so the test waits less.
        ("OTEL_BSP_SCHEDULE_DELAY", "200"),
    ];
    let output = Command::new(e2e::binary(binary)).args(["token", "--sub", "tracer"]).envs(settings).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let port = free_port();
    let app = serve(binary, port, &settings, &log);

    let traceparent = format!("00-{TRACE_ID}-{CALLER_SPAN}-01");
    let response = list(port, &token, Some(&traceparent));
    assert_eq!(response.status, 200, "{response:?}");

    // The server span: in the caller's trace, the caller's span its parent.
    let mut server_span = Value::Null;
    eventually("the request's span reaches the receiver", 30, || {
        server_span = json_lines(&spans)
            .into_iter()
            .find(|span| span["trace_id"] == TRACE_ID && span["name"] == "GET /api/v1/items")
            .unwrap_or(Value::Null);
        !server_span.is_null()
    });
    assert_eq!(server_span["parent_span_id"], CALLER_SPAN, "{server_span}");
    assert_eq!(server_span["kind"], 2, "SPAN_KIND_SERVER: {server_span}");
    assert_eq!(server_span["attributes"]["route"], "/api/v1/items", "{server_span}");
    let resource = &server_span["resource"];
    assert_eq!(resource["service.name"], binary, "{resource}");
    assert_eq!(resource["service.version"], "0.1.0", "{resource}");
    assert_eq!(resource["deployment.environment.name"], "test", "{resource}");

    // The app's log line for the request carries the trace and the server span.
    let span_id = server_span["span_id"].as_str().unwrap().to_owned();
    let lines = json_lines(&log);
    let completed = lines
        .iter()
        .find(|line| line["message"] == "request completed" && line["trace_id"] == TRACE_ID)
        .unwrap_or_else(|| panic!("no log line of the request with its trace id: {lines:#?}"));
    assert_eq!(completed["span_id"], span_id.as_str(), "{completed}");
    assert_eq!(completed["span"]["route"], "/api/v1/items", "{completed}");

    // Without a traceparent a request starts a trace of its own; its log line says which.
    assert_eq!(list(port, &token, None).status, 200);
    eventually("a log line with a trace of its own", 10, || {
        json_lines(&log).iter().any(|line| {
            line["message"] == "request completed"
                && line["trace_id"].as_str().is_some_and(|id| id.len() == 32 && id != TRACE_ID)
        })
    });

    // The collector gone: requests still answer, and SIGTERM still stops the app cleanly.
    drop(receiver);
    for _ in 0..20 {
        let response = list(port, &token, Some(&traceparent));
        assert_eq!(response.status, 200, "with the collector down: {response:?}");
    }
    assert!(terminate(app).success(), "unclean exit on SIGTERM with the collector down");
    drop(databases);
}
