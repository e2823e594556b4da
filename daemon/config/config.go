// Package config reads clawbridge's config.yaml, which is a LiteLLM proxy
// config (model_list, general_settings, litellm_settings) plus a
// `clawbridge:` section for settings only clawbridge has.
//
// Being LiteLLM-compatible lets users move an existing LiteLLM setup over
// unchanged, so the package accepts what LiteLLM accepts: keys clawbridge
// does not use are kept and ignored (listed in Config.Ignored), and string
// values of the form os.environ/NAME are read from the environment. Values
// clawbridge does use are checked strictly, and every problem is reported
// as "file:line: key: what is wrong".
//
// The package also edits the file for the tray (SetAliasModel, SetSetting)
// by changing only the bytes of the edited value, so the user's comments
// and layout survive. The long-running commands start from it with Open,
// the one-shot ones read it with LoadOrDefault, and both choose the
// translator's address with ListenAddr; what the components run with,
// derived from it, is in the settings subpackage.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/clawbridge/clawbridge/assets"
	"go.yaml.in/yaml/v3"
)

// DefaultListen is the translator's address when clawbridge.listen is not
// set: loopback only, on LiteLLM's customary port, so clients configured for
// a local LiteLLM proxy reach clawbridge without changes.
const DefaultListen = "127.0.0.1:4000"

// DefaultOllamaBase is where ollama/ models are served when api_base is not
// set: Ollama's own default address.
const DefaultOllamaBase = "http://127.0.0.1:11434"

// Config is the whole file. Unknown keys anywhere are kept in the node tree
// and listed in Ignored, never fatal, because LiteLLM configs carry many keys
// (rpm, timeouts, router settings) that clawbridge has no use for.
type Config struct {
	ModelList       []ModelEntry    `yaml:"model_list"`
	GeneralSettings GeneralSettings `yaml:"general_settings"`
	LiteLLMSettings LiteLLMSettings `yaml:"litellm_settings"`
	Clawbridge      Settings        `yaml:"clawbridge"`

	// Path is the file the config was read from, "" if parsed from bytes.
	Path string `yaml:"-"`
	// Ignored lists the keys present in the file that clawbridge does not
	// use, as "file:line: key", so the daemon can mention them at debug level
	// (a misspelt key is otherwise silently without effect).
	Ignored []string `yaml:"-"`

	doc *yaml.Node // the parsed document, kept for editing
}

// ModelEntry is one item of model_list: a name clients ask for and the
// backend model that answers it.
type ModelEntry struct {
	ModelName     string        `yaml:"model_name"`
	LiteLLMParams LiteLLMParams `yaml:"litellm_params"`
	ModelInfo     ModelInfo     `yaml:"model_info"`

	// Line is the entry's line in the file, for messages.
	Line int `yaml:"-"`
}

// LiteLLMParams says which backend model serves an entry and how to reach
// it. Only the LiteLLM keys clawbridge acts on are fields.
type LiteLLMParams struct {
	// Model is "<provider>/<backend model>", e.g. "ollama/llama3.1:8b".
	Model string `yaml:"model"`
	// APIBase is the backend's URL; empty means DefaultOllamaBase for Ollama.
	APIBase string `yaml:"api_base"`
	// APIKey is sent to OpenAI-compatible backends.
	APIKey string `yaml:"api_key"`
	// DropParams, when true, drops request parameters the backend cannot
	// honour instead of rejecting the request. Nil inherits
	// litellm_settings.drop_params.
	DropParams *bool `yaml:"drop_params"`
	// NumCtx is Ollama's context window in tokens for every request. 0
	// lets the translator size it per request: large enough for the prompt
	// and max_tokens, capped by the model's context length.
	NumCtx int `yaml:"num_ctx"`
	// Timeout is LiteLLM's per-request timeout in seconds; 0 means none.
	Timeout float64 `yaml:"timeout"`
	// MaxParallelRequests bounds the requests this entry's backend model
	// answers at once (LiteLLM's key of the same name). A request that
	// finds it full goes to another entry of the same model_name, or
	// waits in the translator's queue (TranslatorSettings.QueueLength).
	// 0 means the translator's default (16).
	MaxParallelRequests int `yaml:"max_parallel_requests"`
	// RepairToolCalls (clawbridge only): nil or true turns a tool call that
	// the model wrote as text (a JSON block, <tool_call> tags) into a real
	// tool call when it names an offered tool and its arguments fit the
	// tool's schema; false passes such text through untouched.
	RepairToolCalls *bool `yaml:"repair_tool_calls"`
	// KeepAlive is how long Ollama keeps the model loaded after a request
	// (LiteLLM's keep_alive for Ollama): a duration such as "30m" or "2h",
	// a number of seconds, or -1 for as long as Ollama runs. Empty means
	// Ollama's default (5 minutes), or forever with clawbridge.models.warmup.
	KeepAlive string `yaml:"keep_alive"`
}

