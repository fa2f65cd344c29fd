//! The HTTP layer: routing, middleware, extractors and the JSON envelope.

mod error;
mod extract;
mod health;
mod items;
mod middleware;

use std::future::{Future, IntoFuture};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use serde::Serialize;
use tokio::net::TcpListener;

pub use error::{ApiError, method_not_allowed, not_found};
pub use extract::{Json, Path, Query};
pub use middleware::{REQUEST_ID_HEADER, current_request_id};

use crate::config::HttpConfig;
use crate::domain::ItemService;
use crate::metrics::Metrics;
use crate::repository::Repository;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    items: ItemService,
    repository: Repository,
    metrics: Arc<Metrics>,
}

impl AppState {
    pub fn new(repository: Repository) -> Self {
        Self {
            items: ItemService::new(repository.clone()),
            repository,
            metrics: Arc::default(),
        }
    }
}

/// The success envelope: `{"data": …, "meta": …}` (`meta` only when there is some).
#[derive(Debug, Serialize)]
pub struct Envelope<T, M = ()> {
    pub data: T,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<M>,
}

/// The whole application, ready to serve or to test.
pub fn router(state: AppState, config: &HttpConfig) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/api/v1/items", get(items::list).post(items::create))
        .route(
            "/api/v1/items/{id}",
            get(items::get).put(items::update).delete(items::delete),
        )
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(axum::middleware::from_fn_with_state(
            middleware::Observe::new(state.metrics.clone(), config.request_timeout),
            middleware::observe,
        ))
        .with_state(state)
}

/// Serves until `shutdown` completes, then stops accepting connections and lets in-flight
/// requests finish for at most `config.shutdown_grace`.
pub async fn serve<F>(
    listener: TcpListener,
    state: AppState,
    config: &HttpConfig,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let app = router(state, config);
    let (draining_tx, draining_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = draining_tx.send(());
    });
    let grace = config.shutdown_grace;
    let deadline = async move {
        if draining_rx.await.is_ok() {
            tokio::time::sleep(grace).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        result = server.into_future() => {
            tracing::info!("server stopped");
            result
        }
        () = deadline => {
            tracing::warn!(grace_secs = grace.as_secs(), "shutdown grace period elapsed, dropping remaining connections");
            Ok(())
        }
    }
}

/// How long `/readyz` waits for the database.
const READINESS_TIMEOUT: Duration = Duration::from_secs(1);

impl<T> Envelope<T> {
    /// A body with data and no meta.
    pub fn data(data: T) -> Self {
        Self { data, meta: None }
    }
}
