/// Everything a domain operation can fail with. The HTTP layer maps each variant to a status.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input breaks a rule; the message is meant for the client.
    #[error("{0}")]
    Validation(String),
    #[error("{resource} {id} not found")]
    NotFound { resource: &'static str, id: i64 },
    /// A uniqueness rule; the message is meant for the client.
    #[error("{0}")]
    Conflict(String),
    /// The storage cannot be reached right now (database down, pool exhausted).
    #[error("storage unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or an unexpected storage failure. Never shown to clients.
    #[error("storage failure")]
    Internal(#[source] BoxError),
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
