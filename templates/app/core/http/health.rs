//! Probes and metrics: `/healthz` (liveness), `/readyz` (readiness), `/metrics`.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use super::{AppState, READINESS_TIMEOUT};

/// Liveness: the process answers. Never touches the database, so a database outage does not
/// get healthy pods restarted.
pub(super) async fn healthz() -> impl IntoResponse {
    axum::Json(json!({ "status": "ok" }))
}

/// Readiness: 200 when the database answers within a second, else 503 with details.
pub(super) async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let check = match tokio::time::timeout(READINESS_TIMEOUT, state.repository.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => {
            tracing::warn!(error = %error, source = ?std::error::Error::source(&error), "readiness check failed");
            Err("database check failed")
        }
        Err(_) => {
            tracing::warn!("readiness check timed out");
            Err("database did not answer within 1s")
        }
    };
    match check {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(json!({ "status": "ready", "checks": { "database": { "status": "up" } } })),
        ),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({
                "status": "unavailable",
                "checks": { "database": { "status": "down", "error": reason } },
            })),
        ),
    }
}

pub(super) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}
