//! The slow tier for `--style microservices`: the generated workspace compiles, passes clippy and
//! rustfmt and its own tests (against `PostgreSQL` and NATS), and runs end to end: every service
//! migrated into its own database, CRUD through the gateway, orders checking each order's user
//! with users (201 / 422, a fast 503 and an open circuit while users is down, reads going on),
//! events consumed idempotently, the gateway's circuit breaker opening and closing around a
//! stopped service, and a clean SIGTERM shutdown.
//!
//! Run with `cargo test --test generated_microservices -- --ignored --test-threads=1`.
//! Builds share `target/generated-target` (or `$ARCHGEN_GENERATED_TARGET`). `PostgreSQL` comes from
//! `$ARCHGEN_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432`, trust auth), NATS with
//! `JetStream` from `$ARCHGEN_TEST_NATS` (default `127.0.0.1:4222`). Every run uses databases and
//! an event namespace named after its process id, and removes them at the end.
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod common;
use common::e2e::{MICROSERVICES_NATS, MICROSERVICES_NONE, Server};
use common::microservices::{System, nats_publish, service_env};

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

/// The default project's resources: a user with a unique email, an order naming its user.
fn user(tag: &str) -> Value {
    json!({"email": format!("{tag}-{}@example.com", std::process::id()), "name": tag})
}

fn order(user_id: i64, status: &str) -> Value {
    json!({"user_id": user_id, "total": "12.50", "status": status})
}

/// CRUD on one service through the gateway, with bodies made by `body` from a tag (and a
/// duplicate refused when `unique`); returns the id of one left in place.
fn crud_through_gateway(gateway: &Server, service: &str, body: &dyn Fn(&str) -> Value, unique: bool) -> i64 {
    let base = format!("/api/v1/{service}");
    let first = body("first");
    let created = gateway.request("POST", &base, Some(&first.to_string()), &[("x-request-id", "e2e-create")]);
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.header("x-request-id"), Some("e2e-create"), "request id not propagated");
    let id = created.json()["data"]["id"].as_i64().unwrap();

    let fetched = gateway.get(&format!("{base}/{id}"));
    assert_eq!(fetched.status, 200, "{fetched:?}");
    for (field, value) in first.as_object().unwrap() {
        assert_eq!(&fetched.json()["data"][field], value, "{field}");
    }
    let list = gateway.get(&format!("{base}?page=1&per_page=5")).json();
    assert!(list["meta"]["total"].as_u64() >= Some(1), "{list}");

    let update = body("second").to_string();
    assert_eq!(gateway.request("PUT", &format!("{base}/{id}"), Some(&update), &[]).status, 200);
    if unique {
        let duplicate = gateway.request("POST", &base, Some(&update), &[]);
        assert_eq!((duplicate.status, duplicate.error_code().as_str()), (409, "conflict"));
    }

    let doomed = body("doomed").to_string();
    let doomed = gateway.request("POST", &base, Some(&doomed), &[]).json()["data"]["id"].as_i64().unwrap();
    assert_eq!(gateway.request("DELETE", &format!("{base}/{doomed}"), None, &[]).status, 204);
    let gone = gateway.get(&format!("{base}/{doomed}"));
    assert_eq!((gone.status, gone.error_code().as_str()), (404, "not_found"));
    id
}

/// Users, then orders (each order naming the user left in place).
fn crud_on_every_service(gateway: &Server) -> i64 {
    let user_id = crud_through_gateway(gateway, "users", &user, true);
    crud_through_gateway(gateway, "orders", &|tag| order(user_id, tag), false);
    user_id
}

/// With users stopped: creating an order is a fast 503 (never a 500, nothing stored), then
/// orders' own circuit to users opens (its /metrics says so); reads of orders go on and orders
/// stays ready. Returns the body of the order refused, to send again once users is back.
fn orders_without_users(gateway: &Server, orders: &Server, user_id: i64, order_id: i64) -> String {
    let pending = order(user_id, "pending").to_string();
    let started = Instant::now();
    let refused = gateway.request("POST", "/api/v1/orders", Some(&pending), &[]);
    assert!(started.elapsed() < Duration::from_secs(2), "a fast 503: {:?}", started.elapsed());
    assert_eq!((refused.status, refused.error_code().as_str()), (503, "dependency_unavailable"), "{refused:?}");
    assert!(refused.header("retry-after").is_some(), "{refused:?}");
    let mut open = false;
    for _ in 0..5 {
        let refused = gateway.request("POST", "/api/v1/orders", Some(&pending), &[]);
        assert_eq!(refused.status, 503, "{refused:?}");
        if refused.body.contains("circuit open") {
            open = true;
            break;
        }
    }
    assert!(open, "orders' circuit to users opens after its threshold");
    let metrics = orders.get("/metrics");
    assert!(metrics.body.contains("calls_circuit_state{callee=\"users\",state=\"open\"} 1"), "{}", metrics.body);
    assert_eq!(gateway.get(&format!("/api/v1/orders/{order_id}")).status, 200, "reads of orders go on");
    assert_eq!(gateway.get("/api/v1/orders").status, 200);
    assert_eq!(orders.get("/readyz").status, 200, "orders stays ready without users");

    pending
}

