package tray

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// ErrUnavailable is what Run returns, at once, where no tray can be shown:
// a build without the real tray, or a Linux session without a session bus.
// The caller then runs headless.
var ErrUnavailable = errors.New("tray: no menu bar here")

// Toggle names a checkbox of the menu. The values are stable so the daemon
// can map them to config keys.
type Toggle string

// The menu's checkboxes.
const (
	ToggleTranslator    Toggle = "translator"
	ToggleAutoRepatch   Toggle = "auto_repatch"
	ToggleGuard         Toggle = "guard"
	ToggleNotifications Toggle = "notifications"
	ToggleGateway       Toggle = "gateway"
	ToggleStartAtLogin  Toggle = "start_at_login"
	// ToggleWarmup keeps the aliases' models loaded (the config's
	// clawbridge.models.warmup).
	ToggleWarmup Toggle = "warmup"
)

// State is everything the menu shows. The daemon sends a fresh copy on
// every change; the menu never reaches into the daemon for more.
type State struct {
	Translator Translator
	// Backends are the Ollama servers the config names, in config order.
	Backends []Backend
	// Installs are the Clawdbot/OpenClaw installs found, each with its
	// route; Patches the pi-ai catalogs no install owns.
	Installs []Install
	Patches  []Patch
	Guard    Guard
	Gateway  Gateway

	// AutoRepatch, Notifications and StartAtLogin are the plain switches;
	// Warmup is "Keep models warm".
	AutoRepatch, Notifications, StartAtLogin, Warmup bool

	// Aliases are the Claude model names of the config, each with the local
	// models it may be switched to.
	Aliases []Alias
	// Unmapped are the models the backends have pulled that no alias
	// uses; Pulls the pulls running or just ended.
	Unmapped []Choice
	Pulls    []Pull

	// ConfigPath and LogPath are opened by "Open config" and "Open logs";
	// TUICommand is what "Copy TUI command" copies. Empty disables the item.
	ConfigPath, LogPath, TUICommand string

	// Stopped says why clawbridge is not running although the process is:
	// it could not start (the port held by another program, a config that
	// does not load, another instance) and waits for the fix. The menu
	// then shows only that, the way out, and the config and logs.
	Stopped string

	// Result is the answer to the last thing the user asked for from the
	// menu (the doctor's summary, an action that failed, the command that
	// was copied). The menu fills it in itself and shows it near the top.
	Result Result

	// At is when the daemon took this snapshot: times in the menu are shown
	// relative to it, and a guard restore shortly before it marks the icon
	// for attention. Zero means "when the menu received it"; while no new
	// state comes, the menu moves it forward each minute.
	At time.Time
}

// Result is what the menu answered to a click; the zero value shows
// nothing.
type Result struct {
	Title, Message string
	At             time.Time
}

// Translator is the Anthropic-compatible API's state.
type Translator struct {
	Enabled bool
	// Addr is the host:port it listens on.
	Addr string
	// Requests counts the requests served since start.
	Requests int64
	// Err says why it is not serving although enabled ("" when fine).
	Err string
}

// Backend is one Ollama server.
type Backend struct {
	URL     string
	Version string
	// Models is how many models it has pulled.
	Models int
	// Err says why it is unreachable; "" means it answered.
	Err string
}

// Patch is the pi-ai patch of one install.
type Patch struct {
	// Target is the pi-ai package directory.
	Target string
	// Patched of Total Anthropic base URLs point at the translator.
	Patched, Total int
	// Reapplied is when the patch was last put back after an install; zero
	// if it never had to be.
	Reapplied time.Time
	// Err says why the patch failed ("" when fine).
	Err string
}

// Install is one Clawdbot, Moltbot or OpenClaw install and its route.
type Install struct {
	// Name is the app and version: "OpenClaw 2026.9.6"; Dir where it is.
	Name, Dir string
	// Route is what routes it: "catalog patch (21/21 URLs)", "config route
	// (~/.openclaw/openclaw.json)".
	Route string
	// Routed: the route is in place. Otherwise Problem says why not and
	// Fix what to do.
	Routed       bool
	Problem, Fix string
	// Reapplied is when the route was last put back; zero if never.
	Reapplied time.Time
}

