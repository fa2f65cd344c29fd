//! The OpenAPI document (`/openapi.json`) against the router: every documented operation is
//! served, and on every documented path the router serves no method the document lacks.

use serde_json::Value;

use crate::support::TestApp;

/// The methods a route may have.
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

#[tokio::test]
async fn the_document_and_the_docs_page_are_served() {
    let app = TestApp::spawn().await;
    let document = app.get("/openapi.json").await;
    assert_eq!(document.status, 200, "{}", document.body);
    assert_eq!(document.json()["openapi"], "3.1.0");
    assert!(document.json()["components"]["schemas"]["Error"].is_object());
    let page = app.get("/docs").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("api-reference"), "{}", page.body);
}

#[tokio::test]
async fn the_router_and_the_document_agree_on_every_route() {
    let app = TestApp::spawn().await;
    let document = app.get("/openapi.json").await.json();
    let paths = document["paths"].as_object().expect("paths");
    // What the router answers for a route it does not have: the fallback's envelope.
    let unrouted = app.get("/no/such/route").await.json()["error"]["message"].clone();
    assert!(paths.len() > 5, "the resources are described: {paths:?}");
    for (path, item) in paths {
        let concrete = path.replace("{id}", "1");
        for method in METHODS {
            let documented = item.get(method.to_lowercase()).is_some();
            let body = ["POST", "PUT", "PATCH"].contains(&method).then_some("{}");
            let headers: &[(&str, &str)] = if body.is_some() {
                &[("content-type", "application/json")]
            } else {
                &[]
            };
            let response = app.request(method, &concrete, body, headers).await;
            let fallback = response.status == 405
                || (response.status == 404 && response.json()["error"]["message"] == unrouted);
            if documented {
                assert!(
                    !fallback,
                    "{method} {path} is documented but not routed: {}",
                    response.body
                );
                let statuses: Vec<&String> = item[method.to_lowercase()]["responses"]
                    .as_object()
                    .map(|r| r.keys().collect())
                    .unwrap_or_default();
                let status = response.status.to_string();
                assert!(
                    statuses.contains(&&status),
                    "{method} {path} answered {status}, documented {statuses:?}"
                );
            } else {
                assert_eq!(
                    response.status, 405,
                    "{method} {path} is routed but not in the document"
                );
            }
        }
    }
}

#[tokio::test]
async fn every_schema_reference_resolves() {
    let app = TestApp::spawn().await;
    let document = app.get("/openapi.json").await.json();
    let mut references = Vec::new();
    collect(&document, &mut references);
    assert!(!references.is_empty());
    for reference in references {
        let name = reference.trim_start_matches("#/components/schemas/");
        assert!(
            document["components"]["schemas"].get(name).is_some(),
            "{reference} is not in the document's schemas"
        );
    }
}

fn collect(value: &Value, references: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                references.push(reference.clone());
            }
            map.values().for_each(|v| collect(v, references));
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, references)),
        _ => {}
    }
}
