//! Read replicas, end to end: a throwaway primary and a streaming replica of it
//! (`pg_basebackup -R`), both clusters of the test's own on free ports (never the machine's
//! server). The generated monolith, with `DATABASE_URL` on the primary and `DATABASE_READ_URL` on
//! the replica, writes on the primary and reads on the replica (seen by pausing the replica's
//! replay: a fresh write is on the primary, its create response shows it, and a read misses
//! it); a replica further behind than `DATABASE_READ_MAX_LAG_MS` and a stopped replica send
//! reads to the primary, counted in `/metrics`, and readiness stays 200.
#![allow(clippy::unwrap_used, clippy::doc_markdown)] // a panic with its location is the right failure in a test; product names in prose

mod common;

use std::time::{Duration, Instant};

use common::e2e::{self, MONOLITH_POSTGRES, OwnPostgres, Server};
use serde_json::Value;

const NAME: &str = MONOLITH_POSTGRES.name;

/// Trust on loopback, for queries and for replication.
const HBA: &str = "local all all trust\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n";

/// Polls `done` every 100 ms for up to 30 s.
fn eventually(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "not within 30 s: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `db_read_fallbacks_total{reason="<reason>"}` on `/metrics`.
fn fallbacks(server: &Server, reason: &str) -> u64 {
    let metrics = server.get("/metrics").body;
    let series = format!("db_read_fallbacks_total{{reason=\"{reason}\"}} ");
    let line = metrics.lines().find_map(|line| line.strip_prefix(series.as_str()));
    line.unwrap_or_else(|| panic!("no {series}in /metrics:\n{metrics}")).parse().unwrap()
}

/// Creates an item called `name`; returns its id, checking that the response holds what was
/// written (read-your-writes: the write answers from the primary).
fn create(server: &Server, name: &str) -> i64 {
    let body = format!(r#"{{"name":"{name}","description":"replicated"}}"#);
    let created = server.request("POST", "/api/v1/items", Some(&body), &[]);
    assert_eq!(created.status, 201, "{}", created.body);
    let data: Value = created.json()["data"].clone();
    assert_eq!(data["name"], name, "{data}");
    data["id"].as_i64().unwrap()
}

/// How many items called `name` the cluster holds.
fn rows(cluster: &OwnPostgres, name: &str) -> String {
    cluster.sql(&format!("SELECT count(*) FROM items WHERE name = '{name}'"))
}

fn serve(primary: &OwnPostgres, replica: &OwnPostgres, max_lag_ms: &str) -> Server {
    let server = Server::start(
        NAME,
        e2e::free_port(),
        &[
            ("DATABASE_URL".into(), primary.url()),
            ("DATABASE_READ_URL".into(), replica.url()),
            ("DATABASE_READ_MAX_LAG_MS".into(), max_lag_ms.into()),
            ("DATABASE_READ_CHECK_MS".into(), "100".into()),
        ],
    );
    server.wait_until("readyz 200", |s| s.get("/readyz").status == 200);
    server
}

#[test]
#[ignore = "slow: builds a generated project and runs a primary and a replica of its own (run by .ci/run)"]
fn reads_go_to_the_replica_and_to_the_primary_when_it_lags_or_is_down() {
    // The case `generated.rs` builds and checks: this build finds it fresh.
    let project = MONOLITH_POSTGRES.project();
    project.build();

    let (primary_dir, replica_dir) = (e2e::cluster_dir("archgen-primary-"), e2e::cluster_dir("archgen-replica-"));
    let primary = OwnPostgres::start(primary_dir.path(), HBA, "-c wal_level=replica");
    let replica = primary.replica(replica_dir.path(), "-c hot_standby=on");
    assert_eq!(replica.sql("SELECT pg_is_in_recovery()"), "t", "not a replica");

    e2e::run_binary(NAME, &["migrate"], &[("DATABASE_URL", &primary.url())]);
    eventually("the replica has the migrated schema", || replica.sql("SELECT to_regclass('items') IS NOT NULL") == "t");

    // A bound of an hour: the replica serves every read in this part.
    let server = serve(&primary, &replica, "3600000");
    let first = create(&server, "first");
    eventually("the replica serves the first item", || server.get(&format!("/api/v1/items/{first}")).status == 200);

    // Replay paused: the replica keeps what it had, the primary takes the next write.
    replica.sql("SELECT pg_wal_replay_pause()");
    let fresh = create(&server, "fresh");
    assert_eq!(rows(&primary, "fresh"), "1", "the write is not on the primary");
    assert_eq!(rows(&replica, "fresh"), "0", "replay is not paused");
    // Reads come from the replica: they miss the write, which the primary holds.
    let missed = server.get(&format!("/api/v1/items/{fresh}"));
    assert_eq!(missed.status, 404, "the read did not go to the replica: {}", missed.body);
    let listed = server.get("/api/v1/items").json();
    assert_eq!(listed["meta"]["total"], 1, "the list did not come from the replica: {listed}");
    assert_eq!(fallbacks(&server, "lag"), 0);
    assert_eq!(fallbacks(&server, "down"), 0);

    // The same replica, a bound of 200 ms: paused with WAL waiting, it falls further behind at
    // every check, and reads go to the primary, which has the fresh item.
    let strict = serve(&primary, &replica, "200");
    eventually("a lagging replica sends reads to the primary", || {
        strict.get(&format!("/api/v1/items/{fresh}")).status == 200
    });
    assert!(fallbacks(&strict, "lag") > 0, "the fallback was not counted as lag");
    assert_eq!(strict.get("/api/v1/items").json()["meta"]["total"], 2);

    // Replay resumed: the replica catches up and serves again.
    replica.sql("SELECT pg_wal_replay_resume()");
    eventually("the replica catches up", || rows(&replica, "fresh") == "1");
    eventually("the replica serves the fresh item", || server.get(&format!("/api/v1/items/{fresh}")).status == 200);

    // The replica stopped: every read is still served, by the primary, and counted; the
    // service stays ready.
    replica.stop();
    let before = fallbacks(&server, "down");
    let found = server.get(&format!("/api/v1/items/{fresh}"));
    assert_eq!(found.status, 200, "{}", found.body);
    let listed = server.get("/api/v1/items");
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.json()["meta"]["total"], 2);
    assert!(fallbacks(&server, "down") >= before + 2, "the fallbacks to the primary were not counted");
    assert_eq!(server.get("/readyz").status, 200, "readiness failed because of the replica");
    let created = create(&server, "after");
    assert_eq!(server.get(&format!("/api/v1/items/{created}")).status, 200);

    assert_eq!(strict.terminate().code(), Some(0));
    assert_eq!(server.terminate().code(), Some(0));
    // Both clusters stop on drop (by their data directories' pid files), on success or panic.
}
