package gateway

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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

func TestGatewayCommand(t *testing.T) {
	checkout := t.TempDir()
	mustMkdir(t, filepath.Join(checkout, "dist"))
	mustWrite(t, filepath.Join(checkout, "dist", "index.js"), "")
	install := t.TempDir()
	mustMkdir(t, filepath.Join(install, "node_modules", "openclaw", "dist"))
	mustWrite(t, filepath.Join(install, "node_modules", "openclaw", "dist", "index.js"), "")
	node := func(string) (string, error) { return "/usr/bin/node", nil }
	noNode := func(string) (string, error) { return "", exec.ErrNotFound }

	tests := []struct {
		name    string
		command []string
		dir     string
		port    int
		look    func(string) (string, error)
		want    string // argv joined by spaces, or the error's start
	}{
		{"checkout", nil, checkout, 0, node, "/usr/bin/node " + checkout + "/dist/index.js gateway --port 18789 --allow-unconfigured"},
		{"install", nil, install, 18799, node, "/usr/bin/node " + install + "/node_modules/openclaw/dist/index.js gateway --port 18799 --allow-unconfigured"},
		{"configured command wins", []string{"clawdbot", "gateway"}, "", 0, noNode, "clawdbot gateway"},
		{"no dir", nil, "", 0, node, "error: no Clawdbot directory"},
		{"not built", nil, t.TempDir(), 0, node, "error: no dist/index.js"},
		{"no node", nil, checkout, 0, noNode, "error: node is not on PATH"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			argv, _, err := Command(tc.command, tc.dir, tc.port, tc.look)
			got := strings.Join(argv, " ")
			if err != nil {
				got = "error: " + err.Error()
			}
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
	if got := TUICommand([]string{"/usr/bin/node", "/a b/dist/index.js", "gateway"}); got != `/usr/bin/node '/a b/dist/index.js' tui` {
		t.Errorf("TUICommand = %s", got)
	}
}

// TestTUICommandPastesIntoAShell: the TUI command a user copies from the
// menu reaches node with the checkout's path unchanged, whatever the path
// holds ($, backquotes, quotes), when a real shell runs it.
func TestTUICommandPastesIntoAShell(t *testing.T) {
	entry := "/home/o'brien/$HOME/`id`/\"clawdbot\"/dist/index.js"
	cmd := TUICommand([]string{"/usr/bin/node", entry, "gateway"})
	// printf stands in for node: it prints each argument it was given.
	out, err := exec.Command("sh", "-c", "printf '%s\\n' "+strings.TrimPrefix(cmd, "/usr/bin/node ")).Output()
	if err != nil {
		t.Fatalf("sh -c %s: %v", cmd, err)
	}
	if got, want := string(out), entry+"\ntui\n"; got != want {
		t.Errorf("through sh -c %s the arguments became %q, want %q", cmd, got, want)
	}
}
