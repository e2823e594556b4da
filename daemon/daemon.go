// Package daemon is the clawbridge process: it owns the translator, the
// pi-ai patcher, the auth guard, the optional Clawdbot gateway and the
// notifier, keeps their live state, and carries their events to the tray,
// to notifications and to `clawbridge status`.
//
// Components never talk to each other; they report to the Daemon through
// callbacks, and the Daemon decides what a change means (a re-patch is a
// notification, a config edit restarts the keeper with new directories,
// and so on). The config file is the single source of truth for settings:
// the tray's toggles write it and the Daemon applies what it reads back.
package daemon

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clawbridge/clawbridge/daemon/admin"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/config/settings"
	"github.com/clawbridge/clawbridge/daemon/doctor"
	"github.com/clawbridge/clawbridge/daemon/gateway"
	"github.com/clawbridge/clawbridge/daemon/notify"
	"github.com/clawbridge/clawbridge/daemon/service"
	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/daemon/translator"
	"github.com/clawbridge/clawbridge/patcher"
	"github.com/clawbridge/clawbridge/patcher/fswatch"
	"github.com/clawbridge/clawbridge/patcher/guard"
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
	Installed() bool
	Install() error
	Uninstall() error
}

// Daemon runs clawbridge. Create it with New, then Start and Stop it, or
// call Run.
type Daemon struct {
	opts     Options
	log      *slog.Logger
	notifier *notify.Notifier
	token    string
	api      *translator.Server
	requests atomic.Int64
	poller   *backendPoller
	cfg      atomic.Pointer[config.Config]
	cfgHash  atomic.Value // [32]byte of the config file as last applied or rejected

	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	release func()
	admin   *http.Server
	quit    chan struct{}
	quitted sync.Once
	kick    chan struct{} // asks the refresher to look again
	pollNow chan struct{} // asks the poller to poll now

	applyMu sync.Mutex // one apply at a time
	serving *apiListener
	keeper  *component[*patcher.Keeper]
	guard   *component[*guard.Guard]
	gateway *component[*gateway.Supervisor]

	mu        sync.Mutex // guards state, subs and the event-derived maps
	state     status.State
	errKind   string // what LastError is about, so that a fix clears its own
	subs      map[chan status.State]struct{}
	targets   map[string]patcher.Target // by catalog file
	reapplied map[string]time.Time
	targetErr map[string]string
}

// component is one running part: how it was configured (key), and how to
// stop it.
type component[T any] struct {
	key    string
	v      T
	cancel context.CancelFunc
	done   chan struct{}
}

func (c *component[T]) stop() {
	if c != nil {
		c.cancel()
		<-c.done
	}
}

// apiListener is the translator's listener with the address it was asked
// for, which differs from the bound one for port 0.
type apiListener struct {
	addr string
	l    *translator.Listener
}

