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
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod common;
use common::e2e::{Databases, MICROSERVICES_NATS, MICROSERVICES_NONE, Server, free_port, run_binary};

/// The services of both cases (`e2e::MICROSERVICES_*`).
const SERVICES: [&str; 2] = ["users", "orders"];

fn nats_addr() -> String {
    std::env::var("ARCHGEN_TEST_NATS").unwrap_or_else(|_| "127.0.0.1:4222".into())
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

/// CRUD on one service through the gateway; returns the id of an item left in place.
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
    let project = MICROSERVICES_NATS.project();
    let run = std::process::id();
    let mut databases = Databases::default();
    let test_url = databases.create(format!("archgen_ms_test_{run}"));
    let nats_url = format!("nats://{}", nats_addr());
    project.build_and_test(&[("DATABASE_URL", &test_url), ("NATS_URL", &nats_url)]);

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
    gateway.wait_until("upstreams up", |s| s.get("/status/upstreams").status == 200);

    // CRUD on every service, through the gateway; each creation publishes an event.
    for service in SERVICES {
        crud_through_gateway(&gateway, service);
    }
    // users consumes orders' events and vice versa: two creations each (one later deleted).
    for (consumer, created) in [("users", "orders.order.created"), ("orders", "users.user.created")] {
        wait_for(&format!("{consumer} to process {created}"), Duration::from_secs(20), || {
            total(&processed(&gateway, consumer)) == 2
        });
        let body = processed(&gateway, consumer);
        assert!(body["data"].as_array().unwrap().iter().all(|e| e["event_type"] == created), "{body}");
    }

    // A redelivered event (same id, sent again past JetStream's deduplication) changes nothing;
    // a fresh one sent after it proves the consumer got that far.
    let seen = processed(&gateway, "users")["data"][0].clone();
    let event = |id: &str| {
        json!({"id": id, "type": "orders.order.created", "version": 1, "occurred_at": seen["occurred_at"],
               "source": "orders", "data": {"id": 1, "name": "replayed"}})
        .to_string()
    };
    let subject = format!("{}.orders.order.created", namespace.0);
    let (duplicate, fresh) = (event(seen["event_id"].as_str().unwrap()), event(&format!("fresh-{run}")));
    nats_publish(&[(&subject, None, &duplicate), (&subject, None, &fresh)]);
    wait_for("the fresh event", Duration::from_secs(20), || total(&processed(&gateway, "users")) >= 3);
    std::thread::sleep(Duration::from_millis(500));
    let after = processed(&gateway, "users");
    assert_eq!(total(&after), 3, "the redelivered event had an effect: {after}");

    // A resource of its own: the gateway routes it to orders, which publishes its creation.
    let product = json!({"name": "widget", "price": "12.50", "sku": format!("sku-{run}"), "quantity": 3,
                         "active": true, "launched_at": "2026-01-02T03:04:05Z"});
    let created = gateway.request("POST", "/api/v1/products", Some(&product.to_string()), &[]);
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.json()["data"]["price"], "12.50", "{created:?}");
    let duplicate = gateway.request("POST", "/api/v1/products", Some(&product.to_string()), &[]);
    assert_eq!((duplicate.status, duplicate.error_code().as_str()), (409, "conflict"));
    wait_for("users to process orders.product.created", Duration::from_secs(20), || {
        total(&processed(&gateway, "users")) == 4
    });
    assert_eq!(processed(&gateway, "users")["data"][0]["event_type"], "orders.product.created");

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
    assert_eq!(gateway.get("/readyz").status, 200, "the gateway's readiness is its own");
    let status = gateway.get("/status/upstreams");
    assert_eq!(status.status, 503, "{status:?}");
    assert_eq!(status.json()["down"], json!(["users"]), "{}", status.body);

    // Restart it on the same port: after the cool-down a probe closes the circuit again.
    let users = Server::start("users", ports[0], &service_env(&urls[0], &events));
    wait_for("the users circuit to close", Duration::from_secs(20), || gateway.get("/api/v1/users").status == 200);
    gateway.wait_until("upstreams up", |s| s.get("/status/upstreams").status == 200);

    assert!(gateway.terminate().success(), "gateway: unclean exit on SIGTERM");
    assert!(users.terminate().success(), "users: unclean exit on SIGTERM");
    for service in services {
        assert!(service.terminate().success(), "unclean exit on SIGTERM");
    }
    drop(namespace);
    drop(databases);
}

#[test]
#[ignore = "slow: builds and runs a generated workspace (needs PostgreSQL)"]
fn microservices_without_events_build_test_and_run() {
    let project = MICROSERVICES_NONE.project();
    let lock = std::fs::read_to_string(project.dir.join("Cargo.lock")).unwrap_or_default();
    let run = std::process::id();
    let mut databases = Databases::default();
    let test_url = databases.create(format!("archgen_ms_none_test_{run}"));
    project.build_and_test(&[("DATABASE_URL", &test_url)]);
    let lock = if lock.is_empty() { std::fs::read_to_string(project.dir.join("Cargo.lock")).unwrap() } else { lock };
    assert!(!lock.contains("async-nats"), "--events none must not depend on async-nats");

    let ports = [free_port(), free_port()];
    let mut services = Vec::new();
    for (name, port) in SERVICES.iter().zip(ports) {
        let url = databases.create(format!("archgen_ms_none_{run}_{name}"));
        run_binary(name, &["migrate"], &[("DATABASE_URL", url.as_str())]);
        services.push(Server::start(name, port, &service_env(&url, &[])));
    }
    let gateway = Server::start("gateway", free_port(), &gateway_env(&ports));
    gateway.wait_until("upstreams up", |s| s.get("/status/upstreams").status == 200);
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
}
