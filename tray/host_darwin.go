//go:build darwin && cgo

package tray

import (
	"os"
	"os/exec"
	"strings"
)

// hostReady says whether a tray can run here: only in the user's GUI
// (Aqua) session. Over SSH, or from a launchd job outside the Aqua
// session, there is no WindowServer connection, and [NSApp run] would sit
// there without a menu bar and without handling Ctrl-C.
func hostReady() (note string, err error) {
	out, lerr := exec.Command("launchctl", "managername").Output()
	return "", guiSession(strings.TrimSpace(string(out)), lerr, os.Getenv("SSH_CONNECTION"))
}
