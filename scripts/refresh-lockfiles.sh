#!/usr/bin/env bash
# Resolves the pinned lockfiles (lockfiles/<base>[+<unit>].lock, see src/lockfile.rs) against
# crates.io, each by cargo for a project generated with placeholder names. Run it after changing
# a dependency in a template's Cargo.toml or adding a feature that brings crates (it finds the
# features itself; no other version moves), or with `--upgrade` to take the newest releases;
# review `git diff lockfiles/`, then `bash .ci/run` builds and tests every case `--locked` with
# exactly these versions.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo run --locked --quiet --example refresh-lockfiles -- "$@"
# The binary embeds lockfiles/: the test rebuilds it, then proves cargo accepts, unchanged,
# what every case now gets.
cargo test --locked --test lockfiles -- --ignored --exact every_case_is_accepted_by_cargo_locked
