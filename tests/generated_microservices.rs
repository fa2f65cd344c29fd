//! The slow tier for `--style microservices`: the generated workspace compiles, passes clippy and
//! rustfmt and its own tests (against `PostgreSQL` and NATS), and runs end to end: every service
//! migrated into its own database, CRUD through the gateway, events consumed idempotently, the
//! circuit breaker opening and closing around a stopped service, and a clean SIGTERM shutdown.
//!
//! Run with `cargo test --test generated_microservices -- --ignored --test-threads=1`.
//! Builds share `target/generated-target` (or `$ARCHGEN_GENERATED_TARGET`). `PostgreSQL` comes from
//! `$ARCHGEN_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432`, trust auth), NATS with
//! `JetStream` from `$ARCHGEN_TEST_NATS` (default `127.0.0.1:4222`). Every run uses databases and
//! an event namespace named after its process id, and removes them at the end.
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const NAME: &str = "shop";
const SERVICES: [&str; 2] = ["users", "orders"];

fn shared_target() -> PathBuf {
    std::env::var_os("ARCHGEN_GENERATED_TARGET")
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("generated-target"), PathBuf::from)
}

fn postgres_server() -> String {
    std::env::var("ARCHGEN_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

fn nats_addr() -> String {
    std::env::var("ARCHGEN_TEST_NATS").unwrap_or_else(|_| "127.0.0.1:4222".into())
}

/// Generates the workspace with the real binary into a temp dir outside this repository.
fn generate(events: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("archgen-generated-{}", std::process::id()))
        .join(format!("microservices-{events}"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    let status = Command::new(env!("CARGO_BIN_EXE_cargo-archgen"))
        .args(["new", NAME, "--style", "microservices", "--services", &SERVICES.join(","), "--events", events])
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

/// Databases created for this run, dropped on drop (even when the test fails).
struct Databases(Vec<String>);

impl Databases {
    fn create(&mut self, name: String) -> String {
        psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        psql(&format!("CREATE DATABASE {name}"));
        let url = format!("{}/{name}", postgres_server());
        self.0.push(name);
        url
    }
}

impl Drop for Databases {
    fn drop(&mut self) {
        for name in &self.0 {
            let _ = Command::new("psql")
                .arg(format!("{}/postgres", postgres_server()))
                .args(["-qc", &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")])
                .status();
        }
    }
}

fn binary(name: &str) -> PathBuf {
    shared_target().join("debug").join(name)
}

fn run_binary(name: &str, args: &[&str], envs: &[(&str, &str)]) {
    let status =
        Command::new(binary(name)).args(args).envs(envs.iter().copied()).stdin(Stdio::null()).status().unwrap();
    assert!(status.success(), "`{name} {}` failed", args.join(" "));
}

/// A running service or gateway; killed on drop if the test fails first.
struct Server {
    name: String,
    child: Child,
    port: u16,
}

impl Server {
    fn start(name: &str, port: u16, envs: &[(String, String)]) -> Self {
        let child = Command::new(binary(name))
            .arg("serve")
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("LOG_FORMAT", "json")
            .envs(envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let server = Self { name: name.to_owned(), child, port };
        server.wait_until("healthz", |s| s.get("/healthz").status == 200);
        server
    }

    fn wait_until(&self, what: &str, ready: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() && ready(self) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("{} on port {}: `{what}` not reached in 30 s", self.name, self.port);
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
            assert!(Instant::now() < deadline, "{} did not stop within 15 s of SIGTERM", self.name);
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

    /// Asserts the error envelope and returns its code.
    fn error_code(&self) -> String {
        let body = self.json();
        let error = &body["error"];
        assert!(error["message"].is_string() && error["request_id"].is_string(), "not the error envelope: {body}");
        error["code"].as_str().unwrap().to_owned()
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
    let body = body.unwrap_or("");
    let _ = write!(request, "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len());
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

/// A raw NATS protocol client (CONNECT, PUB, PING/PONG): publishes bypassing the services, so
/// no `Nats-Msg-Id` header is set and `JetStream` stores a re-sent event as a new message.
fn nats_publish(messages: &[(&str, Option<&str>, &str)]) {
    let stream = TcpStream::connect(nats_addr()).expect("NATS is running");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("INFO"), "not a NATS server: {line}");
    let mut out = String::from("CONNECT {\"verbose\":false,\"pedantic\":false}\r\n");
    for (subject, reply, payload) in messages {
        let reply = reply.map(|r| format!(" {r}")).unwrap_or_default();
        let _ = write!(out, "PUB {subject}{reply} {}\r\n{payload}\r\n", payload.len());
    }
    out.push_str("PING\r\n");
    (&stream).write_all(out.as_bytes()).unwrap();
    loop {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "NATS closed the connection");
        assert!(!line.starts_with("-ERR"), "NATS: {line}");
        if line.starts_with("PONG") {
            return;
        }
    }
}

/// Deletes the run's stream (and so its durable consumers) when dropped.
struct Namespace(String);

impl Drop for Namespace {
    fn drop(&mut self) {
        let subject = format!("$JS.API.STREAM.DELETE.{}-events", self.0);
        nats_publish(&[(&subject, Some("_INBOX.archgen_cleanup"), "")]);
    }
}

fn processed(gateway: &Server, service: &str) -> Value {
    let response = gateway.get(&format!("/api/v1/{service}/events"));
    assert_eq!(response.status, 200, "{response:?}");
    response.json()
}

fn total(body: &Value) -> u64 {
    body["meta"]["total"].as_u64().unwrap()
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// CRUD on one service through the gateway; returns the id of a record left in place.
fn crud_through_gateway(gateway: &Server, service: &str) -> i64 {
    let base = format!("/api/v1/{service}");
    let unique = format!("{service}-{}", std::process::id());
    let create = json!({"name": unique, "description": "made by the e2e test"}).to_string();
    let created = gateway.request("POST", &base, Some(&create), &[("x-request-id", "e2e-create")]);
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.header("x-request-id"), Some("e2e-create"), "request id not propagated");
    let id = created.json()["data"]["id"].as_i64().unwrap();

    let fetched = gateway.get(&format!("{base}/{id}"));
    assert_eq!(fetched.status, 200, "{fetched:?}");
    assert_eq!(fetched.json()["data"]["name"], unique.as_str());
    let list = gateway.get(&format!("{base}?page=1&per_page=5")).json();
    assert!(list["meta"]["total"].as_u64() >= Some(1), "{list}");

    let update = json!({"name": format!("{unique}-v2")}).to_string();
    assert_eq!(gateway.request("PUT", &format!("{base}/{id}"), Some(&update), &[]).status, 200);
    let duplicate = gateway.request("POST", &base, Some(&update), &[]);
    assert_eq!((duplicate.status, duplicate.error_code().as_str()), (409, "conflict"));

    let doomed = json!({"name": format!("{unique}-doomed")}).to_string();
    let doomed = gateway.request("POST", &base, Some(&doomed), &[]).json()["data"]["id"].as_i64().unwrap();
    assert_eq!(gateway.request("DELETE", &format!("{base}/{doomed}"), None, &[]).status, 204);
    let gone = gateway.get(&format!("{base}/{doomed}"));
    assert_eq!((gone.status, gone.error_code().as_str()), (404, "not_found"));
    id
}

fn service_env(url: &str, extra: &[(String, String)]) -> Vec<(String, String)> {
    let mut env = vec![("DATABASE_URL".to_owned(), url.to_owned())];
    env.extend_from_slice(extra);
    env
}

fn gateway_env(ports: &[u16]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = SERVICES
        .iter()
        .zip(ports)
        .map(|(name, port)| (format!("UPSTREAM_{}_URL", name.to_uppercase()), format!("http://127.0.0.1:{port}")))
        .collect();
    for (k, v) in [("UPSTREAM_TIMEOUT_MS", "2000"), ("BREAKER_FAILURE_THRESHOLD", "3"), ("BREAKER_COOLDOWN_MS", "1500")]
    {
        env.push((k.to_owned(), v.to_owned()));
    }
    env
}

#[test]
#[ignore = "slow: builds and runs a generated workspace (needs PostgreSQL and NATS)"]
fn microservices_with_nats_build_test_and_run() {
    let project = generate("nats");
    let run = std::process::id();
    let mut databases = Databases(Vec::new());
    let test_url = databases.create(format!("archgen_ms_test_{run}"));
    let nats_url = format!("nats://{}", nats_addr());
    build_and_test(&project, &[("DATABASE_URL", &test_url), ("NATS_URL", &nats_url)]);

    let namespace = Namespace(format!("e2e_{run}"));
    let events = [("NATS_URL".to_owned(), nats_url.clone()), ("EVENTS_NAMESPACE".to_owned(), namespace.0.clone())];
    let ports = [free_port(), free_port()];
    let mut urls = Vec::new();
    let mut services = Vec::new();
    for (name, port) in SERVICES.iter().zip(ports) {
        let url = databases.create(format!("archgen_ms_{run}_{name}"));
        let env = [("DATABASE_URL", url.as_str())];
        run_binary(name, &["migrate"], &env);
        run_binary(name, &["migrate"], &env); // idempotent
        services.push(Server::start(name, port, &service_env(&url, &events)));
        urls.push(url);
    }
    let gateway = Server::start("gateway", free_port(), &gateway_env(&ports));
    gateway.wait_until("readyz", |s| s.get("/readyz").status == 200);

    // CRUD on every service, through the gateway; each creation publishes an event.
    for service in SERVICES {
        crud_through_gateway(&gateway, service);
    }
    // users consumes orders' events and vice versa: two creations each (one later deleted).
    for (consumer, producer) in [("users", "orders"), ("orders", "users")] {
        wait_for(&format!("{consumer} to process {producer}'s events"), Duration::from_secs(20), || {
            total(&processed(&gateway, consumer)) == 2
        });
        let body = processed(&gateway, consumer);
        assert!(
            body["data"].as_array().unwrap().iter().all(|e| e["event_type"] == format!("{producer}.item.created")),
            "{body}"
        );
    }

    // A redelivered event (same id, sent again past JetStream's deduplication) changes nothing;
    // a fresh one sent after it proves the consumer got that far.
    let seen = processed(&gateway, "users")["data"][0].clone();
    let event = |id: &str| {
        json!({"id": id, "type": "orders.item.created", "version": 1, "occurred_at": seen["occurred_at"],
               "source": "orders", "data": {"id": 1, "name": "replayed"}})
        .to_string()
    };
    let subject = format!("{}.orders.item.created", namespace.0);
    let (duplicate, fresh) = (event(seen["event_id"].as_str().unwrap()), event(&format!("fresh-{run}")));
    nats_publish(&[(&subject, None, &duplicate), (&subject, None, &fresh)]);
    wait_for("the fresh event", Duration::from_secs(20), || total(&processed(&gateway, "users")) >= 3);
    std::thread::sleep(Duration::from_millis(500));
    let after = processed(&gateway, "users");
    assert_eq!(total(&after), 3, "the redelivered event had an effect: {after}");

    // Stop users: its routes answer 503 in the envelope, then the circuit opens and calls fail
    // fast; orders keeps working; readiness names users.
    let users = services.remove(0);
    assert!(users.terminate().success(), "users: unclean exit on SIGTERM");
    let started = Instant::now();
    let down = gateway.get("/api/v1/users");
    assert!(started.elapsed() < Duration::from_secs(5), "no answer within the upstream timeout");
    assert_eq!(down.status, 503, "{down:?}");
    let mut code = down.error_code();
    for _ in 0..5 {
        if code == "circuit_open" {
            break;
        }
        code = gateway.get("/api/v1/users").error_code();
    }
    assert_eq!(code, "circuit_open");
    let started = Instant::now();
    let fast = gateway.get("/api/v1/users/1");
    assert!(started.elapsed() < Duration::from_millis(300), "an open circuit must fail fast");
    assert_eq!((fast.status, fast.error_code().as_str()), (503, "circuit_open"));
    assert_eq!(gateway.get("/api/v1/orders").status, 200, "other routes must keep working");
    let ready = gateway.get("/readyz");
    assert_eq!(ready.status, 503, "{ready:?}");
    assert_eq!(ready.json()["down"], json!(["users"]), "{}", ready.body);

    // Restart it on the same port: after the cool-down a probe closes the circuit again.
    let users = Server::start("users", ports[0], &service_env(&urls[0], &events));
    wait_for("the users circuit to close", Duration::from_secs(20), || gateway.get("/api/v1/users").status == 200);
    gateway.wait_until("readyz", |s| s.get("/readyz").status == 200);

    assert!(gateway.terminate().success(), "gateway: unclean exit on SIGTERM");
    assert!(users.terminate().success(), "users: unclean exit on SIGTERM");
    for service in services {
        assert!(service.terminate().success(), "unclean exit on SIGTERM");
    }
    drop(namespace);
    drop(databases);
    let _ = std::fs::remove_dir_all(project);
}

#[test]
#[ignore = "slow: builds and runs a generated workspace (needs PostgreSQL)"]
fn microservices_without_events_build_test_and_run() {
    let project = generate("none");
    let lock = std::fs::read_to_string(project.join("Cargo.lock")).unwrap_or_default();
    let run = std::process::id();
    let mut databases = Databases(Vec::new());
    let test_url = databases.create(format!("archgen_ms_none_test_{run}"));
    build_and_test(&project, &[("DATABASE_URL", &test_url)]);
    let lock = if lock.is_empty() { std::fs::read_to_string(project.join("Cargo.lock")).unwrap() } else { lock };
    assert!(!lock.contains("async-nats"), "--events none must not depend on async-nats");

    let ports = [free_port(), free_port()];
    let mut services = Vec::new();
    for (name, port) in SERVICES.iter().zip(ports) {
        let url = databases.create(format!("archgen_ms_none_{run}_{name}"));
        run_binary(name, &["migrate"], &[("DATABASE_URL", url.as_str())]);
        services.push(Server::start(name, port, &service_env(&url, &[])));
    }
    let gateway = Server::start("gateway", free_port(), &gateway_env(&ports));
    gateway.wait_until("readyz", |s| s.get("/readyz").status == 200);
    for service in SERVICES {
        crud_through_gateway(&gateway, service);
    }
    let no_events = gateway.get("/api/v1/users/events");
    assert_eq!(no_events.status, 400, "no events API without --events nats: {no_events:?}");
    assert!(gateway.terminate().success(), "gateway: unclean exit on SIGTERM");
    for service in services {
        assert!(service.terminate().success(), "unclean exit on SIGTERM");
    }
    drop(databases);
    let _ = std::fs::remove_dir_all(project);
}
