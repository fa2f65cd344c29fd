#!/usr/bin/env bash
# The image tier: builds every style's generated Dockerfile for real and runs what it built.
#
#   scripts/image-tier.sh            (from .ci/run; needs root, installs its own tools)
#
# There is no Docker engine and no registry here, so: buildah in chroot isolation, and local
# stand-ins for the base images (scripts/image-bases.sh), cached in buildah's storage. For one case
# of each style (monolith + postgres, microservices with the default answers, serverless knative +
# postgres) it generates the project with the real binary, builds each image from the generated
# Dockerfile unchanged (`buildah bud --isolation chroot --pull=never --layers`, the host's cargo
# registry mounted at /usr/local/cargo/registry so crates are downloaded once for all builds), then
# runs from that image, as the image's USER, with its ENTRYPOINT: `migrate` and `serve` against
# the machine's PostgreSQL (a throwaway database per case), probes /healthz and /readyz, runs the
# image's HEALTHCHECK command, and stops the server with SIGTERM, expecting exit status 0.
#
# Environment: ARCHGEN_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432),
# ARCHGEN_TEST_NATS (default nats://127.0.0.1:4222), ARCHGEN_IMAGE_STYLES (default
# "monolith microservices knative"), ARCHGEN_BIN (default: target/debug/cargo-archgen, built
# here), ARCHGEN_IMAGE_NO_CACHE=1 to build without buildah's layer cache.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

