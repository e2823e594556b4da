package patcher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// piAIName is the npm package whose catalog Clawdbot and OpenClaw up to
// 2026.5.7 load.
const piAIName = "@mariozechner/pi-ai"

// piAINames are pi-ai's npm names: the package moved to the
// @earendil-works scope with 0.74 (OpenClaw 2026.5.12).
var piAINames = []string{piAIName, "@earendil-works/pi-ai"}

// catalogRel is the catalog's path inside the pi-ai package up to 0.79.
var catalogRel = filepath.Join("dist", "models.generated.js")

// appNames are the npm packages of Clawdbot under its past and present
// names; a global node_modules holding one of them is searched for pi-ai.
var appNames = []string{"clawdbot", "openclaw", "moltbot"}

// Target is one installed pi-ai package whose catalog clawbridge keeps
// patched. pnpm installs several versions side by side, each its own
// Target.
type Target struct {
	// Root is the Clawdbot directory or global node_modules it was found in.
	Root string
	// Global reports a global install (npm -g, pnpm -g, Homebrew).
	Global bool
	// Dir is the package directory as found; under pnpm it is often a
	// symlink into node_modules/.pnpm.
	Dir string
	// RealDir is Dir with every symlink resolved: the package patched.
	RealDir string
	// File is the catalog, RealDir/Format.Rel().
	File string
	// Version is the package's version from its package.json.
	Version string
	// Package is the package's npm name, e.g. "@earendil-works/pi-ai".
	Package string
	// Format says what kind of catalog File is.
	Format Format
}

// Discover finds the pi-ai catalogs of the given Clawdbot directories (a
// checkout or any directory with a node_modules that holds Clawdbot or
// pi-ai) and, with includeGlobal, of global Clawdbot installs. Directories
// that do not exist yet are not an error: Clawdbot may be installed later.
// Each catalog is listed once however many paths lead to it. The error
// reports directories that could not be read; the targets found elsewhere
// are returned with it.
func Discover(dirs []string, includeGlobal bool) ([]Target, error) {
	roots := ProjectRoots(dirs)
	if includeGlobal {
		roots = append(roots, GlobalRoots()...)
	}
	return DiscoverRoots(roots)
}

// Root is a node_modules directory to search, and where it came from.
type Root struct {
	// Dir is what the user configured: a Clawdbot directory, or for a
	// global install the global node_modules itself.
	Dir string
	// NodeModules is the node_modules directory searched.
	NodeModules string
	// Global roots are only searched when Clawdbot is installed in them.
	Global bool
}

// ProjectRoots turns configured Clawdbot directories into roots. A
// directory named node_modules is taken as the node_modules itself.
func ProjectRoots(dirs []string) []Root {
	var roots []Root
	for _, d := range dirs {
		d = absClean(d)
		nm := filepath.Join(d, "node_modules")
		if filepath.Base(d) == "node_modules" {
			nm = d
		}
		roots = append(roots, Root{Dir: d, NodeModules: nm})
	}
	return roots
}

// GlobalRoots lists the global node_modules directories on this machine
// that exist: npm's (`npm root -g` and the usual prefixes), pnpm's (`pnpm
// root -g` and its default places), Homebrew's, nvm's and the system's
// (see globalDirs). Clawdbot need not be installed in them; DiscoverRoots
// checks that on every call, so a later global install is found. It runs
// npm and pnpm (see MachineEnv): call it once and reuse the result.
func GlobalRoots() []Root { return GlobalRootsFrom(MachineEnv()) }

// runRoot asks a package manager for its global node_modules.
func runRoot(tool string) string {
	path, err := exec.LookPath(tool)
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "root", "-g")
	// A corepack shim must not stop to ask about downloading pnpm.
	cmd.Env = append(os.Environ(), "COREPACK_ENABLE_DOWNLOAD_PROMPT=0")
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// DiscoverRoots is Discover on roots already worked out (see ProjectRoots
// and GlobalRoots).
func DiscoverRoots(roots []Root) ([]Target, error) {
	targets, _, err := discover(roots)
	return targets, err
}

// candidate is a directory where a pi-ai package may be, found or not.
type candidate struct {
	root Root
	dir  string
}

// discover returns the targets and every candidate directory looked at,
// which the Keeper watches so that a package still being installed there
// is seen once complete.
func discover(roots []Root) ([]Target, []candidate, error) {
	var targets []Target
	var all []candidate
	var errs []error
	seen := map[string]bool{}
	for _, r := range roots {
		cands, err := candidates(r)
		if err != nil {
			errs = append(errs, err)
		}
		for _, dir := range cands {
			all = append(all, candidate{root: r, dir: dir})
			t, ok, err := targetAt(r, dir)
			if err != nil {
				errs = append(errs, err)
			}
			if !ok || seen[t.File] {
				continue
			}
			seen[t.File] = true
			targets = append(targets, t)
		}
	}
	sort.SliceStable(targets, func(i, j int) bool { return targets[i].File < targets[j].File })
	return targets, all, errors.Join(errs...)
}

