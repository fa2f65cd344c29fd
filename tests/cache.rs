//! The Redis cache (`--features cache`), end to end: a throwaway `redis-server` of the test's own
//! on a free port (never the machine's), started and killed by PID, and two instances of the
//! generated app (the monolith on PostgreSQL and on SQLite, Knative's API) sharing it and one
//! database. Reads by id are misses then hits
//! (in `/metrics`), copies of every field type read back as stored; a write on one instance is
//! never followed by a stale read on either; with Redis killed every request is still served
//! from the database (errors counted, readiness unaffected), and once Redis is back hits resume.
#![allow(clippy::unwrap_used, clippy::doc_markdown)] // a panic with its location is the right failure in a test; product names in prose

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::e2e::{self, Databases, KNATIVE_POSTGRES_CACHE, MONOLITH_POSTGRES_CACHE, MONOLITH_SQLITE_CACHE, Server};
use serde_json::Value;

const NAME: &str = MONOLITH_POSTGRES_CACHE.name;

/// A product with a value in every field type: what the cache must store and read back intact.
const PRODUCT: &str = r#"{"name": "alpha", "price": "12.50", "sku": "alpha", "note": "The first.", "quantity": 1,
    "stock": 9007199254740993, "active": true, "total": 1.5, "available_on": "2024-05-01",
    "launched_at": "2024-05-01T12:00:00Z", "code": "3f0c2f4e-0a43-4d3c-9a43-6a2f7c1d1a01",
    "attributes": {"colour": "red"}}"#;

/// A `redis-server` of the test's own, saving nothing; killed by PID on drop.
struct OwnRedis {
    child: Child,
    port: u16,
}