postgres=${ARCHGEN_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}
nats=${ARCHGEN_TEST_NATS:-nats://127.0.0.1:4222}
styles=${ARCHGEN_IMAGE_STYLES:-monolith microservices knative}
started=$SECONDS
# The tier's own messages go to fd 3, the original stderr, even from inside redirected commands.
exec 3>&2
log() { printf '  [image tier %ss] %s\n' "$((SECONDS - started))" "$*" >&3; }
fail() {
  echo "image tier: $*" >&3
  exit 1
}

# --- tools -------------------------------------------------------------------------------------
missing=()
for tool in buildah:buildah mmdebstrap:mmdebstrap jq:jq curl:curl psql:postgresql-client; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" uidmap >/dev/null
fi

# --- cleanup -----------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/archgen-image-tier.XXXXXX")
containers=() databases=() servers=()
cleanup() {
  local status=$? pid ctr db
  for pid in "${servers[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for ctr in "${containers[@]}"; do buildah rm "$ctr" >/dev/null 2>&1 || true; done
  for db in "${databases[@]}"; do
    psql "$postgres/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
  ((status == 0)) || echo "image tier FAILED (exit $status)" >&2
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the generator and the cases ---------------------------------------------------------------
archgen=${ARCHGEN_BIN:-}
if [[ -z $archgen ]]; then
  cargo build --quiet --locked --bin cargo-archgen
  archgen=target/debug/cargo-archgen
fi

generate() { # ID ARGS…
  local id=$1
  shift
  "$archgen" new shop "$@" --ci none --no-git --yes --output "$work/$id" >/dev/null
  [[ -f $work/$id/Dockerfile ]] || fail "$id: no Dockerfile generated"
  # The Dockerfiles build --locked: the project's own Cargo.lock must be there, unchanged.
  [[ -f $work/$id/Cargo.lock ]] || fail "$id: no Cargo.lock generated"
  printf '%s\n' "$work/$id"
}

# The FROM lines and the cargo-chef version, read from the generated Dockerfiles themselves.
from_refs() { sed -n 's/^FROM \([^ ]*\).*/\1/p' "$1" | grep -v '^[a-z]*$' | sort -u; }

# --- building ----------------------------------------------------------------------------------
registry=${CARGO_HOME:-$HOME/.cargo}/registry
mkdir -p "$registry"
# Kept between runs, like a BuildKit cache mount: buildah's layer cache may skip a cook whose
# output lives here.
shared_target=${ARCHGEN_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/archgen-image-tier}/target

bud() { # PROJECT TAG [build-arg …]
  local project=$1 tag=$2 t0=$SECONDS size
  shift 2
  local args=(--isolation chroot --pull=never --format docker --quiet
    -v "$registry:/usr/local/cargo/registry" -t "$tag" -f "$project/Dockerfile")
  [[ ${ARCHGEN_IMAGE_NO_CACHE:-} == 1 ]] || args+=(--layers)
  local arg
  for arg in "$@"; do args+=(--build-arg "$arg"); done
  # Workspaces whose Dockerfile copies the binary out of target/ (microservices, knative) also
  # share one target dir between the images of the same workspace, as a BuildKit cache mount
  # would: the first image of each workspace cooks from scratch, the next ones reuse it.
  # (The monolith copies its binary out of target/ in a later stage, so it cannot share one.)
  if grep -q 'cp "target/release/' "$project/Dockerfile"; then
    mkdir -p "$shared_target/${project##*/}"
    args+=(-v "$shared_target/${project##*/}:/app/target")
  fi
  log "building $tag ${*:-}"
  nice -n 10 buildah bud "${args[@]}" "$project" >"$work/${tag//[:\/]/_}.build.log" 2>&1 || {
    tail -n 60 "$work/${tag//[:\/]/_}.build.log" >&2
    fail "building $tag failed"
  }
  size=$(buildah images --format '{{.Size}}' "$tag" | head -n1)
  log "built $tag in $((SECONDS - t0)) s, size $size"
  echo "RESULT build $tag seconds=$((SECONDS - t0)) size=$size" >>"$work/results"
}

# --- running -----------------------------------------------------------------------------------
image_config() { buildah inspect --type image "$1" | jq '.Docker.config'; }

# A working container of IMAGE, removed on exit; its name is in $ctr.
new_container() { # IMAGE
  ctr=$(buildah from --pull-never --quiet "$1")
  containers+=("$ctr")
}

# `buildah run` options that run as IMAGE's USER (never root) with the variables of ENV_FILE.
run_options() { # IMAGE ENV_FILE
  local user line
  user=$(image_config "$1" | jq -r '.User // ""')
  [[ -n $user && $user != root && $user != 0 && $user != 0:* ]] || fail "$1 runs as root (USER '$user')"
  run_opts=(--isolation chroot --user "$user")
  while IFS= read -r line; do run_opts+=(--env "$line"); done <"$2"
}

# `buildah run ARGS…`, its output into LOG. buildah re-executes itself from a sealed in-memory
# copy, and sealing can lose a race (EBUSY: "sealing memfd copy") before anything of the image
# runs; that is the runner failing, not the image, so that one failure is tried again.
buildah_run() { # LOG ARGS…
  local out=$1 attempt
  shift
  for attempt in 1 2 3; do
    buildah run "$@" >"$out" 2>&1 && return 0
    grep -q 'sealing memfd copy' "$out" || return 1
    log "buildah lost its memfd race (attempt $attempt), running again"
  done
  return 1
}

# IMAGE's ENTRYPOINT into the caller's `entry`, and the options that run it as the image's USER
# with the variables of ENV_FILE into `run_opts`.
entrypoint() { # IMAGE ENV_FILE
  mapfile -t entry < <(image_config "$1" | jq -r '.Entrypoint // [] | .[]')
  ((${#entry[@]})) || fail "$1 has no ENTRYPOINT"
  run_options "$1" "$2"
}

# Runs IMAGE's ENTRYPOINT with ARGS in container CTR, as the image's USER, on the host network.
run_in() { # IMAGE CTR ENV_FILE ARGS…
  local image=$1 container=$2 envs=$3 entry=()
  shift 3
  entrypoint "$image" "$envs"
  buildah run "${run_opts[@]}" "$container" -- "${entry[@]}" "$@"
}

# The pid of the process a backgrounded `buildah run` started: the newest descendant of it
# whose executable is EXE (buildah forks a chroot runner in between).
app_pid() { # BUILDAH_PID EXE
  local pid=$1 exe=$2 child found=
  local queue=("$pid")
  while ((${#queue[@]})); do
    pid=${queue[0]}
    queue=("${queue[@]:1}")
    for child in $(pgrep -P "$pid" || true); do
      [[ $(readlink "/proc/$child/exe" 2>/dev/null) == *"$exe" ]] && found=$child
      queue+=("$child")
    done
  done
  printf '%s\n' "$found"
}

probe() { # NAME PORT PATH
  local name=$1 port=$2 path=$3 code body
  body=$(curl -sS -m 5 -o - -w '\n%{http_code}' "http://127.0.0.1:$port$path") || fail "$name: GET $path failed"
  code=${body##*$'\n'}
  body=${body%$'\n'*}
  log "$name GET $path -> $code $body"
  [[ $code == 200 ]] || fail "$name: GET $path answered $code: $body"
  echo "RESULT probe $name $path $code" >>"$work/results"
}

# Starts IMAGE's `serve` on PORT; waits for /healthz. Sets server_pid and server_app.
serve() { # NAME IMAGE ENV_FILE PORT
  local name=$1 image=$2 envs=$3 port=$4 exe
  exe=$(image_config "$image" | jq -r '.Entrypoint[0]')
  new_container "$image"
  run_in "$image" "$ctr" "$envs" serve >"$work/$name.serve.log" 2>&1 &
  server_pid=$!
  servers+=("$server_pid")
  for _ in $(seq 150); do
    curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || {
      cat "$work/$name.serve.log" >&2
      fail "$name: serve exited before /healthz answered"
    }
    sleep 0.2
  done
  server_app=$(app_pid "$server_pid" "$exe")
  [[ -n $server_app ]] || fail "$name: cannot find the process of $exe"
  log "$name serving on 127.0.0.1:$port (pid $server_app, as uid $(stat -c %u "/proc/$server_app"))"
}

# The image's HEALTHCHECK, run as Docker would: its CMD, as the image's USER, with its ENV.
healthcheck() { # NAME IMAGE ENV_FILE
  local name=$1 image=$2 envs=$3 config test=()
  config=$(image_config "$image")
  mapfile -t test < <(jq -r '.Healthcheck.Test // [] | .[]' <<<"$config")
  [[ ${test[0]:-} == CMD ]] || fail "$name: HEALTHCHECK is not in exec form: ${test[*]:-none}"
  new_container "$image"
  run_options "$image" "$envs"
  buildah_run "$work/$name.healthcheck.log" "${run_opts[@]}" "$ctr" -- "${test[@]:1}" || {
    cat "$work/$name.healthcheck.log" >&2
    fail "$name: HEALTHCHECK ${test[*]:1} failed"
  }
  log "$name HEALTHCHECK ${test[*]:1} -> exit 0"
  echo "RESULT healthcheck $name exit=0" >>"$work/results"
}

# SIGTERM to the server; it must exit by itself with status 0 within its grace period.
stop() { # NAME
  local name=$1 status=0
  kill -TERM "$server_app"
  for _ in $(seq 300); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$server_pid" 2>/dev/null && fail "$name: still running 30 s after SIGTERM"
  wait "$server_pid" || status=$?
  ((status == 0)) || {
    tail -n 20 "$work/$name.serve.log" >&2
    fail "$name: exit status $status after SIGTERM"
  }
  grep -qi 'shut' "$work/$name.serve.log" && log "$name: $(grep -i 'shut' "$work/$name.serve.log" | tail -n1)"
  log "$name stopped by SIGTERM, exit 0"
  echo "RESULT sigterm $name exit=0" >>"$work/results"
}

# Creates a throwaway database (dropped on exit); its URL is in $db_url.
new_database() { # NAME
  local db=archgen_img_${1//-/_}_$$
  psql "$postgres/postgres" -v ON_ERROR_STOP=1 -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  psql "$postgres/postgres" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $db" >/dev/null
  databases+=("$db")
  db_url=$postgres/$db
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

env_file() { # NAME PORT [K=V …]
  local file=$work/$1.env
  shift
  printf '%s\n' HOST=127.0.0.1 "PORT=$1" "${@:2}" >"$file"
  printf '%s\n' "$file"
}

# IMAGE's `migrate` in container CTR, its output into LOG.
migrate() { # IMAGE CTR ENV_FILE LOG
  local entry=()
  entrypoint "$1" "$3"
  buildah_run "$4" "${run_opts[@]}" "$2" -- "${entry[@]}" migrate
}

# A database-backed server: migrate, serve, probes, HEALTHCHECK, SIGTERM.
exercise() { # NAME IMAGE ENV_FILE
  local name=$1 image=$2 envs=$3 port
  port=$(sed -n 's/^PORT=//p' "$envs")
  new_container "$image"
  migrate "$image" "$ctr" "$envs" "$work/$name.migrate.log" || {
    cat "$work/$name.migrate.log" >&2
    fail "$name: migrate failed"
  }
  log "$name migrate -> exit 0"
  echo "RESULT migrate $name exit=0" >>"$work/results"
  serve "$name" "$image" "$envs" "$port"
  probe "$name" "$port" /healthz
  probe "$name" "$port" /readyz
  healthcheck "$name" "$image" "$envs"
}

# --- the styles --------------------------------------------------------------------------------
monolith() {
  local project port envs
  project=$work/monolith
  bud "$project" archgen-image-tier/monolith
  port=$(free_port)
  new_database monolith
  envs=$(env_file monolith "$port" "DATABASE_URL=$db_url")
  exercise monolith archgen-image-tier/monolith "$envs"
  stop monolith
}

microservices() {
  local project service port envs gateway_env=() running=() app
  project=$work/microservices
  for service in users orders gateway; do
    bud "$project" "archgen-image-tier/microservices-$service" "PACKAGE=$service"
  done
  for service in users orders; do
    port=$(free_port)
    new_database "$service"
    envs=$(env_file "$service" "$port" "DATABASE_URL=$db_url" "NATS_URL=$nats")
    exercise "$service" "archgen-image-tier/microservices-$service" "$envs"
    gateway_env+=("UPSTREAM_${service^^}_URL=http://127.0.0.1:$port")
    running+=("$service:$server_pid:$server_app")
  done
  port=$(free_port)
  envs=$(env_file gateway "$port" "${gateway_env[@]}")
  serve gateway archgen-image-tier/microservices-gateway "$envs" "$port"
  probe gateway "$port" /healthz
  probe gateway "$port" /readyz
  probe gateway "$port" /api/v1/users
  healthcheck gateway archgen-image-tier/microservices-gateway "$envs"
  stop gateway
  for app in "${running[@]}"; do
    IFS=: read -r service server_pid server_app <<<"$app"
    stop "$service"
  done
}

knative() {
  local project port envs
  project=$work/knative
  bud "$project" archgen-image-tier/knative-api APP=api
  port=$(free_port)
  new_database knative
  envs=$(env_file knative-api "$port" "DATABASE_URL=$db_url")
  exercise knative-api archgen-image-tier/knative-api "$envs"
  stop knative-api
  # The worker: the same Dockerfile with APP=worker (its cook reuses the workspace's shared
  # target dir, so only the worker crate compiles), on the schema the api image migrated.
  bud "$project" archgen-image-tier/knative-worker APP=worker
  port=$(free_port)
  envs=$(env_file knative-worker "$port" "DATABASE_URL=$db_url")
  serve knative-worker archgen-image-tier/knative-worker "$envs" "$port"
  probe knative-worker "$port" /healthz
  probe knative-worker "$port" /readyz
  cloud_event knative-worker "$port" "shop.item.import" '{"name":"image-tier-import"}' 201
  healthcheck knative-worker archgen-image-tier/knative-worker "$envs"
  stop knative-worker
}

# POSTs a binary-mode CloudEvent to a worker and expects STATUS.
cloud_event() { # NAME PORT TYPE DATA STATUS
  local name=$1 port=$2 type=$3 data=$4 expected=$5 code
  code=$(curl -sS -m 5 -o "$work/$name.event.out" -w '%{http_code}' -X POST "http://127.0.0.1:$port/" \
    -H 'ce-specversion: 1.0' -H "ce-id: image-tier-$$" -H 'ce-source: /archgen/image-tier' \
    -H "ce-type: $type" -H 'content-type: application/json' --data "$data") || fail "$name: POST / failed"
  log "$name POST / ($type) -> $code $(cat "$work/$name.event.out")"
  [[ $code == "$expected" ]] || fail "$name: CloudEvent $type answered $code, expected $expected"
  echo "RESULT cloudevent $name $type $code" >>"$work/results"
}

# --- main --------------------------------------------------------------------------------------
projects=()
for style in $styles; do
  case $style in
    monolith) projects+=("$(generate monolith --style monolith --db postgres)") ;;
    microservices) projects+=("$(generate microservices --style microservices)") ;;
    knative) projects+=("$(generate knative --style serverless --platform knative --db postgres)") ;;
    *) fail "unknown style $style (monolith, microservices, knative)" ;;
  esac
done

# Every FROM line of every case names one of the two stand-ins, and they agree on cargo-chef.
mapfile -t refs < <(for p in "${projects[@]}"; do from_refs "$p/Dockerfile"; done | sort -u)
mapfile -t chef < <(for p in "${projects[@]}"; do
  sed -n 's/.*cargo install cargo-chef --locked --version \([0-9.]*\).*/\1/p' "$p/Dockerfile"
done | sort -u)
rust_ref=$(printf '%s\n' "${refs[@]}" | grep '^rust:' || true)
runtime_ref=$(printf '%s\n' "${refs[@]}" | grep 'distroless' || true)
if ((${#refs[@]} != 2 || ${#chef[@]} != 1)) || [[ -z $rust_ref || -z $runtime_ref ]]; then
  fail "expected one rust and one distroless FROM and one cargo-chef version, got: ${refs[*]} / ${chef[*]}"
fi
t0=$SECONDS
scripts/image-bases.sh "$rust_ref" "${chef[0]}" "$runtime_ref"
echo "RESULT bases seconds=$((SECONDS - t0))" >>"$work/results"

for style in $styles; do
  t0=$SECONDS
  "$style"
  log "$style done in $((SECONDS - t0)) s"
  echo "RESULT style $style seconds=$((SECONDS - t0))" >>"$work/results"
done

echo "image tier results:"
sed 's/^RESULT /  /' "$work/results"
log "all images built and run"
