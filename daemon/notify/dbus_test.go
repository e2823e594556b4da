//go:build linux

package notify

import (
	"context"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/notify/notifytest"
)

// The DBus test is Linux's alone: beeep delivers through DBus only there
// (osascript or terminal-notifier on macOS), so elsewhere there is no
// dbus-daemon to start and no bus the notification would cross.

// TestBeeepOverDBus sends through the real library to a notification
// server on a private session bus, the way a Linux desktop receives it.
func TestBeeepOverDBus(t *testing.T) {
	srv := notifytest.Start(t)
	n := New(Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go n.Run(ctx)
	n.Notify(Message{Key: "k", Title: "clawbridge re-patched pi-ai", Body: "21 URLs point at clawbridge again"})
	c := srv.WaitFor(t, "re-patched", 30*time.Second)
	if c.AppName != "clawbridge" || c.Body != "21 URLs point at clawbridge again" {
		t.Errorf("call %+v", c)
	}
}
