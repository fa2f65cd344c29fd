use serde_json::{Value, json};

use crate::support::TestApp;

async fn create(app: &TestApp, name: &str) -> Value {
    let response = app
        .post_json(
            "/api/v1/items",
            &json!({ "name": name, "description": "a thing" }),
        )
        .await;
    assert_eq!(response.status, 201, "{}", response.body);
    response.json()["data"].clone()
}

#[tokio::test]
async fn crud_round_trip() {
    let app = TestApp::spawn().await;

    let created = app
        .post_json(
            "/api/v1/items",
            &json!({ "name": "widget", "description": "blue" }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let item = created.json()["data"].clone();
    let id = item["id"].as_i64().expect("numeric id");
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/items/{id}").as_str())
    );
    assert_eq!(item["name"], "widget");
    assert_eq!(item["description"], "blue");
    assert!(item["created_at"].is_string() && item["updated_at"].is_string());

    let fetched = app.get(&format!("/api/v1/items/{id}")).await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.json()["data"], item);

    let updated = app
        .put_json(&format!("/api/v1/items/{id}"), &json!({ "name": "gadget" }))
        .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    let updated = updated.json()["data"].clone();
    assert_eq!(updated["name"], "gadget");
    assert_eq!(updated["description"], Value::Null);
    assert_eq!(updated["created_at"], item["created_at"]);

    let deleted = app.delete(&format!("/api/v1/items/{id}")).await;
    assert_eq!(deleted.status, 204);
    assert!(deleted.body.is_empty());

    let gone = app.get(&format!("/api/v1/items/{id}")).await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.error_code(), "not_found");
    assert_eq!(app.delete(&format!("/api/v1/items/{id}")).await.status, 404);
    let update_gone = app
        .put_json(&format!("/api/v1/items/{id}"), &json!({ "name": "x" }))
        .await;
    assert_eq!(update_gone.status, 404);
}

#[tokio::test]
async fn list_is_paginated_with_meta() {
    let app = TestApp::spawn().await;
    for i in 1..=5 {
        create(&app, &format!("item-{i}")).await;
    }

    let first = app.get("/api/v1/items?page=1&per_page=2").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let body = first.json();
    assert_eq!(
        body["meta"],
        json!({ "page": 1, "per_page": 2, "total": 5 })
    );
    let names: Vec<&str> = body["data"]
        .as_array()
        .expect("data is an array")
        .iter()
        .map(|item| item["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["item-1", "item-2"]);

    let last = app.get("/api/v1/items?page=3&per_page=2").await.json();
    assert_eq!(last["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(last["data"][0]["name"], "item-5");

    let beyond = app.get("/api/v1/items?page=9").await.json();
    assert_eq!(beyond["data"], json!([]));
    assert_eq!(
        beyond["meta"],
        json!({ "page": 9, "per_page": 20, "total": 5 })
    );
}

#[tokio::test]
async fn duplicate_names_conflict() {
    let app = TestApp::spawn().await;
    let first = create(&app, "unique").await;
    let again = app
        .post_json("/api/v1/items", &json!({ "name": "unique" }))
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(again.error_code(), "conflict");

    let other = create(&app, "other").await;
    let rename = app
        .put_json(
            &format!("/api/v1/items/{}", other["id"]),
            &json!({ "name": "unique" }),
        )
        .await;
    assert_eq!(rename.status, 409);
    // Keeping one's own name is not a conflict.
    let same = app
        .put_json(
            &format!("/api/v1/items/{}", first["id"]),
            &json!({ "name": "unique" }),
        )
        .await;
    assert_eq!(same.status, 200, "{}", same.body);
}

#[tokio::test]
async fn invalid_input_is_a_422() {
    let app = TestApp::spawn().await;
    for body in [
        json!({ "name": "" }),
        json!({ "name": "x".repeat(101) }),
        json!({ "name": 42 }),
        json!({ "description": "no name" }),
        json!({ "name": "ok", "unexpected": true }),
        // PostgreSQL cannot store NUL: the domain rejects it in every text field.
        json!({ "name": "nul\u{0}byte" }),
        json!({ "name": "ok", "description": "nul\u{0}byte" }),
        json!({ "name": "ok", "description": "d".repeat(2001) }),
    ] {
        let response = app.post_json("/api/v1/items", &body).await;
        assert_eq!(response.status, 422, "{body}: {}", response.body);
        let code = response.error_code();
        assert!(
            code == "validation_failed" || code == "invalid_body",
            "{code}"
        );
    }
}

#[tokio::test]
async fn malformed_requests_are_a_400_in_the_envelope() {
    let app = TestApp::spawn().await;
    let json_headers = [("content-type", "application/json")];

    let malformed = app
        .request("POST", "/api/v1/items", Some("{\"name\":"), &json_headers)
        .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.error_code(), "malformed_json");

    let bad_id = app.get("/api/v1/items/abc").await;
    assert_eq!(bad_id.status, 400);
    assert_eq!(bad_id.error_code(), "invalid_path");

    let bad_query = app.get("/api/v1/items?page=first").await;
    assert_eq!(bad_query.status, 400);
    assert_eq!(bad_query.error_code(), "invalid_query");

    let out_of_range = app.get("/api/v1/items?per_page=1000").await;
    assert_eq!(out_of_range.status, 422);
    assert_eq!(out_of_range.error_code(), "validation_failed");

    let no_content_type = app
        .request("POST", "/api/v1/items", Some("{\"name\":\"a\"}"), &[])
        .await;
    assert_eq!(no_content_type.status, 415);
    assert_eq!(no_content_type.error_code(), "unsupported_media_type");
}
