//! Typed, versioned events over NATS JetStream.
//!
//! Every event travels in the same envelope, `{id, type, version, occurred_at, source, data}`,
//! on the subject `<namespace>.<type>` (e.g. `shop.users.user.created`) of one stream,
//! `<namespace>-events`. Publishing sets `Nats-Msg-Id` to the event id, so JetStream drops a
//! re-publish within its duplicate window; consumers are durable pull consumers with explicit
//! acks, and must still be idempotent (delivery is at least once): ack after the effect is
//! committed, and remember processed ids.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::{PullConsumer, pull};
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::{self, AckKind};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use time::OffsetDateTime;

use crate::config::{ConfigError, Env};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The envelope of every event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event<T = serde_json::Value> {
    /// Unique per event; consumers deduplicate on it.
    pub id: String,
    /// `<source>.<entity>.<verb>`, e.g. `users.user.created`; also the subject suffix.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The schema version of `data`: bump it on a breaking change and keep consuming the old
    /// one until every producer has moved.
    pub version: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// The service that published it.
    pub source: String,
    pub data: T,
}

impl<T> Event<T> {
    pub fn new(source: &str, event_type: String, version: u32, data: T) -> Self {
        Self {
            id: crate::ids::generate(),
            event_type,
            version,
            occurred_at: OffsetDateTime::now_utc(),
            source: source.to_owned(),
            data,
        }
    }
}

impl Event {
    /// The payload as the version-specific type.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.data)
    }
}

/// `NATS_URL` and `EVENTS_NAMESPACE`.
#[derive(Debug, Clone)]
pub struct EventsConfig {
    /// `NATS_URL`, default `nats://127.0.0.1:4222`.
    pub url: String,
    /// `EVENTS_NAMESPACE`: prefix of every subject and of the stream name (letters, digits,
    /// `_` and `-`), so several environments can share one NATS.
    pub namespace: String,
}

impl EventsConfig {
    pub fn from_env(env: &Env, default_namespace: &str) -> Result<Self, ConfigError> {
        let namespace = env
            .get("EVENTS_NAMESPACE")
            .unwrap_or_else(|| default_namespace.to_owned());
        let valid = !namespace.is_empty()
            && namespace
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid {
            return Err(ConfigError::invalid(
                "EVENTS_NAMESPACE",
                &namespace,
                &"use letters, digits, `_` and `-` only",
            ));
        }
        Ok(Self {
            url: env
                .get("NATS_URL")
                .unwrap_or_else(|| "nats://127.0.0.1:4222".to_owned()),
            namespace,
        })
    }

    pub fn stream(&self) -> String {
        format!("{}-events", self.namespace)
    }

    pub fn subject(&self, event_type: &str) -> String {
        format!("{}.{event_type}", self.namespace)
    }
}

/// What went wrong talking to NATS.
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
pub struct EventError {
    context: &'static str,
    #[source]
    source: BoxError,
}

fn err<E: Into<BoxError>>(context: &'static str) -> impl FnOnce(E) -> EventError {
    move |source| EventError {
        context,
        source: source.into(),
    }
}

/// A JetStream handle for publishing and consuming; cheap to clone.
#[derive(Debug, Clone)]
pub struct Bus {
    js: jetstream::Context,
    config: Arc<EventsConfig>,
}

impl Bus {
    /// Connects in the background: the service starts while NATS is down, and publishing or
    /// consuming works once it is back.
    pub async fn connect(config: EventsConfig) -> Result<Self, EventError> {
        let client = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .connect(config.url.as_str())
            .await
            .map_err(err("cannot connect to NATS"))?;
        Ok(Self {
            js: jetstream::new(client),
            config: Arc::new(config),
        })
    }

    pub fn config(&self) -> &EventsConfig {
        &self.config
    }

    /// Creates the stream unless it exists: every subject of the namespace, kept 7 days,
    /// duplicates (same event id) dropped within 2 minutes.
    pub async fn ensure_stream(&self) -> Result<jetstream::stream::Stream, EventError> {
        self.js
            .get_or_create_stream(jetstream::stream::Config {
                name: self.config.stream(),
                subjects: vec![format!("{}.>", self.config.namespace)],
                max_age: Duration::from_hours(7 * 24),
                duplicate_window: Duration::from_mins(2),
                ..Default::default()
            })
            .await
            .map_err(err("cannot create the event stream"))
    }

