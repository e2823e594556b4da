package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/clawbridge/clawbridge/daemon"
	"github.com/clawbridge/clawbridge/tray"
)

// runRun runs the daemon in the foreground: what `make run` and the login
// agent start. The menu-bar icon appears when a desktop session is there;
// otherwise (or with --no-tray) it runs headless with the same behaviour.
func runRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", stderr)
	cfgPath := fs.String("config", "", "config `file` (default: clawbridge/config.yaml in the user config directory, created on first start)")
	listen := fs.String("listen", "", "host:port for the translator, overriding clawbridge.listen")
	noTray := fs.Bool("no-tray", false, "run without the menu-bar icon")
	debug := fs.Bool("debug", false, "log at debug level")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	l, err := newLauncher(daemon.Options{
		ConfigPath: *cfgPath,
		Listen:     *listen,
		Logger:     logger,
		Version:    version,
		LoginItem:  newLoginItem(*cfgPath),
	}, logger, stdout)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return l.runWithTray(ctx, !*noTray)
}

// runWithTray runs l until ctx ends or the user quits, with the menu-bar
// icon when withTray and the desktop has a menu bar. The daemon starts
// (or waits for what keeps it from starting) beside the tray, which needs
// this, the main, goroutine on macOS; when the daemon ends (a Quit,
// `clawbridge stop`), so does the tray.
func (l *launcher) runWithTray(ctx context.Context, withTray bool) error {
	ctx, ended := context.WithCancel(ctx)
	defer ended()
	done := make(chan error, 1)
	go func() { done <- l.run(ctx); ended() }()
	if withTray {
		// tray.Run returns when ctx ends or the user picks Quit; on macOS
		// a Quit or logout ends the process in OnExit, which stops the
		// daemon first.
		err := tray.Run(ctx, l.trayOptions())
		switch {
		case errors.Is(err, tray.ErrUnavailable):
			l.log.Info("no menu bar here; running headless (clawbridge status shows the state)", "why", err)
		case err != nil:
			l.log.Warn("menu-bar icon failed; running headless", "err", err)
		}
	}
	return <-done
}
