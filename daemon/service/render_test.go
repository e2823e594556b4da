package service

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/golden"
	"github.com/clawbridge/clawbridge/packaging"
	"howett.net/plist"
)

// testAgent has every character the escapers must handle: spaces, XML
// specials, systemd's % and $, quotes.
var testAgent = agent{
	label:   LaunchdLabel,
	command: []string{"/Users/Ada Lovelace/Apps/claw&bridge.app/Contents/MacOS/clawbridge", "run", "--config", `/Users/Ada Lovelace/cfg "100%" $HOME<1>.yaml`},
	logFile: "/Users/Ada Lovelace/Library/Logs/clawbridge/clawbridge.log",
}

// parsePlist reads a plist with a real property-list parser
// (howett.net/plist, which reads XML, binary and OpenStep plists the way
// Apple's own tools do) and fails the test when it is not one.
func parsePlist(t *testing.T, text string) map[string]any {
	t.Helper()
	var m map[string]any
	format, err := plist.Unmarshal([]byte(text), &m)
	if err != nil {
		t.Fatalf("not a plist: %v\n%s", err, text)
	}
	if format != plist.XMLFormat {
		t.Fatalf("plist format %s, want XML", plist.FormatNames[format])
	}
	return m
}

func TestLaunchAgentPlist(t *testing.T) {
	got, err := launchAgentPlist(testAgent)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "launchagent.plist"), []byte(got))
	if strings.Contains(got, "{{") {
		t.Error("the plist contains {{, which kardianos/service would read as a template action")
	}

	m := parsePlist(t, got)
	want := map[string]any{
		"Label":                       LaunchdLabel,
		"AssociatedBundleIdentifiers": []any{LaunchdLabel},
		"ProgramArguments":            []any{testAgent.command[0], "run", "--config", testAgent.command[3]},
		"RunAtLoad":                   true,
		// A crash restarts the agent; a Quit (exit 0) stays quit.
		"KeepAlive": map[string]any{"SuccessfulExit": false},
		// The menu-bar process needs the GUI session.
		"LimitLoadToSessionType": "Aqua",
		"ProcessType":            "Interactive",
		"StandardOutPath":        testAgent.logFile,
		"StandardErrorPath":      testAgent.logFile,
		"EnvironmentVariables":   map[string]any{"PATH": launchdPath, "LANG": defaultLang},
	}
	for key, w := range want {
		if !reflect.DeepEqual(m[key], w) {
			t.Errorf("%s = %#v, want %#v", key, m[key], w)
		}
	}
	for key := range m {
		if _, ok := want[key]; !ok {
			t.Errorf("unexpected key %s = %#v", key, m[key])
		}
	}
	path := strings.Split(launchdPath, ":")
	for _, dir := range []string{"/opt/homebrew/bin", "/usr/local/bin", "/usr/bin", "/bin"} {
		if !contains(path, dir) {
			t.Errorf("PATH %s lacks %s", launchdPath, dir)
		}
	}
}

// TestInfoPlistMatchesLaunchAgent: the app bundle's identifier is the
// LaunchAgent's label, and the bundle runs the binary the agent runs.
func TestInfoPlistMatchesLaunchAgent(t *testing.T) {
	m := parsePlist(t, packaging.InfoPlist)
	if m["CFBundleIdentifier"] != LaunchdLabel {
		t.Errorf("CFBundleIdentifier = %v, want the LaunchAgent label %s", m["CFBundleIdentifier"], LaunchdLabel)
	}
	if m["CFBundleExecutable"] != "clawbridge" || !InAppBundle("/Applications/clawbridge.app/Contents/MacOS/clawbridge") {
		t.Errorf("CFBundleExecutable = %v, want clawbridge", m["CFBundleExecutable"])
	}
}

// TestInfoPlistKeepsTheMenuBarAppAwake: the bundle keys a menu-bar daemon
// needs on macOS 15. Without NSLocalNetworkUsageDescription an Ollama on
// another LAN machine is blocked; without NSAppSleepDisabled App Nap
// throttles the translator; LSUIElement keeps it out of the Dock.
func TestInfoPlistKeepsTheMenuBarAppAwake(t *testing.T) {
	m := parsePlist(t, packaging.InfoPlist)
	for key, want := range map[string]any{
		"LSUIElement":                    true,
		"NSAppSleepDisabled":             true,
		"NSSupportsAutomaticTermination": false,
		"NSSupportsSuddenTermination":    false,
		"CFBundlePackageType":            "APPL",
	} {
		if m[key] != want {
			t.Errorf("%s = %#v, want %#v", key, m[key], want)
		}
	}
	why, _ := m["NSLocalNetworkUsageDescription"].(string)
	if !strings.Contains(why, "Ollama") || !strings.Contains(why, "local network") {
		t.Errorf("NSLocalNetworkUsageDescription = %q, want the reason: Ollama on the local network", why)
	}
}

