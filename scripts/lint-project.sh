#!/usr/bin/env bash
# Lint generated projects: CI workflows, compose files, Dockerfiles,
# Kubernetes manifests (after kustomize), YAML style and shell scripts.
#
#   scripts/lint-venv.sh                  # once: installs the linters
#   scripts/lint-project.sh DIR [DIR...]  # each DIR is a generated project
#
# Zero findings are required: any finding makes the exit status 1. Needs no
# network (all JSON schemas used are vendored in the installed packages).
#
#   ARCHGEN_VENV         venv made by lint-venv.sh (default: target/lint-venv)
#   ARCHGEN_K8S_VERSION  Kubernetes version to validate against (default 1.33)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${ARCHGEN_VENV:-$repo/target/lint-venv}
k8s_version=${ARCHGEN_K8S_VERSION:-1.33}

usage() {
  echo "usage: $0 DIR [DIR...]" >&2
  exit 2
}
[[ $# -gt 0 ]] || usage

if [[ ! -x "$venv/bin/yamllint" ]]; then
  echo "lint: no linters in $venv; run scripts/lint-venv.sh first" >&2
  exit 2
fi
export PATH="$venv/bin:$PATH"
kubectl_bin=$(command -v kubectl || true)
if [[ -z "$kubectl_bin" ]]; then
  echo "lint: kubectl not found; run scripts/lint-venv.sh" >&2
  exit 2
fi

tools=(leftovers actionlint gh-schema gitlab-schema compose-schema hadolint
  kustomize yamllint shellcheck justfile)
declare -A checks=() findings=()
for t in "${tools[@]}"; do
  checks[$t]=0
  findings[$t]=0
done

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# check TOOL LABEL CMD...: run CMD with stdin closed; a non-zero exit is a
# finding, and CMD's output is shown under the label.
check() {
  local tool=$1 label=$2
  shift 2
  checks[$tool]=$((checks[$tool] + 1))
  if "$@" </dev/null >"$log" 2>&1; then
    return 0
  fi
  findings[$tool]=$((findings[$tool] + 1))
  echo "--- $tool: $label"
  sed 's/^/    /' "$log"
}

# find_files DIR FIND-PREDICATES...: NUL-separated paths relative to DIR,
# sorted, skipping build output and VCS metadata.
find_files() {
  local dir=$1
  shift
  (cd "$dir" && find . \( -path ./target -o -path ./.git \) -prune -o \
    -type f \( "$@" \) -printf '%P\0' | sort -z)
}

# in_dir DIR CMD...: run CMD from DIR, so that the project's own linter
# configs (.yamllint.yml, .hadolint.yaml, ...) apply and paths print short.
in_dir() {
  (cd "$1" && shift && "$@")
}

# Handlebars leftovers: an escaped "\{{" must never reach the output.
no_leftovers() {
  ! grep -rnF --exclude-dir=target --exclude-dir=.git '\{{' "$1"
}

# kubectl kustomize DIR | kubernetes-validate. Both print only on trouble
# (kustomize warnings go to stderr; --quiet hides the "passed" lines), so any
# output at all, a WARN included, is a finding.
kustomize_validate() {
  local dir=$1 out
  out=$("$kubectl_bin" kustomize "$dir" 2>&1) || {
    printf '%s\n' "$out"
    return 1
  }
  out=$(printf '%s\n' "$out" |
    kubernetes-validate --strict --quiet -k "$k8s_version" - 2>&1) || {
    printf '%s\n' "$out"
    return 1
  }
  if [[ -n "$out" ]]; then
    printf '%s\n' "$out"
    return 1
  fi
}

has_shell_shebang() {
  head -n 1 "$1" | grep -Eq '^#!.*(/|env )(ba|da|k)?sh\b'
}

lint_dir() {
  local dir=$1 f
  local -a files

  check leftovers "$dir" no_leftovers "$dir"

  mapfile -d '' files < <(find_files "$dir" -path './.github/workflows/*' \
    \( -name '*.yml' -o -name '*.yaml' \))
  for f in "${files[@]}"; do
    check actionlint "$dir/$f" in_dir "$dir" actionlint -no-color "$f"
    check gh-schema "$dir/$f" check-jsonschema \
      --builtin-schema vendor.github-workflows "$dir/$f"
  done

  mapfile -d '' files < <(find_files "$dir" -name '.gitlab-ci.yml')
  for f in "${files[@]}"; do
    check gitlab-schema "$dir/$f" check-jsonschema \
      --builtin-schema vendor.gitlab-ci --data-transform gitlab-ci "$dir/$f"
  done

  mapfile -d '' files < <(find_files "$dir" -name 'docker-compose*.yml' \
    -o -name 'docker-compose*.yaml' -o -name 'compose*.yml' \
    -o -name 'compose*.yaml')
  for f in "${files[@]}"; do
    check compose-schema "$dir/$f" check-jsonschema \
      --builtin-schema vendor.compose-spec "$dir/$f"
  done

  mapfile -d '' files < <(find_files "$dir" -name 'Dockerfile' \
    -o -name 'Dockerfile.*' -o -name '*.Dockerfile')
  for f in "${files[@]}"; do
    check hadolint "$dir/$f" in_dir "$dir" \
      hadolint --no-color --failure-threshold style "$f"
  done

  mapfile -d '' files < <(find_files "$dir" -name 'kustomization.yaml' \
    -o -name 'kustomization.yml' -o -name 'Kustomization')
  for f in "${files[@]}"; do
    check kustomize "$dir/${f%/*}" kustomize_validate "$dir/${f%/*}"
  done

  mapfile -d '' files < <(find_files "$dir" -name '*.yml' -o -name '*.yaml')
  if [[ ${#files[@]} -gt 0 ]]; then
    # One run over all files; the project's own .yamllint* config applies.
    check yamllint "$dir (${#files[@]} files)" in_dir "$dir" \
      yamllint --strict -f parsable "${files[@]}"
  fi

  mapfile -d '' files < <(find_files "$dir" -iname 'justfile' \
    -o -name '*.just')
  for f in "${files[@]}"; do
    # Parses the justfile and requires just's canonical formatting.
    check justfile "$dir/$f" in_dir "$dir" just --justfile "$f" --fmt --check
  done

  mapfile -d '' files < <(find_files "$dir" -name '*')
  for f in "${files[@]}"; do
    if [[ "$f" == *.sh || "$f" == *.bash ]] || has_shell_shebang "$dir/$f"; then
      check shellcheck "$dir/$f" in_dir "$dir" shellcheck -x "$f"
    fi
  done
}

for dir in "$@"; do
  if [[ ! -d "$dir" ]]; then
    echo "lint: $dir: not a directory" >&2
    exit 2
  fi
  lint_dir "${dir%/}"
done

total_checks=0 total_findings=0
for t in "${tools[@]}"; do
  printf 'lint: %-15s %4d checks, %d findings\n' \
    "$t" "${checks[$t]}" "${findings[$t]}"
  total_checks=$((total_checks + checks[$t]))
  total_findings=$((total_findings + findings[$t]))
done
echo "lint: $# projects, $total_checks checks, $total_findings findings"
[[ $total_findings -eq 0 ]]
