//! The queue consumer's work, independent of the transport that delivers the message.
//!
//! A message body is an item as JSON (`{"name": "…", "description": "…"}`); processing imports
//! it. Processing is idempotent: a queue delivers at least once, so the same message may arrive
//! twice, and importing an item whose name already exists is a successful no-op.

use crate::domain::{Error, item};

/// What processing one message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The item was created.
    Imported,
    /// An item with that name already existed (e.g. a redelivery): nothing to do.
    AlreadyPresent,
}

/// Why a message was not processed. Every failure is reported back to the queue, which retries
/// the message and, after `maxReceiveCount` attempts, moves it to the dead-letter queue.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The body is not an item as JSON.
    #[error("malformed message: {0}")]
    Malformed(#[from] serde_json::Error),
    /// The item breaks a domain rule.
    #[error("invalid item: {0}")]
    Invalid(String),
    /// Storage failed; a retry may succeed.
    #[error("storage failure")]
    Storage(#[source] Error),
}

/// Processes one message body through the domain's use case, as the HTTP API creates an item.
pub async fn process(repository: &impl item::Store, body: &str) -> Result<Outcome, JobError> {
    let input: item::Input = serde_json::from_str(body)?;
    // Imported by the item's unique name: a redelivery finds it there and changes nothing.
    match item::Service::from(repository.clone()).create(input).await {
        Ok(_) => Ok(Outcome::Imported),
        Err(Error::Conflict(_)) => Ok(Outcome::AlreadyPresent),
        Err(Error::Validation(message)) => Err(JobError::Invalid(message)),
        Err(error) => Err(JobError::Storage(error)),
    }
}
