//! The settings every HTTP process shares (address, HTTP limits, logs) and the typed access to
//! environment variables every setting is read through ([`Env`]): a missing or invalid variable
//! is an error that names it, so a misconfigured deployment fails fast and says why.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use tracing_subscriber::filter::Targets;

/// The settings every HTTP process (service or gateway) shares.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// `HOST`: the address to listen on.
    pub host: String,
    /// `PORT`: the TCP port to listen on.
    pub port: u16,
    pub http: HttpConfig,
    pub log: LogConfig,
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
    Missing { name: String, hint: &'static str },
    #[error("environment variable {name}={value:?} is invalid: {reason}")]
    Invalid {
        name: String,
        value: String,
        reason: String,
    },
}

impl ConfigError {
    pub fn invalid(name: &str, value: &str, reason: &dyn std::fmt::Display) -> Self {
        Self::Invalid {
            name: name.to_owned(),
            value: value.to_owned(),
            reason: reason.to_string(),
        }
    }
}

impl ServerConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
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
        })
    }
}

type Lookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Typed access to environment variables; tests build one from pairs and never touch the
/// process environment.
pub struct Env(Lookup);

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Env(..)")
    }
}

impl Env {
    /// The process environment.
    pub fn process() -> Self {
        Self(Box::new(|name| std::env::var(name).ok()))
    }

    /// A fixed set of variables.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        let vars: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Self(Box::new(move |name| vars.get(name).cloned()))
    }

    /// The value of `name`; empty counts as unset.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|value| !value.is_empty())
    }

    /// The value of `name`, or an error naming it and showing an example.
    pub fn require(&self, name: &str, hint: &'static str) -> Result<String, ConfigError> {
        self.get(name).ok_or_else(|| ConfigError::Missing {
            name: name.to_owned(),
            hint,
        })
    }

    pub fn parse_or<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
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

    pub fn positive(&self, name: &str, default: u64) -> Result<u64, ConfigError> {
        match self.parse_or(name, default)? {
            0 => Err(ConfigError::invalid(name, "0", &"must be greater than 0")),
            value => Ok(value),
        }
    }

    /// A duration given in milliseconds, greater than 0.
    pub fn millis(&self, name: &str, default: u64) -> Result<Duration, ConfigError> {
        self.positive(name, default).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply() {
        let config = ServerConfig::from_env(&Env::from_pairs(&[])).expect("valid config");
        assert_eq!(config.host, "0.0.0.0");
        assert_eq!(config.port, 8080);
        assert_eq!(config.http.request_timeout, Duration::from_secs(15));
        assert_eq!(config.http.body_limit, 1_048_576);
        assert_eq!(config.http.shutdown_grace, Duration::from_secs(25));
        assert_eq!(config.log.format, LogFormat::Json);
    }

    #[test]
    fn values_override_defaults() {
        let env = Env::from_pairs(&[
            ("PORT", "3000"),
            ("LOG_FORMAT", "pretty"),
            ("BODY_LIMIT_BYTES", "10"),
        ]);
        let config = ServerConfig::from_env(&env).expect("valid config");
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
            let error = ServerConfig::from_env(&Env::from_pairs(&[(name, value)])).expect_err(name);
            assert!(error.to_string().contains(name), "{error}");
        }
    }

    #[test]
    fn empty_counts_as_unset() {
        let env = Env::from_pairs(&[("PORT", "")]);
        assert_eq!(env.parse_or("PORT", 1_u16), Ok(1));
        assert!(env.require("PORT", "e.g. 8080").is_err());
    }
}
