//! The gateway's configuration: the common server settings, one upstream per service, and
//! rate limiting.

use std::num::NonZeroU32;
use std::time::Duration;

use axum::http::HeaderName;
use common::breaker::BreakerConfig;
use common::client::{RetryPolicy, UpstreamConfig};
use common::config::{ConfigError, Env, ServerConfig};
use governor::Quota;

use crate::services::SERVICES;

#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub server: ServerConfig,
    pub upstreams: Vec<UpstreamConfig>,
    pub rate_limit: RateLimitConfig,
}

/// A token bucket per client: `RATE_LIMIT_BURST` (default 100) requests at once, refilled at
/// `RATE_LIMIT_PER_SECOND` (default 50, fractions allowed); a full refill takes at most
/// [`MAX_REFILL`].
#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    pub quota: Quota,
    /// `RATE_LIMIT_KEY_HEADER`: key clients by this header (e.g. `x-api-key`) when present;
    /// by peer IP otherwise.
    pub key_header: Option<HeaderName>,
}

impl GatewayConfig {
    /// Per service `UPSTREAM_<NAME>_URL` and `UPSTREAM_<NAME>_TIMEOUT_MS` (default
    /// `UPSTREAM_TIMEOUT_MS`, 5000); for all: `UPSTREAM_RETRIES` (2), `UPSTREAM_RETRY_BACKOFF_MS`
    /// (50), `BREAKER_FAILURE_THRESHOLD` (5), `BREAKER_COOLDOWN_MS` (10000).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let default_timeout = env.positive("UPSTREAM_TIMEOUT_MS", 5000)?;
        let retry = RetryPolicy {
            max_retries: env.parse_or("UPSTREAM_RETRIES", 2)?,
            base_backoff: env.millis("UPSTREAM_RETRY_BACKOFF_MS", 50)?,
        };
        let breaker = BreakerConfig {
            failure_threshold: u32::try_from(env.positive("BREAKER_FAILURE_THRESHOLD", 5)?)
                .map_err(|e| ConfigError::invalid("BREAKER_FAILURE_THRESHOLD", "", &e))?,
            cooldown: env.millis("BREAKER_COOLDOWN_MS", 10_000)?,
        };
        let upstreams = SERVICES
            .iter()
            .map(|service| {
                let url_var = format!("UPSTREAM_{}_URL", service.env);
                let base_url = env
                    .get(&url_var)
                    .unwrap_or_else(|| format!("http://127.0.0.1:{}", service.port));
                if !(base_url.starts_with("http://")) {
                    return Err(ConfigError::invalid(
                        &url_var,
                        &base_url,
                        &"expected http://host:port (TLS ends at the ingress or the mesh)",
                    ));
                }
                Ok(UpstreamConfig {
                    name: service.name.to_owned(),
                    base_url,
                    timeout: env.millis(
                        &format!("UPSTREAM_{}_TIMEOUT_MS", service.env),
                        default_timeout,
                    )?,
                    retry,
                    breaker,
                })
            })
            .collect::<Result<_, _>>()?;
        let key_header = match env.get("RATE_LIMIT_KEY_HEADER") {
            None => None,
            Some(name) => Some(
                HeaderName::try_from(name.as_str())
                    .map_err(|e| ConfigError::invalid("RATE_LIMIT_KEY_HEADER", &name, &e))?,
            ),
        };
        Ok(Self {
            server: ServerConfig::from_env(env)?,
            upstreams,
            rate_limit: RateLimitConfig {
                quota: quota(env)?,
                key_header,
            },
        })
    }
}

/// The longest a client's bucket may take to refill from empty (`RATE_LIMIT_BURST /
/// RATE_LIMIT_PER_SECOND`): the limiter keeps a client's state at least that long.
pub const MAX_REFILL: Duration = Duration::from_hours(24);

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

/// How long `/readyz` waits for each upstream's `/readyz`.
pub const READINESS_TIMEOUT: Duration = Duration::from_secs(1);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_service_gets_an_upstream_with_defaults() {
        let config = GatewayConfig::from_env(&Env::from_pairs(&[])).unwrap();
        assert_eq!(config.upstreams.len(), SERVICES.len());
        for (upstream, service) in config.upstreams.iter().zip(SERVICES) {
            assert_eq!(
                upstream.base_url,
                format!("http://127.0.0.1:{}", service.port)
            );
            assert_eq!(upstream.timeout, Duration::from_secs(5));
        }
        assert!(config.rate_limit.key_header.is_none());
        let quota = config.rate_limit.quota;
        assert_eq!(quota.burst_size().get(), 100);
        assert_eq!(quota.replenish_interval(), Duration::from_millis(20));
    }

    #[test]
    fn fractional_rates_are_one_request_per_period() {
        let env = Env::from_pairs(&[("RATE_LIMIT_PER_SECOND", "0.25"), ("RATE_LIMIT_BURST", "3")]);
        let quota = GatewayConfig::from_env(&env).unwrap().rate_limit.quota;
        assert_eq!(quota.replenish_interval(), Duration::from_secs(4));
        assert_eq!(quota.burst_size().get(), 3);
    }

    #[test]
    fn invalid_values_name_the_variable() {
        let url_var = format!("UPSTREAM_{}_URL", SERVICES[0].env);
        for (name, value) in [
            (url_var.as_str(), "ftp://x"),
            ("BREAKER_FAILURE_THRESHOLD", "0"),
            ("RATE_LIMIT_PER_SECOND", "-1"),
            ("RATE_LIMIT_PER_SECOND", "0"),
            ("RATE_LIMIT_PER_SECOND", "NaN"),
            ("RATE_LIMIT_PER_SECOND", "10000000000"),
            ("RATE_LIMIT_PER_SECOND", "0.000001"),
            ("RATE_LIMIT_BURST", "0"),
            ("RATE_LIMIT_BURST", "5000000000"),
            ("RATE_LIMIT_KEY_HEADER", "bad header"),
        ] {
            let error = GatewayConfig::from_env(&Env::from_pairs(&[(name, value)])).unwrap_err();
            assert!(error.to_string().contains(name), "{error}");
        }
    }
}
