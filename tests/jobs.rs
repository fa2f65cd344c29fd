//! Durable jobs (`--features jobs`), end to end: the generated monolith on a database of its own
//! on the machine's PostgreSQL (dropped after), its `worker` delivering to a tiny HTTP receiver
//! in this test that stands for the webhook. One delivery per created item, with the job id as
//! `Idempotency-Key`; a create that fails its unique constraint adds no job; a receiver failing
//! twice gets three attempts with growing delays; one that always fails leaves the job kept as
//! failed after `JOBS_MAX_ATTEMPTS`, and `jobs retry ID` delivers it.
#![allow(clippy::unwrap_used, clippy::doc_markdown)] // a panic with its location is the right failure in a test

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::e2e::{self, Databases, MONOLITH_POSTGRES_JOBS, Server};
use serde_json::Value;

const NAME: &str = MONOLITH_POSTGRES_JOBS.name;

/// A delivery the receiver saw: the item's name, the job id, when, and what it answered.
#[derive(Debug, Clone)]
struct Delivery {
    name: String,
    key: String,
    at: Instant,
    status: u16,
}

/// The webhook: answers 500 to an item named `flaky…` on its first two deliveries and to
/// `broken…` while `broken` is set, 200 otherwise (`slow` and `drain` after a while); records
/// every delivery.
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<Delivery>>>,
    broken: Arc<Mutex<bool>>,
}

impl Receiver {
    fn start(&self) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let this = self.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let this = this.clone();
                std::thread::spawn(move || this.answer(stream));
            }
        });
        port
    }

    fn answer(&self, mut stream: std::net::TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut headers = HashMap::new();
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            let Some((name, value)) = line.trim_end().split_once(':') else { break };
            headers.insert(name.to_ascii_lowercase(), value.trim().to_owned());
        }
        let length: usize = headers.get("content-length").map_or(0, |v| v.parse().unwrap());
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap();
        let name = body["body"]["name"].as_str().unwrap().to_owned();
        let mut seen = self.seen.lock().unwrap();
        let earlier = seen.iter().filter(|d| d.name == name).count();
        let fail =
            (name.starts_with("flaky") && earlier < 2) || (name.starts_with("broken") && *self.broken.lock().unwrap());
        let status = if fail { 500 } else { 200 };
        let key = headers.get("idempotency-key").cloned().unwrap_or_default();
        // `slow`: its first delivery outlasts the worker (killed meanwhile); `drain`: long
        // enough for SIGTERM to arrive while it runs.
        let hold = (name.starts_with("slow") && earlier == 0) || name.starts_with("drain");
        seen.push(Delivery { name, key, at: Instant::now(), status });
        drop(seen);
        if hold {
            std::thread::sleep(Duration::from_secs(2));
        }
        let reason = if fail { "Internal Server Error" } else { "OK" };
        let _ = write!(stream, "HTTP/1.1 {status} {reason}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    }

    fn of(&self, name: &str) -> Vec<Delivery> {
        self.seen.lock().unwrap().iter().filter(|d| d.name == name).cloned().collect()
    }
}

