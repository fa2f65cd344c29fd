//! Rate limiting per client: a token bucket per client key (governor's GCRA). Over the limit:
//! 429 in the error envelope with `Retry-After`. Every answer that went through the limiter
//! carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`
//! (draft-ietf-httpapi-ratelimit-headers); refusals are counted in `rate_limited_total`.
//! Only the routes wrapped by [`layer`] are limited: the probes are added outside it.
//!
//! Whose bucket a request takes from ([`ClientKey`]): the `RATE_LIMIT_KEY_HEADER` value when
//! configured and present, else the client's address ([`client_ip`]): the peer's, or, when the
//! peer is a trusted proxy (`RATE_LIMIT_TRUSTED_PROXIES`), the rightmost `X-Forwarded-For`
//! address that is not one. An untrusted peer's `X-Forwarded-For` is ignored, so a client cannot
//! pick its own bucket by sending one.
//!
//! Memory: one small, fixed-size entry per key (an IP, or a hash of the header value, so a long
//! header cannot make an entry large), and the keys whose bucket has refilled are forgotten
//! every [`PRUNE_INTERVAL`]: a flood of distinct keys leaves behind only the keys seen within
//! the last refill time (`RATE_LIMIT_BURST / RATE_LIMIT_PER_SECOND`) and interval.

use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::Quota;
use governor::clock::{Clock, DefaultClock, Reference};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DashMapStateStore;
use ipnet::IpNet;

use crate::config::{ConfigError, Env};
use crate::failure::Failure;
use crate::http::ApiError;
use crate::metrics::Family;

/// How often the keys whose bucket has refilled are dropped (by the first request after it).
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(1);

/// The longest a client's bucket may take to refill from empty (`RATE_LIMIT_BURST /
/// RATE_LIMIT_PER_SECOND`): the limiter keeps a client's state at least that long.
pub const MAX_REFILL: Duration = Duration::from_hours(24);

/// The burst size: requests a client may make at once.
pub const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
/// Requests the client may still make at once.
pub const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
/// Seconds until the client's bucket is full again.
pub const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

const LIMITED: Family = Family::counter(
    "rate_limited_total",
    "Requests refused with 429: the client's bucket was empty.",
);
const CLIENTS: Family = Family::gauge(
    "rate_limit_clients",
    "Clients whose bucket is not full (tracked).",
);

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// A token bucket per client: `RATE_LIMIT_BURST` (default 100) requests at once, refilled at
/// `RATE_LIMIT_PER_SECOND` (default 50, fractions allowed); a full refill takes at most
/// [`MAX_REFILL`].
#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    pub quota: Quota,
    /// `RATE_LIMIT_KEY_HEADER`: key clients by this header (e.g. `x-api-key`) when present;
    /// by their address otherwise.
    pub key_header: Option<HeaderName>,
    /// `RATE_LIMIT_TRUSTED_PROXIES`: comma-separated CIDRs (or single addresses) of the proxies
    /// in front of this process, whose `X-Forwarded-For` is believed. Empty (the default):
    /// trust no one, the peer is the client.
    pub trusted_proxies: Vec<IpNet>,
}

impl RateLimitConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let key_header = match env.get("RATE_LIMIT_KEY_HEADER") {
            None => None,
            Some(name) => Some(
                HeaderName::try_from(name.trim())
                    .map_err(|e| ConfigError::invalid("RATE_LIMIT_KEY_HEADER", &name, &e))?,
            ),
        };
        Ok(Self {
            quota: quota(env)?,
            key_header,
            trusted_proxies: trusted_proxies(env)?,
        })
    }
}

/// The limiter the process environment configures, for `serve`.
pub fn from_env() -> Result<Arc<RateLimiter>, Failure> {
    let config = RateLimitConfig::from_env(&Env::process()).map_err(|error| invalid(&error))?;
    Ok(Arc::new(RateLimiter::new(&config)))
}

/// A bad rate-limit setting as the command line says it: the error, and what to set instead.
pub fn invalid(error: &ConfigError) -> Failure {
    Failure::new(error.to_string()).help(
        "RATE_LIMIT_PER_SECOND takes a number above 0 (e.g. 50 or 0.5), RATE_LIMIT_BURST a whole \
         number of at least 1, RATE_LIMIT_TRUSTED_PROXIES a comma-separated list of CIDRs \
         (e.g. 10.0.0.0/8,::1/128), RATE_LIMIT_KEY_HEADER a header name; see .env.example",
    )
}

