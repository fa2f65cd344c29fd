//! SQLite storage through sqlx: runtime-checked, parameterized queries (no database needed at
//! build time) and migrations embedded in the binary.
//!
//! Its queries are those of cargo-archgen's PostgreSQL repository in SQLite's dialect, a copy
//! on purpose: placeholders are `?N`, timestamps are bound here (SQLite's clock has no time
//! zone), and the pool and row types are the driver's; sqlx's `Any` driver would erase the types
//! the rows decode into. What does not depend on the database (the rows and their conversion,
//! the mapping of storage errors) is shared: `rows.rs`, `support.rs`.

pub mod rows;
mod support;

use sqlx::sqlite::{SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use time::OffsetDateTime;

use crate::config::DatabaseConfig;
use crate::domain::{Error, Item, ItemStore, NewItem, Page, Pagination};
use rows::{CountedRow, ItemRow};
use support::{ACQUIRE_TIMEOUT, storage};

/// The migrations in `migrations/`, embedded in the binary. Migrations applied by a newer release
/// are tolerated (`ignore_missing`): during a rollout or a rollback this version's `migrate` runs
/// on the newer schema (expand/contract keeps it compatible) and must not fail.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate::Migrator {
    ignore_missing: true,
    ..sqlx::migrate!()
};

#[derive(Debug, Clone)]
pub struct Repository {
    pool: SqlitePool,
}

/// The columns of [`ItemRow`], spliced into the SQL at compile time with `concat!`: every
/// query is a static string and every value a bound parameter.
macro_rules! columns {
    () => {
        "id, name, description, created_at, updated_at"
    };
}

impl Repository {
    /// Creates the pool without opening the file yet: the service starts (and reports not
    /// ready) while the file cannot be opened, and connects once it can. The file's directory is
    /// created if missing.
    pub fn new(config: &DatabaseConfig) -> Self {
        if let Some(dir) = config.options.get_filename().parent()
            && !dir.as_os_str().is_empty()
            && let Err(error) = std::fs::create_dir_all(dir)
        {
            tracing::warn!(%error, dir = %dir.display(), "cannot create the database directory");
        }
        let options = config
            .options
            .clone()
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal);
        let pool = SqlitePoolOptions::new()
            .max_connections(config.max_connections)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(options);
        Self { pool }
    }

    /// Applies the migrations embedded from `migrations/`.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        MIGRATOR.run(&self.pool).await
    }

    /// Whether every embedded migration is applied (readiness: new code never serves an old
    /// schema).
    pub async fn schema(&self) -> Result<(), crate::schema::SchemaError> {
        crate::schema::check(&MIGRATOR, &self.pool).await
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(storage)?;
        Ok(())
    }
}

impl ItemStore for Repository {
    async fn insert(&self, item: &NewItem) -> Result<Item, Error> {
        let sql = concat!(
            "INSERT INTO items (name, description, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?3) RETURNING ",
            columns!()
        );
        sqlx::query_as::<_, ItemRow>(sql)
            .bind(item.name())
            .bind(item.description())
            .bind(OffsetDateTime::now_utc())
            .fetch_one(&self.pool)
            .await
            .map(Item::from)
            .map_err(|e| write_error(e, item))
    }

    async fn find(&self, id: i64) -> Result<Option<Item>, Error> {
        let sql = concat!("SELECT ", columns!(), " FROM items WHERE id = ?1");
        let row = sqlx::query_as::<_, ItemRow>(sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(storage)?;
        Ok(row.map(Item::from))
    }

    /// One page and the total in one round trip: `count(*) OVER ()` is computed before
    /// `LIMIT`, so every row carries the total. Only a page past the end has no row to carry
    /// it; then (rarely) a second query counts.
    async fn list(&self, pagination: Pagination) -> Result<Page<Item>, Error> {
        let sql = concat!(
            "SELECT count(*) OVER () AS total, ",
            columns!(),
            " FROM items ORDER BY id LIMIT ?1 OFFSET ?2"
        );
        let rows = sqlx::query_as::<_, CountedRow>(sql)
            .bind(to_i64(pagination.limit()))
            .bind(to_i64(pagination.offset()))
            .fetch_all(&self.pool)
            .await
            .map_err(storage)?;
        let total = match rows.first() {
            Some(row) => row.total,
            None if pagination.offset() == 0 => 0,
            None => {
                let (total,): (i64,) = sqlx::query_as("SELECT count(*) FROM items")
                    .fetch_one(&self.pool)
                    .await
                    .map_err(storage)?;
                total
            }
        };
        Ok(Page {
            items: rows.into_iter().map(|row| Item::from(row.item)).collect(),
            total: u64::try_from(total).unwrap_or_default(),
            pagination,
        })
    }

    async fn update(&self, id: i64, item: &NewItem) -> Result<Option<Item>, Error> {
        let sql = concat!(
            "UPDATE items SET name = ?1, description = ?2, updated_at = ?3 \
             WHERE id = ?4 RETURNING ",
            columns!()
        );
        let row = sqlx::query_as::<_, ItemRow>(sql)
            .bind(item.name())
            .bind(item.description())
            .bind(OffsetDateTime::now_utc())
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| write_error(e, item))?;
        Ok(row.map(Item::from))
    }

    async fn delete(&self, id: i64) -> Result<bool, Error> {
        let result = sqlx::query("DELETE FROM items WHERE id = ?1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(storage)?;
        Ok(result.rows_affected() > 0)
    }
}

/// Page arithmetic is bounded by `u32 * u32`, far below `i64::MAX`.
fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn write_error(error: sqlx::Error, item: &NewItem) -> Error {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            crate::domain::duplicate_name(item.name())
        }
        _ => storage(error),
    }
}
