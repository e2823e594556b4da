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
// on or off per backend, and the one log line of each request.
package translator

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/upstream"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
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
}

// Server is the translator's http.Handler.
type Server struct {
	config func() *config.Config
	opts   Options
	log    *slog.Logger
	caps   *capCache
	// newID makes message, tool-use and request ids; tests replace it.
	newID   func(prefix string) string
	started time.Time

	pool *pool
	// counts for Stats
	requests, failures, repairs atomic.Uint64

	mu      sync.Mutex
	clients map[string]chatClient // by provider, api_base and key

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
		config:  cfg,
		opts:    opts,
		log:     opts.Logger,
		caps:    newCapCache(opts.CapabilityTTL),
		newID:   func(prefix string) string { return prefix + rand.Text() },
		started: time.Now().UTC().Truncate(time.Second),
		clients: map[string]chatClient{},
		pool:    newPool(opts.OnBackendChange),
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
		st.Backends = s.pool.snapshot(keys)
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
// and every error the Anthropic error shape.
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
	cfg := s.config()
	if ae := s.checkOrigin(r, cfg); ae != nil {
		writeError(w, rec, ae)
		return
	}
	if p == "/health" {
		if allowMethod(w, r, rec, http.MethodGet, http.MethodHead) {
			s.health(w, r, rec)
		}
		return
	}
	if cfg == nil {
		writeError(w, rec, anthropic.Failure("no configuration is loaded"))
		return
	}
	if ae := checkKey(r, cfg.GeneralSettings.MasterKey); ae != nil {
		writeError(w, rec, ae)
		return
	}
	switch {
	case p == "/v1/messages":
		if allowMethod(w, r, rec, http.MethodPost) {
			s.messages(w, r, cfg, rec)
		}
	case p == "/v1/messages/count_tokens":
		if allowMethod(w, r, rec, http.MethodPost) {
			s.countTokens(w, r, cfg, rec)
		}
	case p == "/v1/chat/completions" || p == "/chat/completions":
		if allowMethod(w, r, rec, http.MethodPost) {
			s.chatCompletions(w, r, cfg, rec)
		}
	case p == "/v1/models":
		if allowMethod(w, r, rec, http.MethodGet, http.MethodHead) {
			s.listModels(w, r, cfg, rec)
		}
	case strings.HasPrefix(p, "/v1/models/"):
		if allowMethod(w, r, rec, http.MethodGet, http.MethodHead) {
			s.getModel(w, cfg, rec, strings.TrimPrefix(p, "/v1/models/"))
		}
	default:
		writeError(w, rec, anthropic.NotFound("no such endpoint: %s %s (clawbridge serves POST /v1/messages, POST /v1/messages/count_tokens, POST /v1/chat/completions, GET /v1/models, GET /health)", r.Method, r.URL.Path))
	}
}

func allowMethod(w http.ResponseWriter, r *http.Request, rec *requestLog, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeError(w, rec, &anthropic.Error{Status: http.StatusMethodNotAllowed, Type: "invalid_request_error",
		Message: fmt.Sprintf("method %s is not allowed on %s: use %s", r.Method, r.URL.Path, strings.Join(methods, " or "))})
	return false
}

// checkKey accepts the master key from x-api-key (Anthropic clients) or
// Authorization: Bearer (OpenAI clients), compared in constant time. With
// no master key configured every request is accepted.
func checkKey(r *http.Request, key string) *anthropic.Error {
	if key == "" {
		return nil
	}
	apiKey := r.Header.Get("X-Api-Key")
	bearer := ""
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		bearer = strings.TrimSpace(a[7:])
	}
	if apiKey == "" && bearer == "" {
		return &anthropic.Error{Status: http.StatusUnauthorized, Type: "authentication_error",
			Message: "missing API key: send the master_key from the clawbridge config in the x-api-key header (or Authorization: Bearer)"}
	}
	ok := subtle.ConstantTimeCompare([]byte(apiKey), []byte(key)) == 1
	ok = subtle.ConstantTimeCompare([]byte(bearer), []byte(key)) == 1 || ok
	if !ok {
		return &anthropic.Error{Status: http.StatusUnauthorized, Type: "authentication_error",
			Message: "invalid API key: it does not match general_settings.master_key in the clawbridge config"}
	}
	return nil
}