fn quota(env: &Env) -> Result<Quota, ConfigError> {
    let per_second: f64 = env.parse_or("RATE_LIMIT_PER_SECOND", 50.0)?;
    let burst = env.positive("RATE_LIMIT_BURST", 100)?;
    let burst = u32::try_from(burst)
        .ok()
        .and_then(NonZeroU32::new)
        .ok_or_else(|| {
            ConfigError::invalid("RATE_LIMIT_BURST", &burst.to_string(), &"too large")
        })?;
    // One request's worth comes back every `period`: NaN, negative, zero, and rates too high or
    // too low for a nanosecond clock are refused here.
    let quota = Duration::try_from_secs_f64(1.0 / per_second)
        .ok()
        .and_then(Quota::with_period)
        .ok_or_else(|| {
            ConfigError::invalid(
                "RATE_LIMIT_PER_SECOND",
                &per_second.to_string(),
                &"must be greater than 0 and at most 1000000000 (one a nanosecond)",
            )
        })?
        .allow_burst(burst);
    match quota.replenish_interval().checked_mul(burst.get()) {
        Some(refill) if refill <= MAX_REFILL => Ok(quota),
        _ => Err(ConfigError::invalid(
            "RATE_LIMIT_PER_SECOND",
            &per_second.to_string(),
            &format!(
                "refilling RATE_LIMIT_BURST={burst} would take longer than {} s",
                MAX_REFILL.as_secs()
            ),
        )),
    }
}

fn trusted_proxies(env: &Env) -> Result<Vec<IpNet>, ConfigError> {
    let Some(list) = env.get("RATE_LIMIT_TRUSTED_PROXIES") else {
        return Ok(Vec::new());
    };
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .map(|net| net.trunc())
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    ConfigError::invalid(
                        "RATE_LIMIT_TRUSTED_PROXIES",
                        &list,
                        &format!("`{entry}` is not a CIDR such as 10.0.0.0/8 or an address"),
                    )
                })
        })
        .collect()
}

/// The client's address: the peer's, unless the peer is a trusted proxy; then, walking
/// `X-Forwarded-For` from the right (the entry the nearest proxy added), the first address
/// that is not a trusted proxy. When every entry is trusted, the leftmost; when an entry is
/// not an address, the proxy that passed it on (what lies left of it cannot be checked).
pub fn client_ip(trusted: &[IpNet], headers: &HeaderMap, peer: IpAddr) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer.to_canonical();
    if !is_trusted(&client) {
        return client;
    }
    let entries: Vec<&str> = headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .flat_map(|value| value.to_str().unwrap_or("").split(','))
        .collect();
    for entry in entries.iter().rev() {
        let Some(ip) = forwarded_ip(entry.trim()) else {
            return client;
        };
        client = ip.to_canonical();
        if !is_trusted(&client) {
            return client;
        }
    }
    client
}

/// An `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5`, `[::1]:5`).
fn forwarded_ip(entry: &str) -> Option<IpAddr> {
    entry
        .parse()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// Whose bucket a request takes from. A header value is kept as a keyed hash: the same size
/// whatever the header's length, and logs never show a client's API key. Another source of
/// identity (a verified token's subject) is one more variant.
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
    trusted_proxies: Vec<IpNet>,
    hasher: RandomState,
    start: C::Instant,
    /// When the buckets were last pruned, in nanoseconds since `start`.
    pruned_at: AtomicU64,
    /// Requests refused so far: `rate_limited_total`.
    limited: AtomicU64,
}

