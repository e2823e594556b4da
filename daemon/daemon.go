// Package daemon is the clawbridge process: its lifecycle (the instance
// lock, the runtime file, Start and Stop), apply, which brings the
// translator's listener, the patcher's keeper (which routes every
// Clawdbot/OpenClaw install by the route its release supports), the auth
// guard and the optional gateway in line with the config, the events they
// report, the polling of the Ollama servers with the upkeep of the
// aliases' models (warm-up, pulls, request numbers and /metrics, see
// models.go), and the live state
// (daemon/status) it hands to subscribers, the admin endpoint
// (daemon/admin) and notifications. The doctor, the gateway's supervisor
// and the settings derived from the config live in packages of their own.
//
// Components never talk to each other; they report to the Daemon through
// callbacks, and the Daemon decides what a change means (a re-patch is a
// notification, a config edit restarts the keeper with new directories,
// and so on). The config file is the single source of truth for settings:
// the tray's toggles write it and the Daemon applies what it reads back.
package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/clawbridge/clawbridge/daemon/admin"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/config/settings"
	"github.com/clawbridge/clawbridge/daemon/gateway"
	"github.com/clawbridge/clawbridge/daemon/notify"
	"github.com/clawbridge/clawbridge/daemon/service"
	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/daemon/translator"
	"github.com/clawbridge/clawbridge/patcher"
)

// Options configure a Daemon. Only ConfigPath matters to most callers.
type Options struct {
	// ConfigPath is the config file; "" means config.DefaultPath(). A
	// missing file is created from the commented default.
	ConfigPath string
	// Listen overrides clawbridge.listen (tests use 127.0.0.1:0).
	Listen string
	// RuntimeDir holds the instance lock and the runtime file; "" means the
	// config file's directory, so one daemon runs per config.
	RuntimeDir string
	// LogDir is the log directory; "" means service.LogDir(), where the
	// login agent's stderr goes. The gateway's log is written there, and
	// the tray's "Open logs" and `clawbridge status` show it.
	LogDir string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Version is reported by status and /health.
	Version string
	// Notifier sends desktop notifications; nil means one through beeep.
	Notifier *notify.Notifier
	// Home and Getenv feed the discovery of Clawdbot installs and state
	// directories (defaults: os.UserHomeDir, os.Getenv).
	Home   string
	Getenv func(string) string
	// LoginItem installs and removes the agent that starts clawbridge at
	// login, for the tray's "Start at login"; nil leaves it unavailable.
	LoginItem LoginItem
	// BackendPoll is how often every Ollama server is asked for its
	// version and models (default 30s, so pulled models appear within a
	// minute).
	BackendPoll time.Duration
	// GatewayBackoff is the gateway's first restart delay (default 1s).
	GatewayBackoff time.Duration
	// GatewayPatchWait is how long the gateway waits for the pi-ai patch
	// before saying so (default DefaultGatewayPatchWait); it never starts
	// before the patch is in place.
	GatewayPatchWait time.Duration
	// ShutdownGrace bounds how long Stop waits for answers in flight
	// (default 10s).
	ShutdownGrace time.Duration
	// PatchRescan and GuardRescan override the components' periodic
	// rescans (0 keeps their defaults); tests shorten them.
	PatchRescan, GuardRescan time.Duration
}

// LoginItem is the "start at login" agent (a LaunchAgent on macOS, a
// systemd user unit on Linux).
type LoginItem interface {
	// Installed reports whether the agent is installed.
	Installed() bool
	// Install installs the agent for the next login.
	Install() error
	// Uninstall removes it, without stopping the daemon that asks.
	Uninstall() error
}

// Daemon runs clawbridge. Create it with New, then Start and Stop it, or
// call Run. Its state and subscriptions (State, Subscribe) come from the
// embedded live state.
//
// Locks, in the order they may be taken: parts.applyMu (one apply at a
// time), then live.mu (the state). events.mu (the patch bookkeeping) is a
// leaf, taken alone. Nothing calls into parts while holding live.mu.
type Daemon struct {
	*live
	opts     Options
	log      *slog.Logger
	notifier *notify.Notifier
	token    string // the admin endpoint's
	file     *configFile
	parts    *parts
	events   *events
	poller   *backendPoller
	models   modelParts

	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	release func()
	admin   *http.Server
	quit    chan struct{}
	quitted sync.Once
}

// New reads (or first creates) the config and prepares a Daemon; it
// starts nothing.
func New(opts Options) (*Daemon, error) {
	opts, err := withDefaults(opts)
	if err != nil {
		return nil, err
	}
	cfg, _, err := config.Open(opts.ConfigPath, opts.Logger)
	if err != nil {
		return nil, err
	}
	d := &Daemon{
		opts:     opts,
		log:      opts.Logger,
		notifier: opts.Notifier,
		token:    admin.NewToken(),
		file:     newConfigFile(opts.ConfigPath, cfg),
		poller:   newBackendPoller(opts.BackendPoll),
		quit:     make(chan struct{}),
	}
	d.live = newLive(status.State{Version: opts.Version, PID: os.Getpid(), ConfigPath: opts.ConfigPath, LogPath: opts.LogDir},
		opts.Logger, opts.Notifier)
	d.parts = &parts{opts: &d.opts, live: d.live, windows: newContextWindows()}
	d.events = newEvents(d.live, d.parts)
	d.parts.onPatch, d.parts.onRoute, d.parts.onGuard = d.events.onPatch, d.events.onRoute, d.events.onGuard
	d.parts.machineEnv = sync.OnceValue(func() patcher.Env { return settings.PatcherEnv(opts.Home, opts.Getenv, true) })
	// After an apply, the state and the backends are looked at again.
	d.parts.applied = func() { d.events.soon(); d.poller.soon() }
	// A request that finds a backend down (or back) is news before the
	// next poll: poll now, so the menu and the notification follow at once.
	d.initModels()
	d.parts.api = translator.New(d.file.current, translator.Options{Logger: opts.Logger, Version: opts.Version,
		OnBackendChange: func(string, bool, error) { d.poller.soon() }, OnRequest: d.observe})
	return d, nil
}

