//! The HTTP conventions every process follows: request ids, the JSON envelope, the error
//! envelope, probes, metrics, timeouts, body limits and graceful shutdown.

mod error;
mod extract;
pub mod health;
mod middleware;

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use serde::Serialize;
use tokio::net::TcpListener;

pub use error::{ApiError, method_not_allowed, not_found};
pub use extract::{Json, Path, Query};
pub use middleware::{REQUEST_ID_HEADER, current_request_id};

use crate::config::HttpConfig;
use crate::domain::Page;
use crate::metrics::Metrics;

/// The success envelope: `{"data": …, "meta": …}` (`meta` only when there is some).
#[derive(Debug, Serialize)]
pub struct Envelope<T, M = ()> {
    pub data: T,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<M>,
}

impl<T> Envelope<T> {
    /// A body with data and no meta.
    pub fn data(data: T) -> Self {
        Self { data, meta: None }
    }
}

/// `meta` of a list response.
#[derive(Debug, Serialize)]
pub struct ListMeta {
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

impl<T> From<Page<T>> for Envelope<Vec<T>, ListMeta> {
    fn from(page: Page<T>) -> Self {
        Self {
            data: page.items,
            meta: Some(ListMeta {
                page: page.pagination.page,
                per_page: page.pagination.per_page,
                total: page.total,
            }),
        }
    }
}

/// Wraps a process's own routes (including its `/readyz`) with what every process has:
/// `/healthz`, `/metrics`, the envelope fallbacks, the body limit, and the middleware that
/// assigns request ids, logs, times out and measures every request.
pub fn app(routes: Router, metrics: Arc<Metrics>, config: &HttpConfig) -> Router {
    app_with_scrape(
        routes,
        metrics,
        config,
        || std::future::ready(String::new()),
    )
}

/// [`app`], with what `extra` returns appended to every `/metrics` scrape (Prometheus text
/// exposition, e.g. the gateway's per-upstream gauges).
pub fn app_with_scrape<F, Fut>(
    routes: Router,
    metrics: Arc<Metrics>,
    config: &HttpConfig,
    extra: F,
) -> Router
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = String> + Send + 'static,
{
    let scrape = metrics.clone();
    let routes = routes
        .route("/healthz", get(health::healthz))
        .route(
            "/metrics",
            get(move || {
                let (scrape, extra) = (scrape.clone(), extra.clone());
                async move { health::metrics(&scrape, &extra().await) }
            }),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(config.body_limit));
    middleware::layers(routes, metrics, config.request_timeout)
}

/// Serves until `shutdown` completes, then stops accepting connections and lets in-flight
/// requests finish for at most `config.shutdown_grace`. Handlers can extract the peer address
/// with `ConnectInfo<SocketAddr>`.
pub async fn serve<F>(
    listener: TcpListener,
    app: Router,
    config: &HttpConfig,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let (draining_tx, draining_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
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
