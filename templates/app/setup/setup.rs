//! The database on a PostgreSQL you already have, without Docker or psql: `db setup` creates the
//! role and the database that `DATABASE_URL` names when they are missing (as an admin role), then
//! the commands apply the migrations. And the ONE explanation of a failure to reach or use the
//! database, for every command that connects: a line that says what failed and a line that says
//! what to do.

use std::time::Duration;

use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};

use crate::failure::Failure;

/// How long a command waits for the server to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The role `db setup` connects as when neither `--admin-url` nor `DATABASE_ADMIN_URL` names one.
const DEFAULT_ADMIN: &str = "postgres";

/// `db setup [--admin-url URL]`: creates the role of `database` (with its password) and the
/// database, owned by that role, unless they exist; returns what it did, one line each.
///
/// The admin URL is `--admin-url`, else `DATABASE_ADMIN_URL`, else the `postgres` role on the
/// host and port of `database` (its password, if it needs one, from `PGPASSWORD`).
pub async fn prepare(args: &[&str], database: &PgConnectOptions) -> Result<Vec<String>, Failure> {
    let admin = admin_options(args, database)?;
    let mut connection = connect(&admin)
        .await
        .map_err(|e| explain(&e, &admin, Purpose::Admin))?;
    let role = database.get_username();
    let name = database.get_database().unwrap_or(role);
    let refused = |e: sqlx::Error| explain(&e, &admin, Purpose::Admin);
    let mut done = Vec::new();
    if role == admin.get_username() {
        done.push(format!("role {role}: the admin role itself"));
    } else if exists(
        &mut connection,
        "SELECT 1 FROM pg_roles WHERE rolname = $1",
        role,
    )
    .await
    .map_err(refused)?
    {
        done.push(format!(
            "role {role} exists (its password is left as it is)"
        ));
    } else {
        let mut sql = format!("CREATE ROLE {} LOGIN", identifier(role));
        if let Some(password) = password(database) {
            sql.push_str(" PASSWORD ");
            sql.push_str(&literal(&password));
        }
        sqlx::raw_sql(&sql)
            .execute(&mut connection)
            .await
            .map_err(refused)?;
        done.push(format!("created role {role}"));
    }
    if exists(
        &mut connection,
        "SELECT 1 FROM pg_database WHERE datname = $1",
        name,
    )
    .await
    .map_err(refused)?
    {
        done.push(format!("database {name} exists"));
    } else {
        let (name_sql, role_sql) = (identifier(name), identifier(role));
        // Only its owner (and superusers) may connect: no other role reads its tables.
        for sql in [
            format!("CREATE DATABASE {name_sql} OWNER {role_sql}"),
            format!("REVOKE ALL ON DATABASE {name_sql} FROM PUBLIC"),
        ] {
            sqlx::raw_sql(&sql)
                .execute(&mut connection)
                .await
                .map_err(refused)?;
        }
        done.push(format!("created database {name}, owned by {role}"));
    }
    let _ = connection.close().await;
    Ok(done)
}

/// Applies `migrator` to `database` over one connection, so a failure to connect is reported
/// at once and as it is (a pool would retry, then only say it timed out). `setup` is how the
/// user runs `db setup`, for the hint.
pub async fn migrate(
    migrator: &Migrator,
    database: &PgConnectOptions,
    setup: &'static str,
) -> Result<(), Failure> {
    let mut connection = connect(database)
        .await
        .map_err(|e| explain(&e, database, Purpose::App { setup }))?;
    let result = migrator.run(&mut connection).await;
    let _ = connection.close().await;
    result.map_err(|error| match error {
        MigrateError::Execute(e) => explain(&e, database, Purpose::App { setup }),
        MigrateError::ExecuteMigration(e, version) => Failure::new(format!(
            "migration {version} failed on {}: {}",
            display(database),
            reason(&e)
        ))
        .help("fix the migration in migrations/, then run `migrate` again"),
        other => Failure::new(format!("cannot migrate {}: {other}", display(database)))
            .help("the migrations applied to this database differ from the ones in migrations/"),
    })
}

async fn connect(options: &PgConnectOptions) -> Result<PgConnection, sqlx::Error> {
    tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(options))
        .await
        .unwrap_or(Err(sqlx::Error::PoolTimedOut))
}

fn admin_options(args: &[&str], database: &PgConnectOptions) -> Result<PgConnectOptions, Failure> {
    let url = match args {
        ["--admin-url", url] => Some((*url).to_owned()),
        [] => std::env::var("DATABASE_ADMIN_URL")
            .ok()
            .filter(|url| !url.is_empty()),
        _ => {
            return Err(Failure::new(format!("unexpected arguments {args:?}")).help(
                "usage: db setup [--admin-url postgres://USER:PASSWORD@HOST:PORT/postgres]",
            ));
        }
    };
    if let Some(url) = url {
        url.parse().map_err(|e| {
            Failure::new(format!("the admin URL is not a PostgreSQL URL: {e}"))
                .help("e.g. --admin-url postgres://postgres:PASSWORD@localhost:5432/postgres")
        })
    } else {
        let mut options = PgConnectOptions::new_without_pgpass()
            .host(database.get_host())
            .port(database.get_port())
            .username(DEFAULT_ADMIN)
            .database(DEFAULT_ADMIN)
            .ssl_mode(database.get_ssl_mode());
        if let Some(socket) = database.get_socket() {
            options = options.socket(socket);
        }
        Ok(options)
    }
}

