//! The slow tier: generated projects compile, pass clippy and rustfmt, pass their own tests,
//! and run: migrate, serve, probes, a CRUD round trip, the error envelope, readiness against a
//! dead database, and a clean SIGTERM shutdown.
//!
//! Run with `cargo test --test generated -- --ignored --test-threads=1` (what `.ci/run` does).
//! Every generated project builds into one shared `CARGO_TARGET_DIR` (`target/generated-target`,
//! or `$ARCHGEN_GENERATED_TARGET`) so dependencies compile once. The `PostgreSQL` server comes from
//! `$ARCHGEN_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432`).
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const NAME: &str = "shop-api";
const BIN: &str = "shop-api";

fn repo_target() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target")
}

fn shared_target() -> PathBuf {
    std::env::var_os("ARCHGEN_GENERATED_TARGET").map_or_else(|| repo_target().join("generated-target"), PathBuf::from)
}

fn postgres_server() -> String {
    std::env::var("ARCHGEN_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// Generates the project with the real binary into a temp dir outside this repository, so that
/// nothing of ours (rustfmt.toml, clippy.toml) applies to it.
fn generate(db: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("archgen-generated-{}", std::process::id())).join(format!("monolith-{db}"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    let status = Command::new(env!("CARGO_BIN_EXE_cargo-archgen"))
        .args(["new", NAME, "--db", db, "--ci", "none", "--no-git", "--yes", "--output"])
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
    cargo(project, &["build"], &[]);
    cargo(project, &["clippy", "--all-targets", "--", "-D", "warnings"], &[]);
    cargo(project, &["test"], test_env);
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running instance of the generated binary; killed on drop if the test fails first.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(database_url: Option<&str>) -> Self {
        let port = free_port();
        let mut cmd = Command::new(shared_target().join("debug").join(BIN));
        cmd.arg("serve").env("HOST", "127.0.0.1").env("PORT", port.to_string()).env("LOG_FORMAT", "json");
        if let Some(url) = database_url {
            cmd.env("DATABASE_URL", url);
        }
        let child = cmd.stdin(Stdio::null()).stdout(Stdio::null()).spawn().unwrap();
        let server = Self { child, port };
        server.wait_until(|s| s.get("/healthz").status == 200);
        server
    }

    fn wait_until(&self, ready: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() && ready(self) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the server on port {} did not get ready in 30 s", self.port);
    }

    fn request(&self, method: &str, path: &str, body: Option<&str>, headers: &[(&str, &str)]) -> Response {
        http(self.port, method, path, body, headers)
    }

    fn get(&self, path: &str) -> Response {
        self.request("GET", path, None, &[])
    }

    /// SIGTERM, then the exit status within 15 s.
    fn terminate(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not stop within 15 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A deliberately small HTTP/1.1 client: one request per connection.
fn http(port: u16, method: &str, path: &str, body: Option<&str>, headers: &[(&str, &str)]) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        let _ = write!(request, "{name}: {value}\r\n");
    }
    if let Some(body) = body {
        let _ = write!(request, "Content-Type: application/json\r\nContent-Length: {}\r\n", body.len());
    }
    request.push_str("\r\n");
    request.push_str(body.unwrap_or(""));
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, rest) = text.split_once("\r\n\r\n").expect("a complete response");
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())).collect();
    let chunked = headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked { dechunk(rest) } else { rest.to_owned() };
    Response { status, headers, body }
}

fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        body.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    body
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
    server.wait_until(|s| s.get("/readyz").status == 200);

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
        Command::new(shared_target().join("debug").join(BIN))
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
    let status = Command::new(shared_target().join("debug").join(BIN))
        .args(args)
        .env("DATABASE_URL", database_url)
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "`{BIN} {}` failed", args.join(" "));
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

fn psql(sql: &str) {
    let status = Command::new("psql")
        .arg(format!("{}/postgres", postgres_server()))
        .args(["-v", "ON_ERROR_STOP=1", "-qc", sql])
        .status()
        .expect("psql is installed");
    assert!(status.success(), "psql failed: {sql}");
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn monolith_postgres_builds_tests_and_runs() {
    let project = generate("postgres");
    let test_url = format!("{}/test", postgres_server());
    build_and_test(&project, &[("DATABASE_URL", &test_url)]);

    let database = format!("archgen_e2e_{}", std::process::id());
    psql(&format!("DROP DATABASE IF EXISTS {database}"));
    psql(&format!("CREATE DATABASE {database}"));
    let url = format!("{}/{database}", postgres_server());
    run_binary(&["migrate"], &url);
    run_binary(&["migrate"], &url); // idempotent
    let server = Server::start(Some(&url));
    exercise_api(&server);

    let orphan = Server::start(Some("postgres://postgres@127.0.0.1:1/none"));
    let not_ready = orphan.get("/readyz");
    assert_eq!(not_ready.status, 503, "{not_ready:?}");
    assert!(not_ready.json().is_object(), "503 without JSON details");
    assert_eq!(orphan.get("/healthz").status, 200);
    assert!(orphan.terminate().success(), "unclean exit on SIGTERM");

    // The database "comes back": a proxy starts on the port the instance was given.
    let (proxy_port, upstream) = (free_port(), postgres_addr());
    let later = Server::start(Some(&format!("postgres://postgres@127.0.0.1:{proxy_port}/{database}")));
    assert_eq!(later.get("/readyz").status, 503, "ready before its database exists");
    spawn_proxy(proxy_port, upstream);
    later.wait_until(|s| s.get("/readyz").status == 200);
    assert!(later.terminate().success(), "unclean exit on SIGTERM");

    assert!(server.terminate().success(), "unclean exit on SIGTERM");
    psql(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"));
    let _ = std::fs::remove_dir_all(project);
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn monolith_sqlite_builds_tests_and_runs() {
    let project = generate("sqlite");
    build_and_test(&project, &[]);
    let url = format!("sqlite://{}/e2e.db?mode=rwc", project.display());
    run_binary(&["migrate"], &url);
    let server = Server::start(Some(&url));
    exercise_api(&server);
    assert!(server.terminate().success(), "unclean exit on SIGTERM");
    let _ = std::fs::remove_dir_all(project);
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn monolith_without_database_builds_tests_and_runs() {
    let project = generate("none");
    build_and_test(&project, &[]);
    let server = Server::start(None);
    exercise_api(&server);
    assert!(server.terminate().success(), "unclean exit on SIGTERM");
    let _ = std::fs::remove_dir_all(project);
}
