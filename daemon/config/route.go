package config

import (
	"path"
	"regexp"
	"slices"
	"strings"
)

// Route is where requests for one model name go.
type Route struct {
	// Alias is the model_name that matched, which may differ from the
	// requested name (a pattern or a family fallback matched).
	Alias string
	// Deployments are the entries sharing that model_name, in file order;
	// several mean the user wants the load shared.
	Deployments []Deployment
}

// Deployment is one backend model, resolved: provider prefix split off and
// defaults applied, so the translator needs no LiteLLM knowledge.
type Deployment struct {
	// Provider is "ollama" (ollama/ and ollama_chat/ prefixes, served by
	// Ollama's native /api/chat) or "openai" (an OpenAI-compatible server).
	Provider string
	// Model is the backend's model name, e.g. "llama3.1:8b".
	Model string
	// APIBase is the backend URL without a trailing slash; DefaultOllamaBase
	// for Ollama when api_base is not set.
	APIBase string
	// APIKey is sent to OpenAI-compatible backends; never log it.
	APIKey string
	// DropParams is the entry's drop_params, else litellm_settings', else false.
	DropParams bool
	// NumCtx is Ollama's context window; 0 means sized per request.
	NumCtx int
	// Timeout is the per-request timeout in seconds; 0 means none.
	Timeout float64
	// SupportsFunctionCalling and SupportsVision are from model_info; nil
	// means the config does not say.
	SupportsFunctionCalling *bool
	SupportsVision          *bool
	// MaxInputTokens is model_info.max_input_tokens, the context length to
	// assume when the backend cannot be asked (OpenAI-compatible servers);
	// 0 means unknown.
	MaxInputTokens int
	// RepairToolCalls is litellm_params.repair_tool_calls; nil means on
	// (see On).
	RepairToolCalls *bool
	// MaxParallelRequests is litellm_params.max_parallel_requests; 0
	// means the translator's default.
	MaxParallelRequests int
	// KeepAlive is litellm_params.keep_alive as Ollama reads it (KeepAlive
	// in keepalive.go); "" leaves Ollama's default.
	KeepAlive string
	// Line is the entry's line in the config, for messages.
	Line int
}

// ModelNames returns the configured model_name values, in file order,
// each once. Patterns such as claude-* are included as written.
func (c *Config) ModelNames() []string {
	names := make([]string, len(c.ModelList))
	for i, e := range c.ModelList {
		names[i] = e.ModelName
	}
	return unique(names)
}

// Route finds the entries serving model. Clients send whatever Claude name
// they were built with, often dated or newer than the user's config, so
// after an exact match it tries, in order:
//
//  1. model_name patterns (path.Match syntax, e.g. claude-*), in file order;
//  2. the name without a trailing date or -latest
//     (claude-sonnet-4-5-20250929 -> claude-sonnet-4-5), exactly and then
//     by pattern;
//  3. for Claude names, the first entry of the same family, so
//     claude-3-5-haiku-20241022 reaches claude-haiku-4-5 and
//     claude-opus-5-5 claude-opus-4-5 (see claudeFamily);
//  4. for Claude names of a family other than haiku, sonnet and opus
//     (claude-fable-5, claude-mythos-5) that no entry is named for, the
//     first sonnet entry: Anthropic's default tier stands in for a
//     family whose tier clawbridge cannot know.
//
// Each step is tried with the name as sent and without an "anthropic/"
// prefix, which some clients add. The error is a *NotFoundError.
func (c *Config) Route(model string) (*Route, error) {
	names := []string{model}
	if bare, ok := strings.CutPrefix(model, "anthropic/"); ok && bare != "" {
		names = append(names, bare)
	}
	for _, step := range []func(string) string{c.exactName, c.patternName, c.undatedName, c.familyName, c.newFamilyName} {
		for _, name := range names {
			if alias := step(name); alias != "" {
				return c.route(alias), nil
			}
		}
	}
	return nil, &NotFoundError{Model: model, Known: c.ModelNames()}
}

// route collects the deployments of every entry named alias.
func (c *Config) route(alias string) *Route {
	r := &Route{Alias: alias}
	for i := range c.ModelList {
		if c.ModelList[i].ModelName == alias {
			r.Deployments = append(r.Deployments, c.deployment(&c.ModelList[i]))
		}
	}
	return r
}