// New reads (or first creates) the config and prepares a Daemon; it
// starts nothing.
func New(opts Options) (*Daemon, error) {
	if opts.ConfigPath == "" {
		p, err := config.DefaultPath()
		if err != nil {
			return nil, err
		}
		opts.ConfigPath = p
	}
	if opts.RuntimeDir == "" {
		opts.RuntimeDir = filepath.Dir(opts.ConfigPath)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
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
			return nil, err
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
	cfg, _, err := config.Open(opts.ConfigPath, opts.Logger)
	if err != nil {
		return nil, err
	}
	d := &Daemon{
		opts:      opts,
		log:       opts.Logger,
		notifier:  opts.Notifier,
		token:     admin.NewToken(),
		poller:    newBackendPoller(),
		quit:      make(chan struct{}),
		kick:      make(chan struct{}, 1),
		pollNow:   make(chan struct{}, 1),
		subs:      map[chan status.State]struct{}{},
		targets:   map[string]patcher.Target{},
		reapplied: map[string]time.Time{},
		targetErr: map[string]string{},
	}
	if d.notifier == nil {
		d.notifier = notify.New(notify.Options{Logger: opts.Logger})
	}
	d.cfg.Store(cfg)
	d.cfgHash.Store(fileHash(opts.ConfigPath))
	// A request that finds a backend down (or back) is news before the
	// next poll: poll now, so the menu and the notification follow at once.
	d.api = translator.New(d.config, translator.Options{Logger: opts.Logger, Version: opts.Version,
		OnBackendChange: func(string, bool, error) { d.pollSoon() }})
	d.state = status.State{Version: opts.Version, PID: os.Getpid(), ConfigPath: opts.ConfigPath, LogPath: opts.LogDir}
	return d, nil
}

func (d *Daemon) config() *config.Config { return d.cfg.Load() }

// Start takes the instance lock, starts every enabled part and returns; it
// does not block. It fails when another daemon runs (AlreadyRunningError)
// or the translator's port is taken (PortInUseError).
func (d *Daemon) Start() error {
	release, err := acquireLock(d.opts.RuntimeDir)
	if err != nil {
		return err
	}
	d.release = release
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.state.Started = time.Now()

	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		d.abort()
		return fmt.Errorf("admin endpoint: %w", err)
	}
	d.admin = &http.Server{Handler: admin.Handler(d, d.token, func() string { return d.config().GeneralSettings.MasterKey }),
		ReadHeaderTimeout: 5 * time.Second}
	d.goRun(func() { d.admin.Serve(adminLn) })

	if err := d.apply(d.config(), true); err != nil {
		d.abort()
		return err
	}
	rt := &admin.Runtime{PID: os.Getpid(), Admin: adminLn.Addr().String(), Token: d.token, Config: d.opts.ConfigPath,
		Version: d.opts.Version, Started: d.state.Started, Listen: d.State().Translator.Addr}
	if err := admin.WriteRuntime(d.opts.RuntimeDir, rt); err != nil {
		d.abort()
		return fmt.Errorf("publish runtime file: %w", err)
	}
	d.goRun(func() { d.notifier.Run(d.ctx) })
	d.goRun(d.refresher)
	d.goRun(d.pollBackends)
	d.goRun(d.watchConfig)
	d.log.Info("clawbridge started", "version", d.opts.Version, "config", d.opts.ConfigPath, "translator", rt.Listen)
	return nil
}

// abort undoes a Start that failed half way.
func (d *Daemon) abort() {
	d.Stop()
}

// Stop stops every part: the translator finishes answers in flight for up
// to ShutdownGrace, the gateway is terminated, the lock released.
func (d *Daemon) Stop() error {
	if d.cancel == nil {
		return nil
	}
	d.applyMu.Lock()
	d.stopAPI()
	d.keeper.stop()
	d.guard.stop()
	d.gateway.stop()
	d.keeper, d.guard, d.gateway = nil, nil, nil
	d.applyMu.Unlock()
	d.cancel()
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

// NotifyResult shows the result of something the user just asked for
// (a menu action): always, even with notifications switched off.
func (d *Daemon) NotifyResult(title, message string) {
	d.notifier.Notify(notify.Message{Title: title, Body: message, Requested: true})
}

func (d *Daemon) goRun(f func()) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		f()
	}()
}

