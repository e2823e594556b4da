package daemon

import (
	"context"
	"net/http"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/config/settings"
	"github.com/clawbridge/clawbridge/daemon/gateway"
	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/daemon/translator"
	"github.com/clawbridge/clawbridge/patcher"
	"github.com/clawbridge/clawbridge/patcher/guard"
)

// parts are what runs from the config: the translator's listener and the
// three components (the patcher's keeper, the guard, the gateway). apply
// brings them in line with a config, restarting a component only when
// the settings it runs with changed.
type parts struct {
	ctx      context.Context // the daemon's, from Start
	opts     *Options
	live     *live
	api      *translator.Server
	requests atomic.Int64 // API requests served since start
	onPatch  func(patcher.Event)
	onRoute  func(patcher.Event) // the config route's events
	onGuard  func(guard.Event)
	// machineEnv is this machine's patcher environment with the global
	// roots npm and pnpm report, asked once: both take a moment to answer.
	machineEnv func() patcher.Env
	applied    func() // called after every apply

	// applyMu makes applies one at a time and guards the fields below. It
	// is taken before live.mu (apply updates the state while holding it),
	// never after.
	applyMu sync.Mutex
	cfg     *config.Config // the config last applied
	// jsonStates are the state directories the guard may create a JSON
	// auth store in (settings.JSONStateDirs of the installs found).
	jsonStates []string
	stopped    bool // stop ran: nothing starts again
	serving    *apiListener
	keeper     *component[keeperSettings, *patcher.Keeper]
	windows    *contextWindows // the config route's models list
	guard      *component[guardSettings, *guard.Guard]
	gateway    *component[gatewaySettings, *gateway.Supervisor]
}

// apiListener is the translator's listener with the address it was asked
// for, which differs from the bound one for port 0.
type apiListener struct {
	addr string
	l    *translator.Listener
}

// The settings each component runs with, derived from the config: a
// component restarts when they differ from those it was started with.
type (
	keeperSettings struct {
		Dirs                      []string
		IncludeGlobal, ReportOnly bool
		BaseURL                   string
		APIKey                    string // the config route's; never logged
	}
	guardSettings struct {
		Key       string
		StateDirs []string // as configured; the guard finds their agents
		CreateIn  []string // state directories where it may create the store
	}
	gatewaySettings struct {
		Argv []string
		Dir  string
		Port int
	}
)

// component is one running part, with the settings it was started from.
type component[S, T any] struct {
	settings S
	v        T
	cancel   context.CancelFunc
	done     chan struct{}
}

func (c *component[S, T]) stop() {
	if c != nil {
		c.cancel()
		<-c.done
	}
}

// reconcile brings *c in line with want, the one way apply handles every
// component: nil stops it; settings equal to the running ones keep it;
// other settings stop it and start a new one, made by start, whose run
// func runs until the component is stopped. start's error leaves none.
func reconcile[S, T any](ctx context.Context, c **component[S, T], want *S, start func(S) (T, func(context.Context), error)) error {
	if want != nil && *c != nil && reflect.DeepEqual((*c).settings, *want) {
		return nil
	}
	(*c).stop()
	*c = nil
	if want == nil {
		return nil
	}
	v, run, err := start(*want)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithCancel(ctx)
	n := &component[S, T]{settings: *want, v: v, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(n.done)
		run(cctx)
	}()
	*c = n
	return nil
}

// apply brings the running parts in line with cfg. At start (first) a
// translator that cannot listen is an error; later it is reported in the
// state and by a notification, and the rest keeps running.
func (p *parts) apply(cfg *config.Config, first bool) error {
	p.applyMu.Lock()
	defer p.applyMu.Unlock()
	p.cfg = cfg
	p.live.notifier.SetEnabled(config.On(cfg.Clawbridge.Notifications.Enabled))
	if err := p.applyAPI(cfg); err != nil {
		if first {
			return err
		}
		p.live.problem("translator", "The translator could not listen", err.Error())
	}
	listen := config.ListenAddr(cfg, p.opts.Listen)
	if a := p.live.State().Translator.Addr; a != "" {
		listen = a // the bound address, which differs for port 0
	}
	p.applyKeeper(cfg, listen)
	p.applyGuard(cfg)
	p.applyGateway(cfg)
	p.live.update(func(st *status.State) {
		st.Aliases = withLive(settings.Aliases(cfg), st.Aliases)
		st.Notifications = p.live.notifier.Enabled()
		if p.opts.LoginItem != nil {
			st.StartAtLogin = p.opts.LoginItem.Installed()
		}
	})
	p.applied()
	return nil
}

