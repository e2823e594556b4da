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
fail() { echo "provision: $*" >&2; exit 1; }

# record SCRIPT: runs a provisioning step that prints KEY=VALUE lines, and
# appends them to the env file. A failing step stops provisioning; a step
# that prints no such line is fine.
record() {
  local got
  got=$(bash "$here/$1") || fail "$1 failed (exit $?); see its messages above"
  grep -E '^[A-Z0-9_]+=' <<<"$got" >>"$tmp" || true
}

# The one prerequisite provisioning does not install: the npm clients run
# on the system Node.js, which must be 20 or newer (Debian 12's nodejs is
# 18), and npm fetches every package. Checked first, before the long steps.
step "prerequisites"
command -v node >/dev/null || fail "Node.js >= 20 is required and node is not on PATH (Debian 12's nodejs is 18: install Node 20+ with npm, e.g. from NodeSource or Debian 13)"
command -v npm >/dev/null || fail "npm is required and is not on PATH (install it with Node.js >= 20)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || fail "Node.js >= 20 is required; node on PATH is $(node --version) (Debian 12's nodejs is 18: install Node 20+ with npm, e.g. from NodeSource or Debian 13)"

step "apt packages"
bash "$here/provision-apt.sh" >&2

step "ollama"
ollama_bin=$(bash "$here/provision-ollama.sh" | tail -n 1)
[ -x "$ollama_bin" ] || { echo "provision-ollama.sh gave no binary ($ollama_bin)" >&2; exit 1; }
echo "CLAWBRIDGE_OLLAMA_BIN=$ollama_bin" >>"$tmp"

step "npm clients"
record provision-npm.sh

step "clawdbot"
record provision-clawdbot.sh

step "openclaw releases"
record provision-openclaw.sh

mv "$tmp" "$out"
trap - EXIT
step "peers recorded in $out:"
cat "$out" >&2
