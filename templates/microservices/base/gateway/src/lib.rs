//! The API gateway: the only entry point. It routes `/api/v1/<service>/…` to that service with
//! a per-upstream timeout, retries (idempotent methods only) and a circuit breaker, limits
//! each client's request rate, propagates request ids, and reports its upstreams' health at
//! `/status/upstreams` (its own `/readyz` does not depend on them: ARCHITECTURE.md).

pub mod config;
pub mod proxy;
pub mod ratelimit;
pub mod services;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use axum::routing::{any, get};
use common::client::Upstream;
use common::http::health::{Check, readiness};
use common::metrics::Metrics;

pub use config::GatewayConfig;
pub use services::SERVICES;

use crate::ratelimit::RateLimiter;

/// The whole gateway, ready to serve or to test.
pub fn app(config: &GatewayConfig) -> Router {
    let upstreams: Vec<Upstream> = config
        .upstreams
        .iter()
        .cloned()
        .map(Upstream::new)
        .collect();
    let body_limit = config.server.http.body_limit;
    let mut api = Router::new();
    for upstream in &upstreams {
        let prefix = format!("/api/v1/{}", upstream.name());
        let handler = {
            let upstream = upstream.clone();
            move |ConnectInfo(peer), request: Request| {
                let upstream = upstream.clone();
                async move { proxy::forward(&upstream, peer, request, body_limit).await }
            }
        };
        api = api
            .route(&prefix, any(handler.clone()))
            .route(&format!("{prefix}/{{*rest}}"), any(handler));
    }
    let limiter = Arc::new(RateLimiter::new(config.rate_limit.clone()));
    let api = api.layer(axum::middleware::from_fn_with_state(
        limiter,
        ratelimit::limit,
    ));
    let upstreams = Arc::new(upstreams);
    let routes = api.route("/readyz", get(readyz)).route(
        "/status/upstreams",
        get(move || upstream_status(upstreams.clone())),
    );
    common::http::app(routes, Arc::new(Metrics::default()), &config.server.http)
}

/// The gateway's own readiness: it is configured and serving. It does not ask the services, so
/// one service's outage does not take the whole API out of the load balancer.
async fn readyz() -> Response {
    readiness(&BTreeMap::new())
}

/// 200 when every upstream's `/readyz` answers 200 within a second; otherwise 503 with
/// `"down": [names…]`. Each upstream's status and circuit state either way.
async fn upstream_status(upstreams: Arc<Vec<Upstream>>) -> Response {
    let mut probes = tokio::task::JoinSet::new();
    for upstream in upstreams.iter() {
        let upstream = upstream.clone();
        probes.spawn(async move {
            let outcome = upstream.probe("/readyz", config::READINESS_TIMEOUT).await;
            let mut check = match outcome {
                Ok(status) if status.is_success() => Check::up(),
                Ok(status) => Check::down(format!("readyz answered {status}")),
                Err(error) => Check::down(error),
            };
            check.circuit = Some(upstream.breaker_state().as_str());
            (upstream.name().to_owned(), check)
        });
    }
    let mut checks = BTreeMap::new();
    while let Some(joined) = probes.join_next().await {
        if let Ok((name, check)) = joined {
            checks.insert(name, check);
        }
    }
    readiness(&checks)
}
