package tray

import (
	"context"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
)

// hostReady says whether a tray can run here. On Linux the menu lives on
// the session bus (StatusNotifierItem + dbusmenu), and fyne's Quit panics
// when it never got a connection, so the bus must answer first. A bus is
// only looked up, never started: a daemon in a headless session must not
// spawn one (godbus would run dbus-launch). note, when not empty, is worth
// a log line: the menu works but nothing may show it yet.
func hostReady() (note string, err error) {
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return "", fmt.Errorf("no session bus: %w", err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := conn.Auth(nil); err != nil {
		return "", fmt.Errorf("session bus refused us: %w", err)
	}
	if err := conn.Hello(); err != nil {
		return "", fmt.Errorf("session bus does not answer: %w", err)
	}
	var hasWatcher bool
	err = conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&hasWatcher)
	if err != nil {
		return "", fmt.Errorf("session bus does not answer: %w", err)
	}
	if !hasWatcher {
		return "no StatusNotifierWatcher on the session bus yet: the icon shows once a panel hosting status icons runs (GNOME needs the AppIndicator extension)", nil
	}
	return "", nil
}

// watcherName is the bus name of the panel-side registry of tray icons.
const watcherName = "org.kde.StatusNotifierWatcher"
