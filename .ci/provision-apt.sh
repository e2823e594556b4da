#!/usr/bin/env bash
# Installs the Debian packages the tests need, only when one is missing.
set -euo pipefail
pkgs=(nlohmann-json3-dev libstb-dev dbus python3 file ruby prometheus clang)
# shellcheck source=provision-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/provision-lib.sh"
apt_install_missing "${pkgs[@]}"
