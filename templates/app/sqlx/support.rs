//! What every repository on sqlx shares: how long a request waits for a pooled connection, and
//! the ONE mapping of storage failures to domain errors (503, 422 or 500).

use std::time::Duration;

use crate::domain::Error;

/// How long a request waits for a pooled connection before it answers 503.
///
/// A pool of `n` connections serves `n / t` queries a second when a query holds its connection
/// for `t`. With 50 concurrent clients and 10 connections, each list request (one round trip,
/// about 1 ms on a local network) waits behind at most 4 others in steady state: a few
/// milliseconds. The wait only gets long when connections are being (re)opened, after idle
/// connections were closed or the database restarted: an opening costs a TCP and
/// authentication handshake, and the requests queued behind it wait for it. 5 s absorbs such a
/// stall with a wide margin, stays well below `REQUEST_TIMEOUT_SECS` (15 s, so the client gets a
/// 503 with `Retry-After` from here rather than a timeout) and bounds how long a request waits
/// while the database is down.
pub(crate) const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// What a storage failure means for the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The database cannot answer right now (down, shutting down, restarting, overloaded,
    /// pool exhausted): 503 with `Retry-After`, like every availability error.
    Unavailable,
    /// The database refused a value (SQLSTATE classes 22 and 54): the domain rules should have
    /// caught it, but it is still the client's input, so 422 and never 500.
    Invalid,
    /// A bug or a broken schema: 500, details in the log only.
    Internal,
}

/// Maps any sqlx error to the domain error the HTTP layer turns into a status.
pub(crate) fn storage(error: sqlx::Error) -> Error {
    match kind(&error) {
        Kind::Unavailable => Error::Unavailable(error.into()),
        Kind::Invalid => {
            tracing::warn!(%error, "the database refused a value the domain rules accepted");
            Error::Validation("a value is not accepted by the storage".to_owned())
        }
        Kind::Internal => Error::Internal(error.into()),
    }
}

/// What `error` means for the client (a read on a replica that is unavailable goes to the
/// primary).
pub(crate) fn kind(error: &sqlx::Error) -> Kind {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => Kind::Unavailable,
        sqlx::Error::Database(db) => db.code().map_or(Kind::Internal, |code| code_kind(&code)),
        _ => Kind::Internal,
    }
}

/// PostgreSQL reports a five-character SQLSTATE, classified by its first two characters;
/// SQLite an extended result code (a number below 10000), classified by its low byte.
fn code_kind(code: &str) -> Kind {
    if code.len() < 5 {
        return code.parse::<u32>().map_or(Kind::Internal, sqlite_kind);
    }
    match code.get(..2).unwrap_or_default() {
        // 08 connection exception, 40 transaction rollback (serialization failure, deadlock:
        // retrying succeeds), 53 insufficient resources (too many connections, disk full),
        // 57 operator intervention (57P01 admin_shutdown, 57P02 crash_shutdown,
        // 57P03 cannot_connect_now, 57014 statement timeout), 58 system error (I/O).
        "08" | "40" | "53" | "57" | "58" => Kind::Unavailable,
        // 22 data exception (a value out of range, an invalid character), 54 program limit
        // exceeded (a value too large to index).
        "22" | "54" => Kind::Invalid,
        _ => Kind::Internal,
    }
}

fn sqlite_kind(code: u32) -> Kind {
    match code & 0xff {
        // SQLITE_NOMEM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_FULL,
        // SQLITE_CANTOPEN, SQLITE_PROTOCOL.
        5 | 6 | 7 | 10 | 13 | 14 | 15 => Kind::Unavailable,
        // SQLITE_TOOBIG, SQLITE_MISMATCH, SQLITE_RANGE.
        18 | 20 | 25 => Kind::Invalid,
        _ => Kind::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_map_by_class() {
        for code in [
            "57P01", "57P02", "57P03", "08006", "08001", "53300", "40001", "58030",
        ] {
            assert_eq!(code_kind(code), Kind::Unavailable, "{code}");
        }
        for code in ["22021", "22001", "22P05", "54000"] {
            assert_eq!(code_kind(code), Kind::Invalid, "{code}");
        }
        for code in ["42P01", "42703", "23502", "XX000"] {
            assert_eq!(code_kind(code), Kind::Internal, "{code}");
        }
    }

    #[test]
    fn sqlite_codes_map_by_primary_code() {
        // SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, SQLITE_IOERR_READ, SQLITE_CANTOPEN.
        for code in ["5", "517", "266", "14"] {
            assert_eq!(code_kind(code), Kind::Unavailable, "{code}");
        }
        assert_eq!(code_kind("18"), Kind::Invalid);
        // SQLITE_ERROR (e.g. no such table) and SQLITE_CONSTRAINT_NOTNULL.
        for code in ["1", "1299"] {
            assert_eq!(code_kind(code), Kind::Internal, "{code}");
        }
    }

    #[test]
    fn connection_failures_are_unavailable() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        for error in [
            sqlx::Error::Io(refused),
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
        ] {
            assert!(matches!(storage(error), Error::Unavailable(_)));
        }
        assert!(matches!(
            storage(sqlx::Error::RowNotFound),
            Error::Internal(_)
        ));
    }
}
