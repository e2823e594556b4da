#!/usr/bin/env bash
# Installs claude-code-router, the Node proxy users would otherwise put
# between Claude clients and a local model, for `make bench` to measure
# against clawbridge. It goes into $CLAWBRIDGE_CACHE/ccr (outside the repo),
# exactly as cmd/clawbench/testdata/ccr/package-lock.json pins it
# (@musistudio/claude-code-router 1.0.73), and runs on the system Node
# (>= 20, as ccr requires).
#
# Idempotent: `npm ci` runs only when the install is missing or was made
# from a different package-lock.json (its sha256 is kept in node_modules).
# The install is built in a temporary directory and renamed into place, so
# an interrupted run leaves nothing half-installed that a later run trusts.
# Downloads are cached under $CLAWBRIDGE_CACHE/npm-cache.
#
# Progress goes to stderr; stdout is only the env assignment bench.sh reads:
#   CLAWBRIDGE_CCR_DIR=<dir whose node_modules/@musistudio/claude-code-router
#                       /dist/cli.js is the ccr command>
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../cmd/clawbench/testdata/ccr" && pwd)
cache=${CLAWBRIDGE_CACHE:-$HOME/.cache/clawbridge-test}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
dir=$cache/ccr
cli=$dir/node_modules/@musistudio/claude-code-router/dist/cli.js
stamp=$dir/node_modules/.clawbridge-lock-sha256

log() { echo "provision-bench: $*" >&2; }

command -v node >/dev/null || { log "node is not on PATH (claude-code-router needs Node >= 20)"; exit 1; }
command -v npm >/dev/null || { log "npm is not on PATH"; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  log "node $(node --version) is too old; claude-code-router needs Node >= 20"
  exit 1
fi

want=$(sha256sum "$src/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ] || [ ! -f "$cli" ]; then
  log "npm ci of claude-code-router into $dir"
  mkdir -p "$cache/npm-cache"
  tmp=$(mktemp -d "$dir.tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  cp "$src/package.json" "$src/package-lock.json" "$tmp/"
  (cd "$tmp" && npm ci --cache "$cache/npm-cache" --prefer-offline --no-audit --no-fund \
      --loglevel=error) >&2
  echo "$want" >"$tmp/node_modules/.clawbridge-lock-sha256"
  rm -rf "$dir"
  mv "$tmp" "$dir"
  trap - EXIT
else
  log "claude-code-router is installed in $dir"
fi

got=$(node -p "require('$dir/node_modules/@musistudio/claude-code-router/package.json').version")
[ "$got" = "1.0.73" ] || { log "$cli is claude-code-router $got, want 1.0.73"; exit 1; }

echo "CLAWBRIDGE_CCR_DIR=$dir"
