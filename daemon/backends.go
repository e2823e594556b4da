package daemon

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// backendPoller asks every Ollama server of the config what it runs and
// which models it has, so the tray can list them (models pulled or removed
// show up within one poll) and the daemon can say when one goes down.
type backendPoller struct {
	hc *http.Client

	mu    sync.Mutex
	tools map[string]*bool // "url\x00model\x00digest" -> tools capability
}

func newBackendPoller() *backendPoller {
	return &backendPoller{
		hc:    &http.Client{Timeout: 10 * time.Second},
		tools: map[string]*bool{},
	}
}

// ollamaBases lists the distinct api_base of the config's Ollama entries.
func ollamaBases(cfg *config.Config) []string {
	var bases []string
	for _, a := range aliases(cfg) {
		if a.Ollama && !slices.Contains(bases, a.Backend) {
			bases = append(bases, a.Backend)
		}
	}
	sort.Strings(bases)
	return bases
}

// aliases lists the config's model names with their first deployment.
func aliases(cfg *config.Config) []AliasState {
	var out []AliasState
	for _, name := range cfg.ModelNames() {
		r, err := cfg.Route(name)
		if err != nil || len(r.Deployments) == 0 {
			continue
		}
		d := r.Deployments[0]
		out = append(out, AliasState{Name: name, Model: d.Model, Backend: d.APIBase, Ollama: d.Provider == "ollama"})
	}
	return out
}

// poll checks every base concurrently.
func (p *backendPoller) poll(ctx context.Context, bases []string) []BackendState {
	out := make([]BackendState, len(bases))
	var wg sync.WaitGroup
	for i, base := range bases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = p.check(ctx, base)
		}()
	}
	wg.Wait()
	return out
}

func (p *backendPoller) check(ctx context.Context, base string) BackendState {
	b := BackendState{URL: base, Checked: time.Now()}
	c, err := ollama.New(base, p.hc)
	if err != nil {
		b.Err = err.Error()
		return b
	}
	if b.Version, err = c.Version(ctx); err != nil {
		b.Err = err.Error()
		return b
	}
	tags, err := c.Tags(ctx)
	if err != nil {
		b.Err = err.Error()
		return b
	}
	b.Reachable = true
	for _, m := range tags.Models {
		b.Models = append(b.Models, ModelState{Name: m.Name, Tools: p.hasTools(ctx, c, m)})
	}
	sort.Slice(b.Models, func(i, j int) bool { return b.Models[i].Name < b.Models[j].Name })
	return b
}

// hasTools asks /api/show once per model digest: a re-pulled model may
// gain or lose the capability, an unchanged one cannot.
func (p *backendPoller) hasTools(ctx context.Context, c *ollama.Client, m ollama.ListModel) *bool {
	key := c.BaseURL() + "\x00" + m.Name + "\x00" + m.Digest
	p.mu.Lock()
	v, ok := p.tools[key]
	p.mu.Unlock()
	if ok {
		return v
	}
	show, err := c.Show(ctx, m.Name)
	if err != nil {
		return nil // unknown now; asked again next poll
	}
	if len(show.Capabilities) > 0 {
		t := slices.Contains(show.Capabilities, "tools")
		v = &t
	}
	p.mu.Lock()
	p.tools[key] = v
	p.mu.Unlock()
	return v
}

// backendChanges compares two polls and returns the backends that went
// down and those that came back. A backend seen for the first time counts
// as a change only when it is down: "Ollama is not running" is news at
// start, "Ollama is running" is not.
func backendChanges(before, after []BackendState) (down, up []BackendState) {
	prev := map[string]bool{}
	seen := map[string]bool{}
	for _, b := range before {
		prev[b.URL] = b.Reachable
		seen[b.URL] = true
	}
	for _, b := range after {
		switch {
		case !b.Reachable && (!seen[b.URL] || prev[b.URL]):
			down = append(down, b)
		case b.Reachable && seen[b.URL] && !prev[b.URL]:
			up = append(up, b)
		}
	}
	return down, up
}
