#!/usr/bin/env bash
# Create (or refresh) a Python virtualenv holding schemathesis from PyPI, which the openapi
# feature's end-to-end test (tests/openapi.rs) runs against live services with their
# /openapi.json as its only input. Idempotent.
#
#   ARCHGEN_SCHEMATHESIS_VENV   where (default: <repo>/target/schemathesis-venv)
#   PYTHON                      interpreter to create it with (default: python3)
#
# Prints the venv path on the last line:
#   venv=$(scripts/schemathesis-venv.sh | tail -n 1)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${ARCHGEN_SCHEMATHESIS_VENV:-$repo/target/schemathesis-venv}
python=${PYTHON:-python3}

# Pinned so that results do not change under us; bump deliberately.
want="schemathesis==4.32.5"

# One caller at a time: a second one waits, then finds the venv made.
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9

if [[ ! -x "$venv/bin/python" ]]; then
  echo "schemathesis-venv: creating $venv" >&2
  "$python" -m venv "$venv"
fi
stamp="$venv/.archgen-packages"
if [[ ! -f "$stamp" ]] || [[ "$(cat "$stamp")" != "$want" ]]; then
  echo "schemathesis-venv: installing $want into $venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$want" >&2
  printf '%s' "$want" >"$stamp"
else
  echo "schemathesis-venv: $venv is up to date" >&2
fi
echo "$venv"
