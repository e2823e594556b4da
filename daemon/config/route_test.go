package config

import (
	"errors"
	"strings"
	"testing"
)

func mustParse(t *testing.T, yaml string) *Config {
	t.Helper()
	cfg, err := parse([]byte(yaml), "config.yaml", lookupTestEnv)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestRoute(t *testing.T) {
	// Entries are named after the backend they reach, so a test's expected
	// backend says which rule matched.
	explicit := mustParse(t, `
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/sonnet45}
  - model_name: claude-sonnet-4
    litellm_params: {model: ollama/sonnet4}
  - model_name: claude-haiku-4-5
    litellm_params: {model: ollama/haiku45}
  - model_name: claude-opus-4-5
    litellm_params: {model: ollama/opus45}
  - model_name: gpt-4o
    litellm_params: {model: ollama/gpt}
  - model_name: claude-3-*
    litellm_params: {model: ollama/claude3}
`)
	catchAll := mustParse(t, `
model_list:
  - model_name: claude-haiku-4-5
    litellm_params: {model: ollama/haiku45}
  - model_name: claude-*
    litellm_params: {model: ollama/any}
  - model_name: "*"
    litellm_params: {model: ollama/everything}
`)
	fable := mustParse(t, `
model_list:
  - model_name: fable
    litellm_params: {model: ollama/notclaude}
  - model_name: claude-opus-4-5
    litellm_params: {model: ollama/opus45}
  - model_name: claude-fable-5
    litellm_params: {model: ollama/fable5}
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/sonnet45}
`)
	opusOnly := mustParse(t, `
model_list:
  - model_name: my-opus
    litellm_params: {model: ollama/opus}
`)
	tests := []struct {
		cfg     *Config
		model   string
		alias   string // "" expects a *NotFoundError
		backend string
	}{
		// exact names win over every other rule
		{explicit, "claude-sonnet-4-5", "claude-sonnet-4-5", "sonnet45"},
		{explicit, "claude-sonnet-4", "claude-sonnet-4", "sonnet4"},
		{explicit, "gpt-4o", "gpt-4o", "gpt"},
		// patterns, in file order, before date stripping and families
		{explicit, "claude-3-5-haiku-20241022", "claude-3-*", "claude3"},
		{explicit, "claude-3-opus-latest", "claude-3-*", "claude3"},
		// trailing date or -latest stripped
		{explicit, "claude-sonnet-4-5-20250929", "claude-sonnet-4-5", "sonnet45"},
		{explicit, "claude-sonnet-4-20250514", "claude-sonnet-4", "sonnet4"},
		{explicit, "claude-haiku-4-5-latest", "claude-haiku-4-5", "haiku45"},
		{explicit, "claude-opus-4-5@20251101", "claude-opus-4-5", "opus45"},
		// family fallback: first entry of the family
		{explicit, "claude-opus-4-1", "claude-opus-4-5", "opus45"},
		{explicit, "claude-opus-4-1-20250805", "claude-opus-4-5", "opus45"},
		{explicit, "claude-haiku-5", "claude-haiku-4-5", "haiku45"},
		{explicit, "claude-sonnet-4-6", "claude-sonnet-4-5", "sonnet45"},
		{explicit, "Claude-Sonnet-5", "claude-sonnet-4-5", "sonnet45"},
		// anthropic/ prefix tolerated at every step
		{explicit, "anthropic/claude-sonnet-4", "claude-sonnet-4", "sonnet4"},
		{explicit, "anthropic/claude-sonnet-4-5-20250929", "claude-sonnet-4-5", "sonnet45"},
		{explicit, "anthropic/claude-opus-4-1", "claude-opus-4-5", "opus45"},
		// a family other than haiku, sonnet and opus: the first sonnet entry
		{explicit, "claude-fable-5", "claude-sonnet-4-5", "sonnet45"},
		{explicit, "claude-mythos-5", "claude-sonnet-4-5", "sonnet45"},
		{explicit, "anthropic/claude-fable-5-1", "claude-sonnet-4-5", "sonnet45"},
		{explicit, "claude-instant-1", "claude-sonnet-4-5", "sonnet45"},
		{explicit, "claude-2-1", "claude-sonnet-4-5", "sonnet45"},
		{explicit, "claude-latest", "claude-sonnet-4-5", "sonnet45"},
		// versioned names of known families
		{explicit, "claude-opus-5-5", "claude-opus-4-5", "opus45"},
		{explicit, "claude-opus-4-8", "claude-opus-4-5", "opus45"},
		// an entry named for a new family serves its versions; one without
		// the word claude does not
		{fable, "claude-fable-5-1", "claude-fable-5", "fable5"},
		{fable, "anthropic/claude-fable-6-20270101", "claude-fable-5", "fable5"},
		{fable, "claude-mythos-5", "claude-sonnet-4-5", "sonnet45"},
		{fable, "claude-3-opus-20240229", "claude-opus-4-5", "opus45"},
		{fable, "fable", "fable", "notclaude"},
		// unroutable
		{explicit, "gpt-4o-mini", "", ""},
		{explicit, "fable-5", "", ""}, // no claude word
		{explicit, "anthropic/", "", ""},
		{explicit, "", "", ""},
		{explicit, "opus", "", ""}, // no claude word: not a family match
		// catch-all patterns and their order
		{catchAll, "claude-haiku-4-5", "claude-haiku-4-5", "haiku45"},
		{catchAll, "claude-3-5-haiku-20241022", "claude-*", "any"}, // patterns come before families
		{catchAll, "claude-sonnet-4-5", "claude-*", "any"},
		{catchAll, "anthropic/claude-sonnet-4-5", "claude-*", "any"},
		{catchAll, "llama3", "*", "everything"},
		// family words are matched as words in the entry's name too
		{opusOnly, "claude-opus-4-5", "my-opus", "opus"},
		{opusOnly, "claude-sonnet-4-5", "", ""},
		{opusOnly, "claude-fable-5", "", ""}, // a new family needs a sonnet entry
	}
	for _, tt := range tests {
		r, err := tt.cfg.Route(tt.model)
		if tt.alias == "" {
			var nf *NotFoundError
			if !errors.As(err, &nf) || nf.Model != tt.model {
				t.Errorf("Route(%q) = %+v, %v; want *NotFoundError", tt.model, r, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Route(%q): %v", tt.model, err)
			continue
		}
		if r.Alias != tt.alias || len(r.Deployments) != 1 || r.Deployments[0].Model != tt.backend {
			t.Errorf("Route(%q) = alias %q, %+v; want alias %q backend %q", tt.model, r.Alias, r.Deployments, tt.alias, tt.backend)
		}
	}
}

func TestRouteDeployments(t *testing.T) {
	cfg := mustParse(t, `
litellm_settings: {drop_params: true}
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/a, num_ctx: 8192}
    model_info: {supports_function_calling: false}
  - model_name: other
    litellm_params: {model: ollama/b}
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama_chat/c, api_base: "http://box:11434/", drop_params: false}
  - model_name: claude-sonnet-4-5
    litellm_params: {model: openai/d, api_base: "https://api.example.com/v1", api_key: secret}
`)
	r, err := cfg.Route("claude-sonnet-4-5")
	if err != nil {
		t.Fatal(err)
	}
	f := false
	want := []Deployment{
		{Provider: "ollama", Model: "a", APIBase: DefaultOllamaBase, DropParams: true, NumCtx: 8192, SupportsFunctionCalling: &f, Line: 4},
		{Provider: "ollama", Model: "c", APIBase: "http://box:11434", DropParams: false, Line: 9},
		{Provider: "openai", Model: "d", APIBase: "https://api.example.com/v1", APIKey: "secret", DropParams: true, Line: 11},
	}
	if len(r.Deployments) != len(want) {
		t.Fatalf("%d deployments, want %d: %+v", len(r.Deployments), len(want), r.Deployments)
	}
	for i := range want {
		if !sameDeployment(r.Deployments[i], want[i]) {
			t.Errorf("deployment %d = %+v, want %+v", i, r.Deployments[i], want[i])
		}
	}
}

func TestModelNames(t *testing.T) {
	cfg := mustParse(t, `
model_list:
  - {model_name: b, litellm_params: {model: ollama/x}}
  - {model_name: a, litellm_params: {model: ollama/x}}
  - {model_name: b, litellm_params: {model: ollama/y}}
  - {model_name: claude-*, litellm_params: {model: ollama/x}}
`)
	if got := strings.Join(cfg.ModelNames(), ","); got != "b,a,claude-*" {
		t.Errorf("ModelNames = %s, want b,a,claude-*", got)
	}
}

func TestNotFoundError(t *testing.T) {
	cfg := mustParse(t, "model_list: [{model_name: claude-haiku-4-5, litellm_params: {model: ollama/x}}, {model_name: gpt-4o, litellm_params: {model: ollama/x}}]")
	_, err := cfg.Route("gemini-pro")
	want := `model "gemini-pro" is not configured; configured model_name values: claude-haiku-4-5, gpt-4o`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
	_, err = mustParse(t, "").Route("claude-haiku-4-5")
	want = `model "claude-haiku-4-5" is not configured: model_list is empty`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}
