// Package translator serves Anthropic's Messages API (/v1/messages,
// /v1/models) and answers it from Ollama's native /api/chat, mapping the
// model names clients ask for onto local models through the config.
//
// The conversions are pure and live in their own files: request.go
// (Anthropic request to Ollama request), answer.go (the state machine
// that turns Ollama's chunks into content blocks), sse.go (the stream
// encoder). This file is the HTTP edge: routing, auth, errors, logging,
// and moving bytes between the client and Ollama.
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
	"path"
	"strings"
	"sync"
	"time"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/ollama"
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

	mu      sync.Mutex
	clients map[string]*ollama.Client // by api_base and key
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
		opts.HTTPClient = defaultHTTPClient()
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
	return &Server{
		config:  cfg,
		opts:    opts,
		log:     opts.Logger,
		caps:    newCapCache(opts.CapabilityTTL),
		newID:   func(prefix string) string { return prefix + rand.Text() },
		started: time.Now().UTC().Truncate(time.Second),
		clients: map[string]*ollama.Client{},
	}
}

func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: t}
}

// ServeHTTP routes a request. Every answer carries a request-id header,
// and every error the Anthropic error shape.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &requestLog{id: s.newID("req_"), start: time.Now(), method: r.Method, path: r.URL.Path}
	w.Header().Set("request-id", rec.id)
	defer s.logRequest(rec)
	p := path.Clean("/" + r.URL.Path)
	if p == "/health" {
		if allowMethod(w, r, rec, http.MethodGet, http.MethodHead) {
			s.health(w, r, rec)
		}
		return
	}
	cfg := s.config()
	if cfg == nil {
		writeError(w, rec, apiFailure("no configuration is loaded"))
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
	case p == "/v1/models":
		if allowMethod(w, r, rec, http.MethodGet, http.MethodHead) {
			s.listModels(w, r, cfg, rec)
		}
	case strings.HasPrefix(p, "/v1/models/"):
		if allowMethod(w, r, rec, http.MethodGet, http.MethodHead) {
			s.getModel(w, cfg, rec, strings.TrimPrefix(p, "/v1/models/"))
		}
	default:
		writeError(w, rec, notFound("no such endpoint: %s %s (clawbridge serves POST /v1/messages, GET /v1/models, GET /health)", r.Method, r.URL.Path))
	}
}

func allowMethod(w http.ResponseWriter, r *http.Request, rec *requestLog, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeError(w, rec, &apiError{http.StatusMethodNotAllowed, "invalid_request_error",
		fmt.Sprintf("method %s is not allowed on %s: use %s", r.Method, r.URL.Path, strings.Join(methods, " or "))})
	return false
}

// checkKey accepts the master key from x-api-key (Anthropic clients) or
// Authorization: Bearer (OpenAI clients), compared in constant time. With
// no master key configured every request is accepted.
func checkKey(r *http.Request, key string) *apiError {
	if key == "" {
		return nil
	}
	apiKey := r.Header.Get("X-Api-Key")
	bearer := ""
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		bearer = strings.TrimSpace(a[7:])
	}
	if apiKey == "" && bearer == "" {
		return &apiError{http.StatusUnauthorized, "authentication_error",
			"missing API key: send the master_key from the clawbridge config in the x-api-key header (or Authorization: Bearer)"}
	}
	ok := subtle.ConstantTimeCompare([]byte(apiKey), []byte(key)) == 1
	ok = subtle.ConstantTimeCompare([]byte(bearer), []byte(key)) == 1 || ok
	if !ok {
		return &apiError{http.StatusUnauthorized, "authentication_error",
			"invalid API key: it does not match general_settings.master_key in the clawbridge config"}
	}
	return nil
}

// errStopSequence stops reading Ollama once a stop sequence has ended the
// answer; returning it from the chunk callback closes the connection,
// which makes Ollama stop generating.
var errStopSequence = errors.New("stop sequence reached")

