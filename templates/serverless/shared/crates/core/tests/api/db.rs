//! Storage for the tests: the core's own fresh storage per test (`testing::TestDb`, feature
//! `test-support`), the one the functions' tests use too.

pub use crate::app::testing::TestDb;
