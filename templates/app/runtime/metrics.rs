//! A small Prometheus registry: request count and latency histogram labelled by route template,
//! method and status, plus an in-flight gauge. Rendered in the text exposition format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

const IN_FLIGHT: Family = Family::gauge("http_requests_in_flight", "HTTP requests being served.");
const REQUESTS: Family = Family::counter("http_requests_total", "HTTP requests served.");
const DURATION: Family =
    Family::histogram("http_request_duration_seconds", "HTTP request latency.");

/// Histogram bucket upper bounds, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<Labels, Series>>,
    in_flight: AtomicI64,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Labels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Debug, Default)]
struct Series {
    count: u64,
    sum_seconds: f64,
    /// Non-cumulative counts per bucket; the last slot is `+Inf`.
    buckets: [u64; BUCKETS.len() + 1],
}

/// Decrements the in-flight gauge when dropped, so cancelled requests are not counted forever.
#[derive(Debug)]
pub struct InFlight<'a>(&'a AtomicI64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    /// Counts a request as in flight until the guard is dropped.
    pub fn start(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(&self.in_flight)
    }

    /// Records one finished request. `route` must be a template (`/api/v1/items/{id}`), never a
    /// raw path, to keep the number of series bounded.
    pub fn observe(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKETS.len());
        let labels = Labels {
            route: route.to_owned(),
            method: method.to_owned(),
            status,
        };
        let mut series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = series.entry(labels).or_default();
        entry.count += 1;
        entry.sum_seconds += seconds;
        entry.buckets[bucket] += 1;
    }

    /// The Prometheus text exposition of every series.
    pub fn render(&self) -> String {
        let series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = String::with_capacity(256 + series.len() * 1024);
        IN_FLIGHT.single(&mut out, self.in_flight.load(Ordering::Relaxed));
        REQUESTS.header(&mut out);
        for (labels, s) in series.iter() {
            let _ = writeln!(
                out,
                "http_requests_total{{{}}} {}",
                labels.render(),
                s.count
            );
        }
        DURATION.header(&mut out);
        for (labels, s) in series.iter() {
            let labels = labels.render();
            let mut cumulative = 0;
            for (i, count) in s.buckets.iter().enumerate() {
                cumulative += count;
                let le = BUCKETS
                    .get(i)
                    .map_or_else(|| "+Inf".to_owned(), f64::to_string);
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum_seconds
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        out
    }
}

/// A metric family of the text exposition: every series of the app, a feature's included, is
/// introduced by one (`const HITS: Family = Family::counter("cache_hits_total", "…");`).
#[derive(Debug, Clone, Copy)]
pub struct Family {
    pub name: &'static str,
    kind: &'static str,
    help: &'static str,
}

impl Family {
    pub const fn counter(name: &'static str, help: &'static str) -> Self {
        Self {
            name,
            kind: "counter",
            help,
        }
    }

    pub const fn gauge(name: &'static str, help: &'static str) -> Self {
        Self {
            name,
            kind: "gauge",
            help,
        }
    }

    pub const fn histogram(name: &'static str, help: &'static str) -> Self {
        Self {
            name,
            kind: "histogram",
            help,
        }
    }

    /// Appends the `# HELP` and `# TYPE` lines; the family's samples follow.
    pub fn header(&self, out: &mut String) {
        let Self { name, kind, help } = self;
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    /// Appends the header and the one sample of a family without labels.
    pub fn single(&self, out: &mut String, value: impl std::fmt::Display) {
        self.header(out);
        let _ = writeln!(out, "{} {value}", self.name);
    }
}

impl Labels {
    fn render(&self) -> String {
        format!(
            "method=\"{}\",route=\"{}\",status=\"{}\"",
            escape(&self.method),
            escape(&self.route),
            self.status
        )
    }
}

/// Escapes a label value as the exposition format requires.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counter_and_cumulative_histogram() {
        let metrics = Metrics::default();
        metrics.observe("/api/v1/items/{id}", "GET", 200, Duration::from_millis(3));
        metrics.observe("/api/v1/items/{id}", "GET", 200, Duration::from_millis(300));
        metrics.observe("/api/v1/items/{id}", "GET", 200, Duration::from_mins(1));
        let text = metrics.render();
        let labels = r#"method="GET",route="/api/v1/items/{id}",status="200""#;
        assert!(
            text.contains(&format!("http_requests_total{{{labels}}} 3\n")),
            "{text}"
        );
        for (le, count) in [
            ("0.005", 1),
            ("0.25", 1),
            ("0.5", 2),
            ("10", 2),
            ("+Inf", 3),
        ] {
            let line =
                format!("http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {count}\n");
            assert!(text.contains(&line), "missing {line} in {text}");
        }
        assert!(text.contains(&format!(
            "http_request_duration_seconds_count{{{labels}}} 3\n"
        )));
    }

    #[test]
    fn in_flight_gauge_follows_guards() {
        let metrics = Metrics::default();
        let guard = metrics.start();
        assert!(metrics.render().contains("http_requests_in_flight 1\n"));
        drop(guard);
        assert!(metrics.render().contains("http_requests_in_flight 0\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
