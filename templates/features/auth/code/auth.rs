//! JWT bearer authentication and role-based authorization around the API routes.
//!
//! A request's `Authorization: Bearer <token>` is verified ([`Verifier::verify`]) against the
//! keys of a JWKS URL (`AUTH_JWKS_URL`: RS256 and ES256; a token whose `kid` is not among the
//! cached keys makes one refetch, at most one a `AUTH_JWKS_REFRESH_SECS`, so a rotated key is
//! picked up without a restart) or, for local development only, an HS256 secret
//! (`AUTH_HS256_SECRET`). `iss`, `aud` and `exp` are required, `nbf` is checked when present,
//! all with `AUTH_LEEWAY_SECS` of clock skew. Only the algorithms of the configured keys are
//! accepted, each key only with its own: `alg: none`, and an HS256 token made with an RSA
//! public key as its secret, are refused.
//!
//! What a caller may do is [`POLICY`], the one table of which role each route needs; roles are
//! read from the claim `AUTH_ROLES_CLAIM` (a list of strings, or one space-separated string; a
//! dotted path such as `realm_access.roles` reaches into objects). No valid token: 401 in the
//! error envelope with `WWW-Authenticate: Bearer`; a valid token without the role: 403. Only the
//! routes wrapped by [`layer`] are guarded: the probes and `/metrics` are added outside it.
//!
//! Behind a gateway the same module runs twice. The gateway ([`layer`], the edge) drops any
//! identity headers a client sent ([`SUBJECT_HEADER`], [`ROLES_HEADER`]) and sets them from the
//! token it verified. Each service ([`behind_gateway`]) verifies the forwarded token again with
//! the same keys and policy, and refuses a request whose identity headers disagree with it: a
//! service trusts no header, only a signature, so a caller that reaches it without the gateway
//! gains nothing. Calls a service makes to another carry the caller's token ([`propagate`]).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value};

use crate::config::{ConfigError, Env};
use crate::failure::Failure;
use crate::http::ApiError;

/// Which callers each route admits: the one table. Reads (`GET`, `HEAD`) need a verified caller
/// (anyone, when `AUTH_PUBLIC_READS=true`); writes need the role `writer` or `admin`. A method
/// not listed needs `admin`.
pub const POLICY: &[(&[&str], Need)] = &[
    (&["GET", "HEAD"], Need::Reader),
    (
        &["POST", "PUT", "PATCH", "DELETE"],
        Need::AnyRole(&["writer", "admin"]),
    ),
];

/// What a route needs of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// A verified caller, or nobody when reads are public.
    Reader,
    /// A verified caller with one of these roles.
    AnyRole(&'static [&'static str]),
}

/// What [`POLICY`] says a request with `method` needs.
pub fn need(method: &Method) -> Need {
    POLICY
        .iter()
        .find(|(methods, _)| methods.contains(&method.as_str()))
        .map_or(Need::AnyRole(&["admin"]), |(_, need)| *need)
}

/// The verified caller, in the request's extensions for handlers (`Extension<Identity>`) and
/// inner middleware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The token's `sub`.
    pub subject: String,
    pub roles: Vec<String>,
}

/// Where the keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `AUTH_JWKS_URL`: an identity provider's published keys.
    Jwks { url: String, refresh: Duration },
    /// `AUTH_HS256_SECRET`: a shared secret, for local development.
    Secret(String),
}

/// The settings, from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    pub keys: KeySource,
    /// `AUTH_ISSUER`: the `iss` every token must carry.
    pub issuer: String,
    /// `AUTH_AUDIENCE`: a value the token's `aud` must contain.
    pub audience: String,
    /// `AUTH_ROLES_CLAIM`: where the roles are (default `roles`).
    pub roles_claim: String,
    /// `AUTH_PUBLIC_READS`: reads need no token.
    pub public_reads: bool,
    /// `AUTH_LEEWAY_SECS`: clock skew allowed on `exp` and `nbf` (default 30).
    pub leeway: u64,
}

/// The shortest HS256 secret accepted: 32 bytes, the size of the hash (RFC 7518 §3.2).
pub const MIN_SECRET_LEN: usize = 32;

