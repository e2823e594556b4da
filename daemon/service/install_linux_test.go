//go:build linux

package service_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/service"
	"github.com/clawbridge/clawbridge/daemon/service/servicetest"
	kservice "github.com/kardianos/service"
)

// asUser is what a login user's commands see; CI runs the tests as root.
func asUser() int { return 1000 }

// setup gives a fake systemctl, a clawbridge binary reached through a
// symlink, and an existing config file whose name needs quoting.
func setup(t *testing.T) (*servicetest.Systemctl, service.Options, string) {
	t.Helper()
	sc := servicetest.New(t)
	root := filepath.Dir(sc.Home)
	exe := filepath.Join(root, "opt", "clawbridge")
	if err := os.MkdirAll(filepath.Dir(exe), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "link-to-clawbridge")
	if err := os.Symlink(exe, link); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(root, "my config.yaml")
	if err := os.WriteFile(cfg, []byte("model_list: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return sc, service.Options{Executable: link, ConfigPath: cfg, Getuid: asUser}, exe
}

func wantCalls(t *testing.T, sc *servicetest.Systemctl, step string, want ...string) {
	t.Helper()
	if got := sc.Calls(t); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: systemctl calls\n%q\nwant\n%q", step, got, want)
	}
}

func wantState(t *testing.T, o service.Options, step string, installed, running bool, detail string) {
	t.Helper()
	st, err := service.Status(o)
	if err != nil {
		t.Fatalf("%s: Status: %v", step, err)
	}
	if st.Installed != installed || st.Running != running || !strings.HasPrefix(st.Detail, detail) {
		t.Errorf("%s: Status = %+v, want installed=%v running=%v detail %q…", step, st, installed, running, detail)
	}
}

func TestLifecycleThroughSystemd(t *testing.T) {
	sc, o, exe := setup(t)
	t.Setenv("DISPLAY", ":7")

	wantState(t, o, "before install", false, false, "not installed")
	sc.Calls(t)

	if err := service.Install(o); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, sc, "install", "enable --user clawbridge.service", "daemon-reload --user")

	unit, err := os.ReadFile(sc.UnitFile())
	if err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(sc.State, "clawbridge", "clawbridge.log")
	for _, line := range []string{
		`ExecStart="` + exe + `" "run" "--config" "` + o.ConfigPath + `"`,
		"StandardOutput=append:" + logFile,
		"Restart=on-failure",
		"WantedBy=default.target",
	} {
		if !strings.Contains(string(unit), "\n"+line+"\n") {
			t.Errorf("installed unit lacks the line %s:\n%s", line, unit)
		}
	}
	if info, err := os.Stat(filepath.Dir(logFile)); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("log directory not created 0700 under XDG_STATE_HOME: %v %v", info, err)
	}
	entry, err := os.ReadFile(sc.AutostartFile())
	if err != nil {
		t.Fatalf("autostart entry not written under XDG_CONFIG_HOME: %v", err)
	}
	if !strings.Contains(string(entry), "\nExec=\""+exe+"\" restart\n") {
		t.Errorf("autostart entry does not restart %s:\n%s", exe, entry)
	}
	d, err := service.Describe(o)
	if err != nil || d.File != sc.UnitFile() || d.Autostart != sc.AutostartFile() || d.LogFile != logFile ||
		!reflect.DeepEqual(d.Command, []string{exe, "run", "--config", o.ConfigPath}) {
		t.Errorf("Describe = %+v, %v", d, err)
	}
	wantState(t, o, "installed", true, false, "installed, not running")
	sc.Calls(t)

	err = service.Install(o)
	if !errors.Is(err, service.ErrAlreadyInstalled) || !strings.Contains(err.Error(), sc.UnitFile()) || !strings.Contains(err.Error(), "clawbridge uninstall") {
		t.Errorf("second install: %v, want ErrAlreadyInstalled naming the unit and uninstall", err)
	}
	wantCalls(t, sc, "second install")

	if err := service.Start(o); err != nil {
		t.Fatal(err)
	}
	// The desktop's DISPLAY goes to the user manager first, for the tray.
	wantCalls(t, sc, "start", "--user import-environment DISPLAY", "start --user clawbridge.service")
	wantState(t, o, "started", true, true, "running")
	sc.Calls(t)

	if err := service.Restart(o); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, sc, "restart", "is-active clawbridge.service --user", "--user import-environment DISPLAY", "restart --user clawbridge.service")

	if err := service.Stop(o); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, sc, "stop", "stop --user clawbridge.service")
	wantState(t, o, "stopped", true, false, "installed, not running")

	// Restarting a stopped agent starts it.
	t.Setenv("DISPLAY", "")
	sc.Calls(t)
	if err := service.Restart(o); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, sc, "restart when stopped",
		"is-active clawbridge.service --user", "list-unit-files -t service clawbridge.service --user", "start --user clawbridge.service")

	sc.SetState(t, "failed")
	wantState(t, o, "failed", true, false, "failed: it exited with an error")
	sc.SetState(t, "active")
	sc.Calls(t)

	if err := service.Uninstall(o); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, sc, "uninstall", "is-active clawbridge.service --user", "stop --user clawbridge.service",
		"disable --user clawbridge.service", "daemon-reload --user")
	for _, f := range []string{sc.UnitFile(), sc.AutostartFile()} {
		if _, err := os.Lstat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after uninstall (%v)", f, err)
		}
	}
	if _, err := os.Stat(filepath.Dir(logFile)); err != nil {
		t.Errorf("uninstall removed the logs: %v", err)
	}
	wantState(t, o, "uninstalled", false, false, "not installed")
	sc.Calls(t)

	for name, f := range map[string]func(service.Options) error{
		"uninstall": service.Uninstall, "start": service.Start, "stop": service.Stop, "restart": service.Restart,
	} {
		err := f(o)
		if !errors.Is(err, service.ErrNotInstalled) || !strings.Contains(err.Error(), "clawbridge install") {
			t.Errorf("%s when not installed: %v, want ErrNotInstalled pointing at install", name, err)
		}
	}
	wantCalls(t, sc, "commands when not installed")
}

