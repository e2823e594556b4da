#!/usr/bin/env bash
# Installs the real OpenClaw releases the end-to-end tests route, the way a
# user gets them (`pnpm add openclaw`), into $CLAWBRIDGE_CACHE (outside the
# repo), one wrapper project per release, all sharing one pnpm store:
#
#   node-v<22>-<os>-<arch>/bin/node  Node 22 (shared with provision-clawdbot.sh)
#   node-v<26>-<os>-<arch>/bin/node  Node 26 (openclaw >= 2026.7 needs
#                                    >= 24.16 <25 or >= 26.1)
#   pnpm-<V>/, bin/pnpm10            pnpm 10 on Node 22 (shared)
#   openclaw-<version>/              a wrapper project whose node_modules
#                                    holds openclaw <version>
#   pnpm-store/, pnpm-cache/, npm-cache/   download caches (shared)
#
# The releases span every model-library and auth-store layout OpenClaw has
# shipped (docs/openclaw-releases.md):
#   2026.5.7   the last release on @mariozechner/pi-ai, JSON auth store
#   2026.5.27  @earendil-works/pi-ai
#   2026.6.35  pi-ai dropped, the last 2026.6 release
#   2026.9.6   @openclaw/ai, SQLite auth store, Node 26
#
# Dependency build scripts are not run (pnpm 10 skips them unless allowed;
# .modules.yaml lists them as ignoredBuilds): protobufjs, tree-sitter-bash,
# @google/genai and koffi only build or fetch optional native parts, and
# openclaw's own postinstall prunes stale dist files left by an upgrade in
# place, of which a fresh install has none. No dependency is a git URL, so
# no override is needed. `node openclaw.mjs` runs without any of them.
#
# Idempotent: each piece is rebuilt only when missing or when its pins
# change (a stamp in the wrapper's node_modules records them). Every piece
# is written to a temporary name and renamed into place, so an interrupted
# run leaves nothing half-installed that a later run trusts.
#
# Progress goes to stderr. stdout is only the env assignments the Makefile
# records (see .ci/provision.sh):
#   CLAWBRIDGE_OPENCLAW_RELEASES="<v1> <v2> ..."  the releases, oldest first
#   CLAWBRIDGE_OPENCLAW_<V>_DIR=<wrapper project> (V with dots as
#                      underscores; openclaw is node_modules/openclaw, entry
#                      openclaw.mjs)
#   CLAWBRIDGE_OPENCLAW_<V>_NODE=<the Node binary that release runs on>
#   CLAWBRIDGE_NODE26_BIN=<Node 26 binary>
#   CLAWBRIDGE_NODE22_BIN, CLAWBRIDGE_PNPM (as provision-clawdbot.sh)
#   CLAWBRIDGE_NPM_CACHE=<npm's cache, holding what `npm i -g openclaw` needs>
#   CLAWBRIDGE_NPM_GLOBAL_OPENCLAW=<the release the tests install that way>
set -euo pipefail

# The pins: release and the Node major it runs on.
OPENCLAW_RELEASES="2026.5.7:22 2026.5.27:22 2026.6.35:22 2026.9.6:26"
NODE22_VERSION=22.23.3
NODE26_VERSION=26.12.1
PNPM_VERSION=10.34.9

# shellcheck source=provision-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/provision-lib.sh"
cache=$(cache_dir)
node22=$(node_bin "$NODE22_VERSION")
node26=$(node_bin "$NODE26_VERSION")
# pnpm 10 on Node 22, the same launcher provision-clawdbot.sh uses.
pnpm=$(pnpm_bin "$PNPM_VERSION" "$node22")
npmrc=$(wrapper_npmrc)

# OpenClaw writes state under HOME even for --version; keep it out of the real one.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# install_release VERSION NODE: installs openclaw VERSION into its wrapper
# project (when its stamp is stale) and checks that it runs on NODE.
install_release() {
  local version=$1 node=$2 dir=$cache/openclaw-$1 manifest stamp want entry got start
  manifest='{
  "name": "clawbridge-test-openclaw-'$version'",
  "private": true,
  "description": "OpenClaw for clawbridge end-to-end tests; written by .ci/provision-openclaw.sh.",
  "dependencies": {
    "openclaw": "'$version'"
  }
}'
  stamp=$dir/node_modules/.clawbridge-stamp
  want=$(printf '%s\n' "$manifest" "$npmrc" "node $("$node" --version)" "pnpm $PNPM_VERSION" | sha256sum | cut -d' ' -f1)
  entry=$dir/node_modules/openclaw/openclaw.mjs
  if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ] || [ ! -f "$entry" ]; then
    log "installing openclaw@$version into $dir"
    start=$(date +%s)
    install_wrapper "$dir" "$manifest" "$npmrc" "$pnpm" "$want"
    log "openclaw@$version installed in $(($(date +%s) - start))s ($(du -sh "$dir" 2>/dev/null | cut -f1) in the wrapper)"
  else
    log "openclaw@$version is installed"
  fi
  mkdir -p "$scratch/$version"
  got=$(HOME=$scratch/$version "$node" "$entry" --version 2>/dev/null | tail -n 1)
  case "$got" in
    *"$version"*) ;;
    *) log "$entry --version on $node says '$got', want $version"; exit 1 ;;
  esac
}

# NPM_GLOBAL_RELEASE is the release the tests install the way many users
# do, `npm i -g openclaw` (into a prefix of their own, offline: see
# warm_npm_global), while clawbridge runs.
NPM_GLOBAL_RELEASE=2026.9.6

# warm_npm_global VERSION NODE: fills npm's cache with everything
# `npm i -g openclaw@VERSION` needs, so that the tests run that install
# with --offline. A stamp in the cache records that it was done.
warm_npm_global() {
  local version=$1 node=$2 stamp=$cache/npm-cache/.clawbridge-global-openclaw-$1 tmp
  if [ -f "$stamp" ]; then
    log "npm's cache holds openclaw@$version for a global install"
    return
  fi
  command -v npm >/dev/null || { log "npm is not on PATH"; exit 1; }
  tmp=$(mktemp -d "$scratch/npm-global.XXXXXX")
  log "filling npm's cache for npm i -g openclaw@$version"
  PATH=$(dirname "$node"):$PATH npm install --global "openclaw@$version" --prefix "$tmp" \
    --cache "$cache/npm-cache" --prefer-offline --ignore-scripts --no-audit --no-fund --loglevel=warn >&2
  touch "$stamp"
}

releases=
for pin in $OPENCLAW_RELEASES; do
  version=${pin%%:*}
  case "${pin#*:}" in
    22) node=$node22 ;;
    26) node=$node26 ;;
    *) log "no Node for pin $pin"; exit 1 ;;
  esac
  install_release "$version" "$node"
  key=${version//[.-]/_}
  echo "CLAWBRIDGE_OPENCLAW_${key}_DIR=$cache/openclaw-$version"
  echo "CLAWBRIDGE_OPENCLAW_${key}_NODE=$node"
  releases="$releases $version"
done

warm_npm_global "$NPM_GLOBAL_RELEASE" "$node26"

# Quoted: peers.env is sourced by the shell.
echo "CLAWBRIDGE_OPENCLAW_RELEASES=\"${releases# }\""
echo "CLAWBRIDGE_NPM_CACHE=$cache/npm-cache"
echo "CLAWBRIDGE_NPM_GLOBAL_OPENCLAW=$NPM_GLOBAL_RELEASE"
echo "CLAWBRIDGE_NODE26_BIN=$node26"
echo "CLAWBRIDGE_NODE22_BIN=$node22"
echo "CLAWBRIDGE_PNPM=$pnpm"
