package translator

import (
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clawbridge/clawbridge/daemon/config"
)

// Backend state.
//
// Several model_list entries with the same model_name share the load:
// each request goes to the healthy backend with the fewest requests in
// flight (ties go to the first listed, whose Ollama then still holds the
// conversation's prompt in its cache: taking ties in turn made every
// second turn of a conversation read its whole prompt again on the
// other server), and when one cannot be reached before its
// answer starts, the next takes over. Health is learned from the traffic
// itself (a refused connection marks a server down, any answer marks it
// up) and from /health; a server that is down gets no requests while
// another can take them, and is asked again in the background every
// Options.BackendRecheck.
//
// Each backend model answers at most its max_parallel_requests (default
// defaultMaxParallel) at once. A request that finds it full moves on to
// the next entry, like one that finds a server down, and when every entry
// is full waits in the queue for the first slot to free (queue.go).
//
// The state is keyed by what identifies a backend across config reloads:
// the server (provider and api_base) for health and load, the server and
// model for token calibration and context size. A reload that keeps an
// entry keeps its state.

// backends are the backend servers of the configs as the translator
// reaches them: a client per server and key, what /api/show said about
// each model, and the pool's health, load and calibration. A reload that
// keeps a server keeps its state.
type backends struct {
	log     *slog.Logger
	http    *http.Client
	recheck time.Duration
	caps    *capCache
	pool    *pool

	mu      sync.Mutex
	clients map[string]chatClient // by provider, api_base and key
}

// serverKey identifies a backend server.
type serverKey struct {
	provider string // "ollama" or "openai"
	base     string // api_base, without a trailing slash
}

func keyOf(d config.Deployment) serverKey {
	base := d.APIBase
	if base == "" && d.Provider == "ollama" {
		base = config.DefaultOllamaBase
	}
	return serverKey{provider: d.Provider, base: base}
}

// modelKey identifies a model on a backend server.
type modelKey struct {
	server serverKey
	model  string
}

// serverState is what the translator knows about one server.
type serverState struct {
	// seen is set once the server was contacted (or failed to be).
	seen    bool
	healthy bool
	lastErr string
	// checked is when health was last learned.
	checked  time.Time
	inFlight int
	// probing is set while a background health check runs.
	probing bool
}

// modelState is what the translator knows about one backend model.
type modelState struct {
	cal calibration
	// numCtx is the num_ctx last sent for it when sized automatically:
	// later requests keep at least that much, so the model is not
	// reloaded back and forth.
	numCtx int
	// inFlight is the number of requests it is answering now, bounded
	// by max_parallel_requests.
	inFlight int
	// tokenTime and promptTime are how many nanoseconds it last took per
	// generated token and per prompt token read (0: not seen yet), for
	// choosing whole answers (whole.go).
	tokenTime, promptTime atomic.Int64
}

// defaultMaxParallel is a backend model's max_parallel_requests when the
// config does not set it: more than Ollama runs at once by default (it
// queues the rest), few enough that a free backend of the same model_name
// gets the next request rather than a busy one's queue.
const defaultMaxParallel = 16

// backendEvent is a health change for Options.OnBackendChange.
type backendEvent struct {
	url     string
	healthy bool
	err     error
}

// pool holds the state of every backend seen.
type pool struct {
	onChange func(url string, healthy bool, err error)

	mu      sync.Mutex
	servers map[serverKey]*serverState
	models  map[modelKey]*modelState
	pending []backendEvent
	// waiters are the requests waiting for a slot, oldest first, and
	// queued counts them by model_name (queue.go).
	waiters []*waiter
	queued  map[string]int

	notifyMu sync.Mutex // delivers events one at a time, in order
}

func newPool(onChange func(string, bool, error)) *pool {
	return &pool{onChange: onChange, servers: map[serverKey]*serverState{}, models: map[modelKey]*modelState{}, queued: map[string]int{}}
}

func (p *pool) server(k serverKey) *serverState {
	s, ok := p.servers[k]
	if !ok {
		s = &serverState{healthy: true}
		p.servers[k] = s
	}
	return s
}

// model returns the state of a backend model, made on first use.
func (p *pool) model(k modelKey) *modelState {
	p.mu.Lock()
	defer p.mu.Unlock()
	m, ok := p.models[k]
	if !ok {
		m = &modelState{}
		p.models[k] = m
	}
	return m
}

