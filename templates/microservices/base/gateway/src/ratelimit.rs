//! Rate limiting per client: a token bucket per client key (governor's GCRA), the key being
//! the `RATE_LIMIT_KEY_HEADER` value when configured and present, else the peer's IP. Over the
//! limit: 429 in the error envelope with `Retry-After`. Every answer that went through the
//! limiter carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`
//! (draft-ietf-httpapi-ratelimit-headers).
//!
//! Memory: one small, fixed-size entry per key (an IP, or a hash of the header value, so a long
//! header cannot make an entry large), and the keys whose bucket has refilled are forgotten
//! every [`PRUNE_INTERVAL`]: a flood of distinct keys leaves behind only the keys seen within
//! the last refill time (`RATE_LIMIT_BURST / RATE_LIMIT_PER_SECOND`) and interval.

use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use common::http::ApiError;
use governor::Quota;
use governor::clock::{Clock, DefaultClock, Reference};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DashMapStateStore;

use crate::config::RateLimitConfig;

/// How often the keys whose bucket has refilled are dropped (by the first request after it).
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(1);

/// The burst size: requests a client may make at once.
pub const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
/// Requests the client may still make at once.
pub const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
/// Seconds until the client's bucket is full again.
pub const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// Whose bucket a request takes from. A header value is kept as a keyed hash: the same size
/// whatever the header's length, and logs never show a client's API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKey {
    Ip(IpAddr),
    Header(u64),
}

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip(ip) => write!(f, "ip:{ip}"),
            Self::Header(hash) => write!(f, "key:{hash:016x}"),
        }
    }
}

/// What the limiter decided for one request; times in whole seconds, rounded up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed { remaining: u32, reset: u64 },
    Limited { retry_after: u64, reset: u64 },
}

type Keyed<C> =
    governor::RateLimiter<ClientKey, DashMapStateStore<ClientKey>, C, StateInformationMiddleware>;

/// The buckets of every client, on a clock tests can replace.
pub struct RateLimiter<C: Clock = DefaultClock> {
    buckets: Keyed<C>,
    quota: Quota,
    key_header: Option<HeaderName>,
    hasher: RandomState,
    start: C::Instant,
    /// When the buckets were last pruned, in nanoseconds since `start`.
    pruned_at: AtomicU64,
}

impl RateLimiter {
    pub fn new(config: &RateLimitConfig) -> Self {
        Self::with_clock(config, DefaultClock::default())
    }
}

impl<C: Clock> RateLimiter<C> {
    pub fn with_clock(config: &RateLimitConfig, clock: C) -> Self {
        let start = clock.now();
        Self {
            buckets: governor::RateLimiter::dashmap_with_clock(config.quota, clock)
                .with_middleware(),
            quota: config.quota,
            key_header: config.key_header.clone(),
            hasher: RandomState::new(),
            start,
            pruned_at: AtomicU64::new(0),
        }
    }

    /// The configured header's value when the request has it, else the peer's address.
    pub fn key(&self, headers: &HeaderMap, peer: IpAddr) -> ClientKey {
        match self.key_header.as_ref().and_then(|name| headers.get(name)) {
            Some(value) => ClientKey::Header(self.hasher.hash_one(value.as_bytes())),
            None => ClientKey::Ip(peer),
        }
    }

    /// Takes a token from `key`'s bucket, after pruning the buckets if [`PRUNE_INTERVAL`] has
    /// passed since the last time.
    pub fn check(&self, key: ClientKey) -> Decision {
        let now = self.buckets.clock().now();
        self.prune_when_due(now);
        let period = self.quota.replenish_interval();
        let burst = self.quota.burst_size().get();
        match self.buckets.check_key(&key) {
            Ok(state) => {
                let remaining = state.remaining_burst_capacity();
                Decision::Allowed {
                    remaining,
                    reset: whole_seconds(period * (burst - remaining)),
                }
            }
            Err(refused) => {
                let wait = refused.wait_time_from(now);
                Decision::Limited {
                    retry_after: whole_seconds(wait).max(1),
                    reset: whole_seconds(wait + period * (burst - 1)),
                }
            }
        }
    }

    /// Forgets the buckets that are full again (indistinguishable from a new client's) and
    /// gives their memory back.
    pub fn prune(&self) {
        self.buckets.retain_recent();
        self.buckets.shrink_to_fit();
    }

    /// How many clients have a bucket.
    pub fn tracked_clients(&self) -> usize {
        self.buckets.len()
    }

    fn prune_when_due(&self, now: C::Instant) {
        let elapsed = u64::from(now.duration_since(self.start));
        let last = self.pruned_at.load(Ordering::Relaxed);
        let interval = u64::try_from(PRUNE_INTERVAL.as_nanos()).unwrap_or(u64::MAX);
        // One request prunes; the others that see it due at the same time go on.
        if elapsed.saturating_sub(last) >= interval
            && self
                .pruned_at
                .compare_exchange(last, elapsed, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.prune();
        }
    }

    fn insert_headers(&self, headers: &mut HeaderMap, remaining: u32, reset: u64) {
        headers.insert(
            RATELIMIT_LIMIT,
            HeaderValue::from(self.quota.burst_size().get()),
        );
        headers.insert(RATELIMIT_REMAINING, HeaderValue::from(remaining));
        headers.insert(RATELIMIT_RESET, HeaderValue::from(reset));
    }
}