#[test]
#[ignore = "slow: builds and runs a generated workspace (needs PostgreSQL and NATS)"]
fn microservices_with_nats_build_test_and_run() {
    let System { gateway, mut services, ports, urls, events, namespace, databases } =
        System::start(MICROSERVICES_NATS, true);
    let namespace = namespace.unwrap();
    let run = std::process::id();

    // CRUD on every service, through the gateway; each creation publishes an event.
    let user_id = crud_on_every_service(&gateway);
    // An order is checked with users before it is stored: an existing user, a missing one.
    let placed = gateway.request("POST", "/api/v1/orders", Some(&order(user_id, "placed").to_string()), &[]);
    assert_eq!(placed.status, 201, "{placed:?}");
    let order_id = placed.json()["data"]["id"].as_i64().unwrap();
    let orphan = gateway.request("POST", "/api/v1/orders", Some(&order(i64::MAX, "orphan").to_string()), &[]);
    assert_eq!((orphan.status, orphan.error_code().as_str()), (422, "validation_failed"), "{orphan:?}");
    assert!(orphan.body.contains("`user_id`"), "the 422 names the field: {orphan:?}");
    // users consumes orders' events and vice versa: each creation once (two users, three
    // orders: the orphan was never stored, so never announced).
    for (consumer, created, count) in [("users", "orders.order.created", 3), ("orders", "users.user.created", 2)] {
        wait_for(&format!("{consumer} to process {created}"), Duration::from_secs(20), || {
            total(&processed(&gateway, consumer)) == count
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
    wait_for("the fresh event", Duration::from_secs(20), || total(&processed(&gateway, "users")) >= 4);
    std::thread::sleep(Duration::from_millis(500));
    let after = processed(&gateway, "users");
    assert_eq!(total(&after), 4, "the redelivered event had an effect: {after}");

    // A resource of its own: the gateway routes it to orders, which publishes its creation.
    let product = json!({"name": "widget", "price": "12.50", "sku": format!("sku-{run}"), "quantity": 3,
                         "active": true, "launched_at": "2026-01-02T03:04:05Z"});
    let created = gateway.request("POST", "/api/v1/products", Some(&product.to_string()), &[]);
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.json()["data"]["price"], "12.50", "{created:?}");
    let duplicate = gateway.request("POST", "/api/v1/products", Some(&product.to_string()), &[]);
    assert_eq!((duplicate.status, duplicate.error_code().as_str()), (409, "conflict"));
    wait_for("users to process orders.product.created", Duration::from_secs(20), || {
        total(&processed(&gateway, "users")) == 5
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

    let pending = orders_without_users(&gateway, &services[0], user_id, order_id);

    // Restart it on the same port: after the cool-down a probe closes the circuit again.
    let users = Server::start("users", ports[0], &service_env("users", &urls[0], ports[0], &events));
    wait_for("the users circuit to close", Duration::from_secs(20), || gateway.get("/api/v1/users").status == 200);
    gateway.wait_until("upstreams up", |s| s.get("/status/upstreams").status == 200);
    wait_for("order creation to recover", Duration::from_secs(20), || {
        gateway.request("POST", "/api/v1/orders", Some(&pending), &[]).status == 201
    });

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
    let system = System::start(MICROSERVICES_NONE, false);
    let lock = std::fs::read_to_string(MICROSERVICES_NONE.project().dir.join("Cargo.lock")).unwrap();
    assert!(!lock.contains("async-nats"), "--events none must not depend on async-nats");
    let System { gateway, services, databases, .. } = system;
    crud_on_every_service(&gateway);
    let no_events = gateway.get("/api/v1/users/events");
    assert_eq!(no_events.status, 400, "no events API without --events nats: {no_events:?}");
    assert!(gateway.terminate().success(), "gateway: unclean exit on SIGTERM");
    for service in services {
        assert!(service.terminate().success(), "unclean exit on SIGTERM");
    }
    drop(databases);
}
