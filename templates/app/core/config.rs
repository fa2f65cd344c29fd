//! Configuration from environment variables, read once at startup.
//!
//! Every variable but `DATABASE_URL` has a default; a missing or invalid one is an error that
//! names it, so a misconfigured deployment fails fast and says why.

use std::str::FromStr;
use std::time::Duration;

use tracing_subscriber::filter::Targets;

use crate::repository::DatabaseConfig;

/// Everything the service reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// `HOST`: the address to listen on.
    pub host: String,
    /// `PORT`: the TCP port to listen on.
    pub port: u16,
    pub http: HttpConfig,
    pub log: LogConfig,
    pub database: DatabaseConfig,
}

/// How the HTTP server treats requests.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// `REQUEST_TIMEOUT_SECS`: a request still running after this gets a 503.
    pub request_timeout: Duration,
    /// `BODY_LIMIT_BYTES`: larger request bodies get a 413.
    pub body_limit: usize,
    /// `SHUTDOWN_GRACE_SECS`: how long in-flight requests may finish after SIGTERM.
    pub shutdown_grace: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(15),
            body_limit: 1024 * 1024,
            shutdown_grace: Duration::from_secs(25),
        }
    }
}

/// Log output settings.
#[derive(Debug, Clone)]
pub struct LogConfig {
    /// `LOG_FORMAT`: `json` (default) or `pretty`.
    pub format: LogFormat,
    /// `RUST_LOG`: e.g. `info` or `info,sqlx=warn,tower=debug` (per-target levels).
    pub filter: Targets,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// A variable that is missing or cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("environment variable {name} is not set ({hint})")]
    Missing {
        name: &'static str,
        hint: &'static str,
    },
    #[error("environment variable {name}={value:?} is invalid: {reason}")]
    Invalid {
        name: &'static str,
        value: String,
        reason: String,
    },
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup`, so tests never touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(&lookup);
        Ok(Self {
            host: env.parse_or("HOST", "0.0.0.0".to_owned())?,
            port: env.parse_or("PORT", 8080)?,
            http: HttpConfig {
                request_timeout: Duration::from_secs(env.positive("REQUEST_TIMEOUT_SECS", 15)?),
                body_limit: usize::try_from(env.positive("BODY_LIMIT_BYTES", 1024 * 1024)?)
                    .map_err(|e| ConfigError::invalid("BODY_LIMIT_BYTES", "", &e))?,
                shutdown_grace: Duration::from_secs(env.parse_or("SHUTDOWN_GRACE_SECS", 25)?),
            },
            log: LogConfig {
                format: match env.get("LOG_FORMAT").as_deref() {
                    None | Some("json") => LogFormat::Json,
                    Some("pretty") => LogFormat::Pretty,
                    Some(other) => {
                        return Err(ConfigError::invalid(
                            "LOG_FORMAT",
                            other,
                            &"expected `json` or `pretty`",
                        ));
                    }
                },
                filter: env.parse_or(
                    "RUST_LOG",
                    Targets::new().with_default(tracing::Level::INFO),
                )?,
            },
            database: DatabaseConfig::from_env(&env)?,
        })
    }
}

impl ConfigError {
    pub(crate) fn invalid(name: &'static str, value: &str, reason: &dyn std::fmt::Display) -> Self {
        Self::Invalid {
            name,
            value: value.to_owned(),
            reason: reason.to_string(),
        }
    }
}

/// Typed access to the variables; the db layer reads its own through it.
pub(crate) struct Env<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    /// The value of `name`; empty counts as unset.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|value| !value.is_empty())
    }

    pub(crate) fn parse_or<T>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        match self.get(name) {
            None => Ok(default),
            Some(value) => value
                .trim()
                .parse()
                .map_err(|e| ConfigError::invalid(name, &value, &e)),
        }
    }

    pub(crate) fn positive(&self, name: &'static str, default: u64) -> Result<u64, ConfigError> {
        match self.parse_or(name, default)? {
            0 => Err(ConfigError::invalid(name, "0", &"must be greater than 0")),
            value => Ok(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    fn minimal() -> Vec<(&'static str, &'static str)> {
        DatabaseConfig::EXAMPLE_ENV.to_vec()
    }

    #[test]
    fn defaults_apply() {
        let config = config(&minimal()).expect("valid config");
        assert_eq!(config.host, "0.0.0.0");
        assert_eq!(config.port, 8080);
        assert_eq!(config.http.request_timeout, Duration::from_secs(15));
        assert_eq!(config.http.body_limit, 1_048_576);
        assert_eq!(config.http.shutdown_grace, Duration::from_secs(25));
        assert_eq!(config.log.format, LogFormat::Json);
    }

    #[test]
    fn values_override_defaults() {
        let mut vars = minimal();
        vars.extend([
            ("PORT", "3000"),
            ("LOG_FORMAT", "pretty"),
            ("BODY_LIMIT_BYTES", "10"),
        ]);
        let config = config(&vars).expect("valid config");
        assert_eq!(config.port, 3000);
        assert_eq!(config.log.format, LogFormat::Pretty);
        assert_eq!(config.http.body_limit, 10);
    }

    #[test]
    fn invalid_values_name_the_variable() {
        for (name, value) in [
            ("PORT", "eighty"),
            ("PORT", "70000"),
            ("REQUEST_TIMEOUT_SECS", "0"),
            ("LOG_FORMAT", "xml"),
            ("RUST_LOG", "info,sqlx=loud"),
        ] {
            let mut vars = minimal();
            vars.push((name, value));
            let error = config(&vars).expect_err(name);
            assert!(error.to_string().contains(name), "{error}");
        }
    }
}