func (s *Server) messages(w http.ResponseWriter, r *http.Request, cfg *config.Config, rec *requestLog) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, rec, &apiError{http.StatusRequestEntityTooLarge, "request_too_large",
				fmt.Sprintf("request body is larger than the limit of %s", byteSize(s.opts.MaxBodyBytes))})
			return
		}
		writeError(w, rec, invalidRequest("reading the request body: %v", err))
		return
	}
	req, err := decodeRequest(body)
	if err != nil {
		writeError(w, rec, asAPIError(err))
		return
	}
	rec.alias, rec.stream = req.Model, req.Stream
	route, err := cfg.Route(req.Model)
	if err != nil {
		var nf *config.NotFoundError
		if errors.As(err, &nf) {
			writeError(w, rec, notFound("model %q is not configured in clawbridge; configured models: %s", nf.Model, knownList(nf.Known)))
			return
		}
		writeError(w, rec, apiFailure("routing model %q: %v", req.Model, err))
		return
	}
	if route.Alias != req.Model {
		rec.route = route.Alias
	}
	up, err := s.pickBackend(r.Context(), req.Model, route)
	if up.target.Model != "" {
		rec.backend = up.target.Model + "@" + up.target.Addr
	}
	if err != nil {
		writeError(w, rec, up.target.errorFor(err))
		return
	}
	b, client, t := up.backend, up.client, up.target
	if len(req.DroppedTools) > 0 {
		s.log.Info("server tools dropped: a local model cannot run them", "request_id", rec.id, "tools", req.DroppedTools)
	}
	if b.NoTools && len(req.Tools) > 0 {
		s.log.Info("tools dropped: the model cannot call tools (supports_function_calling: false, or drop_params and Ollama lists no tools capability)", "request_id", rec.id, "model", b.Model)
	}
	creq, err := chatRequest(req, b)
	if err != nil {
		writeError(w, rec, asAPIError(err))
		return
	}
	ctx := r.Context()
	if up.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, up.timeout, &apiError{http.StatusGatewayTimeout, "timeout_error",
			fmt.Sprintf("model %q did not finish within %v (litellm_params.timeout in the config)", req.Model, up.timeout)})
		defer cancel()
	}
	msgID := s.newID("msg_")
	acfg := answerConfig{stops: req.StopSequences, newToolID: func() string { return s.newID("toolu_") }}
	if b.Repair {
		acfg.tools = newToolSet(req.Tools)
	}
	if req.Stream {
		s.stream(ctx, w, rec, client, creq, newEventStream(msgID, t, acfg))
		return
	}
	s.complete(ctx, w, rec, client, creq, newCollector(msgID, t, acfg))
}

