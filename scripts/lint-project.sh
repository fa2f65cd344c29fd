#!/usr/bin/env bash
# Lint generated projects: CI workflows, compose files, Dockerfiles,
# Kubernetes manifests (after kustomize; Knative resources, which have no
# bundled schema, are checked structurally instead), AWS SAM/CloudFormation
# templates (cfn-lint), YAML style, shell scripts and the k6 script's syntax
# (node --check), plus
# checkov's security checks on the Dockerfile, CI files, compose file and the
# rendered Kubernetes manifests.
#
#   scripts/lint-venv.sh                  # once: installs the linters
#   scripts/lint-project.sh DIR [DIR...]  # each DIR is a generated project
#
# Zero findings are required: any finding makes the exit status 1. Needs no
# network (all JSON schemas used are vendored in the installed packages, and
# checkov runs with --skip-download, no API key and no update check).
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
  kustomize knative cfn-lint yamllint shellcheck justfile k6 checkov)
declare -A checks=() findings=()
for t in "${tools[@]}"; do
  checks[$t]=0
  findings[$t]=0
done

log=$(mktemp)
rendered=$(mktemp -d)
trap 'rm -rf "$log" "$rendered"' EXIT

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

# knative_split [knative]: reads a multi-document YAML stream on stdin and
# prints the documents that are NOT Knative (*.knative.dev) or Gateway API
# (gateway.networking.k8s.io) resources, or, with the argument "knative",
# only those. kubernetes-validate has no schema for these CRDs, so they go to
# knative_check instead.
knative_split() {
  python3 -c '
import sys, yaml
want = len(sys.argv) > 1
docs = [d for d in yaml.safe_load_all(sys.stdin) if d]
def crd(d):
    group = str(d.get("apiVersion", "")).split("/")[0]
    return group.endswith(".knative.dev") or group == "gateway.networking.k8s.io"
keep = [d for d in docs if crd(d) == want]
if keep:
    yaml.safe_dump_all(keep, sys.stdout, sort_keys=False)
' "$@"
}