// Guard is the auth-profiles guard's state.
type Guard struct {
	Enabled bool
	// Pinned: auth-profiles.json holds the local key now.
	Pinned bool
	// Unread: the only auth stores found are JSON files the app no
	// longer reads (it moved to SQLite), so nothing is pinned or needed.
	Unread bool
	// LastRestore is when the guard last had to put the key back; zero if
	// never.
	LastRestore time.Time
	Err         string
}

// Gateway is the supervised Clawdbot gateway; its line shows only when
// enabled.
type Gateway struct {
	Enabled bool
	Running bool
	Port    int
	Err     string
}

// Alias is a Claude model name clients ask for and the local model that
// answers it.
type Alias struct {
	// Name is the alias, e.g. "claude-sonnet-4-5".
	Name string
	// Model is the backend model it maps to now, e.g. "llama3.1:70b".
	Model string
	// Choices are the models the alias's backend has, in the order to list.
	Choices []Choice
	// Load says whether the model is in memory: "warm (1.2 GB)",
	// "loading", "cold"; "" when unknown.
	Load string
	// Missing: the backend answers but has not pulled Model, which the
	// menu then offers to pull.
	Missing bool
	// Numbers are the alias's requests over the last hour in one line;
	// "" hides the line.
	Numbers string
}

// Pull is a pull of a model into a backend.
type Pull struct {
	Model string
	// Line says how far it is or how it ended: "pulling qwen3:8b: 42%
	// (2.1 GB of 5.2 GB)".
	Line string
	// Running: it can still be cancelled.
	Running bool
}

// Choice is a model an alias can be switched to.
type Choice struct {
	Model string
	// Detail is what the backend says of the model: "8.2B · Q4_K_M ·
	// 5.2 GB · 40k context"; "" when unknown.
	Detail string
	// Thinking and Vision are the model's other marked capabilities.
	Thinking, Vision Capability
	// Tools says whether the model can call tools; the menu marks models
	// that cannot, since Clawdbot needs tool calls.
	Tools Capability
}

// Capability is a yes/no that may not be known yet (the backend's
// /api/show has not been asked, or did not say).
type Capability int

// The values of a Capability; the zero value is Unknown.
const (
	Unknown Capability = iota
	Yes
	No
)

// Actions are what clicks do; the daemon supplies them. A nil func leaves
// its item disabled. Each runs on its own goroutine, so a slow one does
// not freeze the menu; an error it returns is shown through Notify.
type Actions struct {
	// SetToggle switches a checkbox's setting and persists it.
	SetToggle func(ctx context.Context, t Toggle, on bool) error
	// SetAliasModel points alias at model in the config.
	SetAliasModel func(ctx context.Context, alias, model string) error
	// Pull starts pulling the model alias names into its backend, and
	// CancelPull stops the pull of model.
	Pull       func(ctx context.Context, alias string) error
	CancelPull func(ctx context.Context, model string) error
	// Repatch patches every pi-ai install now.
	Repatch func(ctx context.Context) error
	// Doctor checks the setup; its summary is shown as a notification.
	Doctor func(ctx context.Context) (summary string, ok bool)
	// Notify shows the user the result of an action (an error, the doctor's
	// summary, "copied"). Without it results go to the log only.
	Notify func(title, message string)
	// Quit is called when the user picks Quit, before Run returns.
	Quit func()
}

// Options configure Run.
type Options struct {
	// Initial is shown as soon as the menu appears.
	Initial State
	// States brings every later state; nil means the state never changes.
	States  <-chan State
	Actions Actions
	// Logger receives the menu's log lines; nil means slog.Default().
	Logger *slog.Logger
	// OnExit runs when the tray ends, however it ends: Quit, ctx, or (on
	// macOS) the app being terminated at logout. On macOS the process
	// exits right after it returns, so cleanup that must happen (stopping
	// the daemon) belongs here, bounded in time.
	OnExit func()
}
