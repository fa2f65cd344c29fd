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

/// Readiness: 200 when the database answers within a second *and* holds every migration this
/// binary embeds; else 503 naming what is missing. Until then the pod gets no traffic, so a new
/// version never serves on an old schema. A PostgreSQL read replica (`DATABASE_READ_URL`) is
/// not checked: while it is down or behind, reads go to the primary, which can serve them all.
pub(super) async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let database = match tokio::time::timeout(READINESS_TIMEOUT, state.repository.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => {
            tracing::warn!(error = %error, source = ?std::error::Error::source(&error), "readiness check failed");
            Err("database check failed".to_owned())
        }
        Err(_) => {
            tracing::warn!("readiness check timed out");
            Err("database did not answer within 1s".to_owned())
        }
    };
    let schema = match &database {
        Err(_) => Err("unknown: the database is down".to_owned()),
        Ok(()) => match tokio::time::timeout(READINESS_TIMEOUT, state.repository.schema()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => {
                tracing::warn!(error = %error, source = ?std::error::Error::source(&error), "schema check failed");
                Err(error.to_string())
            }
            Err(_) => Err("schema check did not answer within 1s".to_owned()),
        },
    };
    let status = |check: &Result<(), String>| match check {
        Ok(()) => json!({ "status": "up" }),
        Err(error) => json!({ "status": "down", "error": error }),
    };
    let checks = json!({ "database": status(&database), "schema": status(&schema) });
    if database.is_ok() && schema.is_ok() {
        (
            StatusCode::OK,
            axum::Json(json!({ "status": "ready", "checks": checks })),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({ "status": "unavailable", "checks": checks })),
        )
    }
}

pub(super) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render() + &state.repository.metrics(),
    )
}
