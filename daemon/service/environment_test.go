package service

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeShell is a stand-in login shell: it records its arguments, prints
// what a chatty profile prints, puts $FAKE_TOOLS first on PATH (as nvm's
// lines in ~/.zshrc do) and runs the script it was given with sh.
const fakeShell = `#!/bin/sh
printf '%s\n' "$@" >"$FAKE_SHELL_ARGS"
echo "Last login: today"
echo "/usr/bin/node is where I used to live"
PATH=$FAKE_TOOLS:/usr/bin:/bin
export PATH
[ -n "$FAKE_SHELL_SLEEP" ] && sleep "$FAKE_SHELL_SLEEP"
shift 3
exec /bin/sh -c "$1"
`

// installFakeShell makes the stand-in $SHELL, with node and pnpm (not
// ollama) in a tools directory, and returns that directory.
func installFakeShell(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	tools := filepath.Join(dir, "nvm", "versions", "node", "v22.1.0", "bin")
	for _, tool := range []string{"node", "pnpm"} {
		executableFile(t, filepath.Join(tools, tool))
	}
	shell := filepath.Join(dir, "zsh")
	if err := os.WriteFile(shell, []byte(fakeShell), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SHELL", shell)
	t.Setenv("FAKE_TOOLS", tools)
	t.Setenv("FAKE_SHELL_ARGS", filepath.Join(dir, "args"))
	t.Setenv("FAKE_SHELL_SLEEP", "")
	return tools
}

func TestLoginShellTools(t *testing.T) {
	tools := installFakeShell(t)
	got, err := LoginShellTools(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"node": filepath.Join(tools, "node"), "pnpm": filepath.Join(tools, "pnpm")}
	if len(got) != len(want) || got["node"] != want["node"] || got["pnpm"] != want["pnpm"] {
		t.Errorf("LoginShellTools = %v, want %v (ollama missing)", got, want)
	}
	args, err := os.ReadFile(os.Getenv("FAKE_SHELL_ARGS"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(args)), "\n")
	if len(lines) != 4 || lines[0] != "-i" || lines[1] != "-l" || lines[2] != "-c" || !strings.Contains(lines[3], "command -v node") {
		t.Errorf("the shell got %q, want -i -l -c SCRIPT", lines)
	}
}

// TestLoginShellToolsReadsTheProfile runs a real bash as a login shell
// with a ~/.bash_profile that puts a version manager's directory on PATH.
func TestLoginShellToolsReadsTheProfile(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("bash not found: %v", err)
	}
	home := t.TempDir()
	tools := filepath.Join(home, ".volta", "bin")
	executableFile(t, filepath.Join(tools, "node"))
	profile := "echo 'profile says hi'\nexport PATH=\"$HOME/.volta/bin:$PATH\"\n"
	if err := os.WriteFile(filepath.Join(home, ".bash_profile"), []byte(profile), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	got, err := loginShellTools(context.Background(), bash, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got["node"] != filepath.Join(tools, "node") {
		t.Errorf("node = %q, want the one ~/.bash_profile puts on PATH, %s", got["node"], filepath.Join(tools, "node"))
	}
}

func TestLoginShellToolsGivesUpOnAHangingProfile(t *testing.T) {
	installFakeShell(t)
	t.Setenv("FAKE_SHELL_SLEEP", "30")
	start := time.Now()
	_, err := loginShellTools(context.Background(), os.Getenv("SHELL"), 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not answer within 200ms") {
		t.Errorf("err = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("gave up after %s", d)
	}
}

func TestParseToolAnswersIgnoresAliasesAndNoise(t *testing.T) {
	out := "hello from .zshrc\n/usr/bin/pnpm\n" + toolMarker + "node\nnode: aliased to nvm_node\n" +
		toolMarker + "pnpm\n/Users/ada/Library/pnpm/pnpm\n" + toolMarker + "ollama\n"
	got := parseToolAnswers(out)
	if len(got) != 1 || got["pnpm"] != "/Users/ada/Library/pnpm/pnpm" {
		t.Errorf("parseToolAnswers = %v, want only pnpm", got)
	}
}

func TestAgentPathFor(t *testing.T) {
	// fnm's per-shell directory is a link into the installation, deleted
	// when the shell exits: the installation goes on PATH instead.
	root := t.TempDir()
	install := filepath.Join(root, "fnm", "node-versions", "v22", "installation")
	executableFile(t, filepath.Join(install, "bin", "node"))
	multishell := filepath.Join(root, "fnm_multishells", "4242_1700000000")
	if err := os.MkdirAll(filepath.Dir(multishell), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(install, multishell); err != nil {
		t.Fatal(err)
	}
	got := agentPathFor(map[string]string{
		"node":   filepath.Join(multishell, "bin", "node"),
		"pnpm":   "/Users/ada/Library/pnpm/pnpm",
		"ollama": "/opt/homebrew/bin/ollama",
	})
	want := filepath.Join(install, "bin") + ":/Users/ada/Library/pnpm:" + launchdPath
	if got != want {
		t.Errorf("agentPathFor = %s\nwant %s", got, want)
	}
	if got := agentPathFor(nil); got != launchdPath {
		t.Errorf("nothing found: %s, want %s", got, launchdPath)
	}
}

func TestAgentLangFor(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"LANG": "de_DE.UTF-8"}, "de_DE.UTF-8"},
		// macOS Terminal's bare LC_CTYPE is no locale name.
		{map[string]string{"LC_CTYPE": "UTF-8", "LANG": "fr_FR.UTF-8"}, "fr_FR.UTF-8"},
		{map[string]string{"LC_ALL": "pt_BR.utf8", "LANG": "fr_FR.UTF-8"}, "pt_BR.utf8"},
		{map[string]string{"LANG": "C"}, defaultLang},
		{map[string]string{"LANG": "de_DE.ISO8859-1"}, defaultLang},
		{nil, defaultLang},
	}
	for _, c := range cases {
		if got := agentLangFor(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("agentLangFor(%v) = %s, want %s", c.env, got, c.want)
		}
	}
}

// TestInstallRecordsTheLoginShellsTools: the LaunchAgent written by
// install carries the PATH the login shell finds node in, and a LANG;
// InstalledEnvironment reads them back.
func TestInstallRecordsTheLoginShellsTools(t *testing.T) {
	newLaunchctl(t)
	tools := installFakeShell(t)
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_CTYPE", "")
	t.Setenv("LANG", "sv_SE.UTF-8")
	p, o := darwinSetup(t)
	if err := p.installAgent(o); err != nil {
		t.Fatal(err)
	}
	m := parsePlist(t, mustRead(t, p.file))
	env, _ := m["EnvironmentVariables"].(map[string]any)
	if env["PATH"] != tools+":"+launchdPath || env["LANG"] != "sv_SE.UTF-8" || len(env) != 2 {
		t.Errorf("EnvironmentVariables = %#v, want PATH %s:… and LANG sv_SE.UTF-8", env, tools)
	}
	got, ok, err := readAgentEnvironment(p.file)
	if err != nil || !ok || got != (AgentEnv{File: p.file, PATH: tools + ":" + launchdPath, LANG: "sv_SE.UTF-8"}) {
		t.Errorf("readAgentEnvironment = %+v, %v, %v", got, ok, err)
	}
	if _, ok, err := readAgentEnvironment(filepath.Join(t.TempDir(), "none.plist")); ok || err != nil {
		t.Errorf("no plist: ok %v, err %v", ok, err)
	}
	bad := filepath.Join(t.TempDir(), "bad.plist")
	if err := os.WriteFile(bad, []byte("<plist><dict><key>EnvironmentVariables</key>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := readAgentEnvironment(bad); ok || err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("broken plist: ok %v, err %v", ok, err)
	}
}
