//! Storage for tests (feature `test-support`): a fresh in-memory repository per test.

use crate::repository::Repository;

/// A fresh, empty store.
#[derive(Debug, Default)]
pub struct TestDb {
    repository: Repository,
}

impl TestDb {
    #[allow(clippy::unused_async)] // same signature as the database-backed variant
    pub async fn new() -> Self {
        Self::default()
    }

    pub fn repository(&self) -> Repository {
        self.repository.clone()
    }
}