impl AuthConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let keys = match (env.get("AUTH_JWKS_URL"), env.get("AUTH_HS256_SECRET")) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::invalid(
                    "AUTH_HS256_SECRET",
                    "(hidden)",
                    &"set either AUTH_JWKS_URL or AUTH_HS256_SECRET, not both",
                ));
            }
            (Some(url), None) => {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err(ConfigError::invalid(
                        "AUTH_JWKS_URL",
                        &url,
                        &"must be an http:// or https:// URL",
                    ));
                }
                KeySource::Jwks {
                    url,
                    refresh: Duration::from_secs(env.positive("AUTH_JWKS_REFRESH_SECS", 30)?),
                }
            }
            (None, Some(secret)) if secret.len() < MIN_SECRET_LEN => {
                return Err(ConfigError::invalid(
                    "AUTH_HS256_SECRET",
                    "(hidden)",
                    &format!(
                        "is {} bytes long, at least {MIN_SECRET_LEN} are needed",
                        secret.len()
                    ),
                ));
            }
            (None, Some(secret)) => KeySource::Secret(secret),
            (None, None) => {
                return Err(ConfigError::Missing {
                    name: "AUTH_JWKS_URL".to_owned(),
                    hint: "or AUTH_HS256_SECRET for local development",
                });
            }
        };
        Ok(Self {
            keys,
            issuer: env.require("AUTH_ISSUER", "the `iss` of the tokens to accept")?,
            audience: env.require("AUTH_AUDIENCE", "the `aud` of the tokens to accept")?,
            roles_claim: env.parse_or("AUTH_ROLES_CLAIM", "roles".to_owned())?,
            public_reads: env.parse_or("AUTH_PUBLIC_READS", false)?,
            leeway: env.parse_or("AUTH_LEEWAY_SECS", 30)?,
        })
    }
}

/// A bad auth setting as the command line says it: the error, and what to set instead.
pub fn invalid(error: &impl fmt::Display) -> Failure {
    Failure::new(error.to_string()).help(
        "set AUTH_ISSUER and AUTH_AUDIENCE, and AUTH_JWKS_URL (your identity provider's \
         .well-known/jwks.json) or, for local development only, AUTH_HS256_SECRET (at least 32 \
         bytes, e.g. `openssl rand -hex 32`); see .env.example",
    )
}

/// The verifier the process environment configures, its keys fetched once, for `serve`.
pub async fn from_env() -> Result<Arc<Verifier>, Failure> {
    let config = AuthConfig::from_env(&Env::process()).map_err(|error| invalid(&error))?;
    let verifier = Verifier::new(config).map_err(|error| invalid(&error))?;
    verifier.refresh().await.map_err(|error| {
        Failure::new(error.to_string()).help(
            "check that AUTH_JWKS_URL is your identity provider's JWKS (RS256 or ES256 keys) \
             and that this process can reach it",
        )
    })?;
    Ok(Arc::new(verifier))
}

/// A JWKS document; its keys are read one by one, so one that jsonwebtoken cannot read (an
/// encryption key, another curve) does not hide the others.
#[derive(serde::Deserialize)]
struct KeySet {
    keys: Vec<Value>,
}

/// A key from the JWKS, with the one algorithm it verifies.
struct Key {
    key: DecodingKey,
    algorithm: Algorithm,
}

/// The JWKS cache: the keys by `kid`, and when they were last fetched.
struct Jwks {
    url: String,
    refresh: Duration,
    client: reqwest::Client,
    keys: RwLock<HashMap<String, Arc<Key>>>,
    fetched: tokio::sync::Mutex<Option<Instant>>,
}

enum Keys {
    Jwks(Jwks),
    Secret(DecodingKey),
}

/// Why a token was refused: said in the 401 (never which key or secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("no bearer token in the Authorization header")]
    Missing,
    #[error("the token is invalid: {0}")]
    Invalid(String),
}

/// Why the JWKS could not be used.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("cannot fetch the JWKS from {url}: {source}")]
    Fetch {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("the JWKS at {url} is not a JSON key set: {source}")]
    Parse {
        url: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("the JWKS at {url} has no RS256 or ES256 key with a kid")]
    Empty { url: String },
}

