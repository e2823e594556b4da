package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/status"
)

// TestPrintStateInstalls: one row per install with its route and state,
// the reason and the fix under one not routed, catalogs no install owns on
// their old line, and a JSON store the app no longer reads never "pinned".
func TestPrintStateInstalls(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	s := &status.State{Version: "t", Started: now, Patcher: status.PatcherState{Enabled: true,
		Installs: []status.InstallState{
			{App: "clawdbot", Version: "2026.1.24-3", Dir: "/home/ada/bot/node_modules/clawdbot", Route: "catalog patch",
				Catalogs: []string{"/home/ada/bot/pi/models.generated.js"}, URLs: 21, Patched: 21, State: status.RouteRouted},
			{App: "openclaw", Version: "2026.9.6", Dir: "/g/openclaw", Route: "config route", Config: "/home/ada/.openclaw/openclaw.json",
				State: status.RouteUnpatched, Problem: "models.providers.anthropic in /home/ada/.openclaw/openclaw.json has no apiKey",
				Fix: "clawbridge re-applies it within seconds"}},
		Targets: []status.TargetState{{File: "/home/ada/bot/pi/models.generated.js", Version: "0.49.3", URLs: 21, Patched: 21},
			{File: "/x/models.generated.js", Version: "0.49.3", URLs: 6, Patched: 6}}},
		Guard: status.GuardState{Enabled: true, Key: "sk-…", Dirs: []status.GuardDirState{
			{Path: "/home/ada/.openclaw/agents/main/agent/auth-profiles.json", Held: true, Unread: "/home/ada/.openclaw/agents/main/agent/openclaw-agent.sqlite"}}}}
	var b bytes.Buffer
	printState(&b, s, now, "/home/ada")
	out := b.String()
	var lines []string // with the columns' padding collapsed
	for _, l := range strings.Split(out, "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	for _, want := range []string{
		"install     Clawdbot 2026.1.24-3 · catalog patch (21/21 URLs) · routed (/home/ada/bot/node_modules/clawdbot)",
		"install     OpenClaw 2026.9.6 · config route (~/.openclaw/openclaw.json) · NOT ROUTED (unpatched): models.providers.anthropic in /home/ada/.openclaw/openclaw.json has no apiKey (/g/openclaw)",
		"            fix: clawbridge re-applies it within seconds",
		"pi-ai patch pi-ai 0.49.3: 6/6 URLs patched (/x/models.generated.js)",
		"guard       /home/ada/.openclaw/agents/main/agent/auth-profiles.json: not read by the app: SQLite store /home/ada/.openclaw/agents/main/agent/openclaw-agent.sqlite, the config route's key is used",
	} {
		if !slices.Contains(lines, strings.Join(strings.Fields(want), " ")) {
			t.Errorf("no line %q in:\n%s", want, out)
		}
	}
	if strings.Count(out, "models.generated.js") != 1 || strings.Contains(out, "pinned") {
		t.Errorf("an install's catalog listed twice, or a key called pinned:\n%s", out)
	}

	b.Reset()
	printState(&b, &status.State{Started: now, Guard: status.GuardState{Enabled: true, Dirs: []status.GuardDirState{
		{Path: "/h/.clawdbot/agents/main/agent/auth-profiles.json", Missing: true, Held: true},
		{Path: "/h/.openclaw/agents/main/agent/auth-profiles.json", Missing: true}}}}, now, "/h")
	for _, want := range []string{"auth-profiles.json: none yet, nothing to guard", "auth-profiles.json: missing; the guard creates it"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in:\n%s", want, b.String())
		}
	}

	b.Reset()
	printState(&b, &status.State{Started: now, Patcher: status.PatcherState{Enabled: true}}, now, "/home/ada")
	if !strings.Contains(b.String(), "no Clawdbot/Moltbot/OpenClaw install found") {
		t.Errorf("without installs:\n%s", b.String())
	}
}
