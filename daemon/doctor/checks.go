package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/config/settings"
	"github.com/clawbridge/clawbridge/daemon/gateway"
	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/daemon/translator"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/patcher"
	"github.com/clawbridge/clawbridge/patcher/guard"
)

// checkTranslator checks the running daemon's translator, or that its
// port is free when none runs. It returns the address pi-ai should point
// at: the bound one when the daemon serves.
func checkTranslator(cfg *config.Config, live *status.State) (Check, string) {
	listen := cfg.Clawbridge.Listen
	switch {
	case live != nil && live.Translator.Addr != "":
		return Check{Name: "translator", OK: true, Detail: fmt.Sprintf("clawbridge (pid %d) serves http://%s", live.PID, live.Translator.Addr)},
			live.Translator.Addr
	case live != nil && !live.Translator.Enabled:
		return Check{Name: "translator", Detail: fmt.Sprintf("clawbridge (pid %d) runs with the translator switched off", live.PID),
			Fix: "switch Translator on in the menu, or set clawbridge.translator.enabled: true"}, listen
	case live != nil:
		return Check{Name: "translator", Detail: "clawbridge runs but the translator does not listen: " + live.Translator.Err,
			Fix: "stop whatever holds the port, or set clawbridge.listen to another address"}, listen
	}
	ln, err := translator.ListenTCP(listen)
	if err != nil {
		return Check{Name: "translator", Detail: err.Error(), Fix: "stop that program (an old LiteLLM proxy?) so clawbridge can listen there"}, listen
	}
	ln.Close()
	return Check{Name: "translator", Detail: listen + " is free but clawbridge is not running",
		Fix: "start it: clawbridge start (installed) or clawbridge run"}, listen
}

// checkBackends checks every Ollama server the config names.
func checkBackends(ctx context.Context, cfg *config.Config) []Check {
	var out []Check
	hc := &http.Client{Timeout: 10 * time.Second}
	for _, base := range settings.OllamaBases(cfg) {
		out = append(out, checkBackend(ctx, hc, cfg, base)...)
	}
	return out
}

// checkPatch checks the route of every Clawdbot/OpenClaw install found,
// one check each, and that every pi-ai catalog no install owns points at
// base.
func checkPatch(cfg *config.Config, p places, home, listen string, live *status.State) []Check {
	dirs, global, env := p.dirs, p.global, p.env
	base := settings.PatchBase(cfg, listen)
	installs, ierr := patcher.FindInstalls(p.roots)
	targets, err := patcher.DiscoverRoots(p.roots)
	var out []Check
	owned := map[string]bool{}
	for _, in := range installs {
		is := settings.InstallState(patcher.InspectInstall(in, patcher.RouteFor(in, env), base, settings.RouteKey(cfg)),
			live != nil && live.Patcher.Enabled)
		out = append(out, installCheck(is, home))
		for _, f := range is.Catalogs {
			owned[f] = true
		}
	}
	switch err = errors.Join(ierr, err); {
	case err != nil:
		out = append(out, Check{Name: "pi-ai patch", Detail: err.Error(), Fix: "check that the Clawdbot directories in clawbridge.patcher.dirs are readable"})
	case len(targets) == 0 && len(installs) == 0:
		where := "no Clawdbot directory configured or found"
		if len(dirs) > 0 {
			where = "none in " + strings.Join(dirs, ", ")
		}
		if global {
			where += ", nor among the global installs"
		}
		out = append(out, Check{Name: "installs", Detail: "no Clawdbot/Moltbot/OpenClaw install found (" + where + ")",
			Fix: "add the directory holding your install (its node_modules) to clawbridge.patcher.dirs, or keep clawbridge.patcher.global on for npm -g / pnpm -g installs"})
	}
	for _, t := range targets {
		if !owned[t.File] {
			out = append(out, catalogCheck(t, base))
		}
	}
	return out
}

// places are where the doctor looks for installs, as the daemon does:
// the configured and usual directories and, with patcher.global, the
// global ones (finding those runs npm and pnpm: once per report).
type places struct {
	dirs   []string
	global bool
	env    patcher.Env
	roots  []patcher.Root
}

func searchPlaces(cfg *config.Config, o Options) places {
	p := places{dirs: settings.ClawdbotDirs(cfg, o.Home), global: config.On(cfg.Clawbridge.Patcher.Global)}
	if o.IncludeGlobal != nil {
		p.global = *o.IncludeGlobal
	}
	p.env = settings.PatcherEnv(o.Home, o.Getenv, p.global)
	p.roots = patcher.ProjectRoots(p.dirs)
	if p.global {
		p.roots = append(p.roots, patcher.GlobalRootsFrom(p.env)...)
	}
	return p
}

