#!/usr/bin/env bash
# A Python virtualenv holding cargo-lambda from PyPI (the wheel brings the cargo-lambda binary
# and ziglang, its cross linker), for the serverless end-to-end tests. Idempotent.
#
#   ARCHGEN_CARGO_LAMBDA_VENV   where (default: <repo>/target/cargo-lambda-venv)
#   PYTHON                      interpreter to create it with (default: python3)
#
# Prints the venv path on the last line:
#   venv=$(scripts/cargo-lambda-venv.sh | tail -n 1)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Pinned so that results do not change under us; bump deliberately.
exec "$repo/scripts/pypi-venv.sh" "${ARCHGEN_CARGO_LAMBDA_VENV:-$repo/target/cargo-lambda-venv}" "cargo-lambda==1.9.2"
