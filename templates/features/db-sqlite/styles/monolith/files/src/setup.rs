//! The database file, ready to use: `db setup` creates its directory and the file that
//! `DATABASE_URL` names when they are missing, then the commands apply the migrations. And the
//! ONE explanation of a failure to open or migrate it: a line that says what failed and a line
//! that says what to do.

use sqlx::Connection;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use crate::failure::Failure;

/// `db setup`: creates the directory and the file of `database` unless they exist; returns what
/// it did, one line each.
pub async fn prepare(
    args: &[&str],
    database: &SqliteConnectOptions,
) -> Result<Vec<String>, Failure> {
    if !args.is_empty() {
        return Err(Failure::new(format!("unexpected arguments {args:?}"))
            .help("usage: db setup (SQLite needs no admin URL)"));
    }
    let file = database.get_filename();
    if file.exists() {
        return Ok(vec![format!("database file {} exists", file.display())]);
    }
    if let Some(dir) = file.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            Failure::new(format!(
                "cannot create the directory {}: {e}",
                dir.display()
            ))
            .help("check the path in DATABASE_URL and the permissions of its directory")
        })?;
    }
    let connection = SqliteConnection::connect_with(&database.clone().create_if_missing(true))
        .await
        .map_err(|e| explain(&e, database, "db setup"))?;
    let _ = connection.close().await;
    Ok(vec![format!("created database file {}", file.display())])
}

/// Applies `migrator` to `database` over one connection, creating the file's directory if
/// missing (as the server does). `setup` is how the user runs `db setup`, for the hint.
pub async fn migrate(
    migrator: &Migrator,
    database: &SqliteConnectOptions,
    setup: &'static str,
) -> Result<(), Failure> {
    if let Some(dir) = database.get_filename().parent()
        && !dir.as_os_str().is_empty()
    {
        let _ = std::fs::create_dir_all(dir);
    }
    let mut connection = SqliteConnection::connect_with(database)
        .await
        .map_err(|e| explain(&e, database, setup))?;
    let result = migrator.run(&mut connection).await;
    let _ = connection.close().await;
    result.map_err(|error| match error {
        MigrateError::Execute(e) => explain(&e, database, setup),
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

fn explain(error: &sqlx::Error, database: &SqliteConnectOptions, setup: &str) -> Failure {
    Failure::new(format!(
        "cannot open the database at {}: {}",
        display(database),
        reason(error)
    ))
    .help(format!(
        "create it with `{setup}`, or fix DATABASE_URL (`?mode=rwc` creates the file)"
    ))
}

fn reason(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => db.message().to_owned(),
        sqlx::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    }
}

/// The database as `DATABASE_URL` names it, for messages.
pub fn display(options: &SqliteConnectOptions) -> String {
    format!("sqlite://{}", options.get_filename().display())
}