// checkOrigin refuses what a web page could send: a Host header naming
// this machine by a name clawbridge does not know (DNS rebinding: a page
// of evil.example whose name is made to resolve to 127.0.0.1 reaches
// this port as evil.example), and a request from a page of another site
// (an Origin header not on this machine), which a browser sends even
// though it cannot read the answer. The translator serves programs, never
// pages: it sends no CORS headers, so no browser may read an answer.
func (s *Server) checkOrigin(r *http.Request, cfg *config.Config) *anthropic.Error {
	if !s.hostAllowed(r.Host, cfg) {
		return &anthropic.Error{Status: http.StatusForbidden, Type: "permission_error",
			Message: fmt.Sprintf("the Host header %q is not a name of this machine that clawbridge knows: use 127.0.0.1 or localhost, or add the name to clawbridge.translator.allowed_hosts in the config", r.Host)}
	}
	if origin, ok := r.Header["Origin"]; ok && (len(origin) != 1 || !loopbackOrigin(origin[0])) {
		return &anthropic.Error{Status: http.StatusForbidden, Type: "permission_error",
			Message: fmt.Sprintf("requests from web pages are refused (the Origin header is %q): clawbridge answers programs on this machine, not browsers", strings.Join(origin, ", "))}
	}
	return nil
}

// hostAllowed reports whether a Host header names this machine. IP
// addresses are always allowed: DNS rebinding needs a name. So are
// localhost and *.localhost (RFC 6761: always loopback), the listen host,
// the names in allowed_hosts and, when listening on every interface or on
// a network address, this machine's host name (which only it can answer
// for). The port is not checked: a name that reaches this machine is safe
// on any port.
func (s *Server) hostAllowed(hostport string, cfg *config.Config) bool {
	host := hostport
	if h, port, err := net.SplitHostPort(hostport); err == nil {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return false // no browser sends that
		}
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "" || net.ParseIP(host) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if cfg == nil {
		return false
	}
	listen, _, _ := net.SplitHostPort(cfg.Clawbridge.Listen)
	listen = strings.ToLower(strings.TrimSuffix(listen, "."))
	if host == listen {
		return true
	}
	for _, h := range cfg.Clawbridge.Translator.AllowedHosts {
		if host == strings.ToLower(strings.TrimSuffix(h, ".")) {
			return true
		}
	}
	if ip := net.ParseIP(listen); listen == "" || ip != nil && !ip.IsLoopback() {
		for _, n := range s.names {
			if host == n {
				return true
			}
		}
	}
	return false
}

// loopbackOrigin reports whether an Origin header names a page served
// from this machine's loopback (a local development server, say).
func loopbackOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false // "null" (a sandboxed frame, a file) or garbage
	}
	h := strings.ToLower(u.Hostname())
	if ip := net.ParseIP(h); ip != nil {
		return ip.IsLoopback()
	}
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}

// machineNames returns this machine's host name, short and as given, and
// its mDNS name (name.local), lower case.
func machineNames() []string {
	name, err := os.Hostname()
	if err != nil || name == "" {
		return nil
	}
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	short, _, _ := strings.Cut(name, ".")
	names := []string{name}
	if short != name {
		names = append(names, short)
	}
	return append(names, short+".local")
}

// errStopSequence stops reading Ollama once a stop sequence has ended the
// answer; returning it from the chunk callback closes the connection,
// which makes Ollama stop generating.
var errStopSequence = errors.New("stop sequence reached")

func (s *Server) messages(w http.ResponseWriter, r *http.Request, cfg *config.Config, rec *requestLog) {
	body, ok := s.readBody(w, r, rec)
	if !ok {
		return
	}
	req, err := anthropic.DecodeRequest(body)
	if err != nil {
		writeError(w, rec, asAPIError(err))
		return
	}
	s.chat(w, r, cfg, rec, req, anthropicAPI{s})
}

