#!/usr/bin/env bash
# Generate every supported case into target/lint-cases/ and lint each with zero findings allowed.
#
#   scripts/lint-generated.sh          # installs the linters on first use (PyPI, into a venv)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
out=$repo/target/lint-cases

cargo build --quiet --locked
bin=$repo/target/debug/cargo-archgen
ARCHGEN_VENV=$("$repo/scripts/lint-venv.sh" | tail -n 1)
export ARCHGEN_VENV

rm -rf "$out"
mkdir -p "$out"
dirs=()
for db in postgres sqlite none; do
  for ci in github gitlab none; do
    dir=$out/monolith-$db-$ci
    "$bin" new shop-api --style monolith --db "$db" --ci "$ci" --output "$dir" --no-git --yes >/dev/null
    dirs+=("$dir")
  done
done

"$repo/scripts/lint-project.sh" "${dirs[@]}"
