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
# generate ID ARGS...: one case into $out/ID.
# A style or platform still being built answers "not available yet": skipped, and said so.
generate() {
  local id=$1 message
  shift
  if ! message=$("$bin" new shop-api "$@" --output "$out/$id" --no-git --yes 2>&1 >/dev/null); then
    if [[ $message == *"is not available yet"* ]]; then
      echo "lint: skipped $id (${message%%$'\n'*})"
      return 0
    fi
    echo "$message" >&2
    return 1
  fi
  dirs+=("$out/$id")
}

for ci in github gitlab none; do
  for db in postgres sqlite none; do
    generate "monolith-$db-$ci" --style monolith --db "$db" --ci "$ci"
  done
  for events in nats none; do
    generate "microservices-$events-$ci" --style microservices --services users,orders --events "$events" --ci "$ci"
  done
  for platform in aws-lambda knative; do
    for db in postgres none; do
      generate "serverless-$platform-$db-$ci" --style serverless --platform "$platform" --db "$db" --ci "$ci"
    done
  done
done

# User-chosen features, in each CI provider.
for ci in github gitlab; do
  for db in postgres sqlite; do
    generate "monolith-cache-$db-$ci" --style monolith --db "$db" --ci "$ci" --features cache
  done
  generate "serverless-knative-cache-postgres-$ci" --style serverless --platform knative --ci "$ci" --features cache
done

# Resources of every field type: a service's own (microservices) and the first one the serverless
# functions work on (their SAM events and Knative trigger are made of it).
every_type='products name:string price:decimal sku:string:unique note:text? quantity:int stock:bigint? active:bool total:float? available_on:date? launched_at:timestamp code:uuid?:unique attributes:json?'
generate "microservices-resources-github" --style microservices --services users,orders --ci github \
  --resource "orders/$every_type"
# Calls: a service with two callees, one with two callers, references checked on each.
generate "microservices-calls-github" --style microservices --services users,orders,billing --ci github \
  --calls billing:orders,orders:users,billing:users \
  --resource "users/users email:string:unique" --resource "orders/orders user_id:bigint" \
  --resource "billing/invoices order_id:int user_id:bigint? amount:decimal"
for platform in aws-lambda knative; do
  generate "serverless-$platform-resources-github" --style serverless --platform "$platform" --ci github \
    --resource "$every_type"
done

# Each chosen feature in each style (and platform) that takes it.
generate "monolith-postgres-github-ratelimit" --style monolith --db postgres --ci github --features ratelimit
generate "serverless-knative-postgres-gitlab-ratelimit" --style serverless --platform knative --ci gitlab \
  --features ratelimit
generate "monolith-sqlite-github-auth" --style monolith --db sqlite --ci github --features auth
generate "monolith-postgres-gitlab-auth-cache-ratelimit" --style monolith --db postgres --ci gitlab \
  --features auth,cache,ratelimit
for ci in github gitlab; do
  generate "monolith-postgres-$ci-jobs" --style monolith --db postgres --ci "$ci" --features jobs
done

# The projects in ARCHGEN_LINT_JOBS shares (default: one per core), linted at once: the linters
# (checkov above all) are single-threaded Python. Each share's report is shown whole, in turn.
jobs=${ARCHGEN_LINT_JOBS:-$(nproc)}
pids=() logs=()
for ((share = 0; share < jobs; share++)); do
  mine=()
  for ((i = share; i < ${#dirs[@]}; i += jobs)); do mine+=("${dirs[i]}"); done
  [[ ${#mine[@]} -gt 0 ]] || continue
  logs+=("$out/lint-$share.log")
  "$repo/scripts/lint-project.sh" "${mine[@]}" >"$out/lint-$share.log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!pids[@]}"; do
  wait "${pids[i]}" || status=1
  cat "${logs[i]}"
done
exit "$status"
