package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/assets"
	"github.com/clawbridge/clawbridge/daemon/golden"
)

// testEnv is the environment the golden files are parsed with, so they do
// not depend on the machine's.
var testEnv = map[string]string{
	"OLLAMA_URL":            "http://127.0.0.1:11434",
	"VLLM_KEY":              "vllm-secret",
	"CLAWBRIDGE_MASTER_KEY": "sk-from-env",
	"BAD_URL":               "not a url",
	"CLAWBRIDGE_TEST_EMPTY": "",
}

func lookupTestEnv(name string) (string, bool) {
	v, ok := testEnv[name]
	return v, ok
}

func parseFile(t *testing.T, file string) (*Config, error) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return parse(data, "config.yaml", lookupTestEnv)
}

func TestLiteLLMConfigUnchanged(t *testing.T) {
	cfg, err := parseFile(t, "testdata/litellm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GeneralSettings.MasterKey != "sk-litellm-local" {
		t.Errorf("master_key = %q", cfg.GeneralSettings.MasterKey)
	}
	if cfg.Clawbridge.Listen != DefaultListen {
		t.Errorf("listen = %q, want the default %q", cfg.Clawbridge.Listen, DefaultListen)
	}
	r, err := cfg.Route("claude-haiku-4-5")
	if err != nil {
		t.Fatal(err)
	}
	tr := true
	want := Deployment{
		Provider: "ollama", Model: "llama3.1:8b", APIBase: "http://100.121.61.16:11434",
		DropParams: true, SupportsFunctionCalling: &tr, Line: 2,
	}
	if len(r.Deployments) != 1 || !sameDeployment(r.Deployments[0], want) {
		t.Errorf("Route = %+v, want one deployment %+v", r.Deployments, want)
	}
}

func sameDeployment(a, b Deployment) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// TestFullConfig pins how every key clawbridge reads is decoded, including
// anchors and merges, environment values, and ignored LiteLLM keys.
func TestFullConfig(t *testing.T) {
	cfg, err := parseFile(t, "testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]*Route{}
	for _, name := range cfg.ModelNames() {
		if routes[name], err = cfg.Route(name); err != nil {
			t.Fatal(err)
		}
	}
	got, err := json.MarshalIndent(struct {
		Config *Config
		Routes map[string]*Route
	}{cfg, routes}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "full.golden.json"), append(got, '\n'))
}

// TestInvalidConfigs checks each testdata/invalid/*.yaml fails with the
// text in the matching .err file: every problem, with its line and key.
func TestInvalidConfigs(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no invalid configs found: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			_, err := parseFile(t, file)
			if err == nil {
				t.Fatal("parsed without error")
			}
			var cerr *Error
			if !errors.As(err, &cerr) || len(cerr.Problems) == 0 {
				t.Fatalf("error %T %v, want *Error with problems", err, err)
			}
			golden.Check(t, filepath.Join("testdata", "invalid", name+".err"), []byte(err.Error()+"\n"))
		})
	}
}

