//! Probes and metrics: `/healthz` (liveness), readiness bodies, `/metrics`.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

use crate::metrics::Metrics;

/// Liveness: the process answers. Never touches a dependency, so an outage elsewhere does not
/// get healthy pods restarted.
pub async fn healthz() -> impl IntoResponse {
    axum::Json(json!({ "status": "ok" }))
}

/// `/metrics`: the registry's series, then `extra` (more series in the exposition format).
pub fn metrics(metrics: &Metrics, extra: &str) -> impl IntoResponse + use<> {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics.render() + extra,
    )
}

/// The outcome of one readiness check.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Check {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Extra detail, e.g. the gateway's circuit state for an upstream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub circuit: Option<&'static str>,
}

impl Check {
    pub fn up() -> Self {
        Self {
            status: "up",
            error: None,
            circuit: None,
        }
    }

    pub fn down(error: impl Into<String>) -> Self {
        Self {
            status: "down",
            error: Some(error.into()),
            circuit: None,
        }
    }

    pub fn is_up(&self) -> bool {
        self.status == "up"
    }
}

/// Readiness: 200 `{"status":"ready","checks":{…}}` when every check is up, else 503 with
/// `"status":"unavailable"` and `"down"` naming the failed checks.
pub fn readiness(checks: &BTreeMap<String, Check>) -> Response {
    let down: Vec<&String> = checks
        .iter()
        .filter(|(_, check)| !check.is_up())
        .map(|(name, _)| name)
        .collect();
    if down.is_empty() {
        (
            StatusCode::OK,
            axum::Json(json!({ "status": "ready", "checks": checks })),
        )
            .into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({ "status": "unavailable", "down": down, "checks": checks })),
        )
            .into_response()
    }
}
