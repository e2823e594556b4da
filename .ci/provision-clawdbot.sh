#!/usr/bin/env bash
# Installs a real Clawdbot for the end-to-end tests, the way a user gets it
# (`pnpm add clawdbot`), into $CLAWBRIDGE_CACHE (outside the repo):
#
#   node-v<V>-<os>-<arch>/bin/node   Node 22 from the npm registry (Clawdbot
#                                    needs >= 22.12; the machine has 20)
#   pnpm-<V>/                        pnpm 10 from the npm registry
#   bin/pnpm10                       runs that pnpm with that node
#   clawdbot/                        a wrapper project whose node_modules
#                                    holds clawdbot and its ~550 dependencies
#   pnpm-store/, pnpm-cache/, npm-cache/   download caches
#
# The wrapper exists because clawdbot's tree reaches libsignal through a
# GitHub URL (unreachable here); the wrapper overrides it with the same code
# published on npm as libsignal@6.0.0. Dependency build scripts are not run:
# the ones Clawdbot has either download from GitHub (node-llama-cpp), are
# covered by prebuilt optional packages (sharp), or only chmod and install
# git hooks (clawdbot's own postinstall); `node dist/entry.js` needs none.
#
# Idempotent: each piece is rebuilt only when missing or when the pinned
# versions change (a stamp in the wrapper's node_modules records them).
# Every piece is written to a temporary name and renamed into place, so an
# interrupted run leaves nothing half-installed that a later run trusts.
#
# Progress goes to stderr. stdout is only the env assignments the Makefile
# records (see .ci/provision.sh):
#   CLAWBRIDGE_CLAWDBOT_DIR=<wrapper project; clawdbot is
#                            node_modules/clawdbot, entry dist/entry.js>
#   CLAWBRIDGE_NODE22_BIN=<Node 22 binary>
#   CLAWBRIDGE_PNPM=<script that runs pnpm 10 on Node 22>
#
# A Clawdbot turn against a local Anthropic-compatible server then is:
#   HOME=<tmp> $CLAWBRIDGE_NODE22_BIN \
#     $CLAWBRIDGE_CLAWDBOT_DIR/node_modules/clawdbot/dist/entry.js \
#     agent --local --session-id t --message hello --json
# with <tmp>/.clawdbot/clawdbot.json setting
#   models.providers.anthropic = {baseUrl: "http://127.0.0.1:PORT", models: []}
# and the key in <tmp>/.clawdbot/agents/main/agent/auth-profiles.json
# (cmd/clawbridge/e2e_clawdbot_test.go does exactly this).
set -euo pipefail

# The pins. The plain 2026.1.24 tag of clawdbot is broken (a dist file is
# missing from the tarball); -3 is the same release, repackaged.
CLAWDBOT_VERSION=2026.1.24-3
NODE22_VERSION=22.23.3
PNPM_VERSION=10.34.9

cache=${CLAWBRIDGE_CACHE:-$HOME/.cache/clawbridge-test}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

log() { echo "provision-clawdbot: $*" >&2; }

command -v npm >/dev/null || { log "npm is not on PATH (it fetches Node 22 and pnpm)"; exit 1; }

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

