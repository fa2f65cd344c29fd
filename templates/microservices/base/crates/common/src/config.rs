//! Configuration from environment variables, read once at startup: the settings every HTTP
//! process shares and [`Env`], through which each crate reads its own (the gateway's upstreams),
//! and a service's database settings ([`database`], its pools in [`crate::db`]).

#[cfg(feature = "postgres")]
pub mod database;
mod server;

#[cfg(feature = "postgres")]
pub use database::DatabaseConfig;
pub use server::{ConfigError, Env, HttpConfig, LogConfig, LogFormat, ServerConfig};
