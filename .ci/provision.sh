#!/usr/bin/env bash
# Provisions every real peer the test suite talks to and writes their
# locations as KEY=VALUE lines to the file named by $1. Each step is
# idempotent and cached under $CLAWBRIDGE_CACHE; any failure stops here.
set -euo pipefail
out=${1:?usage: provision.sh ENV_FILE}
here=$(cd "$(dirname "$0")" && pwd)
cache=${CLAWBRIDGE_CACHE:-$HOME/.cache/clawbridge-test}
mkdir -p "$cache" "$(dirname "$out")"
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT

step() { echo "==> provision: $*" >&2; }

step "apt packages"
bash "$here/provision-apt.sh" >&2

step "ollama"
ollama_bin=$(bash "$here/provision-ollama.sh" | tail -n 1)
[ -x "$ollama_bin" ] || { echo "provision-ollama.sh gave no binary ($ollama_bin)" >&2; exit 1; }
echo "CLAWBRIDGE_OLLAMA_BIN=$ollama_bin" >>"$tmp"

step "npm clients"
bash "$here/provision-npm.sh" | grep -E '^[A-Z0-9_]+=' >>"$tmp" || true

step "clawdbot"
bash "$here/provision-clawdbot.sh" | grep -E '^[A-Z0-9_]+=' >>"$tmp"

mv "$tmp" "$out"
trap - EXIT
step "peers recorded in $out:"
cat "$out" >&2
