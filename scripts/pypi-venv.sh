#!/usr/bin/env bash
# Create (or refresh) a Python virtualenv at DIR holding pinned tools from PyPI. Idempotent;
# one caller at a time (a second one waits, then finds the venv made). The tools' own scripts
# (lint-venv.sh, cargo-lambda-venv.sh, schemathesis-venv.sh) name the tools and where they go.
#
#   scripts/pypi-venv.sh DIR REQUIREMENT…    e.g. target/x-venv "x==1.2.3" "y==4.5"
#   PYTHON                                   interpreter to create it with (default: python3)
#
# Prints the venv path on the last line.
set -euo pipefail

[[ $# -ge 2 ]] || {
  echo "usage: $0 DIR REQUIREMENT…" >&2
  exit 2
}
venv=$1 name=$(basename "$1")
shift
want=$(printf '%s\n' "$@")
python=${PYTHON:-python3}

mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9

if [[ ! -x "$venv/bin/python" ]]; then
  echo "$name: creating $venv" >&2
  "$python" -m venv "$venv"
fi
stamp="$venv/.archgen-packages"
if [[ ! -f "$stamp" ]] || [[ "$(cat "$stamp")" != "$want" ]]; then
  echo "$name: installing $* into $venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@" >&2
  printf '%s' "$want" >"$stamp"
else
  echo "$name: $venv is up to date" >&2
fi
echo "$venv"