/// Polls `done` every 100 ms for up to `secs`.
fn eventually(what: &str, secs: u64, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "not within {secs} s: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A running `worker`; killed on drop if the test fails first.
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `worker`, its probes and metrics on `port`.
fn worker(envs: &[(String, String)], port: u16) -> Worker {
    Worker(
        Command::new(e2e::binary(NAME))
            .arg("worker")
            .env("PORT", port.to_string())
            .envs(envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// Whether the worker on `port` answers `path` with 200.
fn answers(port: u16, path: &str) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok() && e2e::http(port, "GET", path, None, &[]).status == 200
}

fn create(server: &Server, name: &str) -> u16 {
    let body = format!(r#"{{"name":"{name}"}}"#);
    server.request("POST", "/api/v1/items", Some(&body), &[("content-type", "application/json")]).status
}

fn jobs(envs: &[(String, String)], args: &[&str]) -> String {
    let output = Command::new(e2e::binary(NAME))
        .args(args)
        .envs(envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
#[ignore = "slow: builds a generated project and runs its server and worker (run by .ci/run)"]
fn jobs_are_added_with_the_write_retried_kept_when_failing_and_retried_by_hand() {
    let project = MONOLITH_POSTGRES_JOBS.project();
    let mut databases = Databases::default();
    let tests_url = databases.create(format!("archgen_jobs_tests_{}", std::process::id()));
    project.build_and_test(&[("DATABASE_URL", &tests_url)]);
    let database = databases.create(format!("archgen_jobs_{}", std::process::id()));
    e2e::run_binary(NAME, &["migrate"], &[("DATABASE_URL", &database)]);

    let receiver = Receiver::default();
    let webhook = format!("http://127.0.0.1:{}/hook", receiver.start());
    let worker_port = e2e::free_port();
    let envs: Vec<(String, String)> = [
        ("DATABASE_URL", database.as_str()),
        ("NOTIFY_WEBHOOK_URL", webhook.as_str()),
        ("JOBS_MAX_ATTEMPTS", "3"),
        ("JOBS_POLL_MS", "200"),
        ("JOBS_LEASE_SECS", "3"),
        ("JOBS_DRAIN_SECS", "5"),
        ("HOST", "127.0.0.1"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    // The worker creates graphile_worker's schema before the first create.
    let mut worker = worker(&envs, worker_port);
    eventually("the worker is ready", 30, || answers(worker_port, "/readyz"));
    let server = Server::start(NAME, e2e::free_port(), &envs);

    // One delivery per created item, each with its own job id.
    *receiver.broken.lock().unwrap() = true;
    for name in ["one", "two", "three", "flaky", "broken"] {
        assert_eq!(create(&server, name), 201, "{name}");
    }
    // The same name again breaks the unique constraint: the write and its job roll back.
    assert_eq!(create(&server, "one"), 409);
    eventually("one, two and three delivered", 30, || {
        ["one", "two", "three"].iter().all(|n| !receiver.of(n).is_empty())
    });
    let keys: Vec<String> = ["one", "two", "three"].iter().map(|n| receiver.of(n)[0].key.clone()).collect();
    assert!(keys.iter().all(|k| k.parse::<i64>().is_ok()), "{keys:?}");
    assert!(keys[0] != keys[1] && keys[1] != keys[2], "{keys:?}");

    // Failing twice, then delivered: three attempts, the second delay longer than the first.
    eventually("flaky delivered on its third attempt", 60, || receiver.of("flaky").len() == 3);
    let flaky = receiver.of("flaky");
    assert_eq!(flaky.iter().map(|d| d.status).collect::<Vec<_>>(), [500, 500, 200]);
    assert!(flaky.iter().all(|d| d.key == flaky[0].key), "{flaky:?}");
    let (first, second) = (flaky[1].at - flaky[0].at, flaky[2].at - flaky[1].at);
    assert!(first >= Duration::from_secs(2) && second > first, "delays {first:?} then {second:?}");

    // Always failing: kept as failed after the third attempt, with its last error.
    eventually("broken failed three times", 60, || receiver.of("broken").len() == 3);
    eventually("broken listed as failed", 30, || jobs(&envs, &["jobs", "failed"]).contains("answered 500"));
    let failed = jobs(&envs, &["jobs", "failed"]);
    let id = failed.lines().next().unwrap().split('\t').next().unwrap().to_owned();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(receiver.of("broken").len(), 3, "a failed job ran again on its own");
    let metrics = e2e::http(worker_port, "GET", "/metrics", None, &[]).body;
    for series in ["jobs_processed_total 4", "jobs_dead_total 1", "jobs_retried_total 4", "jobs_failed_total 5"] {
        assert!(metrics.contains(series), "{series} in\n{metrics}");
    }
    *receiver.broken.lock().unwrap() = false;
    jobs(&envs, &["jobs", "retry", &id]);
    eventually("broken delivered after `jobs retry`", 30, || {
        receiver.of("broken").last().is_some_and(|d| d.status == 200)
    });
    eventually("no job left", 30, || jobs(&envs, &["jobs", "failed"]).is_empty());
    // Exactly one delivery for the items that succeeded at once, none for the rolled-back write.
    assert_eq!(receiver.of("one").len(), 1);
    assert_eq!(receiver.of("two").len(), 1);

    // A worker killed mid-job: after its lease another worker delivers the job again, with
    // the same id.
    assert_eq!(create(&server, "slow"), 201);
    eventually("slow delivered once", 30, || receiver.of("slow").len() == 1);
    worker.0.kill().unwrap();
    worker.0.wait().unwrap();
    let killed = Instant::now();
    let mut worker = self::worker(&envs, worker_port);
    eventually("slow delivered again after the lease", 60, || receiver.of("slow").len() == 2);
    let slow = receiver.of("slow");
    assert_eq!(slow[0].key, slow[1].key);
    let taken_back = slow[1].at.duration_since(killed);
    assert!(taken_back >= Duration::from_secs(2), "taken back {taken_back:?} after the kill, before the lease");

    // SIGTERM while a job runs: the worker finishes it, then exits; it is not delivered again.
    assert_eq!(create(&server, "drain"), 201);
    eventually("drain being delivered", 30, || receiver.of("drain").len() == 1);
    Command::new("kill").args(["-TERM", &worker.0.id().to_string()]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = worker.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the worker did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status}");
    let _worker = self::worker(&envs, worker_port);
    eventually("a new worker is ready", 30, || answers(worker_port, "/readyz"));
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(receiver.of("drain").len(), 1, "the drained job ran again");
    drop(server);
}
