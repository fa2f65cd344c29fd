//! OpenTelemetry traces: every span (each request's, and any a handler opens) is exported over
//! OTLP/HTTP (protobuf) to `OTEL_EXPORTER_OTLP_ENDPOINT`, and every JSON log line written inside
//! one carries its `trace_id` and `span_id`, so a log search and a trace view meet.
//!
//! The standard `OTEL_*` settings are read by the SDK itself: the endpoint, headers and timeout
//! of the exporter, `OTEL_TRACES_SAMPLER`/`_ARG`, `OTEL_BSP_*` for the batches,
//! `OTEL_RESOURCE_ATTRIBUTES` (e.g. `deployment.environment.name=prod`), `OTEL_SERVICE_NAME`
//! (default: this crate's name, with its version as `service.version`); `OTEL_SDK_DISABLED=true`
//! turns export off. Spans go through a batch processor on a thread of its own: a request only
//! queues its span (dropped when the queue is full), so a slow or unreachable collector never
//! fails or slows one.

use std::fmt;
use std::sync::OnceLock;

use axum::http::HeaderMap;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::resource::EnvResourceDetector;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing::Subscriber;
use tracing_opentelemetry::OpenTelemetryLayer;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::failure::Failure;

/// The provider, kept to flush its last batch at exit.
static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// The layer that turns tracing spans into OpenTelemetry spans; `None` when
/// `OTEL_SDK_DISABLED=true`.
///
/// # Errors
///
/// When an `OTEL_*` setting the exporter reads is invalid (the endpoint's URL, the protocol).
pub fn layer<S>() -> Result<Option<OpenTelemetryLayer<S, SdkTracer>>, Failure>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    if std::env::var("OTEL_SDK_DISABLED").is_ok_and(|value| value.eq_ignore_ascii_case("true")) {
        return Ok(None);
    }
    if let Ok(protocol) = std::env::var("OTEL_EXPORTER_OTLP_PROTOCOL")
        && protocol != "http/protobuf"
    {
        return Err(Failure::new(format!(
            "OTEL_EXPORTER_OTLP_PROTOCOL={protocol:?} is not supported"
        ))
        .help("this service exports OTLP over HTTP: set it to http/protobuf or unset it"));
    }
    // Where another part of the project calls HTTPS (auth, jobs), reqwest's rustls is built
    // without a crypto provider and every client, this exporter's included, needs one
    // installed first: ring, as sqlx's (a second install is a no-op).
    #[allow(deprecated)]
    let _ = rustls::crypto::ring::default_provider().install_default();
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
        .map_err(|e| {
            Failure::new(format!("cannot set up the OTLP exporter: {e}")).help(
                "set OTEL_EXPORTER_OTLP_ENDPOINT to the collector's base URL, \
                 e.g. http://localhost:4318",
            )
        })?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource())
        .build();
    let tracer = provider.tracer(env!("CARGO_PKG_NAME"));
    // A second init (tests build the app more than once) keeps the first provider.
    let _ = PROVIDER.set(provider);
    Ok(Some(tracing_opentelemetry::layer().with_tracer(tracer)))
}

/// This crate's name and version, then `OTEL_RESOURCE_ATTRIBUTES`, then `OTEL_SERVICE_NAME`:
/// the later wins, as the specification orders them.
fn resource() -> Resource {
    let builder = Resource::builder_empty()
        .with_service_name(env!("CARGO_PKG_NAME"))
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .with_detector(Box::new(EnvResourceDetector::new()));
    match std::env::var("OTEL_SERVICE_NAME") {
        Ok(name) if !name.is_empty() => builder.with_service_name(name),
        _ => builder,
    }
    .build()
}

/// The W3C trace context of an incoming request (`traceparent`, `tracestate`), made current
/// until the guard drops: a span created meanwhile is its child. Without one (or with an
/// invalid one) the span starts a new trace.
#[must_use]
pub fn parent(headers: &HeaderMap) -> opentelemetry::ContextGuard {
    TraceContextPropagator::new()
        .extract(&opentelemetry_http::HeaderExtractor(headers))
        .attach()
}

/// Sends the spans still queued; called once the server has drained.
pub fn shutdown() {
    if let Some(provider) = PROVIDER.get()
        && let Err(e) = provider.shutdown()
    {
        tracing::warn!(error = %e, "could not flush the last spans");
    }
}

/// A JSON event format that adds `trace_id` and `span_id` (the OpenTelemetry span entered
/// when the event is written) to each line, beside the event's own fields.
#[derive(Debug)]
pub struct WithTraceIds<F>(pub F);

impl<S, N, F> FormatEvent<S, N> for WithTraceIds<F>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
    N: for<'writer> FormatFields<'writer> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> fmt::Result {
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        // Entering a span makes its OpenTelemetry context current (tracing-opentelemetry's
        // context activation), so the current context is the event's span.
        let context = Context::current();
        let span = context.span();
        let ids = span.span_context();
        match line.trim_end().strip_suffix('}') {
            Some(object) if ids.is_valid() => writeln!(
                writer,
                r#"{object},"trace_id":"{}","span_id":"{}"}}"#,
                ids.trace_id(),
                ids.span_id()
            ),
            _ => writer.write_str(&line),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traceparent_becomes_the_current_context() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
                .parse()
                .expect("a valid header"),
        );
        let _guard = parent(&headers);
        let context = Context::current();
        let ids = context.span().span_context().clone();
        assert_eq!(
            ids.trace_id().to_string(),
            "0af7651916cd43dd8448eb211c80319c"
        );
        assert_eq!(ids.span_id().to_string(), "b7ad6b7169203331");
        assert!(ids.is_remote());
    }

    #[test]
    fn a_garbled_traceparent_starts_a_new_trace() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "traceparent",
            "00-zz-b7ad6b7169203331-01".parse().expect("ascii"),
        );
        let _guard = parent(&headers);
        assert!(!Context::current().span().span_context().is_valid());
    }
}
