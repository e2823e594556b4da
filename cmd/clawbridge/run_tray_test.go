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
			},
			want: tray.State{
				Translator:  tray.Translator{Enabled: true, Addr: "127.0.0.1:4000", Requests: 7},
				Backends:    []tray.Backend{{URL: "http://o:11434", Version: "0.17.4", Models: 4}},
				Patches:     []tray.Patch{{Target: "/p/models.generated.js", Patched: 21, Total: 21}},
				Guard:       tray.Guard{Enabled: true, Pinned: true, LastRestore: restore},
				Gateway:     tray.Gateway{Enabled: true, Running: true, Port: 18789},
				AutoRepatch: true, Notifications: true,
				Aliases: []tray.Alias{{Name: "claude-sonnet-4-5", Model: "a:1b", Choices: []tray.Choice{
					{Model: "a:1b", Tools: tray.Yes}, {Model: "b:1b", Tools: tray.No}, {Model: "c:1b", Tools: tray.Unknown}, {Model: "d:latest", Tools: tray.Yes}}},
					{Name: "claude-haiku-4-5", Model: "d:latest", Choices: []tray.Choice{
						{Model: "a:1b", Tools: tray.Yes}, {Model: "b:1b", Tools: tray.No}, {Model: "c:1b", Tools: tray.Unknown}, {Model: "d:latest", Tools: tray.Yes}}}},
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
			name: "guard with nothing to guard yet is not pinned",
			in:   status.State{Guard: status.GuardState{Enabled: true, Dirs: []status.GuardDirState{{Path: "/b", Missing: true, Held: true}}}},
			want: tray.State{Guard: tray.Guard{Enabled: true}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := trayState(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
