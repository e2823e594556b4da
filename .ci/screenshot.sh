#!/usr/bin/env bash
# make screenshot: shows the real tray menu (tray/traytest/cmd/traydemo, a
# realistic made-up state) in an Xfce panel on a virtual X display, clicks
# the icon and opens the first model submenu as a user would, and saves the
# result as docs/screenshot-tray.png (or the path given as $1).
#
# Needs root for apt (.ci/provision-desktop.sh) the first time; nothing of
# the user's desktop is used or changed: the display, session bus, panel
# configuration and home are private and removed afterwards.
# CLAWBRIDGE_SCREENSHOT_TRACE=1 traces the steps on the virtual desktop.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$root/docs/screenshot-tray.png}")

if [ -z "${CLAWBRIDGE_SCREENSHOT_WORK:-}" ]; then
  bash "$root/.ci/provision-desktop.sh"
  work=$(mktemp -d)
  # xfconfd, started by the private bus, goes on writing under $work for a
  # moment after the bus has gone (seen: "Directory not empty"); give it
  # that moment rather than fail on a temporary directory.
  remove_work() {
    local i
    for i in 1 2 3 4 5 6 7 8 9 10; do
      rm -rf "$work" 2>/dev/null && return
      sleep 0.5
    done
    rm -rf "$work"
  }
  trap remove_work EXIT
  (cd "$root" && go build -o "$work/traydemo" ./tray/traytest/cmd/traydemo)
  # The session bus starts xfconfd, which holds the panel's layout, with
  # the bus's own environment: point it at our config before the bus starts.
  export XDG_CONFIG_HOME=$work/config XDG_CACHE_HOME=$work/cache XDG_DATA_HOME=$work/data
  export XDG_RUNTIME_DIR=$work/run HOME=$work/home
  mkdir -p "$XDG_CONFIG_HOME/xfce4/xfconf/xfce-perchannel-xml" "$XDG_RUNTIME_DIR" "$HOME"
  chmod 700 "$XDG_RUNTIME_DIR"
  # One panel along the top: a stretching spacer, then the status tray
  # (which hosts StatusNotifierItems). A config present means no first-run
  # dialog.
  cat >"$XDG_CONFIG_HOME/xfce4/xfconf/xfce-perchannel-xml/xfce4-panel.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="size" type="uint" value="28"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
        <value type="int" value="2"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="separator">
      <property name="expand" type="bool" value="true"/>
      <property name="style" type="uint" value="0"/>
    </property>
    <property name="plugin-2" type="string" value="systray">
      <property name="square-icons" type="bool" value="true"/>
    </property>
  </property>
</channel>
XML
  CLAWBRIDGE_SCREENSHOT_WORK=$work dbus-run-session -- bash ${CLAWBRIDGE_SCREENSHOT_TRACE:+-x} "$0" "$out"
  exit
fi

# From here on we run inside the private session bus.
work=$CLAWBRIDGE_SCREENSHOT_WORK
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
fail() {
  echo "screenshot: $*" >&2
  for log in xvfb panel demo; do
    [ -s "$work/$log.log" ] && { echo "--- $log.log" >&2; tail -n 20 "$work/$log.log" >&2; }
  done
  exit 1
}
trap cleanup EXIT

# poll TRIES CMD...: runs CMD every 0.2 s until it succeeds, TRIES times at most.
poll() {
  local tries=$1
  shift
  for ((i = 0; i < tries; i++)); do
    "$@" && return 0
    sleep 0.2
  done
  return 1
}

Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$work/display" 2>"$work/xvfb.log" &
pids+=($!)
poll 150 test -s "$work/display" || fail "Xvfb did not start"
export DISPLAY=:$(tr -d '[:space:]' <"$work/display")
convert -size 1280x800 gradient:'#6a8fb5'-'#d5dee8' "$work/bg.png"
display -window root "$work/bg.png" || true # sets the backdrop, yet exits 1

bus_has() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner "string:$1" 2>/dev/null | grep -q 'boolean true'
}
registered() {
  dbus-send --session --print-reply --dest=org.kde.StatusNotifierWatcher /StatusNotifierWatcher \
    org.freedesktop.DBus.Properties.Get string:org.kde.StatusNotifierWatcher \
    string:RegisteredStatusNotifierItems 2>/dev/null | grep -q StatusNotifierItem
}
xfce4-panel --disable-wm-check >"$work/panel.log" 2>&1 &
pids+=($!)
poll 150 bus_has org.kde.StatusNotifierWatcher || fail "the panel's status tray did not start"
"$work/traydemo" >"$work/demo.log" 2>&1 &
pids+=($!)
poll 150 registered || fail "the tray did not register with the panel"

# bbox IMAGE-ARGS...: the bounding box (W H X Y) of the non-black pixels.
bbox() {
  local box
  box=$(convert "$@" -format '%@' info: 2>/dev/null) || return 1
  [[ $box =~ ^([0-9]+)x([0-9]+)\+([0-9]+)\+([0-9]+)$ ]] || return 1
  echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[3]} ${BASH_REMATCH[4]}"
}
# The icon is found by its green in the panel strip (good-state icon).
icon_at() {
  import -window root "$work/before.png"
  read -r iw ih ix iy < <(bbox "$work/before.png" -crop 1280x40+0+0 +repage -fuzz 12% \
    -fill black +opaque '#2fa86f') && ((iw > 4 && iw < 40))
}
poll 150 icon_at || fail "the tray icon did not appear in the panel"

# changed MIN_W MIN_H: what differs from before.png covers at least MIN_W×MIN_H.
changed() {
  import -window root "$work/after.png"
  read -r cw ch cx cy < <(bbox "$work/before.png" "$work/after.png" -compose difference \
    -composite -threshold 1%) && ((cw >= $1 && ch >= $2))
}
xdotool mousemove $((ix + iw / 2)) $((iy + ih / 2)) click 1
poll 100 changed 200 300 || fail "the menu did not open"
menu_w=$cw
# Down selects the first enabled item, the first alias; Right opens its models.
xdotool key Down
sleep 0.3
xdotool key Right
poll 50 changed $((menu_w + 100)) 300 || fail "the model submenu did not open"
sleep 0.5
changed 0 0

margin=24
x=$((cx > margin ? cx - margin : 0))
mkdir -p "$(dirname "$out")"
convert "$work/after.png" -crop "$((1280 - x))x$((cy + ch + margin))+$x+0" +repage -strip "$out"
echo "screenshot: wrote $out ($((1280 - x))x$((cy + ch + margin)))"
