package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/translator"
)

// shutdownGrace bounds how long a stop waits for answers in flight before
// cutting them off.
const shutdownGrace = 10 * time.Second

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
	path := o.configPath
	if path == "" {
		p, err := config.DefaultPath()
		if err != nil {
			return err
		}
		path = p
	}
	cfg, created, err := config.LoadOrCreate(path)
	if err != nil {
		return err
	}
	if created {
		o.logger.Info("wrote the default config; edit it to map model names to your Ollama models", "config", path)
	}
	config.LogIgnoredKeys(o.logger, cfg)
	addr := o.listen
	if addr == "" {
		addr = cfg.Clawbridge.Listen
	}
	if addr == "" {
		addr = config.DefaultListen
	}

	// The Host check allows the listen host: the one in use, also when
	// --listen chose it.
	cfg.Clawbridge.Listen = addr
	var current atomic.Pointer[config.Config]
	current.Store(cfg)
	handler := translator.New(current.Load, translator.Options{Logger: o.logger, Version: version})

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	if !isLoopback(ln.Addr()) && cfg.GeneralSettings.MasterKey == "" {
		ln.Close()
		return fmt.Errorf("refusing to listen on %s without a master key: anyone who can reach it could use your models; set general_settings.master_key or listen on 127.0.0.1", addr)
	}
	srv := translator.NewHTTPServer(handler, o.logger)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	o.logger.Info("clawbridge translator started", "addr", ln.Addr().String(), "config", path, "models", len(cfg.ModelNames()))
	fmt.Fprintf(o.stdout, "listening on http://%s\n", ln.Addr())

	select {
	case err := <-served:
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	o.logger.Info("shutting down", "grace", shutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		o.logger.Warn("answers still in flight were cut off", "error", err)
		srv.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	}
	return nil
}

func isLoopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
