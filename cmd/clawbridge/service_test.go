//go:build linux

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/service"
	"github.com/clawbridge/clawbridge/daemon/service/servicetest"
)

// useServiceOptions points the service commands at exe, acting for uid,
// for the rest of the test.
func useServiceOptions(t *testing.T, exe string, uid int) {
	t.Helper()
	saved := serviceOptions
	t.Cleanup(func() { serviceOptions = saved })
	serviceOptions = func() service.Options {
		return service.Options{Executable: exe, Getuid: func() int { return uid }}
	}
}

// useStandInExecutable has the service commands install a stand-in
// clawbridge executable, acting as an ordinary user (uid 1000), for the
// rest of the test, and returns its path.
func useStandInExecutable(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "clawbridge")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	useServiceOptions(t, exe, 1000)
	return exe
}

func clawbridge(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = dispatch(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestServiceCommands runs install, uninstall, start, stop and restart as
// a user would, through kardianos's systemd backend and a fake systemctl:
// what they print, what they ask systemd, and their errors in words.
func TestServiceCommands(t *testing.T) {
	sc := servicetest.New(t)
	cfg := filepath.Join(sc.Home, "config.yaml")
	if err := os.WriteFile(cfg, []byte("model_list: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	exe := useStandInExecutable(t)

	code, out, errOut := clawbridge(t, "install", "--config", cfg)
	if code != 0 {
		t.Fatalf("install: exit %d\n%s%s", code, out, errOut)
	}
	logFile := filepath.Join(sc.State, "clawbridge", "clawbridge.log")
	for _, want := range []string{
		"installed " + sc.UnitFile() + "\n",
		"installed " + sc.AutostartFile() + "\n",
		"runs: " + exe + " run --config " + cfg + "\n",
		"logs: " + logFile + "\n",
		"Next: clawbridge status\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("install printed\n%s\nwithout %q", out, want)
		}
	}
	if got, want := sc.Calls(t), []string{"enable --user clawbridge.service", "daemon-reload --user", "start --user clawbridge.service"}; !reflect.DeepEqual(got, want) {
		t.Errorf("install: systemctl calls %q, want %q", got, want)
	}

	code, _, errOut = clawbridge(t, "install")
	if code != 1 || !strings.HasPrefix(errOut, "clawbridge install: clawbridge is already installed ("+sc.UnitFile()+"); run `clawbridge uninstall` first") {
		t.Errorf("install twice: exit %d, %q", code, errOut)
	}

	for _, c := range []struct{ cmd, printed, call string }{
		{"stop", "stopped", "stop --user clawbridge.service"},
		{"start", "started", "start --user clawbridge.service"},
		{"restart", "restarted", "restart --user clawbridge.service"},
	} {
		sc.Calls(t)
		code, out, errOut := clawbridge(t, c.cmd)
		calls := sc.Calls(t)
		if code != 0 || !strings.HasPrefix(out, c.printed) || len(calls) == 0 || calls[len(calls)-1] != c.call {
			t.Errorf("%s: exit %d, printed %q %q, systemctl calls %q", c.cmd, code, out, errOut, calls)
		}
	}

	code, out, errOut = clawbridge(t, "uninstall")
	if code != 0 || out != "uninstalled "+sc.UnitFile()+"; the logs stay\n" {
		t.Errorf("uninstall: exit %d, %q %q", code, out, errOut)
	}
	code, _, errOut = clawbridge(t, "uninstall")
	if code != 1 || errOut != "clawbridge uninstall: clawbridge is not installed (no "+sc.UnitFile()+"); run `clawbridge install` first\n" {
		t.Errorf("uninstall twice: exit %d, %q", code, errOut)
	}

	code, out, errOut = clawbridge(t, "install", "--no-start")
	if code != 0 || !strings.Contains(out, "To start it now: clawbridge start") {
		t.Errorf("install --no-start: exit %d, %q %q", code, out, errOut)
	}
	if calls := sc.Calls(t); len(calls) == 0 || strings.HasPrefix(calls[len(calls)-1], "start") {
		t.Errorf("install --no-start started it: %q", calls)
	}

	code, _, errOut = clawbridge(t, "start", "now")
	if code != 2 || !strings.Contains(errOut, `unexpected argument "now"`) {
		t.Errorf("start now: exit %d, %q", code, errOut)
	}
}

// TestServiceCommandsRefuseRoot: the message a user sees after typing
// `sudo clawbridge install`; one line, no stack trace.
func TestServiceCommandsRefuseRoot(t *testing.T) {
	sc := servicetest.New(t)
	useServiceOptions(t, "/bin/sh", 0)
	for _, cmd := range []string{"install", "uninstall", "start", "stop", "restart"} {
		code, out, errOut := clawbridge(t, cmd)
		want := "clawbridge " + cmd + ": clawbridge runs as a per-user agent, not as root: run this as the user who logs in to the desktop, without sudo\n"
		if code != 1 || out != "" || errOut != want {
			t.Errorf("%s as root: exit %d, %q %q; want %q", cmd, code, out, errOut, want)
		}
	}
	if calls := sc.Calls(t); calls != nil {
		t.Errorf("systemctl called as root: %q", calls)
	}
}
