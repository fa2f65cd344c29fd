#!/usr/bin/env bash
# Re-resolves the pinned lockfiles (lockfiles/<key>.lock) against crates.io: one per set of
# dependency-relevant answers, each resolved by cargo for a project generated with placeholder
# names (src/lockfile.rs). Run it after changing a dependency in a template's Cargo.toml, or to
# take newer releases; review `git diff lockfiles/`, then `bash .ci/run` builds and tests every
# case `--locked` with exactly these versions.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo run --locked --quiet --example refresh-lockfiles
# The binary embeds lockfiles/: the test rebuilds it, then proves cargo accepts, unchanged,
# what every case now gets.
cargo test --locked --test lockfiles -- --ignored --exact every_case_is_accepted_by_cargo_locked
