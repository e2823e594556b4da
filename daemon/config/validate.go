package config

import (
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// providers are the litellm_params.model prefixes clawbridge can serve.
// ollama/ and ollama_chat/ differ in LiteLLM (the first uses Ollama's
// /api/generate); both mean Ollama's native /api/chat here, which is what
// users of either want.
var providers = []struct{ prefix, provider string }{
	{"ollama/", "ollama"},
	{"ollama_chat/", "ollama"},
	{"openai/", "openai"},
}

const wantProvider = "want ollama/<model>, ollama_chat/<model> or openai/<model>"

// splitProvider splits "ollama/llama3.1:8b" into provider "ollama", the
// prefix as written and the backend model "llama3.1:8b".
func splitProvider(model string) (provider, prefix, name string, ok bool) {
	for _, p := range providers {
		if rest, found := strings.CutPrefix(model, p.prefix); found {
			return p.provider, p.prefix, rest, true
		}
	}
	return "", "", "", false
}

// validate checks the values clawbridge acts on, after decoding. Keys that
// already failed to decode are skipped so each mistake is reported once.
func (d *decoder) validate(cfg *Config) {
	for i := range cfg.ModelList {
		d.validateEntry(&cfg.ModelList[i], indexKey("model_list", i))
	}
	key := "clawbridge.listen"
	if listen := cfg.Clawbridge.Listen; listen != "" && !d.failed(key) {
		if msg := checkListen(listen); msg != "" {
			d.problem(key, d.lineOf(key), "%s %s", d.show(key, listen), msg)
		}
	}
	d.validateAdminListen(cfg.Clawbridge.Admin.Listen)
	key = "clawbridge.gateway.port"
	if p := cfg.Clawbridge.Gateway.Port; !d.failed(key) && (p < 0 || p > 65535) {
		d.problem(key, d.lineOf(key), "%d is not a port; want 1 to 65535 (default 18789)", p)
	}
	key = "clawbridge.translator.max_num_ctx"
	if n := cfg.Clawbridge.Translator.MaxNumCtx; !d.failed(key) && n != 0 && n < minNumCtx {
		d.problem(key, d.lineOf(key), "%d is too small; want 0 (no bound) or at least %d tokens", n, minNumCtx)
	}
	key = "clawbridge.translator.stream_idle_timeout"
	if t := cfg.Clawbridge.Translator.StreamIdleTimeout; t != nil && !d.failed(key) {
		switch {
		case *t < 0 || *t > maxIdleTimeout:
			d.problem(key, d.lineOf(key), "%v is out of range; want seconds from 1 to %d, or 0 for no bound (default %d)",
				*t, maxIdleTimeout, int(DefaultStreamIdleTimeout.Seconds()))
		case *t > 0 && *t < 1:
			d.problem(key, d.lineOf(key), "%v is too short: loading a model sends nothing for seconds; want at least 1, or 0 for no bound", *t)
		}
	}
	d.checkQueue(cfg.Clawbridge.Translator)
	for i, h := range cfg.Clawbridge.Translator.AllowedHosts {
		key := indexKey("clawbridge.translator.allowed_hosts", i)
		if !d.failed(key) && net.ParseIP(h) == nil && !isHostname(h) {
			d.problem(key, d.lineOf(key), "%s is not a host name; want a name such as mybox.lan, without a port", d.show(key, h))
		}
	}
	key = "clawbridge.patcher.base_url"
	if u := cfg.Clawbridge.Patcher.BaseURL; u != "" && !d.failed(key) &&
		!strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		d.problem(key, d.lineOf(key), "%q is not an http:// or https:// URL, e.g. http://127.0.0.1:4000", u)
	}
}

