#!/usr/bin/env bash
# `make lint` runs this: govulncheck on every package, against a copy of
# the Go vulnerability database built here, because vuln.go.dev is not
# reachable from every build machine while the Go module proxy is.
#
# The database is the module golang.org/x/vulndb (its data/osv/GO-*.json)
# at a pinned version, fetched with `go mod download` and indexed with its
# own cmd/indexdb into $CLAWBRIDGE_CACHE/vulndb/<version> once; govulncheck
# is pinned too. To take newer vulnerability data, set VULNDB_VERSION to a
# newer pseudo-version (go list -m golang.org/x/vulndb@latest) and commit.
#
# What fails the lint (.ci/vulnreport says the same per finding):
#   - a module we require with a vulnerable function our code calls: fix
#     it with `go get <module>@<fixed version>`;
#   - nothing else by default. A vulnerability in the Go standard library
#     is fixed by building with a newer Go, which is the build machine's to
#     install, not the repository's: it is printed as a warning with the Go
#     version that fixes it on every run, and fails only with
#     VULNCHECK_STDLIB=fail (release builds should set it). Findings in
#     code we import but never call are listed for information.
set -euo pipefail
cd "$(dirname "$0")/.."

VULNDB_VERSION=${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}
GOVULNCHECK_VERSION=${GOVULNCHECK_VERSION:-v1.9.0}
VULNCHECK_STDLIB=${VULNCHECK_STDLIB:-warn}
cache="${CLAWBRIDGE_CACHE:-$HOME/.cache/clawbridge-test}/vulndb"
db="$cache/$VULNDB_VERSION"

if [ ! -f "$db/index/db.json" ]; then
  echo "vulndb: building the vulnerability database from golang.org/x/vulndb@$VULNDB_VERSION" >&2
  mkdir -p "$cache"
  # Outside the module, so that nothing touches go.mod.
  src=$(cd "$cache" && GOFLAGS= go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" |
    sed -nE 's/^[[:space:]]*"Dir": "(.*)",?$/\1/p')
  if [ ! -d "$src/data/osv" ]; then
    echo "vulndb: golang.org/x/vulndb@$VULNDB_VERSION has no data/osv (downloaded to '$src')" >&2
    exit 1
  fi
  tmp="$db.tmp-$$"
  rm -rf "$tmp"
  (cd "$cache" && GOFLAGS= go run "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" -vulns "$src/data/osv" -out "$tmp")
  # indexdb leaves the database's date empty; the data is as of the
  # pseudo-version's commit time, which govulncheck then reports.
  stamp=$(sed -E 's/^v0\.0\.0-([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})-.*/\1-\2-\3T\4:\5:\6Z/' <<<"$VULNDB_VERSION")
  printf '{"modified":"%s"}' "$stamp" >"$tmp/index/db.json"
  gzip -n -c "$tmp/index/db.json" >"$tmp/index/db.json.gz"
  rm -rf "$db"
  mv "$tmp" "$db"
fi

report=$(mktemp)
trap 'rm -f "$report"' EXIT
GOFLAGS= go run "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION" -db "file://$db" -format json ./... >"$report"
go run ./.ci/vulnreport -stdlib="$VULNCHECK_STDLIB" <"$report"
