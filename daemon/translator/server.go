// Package translator is clawbridge's HTTP edge. It serves Anthropic's
// Messages API (/v1/messages, /v1/messages/count_tokens), OpenAI's Chat
// Completions (/v1/chat/completions), the model list both kinds of client
// read (/v1/models) and /health, and answers from the backends of the
// config: Ollama's /api/chat or an OpenAI-compatible server, chosen per
// model name, balanced and failed over between servers.
//
// Around the pure conversions of daemon/anthropic it does what needs the
// network or memory across requests: auth and origin checks, routing,
// dispatch to a backend, the relay of a streamed answer (pings, back
// pressure, deadlines), token counting calibrated per backend model (for
// count_tokens and for sizing Ollama's num_ctx), turning tool-call repair
// on or off per backend, and the one log line of each request (whose
// numbers, never its content, go to Options.OnRequest). Listen and
// Serve (listen.go) open the listener that both `clawbridge serve` and the
// daemon use.
package translator

import (
	"crypto/rand"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/upstream"
)

// Options tune a Server. The zero value gives the production settings;
// tests shorten the intervals.
type Options struct {
	// Logger receives one line per request; nil means slog.Default().
	Logger *slog.Logger
	// HTTPClient talks to Ollama; nil means a client with a bounded dial
	// and no overall timeout (answers can stream for many minutes).
	HTTPClient *http.Client
	// PingInterval is how long a stream may stay silent (Ollama loading
	// the model or reading a long prompt) before a ping event keeps the
	// client from timing out. Default 5s.
	PingInterval time.Duration
	// HeaderGrace is how long a streaming request waits for Ollama's first
	// chunk before committing the 200 and the event stream. Failures that
	// come sooner (Ollama down, model not pulled) are still plain HTTP
	// errors, which the SDKs retry or report properly; a model that takes
	// longer to load gets pings instead. Default 1s.
	HeaderGrace time.Duration
	// CapabilityTTL is how long /api/show answers are cached. Default 5m.
	CapabilityTTL time.Duration
	// MaxBodyBytes bounds a request body; larger ones get 413. Default
	// 32 MiB, the Messages API's own limit.
	MaxBodyBytes int64
	// Version is reported by /health.
	Version string
	// BodyIdleTimeout is how long a client may send no byte of a request
	// body it has started before the request fails with 408, so that a
	// body that never finishes does not hold a connection forever.
	// Default 30s.
	BodyIdleTimeout time.Duration
	// BackendRecheck is how often a backend that is down is asked again,
	// in the background, whether it is back. Default 10s.
	BackendRecheck time.Duration
	// OnBackendChange, when set, is called when a backend server goes
	// down (healthy false, with the error) or comes back (healthy true),
	// and when one is found down the first time it is contacted. It is
	// called from request goroutines, one call at a time, in order; it
	// should not block. url is the server's api_base.
	OnBackendChange func(url string, healthy bool, err error)
	// OnRequest, when set, receives the numbers of every API request
	// that named a model (RequestStats, never its content), after its log
	// line. It is called from request goroutines and should not block.
	OnRequest func(RequestStats)
}

// Server is the translator's http.Handler.
type Server struct {
	config func() *config.Config
	opts   Options
	log    *slog.Logger
	be     *backends
	// newID makes message, tool-use and request ids; tests replace it.
	newID   func(prefix string) string
	started time.Time

	// counts for Stats
	requests, failures, repairs atomic.Uint64

	// names are this machine's own host names, allowed in the Host header
	// when listening on every interface.
	names []string
}

