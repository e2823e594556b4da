package patcher

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeEnv is an Env rooted in a temporary home with the given variables.
func fakeEnv(home string, vars map[string]string) Env {
	return Env{Home: home, GOOS: "linux", Getenv: func(k string) string { return vars[k] }}
}

// earendil075 is the fixture pi-ai OpenClaw 2026.5.27 pins.
var earendil075 = formatFixtures[0]

// pnpmApp lays out app@version in nm/.pnpm with its dependencies beside it
// and the top-level link pnpm makes, and returns the store directory.
func pnpmApp(t *testing.T, nm, app, version string) string {
	t.Helper()
	entry := filepath.Join(nm, ".pnpm", app+"@"+version, "node_modules")
	appPackage(t, filepath.Join(entry, app), app, version)
	if err := os.Symlink(filepath.Join(".pnpm", app+"@"+version, "node_modules", app), filepath.Join(nm, app)); err != nil {
		t.Fatal(err)
	}
	return entry
}

// TestFindInstallsLayouts finds the app however it was installed: a
// checkout, npm, pnpm (link and store, listed once), global npm under
// $NPM_CONFIG_PREFIX and global pnpm under $PNPM_HOME, each with its
// version and the route its release line gets.
func TestFindInstallsLayouts(t *testing.T) {
	tmp := t.TempDir()
	home := filepath.Join(tmp, "home")

	checkout := filepath.Join(home, "src", "openclaw")
	appPackage(t, checkout, "openclaw", "2026.9.6")

	npmProject := filepath.Join(home, "bot")
	appPackage(t, filepath.Join(npmProject, "node_modules", "clawdbot"), "clawdbot", "2026.1.24-3")
	npmPackage(t, filepath.Join(npmProject, "node_modules"), "0.49.3")

	pnpmProject := filepath.Join(home, "claw")
	pnm := filepath.Join(pnpmProject, "node_modules")
	mustMkdir(t, pnm)
	entry := pnpmApp(t, pnm, "openclaw", "2026.5.27")
	piStore := filepath.Join(pnm, ".pnpm", "@earendil-works+pi-ai@0.75.5", "node_modules", "@earendil-works", "pi-ai")
	earendilPackage(t, piStore, earendil075)
	mustMkdir(t, filepath.Join(entry, "@earendil-works"))
	if err := os.Symlink(filepath.Join("..", "..", "..", "@earendil-works+pi-ai@0.75.5", "node_modules", "@earendil-works", "pi-ai"), filepath.Join(entry, "@earendil-works", "pi-ai")); err != nil {
		t.Fatal(err)
	}

	prefix := filepath.Join(tmp, "npm-prefix")
	appPackage(t, filepath.Join(prefix, "lib", "node_modules", "openclaw"), "openclaw", "2026.5.28")
	pnpmHome := filepath.Join(tmp, "pnpm-home")
	pnpmApp(t, mustMkdirReturn(t, filepath.Join(pnpmHome, "global", "5", "node_modules")), "openclaw", "2026.9.6")

	env := fakeEnv(home, map[string]string{"NPM_CONFIG_PREFIX": prefix, "PNPM_HOME": pnpmHome, "OPENCLAW_STATE_DIR": filepath.Join(tmp, "state")})
	roots := append(ProjectRoots([]string{checkout, npmProject, pnpmProject}), GlobalRootsFrom(env)...)
	ins, err := FindInstalls(roots)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		app, version string
		kind         RouteKind
		catalog      string // the catalog patched, relative to tmp
	}
	wants := map[string]want{
		checkout: {"openclaw", "2026.9.6", ConfigRoute, ""},
		filepath.Join(npmProject, "node_modules", "clawdbot"):                                                            {"clawdbot", "2026.1.24-3", CatalogPatch, "home/bot/node_modules/@mariozechner/pi-ai/dist/models.generated.js"},
		filepath.Join(entry, "openclaw"):                                                                                 {"openclaw", "2026.5.27", CatalogPatch, "home/claw/node_modules/.pnpm/@earendil-works+pi-ai@0.75.5/node_modules/@earendil-works/pi-ai/dist/models.generated.js"},
		filepath.Join(prefix, "lib", "node_modules", "openclaw"):                                                         {"openclaw", "2026.5.28", ConfigRoute, ""},
		filepath.Join(pnpmHome, "global", "5", "node_modules", ".pnpm", "openclaw@2026.9.6", "node_modules", "openclaw"): {"openclaw", "2026.9.6", ConfigRoute, ""},
	}
	if len(ins) != len(wants) {
		t.Errorf("found %d installs, want %d: %v", len(ins), len(wants), ins)
	}
	for _, in := range ins {
		w, ok := wants[in.RealDir]
		if !ok {
			t.Errorf("unexpected install %v", in)
			continue
		}
		if in.App != w.app || in.Version != w.version {
			t.Errorf("%s: %s %s, want %s %s", in.RealDir, in.App, in.Version, w.app, w.version)
		}
		r := RouteFor(in, env)
		if r.Kind != w.kind || r.Reason == "" {
			t.Errorf("%v: route %v (%s), want %v", in, r.Kind, r.Reason, w.kind)
		}
		switch r.Kind {
		case CatalogPatch:
			if len(r.Catalogs) != 1 || r.Catalogs[0].File != filepath.Join(tmp, w.catalog) {
				t.Errorf("%v: catalogs %+v, want %s", in, r.Catalogs, w.catalog)
			}
		case ConfigRoute:
			if r.Config != (ConfigFile{App: "openclaw", Path: filepath.Join(tmp, "state", "openclaw.json")}) {
				t.Errorf("%v: config %+v", in, r.Config)
			}
		}
	}
}

