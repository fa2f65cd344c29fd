//! The HTTP client for calls to another service (the gateway proxies through it too): a
//! timeout per attempt, retries with exponential backoff for idempotent methods only, and a
//! circuit breaker per upstream. The caller's request id is propagated.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::breaker::{BreakerConfig, BreakerState, CircuitBreaker};
use crate::http::{ApiError, REQUEST_ID_HEADER, current_request_id};

/// How one upstream is called.
#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    /// A short name for logs, metrics and error messages (the service name).
    pub name: String,
    /// e.g. `http://users:8080` (no trailing slash needed).
    pub base_url: String,
    /// Per attempt: connect plus response head.
    pub timeout: Duration,
    pub retry: RetryPolicy,
    pub breaker: BreakerConfig,
}

/// Retries for idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) after a transport error,
/// a timeout, or a 502/503/504; never for POST or PATCH, which could apply twice. The circuit
/// counts every failure but a 503, which an upstream that is up gives (see [`Upstream::send`]).
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Extra attempts after the first.
    pub max_retries: u32,
    /// Backoff before retry `n` (from 0) is `base_backoff * 2^n`.
    pub base_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            base_backoff: Duration::from_millis(50),
        }
    }
}

/// Why a call produced no response.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("{upstream} is unavailable (circuit open)")]
    CircuitOpen { upstream: String },
    #[error("{upstream} did not answer within {timeout:?}")]
    Timeout { upstream: String, timeout: Duration },
    #[error("{upstream} is unreachable")]
    Unreachable {
        upstream: String,
        #[source]
        source: hyper_util::client::legacy::Error,
    },
    #[error("invalid request to {upstream}: {reason}")]
    InvalidRequest { upstream: String, reason: String },
}

impl From<UpstreamError> for ApiError {
    /// Always the error envelope: 503 when the upstream is down or its circuit open, 504 when
    /// it is too slow. The detail goes to the log, the client gets the service name only.
    fn from(error: UpstreamError) -> Self {
        tracing::warn!(error = %error, source = ?std::error::Error::source(&error), "upstream call failed");
        match &error {
            UpstreamError::CircuitOpen { .. } => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "circuit_open",
                error.to_string(),
            ),
            UpstreamError::Timeout { upstream, .. } => ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                "upstream_timeout",
                format!("{upstream} did not answer in time"),
            ),
            UpstreamError::Unreachable { .. } => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "upstream_unavailable",
                error.to_string(),
            ),
            UpstreamError::InvalidRequest { .. } => ApiError::internal(),
        }
    }
}

/// A client for one upstream, cheap to clone (the pool and the breaker are shared).
#[derive(Debug, Clone)]
pub struct Upstream {
    config: Arc<UpstreamConfig>,
    client: Client<HttpConnector, Full<Bytes>>,
    breaker: Arc<CircuitBreaker>,
}