// TestUnregisterLeavesTheAgentRunning: the tray's "Start at login" off runs
// inside the agent, so stopping the unit would kill the caller before the
// unit was removed. Unregister disables and removes the unit and the
// autostart entry and never stops the unit, which systemd keeps running.
func TestUnregisterLeavesTheAgentRunning(t *testing.T) {
	sc, o, _ := setup(t)
	if err := service.Install(o); err != nil {
		t.Fatal(err)
	}
	if err := service.Start(o); err != nil {
		t.Fatal(err)
	}
	wantState(t, o, "started", true, true, "running")
	sc.Calls(t)

	if err := service.Unregister(o); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, sc, "unregister", "disable --user clawbridge.service", "daemon-reload --user")
	for _, f := range []string{sc.UnitFile(), sc.AutostartFile()} {
		if _, err := os.Lstat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after unregister (%v)", f, err)
		}
	}
	wantState(t, o, "unregistered", false, true, "running")
	sc.Calls(t)

	err := service.Unregister(o)
	if !errors.Is(err, service.ErrNotInstalled) || !strings.Contains(err.Error(), "clawbridge install") {
		t.Errorf("unregister when not installed: %v, want ErrNotInstalled pointing at install", err)
	}
	wantCalls(t, sc, "unregister when not installed")

	// Switched on again while it runs: installed, not started twice.
	if err := service.Install(o); err != nil {
		t.Fatalf("install while the unregistered agent runs: %v", err)
	}
	wantCalls(t, sc, "install again", "enable --user clawbridge.service", "daemon-reload --user")

	// Without a user session it fails, names the unit, and removes nothing,
	// so the switch still shows the agent installed.
	sc.FailOn(t, "disable")
	err = service.Unregister(o)
	if err == nil || !strings.Contains(err.Error(), "remove "+sc.UnitFile()+" from systemd") {
		t.Errorf("unregister with a failing systemctl: %v", err)
	}
	wantCalls(t, sc, "failing unregister", "disable --user clawbridge.service")
	if _, err := os.Lstat(sc.UnitFile()); err != nil {
		t.Errorf("a failed unregister removed the unit: %v", err)
	}
}

