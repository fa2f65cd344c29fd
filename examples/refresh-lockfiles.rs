//! Re-resolves `lockfiles/<key>.lock` against crates.io: for each set of dependency-relevant
//! answers, the project generated with placeholder names gets a fresh `cargo generate-lockfile`
//! (cargo picks the newest versions its `rust-version` allows). Run by
//! `scripts/refresh-lockfiles.sh`, which then proves every case `--locked`.
//!
//! `--keep [KEY…]` resolves only what changed instead (after a dependency is added, say): each
//! lockfile (those of the keys named, or all) is the starting point, so cargo adds what is
//! missing, drops what is unused and moves no other version.

use std::path::Path;
use std::process::{Command, ExitCode};

use cargo_archgen::lockfile;
use cargo_archgen::render::{LOCKFILE, render_templates};

fn main() -> ExitCode {
    match refresh() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn refresh() -> Result<(), String> {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("lockfiles");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let keep = args.first().is_some_and(|a| a == "--keep");
    let only: Vec<&String> = args.iter().skip(usize::from(keep)).collect();
    for answers in lockfile::placeholders().map_err(|e| e.to_string())? {
        let key = lockfile::key(&answers);
        if !only.is_empty() && !only.iter().any(|k| **k == key) {
            continue;
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        for (path, body) in render_templates(&answers).map_err(|e| e.to_string())? {
            let path = dir.path().join(path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            std::fs::write(&path, body).map_err(|e| e.to_string())?;
        }
        // A key not pinned yet starts from the one without the field types' crates.
        let pinned = [key.clone(), key.replace("-decimal", "").replace("-uuid", "")]
            .into_iter()
            .map(|k| out.join(format!("{k}.lock")))
            .find(|path| path.exists());
        let mut cargo = Command::new(env!("CARGO"));
        if let (true, Some(pinned)) = (keep, pinned) {
            std::fs::copy(&pinned, dir.path().join(LOCKFILE)).map_err(|e| e.to_string())?;
            cargo.args(["metadata", "--format-version", "1"]).stdout(std::process::Stdio::null());
        } else {
            cargo.arg("generate-lockfile");
        }
        let status = cargo.current_dir(dir.path()).status().map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("cargo generate-lockfile failed for {key}"));
        }
        std::fs::copy(dir.path().join(LOCKFILE), out.join(format!("{key}.lock"))).map_err(|e| e.to_string())?;
        eprintln!("refreshed lockfiles/{key}.lock");
    }
    Ok(())
}
