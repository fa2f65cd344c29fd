//! PostgreSQL for tests (feature `test-support`): each test migrates and uses its own schema in
//! the database at `DATABASE_URL` ([`schema`]), so tests run in parallel and never see each
//! other's rows.

pub mod schema;

use crate::config::DatabaseConfig;
use crate::repository::Repository;
use schema::TestSchema;

/// A migrated schema of its own, dropped again when the value is dropped.
pub struct TestDb {
    repository: Repository,
    // Dropped after the repository: the schema outlives every use of it.
    _schema: TestSchema,
}

impl TestDb {
    /// A fresh schema with the migrations applied.
    ///
    /// # Panics
    /// When `DATABASE_URL` is unset or the database cannot be reached: the test cannot run.
    pub async fn new() -> Self {
        let schema = TestSchema::create().await;
        let repository = Repository::new(&DatabaseConfig {
            options: schema.options(),
            max_connections: 2,
            read: None,
        });
        repository.migrate().await.expect("migrations apply");
        Self {
            repository,
            _schema: schema,
        }
    }

    pub fn repository(&self) -> Repository {
        self.repository.clone()
    }
}