// readBody reads a request body up to the size limit, answering the
// client itself when that fails. A client that stops sending the body
// for BodyIdleTimeout gets 408: until the body is in, no backend is
// involved, and the deadline frees the connection.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, rec *requestLog) ([]byte, bool) {
	rc := http.NewResponseController(w)
	body, err := io.ReadAll(http.MaxBytesReader(w, &idleReader{ReadCloser: r.Body, rc: rc, idle: s.opts.BodyIdleTimeout}, s.opts.MaxBodyBytes))
	if err == nil {
		// The deadline must not outlive the body: the server watches the
		// connection for the client going away, and a deadline passing
		// there would read as the client gone. After a failure it stays,
		// so the server gives up on the rest of the body and closes the
		// connection instead of waiting for it.
		rc.SetReadDeadline(time.Time{})
	} else {
		w.Header().Set("Connection", "close")
	}
	if err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			writeError(w, rec, &anthropic.Error{Status: http.StatusRequestEntityTooLarge, Type: "request_too_large",
				Message: fmt.Sprintf("request body is larger than the limit of %s", byteSize(s.opts.MaxBodyBytes))})
		case errors.Is(err, os.ErrDeadlineExceeded):
			writeError(w, rec, &anthropic.Error{Status: http.StatusRequestTimeout, Type: "invalid_request_error",
				Message: fmt.Sprintf("the request body stopped arriving: nothing came for %v", s.opts.BodyIdleTimeout)})
		default:
			writeError(w, rec, anthropic.InvalidRequest("reading the request body: %v", err))
		}
		return nil, false
	}
	return body, true
}

// idleReader moves the connection's read deadline forward before each
// read of the body, so a slow upload of a large body is fine and a
// stalled one is not.
type idleReader struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
}

func (b *idleReader) Read(p []byte) (int, error) {
	b.rc.SetReadDeadline(time.Now().Add(b.idle)) // ErrNotSupported in tests' recorders: no deadline
	return b.ReadCloser.Read(p)
}

// route finds the deployments for a model name, or the error to answer.
func (s *Server) route(cfg *config.Config, model string) (*config.Route, *anthropic.Error) {
	route, err := cfg.Route(model)
	if err != nil {
		var nf *config.NotFoundError
		if errors.As(err, &nf) {
			return nil, anthropic.NotFound("model %q is not configured in clawbridge; configured models: %s", nf.Model, knownList(nf.Known))
		}
		return nil, anthropic.Failure("routing model %q: %v", model, err)
	}
	return route, nil
}

// frontEnd is one of the APIs the translator serves: it makes the output
// that writes an answer in its terms, streamed or whole.
type frontEnd interface {
	newStream(t target, cfg anthropic.AnswerConfig) streamOutput
	newCollect(t target, cfg anthropic.AnswerConfig) collectOutput
	// toolIDPrefix starts the ids of tool calls ("toolu_", "call_").
	toolIDPrefix() string
}

// output is what both kinds of output share.
type output interface {
	// chunk takes one chunk; true means the answer is complete.
	chunk(c *ollama.ChatResponse) bool
	// started says which backend answers, before its first chunk.
	started(a *attempt)
	answer() *anthropic.Answer
}

// streamOutput writes an answer as server-sent events.
type streamOutput interface {
	output
	// end closes the stream after the upstream call returned err.
	end(err error)
	ping()
	// fail ends the stream with an error event.
	fail(ae *anthropic.Error)
	writeTo(w io.Writer) error
}

// collectOutput collects an answer into one response body.
type collectOutput interface {
	output
	// end returns the body, or the error the client gets instead.
	end(err error) (any, *anthropic.Error)
}