/// Verifies tokens; shared by every request.
pub struct Verifier {
    config: AuthConfig,
    keys: Keys,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.config.issuer)
            .field("audience", &self.config.audience)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier for `config`; a JWKS is fetched by [`Verifier::refresh`].
    pub fn new(config: AuthConfig) -> Result<Self, ConfigError> {
        let keys = match &config.keys {
            KeySource::Secret(secret) => Keys::Secret(
                DecodingKey::from_secret(secret.as_bytes())
                    .map_err(|e| ConfigError::invalid("AUTH_HS256_SECRET", "(hidden)", &e))?,
            ),
            KeySource::Jwks { url, refresh } => {
                // reqwest's rustls takes the process's provider: ring, as sqlx's TLS uses (rustls
                // deprecates it for lacking post-quantum key exchange; aws-lc-rs would bring a
                // C/CMake build). Installing fails harmlessly when one is installed already.
                #[allow(deprecated)]
                let _ = rustls::crypto::ring::default_provider().install_default();
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                    .map_err(|e| ConfigError::invalid("AUTH_JWKS_URL", url, &e))?;
                Keys::Jwks(Jwks {
                    url: url.clone(),
                    refresh: *refresh,
                    client,
                    keys: RwLock::default(),
                    fetched: tokio::sync::Mutex::new(None),
                })
            }
        };
        Ok(Self { config, keys })
    }

    /// Fetches the JWKS now (nothing to do with a secret).
    pub async fn refresh(&self) -> Result<(), JwksError> {
        match &self.keys {
            Keys::Jwks(jwks) => {
                let mut fetched = jwks.fetched.lock().await;
                jwks.fetch().await?;
                *fetched = Some(Instant::now());
                Ok(())
            }
            Keys::Secret(_) => Ok(()),
        }
    }

    /// The caller `authorization` (the header's value) proves to be.
    pub async fn verify(&self, authorization: Option<&HeaderValue>) -> Result<Identity, Refusal> {
        let token = authorization
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or(Refusal::Missing)?;
        let invalid = |e: &dyn fmt::Display| Refusal::Invalid(e.to_string());
        // `alg: none` and algorithms not named by jsonwebtoken fail here.
        let header = jsonwebtoken::decode_header(token).map_err(|e| invalid(&e))?;
        let claims = match &self.keys {
            Keys::Secret(key) => self.decode(token, key, Algorithm::HS256)?,
            Keys::Jwks(jwks) => {
                let kid = header
                    .kid
                    .as_deref()
                    .ok_or_else(|| invalid(&"the token names no key (kid)"))?;
                let key = jwks
                    .key(kid)
                    .await
                    .ok_or_else(|| invalid(&format!("unknown key {kid:?}")))?;
                self.decode(token, &key.key, key.algorithm)?
            }
        };
        self.identity(claims)
    }

    /// The claims of `token` signed by `key` with `algorithm` (and no other), validated.
    fn decode(
        &self,
        token: &str,
        key: &DecodingKey,
        algorithm: Algorithm,
    ) -> Result<Map<String, Value>, Refusal> {
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = self.config.leeway;
        jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation)
            .map(|data| data.claims)
            .map_err(|e| Refusal::Invalid(e.to_string()))
    }

    fn identity(&self, claims: Map<String, Value>) -> Result<Identity, Refusal> {
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .ok_or_else(|| Refusal::Invalid("`sub` is not a string".to_owned()))?
            .to_owned();
        let mut value = Some(Value::Object(claims));
        for part in self.config.roles_claim.split('.') {
            value = value.and_then(|mut v| v.get_mut(part).map(Value::take));
        }
        let roles = match value {
            Some(Value::Array(items)) => items
                .into_iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect(),
            Some(Value::String(list)) => list.split_whitespace().map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        Ok(Identity { subject, roles })
    }

    /// Whether a request with `method` is public (no token needed).
    fn public(&self, method: &Method) -> bool {
        self.config.public_reads && need(method) == Need::Reader
    }
}

impl Jwks {
    /// The key `kid`; an unknown one refetches the set first, unless that was done less than
    /// `refresh` ago (a flood of made-up kids costs the identity provider one request a period).
    async fn key(&self, kid: &str) -> Option<Arc<Key>> {
        if let Some(key) = self.cached(kid) {
            return Some(key);
        }
        let mut fetched = self.fetched.lock().await;
        // Another request may have fetched it while this one waited.
        if let Some(key) = self.cached(kid) {
            return Some(key);
        }
        if fetched.is_some_and(|at| at.elapsed() < self.refresh) {
            return None;
        }
        *fetched = Some(Instant::now());
        if let Err(error) = self.fetch().await {
            tracing::warn!(%error, "JWKS refresh failed; keeping the keys already known");
        }
        self.cached(kid)
    }

