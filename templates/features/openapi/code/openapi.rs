//! The API's contract: an OpenAPI 3.1 document served at `/openapi.json`, with a reference page
//! at `/docs`.
//!
//! The schemas come from the resources' own types (`#[derive(utoipa::ToSchema)]` on each
//! resource's entity and input), and each resource's handlers module describes its operations
//! with [`resource`] from its own paths, so the document follows the code: a resource added
//! later is described by the same line. The tests check that every route the router serves is
//! in the document.

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use serde_json::{Value, json};
use utoipa::{PartialSchema, ToSchema};
use utoipa_scalar::Scalar;

/// Where the document is served.
pub const DOCUMENT: &str = "/openapi.json";
/// Where the reference page is served.
pub const DOCS: &str = "/docs";

/// The routes that serve `document` and the page that renders it.
pub fn routes<S: Clone + Send + Sync + 'static>(document: Value) -> Router<S> {
    let page = page(&document);
    let document = axum::Json(document);
    Router::new()
        .route(DOCUMENT, get(move || async move { document.clone() }))
        .route(DOCS, get(move || async move { page.clone() }))
}

/// Scalar's reference page for `document`, titled as the document is.
pub fn page(document: &Value) -> Html<String> {
    // The page embeds the document and loads Scalar's script from its CDN when a browser opens
    // it: nothing is downloaded at build time, and the API works without it.
    let title = document["info"]["title"]
        .as_str()
        .unwrap_or("API")
        .to_owned();
    Html(Scalar::new(document.clone()).title(title).to_html())
}

/// This package's whole document: the probes', this module's own routes, and each resource's
/// part.
pub fn document(resources: impl IntoIterator<Item = Value>) -> Value {
    let mut document = titled(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"));
    for part in resources {
        merge(&mut document, part);
    }
    document
}

/// The document of `title` at `version` before any resource's part: the probes', this
/// module's own routes and the schemas every part refers to.
pub fn titled(title: &str, version: &str) -> Value {
    json!({
        "openapi": "3.1.0",
        "tags": [{ "name": "probes" }, { "name": "docs" }],
        "info": {
            "title": title,
            "version": version,
            "description": "Every error is the envelope `Error`: `{\"error\": {\"code\", \"message\", \"request_id\"}}`."
        },
        "paths": {
            "/healthz": { "get": plain("probes", "healthz", "Liveness: the process answers.", &[("200", "alive")]) },
            "/readyz": { "get": plain("probes", "readyz", "Readiness: the database answers and holds every migration.", &[("200", "ready"), ("503", "not ready, with the failed checks")]) },
            "/metrics": { "get": {
                "tags": ["probes"], "operationId": "metrics", "summary": "Prometheus metrics.",
                "responses": { "200": { "description": "the exposition", "content": { "text/plain": { "schema": { "type": "string" } } } } }
            } },
            DOCUMENT: { "get": plain("docs", "openapi", "This document.", &[("200", "the OpenAPI document")]) },
            DOCS: { "get": {
                "tags": ["docs"], "operationId": "docs", "summary": "A reference page rendering this document.",
                "responses": { "200": { "description": "the page", "content": { "text/html": { "schema": { "type": "string" } } } } }
            } }
        },
        "components": { "schemas": {
            "Error": {
                "type": "object",
                "description": "The error envelope of every 4xx and 5xx answer.",
                "required": ["error"],
                "properties": { "error": {
                    "type": "object",
                    "required": ["code", "message", "request_id"],
                    "properties": {
                        "code": { "type": "string", "description": "stable and machine-readable, e.g. `validation_failed`" },
                        "message": { "type": "string", "description": "for people" },
                        "request_id": { "type": ["string", "null"], "description": "quote it when reporting a problem" }
                    }
                } }
            },
            "ListMeta": {
                "type": "object",
                "required": ["page", "per_page", "total"],
                "properties": {
                    "page": { "type": "integer", "minimum": 1 },
                    "per_page": { "type": "integer", "minimum": 1 },
                    "total": { "type": "integer", "minimum": 0 }
                }
            }
        } }
    })
}

/// A resource's part of the document: its five operations on `collection` (`/api/v1/items`)
/// and `one` (`/api/v1/items/{id}`), with its entity `E` and its input `I` as schemas.
pub fn resource<E: ToSchema, I: PartialSchema>(collection: &str, one: &str) -> Value {
    let tag = collection.rsplit('/').next().unwrap_or(collection);
    let name = E::name();
    let entity = name.to_string();
    let input = format!("{name}Input");
    let single = format!("{name}Envelope");
    let list = format!("{name}List");
    let reference = |schema: &str| json!({ "$ref": format!("#/components/schemas/{schema}") });
    let body = json!({ "required": true, "content": { "application/json": { "schema": reference(&input) } } });
    let id = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "format": "int64" } });
    let found = |description: &str| json!({ "description": description, "content": { "application/json": { "schema": reference(&single) } } });
    let page_params = json!([
        { "name": "page", "in": "query", "required": false, "description": "from 1",
          "schema": { "type": "integer", "minimum": 1, "maximum": u32::MAX, "default": 1 } },
        { "name": "per_page", "in": "query", "required": false, "description": "1 to 100",
          "schema": { "type": "integer", "minimum": 1, "maximum": 100, "default": 20 } }
    ]);
    let operation_id = |verb: &str| format!("{verb}_{}", tag.replace('-', "_"));
    // What a client can do next with the one it created (clients and test tools follow these).
    let links: serde_json::Map<String, Value> = ["get", "update", "delete"]
        .iter()
        .map(|verb| {
            let target = operation_id(verb);
            let link =
                json!({ "operationId": target, "parameters": { "id": "$response.body#/data/id" } });
            (target, link)
        })
        .collect();
    let operation = |id: &str,
                     summary: String,
                     parameters: Value,
                     request: Option<&Value>,
                     responses: Value,
                     errors: &[&str]| {
        let mut operation = json!({
            "tags": [tag],
            "operationId": operation_id(id),
            "summary": summary,
            "parameters": parameters,
            "responses": responses,
        });
        if let Some(request) = request {
            operation["requestBody"] = request.clone();
        }
        for status in errors.iter().chain(&["429", "500", "503"]) {
            operation["responses"][*status] = error(status);
        }
        operation
    };
    json!({
        "tags": [{ "name": tag }],
        "paths": {
            collection: {
                "get": operation("list", format!("A page of {tag}, oldest first."), page_params, None,
                    json!({ "200": { "description": "the page", "content": { "application/json": { "schema": reference(&list) } } } }),
                    &["400", "422"]),
                "post": operation("create", format!("Create one of the {tag}."), json!([]), Some(&body),
                    json!({ "201": {
                        "description": "created",
                        "headers": { "Location": { "required": true, "schema": { "type": "string" }, "description": "where it is" } },
                        "content": { "application/json": { "schema": reference(&single) } },
                        "links": links,
                    } }),
                    &["400", "409", "413", "415", "422"]),
            },
            one: {
                "get": operation("get", format!("One of the {tag}, by id."), json!([id]), None, json!({ "200": found("found") }), &["400", "404"]),
                "put": operation("update", format!("Replace one of the {tag}."), json!([id]), Some(&body), json!({ "200": found("updated") }),
                    &["400", "404", "409", "413", "415", "422"]),
                "delete": operation("delete", format!("Delete one of the {tag}."), json!([id]), None, json!({ "204": { "description": "deleted" } }), &["400", "404"]),
            }
        },
        "components": { "schemas": {
            entity.clone(): E::schema(),
            input: I::schema(),
            single: { "type": "object", "required": ["data"], "properties": { "data": reference(&entity) } },
            list: {
                "type": "object",
                "required": ["data", "meta"],
                "properties": { "data": { "type": "array", "items": reference(&entity) }, "meta": reference("ListMeta") }
            }
        } }
    })
}

