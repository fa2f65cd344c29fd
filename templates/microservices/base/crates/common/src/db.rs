//! PostgreSQL helpers every service uses for its OWN database: a lazily connecting pool, the
//! reads' choice of pool (its read replica, [`Reads`]), the readiness ping and the mapping of
//! sqlx errors to domain errors. Its settings are [`DatabaseConfig`].

mod replica;
mod support;

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

pub use crate::config::DatabaseConfig;
use crate::domain::Error;
pub use replica::Reads;

impl DatabaseConfig {
    /// Creates the pool without connecting: the service starts (and reports not ready) while
    /// its database is down, and connects once it is back.
    pub fn pool(&self) -> PgPool {
        PgPoolOptions::new()
            .max_connections(self.max_connections)
            .acquire_timeout(support::ACQUIRE_TIMEOUT)
            .connect_lazy_with(self.options.clone())
    }

    /// The reads on `primary`, or on the read replica (`DATABASE_READ_URL`) while it serves.
    pub fn reads(&self, primary: PgPool) -> Reads {
        Reads::new(primary, self.read.as_ref())
    }
}

/// Whether the database answers a trivial query.
pub async fn ping(pool: &PgPool) -> Result<(), Error> {
    sqlx::query("SELECT 1")
        .execute(pool)
        .await
        .map_err(storage)?;
    Ok(())
}

/// Connection trouble and a database that is shutting down are "unavailable" (503), a value
/// the database refuses is a validation error (422), everything else internal (500).
pub fn storage(error: sqlx::Error) -> Error {
    support::storage(error)
}

/// A count from SQL (`bigint`) as the `u64` the envelope uses.
pub fn count(total: i64) -> u64 {
    u64::try_from(total).unwrap_or_default()
}

/// The readiness checks of a service: its database answers within one second (`database`) and
/// holds every migration the service embeds (`schema`), so a new version never serves on an old
/// schema.
pub async fn readiness_checks(
    pool: &PgPool,
    migrator: &sqlx::migrate::Migrator,
) -> std::collections::BTreeMap<String, crate::http::health::Check> {
    use crate::http::health::Check;
    let database = match tokio::time::timeout(Duration::from_secs(1), ping(pool)).await {
        Ok(Ok(())) => Check::up(),
        Ok(Err(error)) => {
            tracing::warn!(error = %error, source = ?std::error::Error::source(&error), "readiness check failed");
            Check::down("database check failed")
        }
        Err(_) => {
            tracing::warn!("readiness check timed out");
            Check::down("database did not answer within 1s")
        }
    };
    let schema = if database.is_up() {
        match tokio::time::timeout(Duration::from_secs(1), crate::schema::check(migrator, pool))
            .await
        {
            Ok(Ok(())) => Check::up(),
            Ok(Err(error)) => {
                tracing::warn!(error = %error, source = ?std::error::Error::source(&error), "schema check failed");
                Check::down(error.to_string())
            }
            Err(_) => Check::down("schema check did not answer within 1s"),
        }
    } else {
        Check::down("unknown: the database is down")
    };
    std::collections::BTreeMap::from([
        ("database".to_owned(), database),
        ("schema".to_owned(), schema),
    ])
}
