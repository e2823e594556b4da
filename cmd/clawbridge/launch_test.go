package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon"
	"github.com/clawbridge/clawbridge/tray"
)

// testLauncher is a launcher for a daemon in dir, retrying every retry.
func testLauncher(t *testing.T, dir, listen string, retry time.Duration) *launcher {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	l, err := newLauncher(daemon.Options{ConfigPath: filepath.Join(dir, "config.yaml"), Listen: listen,
		RuntimeDir: dir, LogDir: filepath.Join(dir, "logs"), Home: dir, Getenv: func(string) string { return "" },
		Notifier: quietNotifierFor(), Logger: log, Version: "test"}, log, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	l.retry, l.maxRetry = retry, retry
	return l
}

// runLauncher runs l until the test ends, then checks it returned.
func runLauncher(t *testing.T, l *launcher) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run returned %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("run did not return within 30s of its context ending")
		}
	})
}

// waitState reads the menu's states until ok accepts one.
func waitState(t *testing.T, l *launcher, what string, ok func(tray.State) bool) tray.State {
	t.Helper()
	timeout := time.After(20 * time.Second)
	var last tray.State
	for {
		select {
		case s := <-l.states:
			if ok(s) {
				return s
			}
			last = s
		case <-timeout:
			t.Fatalf("timed out waiting for %s; last state: %+v", what, last)
		}
	}
}

// TestLauncherWaitsForTheTranslatorsPort: with the port held, run keeps
// going and says who holds it, then starts by itself once it is free.
func TestLauncherWaitsForTheTranslatorsPort(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	addr := held.Addr().String()
	l := testLauncher(t, t.TempDir(), addr, 200*time.Millisecond)
	runLauncher(t, l)

	s := waitState(t, l, "the port error", func(s tray.State) bool { return s.Stopped != "" })
	if want := fmt.Sprintf("%s is already in use by", addr); !strings.Contains(s.Stopped, want) {
		t.Errorf("stopped state %q, want it to contain %q", s.Stopped, want)
	}
	if want := fmt.Sprintf("(pid %d)", os.Getpid()); !strings.Contains(s.Stopped, want) {
		t.Errorf("stopped state %q does not name the owner %s", s.Stopped, want)
	}
	if got := tray.IconFor(s); got != tray.IconAttention {
		t.Errorf("icon %v while not running, want attention", got)
	}

	held.Close()
	s = waitState(t, l, "the daemon running", func(s tray.State) bool { return s.Stopped == "" && s.Translator.Addr == addr })
	if d := l.current(); d == nil || d.State().Translator.Err != "" {
		t.Fatalf("daemon after recovery: %v", d)
	}
}

// TestLauncherRecoversFromABadConfig: a config that does not load is
// named by file and line, and saving a fixed one starts the daemon
// without waiting for the (here very long) retry.
func TestLauncherRecoversFromABadConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("model_list:\n  - model_name: x\n   bad indent: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	l := testLauncher(t, dir, "127.0.0.1:0", time.Hour)
	runLauncher(t, l)
	s := waitState(t, l, "the config error", func(s tray.State) bool { return s.Stopped != "" })
	if !strings.Contains(s.Stopped, cfg+":3") {
		t.Errorf("stopped state %q does not name %s:3", s.Stopped, cfg)
	}
	if err := os.WriteFile(cfg, []byte("model_list: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitState(t, l, "the daemon running", func(s tray.State) bool { return s.Stopped == "" && s.Translator.Addr != "" })
}

// TestLauncherWaitsForTheOtherInstance: a second run for the same
// runtime directory waits, saying who runs, and takes over when the
// first quits; its Quit ends run.
func TestLauncherWaitsForTheOtherInstance(t *testing.T) {
	dir := t.TempDir()
	first := testLauncher(t, dir, "127.0.0.1:0", time.Hour)
	if _, err := first.start(); err != nil {
		t.Fatal(err)
	}
	second := testLauncher(t, dir, "127.0.0.1:0", 200*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- second.run(ctx) }()
	s := waitState(t, second, "the other instance named", func(s tray.State) bool { return s.Stopped != "" })
	if want := fmt.Sprintf("already running for %s", dir); !strings.Contains(s.Stopped, want) {
		t.Errorf("stopped state %q, want %q", s.Stopped, want)
	}
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}
	waitState(t, second, "the second taking over", func(s tray.State) bool { return s.Stopped == "" })
	second.Quit()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after Quit: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after Quit")
	}
	if second.current() != nil {
		t.Error("the daemon is still current after run returned")
	}
}
