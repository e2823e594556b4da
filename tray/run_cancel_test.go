//go:build linux

package tray

import (
	"context"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/tray/traytest"
)

// TestRunWithCancelledContext: a context that ended before the tray came
// up (Ctrl-C during start) ends Run at once, through OnExit, without
// waiting for the menu to be drawn. It takes this process's one tray.
func TestRunWithCancelledContext(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", traytest.StartBus(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	exited := false
	done := make(chan error, 1)
	go func() { done <- Run(ctx, Options{OnExit: func() { exited = true }}) }()
	select {
	case err := <-done:
		if err != nil || !exited {
			t.Errorf("Run = %v, OnExit ran: %v; want nil and OnExit", err, exited)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return for a cancelled context")
	}
}
