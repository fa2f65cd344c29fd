// sqlx's `migrate!()` embeds `migrations/` when the crate compiles; without this, a new migration
// file would not make cargo rebuild the crate, and an incremental build would embed the old set
// (what `sqlx migrate build-script` writes).
fn main() {
    println!("cargo::rerun-if-changed=migrations");
}