// installCheck is the check of one install's route.
func installCheck(is status.InstallState, home string) Check {
	c := Check{Name: is.App + " " + is.Version + " route", OK: is.Routed(),
		Detail: is.RouteDetail(home) + ": " + is.State + " (" + is.Dir + ")"}
	if !c.OK {
		c.Detail = is.RouteDetail(home) + " not in place (" + is.Dir + "): " + is.Problem
		c.Fix = is.Fix
	}
	return c
}

// catalogCheck checks a pi-ai catalog no install owns.
func catalogCheck(t patcher.Target, base string) Check {
	s := patcher.Inspect(t, base)
	c := Check{Name: "pi-ai " + t.Version + " patch", Detail: fmt.Sprintf("%d/%d Anthropic URLs point at %s (%s)", s.Patched, s.URLs, base, t.File)}
	switch {
	case s.Err != nil:
		c.Detail = fmt.Sprintf("%s: %v", t.File, s.Err)
		c.Fix = "reinstall Clawdbot's dependencies (pnpm install); clawbridge patches the fresh copy"
	case s.IsPatched():
		c.OK = true
	default:
		c.Fix = "start the daemon (it patches and re-applies after every install), or run clawbridge patch once"
	}
	return c
}

// checkGuard checks the auth guard's invariant in every agent directory.
func checkGuard(cfg *config.Config, o Options) []Check {
	g, err := guard.New(guard.Options{Key: settings.GuardKey(cfg), Dirs: settings.GuardDirs(cfg, o.Home), Home: o.Home, Getenv: o.Getenv})
	if err != nil {
		return []Check{{Name: "auth profiles", Detail: err.Error(), Fix: "set clawbridge.guard.key (or master_key) to printable text"}}
	}
	var out []Check
	statuses, _ := g.Check()
	for _, s := range statuses {
		if s.Missing {
			continue
		}
		if s.SQLite != "" {
			out = append(out, sqliteCheck(s))
			continue
		}
		c := Check{Name: "auth profiles", Detail: s.Path + ": Clawdbot uses " + orNone(s.Using)}
		switch {
		case s.Err != nil:
			c.Detail, c.Fix = fmt.Sprintf("%s: %v", s.Path, s.Err), "start the daemon: the guard repairs it from its last good copy"
		case s.Held:
			c.OK = true
		default:
			c.Detail += " (" + strings.Join(s.Problems, "; ") + ")"
			c.Fix = "start the daemon with the guard on, or run clawbridge guard --fix"
		}
		out = append(out, c)
	}
	if len(statuses) == 0 || allMissing(statuses) {
		out = append(out, Check{Name: "auth profiles", OK: true, Detail: "no Clawdbot state directory yet (nothing to guard until Clawdbot's first run)"})
	}
	return out
}

// sqliteCheck is the check of an agent directory whose app keeps its auth
// store in SQLite: nothing to pin, unless a legacy JSON store beside it
// makes OpenClaw 2026.9 refuse its turns.
func sqliteCheck(s guard.Status) Check {
	c := Check{Name: "auth profiles", OK: !s.Legacy, Detail: s.Path + ": not read by the app (its auth store is " + s.SQLite + "; the config route's key is used)"}
	if s.Legacy {
		c.Detail = s.Path + ": a legacy JSON store beside " + s.SQLite + " (" + strings.Join(s.Problems, "; ") + ")"
		c.Fix = "start the daemon with the guard on: it takes back the store clawbridge wrote"
		if s.LegacyForeign {
			c.Fix = "run openclaw doctor --fix, which migrates it into SQLite"
		}
	}
	return c
}

// checkGateways looks for a gateway already running on Clawdbot's ports,
// and on the one clawbridge's own gateway is configured to use.
func checkGateways(cfg *config.Config, ports []int, live *status.State) []Check {
	gs := cfg.Clawbridge.Gateway
	if gs.Enabled && gs.Port != 0 && !slices.Contains(ports, gs.Port) {
		ports = append(slices.Clone(ports), gs.Port)
	}
	var out []Check
	for _, port := range ports {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
		if err != nil {
			continue
		}
		c.Close()
		pid, comm := translator.PortOwner(port)
		ours := live != nil && live.Gateway.Running && live.Gateway.Port == port
		who := "a process"
		if pid > 0 {
			who = fmt.Sprintf("%s (pid %d)", orNone(comm), pid)
		}
		switch {
		case ours:
			out = append(out, Check{Name: "gateway", OK: true, Detail: fmt.Sprintf("clawbridge's gateway listens on %d", port)})
		case gs.Enabled && (gs.Port == port || gs.Port == 0 && port == gateway.DefaultPort):
			out = append(out, Check{Name: "gateway", Detail: fmt.Sprintf("port %d is taken by %s, so clawbridge's gateway cannot start", port, who),
				Fix: "stop the other gateway (clawdbot gateway stop, or kill it), or set clawbridge.gateway.port"})
		default:
			out = append(out, Check{Name: "gateway", OK: true, Detail: fmt.Sprintf("a gateway already runs on %d: %s", port, who)})
		}
	}
	return out
}