// chat answers a request of either API: routing, the backends, and the
// answer streamed or whole.
func (s *Server) chat(w http.ResponseWriter, r *http.Request, cfg *config.Config, rec *requestLog, req *anthropic.Request, fe frontEnd) {
	rec.alias, rec.stream = req.Model, req.Stream
	route, ae := s.route(cfg, req.Model)
	if ae != nil {
		writeError(w, rec, ae)
		return
	}
	if route.Alias != req.Model {
		rec.route = route.Alias
	}
	if len(req.DroppedTools) > 0 {
		s.log.Info("server tools dropped: a local model cannot run them", "request_id", rec.id, "tools", req.DroppedTools)
	}
	t := target{Alias: req.Model}
	prefix := fe.toolIDPrefix()
	acfg := anthropic.AnswerConfig{Stops: req.StopSequences, Tools: anthropic.NewToolSet(req.Tools), NewToolID: func() string { return s.newID(prefix) }}
	if req.Stream {
		s.stream(r.Context(), w, rec, cfg, route, req, fe.newStream(t, acfg))
		return
	}
	s.complete(r.Context(), w, rec, cfg, route, req, fe.newCollect(t, acfg))
}

// startBackend adapts the output to the backend that answers.
func startBackend(out output, rec *requestLog, a *attempt) {
	if !a.backend.Repair {
		out.answer().NoRepair()
	}
	out.started(a)
}

// complete answers a non-streaming request: the whole answer, collected,
// as one JSON body.
func (s *Server) complete(ctx context.Context, w http.ResponseWriter, rec *requestLog, cfg *config.Config, route *config.Route, req *anthropic.Request, col collectOutput) {
	err := s.dispatch(ctx, cfg, route, req, rec, func(a *attempt) { startBackend(col, rec, a) }, func(c *ollama.ChatResponse) error {
		rec.firstToken(c)
		if col.chunk(c) && !c.Done {
			return errStopSequence
		}
		return nil
	})
	switch {
	case errors.Is(err, errStopSequence):
		err = nil
	case err != nil && ctx.Err() != nil:
		if err = context.Cause(ctx); !isAPIError(err) {
			rec.err = "client went away"
			return
		}
	}
	body, ae := col.end(err)
	if ae != nil {
		writeError(w, rec, ae)
		return
	}
	rec.outcome = col.answer().Outcome()
	writeJSON(w, rec, http.StatusOK, body)
}

// upstreamItem is what the upstream goroutine hands the stream loop: a
// chunk, or the backend that starts answering.
type upstreamItem struct {
	chunk *ollama.ChatResponse
	start *attempt
}

