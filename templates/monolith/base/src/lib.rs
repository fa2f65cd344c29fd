//! The service as a library: `main.rs` only parses the command line, and the integration tests
//! drive the same code over real HTTP.
//!
//! Layers, each only calling the one below it: [`http`] (routing, extractors, envelope) →
//! [`domain`] (validation, business rules) → [`repository`] (storage).

pub mod config;
pub mod domain;
pub mod healthcheck;
pub mod http;
pub mod ids;
pub mod metrics;
pub mod repository;
pub mod shutdown;
pub mod telemetry;
