//! The gateway's configuration: the common server settings, one upstream per service, and
//! rate limiting ([`RateLimitConfig`]: the limiter the `ratelimit` feature gives single-app
//! projects, in the common crate).

use std::time::Duration;

use common::breaker::BreakerConfig;
use common::client::{RetryPolicy, UpstreamConfig};
use common::config::{ConfigError, Env, ServerConfig};
pub use common::ratelimit::RateLimitConfig;

use crate::services::SERVICES;

#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub server: ServerConfig,
    pub upstreams: Vec<UpstreamConfig>,
    pub rate_limit: RateLimitConfig,
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
        Ok(Self {
            server: ServerConfig::from_env(env)?,
            upstreams,
            rate_limit: RateLimitConfig::from_env(env)?,
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
        assert!(config.rate_limit.trusted_proxies.is_empty());
        assert_eq!(config.rate_limit.quota.burst_size().get(), 100);
    }

    #[test]
    fn invalid_values_name_the_variable() {
        let url_var = format!("UPSTREAM_{}_URL", SERVICES[0].env);
        for (name, value) in [
            (url_var.as_str(), "ftp://x"),
            ("BREAKER_FAILURE_THRESHOLD", "0"),
            ("RATE_LIMIT_PER_SECOND", "0"),
            ("RATE_LIMIT_TRUSTED_PROXIES", "10.0.0.0/8,nonsense"),
        ] {
            let error = GatewayConfig::from_env(&Env::from_pairs(&[(name, value)])).unwrap_err();
            assert!(error.to_string().contains(name), "{error}");
        }
    }
}
