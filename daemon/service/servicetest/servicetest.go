// Package servicetest runs daemon/service's Linux path against a fake
// systemctl, in a temporary home, so tests can install, start and remove
// the agent on any Linux machine (CI containers have no systemd user
// session) and see every call the installer made.
//
// The fake is a fault-injecting stand-in for systemctl only; the unit file,
// kardianos/service's systemd backend and the installer are the real ones.
package servicetest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Systemctl is a fake systemctl first on PATH. It records each call's
// arguments, one line per call, and keeps the unit's active state in a
// file: start and restart make it "active", stop "inactive"; is-active
// prints it; list-unit-files lists the unit while its file exists.
type Systemctl struct {
	// Home is the temporary $HOME; Config and State are the temporary
	// $XDG_CONFIG_HOME and $XDG_STATE_HOME (deliberately not under Home,
	// so tests see which one each file follows).
	Home, Config, State string
	dir                 string
}

// script is the fake. FAKE_SYSTEMCTL_FAIL names a verb that fails the way
// systemctl does without a user session.
const script = `#!/bin/sh
printf '%s\n' "$*" >>"$FAKE_SYSTEMCTL_DIR/calls"
for a in "$@"; do
	case "$a" in --*) ;; *) verb=$a; break ;; esac
done
if [ -n "$FAKE_SYSTEMCTL_FAIL" ] && [ "$verb" = "$FAKE_SYSTEMCTL_FAIL" ]; then
	echo "Failed to connect to bus: No medium found" >&2
	exit 1
fi
state=$FAKE_SYSTEMCTL_DIR/state
case "$verb" in
is-active)
	s=$(cat "$state" 2>/dev/null || echo inactive)
	echo "$s"
	[ "$s" = active ] && exit 0
	exit 3 ;;
list-unit-files)
	if [ -e "$HOME/.config/systemd/user/clawbridge.service" ]; then
		echo "UNIT FILE          STATE   PRESET"
		echo "clawbridge.service enabled enabled"
		exit 0
	fi
	echo "0 unit files listed."
	exit 1 ;;
start|restart) echo active >"$state" ;;
stop) echo inactive >"$state" ;;
esac
exit 0
`

// New installs the fake for the rest of the test: PATH, HOME and the XDG
// directories point into t.TempDir(), and the desktop session variables
// are cleared so the test decides which are set.
func New(t testing.TB) *Systemctl {
	t.Helper()
	root := t.TempDir()
	s := &Systemctl{
		Home:   filepath.Join(root, "home"),
		Config: filepath.Join(root, "xdg-config"),
		State:  filepath.Join(root, "xdg-state"),
		dir:    filepath.Join(root, "systemctl"),
	}
	bin := filepath.Join(root, "bin")
	for _, d := range []string{s.Home, s.dir, bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(bin, "systemctl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("HOME", s.Home)
	t.Setenv("XDG_CONFIG_HOME", s.Config)
	t.Setenv("XDG_STATE_HOME", s.State)
	t.Setenv("FAKE_SYSTEMCTL_DIR", s.dir)
	t.Setenv("FAKE_SYSTEMCTL_FAIL", "")
	for _, v := range []string{"DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "XDG_CURRENT_DESKTOP", "XDG_SESSION_TYPE", "DBUS_SESSION_BUS_ADDRESS"} {
		t.Setenv(v, "")
	}
	return s
}

// Calls returns the calls made since the last Calls, each as its
// arguments joined by spaces, and forgets them.
func (s *Systemctl) Calls(t testing.TB) []string {
	t.Helper()
	path := filepath.Join(s.dir, "calls")
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// SetState sets what is-active reports: "active", "inactive", "failed".
func (s *Systemctl) SetState(t testing.TB, state string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(s.dir, "state"), []byte(state+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// FailOn makes every later call with this verb (enable, start, …) fail as
// systemctl does without a user session; "" stops failing.
func (s *Systemctl) FailOn(t testing.TB, verb string) {
	t.Helper()
	t.Setenv("FAKE_SYSTEMCTL_FAIL", verb)
}

// UnitFile is where the installer writes the unit in this home.
func (s *Systemctl) UnitFile() string {
	return filepath.Join(s.Home, ".config", "systemd", "user", "clawbridge.service")
}

// AutostartFile is where the installer writes the desktop entry.
func (s *Systemctl) AutostartFile() string {
	return filepath.Join(s.Config, "autostart", "clawbridge.desktop")
}