    /// Deletes the stream and its consumers (tests and tear-downs).
    pub async fn delete_stream(&self) -> Result<(), EventError> {
        self.js
            .delete_stream(self.config.stream())
            .await
            .map_err(err("cannot delete the event stream"))?;
        Ok(())
    }

    /// Publishes `event` and waits (at most 5 s) until JetStream has stored it.
    pub async fn publish<T: Serialize>(&self, event: &Event<T>) -> Result<(), EventError> {
        let payload = serde_json::to_vec(event).map_err(err("cannot serialize the event"))?;
        let subject = self.config.subject(&event.event_type);
        let publish = async {
            self.js
                .send_publish(
                    subject,
                    PublishMessage::build()
                        .payload(payload.into())
                        .message_id(&event.id),
                )
                .await
                .map_err(err("cannot publish the event"))?
                .await
                .map_err(err("JetStream did not store the event"))?;
            Ok(())
        };
        tokio::time::timeout(Duration::from_secs(5), publish)
            .await
            .map_err(err("publishing timed out"))?
    }

    /// Consumes every event of the namespace not published by `consumer` itself, through the
    /// durable consumer named `consumer`, for ever: reconnects after errors. `handle` must be
    /// idempotent; a message is acked after it succeeds, redelivered (after a pause) when it
    /// fails, and terminated when it is not an event at all.
    pub async fn consume<H, F>(&self, consumer: &str, handle: H)
    where
        H: Fn(Event) -> F,
        F: Future<Output = Result<(), BoxError>>,
    {
        loop {
            if let Err(error) = self.consume_once(consumer, &handle).await {
                tracing::warn!(error = %error, source = ?std::error::Error::source(&error), "event consumer failed, retrying in 2s");
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }

    async fn consume_once<H, F>(&self, consumer: &str, handle: &H) -> Result<(), EventError>
    where
        H: Fn(Event) -> F,
        F: Future<Output = Result<(), BoxError>>,
    {
        let stream = self.ensure_stream().await?;
        let durable: PullConsumer = stream
            .get_or_create_consumer(
                consumer,
                pull::Config {
                    durable_name: Some(consumer.to_owned()),
                    filter_subject: format!("{}.>", self.config.namespace),
                    ack_policy: jetstream::consumer::AckPolicy::Explicit,
                    ack_wait: Duration::from_secs(30),
                    max_deliver: 20,
                    ..Default::default()
                },
            )
            .await
            .map_err(err("cannot create the durable consumer"))?;
        let mut messages = durable
            .messages()
            .await
            .map_err(err("cannot pull messages"))?;
        tracing::info!(consumer, stream = %self.config.stream(), "consuming events");
        while let Some(message) = messages.next().await {
            let message = message.map_err(err("cannot receive a message"))?;
            let ack = match serde_json::from_slice::<Event>(&message.payload) {
                Err(error) => {
                    tracing::error!(%error, subject = %message.subject, "not an event, dropping it");
                    AckKind::Term
                }
                Ok(event) if event.source == consumer => AckKind::Ack,
                Ok(event) => {
                    let (id, event_type) = (event.id.clone(), event.event_type.clone());
                    let source = event.source.clone();
                    match handle(event).await {
                        Ok(()) => {
                            tracing::info!(consumer, event_id = %id, event_type, source, "event consumed");
                            AckKind::Ack
                        }
                        Err(error) => {
                            tracing::warn!(event_id = %id, event_type, %error, "event failed, will be redelivered");
                            AckKind::Nak(Some(Duration::from_secs(1)))
                        }
                    }
                }
            };
            message
                .ack_with(ack)
                .await
                .map_err(err("cannot acknowledge a message"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_round_trips_with_type_field() {
        let event = Event::new(
            "users",
            "users.user.created".into(),
            1,
            serde_json::json!({"id": 7}),
        );
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "users.user.created");
        assert_eq!(json["version"], 1);
        assert!(json["occurred_at"].is_string());
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn namespace_is_validated() {
        let ok = EventsConfig::from_env(&Env::from_pairs(&[]), "shop").unwrap();
        assert_eq!(ok.stream(), "shop-events");
        assert_eq!(ok.subject("users.user.created"), "shop.users.user.created");
        assert!(
            EventsConfig::from_env(&Env::from_pairs(&[("EVENTS_NAMESPACE", "a.b")]), "x").is_err()
        );
    }
}