# knative_check: structural checks (stdin: Knative and Gateway API documents)
# that a schema would otherwise make: known kinds and apiVersions, for an
# HTTPRoute its parent Gateway, hostnames, path matches and backends, and for
# a Service the fields a production service needs (probes, resources, a
# hardened securityContext, autoscaling bounds, containerConcurrency).
knative_check() {
  python3 -c '
import sys, yaml
problems = []
kinds = {"serving.knative.dev/v1": {"Service", "Configuration", "Route", "Revision"},
         "eventing.knative.dev/v1": {"Broker", "Trigger"},
         "sources.knative.dev/v1": {"PingSource", "ApiServerSource", "SinkBinding", "ContainerSource"},
         "gateway.networking.k8s.io/v1": {"HTTPRoute"}}
for doc in yaml.safe_load_all(sys.stdin):
    if not doc:
        continue
    api, kind = doc.get("apiVersion"), doc.get("kind")
    name = (doc.get("metadata") or {}).get("name")
    where = f"{kind}/{name}"
    if kind not in kinds.get(api, set()):
        problems.append(f"{where}: unknown apiVersion/kind {api}/{kind}")
        continue
    if not name:
        problems.append(f"{where}: metadata.name is missing")
    spec = doc.get("spec") or {}
    if kind == "HTTPRoute":
        unknown = set(spec) - {"parentRefs", "hostnames", "rules"}
        if unknown:
            problems.append(f"{where}: unknown spec fields {sorted(unknown)}")
        parents = spec.get("parentRefs") or []
        if not parents or any(not p.get("name") or not p.get("namespace")
                              or p.get("kind", "Gateway") != "Gateway" for p in parents):
            problems.append(f"{where}: spec.parentRefs needs a Gateway name and namespace")
        if not spec.get("hostnames"):
            problems.append(f"{where}: spec.hostnames is missing")
        for rule in spec.get("rules") or []:
            for match in rule.get("matches") or []:
                path = match.get("path") or {}
                if path.get("type") not in ("Exact", "PathPrefix", "RegularExpression") \
                        or not str(path.get("value", "")).startswith("/"):
                    problems.append(f"{where}: bad path match {path}")
            backends = rule.get("backendRefs") or []
            if not backends or any(not b.get("name") or not isinstance(b.get("port"), int)
                                   for b in backends):
                problems.append(f"{where}: every rule needs backendRefs with a name and a port")
        if not spec.get("rules"):
            problems.append(f"{where}: spec.rules is missing")
    if kind == "Trigger":
        if not spec.get("broker") or not (spec.get("subscriber") or {}).get("ref"):
            problems.append(f"{where}: spec.broker and spec.subscriber.ref are required")
    if kind != "Service":
        continue
    template = spec.get("template") or {}
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    for key in ("autoscaling.knative.dev/min-scale", "autoscaling.knative.dev/max-scale"):
        if not str(annotations.get(key, "")).isdigit():
            problems.append(f"{where}: template annotation {key} must be a number")
    tspec = template.get("spec") or {}
    if not isinstance(tspec.get("containerConcurrency"), int):
        problems.append(f"{where}: spec.template.spec.containerConcurrency must be set")
    containers = tspec.get("containers") or []
    if len(containers) != 1:
        problems.append(f"{where}: expected exactly one container")
    for c in containers:
        for probe in ("readinessProbe", "livenessProbe"):
            if not (c.get(probe) or {}).get("httpGet"):
                problems.append(f"{where}: container {probe}.httpGet is missing")
        res = c.get("resources") or {}
        if not res.get("requests") or not (res.get("limits") or {}).get("memory"):
            problems.append(f"{where}: resources.requests and limits.memory are required")
        sc = c.get("securityContext") or {}
        expected = {"runAsNonRoot": True, "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": True}
        for key, value in expected.items():
            if sc.get(key) is not value:
                problems.append(f"{where}: securityContext.{key} must be {value}")
        if (sc.get("capabilities") or {}).get("drop") != ["ALL"]:
            problems.append(f"{where}: securityContext.capabilities.drop must be [ALL]")
        if (sc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
            problems.append(f"{where}: seccompProfile.type must be RuntimeDefault")
print("\n".join(problems))
sys.exit(1 if problems else 0)
'
}

# kubectl kustomize DIR, then its Knative and Gateway API documents through
# knative_check.
kustomize_knative() {
  local dir=$1 out
  out=$("$kubectl_bin" kustomize "$dir" 2>&1) || {
    printf '%s\n' "$out"
    return 1
  }
  printf '%s\n' "$out" | knative_split knative | knative_check
}

# has_knative DIR: whether kustomize DIR renders any Knative or Gateway API
# resource.
has_knative() {
  "$kubectl_bin" kustomize "$1" 2>/dev/null |
    grep -Eq '^apiVersion: ([a-z.]+\.knative\.dev|gateway\.networking\.k8s\.io)/'
}

# kubectl kustomize DIR | kubernetes-validate (Knative resources left out).
# Both print only on trouble (kustomize warnings go to stderr; --quiet hides
# the "passed" lines), so any output at all, a WARN included, is a finding.
kustomize_validate() {
  local dir=$1 out
  out=$("$kubectl_bin" kustomize "$dir" 2>&1) || {
    printf '%s\n' "$out"
    return 1
  }
  out=$(printf '%s\n' "$out" | knative_split)
  [[ -n "$out" ]] || return 0
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

# checkov_scan DIR FRAMEWORK FILE: checkov's FRAMEWORK checks on FILE, run
# from DIR so that the project's .checkov.yaml (its justified skips) applies.
# Offline: no platform download or upload, no API key, no PyPI update check,
# no GitHub/GitLab API calls. checkov silently ignores a file it cannot parse
# (or, for workflows, one its bundled schema rejects), so a run that reports
# no results at all is a finding too, except for the secrets scan, which
# reports nothing when it finds nothing.
checkov_scan() {
  local dir=$1 framework=$2 file=$3 out status=0
  out=$(cd "$dir" && env -u BC_API_KEY -u PRISMA_API_URL -u BC_API_URL \
    CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE \
    CKV_GITHUB_CONFIG_FETCH_DATA=false CKV_GITLAB_CONFIG_FETCH_DATA=false \
    checkov --compact --quiet --skip-download --framework "$framework" \
    --file "$file" 2>&1) || status=$?
  printf '%s\n' "$out"
  if [[ $status -eq 0 && $framework != secrets &&
    "$out" != *"$framework scan results:"* ]]; then
    echo "checkov: $framework found nothing to scan in $file"
    return 1
  fi
  return "$status"
}

# checkov_kustomize DIR KDIR: kubectl kustomize KDIR (relative to DIR), then
# checkov's Kubernetes checks on the manifests it renders.
checkov_kustomize() {
  local dir=$1 kdir=$2 out
  out="$rendered/${dir//\//_}__${kdir//\//_}.yaml"
  "$kubectl_bin" kustomize "$dir/$kdir" >"$out" || return 1
  checkov_scan "$dir" kubernetes "$out"
}

# k6_syntax FILE: parses a k6 script (an ES module) with node, which checks
# syntax only: k6's own modules are not resolved.
k6_syntax() {
  local copy="$rendered/k6-$$.mjs"
  cp "$1" "$copy"
  node --check "$copy"
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
    check checkov "$dir/$f" checkov_scan "$dir" github_actions "$f"
  done

  mapfile -d '' files < <(find_files "$dir" -name '.gitlab-ci.yml')
  for f in "${files[@]}"; do
    check gitlab-schema "$dir/$f" check-jsonschema \
      --builtin-schema vendor.gitlab-ci --data-transform gitlab-ci "$dir/$f"
    check checkov "$dir/$f" checkov_scan "$dir" gitlab_ci "$f"
  done

  mapfile -d '' files < <(find_files "$dir" -name 'docker-compose*.yml' \
    -o -name 'docker-compose*.yaml' -o -name 'compose*.yml' \
    -o -name 'compose*.yaml')
  for f in "${files[@]}"; do
    check compose-schema "$dir/$f" check-jsonschema \
      --builtin-schema vendor.compose-spec "$dir/$f"
    # checkov has no compose checks; its secrets scan still applies.
    check checkov "$dir/$f" checkov_scan "$dir" secrets "$f"
  done

  mapfile -d '' files < <(find_files "$dir" -name 'Dockerfile' \
    -o -name 'Dockerfile.*' -o -name '*.Dockerfile')
  for f in "${files[@]}"; do
    check hadolint "$dir/$f" in_dir "$dir" \
      hadolint --no-color --failure-threshold style "$f"
    check checkov "$dir/$f" checkov_scan "$dir" dockerfile "$f"
  done

  mapfile -d '' files < <(find_files "$dir" -name 'kustomization.yaml' \
    -o -name 'kustomization.yml' -o -name 'Kustomization')
  for f in "${files[@]}"; do
    check kustomize "$dir/${f%/*}" kustomize_validate "$dir/${f%/*}"
    if has_knative "$dir/${f%/*}"; then
      check knative "$dir/${f%/*}" kustomize_knative "$dir/${f%/*}"
    fi
    check checkov "$dir/${f%/*} (rendered)" checkov_kustomize "$dir" "${f%/*}"
  done

  # AWS SAM / CloudFormation templates: cfn-lint (offline: its resource
  # specs ship in the package). Any finding, an informational one included,
  # counts.
  mapfile -d '' files < <(find_files "$dir" -name 'template.yaml' \
    -o -name 'template.yml' -o -name '*.template.yaml')
  for f in "${files[@]}"; do
    if grep -Eq '^(AWSTemplateFormatVersion|Transform):' "$dir/$f"; then
      check cfn-lint "$dir/$f" in_dir "$dir" cfn-lint --format parseable \
        --include-checks I -- "$f"
      check checkov "$dir/$f" checkov_scan "$dir" cloudformation "$f"
    fi
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

  mapfile -d '' files < <(find_files "$dir" -path './loadtest/*.js')
  for f in "${files[@]}"; do
    check k6 "$dir/$f" k6_syntax "$dir/$f"
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
