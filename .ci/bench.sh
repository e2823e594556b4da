#!/usr/bin/env bash
# `make bench` (after `make build`): measures clawbridge and writes
# docs/benchmarks.md. In one go, on this machine:
#   1. the Go micro-benchmarks of the hot paths (go test -bench -benchmem,
#      daemon/translator, daemon/anthropic and daemon/upstream/ollama),
#      several runs each, and a CPU profile of the in-process relay
#      benchmark;
#   2. cmd/clawbench run: the relay comparison against a fast fake upstream
#      (direct, a Go reverse proxy, clawbridge, claude-code-router), the
#      real Ollama comparison, footprint and the daemon's own jobs, with
#      the micro-benchmark results folded in; it prints the report and
#      writes it.
#
# Peers: claude-code-router comes from .ci/provision-bench.sh; Ollama and
# Clawdbot from `make provision` (.ci/provision.sh), which runs here when
# the environment does not already name them (make test exports them).
# Both are idempotent and cached under $CLAWBRIDGE_CACHE.
#
# Knobs (environment):
#   BENCH_TIME, BENCH_REQUESTS, BENCH_ROUNDS, BENCH_TOKENS, BENCH_STARTS,
#   BENCH_JOB_RUNS   passed to clawbench run (see its -h)
#   BENCH_BASELINE   other clawbridge binaries, relayed beside this one: the
#                    before of a before/after, or a change being tried; a
#                    path, or label=path,label=path
#   BENCH_BASELINE_SRC  the source tree of a baseline (a `git worktree add`
#                    of the commit before a change): clawbridge is built
#                    from it and relayed first among the baselines, and its
#                    micro-benchmarks run too, for a before/after table
#   BENCH_BASELINE_LABEL  its row's label (default "baseline <git describe>")
#   BENCH_COUNT      micro-benchmark runs (default 5)
#   BENCH_MICRO_TIME micro-benchmark time per run (default 300ms)
#   BENCH_SMOKE=1    a quick run that checks everything still works (make
#                    test does this); numbers meaningless
#   BENCH_OUT        report file (default docs/benchmarks.md)
#   BENCH_NO_PROVISION=1  provision nothing: peers only from the
#                    environment, sections without one are skipped
#   CLAWBRIDGE_BIN   the clawbridge binary (default bin/clawbridge)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
export CLAWBRIDGE_CACHE=${CLAWBRIDGE_CACHE:-$HOME/.cache/clawbridge-test}
export CLAWBRIDGE_BIN=${CLAWBRIDGE_BIN:-bin/clawbridge}
out=${BENCH_OUT:-docs/benchmarks.md}

step() { echo "==> bench: $*" >&2; }

[ -x "$CLAWBRIDGE_BIN" ] || { echo "bench: $CLAWBRIDGE_BIN is missing: run make build (make bench does)" >&2; exit 1; }

if [ -z "${BENCH_NO_PROVISION:-}" ]; then
  if [ -z "${CLAWBRIDGE_OLLAMA_BIN:-}" ]; then
    step "provisioning the test peers (make provision)"
    peers=$CLAWBRIDGE_CACHE/peers.env
    bash .ci/provision.sh "$peers"
    set -a
    # shellcheck disable=SC1090
    source "$peers"
    set +a
  fi
  step "provisioning claude-code-router"
  ccr=$(bash .ci/provision-bench.sh | sed -n 's/^CLAWBRIDGE_CCR_DIR=//p')
  [ -n "$ccr" ] || { echo "bench: provision-bench.sh named no install" >&2; exit 1; }
  export CLAWBRIDGE_CCR_DIR=$ccr
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

count=${BENCH_COUNT:-5}
btime=${BENCH_MICRO_TIME:-300ms}
ptime=3s
if [ -n "${BENCH_SMOKE:-}" ]; then
  count=1
  btime=1x
  ptime=200x
fi
# micro_pkgs lists the packages with micro-benchmarks that exist in the
# current directory: a baseline tree may predate the daemon/upstream and
# daemon/anthropic moves.
micro_pkgs() {
  for d in daemon/translator daemon/anthropic daemon/upstream/ollama daemon/ollama; do
    [ -d "$d" ] && echo "./$d/"
  done
}

# Every benchmark of those packages (the report's issue 18 targets read
# RelayToken, RelayTokenOpenAI, ConvertClawdbotRequest and
# ConvertAgentRequest1MB among them) but the BenchmarkReal* ones, which
# drive a real Ollama through whole agent sessions for minutes and are
# run by hand (docs/performance.md).
micro_skip='^BenchmarkReal'

step "micro-benchmarks (-count $count -benchtime $btime)"
go test -run '^$' -bench . -skip "$micro_skip" -benchmem -count "$count" -benchtime "$btime" \
  $(micro_pkgs) | tee "$tmp/micro.txt" >&2

baseline_micro=()
if [ -n "${BENCH_BASELINE_SRC:-}" ]; then
  src=$(cd "$BENCH_BASELINE_SRC" && pwd)
  desc=$(git -C "$src" describe --tags --always --dirty 2>/dev/null || echo unknown)
  step "baseline: building clawbridge $desc from $src"
  (cd "$src" && go build -trimpath -ldflags "-s -w -X main.version=$desc" -o "$tmp/clawbridge-baseline" ./cmd/clawbridge)
  export BENCH_BASELINE="${BENCH_BASELINE_LABEL:-baseline $desc}=$tmp/clawbridge-baseline${BENCH_BASELINE:+,$BENCH_BASELINE}"
  step "baseline: micro-benchmarks in $src"
  (cd "$src" && go test -run '^$' -bench . -skip "$micro_skip" -benchmem -count "$count" -benchtime "$btime" \
    $(micro_pkgs)) | tee "$tmp/micro-baseline.txt" >&2
  baseline_micro=(-micro-baseline "$tmp/micro-baseline.txt")
fi

step "CPU profile of the in-process relay (-benchtime $ptime)"
go test -run '^$' -bench 'RelayStream256$' -benchtime "$ptime" -cpuprofile "$tmp/cpu.prof" \
  -o "$tmp/translator.test" ./daemon/translator/ >&2
go tool pprof -top -cum -unit=ms -nodecount=100000 -focus='translator\.\(\*Server\)' \
  "$tmp/translator.test" "$tmp/cpu.prof" >"$tmp/profile.txt" 2>/dev/null

step "relay, real Ollama, footprint and jobs (cmd/clawbench)"
go build -o "$tmp/clawbench" ./cmd/clawbench
"$tmp/clawbench" run -micro "$tmp/micro.txt" "${baseline_micro[@]}" -profile "$tmp/profile.txt" -out "$out"