// complete answers a non-streaming request: the whole answer, collected,
// as one JSON message.
func (s *Server) complete(ctx context.Context, w http.ResponseWriter, rec *requestLog, client *ollama.Client, creq *ollama.ChatRequest, col *collector) {
	err := client.Chat(ctx, creq, func(c *ollama.ChatResponse) error {
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
	msg, ae := col.end(err)
	if ae != nil {
		writeError(w, rec, ae)
		return
	}
	rec.usage, rec.stopReason, rec.genTime, rec.repairs = msg.Usage, *msg.StopReason, col.ans.genTime, col.ans.repairs()
	writeJSON(w, rec, http.StatusOK, msg)
}

// upstream is the deployment chosen for a request.
type upstream struct {
	backend backend
	client  *ollama.Client
	target  target
	// timeout is the config's per-request timeout; 0 means none.
	timeout time.Duration
}

// pickBackend chooses the deployment that answers: the first Ollama
// deployment of the route that is reachable and has the model, asking
// /api/show (cached) for its capabilities on the way. Deployments of other
// providers are skipped: this endpoint speaks only to Ollama. On error the
// target still names the last deployment tried, for the message.
func (s *Server) pickBackend(ctx context.Context, alias string, route *config.Route) (upstream, error) {
	var (
		up      = upstream{target: target{Alias: alias}}
		lastErr error
		others  []string
	)
	for _, d := range route.Deployments {
		if d.Provider != "ollama" {
			others = append(others, d.Provider+"/"+d.Model)
			continue
		}
		client, err := s.client(d)
		if err != nil {
			return up, apiFailure("model %q: %v", alias, err)
		}
		up.target = target{Alias: alias, Model: d.Model, Addr: hostOf(client.BaseURL())}
		caps, err := s.caps.get(ctx, client, d.Model)
		var ue *ollama.UnreachableError
		var se *ollama.StatusError
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return up, ctx.Err()
		case errors.As(err, &ue), errors.As(err, &se) && se.StatusCode == http.StatusNotFound:
			lastErr = err
			continue
		default:
			// Answering without capabilities beats not answering: the chat
			// request itself will say if the model is really unusable.
			s.log.Warn("cannot read model capabilities", "model", d.Model, "ollama", up.target.Addr, "error", err)
		}
		up.client = client
		// Tools go unless the config says the model cannot call them, or
		// allows dropping what the model cannot do and Ollama says so too.
		noTools := d.SupportsFunctionCalling != nil && !*d.SupportsFunctionCalling ||
			d.SupportsFunctionCalling == nil && d.DropParams && caps != nil && !caps.Tools
		up.backend = backend{Model: d.Model, NumCtx: d.NumCtx, Caps: caps, Vision: d.SupportsVision, NoTools: noTools, Repair: config.On(d.RepairToolCalls)}
		up.timeout = time.Duration(d.Timeout * float64(time.Second))
		return up, nil
	}
	if lastErr != nil {
		return up, lastErr
	}
	return up, invalidRequest("model %q is served by %s, but the Anthropic endpoint can only answer from Ollama models", alias, strings.Join(others, ", "))
}

// client returns the Ollama client for a deployment's api_base (and key,
// for an Ollama behind an authenticating proxy), reusing connections.
func (s *Server) client(d config.Deployment) (*ollama.Client, error) {
	base := d.APIBase
	if base == "" {
		base = config.DefaultOllamaBase
	}
	key := base + "\x00" + d.APIKey
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[key]; ok {
		return c, nil
	}
	hc := s.opts.HTTPClient
	if d.APIKey != "" {
		hc = &http.Client{Transport: bearerTransport{key: d.APIKey, next: transportOf(hc)}}
	}
	c, err := ollama.New(base, hc)
	if err != nil {
		return nil, err
	}
	s.clients[key] = c
	return c, nil
}

// bearerTransport adds a deployment's api_key to every request to Ollama.
type bearerTransport struct {
	key  string
	next http.RoundTripper
}

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return b.next.RoundTrip(r)
}

func transportOf(hc *http.Client) http.RoundTripper {
	if hc.Transport != nil {
		return hc.Transport
	}
	return http.DefaultTransport
}