// withDefaults fills in what opts leaves out.
func withDefaults(opts Options) (Options, error) {
	if opts.ConfigPath == "" {
		p, err := config.DefaultPath()
		if err != nil {
			return opts, err
		}
		opts.ConfigPath = p
	}
	if opts.RuntimeDir == "" {
		opts.RuntimeDir = filepath.Dir(opts.ConfigPath)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Notifier == nil {
		opts.Notifier = notify.New(notify.Options{Logger: opts.Logger})
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Home == "" {
		opts.Home, _ = os.UserHomeDir()
	}
	if opts.LogDir == "" {
		dir, err := service.LogDir()
		if err != nil {
			return opts, err
		}
		opts.LogDir = dir
	}
	if opts.BackendPoll == 0 {
		opts.BackendPoll = 30 * time.Second
	}
	if opts.GatewayBackoff == 0 {
		opts.GatewayBackoff = time.Second
	}
	if opts.ShutdownGrace == 0 {
		opts.ShutdownGrace = translator.ShutdownGrace
	}
	return opts, nil
}

// Start takes the instance lock, starts every enabled part and returns; it
// does not block. It fails when another daemon runs (AlreadyRunningError)
// or the translator's port is taken (translator.PortInUseError).
func (d *Daemon) Start() error {
	release, err := acquireLock(d.opts.RuntimeDir)
	if err != nil {
		return err
	}
	d.release = release
	// With the lock held, a recorded gateway is no live daemon's: it is
	// what a crashed one left, holding the gateway's port.
	if _, err := gateway.KillStale(d.opts.RuntimeDir, d.log); err != nil {
		d.log.Warn("gateway: a previous clawbridge's gateway may still run", "err", err)
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.parts.ctx = d.ctx
	started := time.Now()
	d.update(func(st *status.State) { st.Started = started })

	adminLn, err := net.Listen("tcp", config.AdminAddr(d.file.current()))
	if err != nil {
		d.Stop()
		return fmt.Errorf("admin endpoint: %w", err)
	}
	masterKey := func() string { return d.file.current().GeneralSettings.MasterKey }
	d.admin = &http.Server{Handler: admin.Handler(d, d.token, masterKey), ReadHeaderTimeout: 5 * time.Second}
	d.wg.Go(func() { d.admin.Serve(adminLn) })

	if err := d.parts.apply(d.file.current(), true); err != nil {
		d.Stop()
		return err
	}
	rt := &admin.Runtime{PID: os.Getpid(), Admin: adminLn.Addr().String(), Token: d.token, Config: d.opts.ConfigPath,
		Version: d.opts.Version, Started: started, Listen: d.State().Translator.Addr}
	if err := admin.WriteRuntime(d.opts.RuntimeDir, rt); err != nil {
		d.Stop()
		return fmt.Errorf("publish runtime file: %w", err)
	}
	d.wg.Go(func() { d.notifier.Run(d.ctx) })
	d.wg.Go(func() { d.events.run(d.ctx) })
	d.wg.Go(func() { d.poller.run(d.ctx, func() []string { return settings.OllamaBases(d.file.current()) }, d.live) })
	d.wg.Go(func() { d.file.watch(d.ctx, d.log, func() { d.Reload() }) })
	d.log.Info("clawbridge started", "version", d.opts.Version, "config", d.opts.ConfigPath, "translator", rt.Listen)
	return nil
}

// Stop stops every part: the translator finishes answers in flight for up
// to ShutdownGrace, the gateway is terminated, the lock released. It also
// undoes a Start that failed half way.
func (d *Daemon) Stop() error {
	if d.cancel == nil {
		return nil
	}
	d.parts.stop()
	d.cancel()
	d.models.pulls.Wait()
	if d.admin != nil {
		d.admin.Close()
	}
	d.wg.Wait()
	if d.release != nil {
		d.release()
		d.release = nil
	}
	d.log.Info("clawbridge stopped")
	return nil
}

// Run starts the daemon, waits until ctx is done or the user quits (tray
// or admin), and stops it.
func (d *Daemon) Run(ctx context.Context) error {
	if err := d.Start(); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-d.quit:
	}
	return d.Stop()
}

// Quit asks Run (and whoever waits on Quitting) to stop the daemon: the
// tray's Quit item.
func (d *Daemon) Quit() { d.quitted.Do(func() { close(d.quit) }) }

// Quitting is closed once Quit was called.
func (d *Daemon) Quitting() <-chan struct{} { return d.quit }

// Stopped is closed once Stop began: a feed of the daemon's state ends
// there. Call it after Start.
func (d *Daemon) Stopped() <-chan struct{} { return d.ctx.Done() }