func TestSystemdUnit(t *testing.T) {
	linuxAgent := agent{
		label:   "clawbridge",
		command: []string{"/home/ada/my bin/clawbridge", "run", "--config", `/home/ada/cfg "100%" $HOME.yaml`},
		logFile: "/home/ada/.local/state/clawbridge/100%/clawbridge.log",
	}
	got, err := systemdUnit(linuxAgent)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "clawbridge.service"), []byte(got))

	sections := parseUnit(t, got)
	want := map[string]map[string][]string{
		"Unit": {
			"Description":   {"clawbridge: Clawdbot on local Ollama models"},
			"Documentation": {"https://github.com/clawbridge/clawbridge"},
		},
		"Service": {
			"Type": {"simple"},
			// Each word quoted; % and $ doubled so systemd expands neither.
			"ExecStart":      {`"/home/ada/my bin/clawbridge" "run" "--config" "/home/ada/cfg \"100%%\" $$HOME.yaml"`},
			"Restart":        {"on-failure"},
			"RestartSec":     {"5"},
			"TimeoutStopSec": {"30"},
			"StandardOutput": {"append:/home/ada/.local/state/clawbridge/100%%/clawbridge.log"},
			"StandardError":  {"append:/home/ada/.local/state/clawbridge/100%%/clawbridge.log"},
		},
		// A user manager reaches default.target at login; it never reaches
		// multi-user.target, kardianos's default.
		"Install": {"WantedBy": {"default.target"}},
	}
	if !reflect.DeepEqual(sections, want) {
		t.Errorf("unit parsed as\n%#v\nwant\n%#v", sections, want)
	}
	if strings.Contains(got, "{{") {
		t.Error("the unit contains {{, which kardianos/service would read as a template action")
	}
}

// parseUnit reads a unit file line by line: comments and blank lines
// skipped, every other line a [Section] or Key=Value inside one.
func parseUnit(t *testing.T, unit string) map[string]map[string][]string {
	t.Helper()
	sections := map[string]map[string][]string{}
	var cur map[string][]string
	for i, line := range strings.Split(unit, "\n") {
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			cur = map[string][]string{}
			sections[line[1:len(line)-1]] = cur
		default:
			key, value, ok := strings.Cut(line, "=")
			if !ok || cur == nil || key != strings.TrimSpace(key) {
				t.Fatalf("line %d is not Key=Value in a section: %q", i+1, line)
			}
			cur[key] = append(cur[key], value)
		}
	}
	return sections
}

func TestAutostartEntry(t *testing.T) {
	a := agent{label: "clawbridge", command: []string{`/home/ada/odd "dir" $x\y 100%/clawbridge`, "run"}, logFile: "/l/clawbridge.log"}
	got, err := autostartEntry(a)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "clawbridge.desktop"), []byte(got))
	sections := parseUnit(t, got)
	entry := sections["Desktop Entry"]
	// Quoting rule first (\" \$ \\ inside double quotes), then the string
	// rule doubles every backslash, then % is doubled.
	wantExec := `"/home/ada/odd \\"dir\\" \\$x\\\\y 100%%/clawbridge" restart`
	if got := entry["Exec"]; len(got) != 1 || got[0] != wantExec {
		t.Errorf("Exec = %q, want %q", got, wantExec)
	}
	for key, want := range map[string]string{"Type": "Application", "Name": "clawbridge", "Terminal": "false", "NoDisplay": "true"} {
		if got := entry[key]; len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
}

func TestRenderRefusesWhatTemplatesCannotCarry(t *testing.T) {
	cases := []struct {
		name   string
		render func(agent) (string, error)
		a      agent
		want   string
	}{
		{"newline in plist", launchAgentPlist, agent{label: "x", command: []string{"/a\nb"}, logFile: "/l"}, "control character"},
		{"kardianos action", launchAgentPlist, agent{label: "x", command: []string{"/a/{{Path}}"}, logFile: "/l"}, "template action"},
		{"backslash in unit", systemdUnit, agent{label: "x", command: []string{"/a/b"}, logFile: `/l\og`}, "backslash"},
		{"tab in desktop entry", autostartEntry, agent{label: "x", command: []string{"/a\tb"}, logFile: "/l"}, "control character"},
		{"no command", systemdUnit, agent{label: "x", logFile: "/l"}, "no command"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.render(c.a)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one saying %q", err, c.want)
			}
		})
	}
}

func TestFillReportsTemplateMismatch(t *testing.T) {
	if _, err := fill("t", "a @X@ b @Y@", map[string]string{"X": "1"}); err == nil || !strings.Contains(err.Error(), "@Y@") {
		t.Errorf("missing value: err = %v", err)
	}
	if _, err := fill("t", "a @X@", map[string]string{"X": "1", "Z": "2"}); err == nil || !strings.Contains(err.Error(), "@Z@") {
		t.Errorf("unused value: err = %v", err)
	}
	got, err := fill("t", "@X@@X@ @Y@", map[string]string{"X": "@Y@", "Y": "y"})
	if err != nil || got != "@Y@@Y@ y" {
		t.Errorf("fill = %q, %v; values must not be filled again", got, err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
