#!/usr/bin/env bash
# Local stand-ins for the base images the generated Dockerfiles start FROM, built into buildah's
# local storage (nothing can be pulled here) and tagged exactly as the FROM lines name them:
#
#   scripts/image-bases.sh RUST_REF CHEF_VERSION RUNTIME_REF
#   e.g. scripts/image-bases.sh rust:1.95-slim-bookworm 0.1.78 gcr.io/distroless/cc-debian12:nonroot
#
# - the Rust image: `mmdebstrap --variant=minbase bookworm` with what the official slim image
#   installs (ca-certificates, gcc, libc6-dev), this machine's Rust toolchain copied into
#   /usr/local as the official image lays it out (RUSTUP_HOME=/usr/local/rustup,
#   CARGO_HOME=/usr/local/cargo, rustup's proxies on PATH), this machine's CA bundle (registries are
#   reached through a TLS proxy) and cargo-chef CHEF_VERSION preinstalled with cargo's install
#   records, so the Dockerfile's `cargo install cargo-chef --locked --version X` is a no-op;
# - the runtime: distroless-like, made the way distroless is (Debian packages unpacked, never
#   installed): glibc, libgcc, libstdc++, libgomp, libssl3, tzdata, netbase, CA certificates,
#   /etc/passwd with root, nobody and nonroot (65532); no shell, no package manager.
#
# Each image is also tagged localhost/archgen-standin/<name>:<key>, the key hashing everything it
# is made from (this script, the toolchain, cargo-chef's version, the CA bundle, the Debian package
# versions): a run whose inputs are unchanged re-tags the cached image and builds nothing.
set -euo pipefail

rust_ref=$1 chef_version=$2 runtime_ref=$3
cache=${ARCHGEN_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/archgen-image-tier}
runtime_packages=(base-files netbase tzdata libc6 libgcc-s1 libgomp1 libstdc++6 libssl3)
mkdir -p "$cache"

log() { printf '    [bases %ss] %s\n' "$SECONDS" "$*" >&2; }

# Short names resolve like Docker's: `rust:…` is docker.io/library/rust:….
qualify() {
  local ref=$1 first=${1%%/*}
  if [[ $ref != */* ]]; then
    ref=docker.io/library/$ref
  elif [[ $first != *.* && $first != *:* && $first != localhost ]]; then
    ref=docker.io/$ref
  fi
  printf '%s\n' "$ref"
}

image_exists() { buildah inspect --type image "$1" >/dev/null 2>&1; }

# Tags CACHED as REF when it exists; answers whether it did.
reuse() {
  local cached=$1 ref=$2
  image_exists "$cached" || return 1
  buildah tag "$cached" "$ref"
  log "reused $cached as $ref"
}

key_of() { sha256sum | cut -c1-16; }

self_hash=$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)
ca_hash=$(sha256sum /etc/ssl/certs/ca-certificates.crt | cut -d' ' -f1)
sysroot=$(rustc --print sysroot)
rust_version=$(rustc --version | cut -d' ' -f2)
host_triple=$(rustc -vV | sed -n 's/^host: //p')

rust_key=$({
  echo "$self_hash $ca_hash $rust_ref $chef_version"
  rustc -vV
  cargo -V
} | key_of)
rust_cached=localhost/archgen-standin/rust:$rust_key

runtime_key=$({
  echo "$self_hash $ca_hash $runtime_ref"
  apt-cache policy "${runtime_packages[@]}" | grep -E '^[^ ]|Candidate'
} | key_of)
runtime_cached=localhost/archgen-standin/runtime:$runtime_key

# cargo-chef, built once per version and toolchain on the host (the stand-in has the host's
# glibc: both are bookworm) and installed with cargo's own records.
chef_root() {
  local root=$cache/cargo-chef-$chef_version-$rust_version
  if [[ ! -x $root/bin/cargo-chef ]]; then
    log "building cargo-chef $chef_version on the host (once per version and toolchain)"
    rm -rf "$root.tmp"
    nice -n 10 cargo install --quiet cargo-chef --locked --version "$chef_version" --root "$root.tmp"
    rm -rf "$root"
    mv "$root.tmp" "$root"
  fi
  printf '%s\n' "$root"
}

