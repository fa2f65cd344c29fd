//! Rate limiting per client: a token bucket keyed by a header (when configured and present) or
//! by the peer IP. Over the limit: 429 in the error envelope with `Retry-After`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use common::http::ApiError;

use crate::config::RateLimitConfig;

/// Buckets kept before full (idle) ones are forgotten, to bound memory.
const MAX_TRACKED_CLIENTS: usize = 10_000;

#[derive(Debug)]
pub struct RateLimiter {
    config: RateLimitConfig,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    pub fn new(config: RateLimitConfig) -> Self {
        Self {
            config,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `key`; `Err(seconds)` to wait when there is none.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), u64> {
        let capacity = f64::from(self.config.burst);
        let rate = self.config.per_second;
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_TRACKED_CLIENTS && !buckets.contains_key(key) {
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * rate < capacity
            });
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        let refill = now.duration_since(bucket.updated).as_secs_f64() * rate;
        bucket.tokens = (bucket.tokens + refill).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - bucket.tokens) / rate).ceil();
            // Bounded by 1/rate, a small positive number of seconds.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Err((wait as u64).max(1))
        }
    }

    fn key(&self, request: &Request, peer: SocketAddr) -> String {
        self.config
            .key_header
            .as_ref()
            .and_then(|name| request.headers().get(name))
            .and_then(|value| value.to_str().ok())
            .map_or_else(
                || format!("ip:{}", peer.ip()),
                |value| format!("key:{value}"),
            )
    }
}

pub async fn limit(
    State(limiter): State<Arc<RateLimiter>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let key = limiter.key(&request, peer);
    match limiter.check(&key, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(retry_after) => {
            tracing::info!(client = %key, "rate limited");
            let mut response = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests; retry later",
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn limiter() -> RateLimiter {
        RateLimiter::new(RateLimitConfig {
            per_second: 2.0,
            burst: 3,
            key_header: None,
        })
    }

    #[test]
    fn allows_a_burst_then_refills() {
        let limiter = limiter();
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check("a", start).is_ok());
        }
        assert_eq!(limiter.check("a", start), Err(1));
        assert!(limiter.check("b", start).is_ok(), "clients are independent");
        assert!(
            limiter
                .check("a", start + Duration::from_millis(500))
                .is_ok()
        );
    }
}
