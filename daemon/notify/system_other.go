//go:build !darwin

package notify

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"

	"github.com/gen2brain/beeep"
)

// systemSender sends through beeep: DBus org.freedesktop.Notifications on
// Linux and the BSDs, toast notifications on Windows.
func systemSender(icon []byte) func(title, message string) error {
	beeep.AppName = "clawbridge"
	ic := any("")
	if len(icon) > 0 {
		ic = icon
	}
	return func(title, message string) error {
		if err := sessionBusKnown(); err != nil {
			return err
		}
		return beeep.Notify(title, message, ic)
	}
}

// sessionBusKnown checks, on Linux and the BSDs, that a session bus is
// there to carry the notification. Without one, the DBus library would
// launch a bus of its own that outlives the daemon (and shows nothing).
func sessionBusKnown() error {
	if runtime.GOOS == "windows" {
		return nil
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return nil
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "bus")); err == nil {
			return nil
		}
	}
	return errors.New("no DBus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
}
