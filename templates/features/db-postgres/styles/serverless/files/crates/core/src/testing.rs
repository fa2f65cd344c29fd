//! PostgreSQL for tests (feature `test-support`): each test migrates and uses its own schema in
//! the database at `DATABASE_URL`, so tests run in parallel and never see each other's rows.

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection};

use crate::repository::{DatabaseConfig, Repository};

/// A migrated schema of its own, dropped again when the value is dropped.
pub struct TestDb {
    admin: PgConnectOptions,
    schema: String,
    repository: Repository,
}

fn admin_options() -> PgConnectOptions {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "DATABASE_URL must point at a PostgreSQL server for the tests, e.g.\n  \
             DATABASE_URL=postgres://postgres:postgres@localhost:5432/postgres cargo test\n\
             (each test creates and drops its own schema there)"
        )
    });
    PgConnectOptions::from_str(&url).expect("DATABASE_URL is a valid postgres URL")
}

impl TestDb {
    /// A fresh schema with the migrations applied.
    ///
    /// # Panics
    /// When `DATABASE_URL` is unset or the database cannot be reached: the test cannot run.
    pub async fn new() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos();
        let schema = format!(
            "test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            nanos
        );
        let admin = admin_options();
        let mut conn = PgConnection::connect_with(&admin)
            .await
            .expect("connect to DATABASE_URL");
        sqlx::query(&format!("CREATE SCHEMA \"{schema}\""))
            .execute(&mut conn)
            .await
            .expect("create test schema");
        conn.close().await.ok();

        let options = admin.clone().options([("search_path", schema.as_str())]);
        let repository = Repository::new(&DatabaseConfig {
            options,
            max_connections: 2,
        });
        repository.migrate().await.expect("migrations apply");
        Self {
            admin,
            schema,
            repository,
        }
    }

    pub fn repository(&self) -> Repository {
        self.repository.clone()
    }
}

impl Drop for TestDb {
    /// Drops the schema even when the test failed; async work needs its own runtime here.
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let sql = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.schema);
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
                sqlx::query(&sql).execute(&pool).await?;
                pool.close().await;
                Ok::<_, sqlx::Error>(())
            })
        });
        if let Ok(Err(error)) = cleanup.join() {
            eprintln!(
                "warning: could not drop test schema {}: {error}",
                self.schema
            );
        }
    }
}
