#!/usr/bin/env bash
# Create (or refresh) a Python virtualenv holding cargo-lambda from PyPI (the
# wheel brings the cargo-lambda binary and ziglang, its cross linker), for the
# serverless end-to-end tests. Idempotent.
#
#   ARCHGEN_CARGO_LAMBDA_VENV   where (default: <repo>/target/cargo-lambda-venv)
#   PYTHON                      interpreter to create it with (default: python3)
#
# Prints the venv path on the last line:
#   venv=$(scripts/cargo-lambda-venv.sh | tail -n 1)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${ARCHGEN_CARGO_LAMBDA_VENV:-$repo/target/cargo-lambda-venv}
python=${PYTHON:-python3}

# Pinned so that results do not change under us; bump deliberately.
want="cargo-lambda==1.9.2"

# One caller at a time: a second one waits, then finds the venv made.
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9

if [[ ! -x "$venv/bin/python" ]]; then
  echo "cargo-lambda-venv: creating $venv" >&2
  "$python" -m venv "$venv"
fi
stamp="$venv/.archgen-packages"
if [[ ! -f "$stamp" ]] || [[ "$(cat "$stamp")" != "$want" ]]; then
  echo "cargo-lambda-venv: installing $want into $venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$want" >&2
  printf '%s' "$want" >"$stamp"
else
  echo "cargo-lambda-venv: $venv is up to date" >&2
fi
echo "$venv"
