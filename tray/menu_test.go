package tray

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/golden"
)

// at is the time of the test states: 15:30 on a Tuesday in a fixed zone, so
// the golden files do not depend on where the tests run.
var at = time.Date(2026, 3, 10, 15, 30, 0, 0, time.FixedZone("CET", 3600))

var allActions = Actions{
	SetToggle:     func(context.Context, Toggle, bool) error { return nil },
	SetAliasModel: func(context.Context, string, string) error { return nil },
	Repatch:       func(context.Context) error { return nil },
	Pull:          func(context.Context, string) error { return nil },
	CancelPull:    func(context.Context, string) error { return nil },
	Doctor:        func(context.Context) (string, bool) { return "", true },
	Notify:        func(string, string) {},
	Quit:          func() {},
}

func healthy() State {
	return State{
		Translator: Translator{Enabled: true, Addr: "127.0.0.1:4000", Requests: 42},
		Backends:   []Backend{{URL: "http://127.0.0.1:11434", Version: "0.17.4", Models: 5}},
		Patches: []Patch{{
			Target:  "/home/ada/clawdbot/node_modules/.pnpm/@mariozechner+pi-ai@0.49.3/node_modules/@mariozechner/pi-ai",
			Patched: 21, Total: 21, Reapplied: at.Add(-88 * time.Minute),
		}},
		Installs: []Install{
			{Name: "Clawdbot 2026.1.24-3", Dir: "/home/ada/clawdbot/node_modules/clawdbot", Route: "catalog patch (21/21 URLs)", Routed: true},
			{Name: "OpenClaw 2026.9.6", Dir: "/home/ada/.local/share/pnpm/global/5/node_modules/openclaw",
				Route: "config route (~/.openclaw/openclaw.json)", Routed: true, Reapplied: at.Add(-5 * time.Minute)},
		},
		Guard:         Guard{Enabled: true, Pinned: true, LastRestore: at.Add(-30 * time.Hour)},
		AutoRepatch:   true,
		Notifications: true,
		Warmup:        true,
		Aliases: []Alias{
			{Name: "claude-sonnet-4-5", Model: "llama3.1:70b", Load: "warm (42.5 GB)",
				Numbers: "12 requests · TTFT 340ms · 24.1 tok/s · 53.2k in / 1.2k out", Choices: []Choice{
					{Model: "llama3.1:70b", Tools: Yes, Detail: "70.6B · Q4_K_M · 42.5 GB · 128k context"},
					{Model: "qwen3:8b", Tools: Yes, Thinking: Yes, Detail: "8.2B · Q4_K_M · 5.2 GB · 40k context"},
					{Model: "llama2:7b", Tools: No},
					{Model: "mystery:1b"},
				}},
			{Name: "claude-haiku-4-5", Model: "qwen3:8b", Load: "cold", Numbers: "no requests in the last hour", Choices: []Choice{
				{Model: "llama3.1:70b", Tools: Yes},
				{Model: "qwen3:8b", Tools: Yes},
			}},
		},
		Unmapped:   []Choice{{Model: "llava:7b", Tools: No, Vision: Yes, Detail: "7B · Q4_0 · 4.7 GB · 32k context"}},
		ConfigPath: "/home/ada/.config/clawbridge/config.yaml",
		LogPath:    "/home/ada/.local/state/clawbridge/clawbridge.log",
		TUICommand: "clawdbot tui",
		At:         at,
	}
}