func TestParseValues(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		check func(*Config) bool
	}{
		{"empty file", "", func(c *Config) bool { return len(c.ModelList) == 0 && c.Clawbridge.Listen == DefaultListen }},
		{"only comments", "# nothing yet\n", func(c *Config) bool { return len(c.ModelList) == 0 }},
		{"empty sections", "model_list:\ngeneral_settings:\nclawbridge:\n", func(c *Config) bool { return c.Clawbridge.Listen == DefaultListen }},
		{"listen on all interfaces", "clawbridge: {listen: ':4000'}", func(c *Config) bool { return c.Clawbridge.Listen == ":4000" }},
		{"listen on host name", "clawbridge: {listen: 'my-mac.local:4000'}", func(c *Config) bool { return c.Clawbridge.Listen == "my-mac.local:4000" }},
		{"yaml 1.1 booleans", "litellm_settings: {drop_params: off}", func(c *Config) bool { return c.LiteLLMSettings.DropParams != nil && !*c.LiteLLMSettings.DropParams }},
		{"capitalised boolean", "litellm_settings: {drop_params: True}", func(c *Config) bool { return *c.LiteLLMSettings.DropParams }},
		{"null leaves pointer nil", "litellm_settings: {drop_params: null}", func(c *Config) bool { return c.LiteLLMSettings.DropParams == nil }},
		{"numeric model_name", "model_list: [{model_name: 4, litellm_params: {model: ollama/x}}]", func(c *Config) bool { return c.ModelList[0].ModelName == "4" }},
		{"unknown keys listed", "model_list:\n  - model_name: a\n    litellm_params: {model: ollama/x, rpm: 3}\nfoo: 1\n", func(c *Config) bool {
			return strings.Join(c.Ignored, "|") == "config.yaml:3: model_list[0].litellm_params.rpm|config.yaml:4: foo"
		}},
		{"merge from a list of anchors", "a: &a {model: ollama/a, num_ctx: 1}\nb: &b {num_ctx: 2, api_key: k}\nmodel_list:\n  - model_name: m\n    litellm_params: {<<: [*a, *b]}\n", func(c *Config) bool {
			p := c.ModelList[0].LiteLLMParams
			return p.Model == "ollama/a" && p.NumCtx == 1 && p.APIKey == "k"
		}},
		{"entry lines", "model_list:\n  - model_name: a\n    litellm_params: {model: ollama/x}\n\n  - model_name: b\n    litellm_params: {model: ollama/x}\n", func(c *Config) bool {
			return c.ModelList[0].Line == 2 && c.ModelList[1].Line == 5
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parse([]byte(tt.yaml), "config.yaml", lookupTestEnv)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(cfg) {
				t.Errorf("unexpected config: %+v", cfg)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"clawbridge: {listen: '127.0.0.1:0'}", `config.yaml:1: clawbridge.listen: "127.0.0.1:0" has an invalid port`},
		{"clawbridge: {listen: 'bad_host:4000'}", `has an invalid host`},
		{"clawbridge: {listen: 4000}", `"4000" is not a host:port address`},
		{"clawbridge: [a]", `config.yaml:1: clawbridge: want a mapping of keys, got a list`},
		{"just text", `config.yaml:1: want a mapping with model_list`},
		{"model_list: [{model_name: a, litellm_params: {model: ollama/x, api_base: 'http://h:1/?q=1'}}]", `must not have a query or fragment`},
		{"model_list: [{model_name: a, litellm_params: {model: ollama/x, api_base: 'http://h:70000'}}]", `has an invalid port`},
		{"model_list: [{model_name: a, litellm_params: {model: ollama/x, num_ctx: 99999999999999999999}}]", `want an integer`},
		{"a: &a {<<: *a}\n", ``}, // a self-merge outside used keys is not read at all
		{"model_list: [{model_name: a, litellm_params: {model: ollama/x, timeout: .inf}}]", `want a number, got ".inf"`},
		{"model_list:\n  - model_name: a\n    litellm_params: {model: ollama/x}\n    model_info: {supports_vision: 'yes'}\n", `config.yaml:4: model_list[0].model_info.supports_vision: want true or false, got "yes"`},
	}
	for _, tt := range tests {
		_, err := parse([]byte(tt.yaml), "config.yaml", lookupTestEnv)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%q: %v", tt.yaml, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want it to contain %q", tt.yaml, err, tt.want)
		}
	}
}

func TestMergeAbuse(t *testing.T) {
	// A mapping merged into itself must be an error, not a loop.
	_, err := parse([]byte("litellm_settings: &a\n  <<: *a\n"), "config.yaml", lookupTestEnv)
	want := "config.yaml:1: litellm_settings: merge keys (<<) merge a mapping into itself"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}

	// Merges of merges, each level merging the previous one ten times,
	// would be 10^12 pairs if expanded naively.
	var b strings.Builder
	b.WriteString("l0: &l0 {drop_params: true}\n")
	for i := 1; i <= 12; i++ {
		fmt.Fprintf(&b, "l%d: &l%d {<<: [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]}\n")
	}
	b.WriteString("litellm_settings: *l12\n")
	cfg, err := parse([]byte(b.String()), "config.yaml", lookupTestEnv)
	if err != nil {
		t.Fatal(err)
	}
	if d := cfg.LiteLLMSettings.DropParams; d == nil || !*d {
		t.Errorf("drop_params = %v, want true through twelve merges", d)
	}
}