// TestRefusesRoot: under sudo the agent would land in root's home and
// never start for the user, so every command that changes something
// refuses, before touching systemd or the disk.
func TestRefusesRoot(t *testing.T) {
	sc, o, _ := setup(t)
	o.Getuid = func() int { return 0 }
	for name, f := range map[string]func(service.Options) error{
		"install": service.Install, "uninstall": service.Uninstall, "unregister": service.Unregister,
		"start": service.Start, "stop": service.Stop, "restart": service.Restart,
	} {
		err := f(o)
		if !errors.Is(err, service.ErrRoot) || !strings.Contains(err.Error(), "not as root") || !strings.Contains(err.Error(), "without sudo") {
			t.Errorf("%s as root: %v, want ErrRoot", name, err)
		}
	}
	wantCalls(t, sc, "as root")
	if _, err := os.Lstat(sc.UnitFile()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a unit was written as root (%v)", err)
	}
}

// TestInstallLeavesNothingWhenSystemdRefuses: without a user session
// systemctl fails; the half-installed unit is removed so that the next
// install, once the session is there, is not "already installed".
func TestInstallLeavesNothingWhenSystemdRefuses(t *testing.T) {
	sc, o, _ := setup(t)
	sc.FailOn(t, "enable")
	err := service.Install(o)
	if err == nil || !strings.Contains(err.Error(), "register "+sc.UnitFile()+" with systemd") {
		t.Fatalf("install with a failing systemctl: %v", err)
	}
	for _, f := range []string{sc.UnitFile(), sc.AutostartFile()} {
		if _, err := os.Lstat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after a failed install (%v)", f, err)
		}
	}
	sc.FailOn(t, "")
	sc.Calls(t)
	if err := service.Install(o); err != nil {
		t.Fatalf("install after the session came back: %v", err)
	}
}

func TestInstallChecksItsInputs(t *testing.T) {
	sc, o, _ := setup(t)
	cases := []struct {
		name string
		edit func(*service.Options)
		want string
	}{
		{"missing config", func(o *service.Options) { o.ConfigPath = filepath.Join(sc.Home, "typo.yaml") }, "leave out --config"},
		{"missing executable", func(o *service.Options) { o.Executable = filepath.Join(sc.Home, "nope") }, "nope"},
		{"go run binary", func(o *service.Options) {
			p := filepath.Join(sc.Home, "go-build1", "b001", "exe", "clawbridge")
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, nil, 0o755); err != nil {
				t.Fatal(err)
			}
			o.Executable = p
		}, "go run"},
	}
	for _, c := range cases {
		o := o
		c.edit(&o)
		if err := service.Install(o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
		}
	}
	wantCalls(t, sc, "bad inputs")

	// Without systemd there is nothing to install into.
	t.Setenv("PATH", t.TempDir())
	if err := service.Install(o); err == nil || !strings.Contains(err.Error(), "systemctl not found") {
		t.Errorf("install without systemctl: %v", err)
	}
	if _, err := os.Lstat(sc.UnitFile()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a unit was written without systemctl (%v)", err)
	}
}

// TestNewRunsTheProgram: the daemon gets a kardianos service that runs its
// program and stops it when told.
func TestNewRunsTheProgram(t *testing.T) {
	_, o, _ := setup(t)
	stop := make(chan struct{})
	p := &program{started: make(chan struct{})}
	o.KardianosOptions = map[string]any{"RunWait": func() { <-stop }}
	svc, err := service.New(p, o)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- svc.Run() }()
	<-p.started
	close(stop)
	if err := <-done; err != nil || !p.stopped {
		t.Errorf("Run = %v, stopped = %v", err, p.stopped)
	}
}

type program struct {
	started chan struct{}
	stopped bool
}

func (p *program) Start(kservice.Service) error { close(p.started); return nil }
func (p *program) Stop(kservice.Service) error  { p.stopped = true; return nil }
