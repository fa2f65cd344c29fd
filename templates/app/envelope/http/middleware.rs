//! The layers every request passes through, outermost first:
//! - request id (tower-http): a client's `x-request-id` is kept when it is safe, otherwise a
//!   fresh one is set; the response carries the same id;
//! - tracing span (tower-http `TraceLayer`): request id, method, route and path on every log line;
//! - [`observe`] (ours): access log, metrics, and the id for error bodies built in handlers;
//! - timeout (tower-http), answered in the error envelope by [`observe`];
//! - panic catching (tower-http): a handler that panics answers a 500 in the error envelope
//!   instead of dropping the connection.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use super::ApiError;
use crate::metrics::Metrics;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Routes polled by orchestrators and scrapers, logged at debug level when they succeed.
const PROBE_ROUTES: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

tokio::task_local! {
    /// The id of the request being handled, for error bodies built deep in handlers.
    static REQUEST_ID: String;
}

/// The id of the request this task is handling, if any (outgoing calls propagate it).
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Wraps `router` in the layers above; `timeout` bounds each request.
pub(super) fn layers<S>(router: Router<S>, metrics: Arc<Metrics>, timeout: Duration) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router
        .layer(CatchPanicLayer::custom(|_panic| {
            // The panic itself is reported by the panic hook (stderr); its payload may hold
            // anything, so it never reaches the client.
            tracing::error!("handler panicked");
            ApiError::internal().into_response()
        }))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Observe { metrics, timeout },
            observe,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(span)
                .on_request(())
                .on_response(())
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER))
        .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, NewId))
        .layer(axum::middleware::map_request(drop_unsafe_request_id))
}

/// A path no route matches is labelled as such: raw paths would make metrics unbounded.
fn route(request: &Request) -> String {
    request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned()
}

fn request_id(request: &Request) -> &str {
    request
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

fn span(request: &Request) -> tracing::Span {
    tracing::info_span!(
        "request",
        request_id = %request_id(request),
        method = %request.method(),
        route = %route(request),
        path = %request.uri().path(),
    )
}

#[derive(Debug, Clone)]
struct Observe {
    metrics: Arc<Metrics>,
    timeout: Duration,
}

async fn observe(State(observe): State<Observe>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let _in_flight = observe.metrics.start();
    let route = route(&request);
    let method = request.method().clone();
    let id = request_id(&request).to_owned();
    let mut response = REQUEST_ID.scope(id.clone(), next.run(request)).await;
    // The timeout layer answers with an empty 503; every other 503 here is already an envelope.
    if response.status() == StatusCode::SERVICE_UNAVAILABLE
        && !response.headers().contains_key(header::CONTENT_TYPE)
    {
        tracing::warn!(
            timeout_secs = observe.timeout.as_secs(),
            "request timed out"
        );
        response = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "the request took too long",
        )
        .into_response_with_id(Some(id));
    }
    let elapsed = start.elapsed();
    let status = response.status();
    observe
        .metrics
        .observe(&route, method.as_str(), status.as_u16(), elapsed);
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    let status_code = status.as_u16();
    if status.is_server_error() {
        tracing::warn!(status = status_code, latency_ms, "request failed");
    } else if PROBE_ROUTES.contains(&route.as_str()) {
        // Probes arrive every few seconds: keep them out of the default log.
        tracing::debug!(status = status_code, latency_ms, "request completed");
    } else {
        tracing::info!(status = status_code, latency_ms, "request completed");
    }
    response
}

/// Fresh request ids, for requests without a safe one.
#[derive(Debug, Clone, Copy)]
struct NewId;

impl MakeRequestId for NewId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&crate::ids::generate())
            .ok()
            .map(RequestId::new)
    }
}

/// Removes a client's request id that is not safe to echo, log and forward, so that a fresh
/// one replaces it.
async fn drop_unsafe_request_id(mut request: Request) -> Request {
    let safe = request
        .headers()
        .get(&REQUEST_ID_HEADER)
        .is_none_or(|value| value.to_str().is_ok_and(is_acceptable_id));
    if !safe {
        request.headers_mut().remove(&REQUEST_ID_HEADER);
    }
    request
}

/// The longest client-supplied request id that is propagated.
const REQUEST_ID_MAX_LEN: usize = 64;

/// A client's id is echoed, logged and forwarded only when it is short and made of
/// `[A-Za-z0-9._-]`: nothing that could split a log line, inject markup or bloat headers.
fn is_acceptable_id(id: &str) -> bool {
    (1..=REQUEST_ID_MAX_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt as _;

    use super::*;

    fn app() -> Router {
        let router = Router::new()
            .route("/ok", get(|| async { "ok" }))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            )
            .route("/panic", get(buggy));
        layers(
            router,
            Arc::new(Metrics::default()),
            Duration::from_millis(100),
        )
    }

    /// A handler with a bug: it indexes past the end of an empty list.
    async fn buggy() -> &'static str {
        let empty: Vec<&'static str> = std::hint::black_box(Vec::new());
        empty[0]
    }

    async fn call(path: &str, id: Option<&str>) -> (StatusCode, String, serde_json::Value) {
        let mut request = axum::http::Request::get(path);
        if let Some(id) = id {
            request = request.header(&REQUEST_ID_HEADER, id);
        }
        let response = app()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let echoed = response.headers()[&REQUEST_ID_HEADER]
            .to_str()
            .unwrap()
            .to_owned();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        (status, echoed, json)
    }

    #[tokio::test]
    async fn a_safe_client_id_is_kept_and_others_are_replaced() {
        assert_eq!(call("/ok", Some("abc-123")).await.1, "abc-123");
        for hostile in ["has space", "<script>", &"x".repeat(REQUEST_ID_MAX_LEN + 1)] {
            let (_, echoed, _) = call("/ok", Some(hostile)).await;
            assert_ne!(echoed, hostile);
            assert!(is_acceptable_id(&echoed), "{echoed:?}");
        }
        let (_, fresh, _) = call("/ok", None).await;
        assert_eq!(fresh.len(), 32);
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_500_in_the_envelope() {
        let (status, _, body) = call("/panic", Some("req-panic")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"]["code"], "internal_error");
        assert_eq!(body["error"]["request_id"], "req-panic");
        assert!(!body.to_string().contains("index out of bounds"), "{body}");
    }

    #[tokio::test]
    async fn a_slow_request_answers_503_in_the_envelope() {
        let (status, _, body) = call("/slow", Some("req-slow")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["error"]["code"], "timeout");
        assert_eq!(body["error"]["request_id"], "req-slow");
    }

    #[test]
    fn hostile_ids_are_refused() {
        for good in ["abc-123", "A.b_C-9", &"x".repeat(REQUEST_ID_MAX_LEN)] {
            assert!(is_acceptable_id(good), "{good:?}");
        }
        for bad in [
            "",
            "has space",
            "quote\"",
            "<script>",
            "new\nline",
            "semi;colon",
            "caf\u{e9}",
            &"x".repeat(REQUEST_ID_MAX_LEN + 1),
        ] {
            assert!(!is_acceptable_id(bad), "{bad:?}");
        }
    }
}
