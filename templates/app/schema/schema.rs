//! Whether the database schema is at least the one this binary embeds. Readiness fails until
//! every embedded migration is applied, so a new version never serves traffic on an old schema;
//! a schema that is *newer* (migrations this binary does not know, applied by the next release)
//! is fine: migrations are expand/contract (ARCHITECTURE.md), so old code keeps working on it.

use sqlx::migrate::{Migrate, MigrateError, Migrator};
use sqlx::{Database, Pool};

/// Why the schema is not ready for this binary.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error(
        "missing migration {version} ({description}); {pending} of {embedded} embedded migrations pending, run `migrate`"
    )]
    Missing {
        version: i64,
        description: String,
        pending: usize,
        embedded: usize,
    },
    #[error("migration {version} failed part-way (dirty); fix it by hand, then run `migrate`")]
    Dirty { version: i64 },
    #[error("cannot read the applied migrations")]
    Unreadable(#[source] MigrateError),
}

/// Where sqlx records the applied migrations (`migrate!()`'s default).
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// Ok when every migration of `migrator` is recorded in `_sqlx_migrations`.
pub async fn check<DB>(migrator: &Migrator, pool: &Pool<DB>) -> Result<(), SchemaError>
where
    DB: Database,
    DB::Connection: Migrate,
{
    let mut connection = pool
        .acquire()
        .await
        .map_err(|e| SchemaError::Unreadable(e.into()))?;
    let applied = match connection.list_applied_migrations(MIGRATIONS_TABLE).await {
        Ok(applied) => applied,
        // A database nobody has migrated yet has no `_sqlx_migrations` table.
        Err(MigrateError::Execute(sqlx::Error::Database(error))) if no_table(&*error) => Vec::new(),
        Err(error) => return Err(SchemaError::Unreadable(error)),
    };
    // A migration that failed part-way (only possible without a transaction) is recorded dirty.
    let dirty = if applied.is_empty() {
        None
    } else {
        connection
            .dirty_version(MIGRATIONS_TABLE)
            .await
            .map_err(SchemaError::Unreadable)?
    };
    if let Some(version) = dirty {
        return Err(SchemaError::Dirty { version });
    }
    let embedded: Vec<_> = migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .collect();
    let missing: Vec<_> = embedded
        .iter()
        .filter(|m| !applied.iter().any(|a| a.version == m.version))
        .collect();
    match missing.first() {
        None => Ok(()),
        Some(first) => Err(SchemaError::Missing {
            version: first.version,
            description: first.description.to_string(),
            pending: missing.len(),
            embedded: embedded.len(),
        }),
    }
}

/// PostgreSQL's "undefined table" (42P01) or SQLite's "no such table".
fn no_table(error: &dyn sqlx::error::DatabaseError) -> bool {
    error.code().as_deref() == Some("42P01") || error.message().starts_with("no such table")
}
