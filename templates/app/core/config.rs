//! Configuration from environment variables, read once at startup: the settings every HTTP
//! process shares ([`server`]) and those of the storage ([`database`]). Both are read through
//! [`Env`]; only `DATABASE_URL` (with a database) has no default.
//!
//! The storage's settings live here rather than in the repository, so the repository reads
//! configuration and configuration never reads the repository.

pub mod database;
mod server;

pub use database::DatabaseConfig;
pub use server::{ConfigError, Env, HttpConfig, LogConfig, LogFormat, ServerConfig};

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

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::read(&Env::process())
    }

    /// Reads `env`, so tests never touch the process environment.
    pub fn read(env: &Env) -> Result<Self, ConfigError> {
        let ServerConfig {
            host,
            port,
            http,
            log,
        } = ServerConfig::from_env(env)?;
        Ok(Self {
            host,
            port,
            http,
            log,
            database: DatabaseConfig::from_env(env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_storage_settings_are_read_with_the_server_settings() {
        let config = Config::read(&Env::from_pairs(&DatabaseConfig::EXAMPLE_ENV)).expect("valid");
        assert_eq!(config.port, 8080);
        for (name, _) in DatabaseConfig::EXAMPLE_ENV {
            let error = Config::read(&Env::from_pairs(&[])).expect_err(name);
            assert!(error.to_string().contains(name), "{error}");
        }
    }
}
