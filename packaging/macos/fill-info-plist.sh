#!/usr/bin/env bash
# Fills Info.plist's version placeholders and prints the result.
#   fill-info-plist.sh VERSION [TEMPLATE]
# VERSION is `git describe` output (v1.2.3, v1.2.3-4-gabcdef-dirty, or a
# bare commit before the first tag). macOS wants CFBundleShortVersionString
# as two or three dot-separated integers, so that gets the leading ones
# (0.0.0 before the first tag) and the full string goes to
# ClawbridgeBuildVersion.
set -euo pipefail
version=${1:?usage: fill-info-plist.sh VERSION [TEMPLATE]}
template=${2:-$(dirname "$0")/Info.plist}
if ! [[ $version =~ ^[A-Za-z0-9._+-]+$ ]]; then
  echo "fill-info-plist.sh: version '$version' has characters other than letters, digits and ._+-" >&2
  exit 1
fi
if [[ $version =~ ^v?([0-9]+\.[0-9]+(\.[0-9]+)?)($|[^0-9.]) ]]; then
  short=${BASH_REMATCH[1]}
else
  short=0.0.0
fi
sed -e "s/@SHORT_VERSION@/$short/g" -e "s/@VERSION@/$version/g" "$template"
