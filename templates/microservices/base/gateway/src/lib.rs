//! The API gateway: the only entry point. It routes `/api/v1/<resource>/…` to the service that
//! owns the resource (and `/api/v1/<service>/…` to the service: [`ROUTES`]) with
//! a per-upstream timeout, retries (idempotent methods only) and a circuit breaker, limits
//! each client's request rate, propagates request ids, and reports its upstreams' health at
//! `/status/upstreams` and as gauges in `/metrics` (its own `/readyz` does not depend on them:
//! ARCHITECTURE.md).

pub mod config;
pub mod proxy;
pub mod services;
pub mod upstreams;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use axum::routing::{any, get};
use common::client::Upstream;
use common::http::health::readiness;
use common::metrics::Metrics;
use common::ratelimit::{self, RateLimiter};

pub use config::GatewayConfig;
pub use services::{ROUTES, SERVICES};

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
        let handler = {
            let upstream = upstream.clone();
            move |ConnectInfo(peer), request: Request| {
                let upstream = upstream.clone();
                async move { proxy::forward(&upstream, peer, request, body_limit).await }
            }
        };
        for route in ROUTES.iter().filter(|r| r.service == upstream.name()) {
            let prefix = format!("/api/v1/{}", route.path);
            api = api
                .route(&prefix, any(handler.clone()))
                .route(&format!("{prefix}/{{*rest}}"), any(handler.clone()));
        }
    }
    let limiter = Arc::new(RateLimiter::new(&config.rate_limit));
    let api = ratelimit::layer(api, Some(&limiter));
    let upstreams = Arc::new(upstreams);
    let status = upstreams.clone();
    let routes = api.route("/readyz", get(readyz)).route(
        "/status/upstreams",
        get(move || upstream_status(status.clone())),
    );
    let gauges = move || {
        let (upstreams, limiter) = (upstreams.clone(), limiter.clone());
        async move { upstreams::render(&upstreams::probe(&upstreams).await) + &limiter.metrics() }
    };
    common::http::app_with_scrape(
        routes,
        Arc::new(Metrics::default()),
        &config.server.http,
        gauges,
    )
}

/// The gateway's own readiness: it is configured and serving. It does not ask the services, so
/// one service's outage does not take the whole API out of the load balancer.
async fn readyz() -> Response {
    readiness(&BTreeMap::new())
}

/// 200 when every upstream's `/readyz` answers 200 within a second; otherwise 503 with
/// `"down": [names…]`. Each upstream's status and circuit state either way.
async fn upstream_status(upstreams: Arc<Vec<Upstream>>) -> Response {
    readiness(&upstreams::probe(&upstreams).await)
}