// stream answers a streaming request. The backend's chunks arrive from the
// upstream goroutine through a handoff, so this loop alone writes to the
// client: chunks, pings while the backend is silent, and the end.
//
// The 200 is committed at the first chunk or after HeaderGrace, whichever
// comes first; until then an upstream failure is a plain HTTP error, after
// it an error event. When the client goes away the request context is
// cancelled, which cancels the upstream request with it.
func (s *Server) stream(parent context.Context, w http.ResponseWriter, rec *requestLog, cfg *config.Config, route *config.Route, req *anthropic.Request, out streamOutput) {
	ctx, cancel := context.WithCancel(parent)
	items := newHandoff(maxQueuedChunks)
	var upstreamErr error // written before items is closed, read after
	upstreamDone := make(chan struct{})
	go func() {
		defer close(upstreamDone)
		defer items.close()
		upstreamErr = s.dispatch(ctx, cfg, route, req, rec, func(a *attempt) { items.put(ctx, upstreamItem{start: a}) },
			func(c *ollama.ChatResponse) error { return items.put(ctx, upstreamItem{chunk: c}) })
	}()
	defer func() {
		cancel()
		<-upstreamDone
		rec.outcome = out.answer().Outcome()
	}()

	rc := http.NewResponseController(w)
	// A client that stops reading (but keeps its connection) would block
	// the write, and with it the backend, forever: each write must finish
	// within the stream idle timeout. The deadline is moved forward at
	// most every quarter of it, and cleared at the end for the next
	// request on the connection.
	idle := cfg.Clawbridge.Translator.IdleTimeout()
	var deadlineSet time.Time
	if idle > 0 {
		defer rc.SetWriteDeadline(time.Time{})
	}
	committed := false
	// send writes what out holds and flushes it to the client. With more
	// (chunks that arrived together are still to be written) it leaves
	// the bytes in the response's buffer for the flush after them: tokens
	// that queue up go out in one write system call, and none waits for a
	// token not yet arrived. The bound keeps a fast backend from holding
	// a whole answer back.
	unflushed := 0
	send := func(more bool) bool {
		if idle > 0 {
			if now := time.Now(); now.Sub(deadlineSet) > idle/4 {
				rc.SetWriteDeadline(now.Add(idle))
				deadlineSet = now
			}
		}
		if !committed {
			h := w.Header()
			h.Set("Content-Type", "text/event-stream")
			h.Set("Cache-Control", "no-cache")
			h.Set("X-Accel-Buffering", "no")
			w.WriteHeader(http.StatusOK)
			rec.status = http.StatusOK
			committed = true
		}
		if err := out.writeTo(w); err != nil {
			return false
		}
		if more && unflushed < maxUnflushedChunks {
			unflushed++
			return true
		}
		unflushed = 0
		return rc.Flush() == nil
	}
	// fail ends the request with err: a plain HTTP error while nothing has
	// been sent, an error event after.
	fail := func(err error) {
		ae := target{Alias: req.Model}.errorFor(err)
		rec.err = ae.Message
		if !committed {
			writeError(w, rec, ae)
			return
		}
		out.fail(ae)
		send(false)
	}

	grace := time.NewTimer(s.opts.HeaderGrace)
	defer grace.Stop()
	ping := time.NewTicker(s.opts.PingInterval)
	defer ping.Stop()
	active := false
	var batch []upstreamItem
	for {
		select {
		case <-items.ready:
			var closed bool
			batch, closed = items.take(batch)
			for i, it := range batch {
				if it.start != nil {
					startBackend(out, rec, it.start)
					continue
				}
				rec.firstToken(it.chunk)
				done := out.chunk(it.chunk)
				if !send(!done && i < len(batch)-1) || done {
					return
				}
				active = true
			}
			if !closed {
				continue
			}
			err := upstreamErr
			if ctx.Err() != nil {
				if err = context.Cause(ctx); !isAPIError(err) {
					rec.err = "client went away"
					return
				}
			}
			if errors.Is(err, errStopSequence) {
				err = nil
			}
			if err != nil && !errors.Is(err, upstream.ErrIncomplete) && !out.answer().Ended() {
				fail(err)
				return
			}
			out.end(err)
			send(false)
			return
		case <-grace.C:
			if !committed && !send(false) {
				return
			}
		case <-ping.C:
			if committed && !active {
				out.ping()
				if !send(false) {
					return
				}
			}
			active = false
		case <-ctx.Done():
			if err := context.Cause(ctx); isAPIError(err) {
				fail(err)
				return
			}
			rec.err = "client went away"
			return
		}
	}
}

// maxUnflushedChunks bounds how many chunks a stream writes between two
// flushes when chunks queue up faster than the client takes them.
const maxUnflushedChunks = 32

// maxQueuedChunks bounds how far the backend's reader runs ahead of a
// client that takes the answer slowly; then the reader waits, and the
// backend with it.
const maxQueuedChunks = 64

func isAPIError(err error) bool {
	var ae *anthropic.Error
	return errors.As(err, &ae)
}

