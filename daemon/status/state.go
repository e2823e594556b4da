// Package status holds the daemon's live state as plain values: what the
// daemon keeps, the admin endpoint serves as JSON, `clawbridge status`
// prints and the tray adapter turns into a menu. It imports nothing of the
// daemon, so a reader of the state does not link the daemon itself.
package status

import (
	"fmt"
	"slices"
	"time"
)

// State is the daemon's live state: what the tray shows, what `clawbridge
// status` prints (as JSON from the admin endpoint), and what notifications
// are derived from. It is a value: every change produces a new copy.
type State struct {
	Version    string    `json:"version"`
	PID        int       `json:"pid"`
	Started    time.Time `json:"started"`
	ConfigPath string    `json:"config_path"`
	LogPath    string    `json:"log_path,omitempty"`

	Translator TranslatorState `json:"translator"`
	Backends   []BackendState  `json:"backends"`
	Aliases    []AliasState    `json:"aliases"`
	Patcher    PatcherState    `json:"patcher"`
	Guard      GuardState      `json:"guard"`
	Gateway    GatewayState    `json:"gateway"`

	Notifications bool `json:"notifications"`
	StartAtLogin  bool `json:"start_at_login"`
	// Warmup is clawbridge.models.warmup: aliases' models are kept loaded.
	Warmup bool `json:"warmup"`
	// Pulls are the model pulls started through the daemon, the newest
	// last; finished ones stay until the next pull of the same model.
	Pulls []PullState `json:"pulls,omitempty"`

	// Files is the daemon's use of file descriptors, taken when the state
	// is asked for (the doctor shows it against the limit).
	Files FilesState `json:"files,omitzero"`

	// LastError is the most recent thing that went wrong, in words, for
	// the status line users read first.
	LastError     string    `json:"last_error,omitempty"`
	LastErrorTime time.Time `json:"last_error_time,omitzero"`
}

// FilesState is how many directories the daemon watches and how many
// files it holds open, against its limit (RLIMIT_NOFILE): on macOS each
// watched directory costs a descriptor for every entry in it.
type FilesState struct {
	Watched int `json:"watched"` // directories with an OS watch
	Polled  int `json:"polled"`  // missing directories looked for by polling
	Open    int `json:"open"`    // file descriptors open; 0 when unknown
	Limit   int `json:"limit"`   // the soft limit; 0 when unknown
}

// TranslatorState is the API server.
type TranslatorState struct {
	Enabled  bool   `json:"enabled"`
	Addr     string `json:"addr,omitempty"` // where it listens, when it does
	Requests int64  `json:"requests"`       // API requests served since start
	Err      string `json:"error,omitempty"`
}

// BackendState is one Ollama server named by the config, as last polled.
type BackendState struct {
	URL       string       `json:"url"`
	Reachable bool         `json:"reachable"`
	Version   string       `json:"version,omitempty"`
	Models    []ModelState `json:"models,omitempty"`
	// Loaded are the models in its memory now (/api/ps).
	Loaded  []LoadedModel `json:"loaded,omitempty"`
	Err     string        `json:"error,omitempty"`
	Checked time.Time     `json:"checked,omitzero"`
}

// ModelState is one model a backend has pulled.
type ModelState struct {
	Name string `json:"name"`
	// Tools is whether /api/show lists the tools capability; nil when
	// unknown (an old Ollama without capabilities).
	Tools *bool `json:"tools,omitempty"`
	ModelDetails
}

// AliasState is one model_name of the config and the model that answers it.
type AliasState struct {
	Name    string `json:"name"`
	Model   string `json:"model"`   // backend model, without the provider prefix
	Backend string `json:"backend"` // api_base
	Ollama  bool   `json:"ollama"`  // an ollama/ entry (the tray can switch those)
	// Load is whether the model is in memory, with the Memory it takes
	// when warm; Missing is set when the backend answers but has not
	// pulled the model.
	Load    ModelLoad `json:"load,omitempty"`
	Memory  int64     `json:"memory,omitempty"`
	Missing bool      `json:"missing,omitempty"`
	// Stats are its numbers over the last hour.
	Stats AliasStats `json:"stats,omitzero"`
}

// PatcherState is the patcher: every install found with its route, and
// every pi-ai catalog it looks after (those of the installs, and any
// found in a configured directory without an app package).
type PatcherState struct {
	Enabled  bool           `json:"enabled"` // re-apply after installs
	BaseURL  string         `json:"base_url"`
	Installs []InstallState `json:"installs"`
	Targets  []TargetState  `json:"targets"`
	Err      string         `json:"error,omitempty"`
}

// Loose are the catalogs no install owns: a pi-ai found in a configured
// directory without a Clawdbot or OpenClaw package beside it.
func (p PatcherState) Loose() []TargetState {
	var out []TargetState
	for _, t := range p.Targets {
		if !slices.ContainsFunc(p.Installs, func(i InstallState) bool { return i.Owns(t.File) }) {
			out = append(out, t)
		}
	}
	return out
}