// apply brings the running parts in line with cfg. At start (first) a
// translator that cannot listen is an error; later it is reported in the
// state and by a notification, and the rest keeps running.
func (d *Daemon) apply(cfg *config.Config, first bool) error {
	d.applyMu.Lock()
	defer d.applyMu.Unlock()
	s := &cfg.Clawbridge
	d.notifier.SetEnabled(config.On(s.Notifications.Enabled))

	if err := d.applyAPI(cfg); err != nil {
		if first {
			return err
		}
		d.problem("translator", "The translator could not listen", err.Error())
	}
	listen := d.listenAddr(cfg)
	if a := d.State().Translator.Addr; a != "" {
		listen = a // the bound address, which differs for port 0
	}

	// Keeper.
	base := settings.PatchBase(cfg, listen)
	kopts := patcher.KeeperOptions{
		Dirs:          d.clawdbotDirs(cfg),
		IncludeGlobal: config.On(s.Patcher.Global),
		BaseURL:       base,
		ReportOnly:    !config.On(s.Patcher.Enabled),
		Rescan:        d.opts.PatchRescan,
		OnEvent:       d.onPatchEvent,
		Logger:        d.log,
	}
	if key := fmt.Sprint(kopts.Dirs, kopts.IncludeGlobal, kopts.BaseURL, kopts.ReportOnly); d.keeper == nil || d.keeper.key != key {
		d.keeper.stop()
		d.keeper = nil
		k, err := patcher.NewKeeper(kopts)
		if err != nil {
			d.setState(func(st *status.State) { st.Patcher.Err = err.Error() })
		} else {
			d.keeper = startComponent(d.ctx, key, k, func(ctx context.Context) {
				if err := k.Run(ctx); err != nil {
					d.problem("patcher", "The pi-ai patcher stopped", err.Error())
				}
			})
		}
	}
	d.setState(func(st *status.State) {
		st.Patcher.Enabled, st.Patcher.BaseURL = !kopts.ReportOnly, base
		if d.keeper != nil {
			st.Patcher.Err = ""
		}
	})

	// Guard.
	gkey := settings.GuardKey(cfg)
	if !config.On(s.Guard.Enabled) {
		d.guard.stop()
		d.guard = nil
		d.setState(func(st *status.State) { st.Guard = status.GuardState{Enabled: false} })
	} else if key := fmt.Sprint(gkey, s.Guard.StateDirs); d.guard == nil || d.guard.key != key {
		d.guard.stop()
		d.guard = nil
		g, err := guard.New(guard.Options{Key: gkey, Dirs: settings.GuardDirs(cfg, d.opts.Home), Home: d.opts.Home,
			Getenv: d.opts.Getenv, Rescan: d.opts.GuardRescan, OnEvent: d.onGuardEvent, Logger: d.log})
		if err != nil {
			d.setState(func(st *status.State) { st.Guard = status.GuardState{Enabled: true, Err: err.Error()} })
		} else {
			d.guard = startComponent(d.ctx, key, g, func(ctx context.Context) {
				if err := g.Run(ctx); err != nil {
					d.problem("guard", "The auth guard stopped", err.Error())
				}
			})
			d.setState(func(st *status.State) { st.Guard = status.GuardState{Enabled: true, Key: guard.MaskKey(gkey)} })
		}
	}

	// Gateway.
	d.applyGateway(cfg)

	d.setState(func(st *status.State) {
		st.Aliases = settings.Aliases(cfg)
		st.Notifications = d.notifier.Enabled()
		if d.opts.LoginItem != nil {
			st.StartAtLogin = d.opts.LoginItem.Installed()
		}
	})
	d.refreshSoon()
	d.pollSoon()
	return nil
}

// pollSoon asks the backend poller to poll now; it never blocks.
func (d *Daemon) pollSoon() {
	select {
	case d.pollNow <- struct{}{}:
	default:
	}
}

func startComponent[T any](ctx context.Context, key string, v T, run func(context.Context)) *component[T] {
	ctx, cancel := context.WithCancel(ctx)
	c := &component[T]{key: key, v: v, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		run(ctx)
	}()
	return c
}

func (d *Daemon) listenAddr(cfg *config.Config) string { return config.ListenAddr(cfg, d.opts.Listen) }

// applyAPI opens, moves or closes the translator's listener.
func (d *Daemon) applyAPI(cfg *config.Config) error {
	want := config.On(cfg.Clawbridge.Translator.Enabled)
	addr := d.listenAddr(cfg)
	if d.serving != nil && (!want || d.serving.addr != addr) {
		d.stopAPI()
	}
	if !want {
		d.setState(func(st *status.State) {
			st.Translator = status.TranslatorState{Enabled: false, Requests: d.requests.Load()}
		})
		return nil
	}
	if d.serving != nil {
		return nil
	}
	l, err := translator.Serve(addr, cfg.GeneralSettings.MasterKey, d.countRequests(d.api), d.log)
	if err != nil {
		d.setState(func(st *status.State) {
			st.Translator = status.TranslatorState{Enabled: true, Err: err.Error(), Requests: d.requests.Load()}
		})
		return err
	}
	d.serving = &apiListener{addr: addr, l: l}
	d.log.Info("translator listening", "addr", l.Addr())
	d.setState(func(st *status.State) {
		st.Translator = status.TranslatorState{Enabled: true, Addr: l.Addr(), Requests: d.requests.Load()}
	})
	return nil
}