async fn exists(
    connection: &mut PgConnection,
    sql: &'static str,
    name: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(sql)
        .bind(name)
        .fetch_optional(connection)
        .await?
        .is_some())
}

/// Who was connecting: the service itself (a missing role or database is what `db setup`
/// creates) or `db setup` as the admin role.
#[derive(Clone, Copy)]
enum Purpose {
    App { setup: &'static str },
    Admin,
}

impl Purpose {
    /// Where the URL that failed comes from.
    fn variable(self) -> &'static str {
        match self {
            Self::App { .. } => "DATABASE_URL",
            Self::Admin => "--admin-url",
        }
    }
}

/// What failed, and what to do about it.
fn explain(error: &sqlx::Error, options: &PgConnectOptions, purpose: Purpose) -> Failure {
    let at = display(options);
    let (host, port) = (options.get_host(), options.get_port());
    let code = match error {
        sqlx::Error::Database(db) => db.code().map(std::borrow::Cow::into_owned),
        _ => None,
    };
    let missing = match (code.as_deref(), error) {
        (Some("28000"), sqlx::Error::Database(db)) => db.message().contains("does not exist"),
        (Some("3D000"), _) => true,
        _ => false,
    };
    let connecting = matches!(
        error,
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut
    ) || code
        .as_deref()
        .is_some_and(|c| c.starts_with("28") || c == "3D000");
    let message = if connecting {
        format!("cannot connect to the database at {at}: {}", reason(error))
    } else {
        format!("the database at {at} refused: {}", reason(error))
    };
    let help = match (purpose, code.as_deref()) {
        (Purpose::App { setup }, _) if missing => format!(
            "create the role and the database with `{setup}` (on a PostgreSQL you have), \
             or point DATABASE_URL at yours"
        ),
        (Purpose::App { setup }, Some("28P01")) => format!(
            "the password in DATABASE_URL is not this role's: fix DATABASE_URL, or drop the \
             role and run `{setup}` to create it with this password"
        ),
        (Purpose::Admin, Some(c)) if c.starts_with("28") || c == "3D000" || c == "42501" => {
            "pass a role that may create roles and databases: --admin-url \
             postgres://USER:PASSWORD@HOST:PORT/postgres (or set DATABASE_ADMIN_URL)"
                .to_owned()
        }
        (_, Some(c)) if c.starts_with("28") => {
            "the server's pg_hba.conf does not let this role in from here".to_owned()
        }
        (_, Some("42501")) => "the role lacks a privilege it needs: grant it, or run \
                               `db setup` to make the role own its database"
            .to_owned(),
        _ => match error {
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut => format!(
                "is PostgreSQL running and listening on {host}:{port}? Start it, or point {} at \
                 yours",
                purpose.variable()
            ),
            sqlx::Error::Tls(_) => {
                format!("check sslmode and sslrootcert in {}", purpose.variable())
            }
            _ => "see the server's log for more".to_owned(),
        },
    };
    Failure::new(message).help(help)
}

/// The error in words, without sqlx's prefixes ("error returned from database: …").
fn reason(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => db.message().to_owned(),
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::Tls(tls) => tls.to_string(),
        sqlx::Error::PoolTimedOut => format!("no answer within {}s", CONNECT_TIMEOUT.as_secs()),
        other => other.to_string(),
    }
}

/// The URL without its password, for messages.
pub fn display(options: &PgConnectOptions) -> String {
    let user = options.get_username();
    format!(
        "postgres://{user}@{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or(user)
    )
}

/// The password `options` carries (sqlx keeps it, percent-encoded in its URL form).
fn password(options: &PgConnectOptions) -> Option<String> {
    let url = options.to_url_lossy();
    let encoded = url.password()?;
    let bytes = encoded.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = encoded
            .get(i + 1..i + 3)
            .filter(|_| bytes[i] == b'%')
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        if let Some(byte) = escaped {
            decoded.push(byte);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    Some(String::from_utf8_lossy(&decoded).into_owned())
}

/// A quoted SQL identifier (role and database names cannot be bound parameters).
fn identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A quoted SQL string literal (`standard_conforming_strings` is on since PostgreSQL 9.1).
fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_comes_back_decoded() {
        let options: PgConnectOptions = "postgres://app:p%40ss%2Fw'rd@localhost:5432/app"
            .parse()
            .expect("a valid URL");
        assert_eq!(password(&options).as_deref(), Some("p@ss/w'rd"));
        assert_eq!(display(&options), "postgres://app@localhost:5432/app");
    }

    #[test]
    fn names_and_values_are_quoted() {
        assert_eq!(identifier("a\"b"), "\"a\"\"b\"");
        assert_eq!(literal("it's"), "'it''s'");
    }

    #[test]
    fn the_admin_defaults_to_postgres_on_the_same_server() {
        let database: PgConnectOptions = "postgres://app:secret@db.example:6543/app"
            .parse()
            .expect("a valid URL");
        let admin = admin_options(
            &["--admin-url", "postgres://root@other:5432/postgres"],
            &database,
        )
        .expect("an admin URL");
        assert_eq!(display(&admin), "postgres://root@other:5432/postgres");
        assert!(admin_options(&["--admin"], &database).is_err());
    }
}
