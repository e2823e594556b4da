#!/usr/bin/env bash
# The packaging checks that `make test` runs (make check-packaging), for
# what a Linux machine can check of the macOS and Homebrew packaging:
#   - Info.plist filled with a version and read back key by key (plistlib);
#   - the .icns built from the app icon;
#   - the Homebrew formula's Ruby syntax (ruby -c);
#   - the GitHub workflows (actionlint, $ACTIONLINT);
#   - `make dist`: each binary's format and architecture (file), the
#     version stamped from git describe, the tray in the Linux builds and
#     not in the darwin ones, and the checksums (sha256sum -c).
# The LaunchAgent and systemd unit are checked by daemon/service's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${ACTIONLINT:?set ACTIONLINT to the actionlint binary (make check-packaging does)}"

step() { echo "==> check-packaging: $*" >&2; }
fail() {
  echo "check-packaging: $*" >&2
  exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

step "Info.plist"
bash packaging/macos/fill-info-plist.sh v1.2.3-4-gabcdef0-dirty >"$tmp/Info.plist"
python3 - "$tmp/Info.plist" <<'EOF'
import plistlib, sys
with open(sys.argv[1], "rb") as f:
    p = plistlib.load(f)
want = {
    "CFBundleExecutable": "clawbridge",
    "CFBundleIdentifier": "io.github.clawbridge",
    "CFBundleName": "clawbridge",
    "CFBundlePackageType": "APPL",
    "CFBundleIconFile": "clawbridge.icns",
    "CFBundleShortVersionString": "1.2.3",
    "CFBundleVersion": "1.2.3",
    "ClawbridgeBuildVersion": "v1.2.3-4-gabcdef0-dirty",
    "LSMinimumSystemVersion": "12.0",
    "LSUIElement": True,
    "NSAppSleepDisabled": True,
    "NSSupportsAutomaticTermination": False,
    "NSSupportsSuddenTermination": False,
}
bad = [f"{k} = {p.get(k)!r}, want {v!r}" for k, v in want.items() if p.get(k) != v or type(p.get(k)) is not type(v)]
left = [f"{k} = {v!r}" for k, v in p.items() if "@" in str(v)]
if "Ollama" not in p.get("NSLocalNetworkUsageDescription", ""):
    bad.append("NSLocalNetworkUsageDescription does not say why clawbridge uses the local network (Ollama)")
if bad or left:
    sys.exit("Info.plist:\n  " + "\n  ".join(bad + ["unfilled: " + x for x in left]))
EOF
short=$(bash packaging/macos/fill-info-plist.sh 1d3b362 | python3 -c 'import plistlib, sys; print(plistlib.loads(sys.stdin.buffer.read())["CFBundleShortVersionString"])')
[ "$short" = 0.0.0 ] || fail "a version before the first tag gave CFBundleShortVersionString $short, want 0.0.0"
if bash packaging/macos/fill-info-plist.sh 'v1/<x>' >/dev/null 2>&1; then
  fail "fill-info-plist.sh accepted a version with / < >"
fi

step "clawbridge.icns"
go run ./packaging/macos/mkicns -out "$tmp/clawbridge.icns" >/dev/null
file -b "$tmp/clawbridge.icns" | grep -q '^Mac OS X icon' || fail "the .icns is not one: $(file -b "$tmp/clawbridge.icns")"

step "Homebrew formula"
ruby -c packaging/homebrew/clawbridge.rb >/dev/null

step "workflows (actionlint)"
"$ACTIONLINT"

step "make dist"
version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
make --no-print-directory dist VERSION="$version" >&2
(cd dist && sha256sum --quiet -c SHA256SUMS) || fail "dist/SHA256SUMS does not verify"
[ "$(wc -l <dist/SHA256SUMS)" -eq 4 ] || fail "dist/SHA256SUMS lists $(wc -l <dist/SHA256SUMS) files, want 4"

declare -A kind=(
  [linux-amd64]='^ELF 64-bit LSB executable, x86-64, .*statically linked'
  [linux-arm64]='^ELF 64-bit LSB executable, ARM aarch64, .*statically linked'
  [darwin-arm64]='^Mach-O 64-bit arm64 executable'
  [darwin-amd64]='^Mach-O 64-bit x86_64 executable'
)
for target in "${!kind[@]}"; do
  bin=dist/clawbridge-$target
  desc=$(file -b "$bin")
  grep -Eq "${kind[$target]}" <<<"$desc" || fail "$bin: $desc"
  info=$(go version -m "$bin")
  for want in "GOOS=${target%-*}" "GOARCH=${target#*-}" "CGO_ENABLED=0"; do
    grep -qF -- "$want" <<<"$info" || fail "$bin was not built with $want:"$'\n'"$info"
  done
  # -trimpath keeps -ldflags out of the build info; the stamped string is
  # in the binary itself.
  grep -qaF -- "$version" "$bin" || fail "$bin does not carry the version $version"
  # The tray: compiled in wherever the build selects tray/available_real.go
  # (Linux always, darwin only with cgo), which is what version reports.
  files=$(GOOS=${target%-*} GOARCH=${target#*-} CGO_ENABLED=0 go list -f '{{join .GoFiles " "}}' ./tray)
  case $target in
  linux-*) want=available_real.go ;;
  darwin-*) want=available_headless.go ;;
  esac
  grep -qw "$want" <<<"$files" || fail "$bin: tray built from $files, want $want"
done

# The Linux binary of this machine's architecture runs here.
case $(uname -m) in
x86_64) native=dist/clawbridge-linux-amd64 ;;
aarch64) native=dist/clawbridge-linux-arm64 ;;
*) fail "no dist binary runs on $(uname -m)" ;;
esac
out=$("$native" version)
grep -qx "clawbridge $version" <<<"$(head -n 1 <<<"$out")" || fail "$native version says:"$'\n'"$out"$'\n'"want first line: clawbridge $version"
grep -qx "tray: compiled in" <<<"$out" || fail "$native version says:"$'\n'"$out"$'\n'"want: tray: compiled in"

step "ok"
