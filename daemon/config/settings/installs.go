package settings

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
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
// block: the one the guard pins (GuardKey), so that every route carries
// the same key and the translator's master key check, when there is one,
// lets it through. Without guard.key and master_key it is the guard's
// local placeholder, which the translator accepts because it then checks
// no key; OpenClaw needs a non-empty apiKey either way.
func RouteKey(cfg *config.Config) string { return GuardKey(cfg) }

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

// SQLiteStore says where the app keeps its auth instead of the JSON
// store at path, or "" when it still reads path: OpenClaw 2026.6 and
// later keep it in the agent's openclaw-agent.sqlite, 2026.9 in the
// state directory's state/openclaw.sqlite (docs/openclaw-releases.md),
// and read the JSON files only to migrate them. The daemon's state and
// the doctor use it so that neither claims a key pinned in a file the app
// does not read.
func SQLiteStore(path string) string {
	agent := filepath.Dir(path)
	state := filepath.Dir(filepath.Dir(filepath.Dir(agent))) // <state>/agents/<id>/agent
	for _, db := range []string{filepath.Join(agent, "openclaw-agent.sqlite"), filepath.Join(state, "state", "openclaw.sqlite")} {
		if _, err := os.Stat(db); err == nil {
			return "its auth store is " + db + "; the config route's key is what counts"
		}
	}
	return ""
}
