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

# shellcheck source=provision-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/provision-lib.sh"
cache=$(cache_dir)
node22=$(node_bin "$NODE22_VERSION")
pnpm=$(pnpm_bin "$PNPM_VERSION" "$node22")

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
npmrc=$(wrapper_npmrc)
stamp=$dir/node_modules/.clawbridge-stamp
want=$(printf '%s\n' "$manifest" "$npmrc" "node $NODE22_VERSION" "pnpm $PNPM_VERSION" | sha256sum | cut -d' ' -f1)
entry=$dir/node_modules/clawdbot/dist/entry.js

if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ] || [ ! -f "$entry" ]; then
  log "installing clawdbot@$CLAWDBOT_VERSION into $dir (about 1.1 GB)"
  install_wrapper "$dir" "$manifest" "$npmrc" "$pnpm" "$want"
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