// applyAPI opens, moves or closes the translator's listener.
func (p *parts) applyAPI(cfg *config.Config) error {
	want := config.On(cfg.Clawbridge.Translator.Enabled)
	addr := config.ListenAddr(cfg, p.opts.Listen)
	if p.serving != nil && (!want || p.serving.addr != addr) {
		p.stopAPI()
	}
	if !want {
		p.live.update(func(st *status.State) {
			st.Translator = status.TranslatorState{Enabled: false, Requests: p.requests.Load()}
		})
		return nil
	}
	if p.serving != nil {
		return nil
	}
	l, err := translator.Serve(addr, cfg.GeneralSettings.MasterKey, p.countRequests(p.api), p.live.log)
	if err != nil {
		p.live.update(func(st *status.State) {
			st.Translator = status.TranslatorState{Enabled: true, Err: err.Error(), Requests: p.requests.Load()}
		})
		return err
	}
	p.serving = &apiListener{addr: addr, l: l}
	p.live.log.Info("translator listening", "addr", l.Addr())
	p.live.update(func(st *status.State) {
		st.Translator = status.TranslatorState{Enabled: true, Addr: l.Addr(), Requests: p.requests.Load()}
	})
	return nil
}

// stopAPI closes the listener and lets answers in flight finish for up to
// ShutdownGrace before cutting them off.
func (p *parts) stopAPI() {
	if p.serving == nil {
		return
	}
	p.serving.l.Shutdown(p.opts.ShutdownGrace)
	p.serving = nil
}

func (p *parts) countRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.URL.Path) > 4 && r.URL.Path[:4] == "/v1/" {
			n := p.requests.Add(1)
			p.live.update(func(st *status.State) { st.Translator.Requests = n })
		}
		h.ServeHTTP(w, r)
	})
}

// applyKeeper runs the patcher's keeper, which routes every install it
// finds (the catalog patch or the config route, with the daemon's key);
// with patcher.enabled off it still runs, reporting only, so the state
// shows what is routed.
func (p *parts) applyKeeper(cfg *config.Config, listen string) {
	s := &cfg.Clawbridge.Patcher
	want := keeperSettings{Dirs: settings.ClawdbotDirs(cfg, p.opts.Home), IncludeGlobal: config.On(s.Global),
		ReportOnly: !config.On(s.Enabled), BaseURL: settings.PatchBase(cfg, listen), APIKey: settings.RouteKey(cfg)}
	p.windows.setConfig(cfg)
	err := reconcile(p.ctx, &p.keeper, &want, func(ks keeperSettings) (*patcher.Keeper, func(context.Context), error) {
		env := p.env(ks.IncludeGlobal)
		k, err := patcher.NewKeeper(patcher.KeeperOptions{Dirs: ks.Dirs, IncludeGlobal: ks.IncludeGlobal, BaseURL: ks.BaseURL,
			ReportOnly: ks.ReportOnly, APIKey: ks.APIKey, Env: &env, Rescan: p.opts.PatchRescan,
			OnEvent: p.onPatch, OnConfigEvent: p.onRoute, ContextWindows: p.windows.window, Logger: p.live.log})
		return k, func(ctx context.Context) {
			if err := k.Run(ctx); err != nil {
				p.live.problem("patcher", "The pi-ai patcher stopped", err.Error())
			}
		}, err
	})
	var k *patcher.Keeper
	if p.keeper != nil {
		k = p.keeper.v
	}
	p.windows.setKeeper(k)
	p.live.update(func(st *status.State) {
		st.Patcher.Enabled, st.Patcher.BaseURL = !want.ReportOnly, want.BaseURL
		switch {
		case err != nil:
			st.Patcher.Err = err.Error()
		case p.keeper != nil:
			st.Patcher.Err = ""
		}
	})
}

// env is the patcher's environment: the machine's (asked once) when
// global installs are searched, else only the home and environment, so
// that no npm or pnpm is run for nothing.
func (p *parts) env(global bool) patcher.Env {
	if global {
		return p.machineEnv()
	}
	return settings.PatcherEnv(p.opts.Home, p.opts.Getenv, false)
}

