//! Configuration from environment variables, read once at startup: the settings every HTTP
//! process shares and [`Env`], through which each crate reads its own (a service's database in
//! [`crate::db`], the gateway's upstreams).

mod server;

pub use server::{ConfigError, Env, HttpConfig, LogConfig, LogFormat, ServerConfig};
