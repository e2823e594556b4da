package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/tray"
)

func TestTrayState(t *testing.T) {
	yes, no := true, false
	restore := time.Date(2026, 11, 25, 14, 5, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   status.State
		want tray.State
	}{
		{
			name: "healthy",
			in: status.State{
				ConfigPath: "/c.yaml", LogPath: "/logs",
				Translator: status.TranslatorState{Enabled: true, Addr: "127.0.0.1:4000", Requests: 7},
				Backends: []status.BackendState{{URL: "http://o:11434", Reachable: true, Version: "0.17.4",
					Models: []status.ModelState{{Name: "a:1b", Tools: &yes}, {Name: "b:1b", Tools: &no}, {Name: "c:1b"}, {Name: "d:latest", Tools: &yes}}}},
				Aliases: []status.AliasState{{Name: "claude-sonnet-4-5", Model: "a:1b", Backend: "http://o:11434", Ollama: true},
					{Name: "claude-haiku-4-5", Model: "d", Backend: "http://o:11434", Ollama: true},
					{Name: "gpt", Model: "x", Backend: "http://vllm", Ollama: false}},
				Patcher: status.PatcherState{Enabled: true, Targets: []status.TargetState{{File: "/p/models.generated.js", URLs: 21, Patched: 21}}},
				Guard: status.GuardState{Enabled: true, LastRestore: restore, Dirs: []status.GuardDirState{
					{Path: "/a", Held: true}, {Path: "/b", Missing: true, Held: true}}},
				Gateway:       status.GatewayState{Enabled: true, Running: true, Port: 18789, TUICommand: "node x tui"},
				Notifications: true,
				Warmup:        true,
			},
			want: tray.State{
				Translator:  tray.Translator{Enabled: true, Addr: "127.0.0.1:4000", Requests: 7},
				Backends:    []tray.Backend{{URL: "http://o:11434", Version: "0.17.4", Models: 4}},
				Patches:     []tray.Patch{{Target: "/p/models.generated.js", Patched: 21, Total: 21}},
				Guard:       tray.Guard{Enabled: true, Pinned: true, LastRestore: restore},
				Gateway:     tray.Gateway{Enabled: true, Running: true, Port: 18789},
				AutoRepatch: true, Notifications: true, Warmup: true,
				Aliases: []tray.Alias{{Name: "claude-sonnet-4-5", Model: "a:1b", Choices: []tray.Choice{
					{Model: "a:1b", Tools: tray.Yes}, {Model: "b:1b", Tools: tray.No}, {Model: "c:1b", Tools: tray.Unknown}, {Model: "d:latest", Tools: tray.Yes}}},
					{Name: "claude-haiku-4-5", Model: "d:latest", Choices: []tray.Choice{
						{Model: "a:1b", Tools: tray.Yes}, {Model: "b:1b", Tools: tray.No}, {Model: "c:1b", Tools: tray.Unknown}, {Model: "d:latest", Tools: tray.Yes}}}},
				Unmapped:   []tray.Choice{{Model: "b:1b", Tools: tray.No}, {Model: "c:1b", Tools: tray.Unknown}},
				ConfigPath: "/c.yaml", LogPath: "/logs", TUICommand: "node x tui",
			},
		},
		{
			name: "troubles",
			in: status.State{
				Translator: status.TranslatorState{Enabled: true, Err: "127.0.0.1:4000 is already in use"},
				Backends:   []status.BackendState{{URL: "http://o:11434", Err: "connection refused"}},
				Patcher:    status.PatcherState{Err: "watch: too many open files"},
				Guard:      status.GuardState{Enabled: true, Dirs: []status.GuardDirState{{Path: "/a", Held: false, Err: "permission denied"}}},
			},
			want: tray.State{
				Translator: tray.Translator{Enabled: true, Err: "127.0.0.1:4000 is already in use"},
				Backends:   []tray.Backend{{URL: "http://o:11434", Err: "connection refused"}},
				Patches:    []tray.Patch{{Err: "watch: too many open files"}},
				Guard:      tray.Guard{Enabled: true, Err: "permission denied"},
			},
		},
		{
			name: "one line per install; its catalogs are not listed again",
			in: status.State{Patcher: status.PatcherState{Enabled: true,
				Installs: []status.InstallState{
					{App: "clawdbot", Version: "2026.1.24-3", Dir: "/w/node_modules/clawdbot", Route: "catalog patch",
						Catalogs: []string{"/w/pi/models.generated.js"}, URLs: 21, Patched: 21, State: status.RouteRouted},
					{App: "openclaw", Version: "2026.9.6", Dir: "/g/openclaw", Route: "config route", Config: "/home/ada/.openclaw/openclaw.json",
						State: status.RouteUnpatched, Problem: "no block", Fix: "run clawbridge patch"}},
				Targets: []status.TargetState{{File: "/w/pi/models.generated.js", URLs: 21, Patched: 21}, {File: "/x/models.generated.js", URLs: 6}}}},
			want: tray.State{AutoRepatch: true,
				Installs: []tray.Install{
					{Name: "Clawdbot 2026.1.24-3", Dir: "/w/node_modules/clawdbot", Route: "catalog patch (21/21 URLs)", Routed: true},
					{Name: "OpenClaw 2026.9.6", Dir: "/g/openclaw", Route: "config route (~/.openclaw/openclaw.json)", Problem: "no block", Fix: "run clawbridge patch"}},
				Patches: []tray.Patch{{Target: "/x/models.generated.js", Total: 6}}},
		},
		{
			name: "a JSON store the app no longer reads is never shown pinned",
			in: status.State{Guard: status.GuardState{Enabled: true, Dirs: []status.GuardDirState{
				{Path: "/h/.openclaw/agents/main/agent/auth-profiles.json", Held: true, Unread: "its auth store is openclaw-agent.sqlite"}}}},
			want: tray.State{Guard: tray.Guard{Enabled: true, Unread: true}},
		},
		{
			name: "a legacy JSON store beside SQLite is the guard's problem",
			in: status.State{Guard: status.GuardState{Enabled: true, Dirs: []status.GuardDirState{
				{Path: "/h/a.json", Unread: "/h/openclaw-agent.sqlite", Problems: []string{"OpenClaw refuses it until migrated"}}}}},
			want: tray.State{Guard: tray.Guard{Enabled: true, Unread: true, Err: "OpenClaw refuses it until migrated"}},
		},
		{
			name: "guard with nothing to guard yet is not pinned",
			in:   status.State{Guard: status.GuardState{Enabled: true, Dirs: []status.GuardDirState{{Path: "/b", Missing: true, Held: true}}}},
			want: tray.State{Guard: tray.Guard{Enabled: true}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := trayState(tc.in, "/home/ada"); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
