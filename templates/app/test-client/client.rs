//! Requests to a router in memory: `tower::ServiceExt::oneshot` calls the app's service as the
//! server would, with no socket, so tests need no HTTP client and run in parallel.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request};
use serde_json::Value;
use tower::ServiceExt;

/// The app under test, called in memory.
#[derive(Debug, Clone)]
pub struct TestClient {
    router: Router,
}

impl TestClient {
    pub fn new(router: Router) -> Self {
        Self { router }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request("GET", path, None, &[]).await
    }

    pub async fn delete(&self, path: &str) -> TestResponse {
        self.request("DELETE", path, None, &[]).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> TestResponse {
        self.json("POST", path, body).await
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> TestResponse {
        self.json("PUT", path, body).await
    }

    async fn json(&self, method: &str, path: &str, body: &Value) -> TestResponse {
        let content_type = [("content-type", "application/json")];
        self.request(method, path, Some(&body.to_string()), &content_type)
            .await
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let response = self
            .router
            .clone()
            .oneshot(request(method, path, body, headers))
            .await
            .unwrap_or_else(|never| match never {});
        TestResponse::read(response).await
    }
}

/// A request as a client would send it; `uri` is a path or, for a real socket, a whole URL.
pub(crate) fn request(
    method: &str,
    uri: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> Request<Body> {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
        .body(body.map_or_else(Body::empty, |body| Body::from(body.to_owned())))
        .expect("a valid request")
}

/// A whole response: status, headers and the body as text.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    headers: HeaderMap,
    pub body: String,
}

impl TestResponse {
    pub async fn read(response: axum::http::Response<Body>) -> Self {
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .expect("read the response body");
        Self {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: String::from_utf8(bytes.to_vec()).expect("UTF-8 response"),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    /// Asserts the error envelope and returns its code.
    pub fn error_code(&self) -> String {
        let json = self.json();
        let error = &json["error"];
        assert!(error["message"].is_string(), "no message in {json}");
        assert_eq!(
            error["request_id"].as_str(),
            self.header("x-request-id"),
            "request_id must echo the header"
        );
        error["code"].as_str().expect("error code").to_owned()
    }
}