// order returns the deployments in the order to try them: healthy before
// down, then fewest requests in flight, ties in the config's order. It
// also returns the down servers due for a background check.
func (p *pool) order(deps []config.Deployment, recheck time.Duration) ([]config.Deployment, []config.Deployment) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(deps)
	out := append(make([]config.Deployment, 0, n), deps...)
	type rank struct {
		down     bool
		inFlight int
	}
	ranks := make(map[serverKey]rank, n)
	var due []config.Deployment
	for _, d := range out {
		s := p.server(keyOf(d))
		down := s.seen && !s.healthy
		ranks[keyOf(d)] = rank{down, s.inFlight}
		if down && !s.probing && time.Since(s.checked) >= recheck {
			s.probing = true
			due = append(due, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := ranks[keyOf(out[i])], ranks[keyOf(out[j])]
		if a.down != b.down {
			return !a.down
		}
		return a.inFlight < b.inFlight
	})
	return out, due
}

// acquire counts a request in flight on a server and its model, unless
// the model already has limit requests in flight; the returned function
// ends it and hands the slot to the queue (queue.go).
func (p *pool) acquire(k serverKey, m *modelState, limit int) (release func(), ok bool) {
	s := slot{key: k, model: m, limit: limit}
	p.mu.Lock()
	ok = p.take(s)
	p.mu.Unlock()
	if !ok {
		return nil, false
	}
	return p.releaser(s), true
}

// report records what talking to a server showed: err nil means it
// answered. A change of health is passed to onChange; a server's first
// report is a change only when it is down ("Ollama is not running" is news
// at start, "Ollama is running" is not).
func (p *pool) report(k serverKey, err error) {
	p.mu.Lock()
	s := p.server(k)
	wasSeen, wasHealthy := s.seen, s.healthy
	s.seen, s.checked, s.probing = true, time.Now(), false
	if err == nil {
		s.healthy, s.lastErr = true, ""
	} else {
		s.healthy, s.lastErr = false, err.Error()
	}
	if p.onChange != nil && (wasSeen && wasHealthy != s.healthy || !wasSeen && !s.healthy) {
		p.pending = append(p.pending, backendEvent{url: k.base, healthy: s.healthy, err: err})
	}
	p.mu.Unlock()
	p.notify()
}

// probeDone ends a background check that could not run.
func (p *pool) probeDone(k serverKey) {
	p.mu.Lock()
	p.server(k).probing = false
	p.mu.Unlock()
}

// notify delivers pending events in the order they happened, without
// holding p.mu, so the callback may call Stats.
func (p *pool) notify() {
	p.notifyMu.Lock()
	defer p.notifyMu.Unlock()
	p.mu.Lock()
	events := p.pending
	p.pending = nil
	p.mu.Unlock()
	for _, e := range events {
		p.onChange(e.url, e.healthy, e.err)
	}
}

// snapshot returns the state of the given servers, in the given order.
func (p *pool) snapshot(keys []serverKey) []BackendStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]BackendStats, 0, len(keys))
	for _, k := range keys {
		s := p.server(k)
		out = append(out, BackendStats{URL: k.base, Provider: k.provider, Healthy: s.healthy, Contacted: s.seen,
			LastError: s.lastErr, InFlight: s.inFlight, Checked: s.checked})
	}
	return out
}

// Stats is a snapshot of the translator's activity, for the tray and the
// daemon's status: what it has served and how each backend is doing.
type Stats struct {
	// Requests is the number of API requests answered (all but /health),
	// Errors how many of them got an error.
	Requests uint64
	Errors   uint64
	// RepairedToolCalls counts tool calls that models wrote as text and
	// the translator turned into real calls.
	RepairedToolCalls uint64
	// Backends are the servers of the current config, in config order.
	Backends []BackendStats
}

// BackendStats is one backend server.
type BackendStats struct {
	// URL is the server's api_base.
	URL string
	// Provider is "ollama" or "openai" (OpenAI-compatible).
	Provider string
	// Healthy is false once a request or health check failed to reach the
	// server, until one reaches it again. A server not contacted yet
	// counts as healthy.
	Healthy bool
	// Contacted is set once the translator has talked to the server.
	Contacted bool
	// LastError is why the server was last found down.
	LastError string
	// InFlight is the number of requests it is answering now.
	InFlight int
	// Checked is when its health was last learned; zero if never.
	Checked time.Time
}

// configServers lists the distinct servers of a config, in order.
func configServers(cfg *config.Config) []config.Deployment {
	var out []config.Deployment
	seen := map[serverKey]bool{}
	for _, name := range cfg.ModelNames() {
		route, err := cfg.Route(name)
		if err != nil {
			continue
		}
		for _, d := range route.Deployments {
			if k := keyOf(d); !seen[k] {
				seen[k] = true
				out = append(out, d)
			}
		}
	}
	return out
}
