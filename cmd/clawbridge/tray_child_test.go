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
	"github.com/clawbridge/clawbridge/tray"
)

// The tray can run once per process and wants the main goroutine, so the
// end-to-end tray test runs the daemon with its tray in a child: this test
// binary started again with trayChildEnv set, which TestMain hands to
// runTrayChild.
const trayChildEnv = "CLAWBRIDGE_TEST_TRAY_CHILD"

type trayChildSpec struct {
	Config, Home, RuntimeDir, LogDir string
}

// runTrayChild runs a daemon with the real tray until SIGTERM or Quit,
// printing the translator's address first.
func runTrayChild(spec string) int {
	var s trayChildSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	d, err := daemon.New(daemon.Options{ConfigPath: s.Config, Listen: "127.0.0.1:0", RuntimeDir: s.RuntimeDir, Home: s.Home,
		Getenv: func(string) string { return "" }, LogDir: s.LogDir, BackendPoll: 300 * time.Millisecond,
		Notifier: quietNotifierFor(), Version: "test"})
	if err == nil {
		err = d.Start()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("ready %s\n", d.State().Translator.Addr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := tray.Run(ctx, trayOptions(d, slog.New(slog.DiscardHandler))); err != nil {
		fmt.Fprintln(os.Stderr, "tray:", err)
		d.Stop()
		return 1
	}
	d.Stop()
	return 0
}

// quietNotifierFor is quietNotifier for the child, which has no testing.T.
func quietNotifierFor() *notify.Notifier {
	return notify.New(notify.Options{Send: func(string, string) error { return nil }})
}
