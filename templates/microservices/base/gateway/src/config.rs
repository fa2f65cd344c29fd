//! The gateway's configuration: the common server settings, one upstream per service, and
//! rate limiting.

use std::time::Duration;

use axum::http::HeaderName;
use common::breaker::BreakerConfig;
use common::client::{RetryPolicy, UpstreamConfig};
use common::config::{ConfigError, Env, ServerConfig};

use crate::services::SERVICES;

#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub server: ServerConfig,
    pub upstreams: Vec<UpstreamConfig>,
    pub rate_limit: RateLimitConfig,
}

/// A token bucket per client: `burst` requests at once, refilled at `per_second`.
#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    /// `RATE_LIMIT_PER_SECOND`, default 50.
    pub per_second: f64,
    /// `RATE_LIMIT_BURST`, default 100.
    pub burst: u32,
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
        let per_second: f64 = env.parse_or("RATE_LIMIT_PER_SECOND", 50.0)?;
        if per_second.is_nan() || per_second <= 0.0 {
            return Err(ConfigError::invalid(
                "RATE_LIMIT_PER_SECOND",
                &per_second.to_string(),
                &"must be greater than 0",
            ));
        }
        Ok(Self {
            server: ServerConfig::from_env(env)?,
            upstreams,
            rate_limit: RateLimitConfig {
                per_second,
                burst: u32::try_from(env.positive("RATE_LIMIT_BURST", 100)?)
                    .map_err(|e| ConfigError::invalid("RATE_LIMIT_BURST", "", &e))?,
                key_header,
            },
        })
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
    }

    #[test]
    fn invalid_values_name_the_variable() {
        let url_var = format!("UPSTREAM_{}_URL", SERVICES[0].env);
        for (name, value) in [
            (url_var.as_str(), "ftp://x"),
            ("BREAKER_FAILURE_THRESHOLD", "0"),
            ("RATE_LIMIT_PER_SECOND", "-1"),
            ("RATE_LIMIT_KEY_HEADER", "bad header"),
        ] {
            let error = GatewayConfig::from_env(&Env::from_pairs(&[(name, value)])).unwrap_err();
            assert!(error.to_string().contains(name), "{error}");
        }
    }
}