// TargetState is one pi-ai catalog.
type TargetState struct {
	File    string `json:"file"`
	Version string `json:"version,omitempty"` // pi-ai's version
	URLs    int    `json:"urls"`              // Anthropic base URLs in the catalog
	Patched int    `json:"patched"`           // of those, pointing at clawbridge
	// Reapplied is when the patch was last re-applied after an install.
	Reapplied time.Time `json:"reapplied,omitzero"`
	Err       string    `json:"error,omitempty"`
}

// Unpatched says why the catalog does not point at clawbridge, in words
// for the user, or "" when it does: the gateway waits on it, and "Re-patch
// now" reports it.
func (t TargetState) Unpatched() string {
	switch {
	case t.Err != "":
		return t.Err
	case t.URLs == 0:
		return "no Anthropic base URL found in it"
	case t.Patched != t.URLs:
		return fmt.Sprintf("%d of %d Anthropic base URLs point at clawbridge", t.Patched, t.URLs)
	}
	return ""
}

// GuardState is the auth-profiles guard.
type GuardState struct {
	Enabled     bool            `json:"enabled"`
	Key         string          `json:"key,omitempty"` // masked
	Dirs        []GuardDirState `json:"dirs"`
	LastRestore time.Time       `json:"last_restore,omitzero"`
	Err         string          `json:"error,omitempty"`
}

// GuardDirState is one Clawdbot agent directory.
type GuardDirState struct {
	Path    string `json:"path"` // its auth-profiles.json
	Missing bool   `json:"missing,omitempty"`
	Held    bool   `json:"held"`
	Using   string `json:"using,omitempty"` // the profile Clawdbot would use
	// Unread is the SQLite database the app reads instead of this file
	// (OpenClaw 2026.6 and later), where the config route's key is what
	// counts: nothing claims the key pinned here. "" when the app reads
	// the file. Problems beside it are a legacy JSON store the app
	// refuses until it is migrated.
	Unread   string   `json:"unread,omitempty"`
	Problems []string `json:"problems,omitempty"`
	Err      string   `json:"error,omitempty"`
}

// GatewayState is the supervised Clawdbot gateway.
type GatewayState struct {
	Enabled  bool   `json:"enabled"`
	Running  bool   `json:"running"`
	PID      int    `json:"pid,omitempty"`
	Port     int    `json:"port,omitempty"`
	Restarts int    `json:"restarts"`
	LogPath  string `json:"log_path,omitempty"`
	Err      string `json:"error,omitempty"`
	// TUICommand is how to open Clawdbot's terminal UI against it.
	TUICommand string `json:"tui_command,omitempty"`
}

// Healthy reports whether nothing needs the user's attention: the
// translator serves (or is off on purpose), every backend answers, every
// install is routed, the guard holds and the gateway runs when enabled.
func (s *State) Healthy() bool {
	if s.Translator.Err != "" || s.Patcher.Err != "" || s.Guard.Err != "" {
		return false
	}
	for _, b := range s.Backends {
		if !b.Reachable {
			return false
		}
	}
	for _, t := range s.Patcher.Targets {
		if t.Err != "" || (s.Patcher.Enabled && t.Patched != t.URLs) {
			return false
		}
	}
	for _, i := range s.Patcher.Installs {
		if i.State == RouteError || (s.Patcher.Enabled && !i.Routed()) {
			return false
		}
	}
	if s.Guard.Enabled {
		for _, d := range s.Guard.Dirs {
			if d.Err != "" || (d.Unread == "" && !d.Held) || (d.Unread != "" && len(d.Problems) > 0) {
				return false
			}
		}
	}
	if s.Gateway.Enabled && !s.Gateway.Running {
		return false
	}
	return true
}

// Clone returns a copy of s that shares no slice with it, so that a copy
// handed to a subscriber cannot change under the daemon's lock.
func (s State) Clone() State {
	s.Backends = slices.Clone(s.Backends)
	s.Aliases = slices.Clone(s.Aliases)
	s.Pulls = slices.Clone(s.Pulls)
	for i := range s.Backends {
		s.Backends[i].Loaded = slices.Clone(s.Backends[i].Loaded)
		s.Backends[i].Models = slices.Clone(s.Backends[i].Models)
	}
	s.Patcher.Targets = slices.Clone(s.Patcher.Targets)
	s.Patcher.Installs = slices.Clone(s.Patcher.Installs)
	for i := range s.Patcher.Installs {
		s.Patcher.Installs[i].Catalogs = slices.Clone(s.Patcher.Installs[i].Catalogs)
	}
	s.Guard.Dirs = slices.Clone(s.Guard.Dirs)
	return s
}
