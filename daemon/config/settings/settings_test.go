package settings

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/patcher"
	"github.com/clawbridge/clawbridge/patcher/guard"
)

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func parseConfig(t *testing.T, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestGuardKeyOrder(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"{}", guard.DefaultKey},
		{"general_settings: {master_key: sk-master-0123456789}", "sk-master-0123456789"},
		{"general_settings: {master_key: sk-master-0123456789}\nclawbridge: {guard: {key: sk-guard-0123456789}}", "sk-guard-0123456789"},
	} {
		if got := GuardKey(parseConfig(t, tt.yaml)); got != tt.want {
			t.Errorf("%s: GuardKey = %q, want %q", tt.yaml, got, tt.want)
		}
	}
}

// The config route's key must pass the translator's master key check, so a
// guard.key that differs from the master key does not go into the block.
func TestRouteKeyOrder(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"{}", guard.DefaultKey},
		{"clawbridge: {guard: {key: sk-guard-0123456789}}", "sk-guard-0123456789"},
		{"general_settings: {master_key: sk-master-0123456789}", "sk-master-0123456789"},
		{"general_settings: {master_key: sk-master-0123456789}\nclawbridge: {guard: {key: sk-guard-0123456789}}", "sk-master-0123456789"},
	} {
		if got := RouteKey(parseConfig(t, tt.yaml)); got != tt.want {
			t.Errorf("%s: RouteKey = %q, want %q", tt.yaml, got, tt.want)
		}
	}
}

func TestGuardDirsExpandsHomeAndFindsAgents(t *testing.T) {
	home := t.TempDir()
	mustMkdir(t, filepath.Join(home, ".clawdbot", "agents", "work", "agent"))
	got := GuardDirs(parseConfig(t, "clawbridge: {guard: {state_dirs: [~/.clawdbot, /srv/bot]}}"), home)
	want := []string{
		filepath.Join(home, ".clawdbot", "agents", "main", "agent"),
		filepath.Join(home, ".clawdbot", "agents", "work", "agent"),
		filepath.Join("/srv/bot", "agents", "main", "agent"),
	}
	if !slices.Equal(got, want) {
		t.Errorf("GuardDirs = %q, want %q", got, want)
	}
	if got := GuardDirs(parseConfig(t, "{}"), home); got != nil {
		t.Errorf("GuardDirs without state_dirs = %q, want none (the guard discovers them)", got)
	}
}

func TestPatchBaseFromConfig(t *testing.T) {
	for _, tt := range []struct{ yaml, listen, want string }{
		{"{}", "", patcher.DefaultBaseURL},
		{"clawbridge: {listen: '127.0.0.1:4111'}", "", "http://127.0.0.1:4111"},
		{"clawbridge: {listen: '0.0.0.0:4111'}", "", "http://127.0.0.1:4111"},
		{"clawbridge: {listen: '127.0.0.1:4111'}", "127.0.0.1:4222", "http://127.0.0.1:4222"},
		{"clawbridge: {listen: '127.0.0.1:4111', patcher: {base_url: 'http://10.0.0.2:4000'}}", "", "http://10.0.0.2:4000"},
	} {
		if got := PatchBase(parseConfig(t, tt.yaml), tt.listen); got != tt.want {
			t.Errorf("%s, listen %q: PatchBase = %q, want %q", tt.yaml, tt.listen, got, tt.want)
		}
	}
}

func TestPatchDirsFromConfig(t *testing.T) {
	home := t.TempDir()
	mustMkdir(t, filepath.Join(home, "src", "clawdbot", "node_modules"))
	mustMkdir(t, filepath.Join(home, "openclaw")) // no node_modules: not an install
	got := ClawdbotDirs(parseConfig(t, "clawbridge: {patcher: {dirs: [~/work/bot]}, gateway: {dir: /opt/clawdbot}}"), home)
	want := []string{filepath.Join(home, "work", "bot"), "/opt/clawdbot", filepath.Join(home, "src", "clawdbot")}
	if !slices.Equal(got, want) {
		t.Errorf("ClawdbotDirs = %q, want %q", got, want)
	}
}

// TestLoadOrDefaultForGuardAndPatch: the one-shot commands read the file as
// the daemon does and, where there is none, get the daemon's defaults
// without a file being written.
func TestLoadOrDefaultForGuardAndPatch(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "clawbridge", "config.yaml")
	cfg, exists, err := config.LoadOrDefault(missing)
	if err != nil || exists {
		t.Fatalf("config.LoadOrDefault(missing) = exists %v, err %v", exists, err)
	}
	if cfg.Clawbridge.Listen != config.DefaultListen || GuardKey(cfg) != guard.DefaultKey || len(cfg.Ignored) != 0 {
		t.Errorf("defaults: listen %q, guard key %q, ignored %q", cfg.Clawbridge.Listen, GuardKey(cfg), cfg.Ignored)
	}
	if _, err := os.Stat(filepath.Dir(missing)); !os.IsNotExist(err) {
		t.Errorf("LoadOrDefault created %s (stat: %v)", filepath.Dir(missing), err)
	}

	file := filepath.Join(dir, "config.yaml")
	mustWrite(t, file, "general_settings:\n  master_key: sk-master-0123456789\n")
	if cfg, exists, err := config.LoadOrDefault(file); err != nil || !exists || GuardKey(cfg) != "sk-master-0123456789" {
		t.Errorf("config.LoadOrDefault(file): exists %v, err %v", exists, err)
	}
	mustWrite(t, file, "clawbridge: [broken]\n")
	if _, _, err := config.LoadOrDefault(file); err == nil {
		t.Error("LoadOrDefault accepted a config the daemon rejects")
	}
}
