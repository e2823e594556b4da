package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/translator"
)

// runServe runs the translator in the foreground until SIGINT or SIGTERM.
func runServe(args []string, stdout, stderr io.Writer) error {
	return serveCommand("serve", args, stdout, stderr)
}

func serveCommand(name string, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(name, stderr)
	cfgPath := fs.String("config", "", "config file (default: clawbridge/config.yaml in the user config directory, created on first start)")
	listen := fs.String("listen", "", "host:port to listen on (default: clawbridge.listen from the config, else "+config.DefaultListen+")")
	debug := fs.Bool("debug", false, "log at debug level")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	return serve(ctx, serveOptions{configPath: *cfgPath, listen: *listen, logger: logger, stdout: stdout})
}

type serveOptions struct {
	configPath string // "" means config.DefaultPath()
	listen     string // "" means the config's, else config.DefaultListen
	logger     *slog.Logger
	stdout     io.Writer
}

// serve loads (or first creates) the config, listens, and answers until
// ctx is cancelled, then shuts down gracefully. It prints the address it
// listens on to stdout ("listening on http://host:port"), which is how a
// caller that asked for port 0 learns the port.
func serve(ctx context.Context, o serveOptions) error {
	cfg, path, err := config.Open(o.configPath, o.logger)
	if err != nil {
		return err
	}
	addr := config.ListenAddr(cfg, o.listen)
	// The Host check allows the listen host: the one in use, also when
	// --listen chose it.
	cfg.Clawbridge.Listen = addr
	var current atomic.Pointer[config.Config]
	current.Store(cfg)
	handler := translator.New(current.Load, translator.Options{Logger: o.logger, Version: version})

	l, err := translator.Serve(addr, cfg.GeneralSettings.MasterKey, handler, o.logger)
	if err != nil {
		return err
	}
	o.logger.Info("clawbridge translator started", "addr", l.Addr(), "config", path, "models", len(cfg.ModelNames()))
	fmt.Fprintf(o.stdout, "listening on http://%s\n", l.Addr())

	select {
	case <-l.Done():
		return l.Err()
	case <-ctx.Done():
	}
	o.logger.Info("shutting down", "grace", translator.ShutdownGrace)
	l.Shutdown(translator.ShutdownGrace)
	return nil
}
