// Package doctor checks a whole clawbridge setup the way a user would by
// hand from a troubleshooting guide: the config, the translator's port,
// every Ollama server and mapped model, each Clawdbot/OpenClaw install's
// route (and any pi-ai catalog no install owns), that every model each
// install offers routes, the auth profiles, the gateway ports, the login
// agent and (on macOS) its PATH and LANG, and whether the menu-bar icon
// is compiled in. Each check is one function returning Checks that say
// how to fix a failure in words. It only reads: nothing is patched or
// written.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/gateway"
	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/tray"
)

// Check is one thing the doctor looked at. A failed check says how to fix
// it in words, because the doctor replaces a troubleshooting guide.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
	// Warn marks a check that passes with advice: nothing is broken, but
	// the user is missing something they may want (Fix says how).
	Warn bool `json:"warn,omitempty"`
}

// Report is the doctor's answer; it passes when every check does.
type Report struct {
	Checks []Check `json:"checks"`
}

// OK reports whether every check passed.
func (r Report) OK() bool { return r.Failed() == 0 }

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

// Summary is the report in a few lines, for the tray's notification: the
// failed checks with their fixes, or that all passed.
func (r Report) Summary() string {
	if r.OK() {
		return fmt.Sprintf("All %d checks passed.", len(r.Checks))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d checks failed.", r.Failed(), len(r.Checks))
	for _, c := range r.Checks {
		if !c.OK {
			fmt.Fprintf(&b, "\n%s: %s. Fix: %s", c.Name, c.Detail, c.Fix)
		}
	}
	return b.String()
}

// ServiceStatus says whether the login agent is installed and loaded.
type ServiceStatus struct {
	Installed, Running bool
	Detail             string
}

// Options say where to look. Only ConfigPath and Live matter to most
// callers.
type Options struct {
	ConfigPath string // "" means config.DefaultPath()
	// Live returns the running daemon's state, or nil when none runs: the
	// daemon passes its own, the CLI asks the admin endpoint. nil means
	// no daemon is asked.
	Live   func(context.Context) *status.State
	Home   string
	Getenv func(string) string
	// IncludeGlobal overrides clawbridge.patcher.global (tests: false).
	IncludeGlobal *bool
	// Service reports the login agent; nil skips that check.
	Service func() (ServiceStatus, error)
	// GatewayPorts are checked for a gateway already running (default
	// Clawdbot's 18789 and 18799).
	GatewayPorts []int
	// AgentEnvironment reports the login agent's environment and what the
	// login shell finds; nil, or ok false (no LaunchAgent), skips it.
	AgentEnvironment func(context.Context) (env AgentEnvironment, ok bool, err error)
}

// Run runs every check. A config that cannot be read ends the report
// there: every other check depends on it.
func Run(ctx context.Context, o Options) Report {
	var r Report
	if o.ConfigPath == "" {
		p, err := config.DefaultPath()
		if err != nil {
			r.Checks = append(r.Checks, Check{Name: "config", Detail: err.Error(), Fix: "set HOME, or pass --config"})
			return r
		}
		o.ConfigPath = p
	}
	if o.Home == "" {
		o.Home, _ = os.UserHomeDir()
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if len(o.GatewayPorts) == 0 {
		o.GatewayPorts = []int{gateway.DefaultPort, 18799}
	}
	cfg, c := checkConfig(o.ConfigPath)
	r.Checks = append(r.Checks, c)
	if cfg == nil {
		return r
	}
	var live *status.State // nil when no daemon runs
	if o.Live != nil {
		live = o.Live(ctx)
	}
	c, listen := checkTranslator(cfg, live)
	r.Checks = append(r.Checks, c)
	r.Checks = append(r.Checks, checkBackends(ctx, cfg)...)
	where := searchPlaces(cfg, o)
	r.Checks = append(r.Checks, checkPatch(cfg, where, o.Home, listen, live)...)
	r.Checks = append(r.Checks, checkRouting(cfg, where)...)
	r.Checks = append(r.Checks, checkGuard(cfg, o)...)
	r.Checks = append(r.Checks, checkGateways(cfg, o.GatewayPorts, live)...)
	r.Checks = append(r.Checks, checkFiles(live)...)
	if o.Service != nil {
		r.Checks = append(r.Checks, checkService(o.Service, live))
	}
	if o.AgentEnvironment != nil {
		if c, ok := checkAgentEnvironment(ctx, o.AgentEnvironment); ok {
			r.Checks = append(r.Checks, c)
		}
	}
	if c, ok := checkTrayBuild(runtime.GOOS, tray.Available); ok {
		r.Checks = append(r.Checks, c)
	}
	return r
}

// checkConfig reads the config; a nil config means the report ends here.
func checkConfig(path string) (*config.Config, Check) {
	cfg, err := config.Load(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, Check{Name: "config", Detail: path + " does not exist",
			Fix: "start clawbridge once (clawbridge run) to write the commented default, then map your models in it"}
	case err != nil:
		return nil, Check{Name: "config", Detail: err.Error(), Fix: "fix the line named above; the daemon keeps the last good config until then"}
	}
	return cfg, Check{Name: "config", OK: true, Detail: fmt.Sprintf("%s: %d model names", path, len(cfg.ModelNames()))}
}
