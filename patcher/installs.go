package patcher

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
)

// Install is one Clawdbot, Moltbot or OpenClaw package found on disk: what
// status and doctor list, and what RouteFor decides for.
type Install struct {
	// App is the npm package: "clawdbot", "moltbot" or "openclaw".
	App string
	// Version is the app's version from its package.json.
	Version string
	// Dir is the package directory as found (under pnpm often a symlink
	// into node_modules/.pnpm); RealDir is Dir with symlinks resolved.
	Dir, RealDir string
	// Root is where it was found.
	Root Root
}

// FindInstalls lists the app packages under roots: a configured directory
// that is itself the app (a checkout, or a package given by path),
// node_modules/<app> (npm, pnpm's link, a global install) and every
// version in pnpm's store (node_modules/.pnpm/<app>@<version>). Each
// package is listed once, by real path, sorted by it. The error reports
// directories that could not be read; what was found elsewhere comes with
// it.
func FindInstalls(roots []Root) ([]Install, error) {
	var out []Install
	var errs []error
	seen := map[string]bool{}
	for _, r := range roots {
		dirs := []string{r.Dir}
		for _, app := range appNames {
			dirs = append(dirs, filepath.Join(r.NodeModules, app))
		}
		store, err := storeEntries(r.NodeModules, appNames)
		if err != nil {
			errs = append(errs, err)
		}
		for _, dir := range append(dirs, store...) {
			real, name, version, ok := packageAt(dir)
			if !ok || !slices.Contains(appNames, name) || seen[real] {
				continue
			}
			seen[real] = true
			out = append(out, Install{App: name, Version: version, Dir: dir, RealDir: real, Root: r})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].RealDir < out[j].RealDir })
	return out, errors.Join(errs...)
}

