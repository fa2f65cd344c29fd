//! The shared core of every function: configuration, domain rules, storage, the HTTP router and
//! the queue consumer's work. Functions are thin adapters from an event source to this crate, so
//! the API behaves the same behind API Gateway, on a laptop and in a container.
//!
//! Layers, each only calling the one below it: [`http`] and [`jobs`] (transports) → [`domain`]
//! (validation, business rules) → [`repository`] (storage).

pub mod config;
pub mod domain;
pub mod healthcheck;
pub mod http;
pub mod ids;
pub mod jobs;
pub mod metrics;
pub mod repository;
pub mod shutdown;
pub mod telemetry;
#[cfg(feature = "test-support")]
pub mod testing;