func mustMkdirReturn(t *testing.T, dir string) string {
	t.Helper()
	mustMkdir(t, dir)
	return dir
}

// TestGlobalRootsFrom finds the global node_modules of npm's and pnpm's
// usual places, and each real directory once.
func TestGlobalRootsFrom(t *testing.T) {
	tmp := t.TempDir()
	home := filepath.Join(tmp, "home")
	dirs := map[string]string{
		"npm-global":  filepath.Join(home, ".npm-global", "lib", "node_modules"),
		"prefix":      filepath.Join(tmp, "prefix", "lib", "node_modules"),
		"pnpm-home":   filepath.Join(tmp, "pnpm", "global", "5", "node_modules"),
		"pnpm-share":  filepath.Join(home, ".local", "share", "pnpm", "global", "6", "node_modules"),
		"pnpm-mac":    filepath.Join(home, "Library", "pnpm", "global", "5", "node_modules"),
		"xdg":         filepath.Join(tmp, "xdg", "pnpm", "global", "5", "node_modules"),
		"nvm":         filepath.Join(home, ".nvm", "versions", "node", "v24.16.0", "lib", "node_modules"),
		"install-cli": filepath.Join(home, ".openclaw", "lib", "node_modules"),
		"oc-prefix":   filepath.Join(tmp, "oc", "lib", "node_modules"),
		"npm-root-to": filepath.Join(tmp, "real-npm-root"),
	}
	for _, d := range dirs {
		mustMkdir(t, d)
	}
	link := filepath.Join(tmp, "npm-root-link")
	if err := os.Symlink(dirs["npm-root-to"], link); err != nil {
		t.Fatal(err)
	}
	env := fakeEnv(home, map[string]string{
		"NPM_CONFIG_PREFIX": filepath.Join(tmp, "prefix"),
		"PNPM_HOME":         filepath.Join(tmp, "pnpm"),
		"XDG_DATA_HOME":     filepath.Join(tmp, "xdg"),
		"OPENCLAW_PREFIX":   filepath.Join(tmp, "oc"),
	})
	env.GOOS = "darwin"
	env.NpmRoot, env.PnpmRoot = link, dirs["npm-root-to"] // the same directory twice
	var got []string
	for _, r := range GlobalRootsFrom(env) {
		if !r.Global || r.Dir != r.NodeModules {
			t.Errorf("root %+v", r)
		}
		if strings.HasPrefix(r.Dir, tmp) {
			got = append(got, r.Dir)
		}
	}
	want := []string{link}
	for name, d := range dirs {
		if name != "npm-root-to" {
			want = append(want, d)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("roots\n got %v\nwant %v", got, want)
	}
	env.GOOS = "linux"
	for _, r := range GlobalRootsFrom(env) {
		if r.Dir == dirs["pnpm-mac"] {
			t.Error("~/Library/pnpm searched on Linux")
		}
	}
}

// TestGlobalRootsBeforeTheFirstInstall: the prefixes a user's first
// global install creates are searched (and so watched) while they do not
// exist yet; other missing places are not.
func TestGlobalRootsBeforeTheFirstInstall(t *testing.T) {
	tmp := t.TempDir()
	home := filepath.Join(tmp, "home")
	mustMkdir(t, home)
	env := fakeEnv(home, map[string]string{
		"NPM_CONFIG_PREFIX": filepath.Join(tmp, "prefix"),
		"PNPM_HOME":         filepath.Join(tmp, "pnpm"),
	})
	env.NpmRoot = filepath.Join(tmp, "npm-says", "lib", "node_modules")
	var got []string
	for _, r := range GlobalRootsFrom(env) {
		if strings.HasPrefix(r.Dir, tmp) {
			got = append(got, r.Dir)
		}
	}
	want := []string{
		env.NpmRoot,
		filepath.Join(tmp, "prefix", "lib", "node_modules"),
		filepath.Join(home, ".npm-global", "lib", "node_modules"),
		filepath.Join(home, ".openclaw", "lib", "node_modules"),
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("roots before any install\n got %v\nwant %v", got, want)
	}
}

// TestRouteForReleaseLines: every release line gets its route, and an
// install missing its pi-ai falls back to the config route with a reason.
func TestRouteForReleaseLines(t *testing.T) {
	home := t.TempDir()
	env := fakeEnv(home, nil)
	for _, tt := range []struct {
		app, version string
		piAI         bool
		want         RouteKind
	}{
		{"clawdbot", "2026.1.24-3", true, CatalogPatch},
		{"moltbot", "2026.1.27", true, CatalogPatch},
		{"openclaw", "2026.5.7", true, CatalogPatch},
		{"openclaw", "2026.5.27", true, CatalogPatch},
		{"openclaw", "2026.5.7", false, ConfigRoute},
		{"openclaw", "2026.5.28", false, ConfigRoute},
		{"openclaw", "2026.6.35", false, ConfigRoute},
		{"openclaw", "2026.7.1-beta.1", false, ConfigRoute},
		{"openclaw", "2026.9.6", true, ConfigRoute}, // a stale pi-ai left hoisted is not what it loads
	} {
		project := filepath.Join(t.TempDir(), "p")
		dir := filepath.Join(project, "node_modules", tt.app)
		appPackage(t, dir, tt.app, tt.version)
		if tt.piAI {
			npmPackage(t, filepath.Join(project, "node_modules"), "0.49.3")
		}
		ins, err := FindInstalls(ProjectRoots([]string{project}))
		if err != nil || len(ins) != 1 {
			t.Fatalf("%s %s: %v %v", tt.app, tt.version, ins, err)
		}
		r := RouteFor(ins[0], env)
		if r.Kind != tt.want || r.Reason == "" {
			t.Errorf("%s %s: %v (%s), want %v", tt.app, tt.version, r.Kind, r.Reason, tt.want)
		}
		if r.Kind == ConfigRoute && r.Config.Path != filepath.Join(home, "."+tt.app, tt.app+".json") {
			t.Errorf("%s %s: config %s", tt.app, tt.version, r.Config.Path)
		}
	}
}

// TestInspectInstall follows one install of each route from unpatched to
// patched, and says what is missing in between without showing the key.
func TestInspectInstall(t *testing.T) {
	home := t.TempDir()
	env := fakeEnv(home, nil)

	project := filepath.Join(t.TempDir(), "bot")
	appPackage(t, filepath.Join(project, "node_modules", "openclaw"), "openclaw", "2026.5.7")
	npmPackage(t, filepath.Join(project, "node_modules"), "0.73.1")
	ins, _ := FindInstalls(ProjectRoots([]string{project}))
	r := RouteFor(ins[0], env)
	st := InspectInstall(ins[0], r, DefaultBaseURL, testKey)
	if st.State != "unpatched" || !strings.Contains(st.Problem, "0 of 6") || len(st.Catalogs) != 1 {
		t.Fatalf("before: %+v", st)
	}
	if _, err := Patch(r.Catalogs[0], DefaultBaseURL); err != nil {
		t.Fatal(err)
	}
	if st := InspectInstall(ins[0], r, DefaultBaseURL, testKey); st.State != "patched" || st.Problem != "" {
		t.Fatalf("after: %+v", st)
	}

	appPackage(t, filepath.Join(project, "node_modules", "openclaw"), "openclaw", "2026.9.6")
	ins, _ = FindInstalls(ProjectRoots([]string{project}))
	r = RouteFor(ins[0], env)
	st = InspectInstall(ins[0], r, DefaultBaseURL, testKey)
	if r.Kind != ConfigRoute || st.State != "unpatched" || !strings.Contains(st.Problem, "does not exist") {
		t.Fatalf("config before: %v %+v", r.Kind, st)
	}
	mustWrite(t, r.Config.Path, []byte("{}\n"))
	if st := InspectInstall(ins[0], r, DefaultBaseURL, testKey); !strings.Contains(st.Problem, "no models.providers.anthropic") {
		t.Errorf("empty config: %+v", st)
	}
	if _, err := PatchConfig(r.Config.Path, DefaultBaseURL, time.Now()); err != nil {
		t.Fatal(err)
	}
	if st := InspectInstall(ins[0], r, DefaultBaseURL, testKey); st.State != "unpatched" || !strings.Contains(st.Problem, "no apiKey") {
		t.Errorf("keyless block: %+v", st)
	}
	if _, err := PatchConfigWithKey(r.Config.Path, DefaultBaseURL, "cb-old-key", time.Now()); err != nil {
		t.Fatal(err)
	}
	st = InspectInstall(ins[0], r, DefaultBaseURL, testKey)
	if st.State != "unpatched" || !strings.Contains(st.Problem, "not clawbridge's") || strings.Contains(st.Problem, "cb-old-key") {
		t.Errorf("other key: %+v", st)
	}
	if _, err := PatchConfigWithKey(r.Config.Path, DefaultBaseURL, testKey, time.Now()); err != nil {
		t.Fatal(err)
	}
	if st := InspectInstall(ins[0], r, DefaultBaseURL, testKey); st.State != "patched" || st.Problem != "" {
		t.Errorf("config after: %+v", st)
	}
	noAuth := strings.Replace(string(mustRead(t, r.Config.Path)), `"auth": "api-key",`, "", 1)
	mustWrite(t, r.Config.Path, []byte(noAuth))
	if st := InspectInstall(ins[0], r, DefaultBaseURL, testKey); st.State != "unpatched" || !strings.Contains(st.Problem, "auth store would win") {
		t.Errorf("block without auth: %+v", st)
	}
}

// TestRouteCatalogRefusesSymlinkOut: a JSON catalog that is a symlink out
// of its package is found but never written through.
func TestRouteCatalogRefusesSymlinkOut(t *testing.T) {
	tmp := t.TempDir()
	outside := filepath.Join(tmp, "outside.json")
	mustWrite(t, outside, mustRead(t, filepath.Join("testdata", "pi-ai-1.6.1.anthropic.json")))
	project := filepath.Join(tmp, "p")
	pkg := filepath.Join(project, "node_modules", "@earendil-works", "pi-ai")
	mustWrite(t, filepath.Join(pkg, "package.json"), []byte(`{"name": "@earendil-works/pi-ai", "version": "1.6.1"}`))
	file := filepath.Join(pkg, ProviderJSON.Rel())
	mustMkdir(t, filepath.Dir(file))
	if err := os.Symlink(outside, file); err != nil {
		t.Fatal(err)
	}
	targets, err := Discover([]string{project}, false)
	if err != nil || len(targets) != 1 {
		t.Fatalf("%v %v", targets, err)
	}
	before := mustRead(t, outside)
	if _, err := Patch(targets[0], DefaultBaseURL); err == nil {
		t.Fatal("patched through a symlink")
	}
	if string(mustRead(t, outside)) != string(before) {
		t.Fatal("the file outside the package changed")
	}
}