// stopAPI closes the listener and lets answers in flight finish for up to
// ShutdownGrace before cutting them off.
func (d *Daemon) stopAPI() {
	if d.serving == nil {
		return
	}
	d.serving.l.Shutdown(d.opts.ShutdownGrace)
	d.serving = nil
}

func (d *Daemon) countRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.URL.Path) > 4 && r.URL.Path[:4] == "/v1/" {
			n := d.requests.Add(1)
			d.setState(func(st *status.State) { st.Translator.Requests = n })
		}
		h.ServeHTTP(w, r)
	})
}

func (d *Daemon) clawdbotDirs(cfg *config.Config) []string {
	return settings.ClawdbotDirs(cfg, d.opts.Home)
}

// applyGateway starts, restarts or stops the supervised gateway.
func (d *Daemon) applyGateway(cfg *config.Config) {
	gs := cfg.Clawbridge.Gateway
	if !gs.Enabled {
		d.gateway.stop()
		d.gateway = nil
		d.setState(func(st *status.State) { st.Gateway = status.GatewayState{Enabled: false} })
		return
	}
	dir := patcher.ExpandHome(gs.Dir, d.opts.Home)
	if dir == "" {
		if dirs := d.clawdbotDirs(cfg); len(dirs) > 0 {
			dir = dirs[0]
		}
	}
	port := gs.Port
	if port == 0 {
		port = gateway.DefaultPort
	}
	argv, workdir, err := gateway.Command(gs.Command, dir, port, exec.LookPath)
	if err != nil {
		d.gateway.stop()
		d.gateway = nil
		d.setState(func(st *status.State) { st.Gateway = status.GatewayState{Enabled: true, Port: port, Err: err.Error()} })
		return
	}
	key := fmt.Sprint(argv, workdir)
	if d.gateway != nil && d.gateway.key == key {
		return
	}
	d.gateway.stop()
	g := gateway.New(gateway.Options{Argv: argv, Dir: workdir, Port: port, LogPath: filepath.Join(d.opts.LogDir, "gateway.log"),
		Logger: d.log, Backoff: d.opts.GatewayBackoff, MaxBackoff: time.Minute,
		OnChange: func(now status.GatewayState) { d.setState(func(st *status.State) { st.Gateway = now }) }})
	d.setState(func(st *status.State) { st.Gateway = g.State() })
	d.gateway = startComponent(d.ctx, key, g, func(ctx context.Context) {
		// Clawdbot reads pi-ai's catalog once at start: a gateway started
		// before the patch is in place would send the user's conversation
		// to api.anthropic.com. Wait for it, however long that takes.
		if d.awaitPatch(ctx, g, d.opts.GatewayPatchWait) {
			g.Run(ctx)
		}
	})
}

// DefaultGatewayPatchWait is how long the gateway waits quietly for the
// pi-ai patch before it says it is waiting (it goes on waiting).
const DefaultGatewayPatchWait = 15 * time.Second

