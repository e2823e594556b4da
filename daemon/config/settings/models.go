package settings

import (
	"fmt"
	"strings"

	"github.com/clawbridge/clawbridge/daemon/config"
)

// PullTarget resolves what `clawbridge pull NAME`, the tray and the admin
// endpoint pull: an alias of the config means its Ollama model on its
// server; anything else is an Ollama model name, pulled into backend, or
// when that is "" into the config's first Ollama server (the default one
// when there is none).
func PullTarget(cfg *config.Config, name, backend string) (base, model string, err error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", "", fmt.Errorf("name an alias of the config or an Ollama model, e.g. llama3.1:8b")
	}
	for _, a := range Aliases(cfg) {
		if a.Name != name {
			continue
		}
		if !a.Ollama {
			return "", "", fmt.Errorf("%s is served by an OpenAI-compatible server (%s), not Ollama: pull its model there", name, a.Backend)
		}
		return a.Backend, a.Model, nil
	}
	if strings.ContainsAny(name, " \t\n") {
		return "", "", fmt.Errorf("%q is neither an alias of the config nor an Ollama model name", name)
	}
	if backend != "" {
		return strings.TrimRight(backend, "/"), name, nil
	}
	if bases := OllamaBases(cfg); len(bases) > 0 {
		return bases[0], name, nil
	}
	return config.DefaultOllamaBase, name, nil
}

// WarmTargets are the Ollama deployments a warm-up loads: the first of
// each alias, as the state lists it, each model and server once.
func WarmTargets(cfg *config.Config) []config.Deployment {
	var out []config.Deployment
	seen := map[[2]string]bool{}
	for _, a := range Aliases(cfg) {
		r, err := cfg.Route(a.Name)
		if !a.Ollama || err != nil || len(r.Deployments) == 0 {
			continue
		}
		d := r.Deployments[0]
		if k := [2]string{d.APIBase, d.Model}; !seen[k] {
			seen[k] = true
			out = append(out, d)
		}
	}
	return out
}