// listModels answers GET /v1/models with the configured model names. With
// a limit (or after_id / before_id) it pages the way Anthropic's API does;
// without, it returns them all, which is what OpenAI clients expect.
func (s *Server) listModels(w http.ResponseWriter, r *http.Request, cfg *config.Config, rec *requestLog) {
	names := cfg.ModelNames()
	q := r.URL.Query()
	lo, hi := 0, len(names)
	if id := q.Get("after_id"); id != "" {
		lo = indexOf(names, id) + 1
		if lo == 0 {
			writeError(w, rec, anthropic.InvalidRequest("after_id: no model %q", id))
			return
		}
	}
	if id := q.Get("before_id"); id != "" {
		hi = indexOf(names, id)
		if hi < 0 {
			writeError(w, rec, anthropic.InvalidRequest("before_id: no model %q", id))
			return
		}
	}
	hi = max(hi, lo)
	if l := q.Get("limit"); l != "" {
		var n int
		if _, err := fmt.Sscan(l, &n); err != nil || n < 1 || n > 1000 {
			writeError(w, rec, anthropic.InvalidRequest("limit: expected an integer from 1 to 1000, got %q", l))
			return
		}
		if q.Get("before_id") != "" {
			lo = max(lo, hi-n)
		} else {
			hi = min(hi, lo+n)
		}
	}
	list := anthropic.ModelList{Data: []anthropic.ModelInfo{}, Object: "list", HasMore: lo > 0 && q.Get("before_id") != "" || hi < len(names) && q.Get("before_id") == ""}
	for _, n := range names[lo:hi] {
		list.Data = append(list.Data, s.modelInfo(n))
	}
	if len(list.Data) > 0 {
		list.FirstID, list.LastID = &list.Data[0].ID, &list.Data[len(list.Data)-1].ID
	}
	writeJSON(w, rec, http.StatusOK, list)
}

func (s *Server) getModel(w http.ResponseWriter, cfg *config.Config, rec *requestLog, id string) {
	names := cfg.ModelNames()
	if indexOf(names, id) < 0 {
		writeError(w, rec, anthropic.NotFound("model %q is not configured in clawbridge; configured models: %s", id, knownList(names)))
		return
	}
	writeJSON(w, rec, http.StatusOK, s.modelInfo(id))
}

func (s *Server) modelInfo(name string) anthropic.ModelInfo {
	return anthropic.ModelInfo{Type: "model", ID: name, DisplayName: name, CreatedAt: s.started.Format(time.RFC3339),
		Object: "model", Created: s.started.Unix(), OwnedBy: "clawbridge"}
}

// Health is the answer of GET /health.
type Health struct {
	// OK is true when every backend server of the config answered.
	OK       bool            `json:"ok"`
	Version  string          `json:"version,omitempty"`
	Backends []BackendHealth `json:"backends"`
}

// BackendHealth is one backend server of the config.
type BackendHealth struct {
	APIBase string `json:"api_base"`
	// Provider is "ollama" or "openai" (an OpenAI-compatible server).
	Provider  string `json:"provider"`
	Reachable bool   `json:"reachable"`
	// Version is Ollama's version; OpenAI-compatible servers do not say.
	Version string `json:"version,omitempty"`
	Error   string `json:"error,omitempty"`
	// InFlight is the number of requests it is answering now.
	InFlight int `json:"in_flight"`
}

// healthTimeout bounds each backend check of /health.
const healthTimeout = 3 * time.Second

// health reports whether the translator is up (it answers at all) and
// whether each backend server in the config is reachable, asking each one
// now. It needs no key, so a tray or a service manager can poll it; what
// it learns also counts for the balancing (see backends.go).
func (s *Server) health(w http.ResponseWriter, r *http.Request, rec *requestLog) {
	h := Health{OK: true, Version: s.opts.Version, Backends: []BackendHealth{}}
	if cfg := s.config(); cfg != nil {
		deps := configServers(cfg)
		h.Backends = make([]BackendHealth, len(deps))
		var wg sync.WaitGroup
		for i, d := range deps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
				defer cancel()
				k := keyOf(d)
				bh := BackendHealth{APIBase: k.base, Provider: k.provider}
				v, err := s.checkServer(ctx, d)
				if err != nil {
					bh.Error = err.Error()
				} else {
					bh.Reachable, bh.Version = true, v
				}
				bh.InFlight = s.pool.snapshot([]serverKey{k})[0].InFlight
				h.Backends[i] = bh
			}()
		}
		wg.Wait()
		for _, b := range h.Backends {
			h.OK = h.OK && b.Reachable
		}
	}
	writeJSON(w, rec, http.StatusOK, h)
}

