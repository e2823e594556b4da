package settings

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/patcher"
)

// PatcherEnv is the environment the patcher locates installs and config
// files in: home and getenv as given (the daemon's Options, a test's
// fake home) and, when global installs are searched, the npm and pnpm
// global roots of this machine (which runs npm and pnpm: build it once).
func PatcherEnv(home string, getenv func(string) string, global bool) patcher.Env {
	env := patcher.Env{GOOS: runtime.GOOS}
	if global {
		env = patcher.MachineEnv()
	}
	env.Home, env.Getenv = home, getenv
	return env
}

// InstallRoots are the places the daemon looks for installs: the
// configured and usual directories (ClawdbotDirs) and, with
// patcher.global on, the global ones of env.
func InstallRoots(cfg *config.Config, home string, env patcher.Env) []patcher.Root {
	roots := patcher.ProjectRoots(ClawdbotDirs(cfg, home))
	if config.On(cfg.Clawbridge.Patcher.Global) {
		roots = append(roots, patcher.GlobalRootsFrom(env)...)
	}
	return roots
}

// RouteKey is the key the config route writes into the app's provider
// block. With a master key set it is that key, the only one the
// translator then lets through, even when guard.key names another;
// otherwise it is the key the guard pins (GuardKey: guard.key, else the
// local placeholder, which the translator accepts since it checks no key).
// OpenClaw needs a non-empty apiKey either way.
func RouteKey(cfg *config.Config) string {
	if k := cfg.GeneralSettings.MasterKey; k != "" {
		return k
	}
	return GuardKey(cfg)
}

// InstallState is what the state, the doctor and the CLI show of one
// install: st as patcher.InspectInstall found it, with the fix for a
// route that is not in place. keeping says whether a running daemon
// re-applies routes (patcher.enabled), which changes the fix.
func InstallState(st patcher.InstallStatus, keeping bool) status.InstallState {
	is := status.InstallState{App: st.Install.App, Version: st.Install.Version, Dir: st.Install.Dir,
		Route: st.Route.Kind.String(), Reason: st.Route.Reason, Config: st.Route.Config.Path,
		State: st.State, Problem: st.Problem}
	if st.Route.Kind != patcher.ConfigRoute {
		is.Config = ""
	}
	for _, c := range st.Catalogs {
		is.Catalogs = append(is.Catalogs, c.Target.File)
		is.URLs += c.URLs
		is.Patched += c.Patched
	}
	if !is.Routed() {
		if is.Problem == "" {
			is.Problem = "the route is not in place"
		}
		is.Fix = installFix(st, keeping)
	}
	return is
}

// installFix says what to do about an install whose route is not in
// place.
func installFix(st patcher.InstallStatus, keeping bool) string {
	app := st.Install.App
	apply := "start clawbridge (clawbridge run), which applies the route and keeps it, or run clawbridge patch once"
	if keeping {
		apply = "clawbridge re-applies it within seconds; if this stays, run clawbridge patch to see why it cannot"
	}
	switch st.Route.Kind {
	case patcher.CatalogPatch:
		if st.State == status.RouteError {
			return "reinstall " + app + "'s dependencies (pnpm install, or npm install -g " + app + ") so that its pi-ai catalog is complete and writable; clawbridge patches the fresh copy"
		}
		return apply
	case patcher.ConfigRoute:
		path := st.Route.Config.Path
		if path == "" {
			return "set HOME, or $" + strings.ToUpper(app) + "_CONFIG_PATH to the app's config file"
		}
		dir := filepath.Dir(path)
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return "run " + app + " once (for example `" + app + " onboard`) so that it creates " + dir + "; clawbridge then writes the provider block into " + path
		}
		if st.State == status.RouteError {
			return "fix " + path + " so that it parses as JSON5 (the error above says where); clawbridge writes the provider block once it does"
		}
		return apply
	}
	return "report this: clawbridge chose no route for " + app
}

// JSONStateDirs are the state directories whose auth store the guard may
// create: those the apps on the catalog patch (the pi-ai releases, which
// read a JSON store: Clawdbot 2026.1.24, OpenClaw up to 2026.5.27) resolve,
// sorted. A state directory only releases on the config route use is not
// among them: those keep their store in SQLite, and the guard must not
// put a JSON store there.
func JSONStateDirs(installs []status.InstallState, home string, getenv func(string) string) []string {
	var out []string
	for _, in := range installs {
		if in.Route != patcher.CatalogPatch.String() {
			continue
		}
		if d := StateDir(in.App, home, getenv); d != "" && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return out
}

// StateDir is the state directory app resolves: $<APP>_STATE_DIR, else
// ~/.<app>; OpenClaw keeps using ~/.clawdbot while that exists and
// ~/.openclaw does not (so creating ~/.openclaw would move it). "" without
// a home.
func StateDir(app, home string, getenv func(string) string) string {
	if getenv != nil {
		if d := getenv(strings.ToUpper(app) + "_STATE_DIR"); d != "" {
			return patcher.ExpandHome(d, home)
		}
	}
	if home == "" {
		return ""
	}
	own := filepath.Join(home, "."+app)
	if app == "openclaw" && !isDir(own) && isDir(filepath.Join(home, ".clawdbot")) {
		return filepath.Join(home, ".clawdbot")
	}
	return own
}

// MayCreateStore is the guard's Options.Create for the state directories
// dirs (JSONStateDirs): true for an agent directory <state>/agents/<id>/agent
// of one of them.
func MayCreateStore(dirs []string) func(agentDir string) bool {
	return func(agentDir string) bool {
		agentDir = filepath.Clean(agentDir)
		agents := filepath.Dir(filepath.Dir(agentDir))
		if filepath.Base(agentDir) != "agent" || filepath.Base(agents) != "agents" {
			return false
		}
		return slices.Contains(dirs, filepath.Dir(agents))
	}
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