// stream answers a streaming request. Ollama's chunks arrive on a channel
// from the upstream goroutine, so this loop alone writes to the client:
// chunks, pings while Ollama is silent, and the end.
//
// The 200 is committed at Ollama's first chunk or after HeaderGrace,
// whichever comes first; until then an upstream failure is a plain HTTP
// error, after it an error event. When the client goes away the request
// context is cancelled, which cancels the upstream request with it.
func (s *Server) stream(parent context.Context, w http.ResponseWriter, rec *requestLog, client *ollama.Client, creq *ollama.ChatRequest, es *eventStream) {
	ctx, cancel := context.WithCancel(parent)
	chunks := make(chan *ollama.ChatResponse, 16)
	var upstreamErr error // written before chunks is closed, read after
	go func() {
		defer close(chunks)
		upstreamErr = client.Chat(ctx, creq, func(c *ollama.ChatResponse) error {
			select {
			case chunks <- c:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	defer func() {
		cancel()
		for range chunks {
		}
		rec.usage, rec.stopReason, rec.genTime, rec.repairs = es.ans.usage, es.ans.stopReason, es.ans.genTime, es.ans.repairs()
	}()

	rc := http.NewResponseController(w)
	committed := false
	send := func() bool {
		if !committed {
			h := w.Header()
			h.Set("Content-Type", "text/event-stream")
			h.Set("Cache-Control", "no-cache")
			h.Set("X-Accel-Buffering", "no")
			w.WriteHeader(http.StatusOK)
			rec.status = http.StatusOK
			committed = true
		}
		if err := es.enc.writeTo(w); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// fail ends the request with err: a plain HTTP error while nothing has
	// been sent, an error event after.
	fail := func(err error) {
		ae := es.t.errorFor(err)
		rec.err = ae.Message
		if !committed {
			writeError(w, rec, ae)
			return
		}
		es.enc.fail(ae.Type, ae.Message)
		send()
	}

	grace := time.NewTimer(s.opts.HeaderGrace)
	defer grace.Stop()
	ping := time.NewTicker(s.opts.PingInterval)
	defer ping.Stop()
	active := false
	for {
		select {
		case c, ok := <-chunks:
			if !ok {
				err := upstreamErr
				if ctx.Err() != nil {
					if err = context.Cause(ctx); !isAPIError(err) {
						rec.err = "client went away"
						return
					}
				}
				if err != nil && !errors.Is(err, ollama.ErrIncomplete) && !es.ans.ended {
					fail(err)
					return
				}
				es.end(err)
				send()
				return
			}
			rec.firstToken(c)
			done := es.chunk(c)
			if !send() || done {
				return
			}
			active = true
		case <-grace.C:
			if !committed && !send() {
				return
			}
		case <-ping.C:
			if committed && !active {
				es.enc.ping()
				if !send() {
					return
				}
			}
			active = false
		case <-ctx.Done():
			if err := context.Cause(ctx); isAPIError(err) {
				fail(err) // the config's timeout
				return
			}
			rec.err = "client went away"
			return
		}
	}
}

func isAPIError(err error) bool {
	var ae *apiError
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
			writeError(w, rec, invalidRequest("after_id: no model %q", id))
			return
		}
	}
	if id := q.Get("before_id"); id != "" {
		hi = indexOf(names, id)
		if hi < 0 {
			writeError(w, rec, invalidRequest("before_id: no model %q", id))
			return
		}
	}
	hi = max(hi, lo)
	if l := q.Get("limit"); l != "" {
		var n int
		if _, err := fmt.Sscan(l, &n); err != nil || n < 1 || n > 1000 {
			writeError(w, rec, invalidRequest("limit: expected an integer from 1 to 1000, got %q", l))
			return
		}
		if q.Get("before_id") != "" {
			lo = max(lo, hi-n)
		} else {
			hi = min(hi, lo+n)
		}
	}
	list := ModelList{Data: []ModelInfo{}, Object: "list", HasMore: lo > 0 && q.Get("before_id") != "" || hi < len(names) && q.Get("before_id") == ""}
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
		writeError(w, rec, notFound("model %q is not configured in clawbridge; configured models: %s", id, knownList(names)))
		return
	}
	writeJSON(w, rec, http.StatusOK, s.modelInfo(id))
}

func (s *Server) modelInfo(name string) ModelInfo {
	return ModelInfo{Type: "model", ID: name, DisplayName: name, CreatedAt: s.started.Format(time.RFC3339),
		Object: "model", Created: s.started.Unix(), OwnedBy: "clawbridge"}
}

// Health is the answer of GET /health.
type Health struct {
	// OK is true when every configured Ollama server answered.
	OK       bool            `json:"ok"`
	Version  string          `json:"version,omitempty"`
	Backends []BackendHealth `json:"backends"`
}

// BackendHealth is one Ollama server of the config.
type BackendHealth struct {
	APIBase   string `json:"api_base"`
	Reachable bool   `json:"reachable"`
	Version   string `json:"version,omitempty"`
	Error     string `json:"error,omitempty"`
}

// healthTimeout bounds each backend check of /health.
const healthTimeout = 3 * time.Second

// health reports whether the translator is up (it answers at all) and
// whether each Ollama server in the config is reachable, with its version.
// It needs no key, so a tray or a service manager can poll it.
func (s *Server) health(w http.ResponseWriter, r *http.Request, rec *requestLog) {
	h := Health{OK: true, Version: s.opts.Version, Backends: []BackendHealth{}}
	if cfg := s.config(); cfg != nil {
		seen := map[string]bool{}
		var deps []config.Deployment
		for _, name := range cfg.ModelNames() {
			route, err := cfg.Route(name)
			if err != nil {
				continue
			}
			for _, d := range route.Deployments {
				if d.Provider == "ollama" && !seen[d.APIBase+"\x00"+d.APIKey] {
					seen[d.APIBase+"\x00"+d.APIKey] = true
					deps = append(deps, d)
				}
			}
		}
		h.Backends = make([]BackendHealth, len(deps))
		var wg sync.WaitGroup
		for i, d := range deps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.Backends[i] = s.checkBackend(r.Context(), d)
			}()
		}
		wg.Wait()
		for _, b := range h.Backends {
			h.OK = h.OK && b.Reachable
		}
	}
	writeJSON(w, rec, http.StatusOK, h)
}