// New returns a server that reads its config through cfg on every request,
// so a reloaded config applies to new requests while streams in flight
// keep the one they started with (cfg is typically an atomic.Pointer's
// Load).
func New(cfg func() *config.Config, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = upstream.NewHTTPClient()
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 5 * time.Second
	}
	if opts.HeaderGrace <= 0 {
		opts.HeaderGrace = time.Second
	}
	if opts.CapabilityTTL <= 0 {
		opts.CapabilityTTL = 5 * time.Minute
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 32 << 20
	}
	if opts.BackendRecheck <= 0 {
		opts.BackendRecheck = 10 * time.Second
	}
	if opts.BodyIdleTimeout <= 0 {
		opts.BodyIdleTimeout = 30 * time.Second
	}
	return &Server{
		config: cfg,
		opts:   opts,
		log:    opts.Logger,
		be: &backends{log: opts.Logger, http: opts.HTTPClient, recheck: opts.BackendRecheck,
			caps: newCapCache(opts.CapabilityTTL), pool: newPool(opts.OnBackendChange), clients: map[string]chatClient{}},
		newID:   func(prefix string) string { return prefix + rand.Text() },
		started: time.Now().UTC().Truncate(time.Second),
		names:   machineNames(),
	}
}

// Stats returns what the translator has served since it started and how
// each backend server of the current config is doing.
func (s *Server) Stats() Stats {
	st := Stats{Requests: s.requests.Load(), Errors: s.failures.Load(), RepairedToolCalls: s.repairs.Load()}
	if cfg := s.config(); cfg != nil {
		var keys []serverKey
		for _, d := range configServers(cfg) {
			keys = append(keys, keyOf(d))
		}
		st.Backends = s.be.pool.snapshot(keys)
	}
	return st
}

// ReadHeaderTimeout bounds how long a client may take to send a
// request's headers (NewHTTPServer).
const ReadHeaderTimeout = 10 * time.Second

// NewHTTPServer returns the http.Server for a translator handler, as both
// `clawbridge serve` and the daemon run it: headers must arrive within
// ReadHeaderTimeout and idle keep-alive connections close after two
// minutes. There is no ReadTimeout or WriteTimeout, which would cut
// answers that stream for many minutes; the handler bounds a stalled
// request body (Options.BodyIdleTimeout) and a client that stops reading
// (clawbridge.translator.stream_idle_timeout) itself.
func NewHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// ServeHTTP routes a request. Every answer carries a request-id header,
// and every error the Anthropic error shape (OpenAI's for its clients).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &requestLog{id: s.newID("req_"), start: time.Now(), method: r.Method, path: r.URL.Path}
	w.Header().Set("request-id", rec.id)
	defer s.logRequest(rec)
	p := path.Clean("/" + r.URL.Path)
	// Errors take OpenAI's shape on Chat Completions, and on the model
	// list when the client is not Anthropic's (whose SDKs always send
	// anthropic-version): both kinds of SDK list models there.
	rec.openai = p == "/v1/chat/completions" || p == "/chat/completions" ||
		(p == "/v1/models" || strings.HasPrefix(p, "/v1/models/")) && r.Header.Get("anthropic-version") == ""
	x := &exchange{s: s, w: w, r: r, cfg: s.config(), rec: rec}
	if ae := s.checkOrigin(r, x.cfg); ae != nil {
		x.fail(ae)
		return
	}
	if p == "/health" {
		if x.allow(http.MethodGet, http.MethodHead) {
			s.health(x)
		}
		return
	}
	if x.cfg == nil {
		x.fail(anthropic.Failure("no configuration is loaded"))
		return
	}
	if ae := checkKey(r, x.cfg.GeneralSettings.MasterKey); ae != nil {
		x.fail(ae)
		return
	}
	switch {
	case p == "/v1/messages":
		if x.allow(http.MethodPost) {
			s.messages(x)
		}
	case p == "/v1/messages/count_tokens":
		if x.allow(http.MethodPost) {
			s.countTokens(x)
		}
	case p == "/v1/chat/completions" || p == "/chat/completions":
		if x.allow(http.MethodPost) {
			s.chatCompletions(x)
		}
	case p == "/v1/models":
		if x.allow(http.MethodGet, http.MethodHead) {
			s.listModels(x)
		}
	case strings.HasPrefix(p, "/v1/models/"):
		if x.allow(http.MethodGet, http.MethodHead) {
			s.getModel(x, strings.TrimPrefix(p, "/v1/models/"))
		}
	default:
		x.fail(anthropic.NotFound("no such endpoint: %s %s (clawbridge serves POST /v1/messages, POST /v1/messages/count_tokens, POST /v1/chat/completions, GET /v1/models, GET /health)", r.Method, r.URL.Path))
	}
}
