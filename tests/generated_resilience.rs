//! The slow tier, hostile side: a generated monolith (`PostgreSQL`) against a throwaway `PostgreSQL`
//! cluster this test starts itself (`initdb` + `pg_ctl` on a free port, in a temp dir; stopped by
//! its own PID on drop, never the machine's server). Every class of bad input is a 4xx in the
//! error envelope, never a 500; while the database shuts down requests answer 503 with
//! `Retry-After`, never 500; after a restart the service recovers and holds 50 concurrent
//! clients on a pool of 10 without errors.
//!
//! Run with `cargo test --test generated_resilience -- --ignored --test-threads=1`.
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

mod common;
use common::e2e::{self, MONOLITH_POSTGRES, Response, Server, free_port, http_bytes};

/// A `PostgreSQL` cluster of our own: its data directory, port and postmaster PID.
struct Cluster {
    dir: PathBuf,
    port: u16,
}

impl Cluster {
    fn bin(tool: &str) -> PathBuf {
        let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL server binaries under /usr/lib/postgresql")
            .flatten()
            .map(|version| version.path().join("bin").join(tool))
            .filter(|path| path.exists())
            .collect();
        found.sort();
        found.pop().unwrap_or_else(|| panic!("no {tool} under /usr/lib/postgresql/*/bin"))
    }