/// An operation answering JSON of any shape with `statuses`.
pub fn plain(tag: &str, id: &str, summary: &str, statuses: &[(&str, &str)]) -> Value {
    let responses: serde_json::Map<String, Value> = statuses
        .iter()
        .map(|(status, description)| {
            let content = json!({ "application/json": { "schema": { "type": "object" } } });
            (
                (*status).to_owned(),
                json!({ "description": description, "content": content }),
            )
        })
        .collect();
    json!({ "tags": [tag], "operationId": id, "summary": summary, "responses": responses })
}

/// An answer in the error envelope.
pub fn error(status: &str) -> Value {
    let description = match status {
        "400" => "the request cannot be read (a malformed body, query or path)",
        "404" => "there is none with this id",
        "409" => "another one has the same value of a unique field",
        "413" => "the body is larger than the service accepts",
        "415" => "the body is not sent as `application/json`",
        "422" => "the values break a rule",
        "429" => "too many requests from this client (when rate limits are on)",
        "502" => {
            "the service behind the gateway answered with a bad gateway of its own; retry later"
        }
        "503" => "a backing service is unavailable or the request took too long; retry later",
        "504" => "the service behind the gateway did not answer in time; retry later",
        _ => "an internal error; quote the request id when reporting it",
    };
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

/// Adds `part`'s tags, paths and schemas to `document`.
pub fn merge(document: &mut Value, mut part: Value) {
    for section in ["/tags", "/paths", "/components/schemas"] {
        let more = part.pointer_mut(section).map(Value::take);
        match (document.pointer_mut(section), more) {
            (Some(Value::Array(entries)), Some(Value::Array(more))) => entries.extend(more),
            (Some(Value::Object(entries)), Some(Value::Object(more))) => entries.extend(more),
            _ => {}
        }
    }
}
