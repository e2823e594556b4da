package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/notify"
	"github.com/clawbridge/clawbridge/patcher"
)

// piAIInstall lays out pi-ai 0.49.3 as npm installs it, from the patcher's
// committed fixture, and returns the Clawdbot directory and the catalog.
func piAIInstall(t *testing.T) (string, string) {
	t.Helper()
	return piAIInstallAt(t, t.TempDir())
}

// piAIInstallAt is piAIInstall into the Clawdbot directory dir.
func piAIInstallAt(t *testing.T, dir string) (string, string) {
	t.Helper()
	pkg := filepath.Join(dir, "node_modules", "@mariozechner", "pi-ai")
	if err := os.MkdirAll(filepath.Join(pkg, "dist"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(pkg, "package.json"), []byte(`{"name": "@mariozechner/pi-ai", "version": "0.49.3"}`), 0o644)
	src, err := os.ReadFile(filepath.Join("..", "..", "patcher", "testdata", "pi-ai-0.49.3.models.generated.js"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(pkg, "dist", "models.generated.js")
	if err := os.WriteFile(file, src, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, file
}

func runCLI(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := dispatch(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestPatchCommand(t *testing.T) {
	isolateHome(t) // no real clawbridge config, daemon or Clawdbot
	dir, file := piAIInstall(t)
	orig, _ := os.ReadFile(file)
	steps := []struct {
		args   []string
		code   int
		stdout string
	}{
		{[]string{"--check"}, 1, "unpatched  0.49.3  0/6"},
		{nil, 0, "patched  0.49.3  6/6   6"},
		{[]string{"--check"}, 0, "patched  0.49.3  6/6   -"},
		{nil, 0, "patched  0.49.3  6/6   0"},
		{[]string{"--undo"}, 0, "unpatched  0.49.3  0/6   6"},
		{[]string{"--check"}, 1, "unpatched"},
	}
	for _, s := range steps {
		args := append([]string{"patch", "-global=false", "-dir", dir}, s.args...)
		code, stdout, stderr := runCLI(args...)
		if code != s.code || !strings.Contains(stdout, s.stdout) {
			t.Fatalf("%v: exit %d, want %d; stdout:\n%s\nstderr:\n%s", args, code, s.code, stdout, stderr)
		}
	}
	if now, _ := os.ReadFile(file); !bytes.Equal(now, orig) {
		t.Error("catalog not restored after --undo")
	}
}

func TestPatchCommandErrors(t *testing.T) {
	isolateHome(t) // no real clawbridge config, daemon or Clawdbot
	dir, _ := piAIInstall(t)
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"-dir", dir, "-base-url", "http://127.0.0.1:4000/v1"}, 2, "drop the /v1"},
		{[]string{"-dir", filepath.Join(dir, "missing")}, 2, "no such directory"},
		{[]string{"-dir", t.TempDir()}, 1, "no pi-ai catalog found"},
		{[]string{"-dir", dir, "--check", "--undo"}, 2, "not both"},
		{[]string{"-config-file", "x.json"}, 2, "needs --config"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCLI(append([]string{"patch", "-global=false"}, tt.args...)...)
		if code != tt.code || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("%v: exit %d, want %d; stderr %q", tt.args, code, tt.code, stderr)
		}
		if tt.stderr == "no pi-ai catalog found" && !strings.Contains(stdout, "clawbridge patch --config") {
			t.Errorf("no explanation of the config route:\n%s", stdout)
		}
	}
}

func TestPatchCommandConfig(t *testing.T) {
	isolateHome(t) // no real clawbridge config, daemon or Clawdbot
	file := filepath.Join(t.TempDir(), "openclaw.json")
	os.WriteFile(file, []byte("{\n  // mine\n  \"gateway\": {\"port\": 18789}\n}\n"), 0o600)
	for _, s := range []struct {
		args   []string
		code   int
		stdout string
	}{
		{[]string{"--check"}, 1, "NOT patched"},
		{nil, 0, "backup: "},
		{[]string{"--check"}, 0, "patched (anthropic provider at http://127.0.0.1:4000)"},
		{nil, 0, "already points at"},
		{[]string{"--undo"}, 0, "removed the models.providers.anthropic block"},
	} {
		args := append([]string{"patch", "--config", "-config-file", file}, s.args...)
		code, stdout, stderr := runCLI(args...)
		if code != s.code || !strings.Contains(stdout, s.stdout) {
			t.Fatalf("%v: exit %d, want %d; stdout:\n%s\nstderr:\n%s", args, code, s.code, stdout, stderr)
		}
	}
	if b, _ := os.ReadFile(file); !strings.Contains(string(b), "// mine") || strings.Contains(string(b), "anthropic") {
		t.Errorf("config after undo:\n%s", b)
	}
}

// TestPatchCommandUsesDaemonConfig: without -dir and -base-url, `patch`
// points pi-ai where the daemon would (the config's listen address) in the
// installs the daemon would (patcher.dirs, ~ meaning home, and the usual
// checkout places), and the config route takes the same URL.
func TestPatchCommandUsesDaemonConfig(t *testing.T) {
	home := isolateHome(t)
	named, namedFile := piAIInstallAt(t, filepath.Join(home, "work", "bot"))
	_, usualFile := piAIInstallAt(t, filepath.Join(home, "src", "clawdbot"))
	cfgPath := filepath.Join(home, "clawbridge.yaml")
	// global: false keeps the test off this machine's global installs.
	cfg := "clawbridge:\n  listen: 127.0.0.1:4111\n  patcher:\n    global: false\n    dirs: [~/work/bot]\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		args   []string
		code   int
		stdout string
	}{
		{[]string{"--check"}, 1, "unpatched  0.49.3  0/6"},
		{nil, 0, "patched  0.49.3  6/6   6"},
		{[]string{"--check"}, 0, "patched  0.49.3  6/6   -"},
		// An explicit flag still overrides the config.
		{[]string{"--check", "-base-url", "http://127.0.0.1:4000"}, 1, "unpatched  0.49.3  0/6"},
	} {
		args := append([]string{"patch", "-clawbridge-config", cfgPath}, s.args...)
		code, stdout, stderr := runCLI(args...)
		if code != s.code || !strings.Contains(stdout, s.stdout) {
			t.Fatalf("%v: exit %d, want %d; stdout:\n%s\nstderr:\n%s", args, code, s.code, stdout, stderr)
		}
		if n := strings.Count(stdout, "models.generated.js"); n != 2 {
			t.Fatalf("%v: %d catalogs listed, want the 2 installs; stdout:\n%s", args, n, stdout)
		}
	}
	for _, f := range []string{namedFile, usualFile} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(string(b), `baseUrl: "http://127.0.0.1:4111"`); got != 6 {
			t.Errorf("%s: %d Anthropic base URLs at http://127.0.0.1:4111, want 6", f, got)
		}
	}

	// -dir replaces the config's directories.
	other, _ := piAIInstall(t)
	code, stdout, stderr := runCLI("patch", "-clawbridge-config", cfgPath, "-dir", other, "--check")
	if code != 1 || strings.Contains(stdout, named) || !strings.Contains(stdout, other) {
		t.Fatalf("-dir %s: exit %d, want 1 and only that install; stdout:\n%s\nstderr:\n%s", other, code, stdout, stderr)
	}

	oc := filepath.Join(home, "openclaw.json")
	os.WriteFile(oc, []byte("{}\n"), 0o600)
	code, stdout, stderr = runCLI("patch", "-clawbridge-config", cfgPath, "--config", "-config-file", oc)
	if code != 0 || !strings.Contains(stdout, "now points at http://127.0.0.1:4111") {
		t.Fatalf("--config: exit %d; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI("patch", "-clawbridge-config", cfgPath, "--config", "-config-file", oc, "--check")
	if code != 0 || !strings.Contains(stdout, "patched (anthropic provider at http://127.0.0.1:4111)") {
		t.Fatalf("--config --check: exit %d; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

// TestPatchCommandWithoutConfig: with no clawbridge config yet, `patch
// --check` uses the daemon's defaults and leaves no config file behind.
func TestPatchCommandWithoutConfig(t *testing.T) {
	isolateHome(t)
	dir, _ := piAIInstall(t)
	code, stdout, stderr := runCLI("patch", "-global=false", "-dir", dir, "--check")
	if code != 1 || !strings.Contains(stdout, "unpatched  0.49.3  0/6") {
		t.Fatalf("exit %d; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if code, stdout, stderr := runCLI("patch", "-global=false", "-dir", dir); code != 0 {
		t.Fatalf("patch: exit %d; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI("patch", "-global=false", "-dir", dir, "--check", "-base-url", patcher.DefaultBaseURL)
	if code != 0 {
		t.Fatalf("not patched at %s: exit %d; stdout:\n%s\nstderr:\n%s", patcher.DefaultBaseURL, code, stdout, stderr)
	}
	def, err := config.DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(def); !os.IsNotExist(err) {
		t.Errorf("patch left a config at %s (stat: %v)", def, err)
	}
}

// TestPatchCommandFollowsRunningDaemon: when the config's daemon runs,
// `patch` takes the URL it keeps pi-ai pointed at, which is the address it
// bound (here the free port of `run --listen 127.0.0.1:0`), not the one the
// file names.
func TestPatchCommandFollowsRunningDaemon(t *testing.T) {
	home := isolateHome(t)
	_, file := piAIInstallAt(t, filepath.Join(home, "bot"))
	cfgPath := filepath.Join(home, "clawbridge", "config.yaml")
	os.MkdirAll(filepath.Dir(cfgPath), 0o700)
	cfg := "clawbridge:\n  listen: 127.0.0.1:4111\n  patcher:\n    global: false\n    dirs: [~/bot]\n  guard:\n    enabled: false\n  notifications:\n    enabled: false\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startQuietDaemon(t, daemon.Options{ConfigPath: cfgPath, Listen: "127.0.0.1:0", Home: home})
	want := "http://" + d.State().Translator.Addr
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if b, _ := os.ReadFile(file); strings.Count(string(b), `baseUrl: "`+want+`"`) == 6 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not point the catalog at %s", want)
		}
	}
	code, stdout, stderr := runCLI("patch", "--check", "-clawbridge-config", cfgPath)
	if code != 0 || !strings.Contains(stdout, "patched  0.49.3  6/6") {
		t.Fatalf("patch --check beside the daemon at %s: exit %d; stdout:\n%s\nstderr:\n%s", want, code, stdout, stderr)
	}
}

// startQuietDaemon runs the daemon in this process, logging and notifying
// nothing, with its gateway log in a temporary directory, until the test
// ends: for the commands whose answer depends on a running daemon.
func startQuietDaemon(t *testing.T, o daemon.Options) *daemon.Daemon {
	t.Helper()
	o.LogDir = t.TempDir()
	o.Logger = slog.New(slog.DiscardHandler)
	o.Notifier = notify.New(notify.Options{Logger: o.Logger, Send: func(string, string) error { return nil }})
	d, err := daemon.New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Stop() })
	return d
}