func troubled() State {
	s := healthy()
	s.Translator.Requests = 1
	s.Backends = append(s.Backends, Backend{
		URL: "http://gpu-box:11434/",
		Err: `Get "http://gpu-box:11434/api/version": dial tcp 10.0.0.7:11434: connect: connection refused`,
	})
	s.Patches = append(s.Patches,
		Patch{Target: "/usr/lib/node_modules/clawdbot/node_modules/@mariozechner/pi-ai", Err: "open models.generated.js: permission denied"},
		Patch{Target: "/home/ada/node_modules/@mariozechner/pi-ai", Patched: 3, Total: 21},
		Patch{Err: "watch: too many open files"},
	)
	s.Installs[1] = Install{Name: "OpenClaw 2026.9.6", Dir: "/home/ada/.local/share/pnpm/global/5/node_modules/openclaw",
		Route:   "config route (~/.openclaw/openclaw.json)",
		Problem: "/home/ada/.openclaw/openclaw.json has no models.providers.anthropic block",
		Fix:     "start clawbridge (clawbridge run), which applies the route and keeps it, or run clawbridge patch once"}
	s.Guard.LastRestore = at.Add(-2 * time.Minute)
	s.Gateway = Gateway{Enabled: true, Port: 18789, Err: "exited with status 1\nstack trace follows"}
	s.StartAtLogin = true
	s.Aliases[0].Model = "llama2:7b"
	s.Aliases[1].Model, s.Aliases[1].Missing, s.Aliases[1].Load = "qwen3:32b", true, ""
	s.Aliases = append(s.Aliases, Alias{Name: "claude-opus-4-1", Model: "gpt-oss:20b", Missing: true, Choices: s.Aliases[1].Choices})
	s.Pulls = []Pull{
		{Model: "qwen3:32b", Line: "pulling qwen3:32b: 42% (8.4 GB of 20.0 GB)", Running: true},
		{Model: "gpt-oss:20b", Line: "pull of gpt-oss:20b failed: no space left on the disk for gpt-oss:20b: remove models you do not use (ollama rm) and pull again"},
	}
	return s
}

func switchedOff() State {
	return State{
		Translator: Translator{Addr: "127.0.0.1:4000"},
		Backends:   []Backend{{URL: "http://127.0.0.1:11434", Version: "0.17.4", Models: 1}},
		Guard:      Guard{Enabled: true, Err: "auth-profiles.json: invalid JSON at line 3"},
		Installs:   []Install{{Name: "OpenClaw 2026.9.6", Dir: "/opt/homebrew/lib/node_modules/openclaw", Route: "config route (~/.openclaw/openclaw.json)", Routed: true}},
		Gateway:    Gateway{Enabled: true, Running: true, Port: 18789},
		Aliases: []Alias{
			{Name: "claude-sonnet-4-5", Model: "llama3.1:70b", Choices: []Choice{{Model: "qwen3:8b", Tools: Yes}}},
			{Name: "claude-opus-4-1", Model: "gone:3b"},
			{Name: "claude-haiku-4-5"},
		},
		At: at,
	}
}

func TestBuildMenu(t *testing.T) {
	for _, c := range []struct {
		name    string
		state   State
		actions Actions
	}{
		{"healthy", healthy(), allActions},
		{"troubled", troubled(), allActions},
		{"off-no-actions", switchedOff(), Actions{}},
		{"zero", State{}, Actions{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := outline(buildMenu(c.state, c.actions, "/home/ada"))
			golden.Check(t, filepath.Join("testdata", "menu", c.name+".txt"), []byte(got))
		})
	}
}

// outline writes a menu one item a line, indented by depth: "·" a status
// line, "[x]"/"[ ]" a checkbox, ">" a command, "▸" a submenu; a clickable
// kind that is disabled ends in "(disabled)", and a tooltip follows "#".
// Hidden items are left out.
func outline(items []item) string {
	var b strings.Builder
	var walk func([]item, string)
	walk = func(items []item, indent string) {
		for _, it := range items {
			if it.hidden {
				continue
			}
			var mark string
			switch it.kind {
			case kindSeparator:
				fmt.Fprintf(&b, "%s---\n", indent)
				continue
			case kindStatus:
				mark = "·"
			case kindToggle, kindChoice:
				mark = "[ ]"
				if it.checked {
					mark = "[x]"
				}
			case kindCommand:
				mark = ">"
			case kindSubmenu:
				mark = "▸"
			}
			line := indent + mark + " " + it.title
			if it.kind != kindStatus && !it.enabled {
				line += " (disabled)"
			}
			if it.kind == kindStatus && it.enabled {
				line += " (enabled?)"
			}
			if it.tooltip != "" {
				line += "  # " + strings.ReplaceAll(it.tooltip, "\n", `\n`)
			}
			b.WriteString(line + "\n")
			walk(it.children, indent+"    ")
		}
	}
	walk(items, "")
	return b.String()
}

