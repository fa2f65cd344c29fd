//! The slow tier: generated projects compile, pass clippy and rustfmt, pass their own tests,
//! and run: migrate, serve, probes, a CRUD round trip, the error envelope, readiness against a
//! dead database and an unmigrated one, and a clean SIGTERM shutdown.
//!
//! Run with `cargo test --test generated -- --ignored --test-threads=1` (what `.ci/run` does).
//! Every generated project builds into one shared `CARGO_TARGET_DIR` (`target/generated-target`,
//! or `$ARCHGEN_GENERATED_TARGET`) so dependencies compile once. The `PostgreSQL` server comes from
//! `$ARCHGEN_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432`).
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

mod common;
use common::e2e::{
    self, MONOLITH_NONE, MONOLITH_POSTGRES, MONOLITH_SQLITE, Response, Server, free_port, postgres_server, psql,
};

/// The binary of every monolith case (`e2e::MONOLITH_*`).
const BIN: &str = "shop-api";

/// Starts the generated binary on a free port, with `DATABASE_URL` when given.
fn start(database_url: Option<&str>) -> Server {
    let env: Vec<(String, String)> =
        database_url.map(|url| ("DATABASE_URL".to_owned(), url.to_owned())).into_iter().collect();
    Server::start(BIN, free_port(), &env)
}

fn assert_error(response: &Response, status: u16, request_id: Option<&str>) -> Value {
    assert_eq!(response.status, status, "{response:?}");
    let body = response.json();
    let error = &body["error"];
    assert!(error["code"].is_string() && error["message"].is_string(), "not the error envelope: {body}");
    if let Some(id) = request_id {
        assert_eq!(error["request_id"], id, "{body}");
    } else {
        assert!(error["request_id"].is_string(), "{body}");
    }
    body
}

/// Probes, a full CRUD round trip, the error envelope, request ids and metrics.
fn exercise_api(server: &Server) {
    assert_eq!(server.get("/healthz").status, 200);
    server.wait_until("readyz", |s| s.get("/readyz").status == 200);

    let unique = format!("widget-{}", std::process::id());
    let create = json!({"name": unique, "description": "made by the e2e test"}).to_string();
    let created = server.request("POST", "/api/v1/items", Some(&create), &[("x-request-id", "e2e-create")]);
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.header("x-request-id"), Some("e2e-create"));
    let item = created.json()["data"].clone();
    assert_eq!(item["name"], unique.as_str());
    let id = item["id"].as_i64().expect("numeric id");

    let fetched = server.get(&format!("/api/v1/items/{id}"));
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.json()["data"]["id"], id);
    assert!(fetched.header("x-request-id").is_some_and(|v| !v.is_empty()), "no generated request id");

    let list = server.get("/api/v1/items?page=1&per_page=5");
    assert_eq!(list.status, 200);
    let list = list.json();
    assert!(list["data"].as_array().is_some_and(|items| !items.is_empty()), "{list}");
    assert_eq!(list["meta"]["page"], 1);
    assert_eq!(list["meta"]["per_page"], 5);
    assert!(list["meta"]["total"].as_i64() >= Some(1), "{list}");

    let renamed = format!("{unique}-v2");
    let update = json!({"name": renamed, "description": null}).to_string();
    let updated = server.request("PUT", &format!("/api/v1/items/{id}"), Some(&update), &[]);
    assert_eq!(updated.status, 200, "{updated:?}");
    assert_eq!(updated.json()["data"]["name"], renamed.as_str());

    let duplicate = json!({"name": renamed}).to_string();
    assert_error(&server.request("POST", "/api/v1/items", Some(&duplicate), &[]), 409, None);
    assert_error(
        &server.request("POST", "/api/v1/items", Some("{\"name\": "), &[("x-request-id", "e2e-bad")]),
        400,
        Some("e2e-bad"),
    );
    assert_error(&server.request("POST", "/api/v1/items", Some("{\"name\": \"\"}"), &[]), 422, None);

    let deleted = server.request("DELETE", &format!("/api/v1/items/{id}"), None, &[]);
    assert_eq!(deleted.status, 204, "{deleted:?}");
    assert_error(&server.get(&format!("/api/v1/items/{id}")), 404, None);

    // The Docker HEALTHCHECK: distroless has no curl, so the binary probes itself.
    let probe = |port: u16| {
        Command::new(e2e::binary(BIN))
            .arg("healthcheck")
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .status()
            .unwrap()
    };
    assert!(probe(server.port).success(), "healthcheck failed against a healthy server");
    assert!(!probe(free_port()).success(), "healthcheck passed with nothing listening");

    let metrics = server.get("/metrics");
    assert_eq!(metrics.status, 200);
    assert!(metrics.body.contains("/api/v1/items/{id}"), "metrics are not labelled by route:\n{}", metrics.body);
    assert!(metrics.body.contains("# TYPE"), "not Prometheus text:\n{}", metrics.body);
}

