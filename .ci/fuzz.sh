#!/usr/bin/env bash
# Runs every Go fuzzer in the module for a bounded time each and prints a
# table of what each one did. `make test` runs it short (FUZZTIME=5s, about
# a minute and a half for all of them); `make fuzz` runs it long (60s each).
#
# Fuzzers are found, not listed: every `func FuzzXxx(f *testing.F)` in a
# _test.go file of the module. A fuzzer that fails leaves the input that
# broke it in its package's testdata/fuzz/FuzzXxx/ (go test -fuzz does
# that): fix the bug and commit the file, and the input runs as a
# regression case in every plain `go test` from then on.
#
# Knobs (environment):
#   FUZZTIME          time per fuzzer (default 5s; go test's -fuzztime, so
#                     "1000x" runs that many inputs instead)
#   FUZZMINIMIZETIME  how long to minimise each new or failing input
#                     (default 100x, a hundred tries: go test's default of
#                     60s spends a short run's whole budget on minimising
#                     and runs a hundred times fewer inputs)
#   FUZZ_ONLY         a regular expression: run only fuzzers whose
#                     "package FuzzName" matches
#   FUZZ_SUMMARY      also write the table, as Markdown, to this file
#
# The execs column is go test's own count of inputs run (its last
# "execs:" line), the seeds and testdata/fuzz cases included; "new" is
# the inputs that found new coverage. docs/reliability.md quotes a run.
#
# Go before 1.27 sometimes fails a fuzzer that found nothing with a bare
# "context deadline exceeded" when -fuzztime runs out while a worker is
# busy (golang/go#75804). Such a run wrote no failing input, so it counts
# as passed, marked "ok (deadline race)"; any run that wrote one fails.
set -uo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-5s}
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-100x}
FUZZ_ONLY=${FUZZ_ONLY:-}
FUZZ_SUMMARY=${FUZZ_SUMMARY:-}

# package directory and fuzzer name of every fuzzer, sorted
mapfile -t fuzzers < <(
  git ls-files --cached --others --exclude-standard '*_test.go' |
    grep -v '/testdata/' |
    xargs grep -H -o '^func Fuzz[A-Za-z0-9_]*(f \*testing\.F)' |
    sed -E 's#^(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*#\1 \2#; s#^[^/ ]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*#. \1#' |
    sort -u
)
if [ ${#fuzzers[@]} -eq 0 ]; then
  echo "fuzz.sh: no fuzzers found" >&2
  exit 1
fi

log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
rows=()
failed=0
start=$SECONDS
for entry in "${fuzzers[@]}"; do
  dir=${entry% *}
  name=${entry#* }
  if [ -n "$FUZZ_ONLY" ] && ! [[ "$dir $name" =~ $FUZZ_ONLY ]]; then
    continue
  fi
  out="$log/${dir//\//_}_$name.log"
  t0=$SECONDS
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" "./$dir" >"$out" 2>&1
  rc=$?
  secs=$((SECONDS - t0))
  last=$(grep -E '^fuzz: elapsed: .*execs: [0-9]+' "$out" | tail -1)
  execs=$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$last")
  interesting=$(sed -nE 's/.*new interesting: ([0-9]+).*/\1/p' <<<"$last")
  result=ok
  if [ $rc -ne 0 ] && grep -qx '    context deadline exceeded' "$out" &&
    ! grep -qE 'Failing input written to|failure while testing seed corpus' "$out"; then
    # golang/go#75804 (see the top): no input failed.
    rc=0
    result="ok (deadline race)"
  fi
  if [ $rc -ne 0 ]; then
    result=FAIL
    failed=$((failed + 1))
    echo "--- $dir $name failed:" >&2
    cat "$out" >&2
  fi
  rows+=("$dir|$name|${execs:-0}|${interesting:-0}|${secs}s|$result")
  printf '%-30s %-26s %12s execs  %s\n' "$dir" "$name" "${execs:-0}" "$result"
done

{
  echo
  echo "Fuzzing, FUZZTIME=$FUZZTIME per fuzzer, $(go env GOVERSION), $(nproc 2>/dev/null || echo '?') CPUs, $((SECONDS - start))s in all:"
  echo
  echo "| package | fuzzer | inputs run | new coverage | time | result |"
  echo "|---|---|---:|---:|---:|---|"
  for r in "${rows[@]}"; do
    echo "| ${r//|/ | } |"
  done
} | tee "${FUZZ_SUMMARY:-/dev/null}"

if [ $failed -ne 0 ]; then
  echo "fuzz.sh: $failed fuzzer(s) failed; the inputs are in testdata/fuzz (see above)" >&2
  exit 1
fi
