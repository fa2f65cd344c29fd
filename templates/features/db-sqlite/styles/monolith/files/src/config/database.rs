//! The settings of the SQLite storage.

use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;

use super::{ConfigError, Env};

/// Where the database file is and how many connections to keep.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `DATABASE_URL`, e.g. `sqlite://data/app.db?mode=rwc` (`mode=rwc` creates the file).
    pub options: SqliteConnectOptions,
    /// `DATABASE_MAX_CONNECTIONS`.
    pub max_connections: u32,
}

impl DatabaseConfig {
    #[cfg(test)]
    pub(crate) const EXAMPLE_ENV: [(&'static str, &'static str); 1] =
        [("DATABASE_URL", "sqlite://data/app.db?mode=rwc")];

    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let url = env.require("DATABASE_URL", "e.g. sqlite://data/app.db?mode=rwc")?;
        let options = SqliteConnectOptions::from_str(&url)
            .map_err(|e| ConfigError::invalid("DATABASE_URL", &url, &e))?;
        let max_connections = u32::try_from(env.positive("DATABASE_MAX_CONNECTIONS", 10)?)
            .map_err(|e| ConfigError::invalid("DATABASE_MAX_CONNECTIONS", "", &e))?;
        Ok(Self {
            options,
            max_connections,
        })
    }
}
