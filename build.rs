// include_dir! cannot tell cargo which files it read, so a template or pinned lockfile edit would
// not rebuild the binary without this.
fn main() {
    println!("cargo::rerun-if-changed=templates");
    println!("cargo::rerun-if-changed=lockfiles");
    println!("cargo::rerun-if-changed=tests/fixtures");
}