    fn cached(&self, kid: &str) -> Option<Arc<Key>> {
        self.keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(kid)
            .cloned()
    }

    /// Replaces the cached keys with the set at `url`: its RS256 and ES256 keys with a `kid`
    /// (others, such as encryption keys, are skipped).
    async fn fetch(&self) -> Result<(), JwksError> {
        let fetch = |source| JwksError::Fetch {
            url: self.url.clone(),
            source,
        };
        let body = self
            .client
            .get(&self.url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(fetch)?
            .bytes()
            .await
            .map_err(fetch)?;
        let set: KeySet = serde_json::from_slice(&body).map_err(|source| JwksError::Parse {
            url: self.url.clone(),
            source,
        })?;
        let keys: HashMap<String, Arc<Key>> = set
            .keys
            .into_iter()
            .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
            .filter_map(|jwk| {
                let algorithm = algorithm_of(&jwk)?;
                let kid = jwk.common.key_id.clone()?;
                let key = DecodingKey::from_jwk(&jwk).ok()?;
                Some((kid, Arc::new(Key { key, algorithm })))
            })
            .collect();
        if keys.is_empty() {
            return Err(JwksError::Empty {
                url: self.url.clone(),
            });
        }
        tracing::info!(keys = keys.len(), url = %self.url, "JWKS fetched");
        *self
            .keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = keys;
        Ok(())
    }
}

/// The one algorithm a JWK verifies: RS256 for an RSA key, ES256 for a P-256 key, and only when
/// its `alg` (if given) says the same.
fn algorithm_of(jwk: &Jwk) -> Option<Algorithm> {
    let (algorithm, named) = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => (Algorithm::RS256, KeyAlgorithm::RS256),
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
            (Algorithm::ES256, KeyAlgorithm::ES256)
        }
        _ => return None,
    };
    match jwk.common.key_algorithm {
        None => Some(algorithm),
        Some(alg) if alg == named => Some(algorithm),
        Some(_) => None,
    }
}

/// The verified caller's `sub`, set by the edge (the gateway) for the services behind it.
pub const SUBJECT_HEADER: &str = "x-auth-subject";
/// The verified caller's roles, space-separated, beside [`SUBJECT_HEADER`].
pub const ROLES_HEADER: &str = "x-auth-roles";

/// Where the guard runs, which decides what it makes of identity headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// The first hop (a monolith, the gateway): headers a client sent are dropped and replaced.
    Edge,
    /// A service behind the gateway: headers that disagree with the token are refused, and only
    /// `/api/` is guarded (its probes stay open to the kubelet and the gateway).
    BehindGateway,
}

/// `routes` behind `verifier` at the edge; unchanged without one (a state built without the
/// feature's handle, as in the app's integration tests).
pub fn layer<S>(routes: Router<S>, verifier: Option<&Arc<Verifier>>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    guarded(routes, verifier, Place::Edge)
}

/// `routes` of a service behind the gateway, guarded by `verifier` (see the module's
/// documentation); unchanged without one.
pub fn behind_gateway<S>(routes: Router<S>, verifier: Option<&Arc<Verifier>>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    guarded(routes, verifier, Place::BehindGateway)
}

fn guarded<S>(routes: Router<S>, verifier: Option<&Arc<Verifier>>, place: Place) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    match verifier {
        Some(verifier) => routes.layer(axum::middleware::from_fn_with_state(
            (verifier.clone(), place),
            guard,
        )),
        None => routes,
    }
}

tokio::task_local! {
    /// The `Authorization` of the request being served, for the calls it makes.
    static CALLER: HeaderValue;
}

/// `headers` with the `Authorization` of the request being served, so a call to another
/// service is made as the same caller (and passes that service's guard); unchanged outside a
/// guarded request.
pub fn propagate(mut headers: HeaderMap) -> HeaderMap {
    if let Ok(value) = CALLER.try_with(HeaderValue::clone) {
        headers.insert(header::AUTHORIZATION, value);
    }
    headers
}