// ModelInfo describes what a backend model can do, for models whose
// capabilities clawbridge cannot ask the backend about. Nil means unknown.
type ModelInfo struct {
	SupportsFunctionCalling *bool `yaml:"supports_function_calling"`
	SupportsVision          *bool `yaml:"supports_vision"`
	SupportsReasoning       *bool `yaml:"supports_reasoning"`
	// MaxInputTokens and MaxOutputTokens are advertised limits; 0 is unknown.
	MaxInputTokens  int `yaml:"max_input_tokens"`
	MaxOutputTokens int `yaml:"max_output_tokens"`
}

// GeneralSettings holds LiteLLM's proxy-wide settings that clawbridge uses.
type GeneralSettings struct {
	// MasterKey is the key clients must present; empty accepts any key.
	MasterKey string `yaml:"master_key"`
}

// LiteLLMSettings holds LiteLLM's library-wide defaults that clawbridge uses.
type LiteLLMSettings struct {
	// DropParams is the default for entries that do not set drop_params.
	DropParams *bool `yaml:"drop_params"`
}

// Settings is the `clawbridge:` section. New settings are new fields with a
// yaml tag (nested structs for groups such as patcher or tray); the decoder
// reads any field of type string, bool, *bool, int, float64, struct or slice
// of those, with line-numbered errors, and SetSetting can write them.
type Settings struct {
	// Listen is the translator's host:port; default DefaultListen.
	Listen string `yaml:"listen"`
	// Translator switches the API on and off (the tray's "Translator"
	// toggle) without stopping the rest of the daemon.
	Translator TranslatorSettings `yaml:"translator"`
	// Patcher says where pi-ai's model catalog is patched.
	Patcher PatcherSettings `yaml:"patcher"`
	// Guard pins Clawdbot's auth-profiles.json to the local key.
	Guard GuardSettings `yaml:"guard"`
	// Notifications are the desktop notifications the daemon sends.
	Notifications NotificationSettings `yaml:"notifications"`
	// Gateway is the optional supervised Clawdbot gateway.
	Gateway GatewaySettings `yaml:"gateway"`
	// Models are the warm-up and pull settings of the backend models.
	Models ModelSettings `yaml:"models"`
	// Admin is the loopback admin endpoint (status, pulls, /metrics).
	Admin AdminSettings `yaml:"admin"`
}

// TranslatorSettings tune the translator as a whole.
type TranslatorSettings struct {
	// Enabled: nil or true serves the API; false closes the port.
	Enabled *bool `yaml:"enabled"`
	// MaxNumCtx bounds the num_ctx the translator picks on its own for
	// models without litellm_params.num_ctx, so that a request with a huge
	// max_tokens cannot make Ollama allocate more memory than the machine
	// has. 0 means the model's own context length is the only bound.
	MaxNumCtx int `yaml:"max_num_ctx"`
	// StreamIdleTimeout is how many seconds a backend may send nothing
	// (no first chunk, or nothing more) before the request fails with a
	// timeout_error, so a hung model server cannot hold a client, which
	// the translator keeps alive with pings, forever. The same bound
	// applies to a client that stops reading an answer. Nil means
	// DefaultStreamIdleTimeout; 0 means no bound.
	StreamIdleTimeout *float64 `yaml:"stream_idle_timeout"`
	// QueueLength and QueueTimeout bound the wait for a free slot when
	// every backend of a model_name answers its max_parallel_requests
	// already (queue.go).
	QueueLength  *int     `yaml:"queue_length"`
	QueueTimeout *float64 `yaml:"queue_timeout"`
	// AllowedHosts are extra names clients may use in the Host header to
	// reach the translator (say mybox.lan when listening on 0.0.0.0).
	// Loopback names, IP addresses, the listen host and, when listening
	// on every interface, this machine's host name are always allowed;
	// any other name is refused so that a web page cannot reach the API
	// through DNS rebinding.
	AllowedHosts []string `yaml:"allowed_hosts"`
}

