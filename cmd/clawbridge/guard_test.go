package main

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/config/settings"
	"github.com/clawbridge/clawbridge/patcher/guard"
)

// isolateHome points HOME and the user config directory at a fresh
// directory and clears the variables Clawdbot's state discovery reads, so
// that a command run without -config reads no real config and finds no
// real Clawdbot. It returns the home directory.
func isolateHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	for _, v := range []string{"CLAWDBOT_AGENT_DIR", "PI_CODING_AGENT_DIR", "CLAWDBOT_STATE_DIR", "CLAWDBOT_PROFILE", "OPENCLAW_STATE_DIR"} {
		t.Setenv(v, "")
	}
	return home
}

// writeAuthStore copies one of the guard's pin fixtures to
// agentDir/auth-profiles.json.
func writeAuthStore(t *testing.T, agentDir, fixture string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "patcher", "guard", "testdata", "pin", fixture))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(agentDir, 0o700); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(agentDir, "auth-profiles.json")
	if err := os.WriteFile(file, src, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// pinnedKey is the key of anthropic:default in the store at file.
func pinnedKey(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var store struct {
		Profiles map[string]struct {
			Key string `json:"key"`
		} `json:"profiles"`
	}
	if err := json.Unmarshal(b, &store); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return store.Profiles["anthropic:default"].Key
}

// TestGuardCommandUsesDaemonConfig: with master_key and guard.state_dirs
// in clawbridge's config, `guard` checks and pins exactly what the daemon
// pins (the master key, in every agent of the configured state directory),
// never the placeholder key, and never prints the key.
func TestGuardCommandUsesDaemonConfig(t *testing.T) {
	home := isolateHome(t)
	const masterKey = "sk-guard-cli-master-0123456789"
	state := filepath.Join(home, "state")
	cfgPath := filepath.Join(home, "clawbridge.yaml")
	if err := os.WriteFile(cfgPath, []byte("general_settings:\n  master_key: "+masterKey+"\nclawbridge:\n  guard:\n    state_dirs: [~/state]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}

	// A store Claude-CLI sync took over, and one the daemon's own logic
	// has pinned (what a running daemon leaves behind).
	synced := writeAuthStore(t, filepath.Join(state, "agents", "main", "agent"), "claude-sync.in.json")
	byDaemon := writeAuthStore(t, filepath.Join(state, "agents", "work", "agent"), "claude-sync.in.json")
	g, err := guard.New(guard.Options{Key: settings.GuardKey(cfg), Dirs: []string{filepath.Dir(byDaemon)}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Fix(); err != nil {
		t.Fatal(err)
	}
	if got := pinnedKey(t, byDaemon); got != masterKey {
		t.Fatalf("the daemon's logic pinned %q, want the master key", got)
	}

	steps := []struct {
		args   []string
		code   int
		stdout []string
	}{
		{[]string{"--check"}, 1, []string{byDaemon + ": pinned", synced + ": NOT PINNED", guard.MaskKey(masterKey)}},
		{[]string{"--fix"}, 0, []string{byDaemon + ": already pinned", synced + ": "}},
		{[]string{"--check"}, 0, []string{byDaemon + ": pinned", synced + ": pinned"}},
		// An explicit -key still overrides: the stores hold the master key.
		{[]string{"--check", "-key", guard.DefaultKey}, 1, []string{synced + ": NOT PINNED"}},
	}
	for _, s := range steps {
		args := append([]string{"guard", "-config", cfgPath}, s.args...)
		code, stdout, stderr := runCLI(args...)
		for _, want := range s.stdout {
			if !strings.Contains(stdout, want) {
				code = -1
			}
		}
		if code != s.code {
			t.Fatalf("%v: exit %d, want %d and %q; stdout:\n%s\nstderr:\n%s", s.args, code, s.code, s.stdout, stdout, stderr)
		}
		if strings.Contains(stdout+stderr, masterKey) {
			t.Fatalf("%v printed the master key:\n%s%s", s.args, stdout, stderr)
		}
	}
	for _, f := range []string{synced, byDaemon} {
		if got := pinnedKey(t, f); got != masterKey {
			t.Errorf("%s: anthropic:default holds %q, want the master key", f, got)
		}
		if b, _ := os.ReadFile(f); strings.Contains(string(b), guard.DefaultKey) {
			t.Errorf("%s: the placeholder key was written:\n%s", f, b)
		}
	}
}

// TestGuardCommandWithoutConfig: with no clawbridge config yet, `guard`
// behaves as the daemon would with the defaults (the placeholder key,
// discovered state directories) and leaves no config file behind.
func TestGuardCommandWithoutConfig(t *testing.T) {
	home := isolateHome(t)
	store := writeAuthStore(t, filepath.Join(home, ".clawdbot", "agents", "main", "agent"), "claude-sync.in.json")
	missing := filepath.Join(home, "nowhere", "clawbridge.yaml")
	for _, args := range [][]string{{"guard", "--check"}, {"guard", "--check", "-config", missing}} {
		code, stdout, stderr := runCLI(args...)
		if code != 1 || !strings.Contains(stdout, store+": NOT PINNED") {
			t.Fatalf("%v: exit %d, want 1 and %s NOT PINNED; stdout:\n%s\nstderr:\n%s", args, code, store, stdout, stderr)
		}
	}
	def, err := config.DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{def, missing} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("guard --check left a config at %s (stat: %v)", p, err)
		}
	}
	if code, stdout, stderr := runCLI("guard", "--fix"); code != 0 || pinnedKey(t, store) != guard.DefaultKey {
		t.Fatalf("guard --fix: exit %d, key %q, want %q; stdout:\n%s\nstderr:\n%s", code, pinnedKey(t, store), guard.DefaultKey, stdout, stderr)
	}
}

// TestGuardCommandBadConfig: a config the daemon would reject is an error,
// not a silent fall-back to the defaults.
func TestGuardCommandBadConfig(t *testing.T) {
	home := isolateHome(t)
	cfgPath := filepath.Join(home, "clawbridge.yaml")
	os.WriteFile(cfgPath, []byte("clawbridge:\n  guard: [not, a, mapping]\n"), 0o600)
	code, _, stderr := runCLI("guard", "--check", "-config", cfgPath)
	if code != 1 || !strings.Contains(stderr, "clawbridge config") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// sqliteAgentDir makes <home>/<name>/agents/main/agent in a state
// directory that has moved to SQLite (OpenClaw 2026.9's state database);
// with own set it first holds the auth-profiles.json clawbridge's guard
// writes there, as an older build did before the database appeared.
func sqliteAgentDir(t *testing.T, home, name string, own bool) string {
	t.Helper()
	state := filepath.Join(home, name)
	dir := filepath.Join(state, "agents", "main", "agent")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if own {
		g, err := guard.New(guard.Options{Dirs: []string{dir}, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if evs, err := g.Fix(); err != nil || len(evs) != 1 || evs[0].Kind != guard.Created {
			t.Fatalf("writing clawbridge's store: %+v %v", evs, err)
		}
	}
	db := filepath.Join(state, "state", "openclaw.sqlite")
	os.MkdirAll(filepath.Dir(db), 0o700)
	if err := os.WriteFile(db, []byte("SQLite format 3\x00"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestGuardCommandSQLiteStores: `guard` tells a SQLite directory for what
// it is (not pinned, and not a failure either), takes back the store
// clawbridge wrote there, and leaves anyone else's to `openclaw doctor
// --fix`.
func TestGuardCommandSQLiteStores(t *testing.T) {
	const sqliteLine = ": SQLite store (OpenClaw 2026.6+): not guarded; the config route's key is used"
	home := isolateHome(t)
	plain := sqliteAgentDir(t, home, "plain", false)
	own := sqliteAgentDir(t, home, "own", true)
	ownFile := filepath.Join(own, "auth-profiles.json")

	code, stdout, stderr := runCLI("guard", "--check", "-dir", plain)
	if code != 0 || !strings.Contains(stdout, plain+sqliteLine) || strings.Contains(strings.ToLower(stdout), "pinned") {
		t.Fatalf("plain SQLite dir: exit %d; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	steps := []struct {
		args   []string
		code   int
		stdout []string
	}{
		{[]string{"--check"}, 1, []string{own + sqliteLine + ", but a legacy auth-profiles.json is here", "still holds the store clawbridge wrote"}},
		{[]string{"--fix"}, 0, []string{own + sqliteLine, "  - removed the auth-profiles.json clawbridge had written: this release keeps its auth store in SQLite and refuses a legacy JSON store (kept it as auth-profiles.json.clawbridge-removed-"}},
		{[]string{"--check"}, 0, []string{own + sqliteLine + "\n  - removed the auth-profiles.json clawbridge had written (kept it as auth-profiles.json.clawbridge-removed-"}},
	}
	for _, s := range steps {
		code, stdout, stderr := runCLI(append([]string{"guard", "-dir", own}, s.args...)...)
		for _, want := range s.stdout {
			if !strings.Contains(stdout, want) {
				code = -1
			}
		}
		if code != s.code || strings.Contains(strings.ToLower(stdout), "pinned") {
			t.Fatalf("%v: exit %d, want %d and %q; stdout:\n%s\nstderr:\n%s", s.args, code, s.code, s.stdout, stdout, stderr)
		}
	}
	if _, err := os.Lstat(ownFile); !os.IsNotExist(err) {
		t.Fatalf("clawbridge's store is still there (%v)", err)
	}

	// The user's own store beside SQLite: never touched, the fix named.
	foreign := sqliteAgentDir(t, home, "foreign", false)
	foreignFile := writeAuthStore(t, foreign, "claude-sync.in.json")
	before, _ := os.ReadFile(foreignFile)
	for _, mode := range []string{"--check", "--fix"} {
		code, stdout, stderr := runCLI("guard", mode, "-dir", foreign)
		if code != 1 || !strings.Contains(stdout, "run `openclaw doctor --fix` to migrate it into the SQLite store") ||
			!strings.Contains(stderr, "openclaw doctor --fix") || strings.Contains(strings.ToLower(stdout), "pinned") {
			t.Fatalf("%s of the user's store: exit %d; stdout:\n%s\nstderr:\n%s", mode, code, stdout, stderr)
		}
	}
	if after, _ := os.ReadFile(foreignFile); string(after) != string(before) {
		t.Error("the user's store was changed")
	}
}

// TestGuardCommandWillCreate: an agent directory without a store is
// reported as one the guard will create, not as pinned.
func TestGuardCommandWillCreate(t *testing.T) {
	home := isolateHome(t)
	dir := filepath.Join(home, ".clawdbot", "agents", "main", "agent")
	os.MkdirAll(dir, 0o700)
	code, stdout, stderr := runCLI("guard", "--check", "-dir", dir)
	if code != 1 || !strings.Contains(stdout, filepath.Join(dir, "auth-profiles.json")+": will be created holding the local key") ||
		strings.Contains(strings.ToLower(stdout), "pinned") {
		t.Fatalf("exit %d; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	missing := filepath.Join(home, "nowhere", "agent")
	if code, stdout, _ := runCLI("guard", "--check", "-dir", missing); code != 0 || !strings.Contains(stdout, missing+": no agent directory yet (nothing to guard)") {
		t.Fatalf("missing dir: exit %d; stdout:\n%s", code, stdout)
	}
}
