package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/patcher"
	"github.com/clawbridge/clawbridge/patcher/guard"
)

// Check is one thing the doctor looked at. A failed check says how to fix
// it in words, because the doctor replaces a troubleshooting guide.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Report is the doctor's answer; it passes when every check does.
type Report struct {
	Checks []Check `json:"checks"`
}

// OK reports whether every check passed.
func (r Report) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

// Failed counts the failed checks.
func (r Report) Failed() int {
	n := 0
	for _, c := range r.Checks {
		if !c.OK {
			n++
		}
	}
	return n
}

// ServiceStatus says whether the login agent is installed and loaded.
type ServiceStatus struct {
	Installed, Running bool
	Detail             string
}

// DoctorOptions say where to look. Only ConfigPath matters to most callers.
type DoctorOptions struct {
	ConfigPath string // "" means config.DefaultPath()
	RuntimeDir string // "" means the config file's directory
	Home       string
	Getenv     func(string) string
	// IncludeGlobal overrides clawbridge.patcher.global (tests: false).
	IncludeGlobal *bool
	// Service reports the login agent; nil skips that check.
	Service func() (ServiceStatus, error)
	// GatewayPorts are checked for a gateway already running (default
	// Clawdbot's 18789 and 18799).
	GatewayPorts []int
}

