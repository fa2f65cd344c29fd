//! The `ratelimit` feature end to end (slow tier): a monolith on `PostgreSQL` and a Knative API,
//! built with the feature and started with a small burst. A burst beyond the limit gets 429 in
//! the error envelope with `Retry-After` and the `RateLimit-*` headers; a client that follows
//! the headers never does; probes and `/metrics` are never limited; `X-Forwarded-For` counts
//! only from a trusted proxy; a bad setting stops the binary with one `error:` and one `help:`
//! line. The limiter's own tests (100,000 distinct keys, trusted-proxy parsing) run in each
//! project's `cargo test`.
//!
//! `cargo test --test ratelimit -- --ignored --test-threads=1`
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

use std::process::{Command, Stdio};
use std::time::Duration;

mod common;
use common::e2e::{
    self, KNATIVE_RATELIMIT, MONOLITH_RATELIMIT, Project, Response, Server, free_port, postgres_server, psql,
};

const LIST: &str = "/api/v1/items";

fn number(response: &Response, header: &str) -> u64 {
    let value = response.header(header).unwrap_or_else(|| panic!("no {header}: {response:?}"));
    value.parse().unwrap_or_else(|_| panic!("{header}: {value:?} is not a number"))
}

/// A fresh database with the project's migrations applied by `binary migrate`; its URL.
fn migrated_database(binary: &str, name: &str) -> String {
    let database = format!("archgen_{name}_{}", std::process::id());
    psql(&format!("DROP DATABASE IF EXISTS {database}"));
    psql(&format!("CREATE DATABASE {database}"));
    let url = format!("{}/{database}", postgres_server());
    e2e::run_binary(binary, &["migrate"], &[("DATABASE_URL", &url)]);
    url
}

