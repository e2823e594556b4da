#!/usr/bin/env bash
# Installs what `make screenshot` needs to show the real tray on a virtual
# desktop: an X server without a screen (Xvfb), the Xfce panel whose
# systray plugin hosts StatusNotifierItems, xdotool to click the icon,
# ImageMagick to capture the screen, and a session bus. Only missing
# packages are installed. `make test` runs the screenshot too, as the
# check that the tray shows up and opens in a real panel.
set -euo pipefail
pkgs=(xvfb xfce4-panel xdotool imagemagick dbus dbus-x11 fonts-dejavu-core adwaita-icon-theme)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
