#!/usr/bin/env bash
# Installs the real npm clients the end-to-end tests drive (the official
# @anthropic-ai/sdk, openai, and @mariozechner/pi-ai at the version Clawdbot
# pins and at the latest) into cmd/clawbridge/testdata/npm/node_modules,
# exactly as package-lock.json pins them.
#
# Idempotent: `npm ci` runs only when node_modules is missing or was built
# from a different package-lock.json (its sha256 is kept in node_modules).
# Downloads are cached under $CLAWBRIDGE_CACHE/npm-cache.
#
# Progress goes to stderr; stdout is only the env assignment the Makefile
# records:  CLAWBRIDGE_NPM_DIR=<dir holding package.json and node_modules>
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=$(cd "$here/../cmd/clawbridge/testdata/npm" && pwd)
cache=${CLAWBRIDGE_CACHE:-$HOME/.cache/clawbridge-test}
stamp=$dir/node_modules/.clawbridge-lock-sha256

command -v node >/dev/null || { echo "provision-npm: node is not on PATH (need Node >= 20)" >&2; exit 1; }
command -v npm >/dev/null || { echo "provision-npm: npm is not on PATH" >&2; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "provision-npm: node $(node --version) is too old; the clients need Node >= 20" >&2
  exit 1
fi

want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
have=$(cat "$stamp" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
  echo "provision-npm: npm ci in $dir" >&2
  mkdir -p "$cache/npm-cache"
  rm -f "$stamp"
  # --ignore-scripts: every client is plain JavaScript; no install script is
  # needed, and none should run on a test machine.
  (cd "$dir" && npm ci --cache "$cache/npm-cache" --prefer-offline \
      --ignore-scripts --no-audit --no-fund --loglevel=error) >&2
  echo "$want" >"$stamp"
else
  echo "provision-npm: node_modules is current" >&2
fi

echo "CLAWBRIDGE_NPM_DIR=$dir"