// DefaultStreamIdleTimeout is clawbridge.translator.stream_idle_timeout
// when the config does not set it: three times as long as Ollama itself
// lets a model load stall (OLLAMA_LOAD_TIMEOUT, 5 minutes), because
// loading a large model and then reading a long prompt, which Ollama does
// not bound, legitimately sends nothing for longer than that; a bound
// equal to OpenClaw's own 300 s first-event watchdog would fail the turns
// clawbridge's pings are there to save (docs/comparison.md).
const DefaultStreamIdleTimeout = 15 * time.Minute

// IdleTimeout returns the stream idle timeout in effect; 0 means none.
func (t TranslatorSettings) IdleTimeout() time.Duration {
	if t.StreamIdleTimeout == nil {
		return DefaultStreamIdleTimeout
	}
	return time.Duration(*t.StreamIdleTimeout * float64(time.Second))
}

// PatcherSettings configure the pi-ai patch. Empty values mean: search the
// usual Clawdbot/OpenClaw install places and global node_modules.
type PatcherSettings struct {
	// Enabled: nil or true patches at start and re-applies the patch after
	// every install; false leaves pi-ai alone.
	Enabled *bool `yaml:"enabled"`
	// Dirs are the Clawdbot installs (or any directories holding
	// node_modules) to patch, in addition to what is found on its own.
	Dirs []string `yaml:"dirs"`
	// Global: nil or true also patches global npm/pnpm/Homebrew installs.
	Global *bool `yaml:"global"`
	// BaseURL is what pi-ai's Anthropic baseUrl becomes; empty means the
	// translator's own address.
	BaseURL string `yaml:"base_url"`
}

// GuardSettings configure the auth-profiles guard.
type GuardSettings struct {
	// Enabled: nil or true guards; false leaves auth-profiles.json alone.
	Enabled *bool `yaml:"enabled"`
	// Key is the local API key the anthropic profile must hold; empty means
	// general_settings.master_key, else "sk-clawbridge-local".
	Key string `yaml:"key"`
	// StateDirs are Clawdbot state directories (~/.clawdbot) to guard in
	// addition to those found on their own.
	StateDirs []string `yaml:"state_dirs"`
}

// NotificationSettings configure desktop notifications.
type NotificationSettings struct {
	// Enabled: nil or true sends them; false keeps the daemon quiet.
	Enabled *bool `yaml:"enabled"`
}

// GatewaySettings configure the supervised Clawdbot gateway, off unless
// Enabled is true.
type GatewaySettings struct {
	Enabled bool `yaml:"enabled"`
	// Dir is the Clawdbot checkout or install whose dist/index.js runs; empty
	// means the first Clawdbot install the patcher found.
	Dir string `yaml:"dir"`
	// Command replaces the default command line (node <dir>/dist/index.js
	// gateway --port <port> --allow-unconfigured). It is an argument list,
	// never run through a shell.
	Command []string `yaml:"command"`
	// Port is the gateway's port; default 18789.
	Port int `yaml:"port"`
}

// On reports whether an optional switch is on: unset means on, because
// every switch with a *bool defaults to the behaviour users want.
func On(b *bool) bool { return b == nil || *b }

// Parse reads a config from data. name is used in error messages (usually
// the file name). Problems are returned together as an *Error.
func Parse(data []byte, name string) (*Config, error) {
	return parse(data, name, os.LookupEnv)
}

// Load reads and parses the config file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	cfg, err := Parse(data, path)
	if err != nil {
		return nil, err
	}
	cfg.Path = path
	return cfg, nil
}

// DefaultPath is where clawbridge keeps its config when not told otherwise:
// clawbridge/config.yaml in the user's config directory (~/.config on Linux,
// ~/Library/Application Support on macOS).
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find config directory: %w", err)
	}
	return filepath.Join(dir, "clawbridge", "config.yaml"), nil
}

// LoadOrCreate loads path, first writing the commented default config there
// if the file does not exist, so a first start works and leaves the user a
// documented file to edit. The file may come to hold a key, so it is created
// 0600 in a 0700 directory.
func LoadOrCreate(path string) (cfg *Config, created bool, err error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, false, fmt.Errorf("create config: %w", err)
		}
		if err := writeConfig(path, assets.DefaultConfig, true); err != nil {
			return nil, false, fmt.Errorf("create config: %w", err)
		}
		created = true
	} else if err != nil {
		return nil, false, fmt.Errorf("read config: %w", err)
	}
	cleanTemps(path)
	cfg, err = Load(path)
	return cfg, created, err
}