// checkService checks the login agent.
func checkService(service func() (ServiceStatus, error), live *status.State) Check {
	s, err := service()
	switch {
	case err != nil:
		return Check{Name: "service", Detail: err.Error(), Fix: "clawbridge install"}
	case !s.Installed:
		return Check{Name: "service", Detail: "not installed: clawbridge will not start at login", Fix: "clawbridge install"}
	case !s.Running && live == nil:
		return Check{Name: "service", Detail: orNone(s.Detail), Fix: "clawbridge start; if it stops again, read the log (clawbridge status shows where)"}
	}
	return Check{Name: "service", OK: true, Detail: "installed; starts at login"}
}

// checkBackend checks one Ollama server and every model the config maps
// to it.
func checkBackend(ctx context.Context, hc *http.Client, cfg *config.Config, base string) []Check {
	c, err := ollama.New(base, hc)
	if err != nil {
		return []Check{{Name: "ollama " + base, Detail: err.Error(), Fix: "fix api_base in the config"}}
	}
	version, err := c.Version(ctx)
	if err != nil {
		return []Check{{Name: "ollama " + base, Detail: "not answering: " + err.Error(),
			Fix: "start Ollama (ollama serve, or the Ollama app); on another machine, check OLLAMA_HOST=0.0.0.0 there and the address here"}}
	}
	out := []Check{{Name: "ollama " + base, OK: true, Detail: "Ollama " + version}}
	tags, err := c.Tags(ctx)
	if err != nil {
		return append(out, Check{Name: "ollama " + base, Detail: "cannot list models: " + err.Error(), Fix: "update Ollama"})
	}
	pulled := map[string]bool{}
	for _, m := range tags.Models {
		pulled[m.Name] = true
	}
	var seen []string
	for _, a := range settings.Aliases(cfg) {
		if !a.Ollama || a.Backend != base || slices.Contains(seen, a.Model) {
			continue
		}
		seen = append(seen, a.Model)
		out = append(out, checkModel(ctx, c, cfg, base, a, pulled))
	}
	return out
}

// checkModel checks that the model behind alias a is pulled on base and
// can call tools, unless the config marks it chat only.
func checkModel(ctx context.Context, c *ollama.Client, cfg *config.Config, base string, a status.AliasState, pulled map[string]bool) Check {
	name := "model " + a.Model
	if !pulled[a.Model] && !pulled[a.Model+":latest"] {
		return Check{Name: name, Detail: "not pulled on " + base + " (used by " + a.Name + ")", Fix: "clawbridge pull " + a.Name + " (or \"Pull " + a.Model + "\" in the menu)"}
	}
	show, err := c.Show(ctx, a.Model)
	chatOnly := false
	if r, rerr := cfg.Route(a.Name); rerr == nil && len(r.Deployments) > 0 {
		f := r.Deployments[0].SupportsFunctionCalling
		chatOnly = f != nil && !*f
	}
	switch {
	case err != nil:
		return Check{Name: name, Detail: "cannot read its details: " + err.Error(), Fix: "clawbridge pull " + a.Name + " (or \"Pull " + a.Model + "\" in the menu)"}
	case chatOnly:
		return Check{Name: name, OK: true, Detail: "pulled; chat only (supports_function_calling: false)"}
	case len(show.Capabilities) > 0 && !slices.Contains(show.Capabilities, "tools"):
		return Check{Name: name, Detail: "pulled, but it cannot call tools, and Clawdbot needs tools",
			Fix: "map " + a.Name + " to a model whose Ollama page lists \"tools\" (qwen3, llama3.1, mistral-nemo), or mark it supports_function_calling: false to use it for chat only"}
	}
	return Check{Name: name, OK: true, Detail: "pulled, supports tools"}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func allMissing(s []guard.Status) bool {
	for _, x := range s {
		if !x.Missing {
			return false
		}
	}
	return true
}