func (s *Server) checkBackend(ctx context.Context, d config.Deployment) BackendHealth {
	c, err := s.client(d)
	if err != nil {
		return BackendHealth{APIBase: d.APIBase, Error: err.Error()}
	}
	bh := BackendHealth{APIBase: c.BaseURL()}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	v, err := c.Version(ctx)
	if err != nil {
		bh.Error = err.Error()
		return bh
	}
	bh.Reachable, bh.Version = true, v
	return bh
}

// requestLog collects what the one log line of a request reports.
type requestLog struct {
	id, method, path string
	alias, backend   string
	route            string // the model_name that matched, when not alias
	stream           bool
	status           int
	err              string
	usage            Usage
	stopReason       string
	start, first     time.Time
	genTime          time.Duration // Ollama's eval_duration
	repairs          int           // tool calls repaired from text
}

// firstToken notes when the first generated output arrived.
func (l *requestLog) firstToken(c *ollama.ChatResponse) {
	if l.first.IsZero() && (c.Message.Content != "" || c.Message.Thinking != "" || len(c.Message.ToolCalls) > 0) {
		l.first = time.Now()
	}
}

func (s *Server) logRequest(l *requestLog) {
	dur := time.Since(l.start)
	attrs := []any{"request_id", l.id, "method", l.method, "path", l.path, "status", l.status,
		"duration_ms", dur.Milliseconds()}
	if l.alias != "" {
		attrs = append(attrs, "model", l.alias, "backend", l.backend, "stream", l.stream)
		if l.route != "" {
			attrs = append(attrs, "route", l.route)
		}
	}
	if l.stopReason != "" {
		attrs = append(attrs, "stop_reason", l.stopReason, "input_tokens", l.usage.InputTokens, "output_tokens", l.usage.OutputTokens)
	}
	if l.repairs > 0 {
		attrs = append(attrs, "repaired_tool_calls", l.repairs)
	}
	if !l.first.IsZero() {
		attrs = append(attrs, "ttft_ms", l.first.Sub(l.start).Milliseconds())
		gen := l.genTime
		if gen <= 0 {
			gen = time.Since(l.first)
		}
		if gen > 0 && l.usage.OutputTokens > 0 {
			attrs = append(attrs, "tokens_per_s", float64(int(float64(l.usage.OutputTokens)/gen.Seconds()*10))/10)
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

func asAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	return apiFailure("%v", err)
}

func writeError(w http.ResponseWriter, rec *requestLog, ae *apiError) {
	rec.err = ae.Message
	writeJSON(w, rec, ae.Status, ErrorResponse{Type: "error", Error: ErrorBody{Type: ae.Type, Message: ae.Message}, RequestID: rec.id})
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