fn whole_seconds(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

pub async fn limit(
    State(limiter): State<Arc<RateLimiter>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let key = limiter.key(request.headers(), peer.ip());
    match limiter.check(key) {
        Decision::Allowed { remaining, reset } => {
            let mut response = next.run(request).await;
            limiter.insert_headers(response.headers_mut(), remaining, reset);
            response
        }
        Decision::Limited { retry_after, reset } => {
            tracing::info!(client = %key, "rate limited");
            let mut response = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests; retry later",
            )
            .into_response();
            let headers = response.headers_mut();
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            limiter.insert_headers(headers, 0, reset);
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use common::config::Env;
    use governor::clock::FakeRelativeClock;

    use super::*;
    use crate::GatewayConfig;

    /// A limiter of `burst` requests refilled at `per_second`, and the clock it runs on.
    fn limiter(
        per_second: &str,
        burst: &str,
    ) -> (RateLimiter<FakeRelativeClock>, FakeRelativeClock) {
        let env = Env::from_pairs(&[
            ("RATE_LIMIT_PER_SECOND", per_second),
            ("RATE_LIMIT_BURST", burst),
        ]);
        let config = GatewayConfig::from_env(&env).unwrap();
        let clock = FakeRelativeClock::default();
        (
            RateLimiter::with_clock(&config.rate_limit, clock.clone()),
            clock,
        )
    }

    fn ip(n: u32) -> ClientKey {
        ClientKey::Ip(IpAddr::V4(Ipv4Addr::from(n)))
    }

    fn allowed(remaining: u32, reset: u64) -> Decision {
        Decision::Allowed { remaining, reset }
    }

    #[test]
    fn allows_a_burst_then_refills() {
        let (limiter, clock) = limiter("2", "3");
        let a = ip(1);
        assert_eq!(limiter.check(a), allowed(2, 1));
        assert_eq!(limiter.check(a), allowed(1, 1));
        assert_eq!(limiter.check(a), allowed(0, 2));
        assert_eq!(
            limiter.check(a),
            Decision::Limited {
                retry_after: 1,
                reset: 2
            },
            "a refused request takes nothing"
        );
        assert_eq!(
            limiter.check(ip(2)),
            allowed(2, 1),
            "clients are independent"
        );
        clock.advance(Duration::from_millis(500));
        assert_eq!(limiter.check(a), allowed(0, 2));
    }

    #[test]
    fn retry_after_is_whole_seconds_until_the_next_token() {
        let (limiter, clock) = limiter("0.25", "1");
        assert!(matches!(limiter.check(ip(1)), Decision::Allowed { .. }));
        clock.advance(Duration::from_millis(1500));
        assert_eq!(
            limiter.check(ip(1)),
            Decision::Limited {
                retry_after: 3,
                reset: 3
            }
        );
    }

    #[test]
    fn the_header_keys_clients_when_present() {
        let env = Env::from_pairs(&[("RATE_LIMIT_KEY_HEADER", "x-api-key")]);
        let config = GatewayConfig::from_env(&env).unwrap();
        let limiter = RateLimiter::new(&config.rate_limit);
        let peer = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let mut headers = HeaderMap::new();
        assert_eq!(limiter.key(&headers, peer), ClientKey::Ip(peer));
        headers.insert("x-api-key", HeaderValue::from_static("secret-a"));
        let a = limiter.key(&headers, peer);
        assert!(matches!(a, ClientKey::Header(_)), "{a}");
        assert!(!a.to_string().contains("secret"), "{a}");
        headers.insert("x-api-key", HeaderValue::from_static("secret-b"));
        assert_ne!(limiter.key(&headers, peer), a);
    }

    /// 100,000 distinct clients, once each, then quiet: one prune interval after their buckets
    /// refilled, the next request finds the limiter holding only what is still in use.
    #[test]
    fn a_flood_of_distinct_keys_is_forgotten_once_their_buckets_refill() {
        let (limiter, clock) = limiter("50", "100");
        let abuser = ip(u32::MAX);
        while matches!(limiter.check(abuser), Decision::Allowed { .. }) {}
        for n in 0..100_000 {
            assert!(matches!(limiter.check(ip(n)), Decision::Allowed { .. }));
        }
        assert_eq!(limiter.tracked_clients(), 100_001);

        // Past the interval, but the abuser's bucket (2 s to refill) is still in use.
        clock.advance(PRUNE_INTERVAL);
        assert!(matches!(limiter.check(ip(0)), Decision::Allowed { .. }));
        assert_eq!(limiter.tracked_clients(), 2, "the abuser and ip(0) remain");
        assert_eq!(limiter.check(abuser), allowed(49, 2), "its bucket was kept");

        let refill = limiter.quota.burst_size_replenished_in() + limiter.quota.replenish_interval();
        clock.advance(refill + PRUNE_INTERVAL);
        assert!(matches!(limiter.check(ip(1)), Decision::Allowed { .. }));
        assert_eq!(limiter.tracked_clients(), 1, "only ip(1), just seen");
    }
}
