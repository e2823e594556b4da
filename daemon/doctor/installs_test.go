package doctor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/patcher"
	"github.com/clawbridge/clawbridge/patcher/guard"
)

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDoctorChecksEachInstall: one check per install, named by app and
// version. A Clawdbot on pi-ai whose catalog is patched passes; an OpenClaw
// 2026.9.6 whose config has the block without a key fails with that
// reason and a fix, then passes once the block carries the daemon's key.
// A JSON auth store beside OpenClaw's SQLite store is not called pinned:
// it fails, since OpenClaw 2026.9 refuses it.
func TestDoctorChecksEachInstall(t *testing.T) {
	home := t.TempDir()
	bot := filepath.Join(home, "bot")
	pi := filepath.Join(bot, "node_modules", "@mariozechner", "pi-ai")
	writeFile(t, filepath.Join(pi, "package.json"), `{"name": "@mariozechner/pi-ai", "version": "0.49.3"}`)
	src, err := os.ReadFile("../../patcher/testdata/pi-ai-0.49.3.models.generated.js")
	if err != nil {
		t.Fatal(err)
	}
	catalog := filepath.Join(pi, "dist", "models.generated.js")
	writeFile(t, catalog, string(src))
	targets, err := patcher.Discover([]string{bot}, false)
	if err != nil || len(targets) != 1 {
		t.Fatalf("discover: %v %v", targets, err)
	}
	if _, err := patcher.Patch(targets[0], "http://127.0.0.1:4000"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(bot, "node_modules", "clawdbot", "package.json"), `{"name": "clawdbot", "version": "2026.1.24-3"}`)
	writeFile(t, filepath.Join(home, "claw", "node_modules", "openclaw", "package.json"), `{"name": "openclaw", "version": "2026.9.6"}`)
	ocfg := filepath.Join(home, ".openclaw", "openclaw.json")
	writeFile(t, ocfg, "{}\n")
	if _, err := patcher.PatchConfig(ocfg, "http://127.0.0.1:4000", nowForTest()); err != nil {
		t.Fatal(err)
	}
	agent := filepath.Join(home, ".openclaw", "agents", "main", "agent")
	writeFile(t, filepath.Join(agent, "auth-profiles.json"), `{"version":1,"profiles":{"anthropic:default":{"type":"api_key","provider":"anthropic","key":"sk-local-1"}}}`)
	writeFile(t, filepath.Join(agent, "openclaw-agent.sqlite"), "")

	cfgPath := filepath.Join(home, "config.yaml")
	writeFile(t, cfgPath, "general_settings:\n  master_key: sk-local-1\nclawbridge:\n  patcher:\n    global: false\n    dirs: [~/bot, ~/claw]\n  guard:\n    state_dirs: [~/.openclaw]\n")
	run := func() Report {
		noGlobal := false
		return Run(context.Background(), Options{ConfigPath: cfgPath, Home: home, Getenv: func(string) string { return "" },
			IncludeGlobal: &noGlobal, GatewayPorts: []int{freePort(t)}})
	}
	r := run()
	if c := findCheck(t, r, "clawdbot 2026.1.24-3 route"); !c.OK || !strings.Contains(c.Detail, "catalog patch (6/6 URLs)") {
		t.Errorf("Clawdbot: %+v", c)
	}
	c := findCheck(t, r, "openclaw 2026.9.6 route")
	if c.OK || !strings.Contains(c.Detail, "has no apiKey") || !strings.Contains(c.Detail, ocfg) || !strings.Contains(c.Fix, "clawbridge") {
		t.Errorf("OpenClaw with a keyless block: %+v; want a failure naming the missing apiKey, with a fix", c)
	}
	for _, c := range r.Checks {
		if strings.HasPrefix(c.Name, "pi-ai ") {
			t.Errorf("the install's catalog is checked twice: %+v", c)
		}
		// The store clawbridge once wrote beside the SQLite one is not
		// pinned but refused by OpenClaw 2026.9: a failure, with the fix.
		if c.Name == "auth profiles" && (c.OK || !strings.Contains(c.Detail, "legacy JSON store") || strings.Contains(c.Detail, "uses anthropic:default")) {
			t.Errorf("a JSON store beside the SQLite one: %+v", c)
		}
		if strings.Contains(c.Detail+c.Fix, "sk-local-1") {
			t.Errorf("a check shows the key: %+v", c)
		}
	}

	if _, err := patcher.PatchConfigWithKey(ocfg, "http://127.0.0.1:4000", "sk-local-1", nowForTest()); err != nil {
		t.Fatal(err)
	}
	if c := findCheck(t, run(), "openclaw 2026.9.6 route"); !c.OK || c.Fix != "" || !strings.Contains(c.Detail, "config route (~/.openclaw/openclaw.json): patched") {
		t.Errorf("OpenClaw with the daemon's key: %+v", c)
	}
}

// nowForTest is the backup time of the config edits.
func nowForTest() time.Time { return time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC) }

// TestSQLiteCheck: a SQLite-era directory passes, with nothing called
// pinned, unless a legacy JSON store sits beside the database; then the
// fix depends on who wrote it.
func TestSQLiteCheck(t *testing.T) {
	ok := sqliteCheck(guard.Status{Path: "/a/auth-profiles.json", SQLite: "/a/openclaw-agent.sqlite"})
	if !ok.OK || ok.Fix != "" || strings.Contains(ok.Detail, "pinned") {
		t.Errorf("SQLite store: %+v", ok)
	}
	ours := sqliteCheck(guard.Status{Path: "/a/auth-profiles.json", SQLite: "/a/db", Legacy: true, Problems: []string{"refused"}})
	if ours.OK || !strings.Contains(ours.Detail, "refused") || !strings.Contains(ours.Fix, "takes back") {
		t.Errorf("clawbridge's legacy store: %+v", ours)
	}
	theirs := sqliteCheck(guard.Status{Path: "/a/auth-profiles.json", SQLite: "/a/db", Legacy: true, LegacyForeign: true})
	if theirs.OK || !strings.Contains(theirs.Fix, "openclaw doctor --fix") {
		t.Errorf("the user's legacy store: %+v", theirs)
	}
}