func (c *Config) deployment(e *ModelEntry) Deployment {
	p := e.LiteLLMParams
	provider, _, model, _ := splitProvider(p.Model) // validated by Parse
	base := strings.TrimRight(p.APIBase, "/")
	if base == "" && provider == "ollama" {
		base = DefaultOllamaBase
	}
	drop := false
	if c.LiteLLMSettings.DropParams != nil {
		drop = *c.LiteLLMSettings.DropParams
	}
	if p.DropParams != nil {
		drop = *p.DropParams
	}
	return Deployment{
		Provider:                provider,
		Model:                   model,
		APIBase:                 base,
		APIKey:                  p.APIKey,
		DropParams:              drop,
		NumCtx:                  p.NumCtx,
		Timeout:                 p.Timeout,
		SupportsFunctionCalling: e.ModelInfo.SupportsFunctionCalling,
		SupportsVision:          e.ModelInfo.SupportsVision,
		MaxInputTokens:          e.ModelInfo.MaxInputTokens,
		RepairToolCalls:         p.RepairToolCalls,
		MaxParallelRequests:     p.MaxParallelRequests,
		KeepAlive:               c.keepAlive(p.KeepAlive),
		Line:                    e.Line,
	}
}

func (c *Config) exactName(name string) string {
	for _, e := range c.ModelList {
		if e.ModelName == name {
			return e.ModelName
		}
	}
	return ""
}

func (c *Config) patternName(name string) string {
	for _, e := range c.ModelList {
		if isPattern(e.ModelName) {
			if ok, _ := path.Match(e.ModelName, name); ok {
				return e.ModelName
			}
		}
	}
	return ""
}

// versionSuffix is a trailing release date (-20250929, or @20250929 as
// Vertex AI writes it) or -latest.
var versionSuffix = regexp.MustCompile(`(?:[-@]\d{8}|-latest)$`)

func (c *Config) undatedName(name string) string {
	base := versionSuffix.ReplaceAllString(name, "")
	if base == name || base == "" {
		return ""
	}
	if alias := c.exactName(base); alias != "" {
		return alias
	}
	return c.patternName(base)
}

// knownFamilies are the Claude families an entry may be named for without
// the word claude (my-opus serves opus names).
var knownFamilies = []string{"haiku", "sonnet", "opus"}

// claudeFamily is the family a model name asks for: haiku, sonnet or opus
// wherever it stands (claude-3-5-haiku-20241022), else the first word of
// letters after "claude" (claude-fable-5-1 -> fable; "" for claude-2-1).
// ok is false for a name without a "claude" word, so an unrelated name
// that happens to contain "opus" is not rerouted.
func claudeFamily(words []string) (family string, ok bool) {
	at := slices.Index(words, "claude")
	if at < 0 {
		return "", false
	}
	for _, w := range words {
		if slices.Contains(knownFamilies, w) {
			family = w
		}
	}
	if family != "" {
		return family, true
	}
	for _, w := range words[at+1:] {
		if w != "latest" && isLetters(w) {
			return w, true
		}
	}
	return "", true
}

// familyName matches a Claude name to the first literal entry of its
// family: for haiku, sonnet and opus any entry with that word, for other
// families (fable, mythos) an entry with the words claude and the
// family, so claude-fable-5 serves claude-fable-5-1.
func (c *Config) familyName(name string) string {
	family, ok := claudeFamily(nameWords(name))
	if !ok || family == "" {
		return ""
	}
	known := slices.Contains(knownFamilies, family)
	for _, e := range c.ModelList {
		if isPattern(e.ModelName) {
			continue
		}
		words := nameWords(e.ModelName)
		if containsWord(words, family) && (known || containsWord(words, "claude")) {
			return e.ModelName
		}
	}
	return ""
}

// newFamilyName sends a Claude name of a family other than haiku, sonnet
// and opus to the first sonnet entry (familyName has already looked for
// an entry of its own family).
func (c *Config) newFamilyName(name string) string {
	family, ok := claudeFamily(nameWords(name))
	if !ok || slices.Contains(knownFamilies, family) {
		return ""
	}
	return c.familyName("claude-sonnet")
}

func isLetters(w string) bool {
	for _, r := range w {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return w != ""
}

// nameWords splits a model name into lower-case words at anything that is
// not a letter or digit: "claude-3-5-haiku@2024" -> claude 3 5 haiku 2024.
func nameWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
}

func containsWord(words []string, w string) bool {
	for _, x := range words {
		if x == w {
			return true
		}
	}
	return false
}