    /// `PostgreSQL` refuses to run as root: then its tools run as the `postgres` user.
    fn command(tool: &str) -> Command {
        let root = Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.trim_ascii() == b"0");
        if root {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(Self::bin(tool));
            command
        } else {
            Command::new(Self::bin(tool))
        }
    }

    fn init() -> Self {
        let dir = std::env::temp_dir().join(format!("archgen-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // The cluster's own user must own the directory (and may traverse to it).
        let _ = Command::new("chown").args(["postgres:postgres"]).arg(&dir).status();
        let status = Self::command("initdb")
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "-D"])
            .arg(dir.join("data"))
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "initdb failed");
        let cluster = Self { dir, port: free_port() };
        cluster.start();
        cluster
    }

    fn pg_ctl(&self, args: &[&str]) {
        let status = Self::command("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(args)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "pg_ctl {args:?} failed");
    }

    fn start(&self) {
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", self.port, self.dir.display());
        let log = self.dir.join("postgres.log");
        self.pg_ctl(&["-w", "-t", "60", "-o", &options, "-l", &log.to_string_lossy(), "start"]);
    }

    /// `pg_ctl stop -m fast`: sessions are terminated (SQLSTATE 57P01) and no new ones accepted.
    fn stop_fast(&self) {
        self.pg_ctl(&["-w", "-m", "fast", "stop"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The postmaster's PID, from the first line of its PID file, if it runs.
    fn pid(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.dir.join("data").join("postmaster.pid")).ok()?;
        text.lines().next().map(str::to_owned)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(pid) = self.pid() {
            // SIGINT is PostgreSQL's fast shutdown; the PID is this cluster's, nobody else's.
            let _ = Command::new("kill").args(["-INT", &pid]).status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while self.pid().is_some() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Words that betray Rust internals in a message meant for clients.
const LEAKS: [&str; 8] = ["struct", "invalid type", "ItemInput", "i64", "u32", "serde", "sqlx", "SQLSTATE"];

/// Asserts a 4xx in the error envelope, without Rust vocabulary; returns the message.
fn assert_client_error(what: &str, response: &Response) -> String {
    assert!((400..500).contains(&response.status), "{what}: expected a 4xx, got {response:?}");
    response.error_code();
    let message = response.json()["error"]["message"].as_str().unwrap().to_owned();
    for leak in LEAKS {
        assert!(!message.contains(leak), "{what}: {leak:?} leaks in {message:?}");
    }
    message
}

fn send(server: &Server, method: &str, path: &str, body: &[u8], headers: &[(&str, &str)]) -> Response {
    http_bytes(server.port, method, path, Some(body), headers)
}

/// Every class of input that could reach the database and fail there.
fn bad_input_is_a_4xx(server: &Server) {
    let items = "/api/v1/items";
    let deep_array = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_field = format!("{{\"name\": {}\"a\"{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let cases: Vec<(&str, String, Option<&str>)> = vec![
        ("NUL in name", json!({"name": "a\u{0}b"}).to_string(), Some("name")),
        ("NUL in description", json!({"name": "nul-desc", "description": "a\u{0}b"}).to_string(), Some("description")),
        ("control character", json!({"name": "bell\u{7}"}).to_string(), Some("name")),
        ("over-long name", json!({"name": "n".repeat(10_000)}).to_string(), Some("name")),
        (
            "over-long description",
            json!({"name": "long", "description": "d".repeat(100_000)}).to_string(),
            Some("description"),
        ),
        ("blank name", json!({"name": "   "}).to_string(), Some("name")),
        ("missing name", json!({"description": "x"}).to_string(), Some("name")),
        ("wrong type", json!({"name": 5}).to_string(), Some("name")),
        ("null name", json!({"name": null}).to_string(), Some("name")),
        ("unknown field", json!({"name": "x", "colour": "red"}).to_string(), Some("colour")),
        ("array body", "[]".to_owned(), None),
        ("string body", "\"name\"".to_owned(), None),
        ("empty body", String::new(), None),
        ("truncated JSON", "{\"name\": ".to_owned(), None),
        ("deeply nested body", deep_array, None),
        ("deeply nested field", deep_field, Some("name")),
        ("lone surrogate", "{\"name\": \"\\ud800\"}".to_owned(), None),
    ];
    for (what, body, field) in &cases {
        for (method, path) in [("POST", items.to_owned()), ("PUT", format!("{items}/1"))] {
            let response = send(server, method, &path, body.as_bytes(), &[]);
            let message = assert_client_error(what, &response);
            if let Some(field) = field {
                assert!(message.contains(field), "{what}: {message:?} does not name `{field}`");
            }
        }
    }

    let non_utf8 = send(server, "POST", items, b"{\"name\": \"\xff\xfe\"}", &[]);
    assert_eq!(non_utf8.status, 400, "{non_utf8:?}");
    assert_client_error("non-UTF-8 body", &non_utf8);
    let wrong_type = send(server, "POST", items, br#"{"name": "a"}"#, &[("content-type", "text/plain")]);
    assert_eq!(wrong_type.status, 415, "{wrong_type:?}");
    assert_client_error("wrong content type", &wrong_type);

    for query in [
        "page=0",
        "per_page=0",
        "per_page=-1",
        "page=-1",
        "per_page=101",
        "page=99999999999999999999",
        "per_page=99999999999999999999",
        "page=abc",
        "page=",
        "page=1.5",
    ] {
        let response = server.get(&format!("{items}?{query}"));
        let message = assert_client_error(query, &response);
        let name = query.split('=').next().unwrap();
        assert!(message.contains(name), "{query}: {message:?} does not name `{name}`");
    }
    // The largest valid page is far past the end: empty, with the total still right.
    let last = server.get(&format!("{items}?page={}&per_page=100", u32::MAX));
    assert_eq!(last.status, 200, "{last:?}");
    assert_eq!(last.json()["data"], json!([]));
    assert!(last.json()["meta"]["total"].is_u64(), "{last:?}");

    for path in ["abc", "99999999999999999999999", "1.5", "%00"] {
        assert_client_error(path, &server.get(&format!("{items}/{path}")));
    }

    let long = "x".repeat(65);
    for hostile in ["<script>", "a b", "a;b", "ünïcode", long.as_str()] {
        let response = send(server, "GET", "/healthz", b"", &[("x-request-id", hostile)]);
        let echoed = response.header("x-request-id").unwrap_or_default();
        assert!(echoed != hostile && echoed.len() == 32, "{hostile:?} echoed as {echoed:?}");
    }
    assert_eq!(
        send(server, "GET", "/healthz", b"", &[("x-request-id", "ok.Id_1-2")]).header("x-request-id"),
        Some("ok.Id_1-2")
    );
}

/// Requests from `clients` threads until `stop` is set: the status of each, with its
/// `Retry-After` when it has one.
fn load(port: u16, clients: usize, stop: &Arc<AtomicBool>) -> Vec<std::thread::JoinHandle<Vec<(u16, bool)>>> {
    (0..clients)
        .map(|client| {
            let stop = Arc::clone(stop);
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let response = if n % 2 == 0 {
                        let body = json!({"name": format!("load-{client}-{n}")}).to_string();
                        http_bytes(port, "POST", "/api/v1/items", Some(body.as_bytes()), &[])
                    } else {
                        http_bytes(port, "GET", "/api/v1/items?per_page=5", None, &[])
                    };
                    seen.push((response.status, response.header("retry-after").is_some()));
                }
                seen
            })
        })
        .collect()
}

fn statuses(threads: Vec<std::thread::JoinHandle<Vec<(u16, bool)>>>) -> Vec<(u16, bool)> {
    threads.into_iter().flat_map(|thread| thread.join().unwrap()).collect()
}

/// The database shuts down under load (503, never 500), comes back (recovery), and the list
/// endpoint then holds 50 concurrent clients on a pool of 10 without a single error.
fn database_restart_is_a_503_then_recovers(server: &Server, cluster: &Cluster) {
    let stop = Arc::new(AtomicBool::new(false));
    let threads = load(server.port, 8, &stop);
    std::thread::sleep(Duration::from_millis(500));
    cluster.stop_fast();
    // Long enough for requests waiting on the pool to give up (5 s acquire timeout).
    std::thread::sleep(Duration::from_secs(7));
    stop.store(true, Ordering::Relaxed);
    let seen = statuses(threads);
    let count = |status: u16| seen.iter().filter(|(s, _)| *s == status).count();
    eprintln!("during the shutdown: {} requests, {} 503, {} 2xx", seen.len(), count(503), seen.len() - count(503));
    assert!(seen.iter().all(|(status, _)| *status != 500), "a 500 during the shutdown: {seen:?}");
    assert!(
        seen.iter().all(|(status, _)| [200, 201, 503].contains(status)),
        "unexpected statuses during the shutdown: {seen:?}"
    );
    assert!(count(503) > 0, "no 503 while the database was down: {seen:?}");
    assert!(seen.iter().filter(|(s, _)| *s == 503).all(|(_, retry)| *retry), "a 503 without Retry-After");
    assert_eq!(server.get("/healthz").status, 200, "liveness must not depend on the database");

    cluster.start();
    server.wait_until("recovery", |s| s.get("/api/v1/items").status == 200);
    let created = server.request("POST", "/api/v1/items", Some(&json!({"name": "after-restart"}).to_string()), &[]);
    assert_eq!(created.status, 201, "{created:?}");

    // 50 concurrent clients, pool of 10: every list request succeeds.
    let failures = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let threads: Vec<_> = (0..50)
        .map(|_| {
            let failures = Arc::clone(&failures);
            let port = server.port;
            std::thread::spawn(move || {
                for _ in 0..40 {
                    let response = http_bytes(port, "GET", "/api/v1/items?per_page=20", None, &[]);
                    if response.status != 200 {
                        failures.lock().unwrap().push(response);
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let failures = failures.lock().unwrap();
    eprintln!("2,000 list requests from 50 clients in {:?}", started.elapsed());
    assert!(failures.is_empty(), "{} of 2,000 list requests failed, e.g. {:?}", failures.len(), failures.first());
}

#[test]
#[ignore = "slow: builds a generated project and runs it against a throwaway PostgreSQL cluster"]
fn monolith_postgres_never_answers_500_to_bad_input_or_a_database_restart() {
    // The case `generated.rs` builds and checks: this build finds it fresh.
    let project = MONOLITH_POSTGRES.project();
    project.build();

    let cluster = Cluster::init();
    let url = cluster.url();
    e2e::run_binary(project.case.name, &["migrate"], &[("DATABASE_URL", &url)]);
    let server = Server::start(
        project.case.name,
        free_port(),
        &[("DATABASE_URL".to_owned(), url), ("DATABASE_MAX_CONNECTIONS".to_owned(), "10".to_owned())],
    );
    server.wait_until("readyz", |s| s.get("/readyz").status == 200);

    bad_input_is_a_4xx(&server);
    database_restart_is_a_503_then_recovers(&server, &cluster);

    assert!(server.terminate().success(), "unclean exit on SIGTERM");
    drop(cluster);
}
