//! The upstreams' health, probed on demand: `/status/upstreams` answers it as JSON and every
//! `/metrics` scrape as gauges, so that dashboards and alerts see each upstream apart.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use common::breaker::BreakerState;
use common::client::Upstream;
use common::http::health::Check;
use common::metrics::Family;

use crate::config;

const UP: Family = Family::gauge(
    "gateway_upstream_up",
    "Whether the upstream's /readyz answered 2xx within a second, probed at scrape time.",
);
const CIRCUIT: Family = Family::gauge(
    "gateway_upstream_circuit_state",
    "The upstream's circuit breaker state (1 = current).",
);

/// Each upstream's `/readyz` (up when it answers 2xx within a second, probed concurrently)
/// and its circuit state, by name.
pub async fn probe(upstreams: &[Upstream]) -> BTreeMap<String, Check> {
    let mut probes = tokio::task::JoinSet::new();
    for upstream in upstreams {
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
    checks
}

/// The checks as Prometheus gauges: `gateway_upstream_up{upstream}` (1 up, 0 down) and
/// `gateway_upstream_circuit_state{upstream,state}` (1 for the current state, 0 for the others,
/// so that `== 1` selects it and every series always exists). Upstream names are service names
/// (`[a-z0-9_-]`): nothing to escape.
pub fn render(checks: &BTreeMap<String, Check>) -> String {
    let mut out = String::with_capacity(128 + checks.len() * 256);
    UP.header(&mut out);
    for (name, check) in checks {
        let _ = writeln!(
            out,
            "gateway_upstream_up{{upstream=\"{name}\"}} {}",
            u8::from(check.is_up())
        );
    }
    CIRCUIT.header(&mut out);
    for (name, check) in checks {
        for state in BreakerState::ALL.map(BreakerState::as_str) {
            let _ = writeln!(
                out,
                "gateway_upstream_circuit_state{{upstream=\"{name}\",state=\"{state}\"}} {}",
                u8::from(check.circuit == Some(state))
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_upstream_has_an_up_gauge_and_one_current_circuit_state() {
        let mut down = Check::down("unreachable");
        down.circuit = Some("open");
        let mut up = Check::up();
        up.circuit = Some("closed");
        let checks = BTreeMap::from([("orders".to_owned(), down), ("users".to_owned(), up)]);
        let text = render(&checks);
        for line in [
            "gateway_upstream_up{upstream=\"orders\"} 0\n",
            "gateway_upstream_up{upstream=\"users\"} 1\n",
            "gateway_upstream_circuit_state{upstream=\"orders\",state=\"open\"} 1\n",
            "gateway_upstream_circuit_state{upstream=\"orders\",state=\"closed\"} 0\n",
            "gateway_upstream_circuit_state{upstream=\"users\",state=\"closed\"} 1\n",
            "gateway_upstream_circuit_state{upstream=\"users\",state=\"half_open\"} 0\n",
        ] {
            assert!(text.contains(line), "missing {line} in {text}");
        }
        assert_eq!(text.matches("# TYPE").count(), 2, "{text}");
    }
}
