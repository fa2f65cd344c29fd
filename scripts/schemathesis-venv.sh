#!/usr/bin/env bash
# A Python virtualenv holding schemathesis from PyPI, which the openapi feature's end-to-end test
# (tests/openapi.rs) runs against live services with their /openapi.json as its only input.
# Idempotent.
#
#   ARCHGEN_SCHEMATHESIS_VENV   where (default: <repo>/target/schemathesis-venv)
#   PYTHON                      interpreter to create it with (default: python3)
#
# Prints the venv path on the last line:
#   venv=$(scripts/schemathesis-venv.sh | tail -n 1)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Pinned so that results do not change under us; bump deliberately.
exec "$repo/scripts/pypi-venv.sh" "${ARCHGEN_SCHEMATHESIS_VENV:-$repo/target/schemathesis-venv}" "schemathesis==4.32.5"
