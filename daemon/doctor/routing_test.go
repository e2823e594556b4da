package doctor

import (
	"github.com/clawbridge/clawbridge/daemon/peers"
	"github.com/clawbridge/clawbridge/patcher/apptest"

	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/assets"
	"github.com/clawbridge/clawbridge/daemon/config"
)

// openclawInstall lays out app@version in project/node_modules as npm
// does, with an anthropic plugin manifest listing ids (none: no manifest).
func openclawInstall(t *testing.T, project, app, version string, ids ...string) {
	t.Helper()
	pkg := filepath.Join(project, "node_modules", app)
	write := func(rel, data string) {
		path := filepath.Join(pkg, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("package.json", fmt.Sprintf(`{"name": %q, "version": %q}`, app, version))
	if len(ids) == 0 {
		return
	}
	var models []string
	for _, id := range ids {
		models = append(models, strconv.Quote(id))
	}
	write(filepath.Join("dist", "extensions", "anthropic", "openclaw.plugin.json"),
		`{"modelCatalog":{"providers":{"anthropic":{"models":[{"id":`+strings.Join(models, `},{"id":`)+`}]}}}}`)
}

// TestDoctorRouting: for each install the doctor lists the model ids of
// its catalog that no model_list entry serves, with the fix, and passes
// an install whose every id routes, saying where they go.
func TestDoctorRouting(t *testing.T) {
	home := t.TempDir()
	project := filepath.Join(home, "bot")
	openclawInstall(t, project, "openclaw", "2026.9.6", "claude-opus-5-5", "claude-fable-5-1", "claude-fable-5",
		"claude-opus-5", "claude-sonnet-5", "claude-mythos-5", "claude-opus-4-8", "claude-haiku-4-5")
	broken := filepath.Join(home, "broken")
	openclawInstall(t, broken, "openclaw", "2026.6.1")

	run := func(models ...string) Report {
		var b strings.Builder
		b.WriteString("model_list:\n")
		for _, m := range models {
			fmt.Fprintf(&b, "  - model_name: %s\n    litellm_params: {model: ollama/tiny, api_base: http://127.0.0.1:1}\n", m)
		}
		fmt.Fprintf(&b, "clawbridge:\n  listen: 127.0.0.1:%d\n  patcher:\n    dirs: [%s, %s]\n", freePort(t), project, broken)
		cfgPath := filepath.Join(home, "config.yaml")
		if err := os.WriteFile(cfgPath, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		noGlobal := false
		return Run(context.Background(), Options{ConfigPath: cfgPath, Home: home,
			Getenv: func(string) string { return "" }, IncludeGlobal: &noGlobal, GatewayPorts: []int{freePort(t)}})
	}

	c := findCheck(t, run("claude-haiku-4-5", "claude-opus-4-5"), "routing openclaw 2026.9.6")
	want := "4 of 8 model ids of openclaw 2026.9.6 would not route: claude-fable-5-1, claude-fable-5, claude-sonnet-5, claude-mythos-5"
	if c.OK || c.Detail != want || !strings.Contains(c.Fix, "model_name: claude-*") || !strings.Contains(c.Fix, "claude-sonnet-4-5 also serves every Claude family") {
		t.Errorf("without a sonnet entry: %+v; want a failure %q saying how to fix it", c, want)
	}

	r := run("claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-5")
	c = findCheck(t, r, "routing openclaw 2026.9.6")
	want = "all 8 model ids of openclaw 2026.9.6 route (3 to claude-opus-4-5, 4 to claude-sonnet-4-5, 1 to claude-haiku-4-5)"
	if !c.OK || c.Detail != want {
		t.Errorf("with the default aliases: %+v; want passing %q", c, want)
	}
	c = findCheck(t, r, "routing openclaw 2026.6.1")
	if c.OK || !strings.Contains(c.Detail, "cannot tell which Anthropic models") || !strings.Contains(c.Fix, "claude-*") {
		t.Errorf("an install without a catalog: %+v; want a failure", c)
	}
}

// TestDoctorRoutingRealInstalls runs the routing check with the default
// config on the provisioned Clawdbot and OpenClaw installs
// (CLAWBRIDGE_CLAWDBOT_DIR, CLAWBRIDGE_OPENCLAW_<V>_DIR for each of
// CLAWBRIDGE_OPENCLAW_RELEASES): every model id each release's own
// catalog offers must route. The installs are only read.
func TestDoctorRoutingRealInstalls(t *testing.T) {
	dirs, missing := apptest.InstallDirs()
	if len(missing) > 0 {
		peers.Missing(t, "no provisioned installs: "+strings.Join(missing, "; "))
	}
	yaml := string(assets.DefaultConfig) + "  patcher:\n    dirs: [" + strings.Join(dirs, ", ") + "]\n"
	cfg, err := config.Parse([]byte(yaml), "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	noGlobal := false
	checks := checkRouting(cfg, searchPlaces(cfg, Options{Home: t.TempDir(), Getenv: func(string) string { return "" }, IncludeGlobal: &noGlobal}))
	if len(checks) != len(dirs) {
		t.Errorf("%d routing checks for %d installs: %+v", len(checks), len(dirs), checks)
	}
	for _, c := range checks {
		if !c.OK || !strings.HasPrefix(c.Detail, "all ") {
			t.Errorf("%s: %s (fix: %s)", c.Name, c.Detail, c.Fix)
			continue
		}
		t.Logf("%s: %s", c.Name, c.Detail)
	}
}