func TestIconFor(t *testing.T) {
	old := healthy()
	old.Guard.LastRestore = at.Add(-restoreAttention)
	for _, c := range []struct {
		name  string
		state State
		want  IconState
	}{
		{"healthy", healthy(), IconGood},
		{"restore long ago", old, IconGood},
		{"troubled", troubled(), IconAttention},
		{"off wins over problems", switchedOff(), IconOff},
		{"zero", State{}, IconOff},
		{"backend down", func() State { s := healthy(); s.Backends[0].Err = "refused"; return s }(), IconAttention},
		{"patch failed", func() State { s := healthy(); s.Patches[0].Err = "denied"; return s }(), IconAttention},
		{"patch incomplete", func() State { s := healthy(); s.Patches[0].Patched = 20; return s }(), IconAttention},
		{"guard restored just now", func() State { s := healthy(); s.Guard.LastRestore = at; return s }(), IconAttention},
		{"guard restore, snapshot time unknown", func() State { s := healthy(); s.Guard.LastRestore = at; s.At = time.Time{}; return s }(), IconGood},
		{"guard off, restore ignored", func() State { s := healthy(); s.Guard = Guard{LastRestore: at}; return s }(), IconGood},
		{"guard error", func() State { s := healthy(); s.Guard.Err = "x"; return s }(), IconAttention},
		{"translator error", func() State { s := healthy(); s.Translator.Err = "port in use"; return s }(), IconAttention},
		{"gateway error", func() State { s := healthy(); s.Gateway = Gateway{Enabled: true, Err: "x"}; return s }(), IconAttention},
		{"gateway starting", func() State { s := healthy(); s.Gateway = Gateway{Enabled: true}; return s }(), IconGood},
		{"gateway error while disabled", func() State { s := healthy(); s.Gateway = Gateway{Err: "x"}; return s }(), IconGood},
	} {
		if got := IconFor(c.state); got != c.want {
			t.Errorf("%s: IconFor = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestShape checks which changes the menu can apply in place and which
// rebuild it.
func TestShape(t *testing.T) {
	base := shape(buildMenu(healthy(), allActions, ""))
	for _, c := range []struct {
		name string
		edit func(*State)
		same bool
	}{
		{"toggle flipped", func(s *State) { s.Guard.Enabled = false }, true},
		{"warm-up switched off", func(s *State) { s.Warmup = false }, true},
		{"requests counted", func(s *State) { s.Translator.Requests++ }, true},
		{"alias switched", func(s *State) { s.Aliases[0].Model = "qwen3:8b" }, true},
		{"backend down", func(s *State) { s.Backends[0].Err = "refused" }, true},
		{"model pulled", func(s *State) { s.Aliases[0].Choices = append(s.Aliases[0].Choices, Choice{Model: "new:1b"}) }, false},
		{"model removed", func(s *State) { s.Aliases[1].Choices = s.Aliases[1].Choices[:1] }, false},
		{"pull progress", func(s *State) { s.Pulls = []Pull{{Model: "x", Line: "pulling x: 1%", Running: true}} }, false},
		{"model warmed", func(s *State) { s.Aliases[1].Load = "warm (5.2 GB)" }, true},
		{"numbers moved", func(s *State) { s.Aliases[0].Numbers = "13 requests" }, true},
		{"alias model missing", func(s *State) { s.Aliases[0].Missing = true }, false},
		{"alias added", func(s *State) { s.Aliases = append(s.Aliases, Alias{Name: "claude-opus-4-1"}) }, false},
		{"backend added", func(s *State) { s.Backends = append(s.Backends, Backend{URL: "http://b"}) }, false},
		{"patch added", func(s *State) { s.Patches = append(s.Patches, Patch{Target: "/x"}) }, false},
		{"gateway enabled", func(s *State) { s.Gateway.Enabled = true }, false},
		{"alias model gone from backend", func(s *State) { s.Aliases[0].Model = "gone:1b" }, false},
	} {
		s := healthy()
		c.edit(&s)
		if got := shape(buildMenu(s, allActions, "")) == base; got != c.same {
			t.Errorf("%s: same shape = %v, want %v", c.name, got, c.same)
		}
	}
}

func TestToggleRoundTrip(t *testing.T) {
	for _, tg := range toggles {
		for _, on := range []bool{true, false} {
			s := withToggle(healthy(), tg.toggle, on)
			if toggleOn(s, tg.toggle) != on {
				t.Errorf("%s: withToggle(%v) reads back %v", tg.toggle, on, !on)
			}
			for _, other := range toggles {
				if other.toggle != tg.toggle && toggleOn(s, other.toggle) != toggleOn(healthy(), other.toggle) {
					t.Errorf("withToggle(%s) changed %s", tg.toggle, other.toggle)
				}
			}
		}
	}
}

func TestWithAliasModelKeepsOriginal(t *testing.T) {
	s := healthy()
	n := withAliasModel(s, "claude-haiku-4-5", "llama3.1:70b")
	if n.Aliases[1].Model != "llama3.1:70b" || n.Aliases[0].Model != "llama3.1:70b" {
		t.Errorf("withAliasModel: %+v", n.Aliases)
	}
	if s.Aliases[1].Model != "qwen3:8b" {
		t.Errorf("withAliasModel changed the state it was given")
	}
}

func TestInstall(t *testing.T) {
	for _, c := range []struct{ target, home, want string }{
		{"/home/ada/clawdbot/node_modules/@mariozechner/pi-ai", "/home/ada", "~/clawdbot"},
		{"/home/ada/clawdbot/node_modules/.pnpm/@mariozechner+pi-ai@1/node_modules/@mariozechner/pi-ai", "/home/ada", "~/clawdbot"},
		{"/home/ada/node_modules/@mariozechner/pi-ai", "/home/ada", "~"},
		{"/home/adam/x/node_modules/@mariozechner/pi-ai", "/home/ada", "/home/adam/x"},
		{"/opt/homebrew/lib/node_modules/clawdbot/node_modules/@mariozechner/pi-ai", "/Users/ada", "/opt/homebrew/lib"},
		{"/srv/pi-ai", "", "/srv/pi-ai"},
	} {
		if got := install(c.target, c.home); got != c.want {
			t.Errorf("install(%q, %q) = %q, want %q", c.target, c.home, got, c.want)
		}
	}
}

func TestClock(t *testing.T) {
	for _, c := range []struct {
		t, at time.Time
		want  string
	}{
		{at.Add(-time.Hour), at, "14:30"},
		{at.Add(-16 * time.Hour), at, "Mar 9 23:30"},
		{at.UTC().Add(-time.Hour), at, "14:30"},
		{at, time.Time{}, "15:30"},
	} {
		if got := clock(c.t, c.at); got != c.want {
			t.Errorf("clock(%v, %v) = %q, want %q", c.t, c.at, got, c.want)
		}
	}
}

func TestDetail(t *testing.T) {
	long := strings.Repeat("é", maxDetail+5)
	if got := detail(long); len([]rune(got)) != maxDetail || !strings.HasSuffix(got, "…") {
		t.Errorf("detail(long) = %q", got)
	}
	if got := detail("first\nsecond"); got != "first" {
		t.Errorf("detail = %q", got)
	}
}
