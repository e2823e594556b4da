package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// piAIInstall lays out pi-ai 0.49.3 as npm installs it, from the patcher's
// committed fixture, and returns the Clawdbot directory and the catalog.
func piAIInstall(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
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
