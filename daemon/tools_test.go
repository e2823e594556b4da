package daemon

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/patcher"
	"github.com/clawbridge/clawbridge/patcher/guard"
)

// The helpers `clawbridge guard` and `clawbridge patch` share with the
// daemon, so that a one-off run acts exactly as the daemon does.

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

// TestReadConfigForGuardAndPatch: the one-shot commands read the file as
// the daemon does and, where there is none, get the daemon's defaults
// without a file being written.
func TestReadConfigForGuardAndPatch(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "clawbridge", "config.yaml")
	cfg, exists, err := ReadConfig(missing)
	if err != nil || exists {
		t.Fatalf("ReadConfig(missing) = exists %v, err %v", exists, err)
	}
	if cfg.Clawbridge.Listen != config.DefaultListen || GuardKey(cfg) != guard.DefaultKey || len(cfg.Ignored) != 0 {
		t.Errorf("defaults: listen %q, guard key %q, ignored %q", cfg.Clawbridge.Listen, GuardKey(cfg), cfg.Ignored)
	}
	if _, err := os.Stat(filepath.Dir(missing)); !os.IsNotExist(err) {
		t.Errorf("ReadConfig created %s (stat: %v)", filepath.Dir(missing), err)
	}

	file := filepath.Join(dir, "config.yaml")
	mustWrite(t, file, "general_settings:\n  master_key: sk-master-0123456789\n")
	if cfg, exists, err := ReadConfig(file); err != nil || !exists || GuardKey(cfg) != "sk-master-0123456789" {
		t.Errorf("ReadConfig(file): exists %v, err %v", exists, err)
	}
	mustWrite(t, file, "clawbridge: [broken]\n")
	if _, _, err := ReadConfig(file); err == nil {
		t.Error("ReadConfig accepted a config the daemon rejects")
	}
}

// TestNewLogsIgnoredKeys: what `clawbridge run --debug` shows: one debug
// line per config key clawbridge does not use, as `serve -debug` does.
func TestNewLogsIgnoredKeys(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	mustWrite(t, cfgPath, "router_settings:\n  routing_strategy: simple-shuffle\nclawbridge:\n  lisen: 127.0.0.1:4111\n")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if _, err := New(Options{ConfigPath: cfgPath, RuntimeDir: dir, Home: dir, LogDir: dir, Logger: log, Notifier: quietNotifier(t)}); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `msg="config key not used by clawbridge"`) {
			lines = append(lines, l)
		}
	}
	if len(lines) != 2 || !strings.Contains(lines[0], "level=DEBUG") ||
		!strings.Contains(logs.String(), "router_settings") || !strings.Contains(logs.String(), "clawbridge.lisen") {
		t.Errorf("want one debug line per ignored key (router_settings, clawbridge.lisen); log:\n%s", logs.String())
	}
}
