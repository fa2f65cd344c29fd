//! The API's contract as clients see it: one OpenAPI document merged from every service's own
//! `/openapi.json`, served at `/openapi.json` with a reference page at `/docs`.
//!
//! The services' documents are fetched when a client asks (each within [`DEADLINE`], all at
//! once), not at start-up or build time: a service deployed alone updates the merged document,
//! and the gateway starts whatever is up. A complete merge is kept for [`FRESH`]; a service
//! that does not answer is left out and named in `x-missing-services` and in the description,
//! so a client can tell a partial document from a whole one. Schemas are each service's: one
//! whose name another service already gave a different schema is renamed `<service>.<name>`.
//! Every operation also lists what the gateway itself can answer (429, 502, 503, 504).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method};
use axum::routing::get;
use common::client::Upstream;
use common::openapi::{DOCS, DOCUMENT, error, plain, titled};
use serde_json::{Map, Value, json};

/// How long one service's document may take, connection included.
pub const DEADLINE: Duration = Duration::from_secs(2);
/// How long a merged document of every service is served before it is fetched again.
pub const FRESH: Duration = Duration::from_secs(10);
/// The statuses the gateway answers itself on any proxied operation: its rate limit, and an
/// upstream that is down (502, 503) or too slow (504).
const GATEWAY_ERRORS: [&str; 4] = ["429", "502", "503", "504"];
/// A service's document larger than this is refused as malformed.
const MAX_DOCUMENT: usize = 4 * 1024 * 1024;

type Cache = Arc<Mutex<Option<(Instant, Value)>>>;

/// `/openapi.json` and `/docs`, merging the documents of `upstreams`.
pub fn routes(upstreams: Arc<Vec<Upstream>>) -> Router {
    let cache: Cache = Arc::default();
    let (json_upstreams, json_cache) = (upstreams.clone(), cache.clone());
    Router::new()
        .route(
            DOCUMENT,
            get(move || {
                let (upstreams, cache) = (json_upstreams.clone(), json_cache.clone());
                async move { axum::Json(current(&upstreams, &cache).await) }
            }),
        )
        .route(
            DOCS,
            get(move || {
                let (upstreams, cache) = (upstreams.clone(), cache.clone());
                async move { common::openapi::page(&current(&upstreams, &cache).await) }
            }),
        )
}

/// The cached document while it is fresh, else a new merge (cached when it is complete).
async fn current(upstreams: &[Upstream], cache: &Cache) -> Value {
    if let Some((at, document)) = cache.lock().ok().and_then(|c| c.clone())
        && at.elapsed() < FRESH
    {
        return document;
    }
    let documents = fetch_all(upstreams).await;
    let document = merge(&documents);
    if document.get("x-missing-services").is_none()
        && let Ok(mut cache) = cache.lock()
    {
        *cache = Some((Instant::now(), document.clone()));
    }
    document
}

/// Each upstream's document by service name, or why it has none.
async fn fetch_all(upstreams: &[Upstream]) -> BTreeMap<String, Result<Value, String>> {
    let mut fetches = tokio::task::JoinSet::new();
    for upstream in upstreams {
        let upstream = upstream.clone();
        fetches.spawn(async move {
            let document = tokio::time::timeout(DEADLINE, fetch(&upstream))
                .await
                .unwrap_or_else(|_| Err(format!("no document within {DEADLINE:?}")));
            (upstream.name().to_owned(), document)
        });
    }
    let mut documents = BTreeMap::new();
    while let Some(joined) = fetches.join_next().await {
        if let Ok((name, document)) = joined {
            documents.insert(name, document);
        }
    }
    documents
}

async fn fetch(upstream: &Upstream) -> Result<Value, String> {
    let response = upstream
        .send(Method::GET, DOCUMENT, HeaderMap::new(), Bytes::new())
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("{DOCUMENT} answered {}", response.status()));
    }
    let body = axum::body::to_bytes(Body::new(response.into_body()), MAX_DOCUMENT)
        .await
        .map_err(|e| format!("reading {DOCUMENT}: {e}"))?;
    serde_json::from_slice(&body).map_err(|e| format!("{DOCUMENT} is not JSON: {e}"))
}

/// The gateway's own routes, then every service's API operations (its probes are its own:
/// the gateway does not route them), naming the services that are missing.
fn merge(documents: &BTreeMap<String, Result<Value, String>>) -> Value {
    let mut merged = titled("API (through the gateway)", env!("CARGO_PKG_VERSION"));
    merged["paths"]["/readyz"] = json!({ "get": plain("probes", "readyz", "Readiness: the gateway serves (it does not ask the services).", &[("200", "ready")]) });
    merged["paths"]["/status/upstreams"] = json!({ "get": plain("probes", "upstreams", "Each service's readiness and circuit state.", &[("200", "every service is ready"), ("503", "some are not: `down` names them")]) });
    let mut missing = Vec::new();
    for (service, document) in documents {
        match document {
            Ok(document) => add_service(&mut merged, service, document.clone()),
            Err(reason) => {
                tracing::warn!(service, reason, "left out of the merged OpenAPI document");
                missing.push(service.clone());
            }
        }
    }
    if !missing.is_empty() {
        let note = format!(
            " Missing (no document when this one was merged; retry later): {}.",
            missing.join(", ")
        );
        if let Some(Value::String(description)) = merged.pointer_mut("/info/description") {
            description.push_str(&note);
        }
        merged["x-missing-services"] = json!(missing);
    }
    merged
}