// applyGuard runs the auth guard when guard.enabled is on.
func (p *parts) applyGuard(cfg *config.Config) {
	var want *guardSettings
	if config.On(cfg.Clawbridge.Guard.Enabled) {
		want = &guardSettings{Key: settings.GuardKey(cfg), StateDirs: cfg.Clawbridge.Guard.StateDirs, CreateIn: p.jsonStates}
	}
	err := reconcile(p.ctx, &p.guard, want, func(gs guardSettings) (*guard.Guard, func(context.Context), error) {
		g, err := guard.New(guard.Options{Key: gs.Key, Dirs: settings.GuardDirs(cfg, p.opts.Home), Home: p.opts.Home,
			Getenv: p.opts.Getenv, Create: settings.MayCreateStore(gs.CreateIn), Rescan: p.opts.GuardRescan,
			OnEvent: p.onGuard, Logger: p.live.log})
		if err == nil {
			p.live.update(func(st *status.State) { st.Guard = status.GuardState{Enabled: true, Key: guard.MaskKey(gs.Key)} })
		}
		return g, func(ctx context.Context) {
			if err := g.Run(ctx); err != nil {
				p.live.problem("guard", "The auth guard stopped", err.Error())
			}
		}, err
	})
	switch {
	case want == nil:
		p.live.update(func(st *status.State) { st.Guard = status.GuardState{Enabled: false} })
	case err != nil:
		p.live.update(func(st *status.State) { st.Guard = status.GuardState{Enabled: true, Err: err.Error()} })
	}
}

// setJSONStates tells the guard where it may create a JSON auth store
// (settings.JSONStateDirs of the installs found), restarting it when that
// changed: a fresh HOME with a pi-ai release has no store until the guard
// makes one, and a SQLite-era state directory must never get one.
func (p *parts) setJSONStates(dirs []string) {
	p.applyMu.Lock()
	defer p.applyMu.Unlock()
	if slices.Equal(dirs, p.jsonStates) || p.cfg == nil || p.stopped {
		return
	}
	p.jsonStates = dirs
	p.applyGuard(p.cfg)
}

// applyGateway runs the supervised gateway when gateway.enabled is on. It
// starts only once the pi-ai patch is in place (awaitPatch).
func (p *parts) applyGateway(cfg *config.Config) {
	gs := cfg.Clawbridge.Gateway
	if !gs.Enabled {
		reconcile(p.ctx, &p.gateway, nil, nil)
		p.live.update(func(st *status.State) { st.Gateway = status.GatewayState{Enabled: false} })
		return
	}
	dir := patcher.ExpandHome(gs.Dir, p.opts.Home)
	if dir == "" {
		if dirs := settings.ClawdbotDirs(cfg, p.opts.Home); len(dirs) > 0 {
			dir = dirs[0]
		}
	}
	port := gs.Port
	if port == 0 {
		port = gateway.DefaultPort
	}
	argv, workdir, err := gateway.Command(gs.Command, dir, port, exec.LookPath)
	if err != nil {
		reconcile(p.ctx, &p.gateway, nil, nil)
		p.live.update(func(st *status.State) { st.Gateway = status.GatewayState{Enabled: true, Port: port, Err: err.Error()} })
		return
	}
	want := gatewaySettings{Argv: argv, Dir: workdir, Port: port}
	reconcile(p.ctx, &p.gateway, &want, func(ws gatewaySettings) (*gateway.Supervisor, func(context.Context), error) {
		g := gateway.New(gateway.Options{Argv: ws.Argv, Dir: ws.Dir, Port: ws.Port, LogPath: filepath.Join(p.opts.LogDir, "gateway.log"), RuntimeDir: p.opts.RuntimeDir,
			Logger: p.live.log, Backoff: p.opts.GatewayBackoff, MaxBackoff: time.Minute,
			OnChange: func(now status.GatewayState) { p.live.update(func(st *status.State) { st.Gateway = now }) }})
		p.live.update(func(st *status.State) { st.Gateway = g.State() })
		return g, func(ctx context.Context) {
			if p.awaitPatch(ctx, g, p.opts.GatewayPatchWait) {
				g.Run(ctx)
			}
		}, nil
	})
}

// runningParts are the keeper and the guard now running (nil when none)
// with the patcher's state and the key the keeper routes with, read
// together so that they belong to the same configuration.
type runningParts struct {
	keeper  *patcher.Keeper
	guard   *guard.Guard
	patcher status.PatcherState
	key     string
}

// running returns the running parts, read under applyMu.
func (p *parts) running() runningParts {
	p.applyMu.Lock()
	defer p.applyMu.Unlock()
	r := runningParts{patcher: p.live.State().Patcher}
	if p.keeper != nil {
		r.keeper, r.key = p.keeper.v, p.keeper.settings.APIKey
	}
	if p.guard != nil {
		r.guard = p.guard.v
	}
	return r
}

// stop stops every part: the translator finishes answers in flight for up
// to ShutdownGrace, the gateway is terminated.
func (p *parts) stop() {
	p.applyMu.Lock()
	defer p.applyMu.Unlock()
	p.stopAPI()
	p.keeper.stop()
	p.guard.stop()
	p.gateway.stop()
	p.keeper, p.guard, p.gateway = nil, nil, nil
	p.stopped = true
}