fn start(binary: &str, url: &str, settings: &[(&str, &str)]) -> Server {
    let mut env = vec![("DATABASE_URL".to_owned(), url.to_owned())];
    env.extend(settings.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let server = Server::start(binary, free_port(), &env);
    server.wait_until("readyz", |s| s.get("/readyz").status == 200);
    server
}

/// `burst` requests as `client` (extra headers) pass with the headers counting down; the next
/// one gets 429 in the envelope with `Retry-After`; returns how many were refused.
fn exhaust(server: &Server, client: &[(&str, &str)], burst: u64) -> u64 {
    for remaining in (0..burst).rev() {
        let allowed = server.request("GET", LIST, None, client);
        assert_eq!(allowed.status, 200, "{allowed:?}");
        assert_eq!(number(&allowed, "ratelimit-limit"), burst, "{allowed:?}");
        assert_eq!(number(&allowed, "ratelimit-remaining"), remaining, "{allowed:?}");
    }
    let limited = server.request("GET", LIST, None, client);
    assert_eq!((limited.status, limited.error_code().as_str()), (429, "rate_limited"), "{limited:?}");
    assert!(number(&limited, "retry-after") >= 1, "{limited:?}");
    assert_eq!(number(&limited, "ratelimit-limit"), burst, "{limited:?}");
    assert_eq!(number(&limited, "ratelimit-remaining"), 0, "{limited:?}");
    assert!(number(&limited, "ratelimit-reset") >= number(&limited, "retry-after"), "{limited:?}");
    1
}

/// A client that waits `RateLimit-Reset` whenever `RateLimit-Remaining` reaches 0: never refused.
fn polite(server: &Server, client: &[(&str, &str)], requests: usize) {
    for _ in 0..requests {
        let response = server.request("GET", LIST, None, client);
        assert_eq!(response.status, 200, "a polite client was refused: {response:?}");
        if number(&response, "ratelimit-remaining") == 0 {
            std::thread::sleep(Duration::from_secs(number(&response, "ratelimit-reset")));
        }
    }
}

/// Probes and `/metrics`, many times over from a client that is over its limit: never limited,
/// never carrying the headers; `rate_limited_total` counts the refusals so far.
fn probes_are_never_limited(server: &Server, client: &[(&str, &str)], refused: u64) {
    for _ in 0..20 {
        for path in ["/healthz", "/readyz", "/metrics"] {
            let probe = server.request("GET", path, None, client);
            assert_eq!(probe.status, 200, "{path} was limited: {probe:?}");
            assert_eq!(probe.header("ratelimit-limit"), None, "{path}: {probe:?}");
        }
    }
    let metrics = server.get("/metrics").body;
    assert!(metrics.contains(&format!("\nrate_limited_total {refused}\n")), "{metrics}");
}

/// A bad setting: the binary exits at once, with one `error:` line naming it and one `help:`.
fn bad_setting_is_refused(binary: &str, url: &str, name: &str, value: &str) {
    let output = Command::new(e2e::binary(binary))
        .arg("serve")
        .env("HOST", "127.0.0.1")
        .env("PORT", free_port().to_string())
        .env("DATABASE_URL", url)
        .env(name, value)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success(), "{binary} served with {name}={value}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.starts_with('{')).collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].starts_with("error: ") && lines[0].contains(name), "{stderr}");
    assert!(lines[1].starts_with("help: "), "{stderr}");
}

fn build(project: &Project) {
    let test_url = format!("{}/postgres", postgres_server());
    project.build_and_test(&[("DATABASE_URL", &test_url)]);
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn monolith_with_ratelimit_limits_clients_behind_a_trusted_proxy() {
    let project = MONOLITH_RATELIMIT.project();
    build(&project);
    let binary = MONOLITH_RATELIMIT.name;
    let url = migrated_database(binary, "ratelimit_monolith");
    // The test is the proxy on loopback: it says who the client is in X-Forwarded-For.
    let settings = [
        ("RATE_LIMIT_BURST", "3"),
        ("RATE_LIMIT_PER_SECOND", "2"),
        ("RATE_LIMIT_TRUSTED_PROXIES", "127.0.0.1/32, ::1"),
    ];
    let server = start(binary, &url, &settings);
    let abuser = [("x-forwarded-for", "198.51.100.1")];
    let mut refused = exhaust(&server, &abuser, 3);
    // What the client itself wrote (left of what the proxy appended) buys it no new bucket.
    let spoofed = server.request("GET", LIST, None, &[("x-forwarded-for", "6.6.6.6, 198.51.100.1")]);
    assert_eq!(spoofed.status, 429, "{spoofed:?}");
    refused += 1;
    // Another client behind the same proxy has a bucket of its own.
    polite(&server, &[("x-forwarded-for", "198.51.100.2")], 8);
    probes_are_never_limited(&server, &abuser, refused);
    assert!(server.terminate().success(), "unclean exit on SIGTERM");

    for (name, value) in
        [("RATE_LIMIT_BURST", "0"), ("RATE_LIMIT_PER_SECOND", "fast"), ("RATE_LIMIT_TRUSTED_PROXIES", "10.0.0.0/33")]
    {
        bad_setting_is_refused(binary, &url, name, value);
    }
    psql(&format!("DROP DATABASE IF EXISTS archgen_ratelimit_monolith_{} WITH (FORCE)", std::process::id()));
}

#[test]
#[ignore = "slow: builds and runs a generated project (run by .ci/run)"]
fn knative_with_ratelimit_limits_each_peer_and_ignores_a_spoofed_forwarded_for() {
    let project = KNATIVE_RATELIMIT.project();
    build(&project);
    let manifest = std::fs::read_to_string(project.dir.join("deploy/k8s/base/configmap.yaml")).unwrap();
    assert!(manifest.contains("RATE_LIMIT_TRUSTED_PROXIES: >-\n    127.0.0.0/8,::1/128,"), "{manifest}");
    let binary = format!("{}-api", KNATIVE_RATELIMIT.name);
    let url = migrated_database(&binary, "ratelimit_knative");
    // Trusting no one (the default): the peer is the client, whatever it forwards.
    let server = start(&binary, &url, &[("RATE_LIMIT_BURST", "2"), ("RATE_LIMIT_PER_SECOND", "4")]);
    for n in 0..2 {
        let forwarded = format!("203.0.113.{n}");
        let allowed = server.request("GET", LIST, None, &[("x-forwarded-for", &forwarded)]);
        assert_eq!(allowed.status, 200, "{allowed:?}");
    }
    let spoofed = server.request("GET", LIST, None, &[("x-forwarded-for", "203.0.113.99")]);
    assert_eq!((spoofed.status, spoofed.error_code().as_str()), (429, "rate_limited"), "{spoofed:?}");
    assert!(number(&spoofed, "retry-after") >= 1, "{spoofed:?}");
    let mut refused = 1;
    std::thread::sleep(Duration::from_secs(number(&spoofed, "ratelimit-reset")));
    refused += exhaust(&server, &[], 2);
    probes_are_never_limited(&server, &[], refused);
    std::thread::sleep(Duration::from_secs(1));
    polite(&server, &[], 8);
    assert!(server.terminate().success(), "unclean exit on SIGTERM");

    bad_setting_is_refused(&binary, &url, "RATE_LIMIT_BURST", "-1");
    psql(&format!("DROP DATABASE IF EXISTS archgen_ratelimit_knative_{} WITH (FORCE)", std::process::id()));
}