# fetch_pack SPEC DEST: unpacks the npm package SPEC into DEST (the tarball's
# package/ directory becomes DEST), through a temporary directory beside it.
fetch_pack() {
  local spec=$1 dest=$2 tmp
  tmp=$(mktemp -d "$dest.tmp.XXXXXX")
  log "fetching $spec"
  (cd "$tmp" && npm pack "$spec" --cache "$cache/npm-cache" --prefer-offline \
      --loglevel=error >/dev/null)
  mkdir "$tmp/package"
  tar -xzf "$tmp"/*.tgz -C "$tmp/package" --strip-components=1
  rm -rf "$dest"
  mv "$tmp/package" "$dest"
  rm -rf "$tmp"
}

# Node 22.
node_dir=$cache/node-v$NODE22_VERSION-$os-$arch
node22=$node_dir/bin/node
if [ "$("$node22" --version 2>/dev/null || true)" != "v$NODE22_VERSION" ]; then
  fetch_pack "node-$os-$arch@$NODE22_VERSION" "$node_dir"
fi
[ "$("$node22" --version)" = "v$NODE22_VERSION" ] || { log "$node22 is not Node $NODE22_VERSION"; exit 1; }

# pnpm 10, and a launcher that runs it on Node 22 with Node 22 first on
# PATH (for anything pnpm itself starts).
pnpm_dir=$cache/pnpm-$PNPM_VERSION
if [ ! -f "$pnpm_dir/bin/pnpm.cjs" ]; then
  fetch_pack "pnpm@$PNPM_VERSION" "$pnpm_dir"
fi
pnpm=$cache/bin/pnpm10
launcher="#!/bin/sh
# Runs pnpm $PNPM_VERSION on Node $NODE22_VERSION (written by .ci/provision-clawdbot.sh).
PATH='$node_dir/bin':\"\$PATH\"
export PATH
exec '$node22' '$pnpm_dir/bin/pnpm.cjs' \"\$@\"
"
if [ "$(cat "$pnpm" 2>/dev/null || true)" != "$launcher" ]; then
  mkdir -p "$cache/bin"
  printf '%s' "$launcher" >"$pnpm.tmp"
  chmod 755 "$pnpm.tmp"
  mv "$pnpm.tmp" "$pnpm"
fi
[ "$("$pnpm" --version)" = "$PNPM_VERSION" ] || { log "$pnpm does not run pnpm $PNPM_VERSION"; exit 1; }

# Clawdbot, in its wrapper project.
dir=$cache/clawdbot
manifest='{
  "name": "clawbridge-test-clawdbot",
  "private": true,
  "description": "Clawdbot for clawbridge end-to-end tests; written by .ci/provision-clawdbot.sh.",
  "dependencies": {
    "clawdbot": "'$CLAWDBOT_VERSION'"
  },
  "pnpm": {
    "overrides": {
      "libsignal": "6.0.0"
    }
  }
}'
npmrc="store-dir=$cache/pnpm-store
cache-dir=$cache/pnpm-cache
confirm-modules-purge=false
update-notifier=false"
stamp=$dir/node_modules/.clawbridge-stamp
want=$(printf '%s\n' "$manifest" "$npmrc" "node $NODE22_VERSION" "pnpm $PNPM_VERSION" | sha256sum | cut -d' ' -f1)
entry=$dir/node_modules/clawdbot/dist/entry.js

if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ] || [ ! -f "$entry" ]; then
  log "installing clawdbot@$CLAWDBOT_VERSION into $dir (about 1.1 GB)"
  mkdir -p "$dir"
  rm -f "$stamp"
  printf '%s\n' "$manifest" >"$dir/package.json.tmp" && mv "$dir/package.json.tmp" "$dir/package.json"
  printf '%s\n' "$npmrc" >"$dir/.npmrc.tmp" && mv "$dir/.npmrc.tmp" "$dir/.npmrc"
  (cd "$dir" && "$pnpm" install --reporter=append-only --config.loglevel=warn) >&2
  echo "$want" >"$stamp"
else
  log "clawdbot@$CLAWDBOT_VERSION is installed"
fi

# Clawdbot writes state under HOME even for --version; keep it out of the real one.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
got=$(HOME=$scratch "$node22" "$entry" --version 2>/dev/null | tail -n 1)
[ "$got" = "$CLAWDBOT_VERSION" ] || { log "$entry --version says '$got', want $CLAWDBOT_VERSION"; exit 1; }

echo "CLAWBRIDGE_CLAWDBOT_DIR=$dir"
echo "CLAWBRIDGE_NODE22_BIN=$node22"
echo "CLAWBRIDGE_PNPM=$pnpm"