build_rust() {
  local ref ctr mnt tc=$rust_version-$host_triple root
  ref=$(qualify "$rust_ref")
  reuse "$rust_cached" "$ref" && return
  root=$(chef_root)
  log "building $ref: mmdebstrap minbase bookworm + toolchain $tc + cargo-chef $chef_version"
  ctr=$(buildah from scratch)
  mnt=$(buildah mount "$ctr")
  nice -n 10 mmdebstrap --quiet --variant=minbase --include=ca-certificates,gcc,libc6-dev \
    --aptopt='APT::Install-Recommends "false"' bookworm "$mnt" http://deb.debian.org/debian
  cp /etc/ssl/certs/ca-certificates.crt "$mnt/etc/ssl/certs/ca-certificates.crt"

  mkdir -p "$mnt/usr/local/rustup/toolchains/$tc" "$mnt/usr/local/cargo/bin"
  tar -C "$sysroot" --exclude=./share/doc -cf - . | tar -C "$mnt/usr/local/rustup/toolchains/$tc" -xf -
  printf 'version = "12"\ndefault_toolchain = "%s"\nprofile = "minimal"\nauto_self_update = "disable"\n' "$tc" \
    >"$mnt/usr/local/rustup/settings.toml"
  cp "$(readlink -f "$(command -v rustup)")" "$mnt/usr/local/cargo/bin/rustup"
  local proxy
  for proxy in cargo cargo-clippy cargo-fmt clippy-driver rustc rustdoc rustfmt; do
    ln -s rustup "$mnt/usr/local/cargo/bin/$proxy"
  done
  cp "$root/bin/cargo-chef" "$mnt/usr/local/cargo/bin/"
  cp "$root/.crates.toml" "$root/.crates2.json" "$mnt/usr/local/cargo/"
  chmod -R a+rwX "$mnt/usr/local/cargo" "$mnt/usr/local/rustup"

  buildah config \
    --env RUSTUP_HOME=/usr/local/rustup \
    --env CARGO_HOME=/usr/local/cargo \
    --env PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env RUST_VERSION="$rust_version" \
    --cmd bash --label archgen.standin=rust "$ctr"
  # The stand-in must do what the Dockerfile asks of it without a download.
  buildah run --isolation chroot "$ctr" -- sh -c \
    "cargo --version && rustc --version && timeout 120 cargo install cargo-chef --locked --version $chef_version 2>&1 | grep -q 'already installed'"
  buildah umount "$ctr" >/dev/null
  buildah commit --quiet --rm "$ctr" "$rust_cached" >/dev/null
  buildah tag "$rust_cached" "$ref"
  log "built $ref ($rust_cached)"
}

build_runtime() {
  local ref ctr mnt debs deb
  ref=$(qualify "$runtime_ref")
  reuse "$runtime_cached" "$ref" && return
  log "building $ref: ${runtime_packages[*]} unpacked"
  debs=$(mktemp -d)
  (cd "$debs" && apt-get download --quiet=2 "${runtime_packages[@]}" 2>/dev/null)
  ctr=$(buildah from scratch)
  mnt=$(buildah mount "$ctr")
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$mnt"; done
  rm -rf "$debs" "$mnt/usr/share/doc" "$mnt/usr/share/man" "$mnt/usr/share/info" "$mnt/usr/share/lintian"
  mkdir -p "$mnt/etc/ssl/certs" "$mnt/tmp" "$mnt/root" "$mnt/home/nonroot" "$mnt/var/tmp"
  cp /etc/ssl/certs/ca-certificates.crt "$mnt/etc/ssl/certs/ca-certificates.crt"
  chmod 1777 "$mnt/tmp" "$mnt/var/tmp"
  chmod 700 "$mnt/root"
  chown 65532:65532 "$mnt/home/nonroot"
  cat >"$mnt/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
  cat >"$mnt/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
tty:x:5:
staff:x:50:
nonroot:x:65532:
EOF
  printf 'hosts: files dns\nnetworks: files\npasswd: files\ngroup: files\n' >"$mnt/etc/nsswitch.conf"
  local shell
  for shell in bin/sh bin/bash bin/dash usr/bin/sh usr/bin/bash usr/bin/dash; do
    if [[ -e $mnt/$shell ]]; then
      echo "the runtime stand-in must have no shell, but it has /$shell" >&2
      exit 1
    fi
  done
  buildah config \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    --user 65532 --workingdir /home/nonroot --label archgen.standin=runtime "$ctr"
  buildah umount "$ctr" >/dev/null
  buildah commit --quiet --rm "$ctr" "$runtime_cached" >/dev/null
  buildah tag "$runtime_cached" "$ref"
  log "built $ref ($runtime_cached)"
}

build_rust
build_runtime
