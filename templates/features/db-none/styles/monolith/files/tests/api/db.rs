//! Storage for the tests: a fresh in-memory repository per test.

use crate::app::config::DatabaseConfig;
use crate::app::repository::Repository;

pub struct TestDb {
    repository: Repository,
}

impl TestDb {
    #[allow(clippy::unused_async)] // same signature as the database-backed variants
    pub async fn new() -> Self {
        Self {
            repository: Repository::new(&DatabaseConfig),
        }
    }

    pub fn repository(&self) -> Repository {
        self.repository.clone()
    }
}