async fn guard(
    State((verifier, place)): State<(Arc<Verifier>, Place)>,
    mut request: Request,
    next: Next,
) -> Response {
    if place == Place::BehindGateway && !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let method = request.method().clone();
    if place == Place::Edge {
        forget_identity(request.headers_mut());
    }
    if verifier.public(&method) {
        return next.run(request).await;
    }
    let authorization = request.headers().get(header::AUTHORIZATION).cloned();
    let identity = match verifier.verify(authorization.as_ref()).await {
        Ok(identity) => identity,
        Err(refusal) => return unauthorized(&refusal),
    };
    if let Need::AnyRole(roles) = need(&method)
        && !identity
            .roles
            .iter()
            .any(|role| roles.contains(&role.as_str()))
    {
        tracing::info!(subject = %identity.subject, ?roles, "forbidden: missing role");
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this request needs one of the roles {}", roles.join(", ")),
        )
        .into_response();
    }
    let Some(headers) = identity_headers(&identity) else {
        return unauthorized(&Refusal::Invalid(
            "its subject or roles cannot be sent as a header".to_owned(),
        ));
    };
    match place {
        Place::Edge => request.headers_mut().extend(headers),
        Place::BehindGateway => {
            let sent = request.headers();
            if [SUBJECT_HEADER, ROLES_HEADER].iter().any(|name| {
                sent.get(*name)
                    .is_some_and(|value| Some(value) != headers.get(*name))
            }) {
                return unauthorized(&Refusal::Invalid(
                    "the identity headers do not match the token".to_owned(),
                ));
            }
        }
    }
    request.extensions_mut().insert(identity);
    match authorization {
        Some(authorization) => CALLER.scope(authorization, next.run(request)).await,
        None => next.run(request).await,
    }
}

/// Drops identity headers a client sent: only the verifier says who a caller is.
fn forget_identity(headers: &mut HeaderMap) {
    headers.remove(SUBJECT_HEADER);
    headers.remove(ROLES_HEADER);
}

/// [`SUBJECT_HEADER`] and [`ROLES_HEADER`] for `identity`; `None` when a value holds characters a
/// header cannot carry.
fn identity_headers(identity: &Identity) -> Option<HeaderMap> {
    let mut headers = HeaderMap::new();
    headers.insert(
        SUBJECT_HEADER,
        HeaderValue::from_str(&identity.subject).ok()?,
    );
    headers.insert(
        ROLES_HEADER,
        HeaderValue::from_str(&identity.roles.join(" ")).ok()?,
    );
    Some(headers)
}

/// 401 in the envelope with `WWW-Authenticate: Bearer` (RFC 6750 §3).
fn unauthorized(refusal: &Refusal) -> Response {
    tracing::info!(%refusal, "unauthorized");
    let challenge = match refusal {
        Refusal::Missing => HeaderValue::from_static("Bearer"),
        Refusal::Invalid(_) => HeaderValue::from_static(r#"Bearer error="invalid_token""#),
    };
    let mut response = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        refusal.to_string(),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, challenge);
    response
}

/// `token --sub NAME [--role ROLE]… [--ttl SECONDS]`: prints a development token signed with
/// `AUTH_HS256_SECRET`, for `AUTH_ISSUER` and `AUTH_AUDIENCE`, valid for an hour by default.
pub fn token(options: &[&str]) -> Result<(), Failure> {
    let usage = "usage: token --sub NAME [--role ROLE]... [--ttl SECONDS]";
    let mut subject = None;
    let mut roles = Vec::new();
    let mut ttl: u64 = 3600;
    let mut words = options.iter();
    while let Some(word) = words.next() {
        let value = words
            .next()
            .ok_or_else(|| Failure::new(format!("{word} needs a value")).help(usage))?;
        match *word {
            "--sub" => subject = Some((*value).to_owned()),
            "--role" => roles.push((*value).to_owned()),
            "--ttl" => {
                ttl = value.parse().map_err(|_| {
                    Failure::new(format!("--ttl {value:?} is not a number of seconds")).help(usage)
                })?;
            }
            _ => return Err(Failure::new(format!("unexpected argument {word:?}")).help(usage)),
        }
    }
    let subject = subject.ok_or_else(|| Failure::new("--sub is missing").help(usage))?;
    let env = Env::process();
    if env.get("AUTH_JWKS_URL").is_some() {
        return Err(Failure::new(
            "AUTH_JWKS_URL is set: tokens come from your identity provider, not from this command",
        )
        .help("unset AUTH_JWKS_URL and set AUTH_HS256_SECRET to mint development tokens"));
    }
    let config = AuthConfig::from_env(&env).map_err(|error| invalid(&error))?;
    let KeySource::Secret(secret) = &config.keys else {
        return Err(Failure::new("AUTH_HS256_SECRET is not set").help(usage));
    };
    println!("{}", mint(&config, secret, &subject, &roles, ttl)?);
    Ok(())
}

