package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/clawbridge/clawbridge/daemon"
	"github.com/clawbridge/clawbridge/daemon/notify"
)

// The tray can run once per process and wants the main goroutine, so the
// end-to-end tray test runs the daemon with its tray in a child: this test
// binary started again with trayChildEnv set, which TestMain hands to
// runTrayChild.
const trayChildEnv = "CLAWBRIDGE_TEST_TRAY_CHILD"

type trayChildSpec struct {
	Config, Home, RuntimeDir, LogDir string
	// Listen is the translator's address; "" means a free port.
	Listen string
}

// runTrayChild runs `clawbridge run` as runRun does, with the real tray,
// until SIGTERM or Quit; it prints "listening on http://ADDR" once the
// daemon runs, and retries a failed start every 200ms.
func runTrayChild(spec string) int {
	var s trayChildSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if s.Listen == "" {
		s.Listen = "127.0.0.1:0"
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	l, err := newLauncher(daemon.Options{ConfigPath: s.Config, Listen: s.Listen, RuntimeDir: s.RuntimeDir, Home: s.Home,
		Getenv: func(string) string { return "" }, LogDir: s.LogDir, BackendPoll: 300 * time.Millisecond,
		Notifier: quietNotifierFor(), Version: "test", Logger: log}, log, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	l.retry, l.maxRetry = 200*time.Millisecond, 200*time.Millisecond
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := l.runWithTray(ctx, true); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// quietNotifierFor is quietNotifier for the child, which has no testing.T.
func quietNotifierFor() *notify.Notifier {
	return notify.New(notify.Options{Send: func(string, string) error { return nil }})
}
