use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use crate::app::config::HttpConfig;
use crate::app::healthcheck;
use crate::app::http::{self, AppState};
use crate::db::TestDb;
use crate::support::TestApp;

#[tokio::test]
async fn healthz_is_ok() {
    let app = TestApp::spawn().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json(), serde_json::json!({ "status": "ok" }));
}

#[tokio::test]
async fn readyz_is_ok_when_storage_answers_and_is_migrated() {
    let app = TestApp::spawn().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["checks"]["database"]["status"], "up");
    assert_eq!(response.json()["checks"]["schema"]["status"], "up");
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = TestApp::spawn().await;
    app.get("/healthz").await;
    app.get("/api/v1/items/12345").await;
    app.get("/api/v1/items/12345").await;
    app.get("/no/such/path").await;

    let response = app.get("/metrics").await;
    assert_eq!(response.status, 200);
    assert!(
        response
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/plain")
    );
    let text = response.body;
    for line in [
        r#"http_requests_total{method="GET",route="/healthz",status="200"} 1"#,
        r#"http_requests_total{method="GET",route="/api/v1/items/{id}",status="404"} 2"#,
        r#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#,
        r#"http_request_duration_seconds_count{method="GET",route="/api/v1/items/{id}",status="404"} 2"#,
        r#"http_request_duration_seconds_bucket{method="GET",route="/healthz",status="200",le="+Inf"} 1"#,
        "# TYPE http_request_duration_seconds histogram",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    assert!(!text.contains("12345"), "raw paths must not become labels");
}

#[tokio::test]
async fn request_id_is_generated_or_propagated() {
    let app = TestApp::spawn().await;
    let generated = app.get("/healthz").await;
    let id = generated.header("x-request-id").expect("generated id");
    assert_eq!(id.len(), 32);

    let propagated = app
        .request(
            "GET",
            "/healthz",
            None,
            &[("x-request-id", "trace-abc-123")],
        )
        .await;
    assert_eq!(propagated.header("x-request-id"), Some("trace-abc-123"));

    // Only a short id of `[A-Za-z0-9._-]` is echoed; anything else is replaced.
    let long = "x".repeat(65);
    for hostile in ["has space", "<script>", "a;b=c", long.as_str()] {
        let replaced = app
            .request("GET", "/healthz", None, &[("x-request-id", hostile)])
            .await;
        let id = replaced.header("x-request-id").expect("an id");
        assert!(id != hostile && id.len() == 32, "{hostile:?} -> {id:?}");
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_use_the_error_envelope() {
    let app = TestApp::spawn().await;
    let missing = app.get("/nope").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.error_code(), "not_found");

    let wrong_method = app.request("PATCH", "/api/v1/items", None, &[]).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.error_code(), "method_not_allowed");
}

#[tokio::test]
async fn oversized_bodies_are_rejected_with_413() {
    let app = TestApp::spawn_with(HttpConfig {
        body_limit: 64,
        ..HttpConfig::default()
    })
    .await;
    let body = serde_json::json!({ "name": "x".repeat(200) });
    let response = app.post_json("/api/v1/items", &body).await;
    assert_eq!(response.status, 413, "{}", response.body);
    assert_eq!(response.error_code(), "payload_too_large");
}

/// The one test over a real socket: the server listens, serves `/healthz` to the binary's own
/// probe, and stops gracefully, closing its listener.
#[tokio::test]
async fn serves_over_tcp_and_shuts_down_gracefully() {
    let db = TestDb::new().await;
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind an ephemeral port");
    let port = listener.local_addr().expect("local address").port();
    let (stop, stopped) = oneshot::channel::<()>();
    let state = AppState::new(db.repository());
    let server = tokio::spawn(async move {
        let config = HttpConfig {
            shutdown_grace: Duration::from_secs(5),
            ..HttpConfig::default()
        };
        http::serve(listener, state, &config, async {
            let _ = stopped.await;
        })
        .await
    });
    healthcheck::check(port, Duration::from_secs(2))
        .await
        .expect("GET /healthz answers 200 over TCP");
    stop.send(()).expect("the server is running");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("server stops within the grace period")
        .expect("server task")
        .expect("server exits cleanly");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).await.is_err(),
        "listener closed"
    );
}
