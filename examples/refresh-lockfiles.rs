//! Resolves the pinned lockfiles against crates.io (see `src/lockfile.rs`): for each base, the
//! project generated with placeholder names is resolved from its pinned lock, so cargo adds what
//! is missing, drops what is unused and moves no other version; each unit is then resolved from
//! its own pinned lock, or else the base's, so that it differs from the base only by what the
//! unit adds. Every pair of units is
//! resolved too, and pinned only when it is more than the sum of its two units; finally the
//! composition of all the units of a base must be what cargo resolves. Run by
//! `scripts/refresh-lockfiles.sh`, which then proves every case `--locked`.
//!
//! `--upgrade` takes the newest releases instead: every file is written anew from a fresh
//! `cargo generate-lockfile` of each base (cargo picks the newest versions its `rust-version`
//! allows). `BASE…` limits either to those bases.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use cargo_archgen::answers::Answers;
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

struct Pins {
    dir: PathBuf,
}

impl Pins {
    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.lock"))
    }

    fn load(&self, key: &str) -> Option<String> {
        std::fs::read_to_string(self.path(key)).ok()
    }
}

fn refresh() -> Result<(), String> {
    let pins = Pins { dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("lockfiles") };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let keep = args.first().is_none_or(|a| a != "--upgrade");
    let only: Vec<&String> = args.iter().skip(usize::from(!keep)).collect();
    let bases = lockfile::bases().map_err(|e| e.to_string())?;
    if !keep && only.is_empty() {
        // Every file is written anew: none of a unit or pair that is gone may stay behind.
        for entry in std::fs::read_dir(&pins.dir).map_err(|e| e.to_string())? {
            std::fs::remove_file(entry.map_err(|e| e.to_string())?.path()).map_err(|e| e.to_string())?;
        }
    }
    for (answers, units) in bases {
        let base = lockfile::base(&answers);
        if !only.is_empty() && !only.iter().any(|k| **k == base) {
            continue;
        }
        let seed = if keep { pins.load(&base) } else { None };
        resolve(&answers, &[], seed.as_deref(), &pins.path(&base))?;
        for unit in &units {
            let key = lockfile::file_key(&base, &[unit]);
            let seed = if keep { pins.load(&key) } else { None }.or_else(|| pins.load(&base));
            resolve(&answers, &[unit], seed.as_deref(), &pins.path(&key))?;
        }
        // Pairs: pinned only when cargo resolves them to more than the sum of their units.
        for (i, a) in units.iter().enumerate() {
            for b in &units[i + 1..] {
                let pair = [a.as_str(), b.as_str()];
                let key = lockfile::file_key(&base, &pair);
                let _ = std::fs::remove_file(pins.path(&key));
                let sum = lockfile::compose(&|k| pins.load(k), &base, &pair, false).map_err(|e| e.to_string())?;
                if !accepts(&answers, &pair, &sum)? {
                    resolve(&answers, &pair, Some(&sum), &pins.path(&key))?;
                }
            }
        }
        let all: Vec<&str> = units.iter().map(String::as_str).collect();
        let composed = lockfile::compose(&|k| pins.load(k), &base, &all, true).map_err(|e| e.to_string())?;
        if !accepts(&answers, &all, &composed)? {
            return Err(format!(
                "{base}: the units {all:?} together resolve to more than their parts and pairs; \
                 pin that combination (src/lockfile.rs) or make the crates agree"
            ));
        }
    }
    Ok(())
}

/// Writes the placeholder project of `base_answers` with `units` into a temp dir.
fn project(base_answers: &Answers, units: &[&str]) -> Result<tempfile::TempDir, String> {
    let answers = lockfile::placeholder(base_answers, units).map_err(|e| e.to_string())?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    for (path, body) in render_templates(&answers).map_err(|e| e.to_string())? {
        let path = dir.path().join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(&path, body).map_err(|e| e.to_string())?;
    }
    Ok(dir)
}

fn cargo(dir: &Path, args: &[&str]) -> Result<bool, String> {
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .map_err(|e| e.to_string())
}

/// Resolves the placeholder project with `units`, from `seed` when given (cargo adds what is
/// missing and moves nothing else), and pins the result at `to`.
fn resolve(base_answers: &Answers, units: &[&str], seed: Option<&str>, to: &Path) -> Result<(), String> {
    let dir = project(base_answers, units)?;
    let lock = dir.path().join(LOCKFILE);
    let resolved = match seed {
        Some(seed) => {
            std::fs::write(&lock, seed).map_err(|e| e.to_string())?;
            cargo(dir.path(), &["metadata", "--format-version", "1"])?
        }
        None => cargo(dir.path(), &["generate-lockfile"])?,
    };
    if !resolved {
        return Err(format!("cargo could not resolve {}", to.display()));
    }
    std::fs::copy(&lock, to).map_err(|e| e.to_string())?;
    eprintln!("refreshed {}", to.file_name().unwrap_or_default().to_string_lossy());
    Ok(())
}

/// Whether cargo takes `lock` unchanged for the placeholder project with `units`.
fn accepts(base_answers: &Answers, units: &[&str], lock: &str) -> Result<bool, String> {
    let dir = project(base_answers, units)?;
    std::fs::write(dir.path().join(LOCKFILE), lock).map_err(|e| e.to_string())?;
    cargo(dir.path(), &["metadata", "--locked", "--format-version", "1"])
}
