package main

import (
	"context"
	"errors"
	"fmt"
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
	d, err := daemon.New(daemon.Options{
		ConfigPath: *cfgPath,
		Listen:     *listen,
		Logger:     logger,
		Version:    version,
		LoginItem:  newLoginItem(*cfgPath),
	})
	if err != nil {
		return err
	}
	if err := d.Start(); err != nil {
		return err
	}
	if addr := d.State().Translator.Addr; addr != "" {
		fmt.Fprintf(stdout, "listening on http://%s\n", addr)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if !*noTray {
		// The tray runs on this, the main, goroutine (macOS requires it) and
		// returns when ctx ends or the user picks Quit.
		err := tray.Run(ctx, trayOptions(d, logger))
		switch {
		case errors.Is(err, tray.ErrUnavailable):
			logger.Info("no menu bar here; running headless (clawbridge status shows the state)", "why", err)
		case err != nil:
			logger.Warn("menu-bar icon failed; running headless", "err", err)
		}
	}
	select {
	case <-ctx.Done():
	case <-d.Quitting():
	}
	return d.Stop()
}
