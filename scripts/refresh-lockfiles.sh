#!/usr/bin/env bash
# Re-resolves the pinned lockfiles (lockfiles/<key>.lock) against crates.io: one per set of
# dependency-relevant answers, each resolved by cargo for a project generated with placeholder
# names (see src/lockfile.rs). Run it after changing a dependency in a template's Cargo.toml, or
# to take newer releases; then the slow tier (`.ci/run`) builds and tests every case `--locked`
# with exactly these versions, and `git diff lockfiles/` shows what moved.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ARCHGEN_REFRESH_LOCKFILES=1 cargo test --locked --test lockfiles -- --ignored --exact refresh_pinned_lockfiles
# The binary embeds lockfiles/: rebuild, then prove cargo accepts what every case now gets.
cargo test --locked --test lockfiles -- --ignored --exact every_case_is_accepted_by_cargo_locked
