//! The slow tier's rollout test: an old and a new version of a generated service side by side on
//! one real `PostgreSQL` database, as during a Kubernetes rolling update (each pod's `migrate` init
//! container, then `serve`) or a rollback. Release N+1 adds an *expand* migration (a nullable
//! column), as ARCHITECTURE.md asks:
//!
//! - the new binary against the old schema is not ready (`/readyz` 503 naming the migration);
//! - once its `migrate` has run, the new binary is ready, and the old one keeps serving (reads
//!   and writes) and stays ready on the newer schema;
//! - the old binary's `migrate` (an old pod restarted mid-rollout, or a rollback) succeeds on the
//!   newer schema instead of failing its init container.
//!
//! Run with `cargo test --test rollout -- --ignored`. Builds into the shared target dir
//! (`target/generated-target`); `PostgreSQL` from `$ARCHGEN_TEST_POSTGRES`, a database of its own.
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

use std::path::Path;

use serde_json::json;

mod common;
use common::e2e::{self, Databases, Server, cargo, free_port};

/// Not a slow-tier case's name (`e2e::MONOLITH_POSTGRES`): this project is changed and rebuilt,
/// and its crate must not share a build with the kept case's.
const NAME: &str = "shop-rollout";
const NEXT: &str = "20990101000000";

/// Builds the project and keeps a copy of its binary at `dest`.
fn build(project: &Path, dest: &Path) {
    cargo(project, &["build", "--locked"], &[]);
    std::fs::copy(e2e::binary(NAME), dest).unwrap();
}

fn migrate(binary: &Path, url: &str) -> bool {
    std::process::Command::new(binary)
        .arg("migrate")
        .env("DATABASE_URL", url)
        .stdin(std::process::Stdio::null())
        .status()
        .unwrap()
        .success()
}

fn serve(binary: &Path, name: &str, url: &str) -> Server {
    Server::start_at(binary, name, free_port(), &[("DATABASE_URL".to_owned(), url.to_owned())])
}

#[test]
#[ignore = "slow: builds and runs two versions of a generated project (run by .ci/run)"]
fn old_and_new_versions_side_by_side_during_a_rollout() {
    let project =
        e2e::generate("rollout-monolith-postgres", NAME, &["--style", "monolith", "--db", "postgres", "--ci", "none"]);
    let bins = tempfile::tempdir().unwrap();
    let (old, new) = (bins.path().join("old"), bins.path().join("new"));
    build(&project, &old);
    // Release N+1: an expand migration, and nothing else. sqlx embeds migrations when the crate
    // compiles: the generated build script makes the new file rebuild it (this incremental build
    // would embed the old set without it, and the checks below would fail).
    let migration = format!("{NEXT}_add_item_notes.sql");
    std::fs::write(project.join("migrations").join(migration), "ALTER TABLE items ADD COLUMN note text;\n").unwrap();
    build(&project, &new);

    let mut databases = Databases::default();
    let url = databases.create(format!("archgen_rollout_{}", std::process::id()));
    assert!(migrate(&old, &url), "release N migrates an empty database");
    let old_server = serve(&old, "old", &url);
    old_server.wait_until("old ready", |s| s.get("/readyz").status == 200);

    // The new pod before its init container has migrated: up, not ready, says why.
    let new_server = serve(&new, "new", &url);
    let early = new_server.get("/readyz");
    assert_eq!(early.status, 503, "new binary ready on the old schema: {early:?}");
    let reason = early.json()["checks"]["schema"]["error"].as_str().unwrap_or_default().to_owned();
    assert!(reason.contains(&format!("missing migration {NEXT} (add item notes)")), "{reason}");

    // Its init container migrates; from then on both serve side by side.
    assert!(migrate(&new, &url), "release N+1 migrates");
    new_server.wait_until("new ready after migrate", |s| s.get("/readyz").status == 200);
    assert_eq!(old_server.get("/readyz").status, 200, "old binary not ready on a newer schema");
    let body = json!({"name": format!("rollout-{}", std::process::id()), "description": "written by N"}).to_string();
    let created = old_server.request("POST", "/api/v1/items", Some(&body), &[]);
    assert_eq!(created.status, 201, "old binary cannot write on the newer schema: {created:?}");
    let id = created.json()["data"]["id"].as_i64().unwrap();
    assert_eq!(new_server.get(&format!("/api/v1/items/{id}")).status, 200, "new binary reads N's write");
    let list = old_server.get("/api/v1/items");
    assert_eq!(list.status, 200, "old binary cannot read on the newer schema: {list:?}");

    // An old pod restarting mid-rollout (or a rollback) runs its own init container: the newer
    // schema must not make it fail, and the old binary stays ready.
    assert!(migrate(&old, &url), "release N's `migrate` fails on the newer schema (init container crash loop)");
    assert_eq!(old_server.get("/readyz").status, 200);

    assert!(new_server.terminate().success(), "unclean exit on SIGTERM");
    assert!(old_server.terminate().success(), "unclean exit on SIGTERM");
    drop(databases);
    let _ = std::fs::remove_dir_all(project);
}