impl OwnRedis {
    fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .expect("redis-server is installed");
        let redis = Self { child, port };
        eventually("redis-server answers", || redis.cli(&["PING"]) == "PONG");
        redis
    }

    fn cli(&self, args: &[&str]) -> String {
        let output =
            Command::new("redis-cli").args(["-p", &self.port.to_string()]).args(args).output().expect("redis-cli");
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `done` every 50 ms for up to 30 s.
fn eventually(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "not within 30 s: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `name` (a counter without labels) on `/metrics`.
fn counter(server: &Server, name: &str) -> u64 {
    let metrics = server.get("/metrics").body;
    let series = format!("{name} ");
    let line = metrics.lines().find_map(|line| line.strip_prefix(series.as_str()));
    line.unwrap_or_else(|| panic!("no {name} in /metrics:\n{metrics}")).parse().unwrap()
}

/// `[hits, misses, errors]` of `server`.
fn counts(server: &Server) -> [u64; 3] {
    ["cache_hits_total", "cache_misses_total", "cache_errors_total"].map(|name| counter(server, name))
}

fn get(server: &Server, path: &str) -> Value {
    let response = server.get(path);
    assert_eq!(response.status, 200, "GET {path} on {}: {}", server.port, response.body);
    response.json()["data"].clone()
}

fn create(server: &Server, path: &str, body: &str) -> Value {
    let created = server.request("POST", path, Some(body), &[]);
    assert_eq!(created.status, 201, "{}", created.body);
    created.json()["data"].clone()
}

fn rename(server: &Server, path: &str, name: &str) {
    let body = format!(r#"{{"name":"{name}","description":"renamed"}}"#);
    let updated = server.request("PUT", path, Some(&body), &[]);
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.json()["data"]["name"], name);
}

fn cache_status(server: &Server) -> Value {
    let ready = server.get("/readyz");
    assert_eq!(ready.status, 200, "the cache must never make the app unready: {}", ready.body);
    ready.json()["checks"]["cache"].clone()
}

fn serve(binary: &str, database: &str, redis: &str, prefix: &str) -> Server {
    let server = Server::start(
        binary,
        e2e::free_port(),
        &[
            ("DATABASE_URL".into(), database.into()),
            ("REDIS_URL".into(), redis.into()),
            ("CACHE_PREFIX".into(), prefix.into()),
            ("CACHE_HOLD_MS".into(), "300".into()),
            ("CACHE_TIMEOUT_MS".into(), "200".into()),
        ],
    );
    server.wait_until("readyz 200", |s| s.get("/readyz").status == 200);
    server
}

#[test]
#[ignore = "slow: builds a generated project and runs a Redis of its own (run by .ci/run)"]
fn monolith_postgres_reads_by_id_are_cached_invalidated_on_write_and_served_without_redis() {
    let project = MONOLITH_POSTGRES_CACHE.project();
    let redis = OwnRedis::start(e2e::free_port());
    // Its own tests (the cache module's among them) on this Redis.
    let mut databases = Databases::default();
    let tests_url = databases.create(format!("archgen_cache_tests_{}", std::process::id()));
    project.build_and_test(&[("DATABASE_URL", &tests_url), ("REDIS_URL", &redis.url())]);
    let database = databases.create(format!("archgen_cache_{}", std::process::id()));
    e2e::run_binary(NAME, &["migrate"], &[("DATABASE_URL", &database)]);
    scenario(NAME, &database, redis);
}

#[test]
#[ignore = "slow: builds a generated project and runs a Redis of its own (run by .ci/run)"]
fn monolith_sqlite_reads_by_id_are_cached_invalidated_on_write_and_served_without_redis() {
    let project = MONOLITH_SQLITE_CACHE.project();
    let redis = OwnRedis::start(e2e::free_port());
    project.build_and_test(&[("REDIS_URL", &redis.url())]);
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}/cache.db?mode=rwc", dir.path().display());
    e2e::run_binary(NAME, &["migrate"], &[("DATABASE_URL", &database)]);
    scenario(NAME, &database, redis);
}

#[test]
#[ignore = "slow: builds a generated project and runs a Redis of its own (run by .ci/run)"]
fn knative_reads_by_id_are_cached_invalidated_on_write_and_served_without_redis() {
    let project = KNATIVE_POSTGRES_CACHE.project();
    let redis = OwnRedis::start(e2e::free_port());
    let mut databases = Databases::default();
    let tests_url = databases.create(format!("archgen_cache_knative_tests_{}", std::process::id()));
    project.build_and_test(&[("DATABASE_URL", &tests_url), ("REDIS_URL", &redis.url())]);
    let database = databases.create(format!("archgen_cache_knative_{}", std::process::id()));
    let api = format!("{}-api", KNATIVE_POSTGRES_CACHE.name);
    e2e::run_binary(&api, &["migrate"], &[("DATABASE_URL", &database)]);
    scenario(&api, &database, redis);
}

/// Two instances of `binary` on `database`, sharing `redis` (which this kills and restarts).
fn scenario(binary: &str, database: &str, redis: OwnRedis) {
    let prefix = format!("archgen-test-{}", std::process::id());
    let (a, b) = (serve(binary, database, &redis.url(), &prefix), serve(binary, database, &redis.url(), &prefix));
    assert_eq!(cache_status(&a), serde_json::json!({ "status": "up", "required": false }));

    // A miss, then hits, on both instances; every field type reads back as stored.
    let product = create(&a, "/api/v1/products", PRODUCT);
    let products = format!("/api/v1/products/{}", product["id"]);
    assert_eq!(get(&a, &products), product);
    assert_eq!(counts(&a), [0, 1, 0]);
    assert_eq!(get(&a, &products), product);
    assert_eq!(get(&b, &products), product);
    assert_eq!(counts(&a), [1, 1, 0]);
    assert_eq!(counts(&b), [1, 0, 0]);
    let keys = redis.cli(&["KEYS", &format!("{prefix}:*")]);
    assert!(keys.contains(&format!("{prefix}:product:{{{}}}", product["id"])), "{keys}");

    // Writes on either instance: no read on either one returns an older copy, and once the
    // hold has passed the new copy is served from Redis again.
    let item = create(&a, "/api/v1/items", r#"{"name":"first","description":"cached"}"#);
    let items = format!("/api/v1/items/{}", item["id"]);
    for round in 0..10 {
        assert_eq!(get(&b, &items)["name"], get(&a, &items)["name"]);
        get(&b, &items);
        let (writer, reader) = if round % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let name = format!("name-{round}");
        rename(writer, &items, &name);
        assert_eq!(get(reader, &items)["name"], name, "a stale read after a write (round {round})");
        assert_eq!(get(writer, &items)["name"], name, "a stale read of its own write (round {round})");
        std::thread::sleep(Duration::from_millis(350));
        let hits = counter(reader, "cache_hits_total");
        assert_eq!(get(reader, &items)["name"], name);
        assert_eq!(get(reader, &items)["name"], name);
        assert!(counter(reader, "cache_hits_total") > hits, "no hit once the hold passed (round {round})");
    }
    let deleted = a.request("DELETE", &items, None, &[]);
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_eq!(b.get(&items).status, 404, "a deleted item was served from the cache");

    // Redis killed: every request is still served, from the database, and errors are counted.
    let port = redis.port;
    redis.kill();
    let errors = counts(&a)[2];
    for round in 0..20 {
        let server = if round % 2 == 0 { &a } else { &b };
        assert_eq!(get(server, &products), product);
    }
    let item = create(&b, "/api/v1/items", r#"{"name":"offline","description":"no cache"}"#);
    let items = format!("/api/v1/items/{}", item["id"]);
    rename(&a, &items, "renamed-offline");
    assert_eq!(get(&b, &items)["name"], "renamed-offline");
    assert!(counts(&a)[2] > errors + 5, "Redis errors were not counted: {:?}", counts(&a));
    assert_eq!(cache_status(&a)["status"], "down");
    assert!(a.get("/metrics").body.contains("cache_up 0\n"));

    // Redis back (empty, on the same port): hits resume on both instances.
    let redis = OwnRedis::start(port);
    for server in [&a, &b] {
        let hits = counter(server, "cache_hits_total");
        eventually("hits resume once Redis is back", || {
            get(server, &products);
            counter(server, "cache_hits_total") > hits
        });
        assert_eq!(get(server, &products), product);
        assert_eq!(cache_status(server)["status"], "up");
    }
    assert_eq!(a.terminate().code(), Some(0));
    assert_eq!(b.terminate().code(), Some(0));
    redis.kill();
}
