//! The one middleware every request passes through: request id, tracing span, timeout,
//! access log and metrics.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

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

#[derive(Debug, Clone)]
pub(super) struct Observe {
    metrics: Arc<Metrics>,
    timeout: Duration,
}

impl Observe {
    pub(super) fn new(metrics: Arc<Metrics>, timeout: Duration) -> Self {
        Self { metrics, timeout }
    }
}

pub(super) async fn observe(
    State(observe): State<Observe>,
    mut request: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let _in_flight = observe.metrics.start();
    let request_id = request
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| is_acceptable_id(id))
        .map_or_else(generate_request_id, str::to_owned);
    let header_value = HeaderValue::from_str(&request_id).expect("request ids are visible ASCII");
    // Handlers and proxies downstream see the same id the client will get back.
    request
        .headers_mut()
        .insert(REQUEST_ID_HEADER, header_value.clone());

    // A path no route matches is labelled as such: raw paths would make metrics unbounded.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = request.method().clone();
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %method,
        route = %route,
        path = %request.uri().path(),
    );

    let handled = REQUEST_ID.scope(request_id.clone(), next.run(request));
    let mut response = tokio::time::timeout(observe.timeout, handled)
        .instrument(span.clone())
        .await
        .unwrap_or_else(|_elapsed| {
            span.in_scope(|| {
                tracing::warn!(
                    timeout_secs = observe.timeout.as_secs(),
                    "request timed out"
                );
            });
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "the request took too long",
            )
            .into_response_with_id(Some(request_id))
        });
    response
        .headers_mut()
        .insert(REQUEST_ID_HEADER, header_value);

    let elapsed = start.elapsed();
    let status = response.status();
    observe
        .metrics
        .observe(&route, method.as_str(), status.as_u16(), elapsed);
    span.in_scope(|| {
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
    });
    response
}

/// The longest client-supplied request id that is propagated.
const REQUEST_ID_MAX_LEN: usize = 64;

/// A client's id is echoed, logged and forwarded only when it is short and made of
/// `[A-Za-z0-9._-]`: nothing that could split a log line, inject markup or bloat headers.
/// Anything else is replaced by a fresh id.
fn is_acceptable_id(id: &str) -> bool {
    (1..=REQUEST_ID_MAX_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn generate_request_id() -> String {
    crate::ids::generate()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_unique_and_acceptable() {
        let ids: std::collections::HashSet<String> =
            (0..1000).map(|_| generate_request_id()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids.iter().all(|id| id.len() == 32 && is_acceptable_id(id)));
    }

    #[test]
    fn hostile_ids_are_replaced() {
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