func (d *decoder) validateEntry(e *ModelEntry, key string) {
	nameKey := joinKey(key, "model_name")
	switch {
	case d.failed(nameKey):
	case e.ModelName == "":
		d.problem(nameKey, d.lineOf(nameKey), "missing; every model_list entry needs the model name clients ask for, e.g. claude-sonnet-4-5")
	case isPattern(e.ModelName):
		if _, err := path.Match(e.ModelName, ""); err != nil {
			d.problem(nameKey, d.lineOf(nameKey), "%q is not a valid pattern: %v", e.ModelName, err)
		}
	}

	p := &e.LiteLLMParams
	modelKey := joinKey(key, "litellm_params.model")
	provider := ""
	switch {
	case d.failed(modelKey):
	case p.Model == "":
		d.problem(modelKey, d.lineOf(modelKey), "missing; %s", wantProvider)
	default:
		prov, prefix, name, ok := splitProvider(p.Model)
		switch {
		case ok && name == "":
			d.problem(modelKey, d.lineOf(modelKey), "%s names no model; want %s<model>, e.g. %sllama3.1:8b", d.show(modelKey, p.Model), prefix, prefix)
		case ok:
			provider = prov
		case !strings.Contains(p.Model, "/"):
			d.problem(modelKey, d.lineOf(modelKey), "%s has no provider prefix; %s", d.show(modelKey, p.Model), wantProvider)
		default:
			given, _, _ := strings.Cut(p.Model, "/")
			d.problem(modelKey, d.lineOf(modelKey), "provider %q is not supported; %s", given+"/", wantProvider)
		}
	}

	baseKey := joinKey(key, "litellm_params.api_base")
	switch {
	case d.failed(baseKey):
	case p.APIBase != "":
		if msg := checkBaseURL(p.APIBase); msg != "" {
			d.problem(baseKey, d.lineOf(baseKey), "%s %s", d.show(baseKey, p.APIBase), msg)
		}
	case provider == "openai":
		d.problem(baseKey, d.lineOf(baseKey), "missing; openai/ models need the server's URL, e.g. http://127.0.0.1:8000/v1")
	}

	d.validateKeepAlive(joinKey(key, "litellm_params.keep_alive"), p.KeepAlive)
	for _, c := range []struct {
		key string
		neg bool
	}{
		{"litellm_params.num_ctx", p.NumCtx < 0},
		{"litellm_params.timeout", p.Timeout < 0},
		{"litellm_params.max_parallel_requests", p.MaxParallelRequests < 0},
		{"model_info.max_input_tokens", e.ModelInfo.MaxInputTokens < 0},
		{"model_info.max_output_tokens", e.ModelInfo.MaxOutputTokens < 0},
	} {
		if k := joinKey(key, c.key); c.neg && !d.failed(k) {
			d.problem(k, d.lineOf(k), "must not be negative")
		}
	}
}

// maxIdleTimeout bounds stream_idle_timeout (a day): a larger value is a
// mistake for "no bound", which is 0.
const maxIdleTimeout = 86400

// minNumCtx is the smallest context window worth setting: Ollama's own
// smallest default.
const minNumCtx = 2048

// checkBaseURL returns why s cannot be a backend URL, or "".
func checkBaseURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "is not an http:// or https:// URL, e.g. http://127.0.0.1:11434"
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "must not have a query or fragment"
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "has an invalid port"
		}
	}
	return ""
}

// checkListen returns why s cannot be the translator's listen address, or
// "". Port 0 is refused: clients need to know where to connect.
func checkListen(s string) string {
	const want = "is not a host:port address, e.g. 127.0.0.1:4000"
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return want
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "has an invalid port; want 1 to 65535, e.g. 127.0.0.1:4000"
	}
	if host != "" && net.ParseIP(host) == nil && !isHostname(host) {
		return "has an invalid host; want an IP address or a host name, e.g. 127.0.0.1:4000"
	}
	return ""
}

func isHostname(s string) bool {
	if len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// isPattern reports whether a model_name is a glob (claude-*) rather than a
// literal name.
func isPattern(s string) bool {
	return strings.ContainsAny(s, `*?[\`)
}
