//go:build linux

package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/service"
	"github.com/clawbridge/clawbridge/daemon/service/servicetest"
)

// TestLoginItem switches the tray's "Start at login" on and off, through
// kardianos's systemd backend and a fake systemctl, while the agent runs:
// on installs without starting (the daemon asking runs already); off
// unregisters without stopping, since the daemon asking is the agent and a
// stop would kill it before the unit was removed.
func TestLoginItem(t *testing.T) {
	sc := servicetest.New(t)
	cfg := filepath.Join(sc.Home, "config.yaml")
	if err := os.WriteFile(cfg, []byte("model_list: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	exe := useStandInExecutable(t)
	l := newLoginItem(cfg)

	wantCalls := func(step string, want ...string) {
		t.Helper()
		if got := sc.Calls(t); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: systemctl calls %q, want %q", step, got, want)
		}
	}

	if l.Installed() {
		t.Fatal("installed before Install")
	}
	sc.Calls(t)
	for round := 1; round <= 2; round++ {
		if err := l.Install(); err != nil {
			t.Fatalf("round %d: Install: %v", round, err)
		}
		wantCalls("install", "enable --user clawbridge.service", "daemon-reload --user")
		if !l.Installed() {
			t.Fatalf("round %d: not installed after Install", round)
		}
		unit, err := os.ReadFile(sc.UnitFile())
		if err != nil {
			t.Fatal(err)
		}
		if want := `ExecStart="` + exe + `" "run" "--config" "` + cfg + `"`; !strings.Contains(string(unit), "\n"+want+"\n") {
			t.Errorf("round %d: unit does not run the daemon's config, no line %s:\n%s", round, want, unit)
		}

		// The agent runs: this test stands for the daemon it started.
		sc.SetState(t, "active")
		sc.Calls(t)
		if err := l.Uninstall(); err != nil {
			t.Fatalf("round %d: Uninstall: %v", round, err)
		}
		wantCalls("uninstall while running", "disable --user clawbridge.service", "daemon-reload --user")
		for _, f := range []string{sc.UnitFile(), sc.AutostartFile()} {
			if _, err := os.Lstat(f); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("round %d: %s left after Uninstall (%v)", round, f, err)
			}
		}
		if l.Installed() {
			t.Errorf("round %d: still installed after Uninstall", round)
		}
		sc.Calls(t)
	}

	if err := l.Uninstall(); !errors.Is(err, service.ErrNotInstalled) {
		t.Errorf("Uninstall when not installed: %v, want ErrNotInstalled", err)
	}
	wantCalls("uninstall when not installed")
}