/// Adds `service`'s API paths, tags and schemas to `merged`.
fn add_service(merged: &mut Value, service: &str, mut document: Value) {
    let mut schemas = match document.pointer_mut("/components/schemas").map(Value::take) {
        Some(Value::Object(schemas)) => schemas,
        _ => Map::new(),
    };
    let renames: BTreeMap<String, String> = schemas
        .iter()
        .filter(|(name, schema)| {
            merged["components"]["schemas"]
                .get(name.as_str())
                .is_some_and(|existing| existing != *schema)
        })
        .map(|(name, _)| (name.clone(), format!("{service}.{name}")))
        .collect();
    for (old, new) in &renames {
        if let Some(schema) = schemas.remove(old) {
            schemas.insert(new.clone(), schema);
        }
    }
    let mut schemas = Value::Object(schemas);
    rename_references(&mut schemas, &renames);
    rename_references(&mut document, &renames);
    if let (Some(Value::Object(into)), Value::Object(schemas)) =
        (merged.pointer_mut("/components/schemas"), schemas)
    {
        into.extend(schemas);
    }
    if let (Some(Value::Array(into)), Some(Value::Array(tags))) =
        (merged.pointer_mut("/tags"), document.pointer_mut("/tags"))
    {
        for tag in tags.drain(..) {
            if !into.contains(&tag) {
                into.push(tag);
            }
        }
    }
    let paths = match document.pointer_mut("/paths").map(Value::take) {
        Some(Value::Object(paths)) => paths,
        _ => Map::new(),
    };
    for (path, mut item) in paths
        .into_iter()
        .filter(|(path, _)| path.starts_with("/api/"))
    {
        for operation in item.as_object_mut().into_iter().flat_map(Map::values_mut) {
            for status in GATEWAY_ERRORS {
                if operation["responses"].get(status).is_none() {
                    operation["responses"][status] = error(status);
                }
            }
        }
        merged["paths"][path] = item;
    }
}

/// Points every `$ref` to a renamed schema at its new name.
fn rename_references(value: &mut Value, renames: &BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref")
                && let Some(new) = reference
                    .strip_prefix("#/components/schemas/")
                    .and_then(|name| renames.get(name))
            {
                *reference = format!("#/components/schemas/{new}");
            }
            map.values_mut().for_each(|v| rename_references(v, renames));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_references(v, renames)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(entity: &str, schema: &Value) -> Value {
        let mut document = titled("s", "1");
        common::openapi::merge(
            &mut document,
            json!({
                "tags": [{ "name": entity }],
                "paths": { format!("/api/v1/{entity}"): { "get": {
                    "responses": { "200": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Shared" } } } } }
                } } },
                "components": { "schemas": { "Shared": schema } }
            }),
        );
        document
    }

    #[test]
    fn services_merge_under_their_api_paths_with_the_gateways_errors() {
        let documents = BTreeMap::from([
            (
                "a".to_owned(),
                Ok(service("apples", &json!({ "type": "string" }))),
            ),
            (
                "b".to_owned(),
                Ok(service("pears", &json!({ "type": "integer" }))),
            ),
        ]);
        let merged = merge(&documents);
        let apples = &merged["paths"]["/api/v1/apples"]["get"];
        for status in ["200", "429", "502", "503", "504"] {
            assert!(
                apples["responses"][status].is_object(),
                "{status}: {apples}"
            );
        }
        // Each service keeps its own schema; the second one is renamed, its references too.
        let schemas = &merged["components"]["schemas"];
        assert_eq!(schemas["Shared"], json!({ "type": "string" }));
        assert_eq!(schemas["b.Shared"], json!({ "type": "integer" }));
        let pears = &merged["paths"]["/api/v1/pears"]["get"]["responses"]["200"];
        assert_eq!(
            pears.pointer("/content/application~1json/schema/$ref"),
            Some(&json!("#/components/schemas/b.Shared"))
        );
        assert!(merged.get("x-missing-services").is_none());
        assert!(merged["paths"]["/status/upstreams"].is_object());
    }

    #[test]
    fn a_missing_service_is_named_and_the_others_are_served() {
        let documents = BTreeMap::from([
            (
                "a".to_owned(),
                Ok(service("apples", &json!({ "type": "string" }))),
            ),
            ("b".to_owned(), Err("unreachable".to_owned())),
        ]);
        let merged = merge(&documents);
        assert!(merged["paths"]["/api/v1/apples"].is_object());
        assert_eq!(merged["x-missing-services"], json!(["b"]));
        let description = merged["info"]["description"].as_str().unwrap_or_default();
        assert!(description.contains("Missing"), "{description}");
    }
}