// awaitPatch returns true once every known catalog points at the
// translator (or the patcher is off: the user's choice), false when ctx
// ends first. After quiet it reports on the gateway's state, in the log
// and as a notification why the gateway has not started.
func (d *Daemon) awaitPatch(ctx context.Context, g *gateway.Supervisor, quiet time.Duration) bool {
	if quiet <= 0 {
		quiet = DefaultGatewayPatchWait
	}
	told := time.After(quiet)
	for {
		why := patchPending(d.State().Patcher)
		if why == "" {
			g.Set(func(s *status.GatewayState) { s.Err = "" })
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-told:
			msg := "not started while " + why + ": it starts once every pi-ai catalog points at clawbridge"
			g.Set(func(s *status.GatewayState) { s.Err = msg })
			d.problem("gateway", "Clawdbot gateway waiting", msg)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// patchPending says why Clawdbot would not reach the translator yet, or ""
// when every catalog found points at it.
func patchPending(st status.PatcherState) string {
	if !st.Enabled {
		return ""
	}
	if len(st.Targets) == 0 {
		return "no pi-ai catalog has been found"
	}
	for _, t := range st.Targets {
		switch why := t.Unpatched(); {
		case t.Err != "":
			return fmt.Sprintf("%s cannot be patched (%s)", t.File, why)
		case why != "":
			return fmt.Sprintf("%s is not patched (%s)", t.File, why)
		}
	}
	return ""
}

// Doctor runs the doctor against this daemon's config and its live state,
// read directly rather than through the admin endpoint.
func (d *Daemon) Doctor(ctx context.Context) doctor.Report {
	return doctor.Run(ctx, doctor.Options{ConfigPath: d.opts.ConfigPath, Home: d.opts.Home, Getenv: d.opts.Getenv,
		Live: func(context.Context) *status.State { s := d.State(); return &s }})
}

// Reload reads the config file again and applies it. An invalid file is
// rejected with the reason (logged and notified) and the last good config
// stays in force.
func (d *Daemon) Reload() error {
	d.cfgHash.Store(fileHash(d.opts.ConfigPath))
	cfg, err := config.Load(d.opts.ConfigPath)
	if err != nil {
		d.problem("config", "Config not applied", err.Error()+" (the previous config stays in force)")
		return err
	}
	d.cfg.Store(cfg)
	d.log.Info("config reloaded", "config", d.opts.ConfigPath)
	config.LogIgnoredKeys(d.log, cfg)
	d.setState(func(st *status.State) {
		if st.LastError != "" && d.errKind == "config" {
			st.LastError, d.errKind = "", ""
		}
	})
	return d.apply(cfg, false)
}

// watchConfig reloads the config when its file changes on disk (an editor,
// the tray, another tool), ignoring events that leave its content as it
// was (the runtime file lives in the same directory).
func (d *Daemon) watchConfig() {
	w, err := fswatch.New(200*time.Millisecond, func(string) {
		if h := fileHash(d.opts.ConfigPath); h != d.cfgHash.Load().([32]byte) {
			d.Reload()
		}
	})
	if err != nil {
		d.log.Warn("config changes will need a restart: cannot watch the config directory", "err", err)
		return
	}
	if err := w.Add(filepath.Dir(d.opts.ConfigPath)); err != nil {
		d.log.Warn("config changes will need a restart: cannot watch the config directory", "err", err)
	}
	w.Run(d.ctx)
}

func fileHash(path string) [32]byte {
	data, err := os.ReadFile(path)
	if err != nil {
		return [32]byte{}
	}
	return sha256.Sum256(data)
}

// Toggle names an on/off switch of the daemon, as the tray's checkboxes
// show them.
type Toggle string

// The switches. Each but StartAtLogin is a key of the config's clawbridge
// section, so it survives restarts and can be edited by hand.
const (
	ToggleTranslator    Toggle = "translator"
	ToggleAutoRepatch   Toggle = "auto_repatch"
	ToggleGuard         Toggle = "guard"
	ToggleNotifications Toggle = "notifications"
	ToggleGateway       Toggle = "gateway"
	ToggleStartAtLogin  Toggle = "start_at_login"
)

var toggleKeys = map[Toggle][]string{
	ToggleTranslator:    {"translator", "enabled"},
	ToggleAutoRepatch:   {"patcher", "enabled"},
	ToggleGuard:         {"guard", "enabled"},
	ToggleNotifications: {"notifications", "enabled"},
	ToggleGateway:       {"gateway", "enabled"},
}

// SetToggle switches t and applies it at once. Config switches are written
// to the config file (keeping its comments and layout).
func (d *Daemon) SetToggle(t Toggle, on bool) error {
	if t == ToggleStartAtLogin {
		if d.opts.LoginItem == nil {
			return errors.New("start at login is not available in this build")
		}
		var err error
		if on {
			err = d.opts.LoginItem.Install()
		} else {
			err = d.opts.LoginItem.Uninstall()
		}
		d.setState(func(st *status.State) { st.StartAtLogin = d.opts.LoginItem.Installed() })
		return err
	}
	key, ok := toggleKeys[t]
	if !ok {
		return fmt.Errorf("unknown switch %q", t)
	}
	if err := config.SetSetting(d.opts.ConfigPath, key, on); err != nil {
		return fmt.Errorf("save %s: %w", t, err)
	}
	return d.Reload()
}

// SetAliasModel makes alias answer from backend model model, writing the
// config and applying it for the next request.
func (d *Daemon) SetAliasModel(alias, model string) error {
	if err := config.SetAliasModel(d.opts.ConfigPath, alias, model); err != nil {
		return fmt.Errorf("switch %s to %s: %w", alias, model, err)
	}
	return d.Reload()
}

// status.State returns a copy of the live state.
func (d *Daemon) State() status.State {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.state.Clone()
}

// Subscribe returns a channel that receives the state after every change
// (only the newest when the reader is slow), and a func to unsubscribe.
func (d *Daemon) Subscribe() (<-chan status.State, func()) {
	ch := make(chan status.State, 1)
	d.mu.Lock()
	d.subs[ch] = struct{}{}
	ch <- d.state.Clone()
	d.mu.Unlock()
	return ch, func() {
		d.mu.Lock()
		delete(d.subs, ch)
		d.mu.Unlock()
	}
}

func (d *Daemon) setState(f func(*status.State)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	before := d.state.Clone()
	f(&d.state)
	if reflect.DeepEqual(before, d.state) {
		return
	}
	for ch := range d.subs {
		select {
		case <-ch:
		default:
		}
		ch <- d.state.Clone()
	}
}

// problem records something that went wrong, logs it and notifies the user.
func (d *Daemon) problem(kind, title, msg string) {
	d.log.Warn(title, "problem", msg)
	d.setState(func(st *status.State) {
		st.LastError, st.LastErrorTime, d.errKind = title+": "+msg, time.Now(), kind
	})
	d.notifier.Notify(notify.Message{Key: "problem:" + kind + ":" + msg, Title: title, Body: msg})
}

func (d *Daemon) refreshSoon() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// refresher recomputes the patch and guard parts of the state when a
// component reported something, reading the files themselves so the state
// never lags behind a component's bookkeeping.
func (d *Daemon) refresher() {
	for {
		select {
		case <-d.ctx.Done():
			return
		case <-d.kick:
		}
		// Let a burst of events settle into one look.
		select {
		case <-d.ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
		d.refreshPatches()
		d.refreshGuard()
	}
}

func (d *Daemon) refreshPatches() {
	d.applyMu.Lock()
	k := d.keeper
	d.applyMu.Unlock()
	if k == nil {
		return
	}
	base := d.State().Patcher.BaseURL
	d.mu.Lock()
	for _, s := range k.v.Statuses() {
		d.targets[s.Target.File] = s.Target
	}
	targets := make([]patcher.Target, 0, len(d.targets))
	for _, t := range d.targets {
		targets = append(targets, t)
	}
	d.mu.Unlock()
	var out []status.TargetState
	for _, t := range targets {
		s := patcher.Inspect(t, base)
		if errors.Is(s.Err, os.ErrNotExist) {
			continue
		}
		ts := targetState(s)
		d.mu.Lock()
		ts.Reapplied = d.reapplied[t.File]
		if ts.Err == "" {
			ts.Err = d.targetErr[t.File]
		}
		d.mu.Unlock()
		out = append(out, ts)
	}
	slices.SortFunc(out, func(a, b status.TargetState) int { return strings.Compare(a.File, b.File) })
	d.setState(func(st *status.State) { st.Patcher.Targets = out })
}

func (d *Daemon) refreshGuard() {
	d.applyMu.Lock()
	g := d.guard
	d.applyMu.Unlock()
	if g == nil {
		return
	}
	statuses, _ := g.v.Check()
	var dirs []status.GuardDirState
	var last time.Time
	for _, s := range statuses {
		ds := status.GuardDirState{Path: s.Path, Missing: s.Missing, Held: s.Held, Using: s.Using, Problems: s.Problems}
		if s.Err != nil {
			ds.Err = s.Err.Error()
		}
		if s.LastRestore.After(last) {
			last = s.LastRestore
		}
		dirs = append(dirs, ds)
	}
	d.setState(func(st *status.State) {
		st.Guard.Dirs = dirs
		if last.After(st.Guard.LastRestore) {
			st.Guard.LastRestore = last
		}
	})
}

func (d *Daemon) onPatchEvent(e patcher.Event) {
	file := e.Target.File
	d.mu.Lock()
	switch e.Kind {
	case patcher.Removed:
		delete(d.targets, file)
		delete(d.targetErr, file)
	case patcher.Failed:
		d.targets[file] = e.Target
		d.targetErr[file] = e.Err.Error()
	default:
		d.targets[file] = e.Target
		delete(d.targetErr, file)
	}
	if e.Kind == patcher.Repatched {
		d.reapplied[file] = e.Time
	}
	d.mu.Unlock()
	switch e.Kind {
	case patcher.Repatched:
		d.notifier.Notify(notify.Message{Key: "repatch:" + file, Title: "clawbridge re-applied the pi-ai patch",
			Body: fmt.Sprintf("An install restored pi-ai %s's Anthropic URLs; %d point at clawbridge again.", e.Target.Version, e.URLs)})
	case patcher.Unpatched:
		d.notifier.Notify(notify.Message{Key: "unpatched:" + file, Title: "Clawdbot talks to Anthropic again",
			Body: fmt.Sprintf("pi-ai %s is not patched and re-patching is off; turn it on or run clawbridge patch.", e.Target.Version)})
	case patcher.Failed:
		d.problem("patch", "The pi-ai patch failed", e.String())
	}
	d.refreshSoon()
}

func (d *Daemon) onGuardEvent(e guard.Event) {
	switch e.Kind {
	case guard.Restored:
		d.setState(func(st *status.State) { st.Guard.LastRestore = e.Time })
		d.notifier.Notify(notify.Message{Key: "restore:" + e.Path, Title: "clawbridge restored Clawdbot's local key",
			Body: "Claude-CLI sync had taken over " + e.Path + "; Clawdbot uses the local model again."})
	case guard.Recovered:
		d.setState(func(st *status.State) { st.Guard.LastRestore = e.Time })
		d.notifier.Notify(notify.Message{Key: "recover:" + e.Path, Title: "clawbridge recovered Clawdbot's auth profiles",
			Body: "Profiles lost from " + e.Path + " were put back; nothing was deleted."})
	case guard.Failed:
		d.problem("guard", "The auth guard could not check a file", fmt.Sprintf("%s: %v", e.Path, e.Err))
	}
	d.refreshSoon()
}

// pollBackends polls every Ollama server now and then every BackendPoll,
// and tells the user when one goes down or comes back.
func (d *Daemon) pollBackends() {
	var last []status.BackendState
	first := true
	t := time.NewTicker(d.opts.BackendPoll)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(d.ctx, 20*time.Second)
		now := d.poller.poll(ctx, settings.OllamaBases(d.config()))
		cancel()
		if d.ctx.Err() != nil {
			return
		}
		down, up := backendChanges(last, now)
		if first {
			up = nil
		}
		for _, b := range down {
			d.log.Warn("backend down", "url", b.URL, "err", b.Err)
			d.notifier.Notify(notify.Message{Key: "backend-down:" + b.URL, Title: "Ollama is not answering",
				Body: b.URL + ": " + b.Err})
		}
		for _, b := range up {
			d.log.Info("backend back up", "url", b.URL, "version", b.Version)
			d.notifier.Notify(notify.Message{Key: "backend-up:" + b.URL, Title: "Ollama is back",
				Body: b.URL + " answers again (Ollama " + b.Version + ")."})
		}
		last, first = now, false
		d.setState(func(st *status.State) { st.Backends = now })
		select {
		case <-d.ctx.Done():
			return
		case <-t.C:
		case <-d.pollNow:
		}
	}
}