/// An HS256 token for `subject` with `roles`, valid for `ttl` seconds from now.
pub fn mint(
    config: &AuthConfig,
    secret: &str,
    subject: &str,
    roles: &[String],
    ttl: u64,
) -> Result<String, Failure> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut claims = serde_json::json!({
        "sub": subject,
        "iss": config.issuer,
        "aud": config.audience,
        "iat": now,
        "nbf": now,
        "exp": now.saturating_add(ttl),
    });
    // The roles where the verifier reads them (`AUTH_ROLES_CLAIM`, a dotted path).
    let mut place = &mut claims;
    for part in config.roles_claim.split('.') {
        place = &mut place[part];
    }
    *place = serde_json::json!(roles);
    let key = EncodingKey::from_secret(secret.as_bytes())
        .map_err(|e| Failure::new(format!("AUTH_HS256_SECRET: {e}")))?;
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key)
        .map_err(|e| Failure::new(format!("cannot sign the token: {e}")))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn config(extra: &[(&str, &str)]) -> AuthConfig {
        let mut pairs = vec![
            ("AUTH_HS256_SECRET", SECRET),
            ("AUTH_ISSUER", "https://issuer.test"),
            ("AUTH_AUDIENCE", "api"),
        ];
        pairs.extend_from_slice(extra);
        AuthConfig::from_env(&Env::from_pairs(&pairs)).expect("valid settings")
    }

    fn token(config: &AuthConfig, roles: &[&str]) -> String {
        let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
        mint(config, SECRET, "alice", &roles, 60).expect("signed")
    }

    async fn call(app: &Router, method: &str, token: Option<&str>) -> Response {
        let mut request = Request::builder().method(method).uri("/");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        app.clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    fn app(config: AuthConfig) -> Router {
        let verifier = Arc::new(Verifier::new(config).unwrap());
        let routes =
            Router::new().route("/", get(|| async { "read" }).post(|| async { "written" }));
        layer(routes, Some(&verifier))
    }

    #[test]
    fn bad_settings_are_named() {
        let env = |pairs: &[(&str, &str)]| AuthConfig::from_env(&Env::from_pairs(pairs));
        let error = env(&[("AUTH_ISSUER", "i"), ("AUTH_AUDIENCE", "a")]).unwrap_err();
        assert!(error.to_string().contains("AUTH_JWKS_URL"), "{error}");
        let error = env(&[("AUTH_HS256_SECRET", "short"), ("AUTH_AUDIENCE", "a")]).unwrap_err();
        assert!(error.to_string().contains("at least 32"), "{error}");
        assert!(
            !error.to_string().contains("short"),
            "the secret is never shown"
        );
        let error = env(&[("AUTH_HS256_SECRET", SECRET), ("AUTH_AUDIENCE", "a")]).unwrap_err();
        assert!(error.to_string().contains("AUTH_ISSUER"), "{error}");
        let error = env(&[("AUTH_JWKS_URL", "idp.test/jwks"), ("AUTH_ISSUER", "i")]).unwrap_err();
        assert!(error.to_string().contains("AUTH_JWKS_URL"), "{error}");
    }

    #[test]
    fn the_policy_lets_readers_read_and_writers_write() {
        assert_eq!(need(&Method::GET), Need::Reader);
        assert_eq!(need(&Method::DELETE), Need::AnyRole(&["writer", "admin"]));
        assert_eq!(need(&Method::TRACE), Need::AnyRole(&["admin"]));
    }

    #[tokio::test]
    async fn a_valid_token_reads_and_a_writer_writes() {
        let config = config(&[]);
        let app = app(config.clone());
        let reader = token(&config, &[]);
        assert_eq!(
            call(&app, "GET", Some(&reader)).await.status(),
            StatusCode::OK
        );
        let refused = call(&app, "POST", Some(&reader)).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let writer = token(&config, &["writer"]);
        assert_eq!(
            call(&app, "POST", Some(&writer)).await.status(),
            StatusCode::OK
        );
    }

    #[tokio::test]
    async fn no_token_or_a_bad_one_gets_401_with_the_challenge() {
        let config = config(&[]);
        let app = app(config.clone());
        let other = AuthConfig {
            audience: "someone-else".to_owned(),
            ..config.clone()
        };
        for token in [
            None,
            Some("garbage"),
            Some(&*self::token(&other, &["admin"])),
        ] {
            let response = call(&app, "GET", token).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{token:?}");
            let challenge = response.headers()[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap();
            assert!(challenge.starts_with("Bearer"), "{challenge}");
            let body = axum::body::to_bytes(response.into_body(), 1 << 16)
                .await
                .unwrap();
            let body: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(body["error"]["code"], "unauthorized", "{body}");
        }
    }

    #[tokio::test]
    async fn public_reads_need_no_token_but_writes_still_do() {
        let app = app(config(&[("AUTH_PUBLIC_READS", "true")]));
        assert_eq!(call(&app, "GET", None).await.status(), StatusCode::OK);
        assert_eq!(
            call(&app, "POST", None).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }

    /// A route that answers with the identity headers it was given.
    fn echo(config: AuthConfig, place: Place) -> Router {
        let verifier = Arc::new(Verifier::new(config).unwrap());
        let seen = |request: Request| async move {
            let header = |name| {
                request
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-")
                    .to_owned()
            };
            format!("{} {}", header(SUBJECT_HEADER), header(ROLES_HEADER))
        };
        let routes = Router::new()
            .route("/api/v1/x", get(seen))
            .route("/readyz", get(|| async { "ready" }));
        guarded(routes, Some(&verifier), place)
    }

    async fn send(app: &Router, path: &str, headers: &[(&str, &str)]) -> (StatusCode, String) {
        let mut request = Request::builder().uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = app
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn the_edge_replaces_identity_headers_a_client_sent() {
        let config = config(&[]);
        let bearer = format!("Bearer {}", token(&config, &["writer"]));
        let app = echo(config, Place::Edge);
        let forged = [
            ("authorization", bearer.as_str()),
            (SUBJECT_HEADER, "mallory"),
            (ROLES_HEADER, "admin"),
        ];
        let seen = send(&app, "/api/v1/x", &forged).await;
        assert_eq!(seen, (StatusCode::OK, "alice writer".to_owned()));
    }

    #[tokio::test]
    async fn behind_the_gateway_headers_must_agree_with_the_token() {
        let config = config(&[]);
        let bearer = format!("Bearer {}", token(&config, &["writer"]));
        let app = echo(config, Place::BehindGateway);
        let agreed = [
            ("authorization", bearer.as_str()),
            (SUBJECT_HEADER, "alice"),
            (ROLES_HEADER, "writer"),
        ];
        assert_eq!(send(&app, "/api/v1/x", &agreed).await.0, StatusCode::OK);
        let forged = [
            ("authorization", bearer.as_str()),
            (SUBJECT_HEADER, "mallory"),
        ];
        let unsigned = [(SUBJECT_HEADER, "alice"), (ROLES_HEADER, "admin")];
        for headers in [&forged[..], &unsigned[..]] {
            let status = send(&app, "/api/v1/x", headers).await.0;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{headers:?}");
        }
        assert_eq!(send(&app, "/readyz", &[]).await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn calls_made_while_serving_carry_the_callers_token() {
        let config = config(&[]);
        let bearer = format!("Bearer {}", token(&config, &[]));
        let verifier = Arc::new(Verifier::new(config).unwrap());
        let forwarded = || async {
            let headers = propagate(HeaderMap::new());
            headers
                .get(header::AUTHORIZATION)
                .map_or("none".to_owned(), |v| v.to_str().unwrap().to_owned())
        };
        let app = layer(Router::new().route("/", get(forwarded)), Some(&verifier));
        let (status, seen) = send(&app, "/", &[("authorization", &bearer)]).await;
        assert_eq!((status, seen), (StatusCode::OK, bearer));
        assert!(propagate(HeaderMap::new()).is_empty(), "outside a request");
    }

    #[tokio::test]
    async fn roles_are_read_from_a_nested_claim_or_a_string() {
        let config = config(&[("AUTH_ROLES_CLAIM", "realm_access.roles")]);
        let verifier = Verifier::new(config.clone()).unwrap();
        let value =
            HeaderValue::try_from(format!("Bearer {}", token(&config, &["admin"]))).unwrap();
        let identity = verifier.verify(Some(&value)).await.unwrap();
        assert_eq!(identity.roles, ["admin"]);
        assert_eq!(identity.subject, "alice");
    }
}