func TestParseReadsEnvironment(t *testing.T) {
	t.Setenv("CLAWBRIDGE_TEST_KEY", "sk-env")
	cfg, err := Parse([]byte("general_settings: {master_key: os.environ/CLAWBRIDGE_TEST_KEY}"), "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GeneralSettings.MasterKey != "sk-env" {
		t.Errorf("master_key = %q, want the environment's value", cfg.GeneralSettings.MasterKey)
	}
}

func TestDefaultConfigParses(t *testing.T) {
	cfg, err := Parse(assets.DefaultConfig, "config.default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Ignored) != 0 {
		t.Errorf("default config has keys clawbridge ignores: %v", cfg.Ignored)
	}
	if cfg.Clawbridge.Listen != DefaultListen {
		t.Errorf("listen = %q", cfg.Clawbridge.Listen)
	}
	if cfg.GeneralSettings.MasterKey != "" {
		t.Error("default config sets a master_key; it must be left for the user")
	}
	for _, model := range []string{"claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-5", "claude-3-5-haiku-20241022", "claude-sonnet-4-5-20250929"} {
		r, err := cfg.Route(model)
		if err != nil {
			t.Errorf("Route(%q): %v", model, err)
			continue
		}
		d := r.Deployments[0]
		if d.Provider != "ollama" || d.Model != "llama3.1:8b" || d.APIBase != DefaultOllamaBase {
			t.Errorf("Route(%q) = %+v, want llama3.1:8b on local Ollama", model, d)
		}
	}
}

func TestLoadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "clawbridge", "config.yaml")
	cfg, created, err := LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("LoadOrCreate = created %v, %v", created, err)
	}
	if cfg.Path != path {
		t.Errorf("Path = %q, want %q", cfg.Path, path)
	}
	data, err := os.ReadFile(path)
	if err != nil || string(data) != string(assets.DefaultConfig) {
		t.Fatalf("written file differs from the default config (%v)", err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
	}
	di, _ := os.Stat(filepath.Dir(path))
	if di.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", di.Mode().Perm())
	}

	// A second call loads the user's file and leaves it alone.
	edited := []byte("clawbridge: {listen: '127.0.0.1:4001'}\n")
	if err := os.WriteFile(path, edited, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, created, err = LoadOrCreate(path)
	if err != nil || created || cfg.Clawbridge.Listen != "127.0.0.1:4001" {
		t.Fatalf("second LoadOrCreate = created %v, listen %q, %v", created, cfg.Clawbridge.Listen, err)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file: %v, want ErrNotExist", err)
	}
	bad := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(bad, []byte("clawbridge: {listen: nope}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(bad)
	if err == nil || !strings.HasPrefix(err.Error(), bad+":1: clawbridge.listen:") {
		t.Errorf("Load error %v, want it to start with the path and line", err)
	}
}

func TestDefaultPath(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	p, err := DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p, home) || !strings.HasSuffix(p, filepath.Join("clawbridge", "config.yaml")) {
		t.Errorf("DefaultPath = %q, want %s/.../clawbridge/config.yaml", p, home)
	}
}

func TestStreamIdleTimeout(t *testing.T) {
	for _, tt := range []struct {
		yaml string
		want time.Duration
	}{
		{"", DefaultStreamIdleTimeout},
		{"clawbridge: {translator: {stream_idle_timeout: 0}}", 0},
		{"clawbridge: {translator: {stream_idle_timeout: 90}}", 90 * time.Second},
		{"clawbridge: {translator: {stream_idle_timeout: 2.5}}", 2500 * time.Millisecond},
	} {
		cfg, err := Parse([]byte(tt.yaml), "config.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.Clawbridge.Translator.IdleTimeout(); got != tt.want {
			t.Errorf("%q: IdleTimeout = %v, want %v", tt.yaml, got, tt.want)
		}
	}
}