// Doctor runs every check a user would otherwise do by hand from the
// troubleshooting guide. It only reads: nothing is patched or written.
func Doctor(ctx context.Context, o DoctorOptions) Report {
	var r Report
	add := func(c Check) { r.Checks = append(r.Checks, c) }
	if o.ConfigPath == "" {
		p, err := config.DefaultPath()
		if err != nil {
			add(Check{Name: "config", Detail: err.Error(), Fix: "set HOME, or pass --config"})
			return r
		}
		o.ConfigPath = p
	}
	if o.RuntimeDir == "" {
		o.RuntimeDir = dirOf(o.ConfigPath)
	}
	if o.Home == "" {
		o.Home, _ = os.UserHomeDir()
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if len(o.GatewayPorts) == 0 {
		o.GatewayPorts = []int{DefaultGatewayPort, 18799}
	}

	cfg, err := config.Load(o.ConfigPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		add(Check{Name: "config", Detail: o.ConfigPath + " does not exist",
			Fix: "start clawbridge once (clawbridge run) to write the commented default, then map your models in it"})
		return r
	case err != nil:
		add(Check{Name: "config", Detail: err.Error(), Fix: "fix the line named above; the daemon keeps the last good config until then"})
		return r
	}
	add(Check{Name: "config", OK: true, Detail: fmt.Sprintf("%s: %d model names", o.ConfigPath, len(cfg.ModelNames()))})

	// The daemon and the translator's port.
	live, _ := LiveState(ctx, o.RuntimeDir) // nil when none runs
	listen := cfg.Clawbridge.Listen
	switch {
	case live != nil && live.Translator.Addr != "":
		add(Check{Name: "translator", OK: true, Detail: fmt.Sprintf("clawbridge (pid %d) serves http://%s", live.PID, live.Translator.Addr)})
		listen = live.Translator.Addr
	case live != nil && !live.Translator.Enabled:
		add(Check{Name: "translator", Detail: fmt.Sprintf("clawbridge (pid %d) runs with the translator switched off", live.PID),
			Fix: "switch Translator on in the menu, or set clawbridge.translator.enabled: true"})
	case live != nil:
		add(Check{Name: "translator", Detail: "clawbridge runs but the translator does not listen: " + live.Translator.Err,
			Fix: "stop whatever holds the port, or set clawbridge.listen to another address"})
	default:
		if ln, err := listenExplained(listen); err != nil {
			add(Check{Name: "translator", Detail: err.Error(), Fix: "stop that program (an old LiteLLM proxy?) so clawbridge can listen there"})
		} else {
			ln.Close()
			add(Check{Name: "translator", Detail: listen + " is free but clawbridge is not running",
				Fix: "start it: clawbridge start (installed) or clawbridge run"})
		}
	}

	// Backends and models.
	hc := &http.Client{Timeout: 10 * time.Second}
	for _, base := range ollamaBases(cfg) {
		r.Checks = append(r.Checks, checkBackend(ctx, hc, cfg, base)...)
	}

	// The pi-ai patch.
	global := config.On(cfg.Clawbridge.Patcher.Global)
	if o.IncludeGlobal != nil {
		global = *o.IncludeGlobal
	}
	dirs := ClawdbotDirs(cfg, o.Home)
	base := PatchBase(cfg, listen)
	targets, err := patcher.Discover(dirs, global)
	switch {
	case err != nil:
		add(Check{Name: "pi-ai patch", Detail: err.Error(), Fix: "check that the Clawdbot directories in clawbridge.patcher.dirs are readable"})
	case len(targets) == 0:
		where := "no Clawdbot directory configured or found"
		if len(dirs) > 0 {
			where = "none in " + strings.Join(dirs, ", ")
		}
		add(Check{Name: "pi-ai patch", Detail: "no pi-ai model catalog found (" + where + ")",
			Fix: "add your Clawdbot directory to clawbridge.patcher.dirs (newer OpenClaw without a catalog: clawbridge patch --config)"})
	}
	for _, t := range targets {
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
		add(c)
	}

	// The auth guard's invariant.
	g, err := guard.New(guard.Options{Key: GuardKey(cfg), Dirs: GuardDirs(cfg, o.Home), Home: o.Home, Getenv: o.Getenv})
	if err != nil {
		add(Check{Name: "auth profiles", Detail: err.Error(), Fix: "set clawbridge.guard.key (or master_key) to printable text"})
	} else {
		statuses, _ := g.Check()
		for _, s := range statuses {
			if s.Missing {
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
			add(c)
		}
		if len(statuses) == 0 || allMissing(statuses) {
			add(Check{Name: "auth profiles", OK: true, Detail: "no Clawdbot state directory yet (nothing to guard until Clawdbot's first run)"})
		}
	}

	// Another gateway on Clawdbot's ports, and on the one clawbridge's
	// own gateway is configured to use.
	ports := o.GatewayPorts
	if p := cfg.Clawbridge.Gateway.Port; cfg.Clawbridge.Gateway.Enabled && p != 0 && !slices.Contains(ports, p) {
		ports = append(slices.Clone(ports), p)
	}
	for _, port := range ports {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
		if err != nil {
			continue
		}
		c.Close()
		pid, comm := portOwner(port)
		ours := live != nil && live.Gateway.Running && live.Gateway.Port == port
		who := "a process"
		if pid > 0 {
			who = fmt.Sprintf("%s (pid %d)", orNone(comm), pid)
		}
		switch {
		case ours:
			add(Check{Name: "gateway", OK: true, Detail: fmt.Sprintf("clawbridge's gateway listens on %d", port)})
		case cfg.Clawbridge.Gateway.Enabled && (cfg.Clawbridge.Gateway.Port == port || cfg.Clawbridge.Gateway.Port == 0 && port == DefaultGatewayPort):
			add(Check{Name: "gateway", Detail: fmt.Sprintf("port %d is taken by %s, so clawbridge's gateway cannot start", port, who),
				Fix: "stop the other gateway (clawdbot gateway stop, or kill it), or set clawbridge.gateway.port"})
		default:
			add(Check{Name: "gateway", OK: true, Detail: fmt.Sprintf("a gateway already runs on %d: %s", port, who)})
		}
	}

	// The login agent.
	if o.Service != nil {
		s, err := o.Service()
		switch {
		case err != nil:
			add(Check{Name: "service", Detail: err.Error(), Fix: "clawbridge install"})
		case !s.Installed:
			add(Check{Name: "service", Detail: "not installed: clawbridge will not start at login", Fix: "clawbridge install"})
		case !s.Running && live == nil:
			add(Check{Name: "service", Detail: orNone(s.Detail), Fix: "clawbridge start; if it stops again, read the log (clawbridge status shows where)"})
		default:
			add(Check{Name: "service", OK: true, Detail: "installed; starts at login"})
		}
	}
	return r
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
	for _, a := range aliases(cfg) {
		if !a.Ollama || a.Backend != base || slices.Contains(seen, a.Model) {
			continue
		}
		seen = append(seen, a.Model)
		name := "model " + a.Model
		if !pulled[a.Model] && !pulled[a.Model+":latest"] {
			out = append(out, Check{Name: name, Detail: "not pulled on " + base + " (used by " + a.Name + ")", Fix: "ollama pull " + a.Model})
			continue
		}
		show, err := c.Show(ctx, a.Model)
		chatOnly := false
		if r, rerr := cfg.Route(a.Name); rerr == nil && len(r.Deployments) > 0 {
			f := r.Deployments[0].SupportsFunctionCalling
			chatOnly = f != nil && !*f
		}
		switch {
		case err != nil:
			out = append(out, Check{Name: name, Detail: "cannot read its details: " + err.Error(), Fix: "ollama pull " + a.Model})
		case chatOnly:
			out = append(out, Check{Name: name, OK: true, Detail: "pulled; chat only (supports_function_calling: false)"})
		case len(show.Capabilities) > 0 && !slices.Contains(show.Capabilities, "tools"):
			out = append(out, Check{Name: name, Detail: "pulled, but it cannot call tools, and Clawdbot needs tools",
				Fix: "map " + a.Name + " to a model whose Ollama page lists \"tools\" (qwen3, llama3.1, mistral-nemo), or mark it supports_function_calling: false to use it for chat only"})
		default:
			out = append(out, Check{Name: name, OK: true, Detail: "pulled, supports tools"})
		}
	}
	return out
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

func dirOf(p string) string {
	i := strings.LastIndexAny(p, `/\`)
	if i < 0 {
		return "."
	}
	return p[:i]
}