impl<C: Clock> fmt::Debug for RateLimiter<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("quota", &self.quota)
            .field("key_header", &self.key_header)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish_non_exhaustive()
    }
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
            trusted_proxies: config.trusted_proxies.clone(),
            hasher: RandomState::new(),
            start,
            pruned_at: AtomicU64::new(0),
            limited: AtomicU64::new(0),
        }
    }

    /// The configured header's value when the request has it, else the client's address
    /// ([`client_ip`]).
    pub fn key(&self, headers: &HeaderMap, peer: IpAddr) -> ClientKey {
        match self.key_header.as_ref().and_then(|name| headers.get(name)) {
            Some(value) => ClientKey::Header(self.hasher.hash_one(value.as_bytes())),
            None => ClientKey::Ip(client_ip(&self.trusted_proxies, headers, peer)),
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
                self.limited.fetch_add(1, Ordering::Relaxed);
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

    /// The limiter's series in the Prometheus text exposition, for `/metrics`.
    pub fn metrics(&self) -> String {
        let mut out = String::new();
        LIMITED.single(&mut out, self.limited.load(Ordering::Relaxed));
        CLIENTS.single(&mut out, self.tracked_clients());
        out
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

/// `routes` behind `limiter`; unchanged without one (a state built without the feature's
/// handle, as in the app's integration tests).
pub fn layer<S>(routes: Router<S>, limiter: Option<&Arc<RateLimiter>>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    match limiter {
        Some(limiter) => routes.layer(axum::middleware::from_fn_with_state(limiter.clone(), limit)),
        None => routes,
    }
}

/// The limiter's series for `/metrics`; nothing without one.
pub fn metrics(limiter: Option<&Arc<RateLimiter>>) -> String {
    limiter.map(|limiter| limiter.metrics()).unwrap_or_default()
}

/// The middleware: takes a token from the client's bucket, or answers 429. A server that does
/// not record peer addresses (a router called in memory) counts every request as one client's.
pub async fn limit(
    State(limiter): State<Arc<RateLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    let key = limiter.key(request.headers(), peer);
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
    use axum::body::Body;
    use axum::routing::get;
    use governor::clock::FakeRelativeClock;
    use tower::ServiceExt;

    use super::*;

    fn config(pairs: &[(&str, &str)]) -> RateLimitConfig {
        RateLimitConfig::from_env(&Env::from_pairs(pairs)).unwrap()
    }

    /// A limiter of `burst` requests refilled at `per_second`, and the clock it runs on.
    fn limiter(
        per_second: &str,
        burst: &str,
    ) -> (RateLimiter<FakeRelativeClock>, FakeRelativeClock) {
        let config = config(&[
            ("RATE_LIMIT_PER_SECOND", per_second),
            ("RATE_LIMIT_BURST", burst),
        ]);
        let clock = FakeRelativeClock::default();
        (RateLimiter::with_clock(&config, clock.clone()), clock)
    }

    fn ip(n: u32) -> ClientKey {
        ClientKey::Ip(IpAddr::V4(Ipv4Addr::from(n)))
    }

    fn allowed(remaining: u32, reset: u64) -> Decision {
        Decision::Allowed { remaining, reset }
    }

    fn addr(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(X_FORWARDED_FOR, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn defaults_are_a_burst_of_100_at_50_a_second_trusting_no_proxy() {
        let config = config(&[]);
        assert_eq!(config.quota.burst_size().get(), 100);
        assert_eq!(config.quota.replenish_interval(), Duration::from_millis(20));
        assert!(config.key_header.is_none());
        assert!(config.trusted_proxies.is_empty());
    }

    #[test]
    fn fractional_rates_are_one_request_per_period() {
        let config = config(&[("RATE_LIMIT_PER_SECOND", "0.25"), ("RATE_LIMIT_BURST", "3")]);
        assert_eq!(config.quota.replenish_interval(), Duration::from_secs(4));
        assert_eq!(config.quota.burst_size().get(), 3);
    }

    #[test]
    fn invalid_values_name_the_variable_and_say_what_to_set() {
        for (name, value) in [
            ("RATE_LIMIT_PER_SECOND", "-1"),
            ("RATE_LIMIT_PER_SECOND", "0"),
            ("RATE_LIMIT_PER_SECOND", "NaN"),
            ("RATE_LIMIT_PER_SECOND", "fast"),
            ("RATE_LIMIT_PER_SECOND", "10000000000"),
            ("RATE_LIMIT_PER_SECOND", "0.000001"),
            ("RATE_LIMIT_BURST", "0"),
            ("RATE_LIMIT_BURST", "-3"),
            ("RATE_LIMIT_BURST", "5000000000"),
            ("RATE_LIMIT_KEY_HEADER", "bad header"),
            ("RATE_LIMIT_TRUSTED_PROXIES", "10.0.0.0/8,example.com"),
            ("RATE_LIMIT_TRUSTED_PROXIES", "10.0.0.0/33"),
        ] {
            let error = RateLimitConfig::from_env(&Env::from_pairs(&[(name, value)])).unwrap_err();
            assert!(error.to_string().contains(name), "{error}");
            let text = crate::failure::render(&invalid(&error));
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), 2, "{text}");
            assert!(
                lines[0].starts_with("error: ") && lines[1].starts_with("help: "),
                "{text}"
            );
        }
    }

    #[test]
    fn trusted_proxies_are_cidrs_or_addresses() {
        let config = config(&[(
            "RATE_LIMIT_TRUSTED_PROXIES",
            " 10.1.2.3/8 , ::1, 192.168.0.7,,fd00::/8",
        )]);
        let nets: Vec<String> = config
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            nets,
            ["10.0.0.0/8", "::1/128", "192.168.0.7/32", "fd00::/8"]
        );
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let trusted = config(&[("RATE_LIMIT_TRUSTED_PROXIES", "10.0.0.0/8")]).trusted_proxies;
        let spoofed = forwarded(&["1.2.3.4", "5.6.7.8"]);
        let peer = addr("203.0.113.9");
        assert_eq!(client_ip(&trusted, &spoofed, peer), peer);
        assert_eq!(
            client_ip(&[], &spoofed, addr("10.0.0.1")),
            addr("10.0.0.1"),
            "trust no one"
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_address_is_the_client() {
        let trusted =
            config(&[("RATE_LIMIT_TRUSTED_PROXIES", "127.0.0.0/8,10.0.0.0/8")]).trusted_proxies;
        let peer = addr("127.0.0.1");
        // The client claimed 6.6.6.6; the ingress appended the address it saw, then a proxy
        // inside the cluster appended the ingress's.
        let headers = forwarded(&["6.6.6.6, 198.51.100.7", "10.4.0.3"]);
        assert_eq!(client_ip(&trusted, &headers, peer), addr("198.51.100.7"));
        // Ports and IPv6 in brackets, as some proxies write them.
        let headers = forwarded(&["[2001:db8::1]:4711, 10.0.0.2:80"]);
        assert_eq!(client_ip(&trusted, &headers, peer), addr("2001:db8::1"));
        // All trusted: the leftmost; none forwarded: the peer.
        assert_eq!(
            client_ip(&trusted, &forwarded(&["10.0.0.9, 10.0.0.2"]), peer),
            addr("10.0.0.9")
        );
        assert_eq!(client_ip(&trusted, &HeaderMap::new(), peer), peer);
        // Garbage from the left is not believed: the proxy that passed it on is the client.
        let headers = forwarded(&["nonsense, 10.0.0.2"]);
        assert_eq!(client_ip(&trusted, &headers, peer), addr("10.0.0.2"));
        // An IPv4 peer seen through an IPv6 socket is the IPv4 address.
        let mapped = IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped());
        assert_eq!(
            client_ip(&trusted, &forwarded(&["198.51.100.7"]), mapped),
            addr("198.51.100.7")
        );
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
        assert!(
            limiter.metrics().contains("\nrate_limited_total 1\n"),
            "{}",
            limiter.metrics()
        );
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
        let limiter = RateLimiter::new(&config(&[("RATE_LIMIT_KEY_HEADER", "x-api-key")]));
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

    /// The middleware on a router: an over-limit request gets the envelope and the headers,
    /// and a forwarded address from an untrusted peer does not buy a fresh bucket.
    #[tokio::test]
    async fn the_layer_answers_429_in_the_envelope_with_the_headers() {
        let limiter = Arc::new(RateLimiter::new(&config(&[
            ("RATE_LIMIT_PER_SECOND", "0.01"),
            ("RATE_LIMIT_BURST", "1"),
        ])));
        let app = layer(
            Router::new().route("/", get(|| async { "ok" })),
            Some(&limiter),
        );
        let request = |spoof: &str| {
            let mut request = Request::builder()
                .uri("/")
                .header(X_FORWARDED_FOR, spoof)
                .body(Body::empty())
                .unwrap();
            request
                .extensions_mut()
                .insert(ConnectInfo(SocketAddr::from(([203, 0, 113, 9], 40_000))));
            request
        };
        let first = app.clone().oneshot(request("1.1.1.1")).await.unwrap();
        assert_eq!(first.status(), StatusCode::OK);
        assert_eq!(first.headers()[RATELIMIT_LIMIT], "1");
        assert_eq!(first.headers()[RATELIMIT_REMAINING], "0");
        let second = app.oneshot(request("2.2.2.2")).await.unwrap();
        assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
        let headers = second.headers().clone();
        assert_eq!(headers[header::RETRY_AFTER], "100");
        assert_eq!(headers[RATELIMIT_REMAINING], "0");
        assert_eq!(headers[RATELIMIT_RESET], "100");
        let body = axum::body::to_bytes(second.into_body(), 1 << 16)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "rate_limited", "{body}");
        assert!(metrics(Some(&limiter)).contains("\nrate_limited_total 1\n"));
        assert_eq!(metrics(None), "");
    }
}
