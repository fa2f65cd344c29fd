//! The settings of the in-memory storage: none.

use super::{ConfigError, Env};

/// Nothing to configure: kept so the configuration has the same shape with every storage.
#[derive(Debug, Clone, Default)]
pub struct DatabaseConfig;

impl DatabaseConfig {
    #[cfg(test)]
    pub(crate) const EXAMPLE_ENV: [(&'static str, &'static str); 0] = [];

    #[allow(clippy::unnecessary_wraps)] // same signature as the database-backed variants
    pub fn from_env(_env: &Env) -> Result<Self, ConfigError> {
        Ok(Self)
    }
}
