package doctor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func toolsIn(t *testing.T, dir string, names ...string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestAgentEnvironmentCheck(t *testing.T) {
	root := t.TempDir()
	brew := toolsIn(t, filepath.Join(root, "opt", "homebrew", "bin"), "node", "ollama")
	nvm := toolsIn(t, filepath.Join(root, "nvm", "v22", "bin"), "node", "pnpm")
	tools := []string{"node", "pnpm", "ollama"}
	shell := map[string]string{"node": filepath.Join(nvm, "node"), "pnpm": filepath.Join(nvm, "pnpm"), "ollama": filepath.Join(brew, "ollama")}

	cases := []struct {
		name    string
		env     AgentEnvironment
		ok      bool
		detail  []string
		fixSays string
	}{
		{"recorded at install", AgentEnvironment{File: "/a.plist", PATH: nvm + ":" + brew + ":/usr/bin", LANG: "de_DE.UTF-8", Tools: tools, Shell: shell},
			true, []string{"finds node " + filepath.Join(nvm, "node"), "pnpm " + filepath.Join(nvm, "pnpm"), "ollama " + filepath.Join(brew, "ollama")}, ""},
		{"launchd's defaults only", AgentEnvironment{File: "/a.plist", PATH: brew + ":/usr/bin", LANG: "en_US.UTF-8", Tools: tools, Shell: shell},
			false, []string{"cannot find pnpm (your shell finds " + filepath.Join(nvm, "pnpm") + ")", "node " + filepath.Join(brew, "node") + " (your shell's: " + filepath.Join(nvm, "node") + ")"}, "clawbridge install"},
		{"no LANG", AgentEnvironment{File: "/a.plist", PATH: nvm + ":" + brew, Tools: tools, Shell: shell},
			false, []string{`LANG "" names no UTF-8 locale`}, "your LANG"},
		{"Homebrew's agent", AgentEnvironment{File: "/h.plist", Homebrew: true, PATH: brew, LANG: "en_US.UTF-8", Tools: tools, Shell: shell},
			false, []string{"cannot find pnpm"}, "brew services stop clawbridge"},
		{"not installed anywhere", AgentEnvironment{File: "/a.plist", PATH: brew, LANG: "en_US.UTF-8", Tools: []string{"pnpm"}, Shell: map[string]string{}, ShellErr: errors.New("timed out")},
			true, []string{"neither it nor your login shell finds pnpm", "did not answer: timed out"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := agentEnvironmentCheck(c.env)
			if got.OK != c.ok || got.Name != "agent environment" {
				t.Errorf("OK = %v, want %v: %+v", got.OK, c.ok, got)
			}
			for _, d := range append(c.detail, c.env.File) {
				if !strings.Contains(got.Detail, d) {
					t.Errorf("detail %q\nlacks %q", got.Detail, d)
				}
			}
			if !strings.Contains(got.Fix, c.fixSays) || (c.ok && got.Fix != "") {
				t.Errorf("fix %q, want one saying %q", got.Fix, c.fixSays)
			}
		})
	}
}

func TestCheckAgentEnvironmentSkipsWithoutALaunchAgent(t *testing.T) {
	none := func(context.Context) (AgentEnvironment, bool, error) { return AgentEnvironment{}, false, nil }
	if c, ok := checkAgentEnvironment(context.Background(), none); ok {
		t.Errorf("reported %+v without a LaunchAgent", c)
	}
	broken := func(context.Context) (AgentEnvironment, bool, error) {
		return AgentEnvironment{}, false, errors.New("read /a.plist: bad")
	}
	if c, ok := checkAgentEnvironment(context.Background(), broken); !ok || c.OK || !strings.Contains(c.Detail, "/a.plist") {
		t.Errorf("unreadable plist: %+v, %v", c, ok)
	}
}

func TestCheckTrayBuild(t *testing.T) {
	if c, ok := checkTrayBuild("linux", true); ok {
		t.Errorf("linux reported %+v", c)
	}
	if c, ok := checkTrayBuild("darwin", true); !ok || !c.OK || c.Warn {
		t.Errorf("darwin with the tray: %+v", c)
	}
	c, ok := checkTrayBuild("darwin", false)
	if !ok || !c.OK || !c.Warn || !strings.Contains(c.Detail, "CGO_ENABLED=0") ||
		!strings.Contains(c.Fix, "xcode-select --install") || !strings.Contains(c.Fix, "CGO_ENABLED=1 go install") {
		t.Errorf("headless darwin: %+v; want a warning saying how to get the icon", c)
	}
}