// requestLog collects what the one log line of a request reports.
type requestLog struct {
	id, method, path string
	alias, backend   string
	route            string // the model_name that matched, when not alias
	stream           bool
	status           int
	err              string
	start, first     time.Time
	// outcome is how the answer ended: stop reason, usage, Ollama's
	// eval_duration and the tool calls repaired from text.
	outcome anthropic.Outcome
	// openai is set for the Chat Completions endpoint, whose errors have
	// OpenAI's shape.
	openai bool
}

// firstToken notes when the first generated output arrived.
func (l *requestLog) firstToken(c *ollama.ChatResponse) {
	if l.first.IsZero() && (c.Message.Content != "" || c.Message.Thinking != "" || len(c.Message.ToolCalls) > 0) {
		l.first = time.Now()
	}
}

func (s *Server) logRequest(l *requestLog) {
	if l.path != "/health" {
		s.requests.Add(1)
		if l.status >= 400 || l.err != "" {
			s.failures.Add(1)
		}
	}
	o := l.outcome
	s.repairs.Add(uint64(o.Repairs))
	dur := time.Since(l.start)
	attrs := []any{"request_id", l.id, "method", l.method, "path", l.path, "status", l.status,
		"duration_ms", dur.Milliseconds()}
	if l.alias != "" {
		attrs = append(attrs, "model", l.alias, "backend", l.backend, "stream", l.stream)
		if l.route != "" {
			attrs = append(attrs, "route", l.route)
		}
	}
	if o.StopReason != "" {
		attrs = append(attrs, "stop_reason", o.StopReason, "input_tokens", o.Usage.InputTokens, "output_tokens", o.Usage.OutputTokens)
	}
	if o.Repairs > 0 {
		attrs = append(attrs, "repaired_tool_calls", o.Repairs)
	}
	if !l.first.IsZero() {
		attrs = append(attrs, "ttft_ms", l.first.Sub(l.start).Milliseconds())
		gen := o.GenTime
		if gen <= 0 {
			gen = time.Since(l.first)
		}
		if gen > 0 && o.Usage.OutputTokens > 0 {
			attrs = append(attrs, "tokens_per_s", float64(int(float64(o.Usage.OutputTokens)/gen.Seconds()*10))/10)
		}
	}
	level := slog.LevelInfo
	if l.path == "/health" {
		// Pollers (the tray, a service manager) would drown the log.
		level = slog.LevelDebug
	}
	if l.err != "" {
		attrs = append(attrs, "error", l.err)
		level = slog.LevelWarn
	}
	if l.status >= 500 {
		level = slog.LevelError
	}
	s.log.Log(context.Background(), level, "request", attrs...)
}

func asAPIError(err error) *anthropic.Error {
	var ae *anthropic.Error
	if errors.As(err, &ae) {
		return ae
	}
	return anthropic.Failure("%v", err)
}

func writeError(w http.ResponseWriter, rec *requestLog, ae *anthropic.Error) {
	rec.err = ae.Message
	if rec.openai {
		status, body := openAIError(ae)
		writeJSON(w, rec, status, body)
		return
	}
	writeJSON(w, rec, ae.Status, anthropic.ErrorResponse{Type: "error", Error: anthropic.ErrorBody{Type: ae.Type, Message: ae.Message}, RequestID: rec.id})
}

func writeJSON(w http.ResponseWriter, rec *requestLog, status int, v any) {
	rec.status = status
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"type":"error","error":{"type":"api_error","message":"encoding the answer failed"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

func byteSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

func knownList(names []string) string {
	if len(names) == 0 {
		return "none (model_list in the config is empty)"
	}
	return strings.Join(names, ", ")
}

func indexOf(names []string, id string) int {
	for i, n := range names {
		if n == id {
			return i
		}
	}
	return -1
}

// hostOf returns the host:port of a base URL, for messages.
func hostOf(base string) string {
	if i := strings.Index(base, "://"); i >= 0 {
		base = base[i+3:]
	}
	if i := strings.IndexByte(base, '/'); i >= 0 {
		base = base[:i]
	}
	return base
}