// candidates lists the directories under a root where a pi-ai package may
// be: hoisted (npm, and pnpm's top-level symlink), every version in pnpm's
// virtual store, and next to or inside each Clawdbot package.
func candidates(r Root) ([]string, error) {
	nm := r.NodeModules
	var apps []string
	for _, name := range appNames {
		if _, err := os.Lstat(filepath.Join(nm, name)); err == nil {
			apps = append(apps, filepath.Join(nm, name))
		}
	}
	if r.Global && len(apps) == 0 {
		return nil, nil
	}
	// A configured directory may itself be a Clawdbot package (a global
	// npm install given by path); its dependencies are then beside it.
	if !r.Global && filepath.Base(filepath.Dir(r.Dir)) == "node_modules" {
		apps = append(apps, r.Dir)
	}

	var cands []string
	for _, name := range piAINames {
		cands = append(cands, filepath.Join(nm, filepath.FromSlash(name)))
	}
	store, readErr := storeEntries(nm, piAINames)
	cands = append(cands, store...)
	for _, app := range apps {
		for _, name := range piAINames {
			cands = append(cands, filepath.Join(app, "node_modules", filepath.FromSlash(name)))
			if real, err := filepath.EvalSymlinks(app); err == nil && filepath.Base(filepath.Dir(real)) == "node_modules" {
				cands = append(cands, filepath.Join(filepath.Dir(real), filepath.FromSlash(name)))
			}
		}
	}
	return cands, readErr
}

// storeEntries lists the package directories of names in pnpm's virtual
// store, nm/.pnpm/<scope>+<name>@<version>/node_modules/<scope>/<name>.
func storeEntries(nm string, names []string) ([]string, error) {
	store := filepath.Join(nm, ".pnpm")
	entries, err := os.ReadDir(store)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("discover in %s: %w", store, err)
	}
	var dirs []string
	for _, e := range entries {
		entry := e.Name()
		if isStaging(entry) {
			continue
		}
		for _, name := range names {
			if strings.HasPrefix(entry, strings.ReplaceAll(name, "/", "+")+"@") {
				dirs = append(dirs, filepath.Join(store, entry, "node_modules", filepath.FromSlash(name)))
			}
		}
	}
	return dirs, nil
}

// isStaging reports a pnpm directory still being built during an install;
// it is picked up under its final name once pnpm renames it into place.
func isStaging(name string) bool {
	return strings.Contains(name, "_tmp_") || strings.Contains(name, "-stage_") || strings.Contains(name, "_stage_")
}

// targetAt checks one candidate directory: it must be a pi-ai package (its
// package.json says so) with a catalog. ok is false, with no error, when
// there is simply nothing there.
func targetAt(r Root, dir string) (Target, bool, error) {
	real, name, version, ok := packageAt(dir)
	if !ok || !slices.Contains(piAINames, name) {
		return Target{}, false, nil
	}
	f := piAIFormat(name, version)
	file := filepath.Join(real, f.Rel())
	if _, err := os.Lstat(file); err != nil {
		return Target{}, false, nil
	}
	return Target{
		Root:    r.Dir,
		Global:  r.Global,
		Dir:     dir,
		RealDir: real,
		File:    file,
		Version: version,
		Package: name,
		Format:  f,
	}, true, nil
}

// packageAt reads the package.json of the package directory dir (a
// symlink is followed): its real path, name and version. ok is false when
// there is no readable package there, a dangling link included (a package
// mid-install).
func packageAt(dir string) (real, name, version string, ok bool) {
	if _, err := os.Lstat(dir); err != nil {
		return "", "", "", false
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", "", "", false
	}
	var pkg struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	b, err := os.ReadFile(filepath.Join(real, "package.json"))
	if err != nil || json.Unmarshal(b, &pkg) != nil || pkg.Name == "" {
		return "", "", "", false
	}
	return real, pkg.Name, pkg.Version, true
}

// piAIFormat is where a pi-ai version keeps its Anthropic catalog, as the
// published packages show: models.generated.js up to 0.79,
// providers/anthropic.models.js in 0.80, providers/data/anthropic.json
// from 0.81 on.
func piAIFormat(name, version string) Format {
	if name == piAIName {
		return ModelsJS
	}
	v, ok := parseVersion(version)
	switch {
	case !ok || v[0] == 0 && v[1] < 80:
		return ModelsJS
	case v[0] == 0 && v[1] == 80:
		return ProviderModelsJS
	}
	return ProviderJSON
}

// safeFile returns the path to read and write for t: the catalog's real
// path. It refuses a catalog that is itself a symlink, or whose real path
// leaves the real package directory (a dist symlink pointing elsewhere, or
// `..` in a link): clawbridge only ever writes inside the package.
func safeFile(t Target) (string, error) {
	realDir, err := filepath.EvalSymlinks(t.Dir)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", t.Dir, err)
	}
	if t.RealDir != "" && realDir != t.RealDir {
		return "", fmt.Errorf("%s now leads to %s, not %s; discover again", t.Dir, realDir, t.RealDir)
	}
	file := filepath.Join(realDir, t.Format.Rel())
	fi, err := os.Lstat(file)
	if err != nil {
		return "", err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return "", fmt.Errorf("refusing to write through symlink %s", file)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", file)
	}
	realFile, err := filepath.EvalSymlinks(file)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(realDir, realFile)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", fmt.Errorf("refusing to write %s: it resolves to %s, outside the package %s", file, realFile, realDir)
	}
	return realFile, nil
}

// parseVersion reads the major.minor.patch numbers of a version such as
// "0.75.5", "2026.5.27" or "2026.1.24-3" (a suffix after - or + is
// ignored; a missing patch is 0).
func parseVersion(s string) ([3]int, bool) {
	var v [3]int
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, false
		}
		v[i] = n
	}
	return v, true
}

func absClean(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}
