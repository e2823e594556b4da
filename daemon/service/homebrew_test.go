package service

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// brewPlist writes the LaunchAgent `brew services start clawbridge`
// writes, logging to Homebrew's var/log/clawbridge, into home.
func brewPlist(t *testing.T, home string) string {
	t.Helper()
	file := homebrewPlist(home)
	body := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>homebrew.mxcl.clawbridge</string>
	<key>ProgramArguments</key>
	<array>
		<string>/opt/homebrew/opt/clawbridge/bin/clawbridge</string>
		<string>run</string>
	</array>
	<key>StandardOutPath</key>
	<string>/opt/homebrew/var/log/clawbridge/clawbridge.log</string>
	<key>StandardErrorPath</key>
	<string>/opt/homebrew/var/log/clawbridge/clawbridge.log</string>
</dict>
</plist>
`
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestHomebrewAgentIsSeenAndNotDoubled: with `brew services`' agent in
// the temporary home, status and the "Start at login" switch report it,
// install refuses a second agent, the other commands name the brew
// command, and nothing is written or loaded.
func TestHomebrewAgentIsSeenAndNotDoubled(t *testing.T) {
	lc := newLaunchctl(t)
	p, o := darwinSetup(t)
	home := filepath.Dir(filepath.Dir(filepath.Dir(p.file)))
	brew := brewPlist(t, home)

	st, err := p.agentStatus(o)
	if err != nil || !st.Installed || !st.Homebrew || st.Running || st.File != brew || !strings.Contains(st.Detail, "brew services restart clawbridge") {
		t.Errorf("status, not loaded: %+v, %v", st, err)
	}
	lc.want(t, "status", "print gui/501/"+HomebrewLabel)
	lc.setState(t, "running")
	if st, err := p.agentStatus(o); err != nil || !st.Running || !strings.Contains(st.Detail, "Homebrew") {
		t.Errorf("status, running: %+v, %v", st, err)
	}
	lc.calls(t)

	err = p.installAgent(o)
	if !errors.Is(err, ErrHomebrew) || !strings.Contains(err.Error(), brew) || !strings.Contains(err.Error(), "brew services stop clawbridge") {
		t.Errorf("install beside Homebrew's agent: %v", err)
	}
	if exists(p.file) {
		t.Errorf("install wrote %s beside Homebrew's agent", p.file)
	}
	for _, c := range []struct {
		name, verb string
		do         func(Options) error
	}{
		{"start", "start", p.startAgent},
		{"stop", "stop", p.stopAgent},
		{"restart", "restart", p.restartAgent},
		{"uninstall", "stop", p.uninstallAgent},
	} {
		err := c.do(o)
		if !errors.Is(err, ErrHomebrew) || !strings.Contains(err.Error(), "brew services "+c.verb+" clawbridge") {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	lc.want(t, "commands beside Homebrew's agent")
	if !exists(brew) {
		t.Error("Homebrew's agent was removed")
	}

	// Once clawbridge has its own agent, that one is what status reports.
	if err := os.Remove(brew); err != nil {
		t.Fatal(err)
	}
	if err := p.installAgent(o); err != nil {
		t.Fatal(err)
	}
	brewPlist(t, home)
	if st, err := p.agentStatus(o); err != nil || st.Homebrew || st.File != p.file {
		t.Errorf("status with both agents: %+v, %v", st, err)
	}
}

// TestLogDirFollowsHomebrew: "Open logs" and the gateway's log go where
// the formula's log_path sends the agent's output.
func TestLogDirFollowsHomebrew(t *testing.T) {
	home := t.TempDir()
	if got, want := logDirFor("darwin", home, ""), filepath.Join(home, "Library", "Logs", "clawbridge"); got != want {
		t.Errorf("without Homebrew: %s, want %s", got, want)
	}
	brewPlist(t, home)
	if got, want := logDirFor("darwin", home, ""), "/opt/homebrew/var/log/clawbridge"; got != want {
		t.Errorf("with Homebrew's agent: %s, want %s", got, want)
	}
	if got := logDirFor("linux", home, ""); got != filepath.Join(home, ".local", "state", "clawbridge") {
		t.Errorf("linux looked at Homebrew's macOS agent: %s", got)
	}
	if err := os.WriteFile(homebrewPlist(home), []byte("not a plist"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := logDirFor("darwin", home, ""), filepath.Join(home, "Library", "Logs", "clawbridge"); got != want {
		t.Errorf("with an unreadable Homebrew plist: %s, want %s", got, want)
	}
}

// TestFormulaLogsWhereClawbridgeLooks: the formula's log_path is the
// directory homebrewLogDir finds, one of clawbridge's own.
func TestFormulaLogsWhereClawbridgeLooks(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "packaging", "homebrew", "clawbridge.rb"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`log_path var/"log/clawbridge/clawbridge.log"`, `error_log_path var/"log/clawbridge/clawbridge.log"`, `(var/"log/clawbridge").mkpath`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the formula lacks %s", want)
		}
	}
}
