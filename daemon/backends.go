package daemon

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/clawbridge/clawbridge/daemon/notify"
	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// backendPoller asks every Ollama server of the config what it runs and
// which models it has, so the tray can list them (models pulled or removed
// show up within one poll) and the daemon can say when one goes down.
type backendPoller struct {
	hc    *http.Client
	every time.Duration
	now   chan struct{} // asks run to poll now

	// onPoll, when set, is called after each poll with the backends
	// before and after it, outside every lock.
	onPoll func(before, after []status.BackendState)

	mu    sync.Mutex
	shown map[string]shownModel // "url\x00model\x00digest" -> what /api/show said
}

// shownModel is what /api/show says of one model digest.
type shownModel struct {
	tools   *bool
	details status.ModelDetails
}

func newBackendPoller(every time.Duration) *backendPoller {
	return &backendPoller{
		hc:    &http.Client{Timeout: 10 * time.Second},
		every: every,
		now:   make(chan struct{}, 1),
		shown: map[string]shownModel{},
	}
}

// soon asks run to poll now; it never blocks.
func (p *backendPoller) soon() {
	select {
	case p.now <- struct{}{}:
	default:
	}
}

// run polls the Ollama servers bases returns now and then every p.every,
// until ctx ends; it puts what it finds on l's state and tells the user
// when one goes down or comes back.
func (p *backendPoller) run(ctx context.Context, bases func() []string, l *live) {
	var last []status.BackendState
	first := true
	t := time.NewTicker(p.every)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		now := p.poll(pctx, bases())
		cancel()
		if ctx.Err() != nil {
			return
		}
		before := last
		down, up := backendChanges(last, now)
		if first {
			up = nil
		}
		for _, b := range down {
			l.log.Warn("backend down", "url", b.URL, "err", b.Err)
			l.notifier.Notify(notify.Message{Key: "backend-down:" + b.URL, Title: "Ollama is not answering",
				Body: b.URL + ": " + b.Err})
		}
		for _, b := range up {
			l.log.Info("backend back up", "url", b.URL, "version", b.Version)
			l.notifier.Notify(notify.Message{Key: "backend-up:" + b.URL, Title: "Ollama is back",
				Body: b.URL + " answers again (Ollama " + b.Version + ")."})
		}
		last, first = now, false
		l.update(func(st *status.State) { st.Backends = now })
		if p.onPoll != nil {
			p.onPoll(before, now)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.now:
		}
	}
}

// poll checks every base concurrently.
func (p *backendPoller) poll(ctx context.Context, bases []string) []status.BackendState {
	out := make([]status.BackendState, len(bases))
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

func (p *backendPoller) check(ctx context.Context, base string) status.BackendState {
	b := status.BackendState{URL: base, Checked: time.Now()}
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
		sm := p.show(ctx, c, m)
		b.Models = append(b.Models, status.ModelState{Name: m.Name, Tools: sm.tools, ModelDetails: sm.details})
	}
	sort.Slice(b.Models, func(i, j int) bool { return b.Models[i].Name < b.Models[j].Name })
	if ps, err := c.Running(ctx); err == nil {
		b.Loaded = loadedModels(ps)
	}
	return b
}

// show asks /api/show once per model digest: a re-pulled model may gain
// or lose a capability, an unchanged one cannot. Until it answers, the
// details are those of /api/tags.
func (p *backendPoller) show(ctx context.Context, c *ollama.Client, m ollama.ListModel) shownModel {
	key := c.BaseURL() + "\x00" + m.Name + "\x00" + m.Digest
	p.mu.Lock()
	v, ok := p.shown[key]
	p.mu.Unlock()
	if ok {
		return v
	}
	v.details = status.ModelDetails{Size: m.Size, ParameterSize: m.Details.ParameterSize, Quantization: m.Details.QuantizationLevel}
	show, err := c.Show(ctx, m.Name)
	if err != nil {
		return v // asked again next poll
	}
	v.details.ContextLength = show.ContextLength()
	if len(show.Capabilities) > 0 {
		has := func(c string) *bool { b := slices.Contains(show.Capabilities, c); return &b }
		v.tools, v.details.Thinking, v.details.Vision = has("tools"), has("thinking"), has("vision")
	}
	p.mu.Lock()
	p.shown[key] = v
	p.mu.Unlock()
	return v
}

// loadedModels is /api/ps as the state keeps it.
func loadedModels(ps *ollama.PsResponse) []status.LoadedModel {
	var out []status.LoadedModel
	for _, m := range ps.Models {
		out = append(out, status.LoadedModel{Name: m.Name, Size: m.Size, SizeVRAM: m.SizeVRAM, Expires: m.ExpiresAt,
			ContextLength: m.ContextLength})
	}
	return out
}

// backendChanges compares two polls and returns the backends that went
// down and those that came back. A backend seen for the first time counts
// as a change only when it is down: "Ollama is not running" is news at
// start, "Ollama is running" is not.
func backendChanges(before, after []status.BackendState) (down, up []status.BackendState) {
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
