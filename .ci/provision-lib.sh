# Shared by the provision-*.sh scripts, which source it: the steps more
# than one of them takes. Those that fetch from npm or install into the
# cache use the sourcing script's $cache (see cache_dir).

# log MESSAGE...: a progress line on stderr, prefixed with the script's name.
log() {
  local name=${0##*/}
  echo "${name%.sh}: $*" >&2
}

# cache_dir: prints the absolute test cache directory ($CLAWBRIDGE_CACHE,
# by default ~/.cache/clawbridge-test), creating it.
cache_dir() {
  local dir=${CLAWBRIDGE_CACHE:-$HOME/.cache/clawbridge-test}
  mkdir -p "$dir" && (cd "$dir" && pwd)
}

# apt_install_missing PKG...: installs those of the Debian packages PKG
# that are not installed yet, all output on stderr.
apt_install_missing() {
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
}

# node_platform: prints the <os>-<arch> of Node's npm packages
# (node-<os>-<arch>) for this machine, and checks that npm, which fetches
# them, is there.
node_platform() {
  local os arch
  command -v npm >/dev/null || { log "npm is not on PATH (it fetches Node and pnpm)"; exit 1; }
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) log "unsupported OS $(uname -s)"; exit 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) log "unsupported CPU $(uname -m)"; exit 1 ;;
  esac
  echo "$os-$arch"
}

# fetch_pack SPEC DEST: unpacks the npm package SPEC into DEST (the tarball's
# package/ directory becomes DEST), through a temporary directory beside it.
# It exits on failure itself, since command substitutions, where it often
# runs, do not inherit set -e.
fetch_pack() {
  local spec=$1 dest=$2 tmp
  tmp=$(mktemp -d "$dest.tmp.XXXXXX") || exit 1
  log "fetching $spec"
  if ! (cd "$tmp" && npm pack "$spec" --cache "$cache/npm-cache" --prefer-offline \
      --loglevel=error >/dev/null && mkdir package &&
      tar -xzf ./*.tgz -C package --strip-components=1); then
    rm -rf "$tmp"
    log "could not fetch $spec"
    exit 1
  fi
  rm -rf "$dest"
  mv "$tmp/package" "$dest"
  rm -rf "$tmp"
}

# node_bin VERSION: prints the cached Node VERSION binary, fetched when
# missing.
node_bin() {
  local version=$1 platform dir
  platform=$(node_platform) || exit 1
  dir=$cache/node-v$version-$platform
  if [ "$("$dir/bin/node" --version 2>/dev/null || true)" != "v$version" ]; then
    fetch_pack "node-$platform@$version" "$dir"
  fi
  [ "$("$dir/bin/node" --version)" = "v$version" ] || { log "$dir/bin/node is not Node $version"; exit 1; }
  echo "$dir/bin/node"
}

# pnpm_bin VERSION NODE: prints $cache/bin/pnpm10, a launcher that runs
# pnpm VERSION on the Node binary NODE with NODE first on PATH (for
# anything pnpm itself starts); fetches pnpm and rewrites the launcher
# when either is missing or stale.
pnpm_bin() {
  local version=$1 node=$2 dir=$cache/pnpm-$1 pnpm=$cache/bin/pnpm10 launcher
  if [ ! -f "$dir/bin/pnpm.cjs" ]; then
    fetch_pack "pnpm@$version" "$dir"
  fi
  launcher="#!/bin/sh
# Runs pnpm $version on $node (written by .ci/provision-lib.sh).
PATH='$(dirname "$node")':\"\$PATH\"
export PATH
exec '$node' '$dir/bin/pnpm.cjs' \"\$@\"
"
  if [ "$(cat "$pnpm" 2>/dev/null || true)" != "$launcher" ]; then
    mkdir -p "$cache/bin"
    printf '%s' "$launcher" >"$pnpm.tmp.$$"
    chmod 755 "$pnpm.tmp.$$"
    mv "$pnpm.tmp.$$" "$pnpm"
  fi
  [ "$("$pnpm" --version)" = "$version" ] || { log "$pnpm does not run pnpm $version"; exit 1; }
  echo "$pnpm"
}

# wrapper_npmrc: the .npmrc of every wrapper project: one pnpm store and
# cache in $cache for all of them.
wrapper_npmrc() {
  printf '%s\n' "store-dir=$cache/pnpm-store" "cache-dir=$cache/pnpm-cache" \
    "confirm-modules-purge=false" "update-notifier=false"
}

# install_wrapper DIR MANIFEST NPMRC PNPM STAMP: writes the wrapper
# project DIR (package.json MANIFEST, .npmrc NPMRC), installs it with the
# pnpm launcher PNPM and records STAMP, the hash of its pins, in
# node_modules/.clawbridge-stamp once the install has finished.
install_wrapper() {
  local dir=$1 manifest=$2 npmrc=$3 pnpm=$4 stamp=$5
  mkdir -p "$dir"
  rm -f "$dir/node_modules/.clawbridge-stamp"
  printf '%s\n' "$manifest" >"$dir/package.json.tmp" && mv "$dir/package.json.tmp" "$dir/package.json"
  printf '%s\n' "$npmrc" >"$dir/.npmrc.tmp" && mv "$dir/.npmrc.tmp" "$dir/.npmrc"
  (cd "$dir" && "$pnpm" install --reporter=append-only --config.loglevel=warn) >&2
  echo "$stamp" >"$dir/node_modules/.clawbridge-stamp"
}