fn run_binary(args: &[&str], database_url: &str) {
    e2e::run_binary(BIN, args, &[("DATABASE_URL", database_url)]);
}

fn postgres_addr() -> String {
    let server = postgres_server();
    let host_port = server.rsplit('@').next().unwrap_or(&server);
    host_port.trim_start_matches("postgres://").to_owned()
}

/// A TCP forwarder from `127.0.0.1:port` to `upstream`, for the rest of the test process.
fn spawn_proxy(port: u16, upstream: String) {
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(&upstream) else { continue };
            pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
            pipe(server, client);
        }
    });
}

/// Copies `from` into `to` on a thread; when either side closes, both are shut down so the
/// database sees its connection end.
fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = from.shutdown(std::net::Shutdown::Both);
        let _ = to.shutdown(std::net::Shutdown::Both);
    });
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn monolith_postgres_builds_tests_and_runs() {
    let project = MONOLITH_POSTGRES.project();
    let test_url = format!("{}/test", postgres_server());
    project.build_and_test(&[("DATABASE_URL", &test_url)]);

    let database = format!("archgen_e2e_{}", std::process::id());
    psql(&format!("DROP DATABASE IF EXISTS {database}"));
    psql(&format!("CREATE DATABASE {database}"));
    let url = format!("{}/{database}", postgres_server());
    // Readiness and schema: against an empty database the instance is not ready and names the
    // migration it misses; once `migrate` has run, it is.
    let early = start(Some(&url));
    let unmigrated = early.get("/readyz");
    assert_eq!(unmigrated.status, 503, "ready on an empty database: {unmigrated:?}");
    let body = unmigrated.json();
    assert_eq!(body["checks"]["database"]["status"], "up", "{body}");
    assert_eq!(body["checks"]["schema"]["status"], "down", "{body}");
    let reason = body["checks"]["schema"]["error"].as_str().unwrap_or_default();
    assert!(reason.contains("missing migration 20240101000000 (create items)"), "{body}");
    run_binary(&["migrate"], &url);
    run_binary(&["migrate"], &url); // idempotent
    early.wait_until("readyz after migrate", |s| s.get("/readyz").status == 200);
    assert!(early.terminate().success(), "unclean exit on SIGTERM");
    let server = start(Some(&url));
    exercise_api(&server);

    let orphan = start(Some("postgres://postgres@127.0.0.1:1/none"));
    let not_ready = orphan.get("/readyz");
    assert_eq!(not_ready.status, 503, "{not_ready:?}");
    assert!(not_ready.json().is_object(), "503 without JSON details");
    assert_eq!(orphan.get("/healthz").status, 200);
    assert!(orphan.terminate().success(), "unclean exit on SIGTERM");

    // The database "comes back": a proxy starts on the port the instance was given.
    let (proxy_port, upstream) = (free_port(), postgres_addr());
    let later = start(Some(&format!("postgres://postgres@127.0.0.1:{proxy_port}/{database}")));
    assert_eq!(later.get("/readyz").status, 503, "ready before its database exists");
    spawn_proxy(proxy_port, upstream);
    later.wait_until("readyz", |s| s.get("/readyz").status == 200);
    assert!(later.terminate().success(), "unclean exit on SIGTERM");

    assert!(server.terminate().success(), "unclean exit on SIGTERM");
    psql(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"));
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn monolith_sqlite_builds_tests_and_runs() {
    let project = MONOLITH_SQLITE.project();
    project.build_and_test(&[]);
    let db = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/e2e.db?mode=rwc", db.path().display());
    run_binary(&["migrate"], &url);
    let server = start(Some(&url));
    exercise_api(&server);
    assert!(server.terminate().success(), "unclean exit on SIGTERM");
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn monolith_without_database_builds_tests_and_runs() {
    let project = MONOLITH_NONE.project();
    project.build_and_test(&[]);
    let server = start(None);
    exercise_api(&server);
    assert!(server.terminate().success(), "unclean exit on SIGTERM");
}

/// `loadtest/oha.sh BASE_URL DURATION` of the project in `dir` with `envs`, its reports in
/// `results`: its exit code and what it printed (also shown with the test's output, pass or
/// fail: written past the harness's capture).
fn load(
    dir: &std::path::Path,
    base: &str,
    duration: &str,
    results: &std::path::Path,
    envs: &[(&str, &str)],
) -> (i32, String) {
    // Its stderr (the verdicts that fail) into its stdout, in the order they come.
    let output = Command::new("bash")
        .args(["-c", "exec \"$0\" \"$@\" 2>&1"])
        .arg(dir.join("loadtest/oha.sh"))
        .args([base, duration])
        .current_dir(dir)
        .env("RESULTS", results)
        .env("CONNECTIONS", "8")
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    std::io::Write::write_all(&mut std::io::stderr(), format!("==> loadtest/oha.sh {envs:?}\n{printed}").as_bytes())
        .unwrap();
    (output.status.code().unwrap_or(-1), printed)
}

/// The statuses oha saw in one phase's JSON report, and how many requests got none.
fn statuses(report: &std::path::Path) -> (Vec<(String, u64)>, u64) {
    let report: Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    let statuses =
        report["statusCodeDistribution"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap()));
    let lost = report["errorDistribution"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    (statuses.collect(), lost)
}

#[test]
#[ignore = "slow: builds a generated project and loads it with oha (run by .ci/run)"]
fn monolith_postgres_load_test_meets_its_thresholds_and_fails_past_them() {
    let project = MONOLITH_POSTGRES.project();
    project.build();
    let mut databases = e2e::Databases::default();
    let url = databases.create(format!("archgen_load_{}", std::process::id()));
    run_binary(&["migrate"], &url);
    let server = start(Some(&url));
    server.wait_until("readyz", |s| s.get("/readyz").status == 200);
    let base = format!("http://127.0.0.1:{}", server.port);
    let results = tempfile::tempdir().unwrap();

    let (code, printed) = load(&project.dir, &base, "3s", results.path(), &[]);
    assert_eq!(code, 0, "the load test missed its thresholds against the e2e service:\n{printed}");
    for phase in ["list", "create", "get"] {
        assert!(printed.contains(&format!("{phase}: ok")), "no verdict for {phase}:\n{printed}");
    }
    // Each phase loaded its own route and got its own answers, every request one.
    let expect = |phase: &str, allowed: &[&str]| {
        let (statuses, lost) = statuses(&results.path().join(format!("{phase}.json")));
        assert_eq!(lost, 0, "{phase}: requests without a response");
        assert!(statuses.iter().map(|(_, n)| n).sum::<u64>() > 100, "{phase}: too few requests: {statuses:?}");
        assert!(statuses.iter().all(|(s, _)| allowed.contains(&s.as_str())), "{phase}: {statuses:?}");
    };
    expect("list", &["200"]);
    // The example's `name` is unique: oha's one body is stored once, then meets it (409).
    expect("create", &["201", "409"]);
    expect("get", &["200"]);
    assert_eq!(server.get("/api/v1/items").json()["meta"]["total"], 1, "oha's create body stored more than once");

    // The k6 script's create body (k6 is not installed here: node evaluates it) stores a row
    // for each number, despite the unique `name`.
    let script = std::fs::read_to_string(project.dir.join("loadtest/api.js")).unwrap();
    let body = script.lines().find_map(|l| l.trim().strip_prefix("const body = ")?.strip_suffix(';'));
    let body = body.expect("the k6 create body");
    for n in [1, 2] {
        let output =
            Command::new("node").args(["-e", &format!("const n = {n}; console.log({body})")]).output().unwrap();
        assert!(output.status.success(), "node: {}", String::from_utf8_lossy(&output.stderr));
        let created =
            server.request("POST", "/api/v1/items", Some(String::from_utf8_lossy(&output.stdout).trim()), &[]);
        assert_eq!(created.status, 201, "{created:?}");
    }

    // An impossible bar: the script fails, and says which phase.
    let (code, printed) = load(&project.dir, &base, "1s", results.path(), &[("P95_MS", "0")]);
    assert_eq!(code, 1, "a p95 of 0 ms passed:\n{printed}");
    assert!(printed.contains("list: FAIL: p95 ") && printed.contains("thresholds missed"), "{printed}");
    assert!(server.terminate().success(), "unclean exit on SIGTERM");
}
