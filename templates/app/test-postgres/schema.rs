//! A PostgreSQL schema of its own for each test, in the database at `DATABASE_URL`, dropped when
//! the test ends (even when it failed): tests run in parallel and never see each other's rows.

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection};

/// An empty schema; connect with [`TestSchema::options`] and migrate it.
#[derive(Debug)]
pub struct TestSchema {
    admin: PgConnectOptions,
    name: String,
}

impl TestSchema {
    /// # Panics
    /// When `DATABASE_URL` is unset or the database cannot be reached: the test cannot run.
    pub async fn create() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos();
        let name = format!(
            "test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            nanos
        );
        let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| {
            panic!(
                "DATABASE_URL must point at a PostgreSQL server for the tests, e.g.\n  \
                 DATABASE_URL=postgres://postgres:postgres@localhost:5432/postgres cargo test\n\
                 (each test creates and drops its own schema there)"
            )
        });
        let admin = PgConnectOptions::from_str(&url).expect("DATABASE_URL is a valid postgres URL");
        let mut conn = PgConnection::connect_with(&admin)
            .await
            .expect("connect to DATABASE_URL");
        // The name is made above: `test_`, then digits and underscores.
        let sql = format!("CREATE SCHEMA \"{name}\"");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .expect("create test schema");
        conn.close().await.ok();
        Self { admin, name }
    }

    /// Where to connect: `DATABASE_URL` with this schema first on the `search_path`.
    pub fn options(&self) -> PgConnectOptions {
        self.admin
            .clone()
            .options([("search_path", self.name.as_str())])
    }
}

impl Drop for TestSchema {
    /// Async work needs its own runtime here.
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let sql = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name);
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("cleanup runtime");
            runtime.block_on(async {
                let pool = PgPoolOptions::new()
                    .max_connections(1)
                    .connect_with(admin)
                    .await?;
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await?;
                pool.close().await;
                Ok::<_, sqlx::Error>(())
            })
        });
        if let Ok(Err(error)) = cleanup.join() {
            eprintln!("warning: could not drop test schema {}: {error}", self.name);
        }
    }
}