// Catalogs lists the pi-ai catalogs this install can load, one per pi-ai
// name: the package Node.js resolves from the app (its own node_modules,
// then the node_modules holding it, then the root's), its catalog
// possibly not yet complete. RouteFor decides whether the app reads it.
func (in Install) Catalogs() []Target {
	var out []Target
	for _, name := range piAINames {
		for _, nm := range in.resolveDirs() {
			dir := filepath.Join(nm, filepath.FromSlash(name))
			if t, ok, _ := targetAt(in.Root, dir); ok {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

// resolveDirs are the node_modules directories Node.js searches for the
// app's dependencies, as far as they lie in what was configured: the
// app's own, the one holding it (npm's hoisting, pnpm's store), and the
// root's.
func (in Install) resolveDirs() []string {
	dirs := []string{filepath.Join(in.RealDir, "node_modules")}
	if parent := filepath.Dir(in.RealDir); filepath.Base(parent) == "node_modules" {
		dirs = append(dirs, parent)
	}
	if !slices.Contains(dirs, in.Root.NodeModules) {
		dirs = append(dirs, in.Root.NodeModules)
	}
	return dirs
}

// Env is what decides where global packages and config files live: the
// user's home, the OS, the environment and what `npm root -g` / `pnpm root
// -g` answered (empty when the tool is missing). MachineEnv fills it from
// this machine; tests pass their own.
type Env struct {
	// Home is the user's home directory; GOOS the OS ("darwin" adds
	// ~/Library/pnpm).
	Home, GOOS string
	// Getenv reads the environment; nil reads nothing.
	Getenv func(string) string
	// NpmRoot and PnpmRoot are what `npm root -g` and `pnpm root -g`
	// printed.
	NpmRoot, PnpmRoot string
}

// globalDirs lists the global node_modules directories env may use,
// existing or not: the package managers' answers, npm's prefixes
// ($NPM_CONFIG_PREFIX, ~/.npm-global, Homebrew's, the system's, nvm's
// per-Node ones, and OpenClaw's install-cli.sh prefix $OPENCLAW_PREFIX or
// ~/.openclaw) and pnpm's global projects ($PNPM_HOME/global/<n>,
// $XDG_DATA_HOME/pnpm/global/<n>, ~/.local/share/pnpm/global/<n>,
// ~/Library/pnpm/global/<n> on macOS; <n> is pnpm's layout version, 5
// today).
func globalDirs(env Env) []string {
	getenv := env.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	var dirs []string
	add := func(d ...string) {
		for _, x := range d {
			if x != "" {
				dirs = append(dirs, x)
			}
		}
	}
	add(env.NpmRoot, env.PnpmRoot)
	for _, v := range []string{"NPM_CONFIG_PREFIX", "npm_config_prefix", "OPENCLAW_PREFIX"} {
		if p := getenv(v); p != "" {
			add(filepath.Join(p, "lib", "node_modules"))
		}
	}
	var pnpmHomes []string
	if p := getenv("PNPM_HOME"); p != "" {
		pnpmHomes = append(pnpmHomes, p)
	}
	if x := getenv("XDG_DATA_HOME"); x != "" {
		pnpmHomes = append(pnpmHomes, filepath.Join(x, "pnpm"))
	}
	if env.Home != "" {
		add(filepath.Join(env.Home, ".npm-global", "lib", "node_modules"),
			filepath.Join(env.Home, ".openclaw", "lib", "node_modules"))
		if env.GOOS == "darwin" {
			pnpmHomes = append(pnpmHomes, filepath.Join(env.Home, "Library", "pnpm"))
		}
		pnpmHomes = append(pnpmHomes, filepath.Join(env.Home, ".local", "share", "pnpm"))
		nvm, _ := filepath.Glob(filepath.Join(env.Home, ".nvm", "versions", "node", "*", "lib", "node_modules"))
		add(nvm...)
	}
	for _, h := range pnpmHomes {
		layouts, _ := filepath.Glob(filepath.Join(h, "global", "*", "node_modules"))
		add(layouts...)
	}
	add("/opt/homebrew/lib/node_modules", "/usr/local/lib/node_modules", "/usr/lib/node_modules")
	return dirs
}

// GlobalRootsFrom is GlobalRoots for env: the directories of globalDirs
// that exist, each real directory once.
func GlobalRootsFrom(env Env) []Root {
	var roots []Root
	seen := map[string]bool{}
	firstInstall := firstInstallDirs(env)
	for _, c := range globalDirs(env) {
		c = absClean(c)
		real, err := filepath.EvalSymlinks(c)
		if errors.Is(err, fs.ErrNotExist) && slices.Contains(firstInstall, c) && !seen[c] {
			seen[c] = true // watched until the first global install creates it
			roots = append(roots, Root{Dir: c, NodeModules: c, Global: true})
			continue
		}
		if err != nil || seen[real] {
			continue
		}
		if fi, err := os.Stat(real); err != nil || !fi.IsDir() {
			continue
		}
		seen[real] = true
		roots = append(roots, Root{Dir: c, NodeModules: c, Global: true})
	}
	return roots
}

// firstInstallDirs are the global node_modules that the user's first
// `npm i -g` (or OpenClaw's install-cli.sh) creates: npm's own answer and
// the prefixes of the environment and the home directory. They are
// searched, and so watched, before they exist, so that an install made
// while clawbridge runs is routed at once; the system's directories exist
// wherever Node is installed.
func firstInstallDirs(env Env) []string {
	getenv := env.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	var dirs []string
	if env.NpmRoot != "" {
		dirs = append(dirs, absClean(env.NpmRoot))
	}
	for _, v := range []string{"NPM_CONFIG_PREFIX", "npm_config_prefix", "OPENCLAW_PREFIX"} {
		if p := getenv(v); p != "" {
			dirs = append(dirs, absClean(filepath.Join(p, "lib", "node_modules")))
		}
	}
	if env.Home != "" {
		dirs = append(dirs, absClean(filepath.Join(env.Home, ".npm-global", "lib", "node_modules")),
			absClean(filepath.Join(env.Home, ".openclaw", "lib", "node_modules")))
	}
	return dirs
}

// MachineEnv is Env for this machine. It runs npm and pnpm when they are
// on PATH, which takes a moment: build it once and reuse it.
func MachineEnv() Env {
	home, _ := os.UserHomeDir()
	return Env{
		Home:     home,
		GOOS:     runtime.GOOS,
		Getenv:   os.Getenv,
		NpmRoot:  runRoot("npm"),
		PnpmRoot: runRoot("pnpm"),
	}
}

// String is "openclaw 2026.9.6 (/path)" for logs and status.
func (in Install) String() string {
	return fmt.Sprintf("%s %s (%s)", in.App, in.Version, in.Dir)
}
