//! The gateway in front of a fake upstream: routing, request ids, the circuit breaker, retries,
//! rate limiting, and upstream health at the status endpoint and in `/metrics`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::routing::{any, get};
use common::config::{Env, HttpConfig};
use common::testing::{TestResponse, TestServer};
use gateway::{GatewayConfig, SERVICES};
use serde_json::json;

/// An upstream that echoes what it got, and answers 503 on `…/flaky` (counting the calls).
async fn fake_upstream(hits: Arc<AtomicU32>) -> TestServer {
    let app = Router::new()
        .route("/readyz", get(|| async { "ok" }))
        .route(
            &format!("/api/v1/{}/flaky", SERVICES[0].name),
            any(move || {
                let hits = hits.clone();
                async move {
                    hits.fetch_add(1, Ordering::SeqCst);
                    StatusCode::SERVICE_UNAVAILABLE
                }
            }),
        )
        .fallback(|request: Request| async move {
            let id = request
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            axum::Json(json!({ "path": request.uri().to_string(), "request_id": id }))
        });
    TestServer::spawn(app, &HttpConfig::default()).await
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn gateway(upstream_port: u16, extra: &[(&str, &str)]) -> TestServer {
    let url = format!("http://127.0.0.1:{upstream_port}");
    let url_var = format!("UPSTREAM_{}_URL", SERVICES[0].env);
    let mut vars = vec![
        (url_var.as_str(), url.as_str()),
        ("UPSTREAM_RETRY_BACKOFF_MS", "1"),
        ("BREAKER_FAILURE_THRESHOLD", "3"),
        ("BREAKER_COOLDOWN_MS", "60000"),
        ("UPSTREAM_TIMEOUT_MS", "1000"),
    ];
    vars.extend_from_slice(extra);
    let config = GatewayConfig::from_env(&Env::from_pairs(&vars)).unwrap();
    TestServer::spawn(gateway::app(&config), &config.server.http).await
}

#[tokio::test]
async fn routes_to_the_service_and_propagates_the_request_id() {
    let upstream = fake_upstream(Arc::default()).await;
    let gw = gateway(upstream.addr.port(), &[]).await;
    let path = format!("/api/v1/{}/7?verbose=1", SERVICES[0].name);
    let response = gw
        .request("GET", &path, None, &[("x-request-id", "trace-1")])
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(
        response.json(),
        json!({ "path": path, "request_id": "trace-1" })
    );
    assert_eq!(response.header("x-request-id"), Some("trace-1"));

    let unknown = gw.get("/api/v1/no-such-service").await;
    assert_eq!(
        (unknown.status, unknown.error_code().as_str()),
        (404, "not_found")
    );
}

#[tokio::test]
async fn a_dead_upstream_opens_the_circuit_and_is_named_by_the_status_endpoint() {
    let gw = gateway(free_port(), &[]).await;
    let path = format!("/api/v1/{}", SERVICES[0].name);
    let first = gw.get(&path).await;
    assert_eq!(
        (first.status, first.error_code().as_str()),
        (503, "upstream_unavailable")
    );
    let open = gw.get(&path).await;
    assert_eq!(
        (open.status, open.error_code().as_str()),
        (503, "circuit_open")
    );

    // The gateway's own readiness does not depend on its upstreams.
    assert_eq!(gw.get("/readyz").await.status, 200);
    let status = gw.get("/status/upstreams").await;
    assert_eq!(status.status, 503, "{}", status.body);
    let body = status.json();
    assert!(
        body["down"]
            .as_array()
            .unwrap()
            .contains(&json!(SERVICES[0].name)),
        "{body}"
    );
    assert_eq!(body["checks"][SERVICES[0].name]["circuit"], "open");

    let metrics = gw.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    let name = SERVICES[0].name;
    for line in [
        format!("gateway_upstream_up{{upstream=\"{name}\"}} 0\n"),
        format!("gateway_upstream_circuit_state{{upstream=\"{name}\",state=\"open\"}} 1\n"),
        format!("gateway_upstream_circuit_state{{upstream=\"{name}\",state=\"closed\"}} 0\n"),
    ] {
        assert!(
            metrics.body.contains(&line),
            "missing {line} in {}",
            metrics.body
        );
    }
}

#[tokio::test]
async fn metrics_show_each_upstream_up_with_its_circuit_closed() {
    let upstream = fake_upstream(Arc::default()).await;
    let gw = gateway(upstream.addr.port(), &[]).await;
    let metrics = gw.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    let name = SERVICES[0].name;
    for line in [
        format!("gateway_upstream_up{{upstream=\"{name}\"}} 1\n"),
        format!("gateway_upstream_circuit_state{{upstream=\"{name}\",state=\"closed\"}} 1\n"),
        format!("gateway_upstream_circuit_state{{upstream=\"{name}\",state=\"half_open\"}} 0\n"),
    ] {
        assert!(
            metrics.body.contains(&line),
            "missing {line} in {}",
            metrics.body
        );
    }
    // The registry's own series are still there.
    assert!(
        metrics.body.contains("http_requests_in_flight"),
        "{}",
        metrics.body
    );
}

#[tokio::test]
async fn only_idempotent_methods_are_retried() {
    let hits = Arc::new(AtomicU32::new(0));
    let upstream = fake_upstream(hits.clone()).await;
    let gw = gateway(
        upstream.addr.port(),
        &[("BREAKER_FAILURE_THRESHOLD", "100")],
    )
    .await;
    let path = format!("/api/v1/{}/flaky", SERVICES[0].name);
    assert_eq!(gw.get(&path).await.status, 503);
    assert_eq!(
        hits.swap(0, Ordering::SeqCst),
        3,
        "GET: first try and 2 retries"
    );
    assert_eq!(gw.request("POST", &path, Some("{}"), &[]).await.status, 503);
    assert_eq!(hits.load(Ordering::SeqCst), 1, "POST: never retried");
}

/// The value of a numeric header the response must have.
fn number(response: &TestResponse, name: &str) -> u64 {
    response
        .header(name)
        .unwrap_or_else(|| panic!("no {name} in {response:?}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_burst_beyond_the_limit_gets_429_with_rate_limit_headers() {
    let upstream = fake_upstream(Arc::default()).await;
    let gw = gateway(
        upstream.addr.port(),
        &[
            ("RATE_LIMIT_BURST", "2"),
            ("RATE_LIMIT_PER_SECOND", "0.01"),
            ("RATE_LIMIT_KEY_HEADER", "x-api-key"),
        ],
    )
    .await;
    let path = format!("/api/v1/{}", SERVICES[0].name);
    for remaining in [1, 0] {
        let allowed = gw.request("GET", &path, None, &[("x-api-key", "a")]).await;
        assert_eq!(allowed.status, 200, "{}", allowed.body);
        assert_eq!(number(&allowed, "ratelimit-limit"), 2);
        assert_eq!(number(&allowed, "ratelimit-remaining"), remaining);
        assert!(number(&allowed, "ratelimit-reset") >= 100, "{allowed:?}");
    }
    let limited = gw.request("GET", &path, None, &[("x-api-key", "a")]).await;
    assert_eq!(
        (limited.status, limited.error_code().as_str()),
        (429, "rate_limited")
    );
    // One request's worth comes back every 100 s, the whole burst in 200 s.
    let retry_after = number(&limited, "retry-after");
    assert!((99..=100).contains(&retry_after), "{limited:?}");
    assert_eq!(number(&limited, "ratelimit-limit"), 2);
    assert_eq!(number(&limited, "ratelimit-remaining"), 0);
    assert!(
        (199..=200).contains(&number(&limited, "ratelimit-reset")),
        "{limited:?}"
    );
    assert_eq!(
        gw.request("GET", &path, None, &[("x-api-key", "b")])
            .await
            .status,
        200,
        "another key has its own bucket"
    );
    assert_eq!(
        gw.get(&path).await.status,
        200,
        "without the header, the client's address is the key"
    );
    let probe = gw.get("/healthz").await;
    assert_eq!(probe.status, 200, "probes are never limited");
    assert_eq!(probe.header("ratelimit-limit"), None);
}

/// A client that waits `RateLimit-Reset` seconds whenever `RateLimit-Remaining` reaches 0.
#[tokio::test]
async fn a_client_that_follows_the_headers_is_never_limited() {
    let upstream = fake_upstream(Arc::default()).await;
    let gw = gateway(
        upstream.addr.port(),
        &[("RATE_LIMIT_BURST", "2"), ("RATE_LIMIT_PER_SECOND", "4")],
    )
    .await;
    let path = format!("/api/v1/{}", SERVICES[0].name);
    let mut waited = 0;
    for _ in 0..4 {
        let response = gw.get(&path).await;
        assert_eq!(response.status, 200, "{response:?}");
        if number(&response, "ratelimit-remaining") == 0 {
            let reset = number(&response, "ratelimit-reset");
            assert!(reset >= 1, "{response:?}");
            waited += reset;
            tokio::time::sleep(Duration::from_secs(reset)).await;
        }
    }
    assert_eq!(waited, 2, "once after every 2 requests, 1 s each");
}
