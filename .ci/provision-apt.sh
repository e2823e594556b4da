#!/usr/bin/env bash
# Installs the Debian packages the tests need, only when one is missing.
set -euo pipefail
pkgs=(nlohmann-json3-dev libstb-dev dbus python3 file ruby)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