impl Upstream {
    pub fn new(config: UpstreamConfig) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(config.timeout));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Self {
            breaker: Arc::new(CircuitBreaker::new(config.breaker)),
            config: Arc::new(config),
            client,
        }
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub fn breaker_state(&self) -> BreakerState {
        self.breaker.state()
    }

    /// `GET path` without breaker or retries, e.g. for readiness probes of the upstream.
    pub async fn probe(&self, path: &str, timeout: Duration) -> Result<StatusCode, String> {
        let request = self.build(&Method::GET, path, &HeaderMap::new(), Bytes::new())?;
        match tokio::time::timeout(timeout, self.client.request(request)).await {
            Ok(Ok(response)) => Ok(response.status()),
            Ok(Err(error)) => Err(format!("unreachable: {error}")),
            Err(_) => Err(format!("no answer within {timeout:?}")),
        }
    }

    /// Sends `method path_and_query` with `headers` and `body`, with timeout, retries and the
    /// circuit breaker. A response with any status is `Ok`; after the last attempt a 5xx is
    /// returned as it came.
    pub async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        headers: HeaderMap,
        body: Bytes,
    ) -> Result<Response<Incoming>, UpstreamError> {
        let idempotent = matches!(
            method,
            Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE
        );
        let attempts = if idempotent {
            1 + self.config.retry.max_retries
        } else {
            1
        };
        let mut last_error = None;
        for attempt in 0..attempts {
            if attempt > 0 {
                let backoff = self.config.retry.base_backoff * 2_u32.saturating_pow(attempt - 1);
                tokio::time::sleep(backoff).await;
            }
            let Some(permit) = self.breaker.try_acquire() else {
                return Err(UpstreamError::CircuitOpen {
                    upstream: self.config.name.clone(),
                });
            };
            let request = self
                .build(&method, path_and_query, &headers, body.clone())
                .map_err(|reason| UpstreamError::InvalidRequest {
                    upstream: self.config.name.clone(),
                    reason,
                })?;
            let outcome =
                tokio::time::timeout(self.config.timeout, self.client.request(request)).await;
            match outcome {
                Ok(Ok(response)) if response.status().is_server_error() => {
                    // A 503 is the upstream answering: it is up and refuses this request only
                    // (something it needs is down, or it sheds load), so it does not count
                    // against the circuit, which would refuse its other routes too (reads of
                    // orders while users is down). Any other 5xx does.
                    if response.status() == StatusCode::SERVICE_UNAVAILABLE {
                        permit.success();
                    } else {
                        permit.failure();
                    }
                    let retryable = matches!(
                        response.status(),
                        StatusCode::BAD_GATEWAY
                            | StatusCode::SERVICE_UNAVAILABLE
                            | StatusCode::GATEWAY_TIMEOUT
                    );
                    if !retryable || attempt + 1 == attempts {
                        return Ok(response);
                    }
                    tracing::debug!(upstream = %self.config.name, status = %response.status(), attempt, "retrying");
                }
                Ok(Ok(response)) => {
                    permit.success();
                    return Ok(response);
                }
                Ok(Err(source)) => {
                    permit.failure();
                    last_error = Some(UpstreamError::Unreachable {
                        upstream: self.config.name.clone(),
                        source,
                    });
                }
                Err(_elapsed) => {
                    permit.failure();
                    last_error = Some(UpstreamError::Timeout {
                        upstream: self.config.name.clone(),
                        timeout: self.config.timeout,
                    });
                }
            }
        }
        Err(last_error.unwrap_or_else(|| UpstreamError::CircuitOpen {
            upstream: self.config.name.clone(),
        }))
    }

    fn build(
        &self,
        method: &Method,
        path_and_query: &str,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<Request<Full<Bytes>>, String> {
        let uri: Uri = format!(
            "{}{path_and_query}",
            self.config.base_url.trim_end_matches('/')
        )
        .parse()
        .map_err(|e| format!("{e}"))?;
        let mut request = Request::builder()
            .method(method.clone())
            .uri(uri)
            .body(Full::new(body))
            .map_err(|e| e.to_string())?;
        *request.headers_mut() = headers.clone();
        if !request.headers().contains_key(&REQUEST_ID_HEADER)
            && let Some(id) = current_request_id().and_then(|id| HeaderValue::from_str(&id).ok())
        {
            request.headers_mut().insert(REQUEST_ID_HEADER, id);
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream(base_url: String) -> Upstream {
        Upstream::new(UpstreamConfig {
            name: "peer".into(),
            base_url,
            timeout: Duration::from_millis(300),
            retry: RetryPolicy {
                max_retries: 1,
                base_backoff: Duration::from_millis(1),
            },
            breaker: BreakerConfig {
                failure_threshold: 2,
                cooldown: Duration::from_mins(1),
            },
        })
    }

    #[tokio::test]
    async fn unreachable_upstream_opens_the_circuit() {
        // Bind then drop: nothing listens on the port any more.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let peer = upstream(format!("http://127.0.0.1:{port}"));
        let first = peer
            .send(Method::GET, "/x", HeaderMap::new(), Bytes::new())
            .await
            .unwrap_err();
        assert!(
            matches!(first, UpstreamError::Unreachable { .. }),
            "{first}"
        );
        assert_eq!(
            peer.breaker_state(),
            BreakerState::Open,
            "two failed attempts"
        );
        let second = peer
            .send(Method::GET, "/x", HeaderMap::new(), Bytes::new())
            .await
            .unwrap_err();
        assert!(matches!(second, UpstreamError::CircuitOpen { .. }));
        let api = ApiError::from(second);
        assert_eq!(
            (api.status, api.code),
            (StatusCode::SERVICE_UNAVAILABLE, "circuit_open")
        );
    }

    #[tokio::test]
    async fn posts_are_not_retried() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let peer = upstream(format!("http://127.0.0.1:{port}"));
        let _ = peer
            .send(Method::POST, "/x", HeaderMap::new(), Bytes::new())
            .await;
        assert_eq!(
            peer.breaker_state(),
            BreakerState::Closed,
            "one attempt, one failure"
        );
    }
}
