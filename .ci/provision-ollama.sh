#!/usr/bin/env bash
# Builds the real Ollama server the tests talk to, from source through the Go
# module proxy (no registry here ships Ollama binaries), into
#
#   $CLAWBRIDGE_CACHE/ollama-<V>/bin/ollama
#
# The build is Ollama's own cgo build of the CPU backend (about 3 minutes on
# 2 cores). It needs two Debian header packages and miniaudio.h, which Ollama
# includes as <miniaudio/miniaudio.h> but does not vendor; the same header
# ships inside the Go module github.com/gen2brain/malgo, so it comes from the
# module proxy too.
#
# Idempotent: nothing is rebuilt while the cached binary reports the pinned
# version. The build runs in a temporary directory inside the cache, outside
# any Go module, and the binary is renamed into place only once it has
# built, so an interrupted run never leaves a half-written binary.
#
# Progress goes to stderr; the last line on stdout is the binary's path
# (.ci/provision.sh records it as CLAWBRIDGE_OLLAMA_BIN). The tests then run
# it with daemon/upstream/ollama/ollamatest, which serves a tiny generated model.
set -euo pipefail

OLLAMA_VERSION=0.17.4
MALGO_VERSION=v0.11.24

# shellcheck source=provision-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/provision-lib.sh"
cache=$(cache_dir)

dir=$cache/ollama-$OLLAMA_VERSION
bin=$dir/bin/ollama

# reports_version BIN: whether BIN is an Ollama build of the pinned version.
# Without a server the client prints "Warning: client version is V".
reports_version() {
  [ -x "$1" ] || return 1
  "$1" --version 2>&1 | grep -Eq "version is $OLLAMA_VERSION\$"
}

if reports_version "$bin"; then
  log "ollama $OLLAMA_VERSION is built"
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { log "go is not on PATH"; exit 1; }

apt_install_missing nlohmann-json3-dev libstb-dev

build=$(mktemp -d "$cache/ollama-build.XXXXXX")
trap 'rm -rf "$build"' EXIT
cd "$build"

# Outside any module, with no workspace, so neither the repository's go.mod
# nor a go.work can change what gets built.
export GOWORK=off GOFLAGS=-mod=mod GO111MODULE=on

log "fetching miniaudio.h from github.com/gen2brain/malgo@$MALGO_VERSION"
malgo=$(go mod download -json "github.com/gen2brain/malgo@$MALGO_VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -f "$malgo/miniaudio.h" ] || { log "no miniaudio.h in '$malgo'"; exit 1; }
mkdir -p inc/miniaudio
cp "$malgo/miniaudio.h" inc/miniaudio/

log "building github.com/ollama/ollama@v$OLLAMA_VERSION (about 3 minutes)"
CGO_ENABLED=1 \
  CGO_CFLAGS="-O2 -I$build/inc" \
  CGO_CXXFLAGS="-O2 -I$build/inc" \
  GOBIN="$build/bin" \
  go install -trimpath \
  -ldflags "-s -w -X github.com/ollama/ollama/version.Version=$OLLAMA_VERSION" \
  "github.com/ollama/ollama@v$OLLAMA_VERSION" >&2

reports_version "$build/bin/ollama" || { log "the fresh build does not report version $OLLAMA_VERSION"; exit 1; }
mkdir -p "$dir/bin"
mv "$build/bin/ollama" "$bin"
log "built $bin"
echo "$bin"
