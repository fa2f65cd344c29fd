//! Re-resolves `lockfiles/<key>.lock` against crates.io: for each set of dependency-relevant
//! answers, the project generated with placeholder names gets a fresh `cargo generate-lockfile`
//! (cargo picks the newest versions its `rust-version` allows). Run by
//! `scripts/refresh-lockfiles.sh`, which then proves every case `--locked`.

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
    for answers in lockfile::placeholders().map_err(|e| e.to_string())? {
        let key = lockfile::key(&answers);
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        for (path, body) in render_templates(&answers).map_err(|e| e.to_string())? {
            let path = dir.path().join(path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            std::fs::write(&path, body).map_err(|e| e.to_string())?;
        }
        let status = Command::new(env!("CARGO"))
            .arg("generate-lockfile")
            .current_dir(dir.path())
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("cargo generate-lockfile failed for {key}"));
        }
        std::fs::copy(dir.path().join(LOCKFILE), out.join(format!("{key}.lock"))).map_err(|e| e.to_string())?;
        eprintln!("refreshed lockfiles/{key}.lock");
    }
    Ok(())
}
