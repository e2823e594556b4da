#!/usr/bin/env bash
# Installs what `make screenshot` needs to show the real tray on a virtual
# desktop: an X server without a screen (Xvfb), the Xfce panel whose
# systray plugin hosts StatusNotifierItems, xdotool to click the icon,
# ImageMagick to capture the screen, and a session bus. Only missing
# packages are installed. `make test` runs the screenshot too, as the
# check that the tray shows up and opens in a real panel.
set -euo pipefail
pkgs=(xvfb xfce4-panel xdotool imagemagick dbus dbus-x11 fonts-dejavu-core adwaita-icon-theme)
# shellcheck source=provision-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/provision-lib.sh"
apt_install_missing "${pkgs[@]}"
