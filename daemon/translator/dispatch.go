package translator

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/upstream"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/daemon/upstream/openaicompat"
)

// chatClient is a backend server that answers chat requests: an Ollama
// (*ollama.Client), or an OpenAI-compatible server behind openaiBackend.
type chatClient interface {
	Chat(ctx context.Context, req *ollama.ChatRequest, fn func(*ollama.ChatResponse) error) error
	BaseURL() string
}

// attempt is one backend tried for a request, with the request built for
// it.
type attempt struct {
	dep     config.Deployment
	key     serverKey
	client  chatClient
	target  target
	backend anthropic.Backend
	creq    *ollama.ChatRequest
	model   *modelState
	// est is the raw token estimate of the prompt, kept to calibrate
	// against the count the backend reports.
	est tokenEstimate
	// autoCtx is set when num_ctx was sized here (not fixed by the config).
	autoCtx bool
	// ctxBase and ctxLimit are the smallest num_ctx worth sending and
	// the largest allowed (0: unknown), for growing it when Ollama finds
	// the estimate short.
	ctxBase, ctxLimit int
	timeout           time.Duration
}

// backendError is an error from one backend, with the target it came
// from, so that the message names the right server after a failover.
type backendError struct {
	t   target
	err error
}

func (e *backendError) Error() string { return e.err.Error() }
func (e *backendError) Unwrap() error { return e.err }

// errNoDeployment: a route whose entries were all skipped.
var errNoDeployment = errors.New("no deployment")

// dispatch answers the exchange's request from its route's deployments.
// It tries them in the pool's order (healthy first, fewest requests in
// flight first) and moves on to the next while nothing has been received
// yet and the backend could not be reached or lacks the model. When every
// backend that could answer is busy (at its max_parallel_requests), the
// request waits in the queue for the first of them to free a slot
// (queue.go). onStart is called with the backend that answers just
// before fn gets its first chunk. Errors are *backendError where a
// backend is known.
func (b *backends) dispatch(ctx context.Context, x *exchange, onStart func(*attempt), fn func(*ollama.ChatResponse) error) error {
	deps, due := b.pool.order(x.route.Deployments, b.recheck)
	for _, d := range due {
		go b.probe(d)
	}
	var lastErr error = errNoDeployment
	var busy []*attempt
	var slots []slot
	for i, d := range deps {
		a, err := b.prepare(ctx, x, d)
		if a != nil {
			x.rec.backend = a.target.Model + "@" + a.target.Addr
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if a != nil && canFailOver(err) {
				b.noteFailure(a, err, i < len(deps)-1)
				lastErr = &backendError{a.target, err}
				continue
			}
			if a != nil {
				return &backendError{a.target, err}
			}
			return err
		}
		s := slot{key: a.key, model: a.model, limit: maxParallel(d)}
		release, ok := b.pool.acquire(s.key, s.model, s.limit)
		if !ok {
			busy, slots = append(busy, a), append(slots, s)
			continue
		}
		next, err := b.try(ctx, x, a, release, onStart, fn, i < len(deps)-1)
		if !next {
			return err
		}
		lastErr = err
	}
	if len(busy) == 0 {
		return lastErr
	}
	return b.queue(ctx, x, busy, slots, onStart, fn)
}

// queue waits for a slot on one of the busy attempts and runs it there.
func (b *backends) queue(ctx context.Context, x *exchange, busy []*attempt, slots []slot, onStart func(*attempt), fn func(*ollama.ChatResponse) error) error {
	tr := x.cfg.Clawbridge.Translator
	j, release, err := b.pool.wait(ctx, x.route.Alias, slots, tr.MaxQueued(), tr.QueueWait())
	if err != nil {
		var qe *queueError
		if errors.As(err, &qe) {
			b.log.Warn("request refused by the queue", "request_id", x.rec.id, "model", x.route.Alias, "error", err)
		}
		return err
	}
	x.rec.backend = busy[j].target.Model + "@" + busy[j].target.Addr
	_, err = b.try(ctx, x, busy[j], release, onStart, fn, false)
	return err
}

// try runs an attempt that holds a slot, and frees the slot; next
// reports that nothing reached the client and another backend may
// answer instead.
func (b *backends) try(ctx context.Context, x *exchange, a *attempt, release func(), onStart func(*attempt), fn func(*ollama.ChatResponse) error, more bool) (next bool, err error) {
	a.creq.Stream = !wholeAnswer(x, a)
	started, err := b.run(ctx, x, a, onStart, fn)
	release()
	if err != nil && !started && ctx.Err() == nil && canFailOver(err) {
		b.noteFailure(a, err, more)
		return true, &backendError{a.target, err}
	}
	if err == nil && !started {
		onStart(a)
	}
	if err != nil && !errors.Is(err, errStopSequence) {
		return false, &backendError{a.target, err}
	}
	return false, err
}

// maxParallel is a deployment's max_parallel_requests in effect.
func maxParallel(d config.Deployment) int {
	if d.MaxParallelRequests > 0 {
		return d.MaxParallelRequests
	}
	return defaultMaxParallel
}

// run sends an attempt's request, bounded by its timeout and by the
// stream idle timeout, and hands each chunk to fn, after calling onStart
// before the first; started reports whether any chunk came.
func (b *backends) run(ctx context.Context, x *exchange, a *attempt, onStart func(*attempt), fn func(*ollama.ChatResponse) error) (started bool, err error) {
	actx, cancel := ctx, context.CancelFunc(func() {})
	if a.timeout > 0 {
		actx, cancel = context.WithTimeoutCause(ctx, a.timeout, &anthropic.Error{Status: http.StatusGatewayTimeout, Type: "timeout_error",
			Message: fmt.Sprintf("model %q did not finish within %v (litellm_params.timeout in the config)", x.req.Model, a.timeout)})
	}
	defer cancel()
	idle := newIdleWatch(actx, x.cfg.Clawbridge.Translator.IdleTimeout(), a)
	err = b.chatGrowing(idle.ctx, a, func(c *ollama.ChatResponse) error {
		idle.pause()
		defer idle.resume()
		if !started {
			started = true
			b.pool.report(a.key, nil)
			if a.autoCtx && a.creq.Options.NumCtx != nil {
				b.pool.keepNumCtx(a.model, *a.creq.Options.NumCtx)
			}
			onStart(a)
		}
		if c.Done && c.PromptEvalCount > 0 {
			a.model.cal.observe(a.est, c.PromptEvalCount)
		}
		if c.Done {
			a.model.noteSpeed(c)
		}
		return fn(c)
	})
	idle.stop()
	if err != nil && idle.ctx.Err() != nil && ctx.Err() == nil {
		err = context.Cause(idle.ctx)
	}
	idle.cancel(nil)
	return started, err
}

// maxCtxGrowth bounds how often one request doubles num_ctx.
const maxCtxGrowth = 4

// chatGrowing sends the attempt's request. When num_ctx was sized here
// and Ollama says the prompt does not fit (the estimate was short, as it
// can be before the model is calibrated), it doubles num_ctx, up to the
// limit, and asks again: nothing has reached the client yet.
func (b *backends) chatGrowing(ctx context.Context, a *attempt, fn func(*ollama.ChatResponse) error) error {
	for tries := 0; ; tries++ {
		err := a.client.Chat(ctx, a.creq, fn)
		var se *upstream.StatusError
		if tries == maxCtxGrowth || !(a.dep.Provider == "ollama" && a.dep.NumCtx == 0 && errors.As(err, &se) &&
			se.StatusCode == http.StatusBadRequest && strings.Contains(se.Message, "exceeds the context length")) {
			return err
		}
		n := a.ctxBase
		if a.creq.Options.NumCtx != nil {
			n = *a.creq.Options.NumCtx * 2
		}
		if a.ctxLimit > 0 {
			n = min(n, a.ctxLimit)
		}
		if a.creq.Options.NumCtx != nil && n <= *a.creq.Options.NumCtx {
			return err
		}
		b.log.Info("prompt longer than estimated, raising num_ctx", "model", a.target.Alias, "backend", a.target.Model+"@"+a.target.Addr, "num_ctx", n)
		a.creq.Options.NumCtx, a.autoCtx = &n, true
	}
}

// canFailOver reports whether another backend may answer after err: this
// one could not be reached, does not have the model, or is busy.
func canFailOver(err error) bool {
	var ue *upstream.UnreachableError
	var se *upstream.StatusError
	switch {
	case errors.As(err, &ue):
		return true
	case errors.As(err, &se):
		switch se.StatusCode {
		case http.StatusNotFound, http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
	}
	return false
}

// noteFailure records a backend that could not answer: an unreachable
// server is marked down. more says whether another will be tried.
func (b *backends) noteFailure(a *attempt, err error, more bool) {
	var ue *upstream.UnreachableError
	if errors.As(err, &ue) {
		b.pool.report(a.key, err)
	}
	if more {
		b.log.Warn("backend cannot answer, trying the next", "model", a.target.Alias, "backend", a.target.Model+"@"+a.target.Addr, "error", err)
	}
}

// prepare builds the request for one deployment: it asks Ollama (cached)
// what the model can do, converts the request, and sizes its context. The
// attempt is returned with any error that concerns its backend.
func (b *backends) prepare(ctx context.Context, x *exchange, d config.Deployment) (*attempt, error) {
	cfg, alias, req := x.cfg, x.route.Alias, x.req
	client, err := b.client(d)
	if err != nil {
		return nil, anthropic.Failure("model %q: %v", alias, err)
	}
	a := &attempt{dep: d, key: keyOf(d), client: client,
		target:  target{Alias: alias, Model: d.Model, Addr: hostOf(client.BaseURL()), Kind: kindOf(d)},
		timeout: time.Duration(d.Timeout * float64(time.Second)),
	}
	var info *showInfo
	if oc, ok := client.(*ollama.Client); ok {
		info, err = b.caps.get(ctx, oc, d.Model)
		var ue *upstream.UnreachableError
		var se *upstream.StatusError
		switch {
		case err == nil:
			b.pool.report(a.key, nil)
		case ctx.Err() != nil:
			return a, ctx.Err()
		case errors.As(err, &ue), errors.As(err, &se) && se.StatusCode == http.StatusNotFound:
			return a, err
		default:
			// Answering without capabilities beats not answering: the chat
			// request itself will say if the model is really unusable.
			b.log.Warn("cannot read model capabilities", "model", d.Model, "ollama", a.target.Addr, "error", err)
		}
	}
	if info == nil {
		info = &showInfo{}
	}
	// Tools go unless the config says the model cannot call them, or
	// allows dropping what the model cannot do and Ollama says so too.
	noTools := dropsTools(d, info.Caps)
	a.backend = anthropic.Backend{Model: d.Model, NumCtx: d.NumCtx, Caps: info.Caps, Vision: d.SupportsVision, NoTools: noTools, Repair: config.On(d.RepairToolCalls)}
	if a.creq, err = anthropic.OllamaRequest(req, a.backend); err != nil {
		return a, err
	}
	a.model = b.pool.model(modelKey{a.key, d.Model})
	a.est = estimateTokens(a.creq)
	prompt := a.model.cal.apply(a.est)
	if d.Provider != "ollama" {
		if d.MaxInputTokens > 0 && prompt > d.MaxInputTokens {
			return a, b.tooLong(a, &contextError{Prompt: prompt, Limit: d.MaxInputTokens, What: "model_info.max_input_tokens"})
		}
		return a, nil
	}
	n, cerr := sizeContext(sizing{Fixed: d.NumCtx, Prompt: prompt, MaxTokens: req.MaxTokens, ModelDefault: info.NumCtx,
		ContextLength: info.ContextLength, Limit: cfg.Clawbridge.Translator.MaxNumCtx, Last: b.pool.lastNumCtx(a.model)})
	if cerr != nil {
		return a, b.tooLong(a, cerr)
	}
	if n > 0 {
		a.creq.Options.NumCtx = &n
		a.autoCtx = d.NumCtx == 0
	}
	a.ctxBase = max(info.NumCtx, defaultNumCtx) * 2
	a.ctxLimit = info.ContextLength
	if l := cfg.Clawbridge.Translator.MaxNumCtx; l > 0 && (a.ctxLimit == 0 || l < a.ctxLimit) {
		a.ctxLimit = l
	}
	a.creq.KeepAlive = d.KeepAlive
	no := false
	a.creq.Truncate, a.creq.Shift = &no, &no
	return a, nil
}

// tooLong logs and explains a prompt that cannot fit.
func (b *backends) tooLong(a *attempt, ce *contextError) *anthropic.Error {
	b.log.Warn("request does not fit the model's context", "model", a.target.Alias, "backend", a.target.Model+"@"+a.target.Addr,
		"prompt_tokens", ce.Prompt, "limit", ce.Limit, "set_by", ce.What)
	return anthropic.InvalidRequest("prompt is too long: about %d tokens, but %q (%s) has room for %d (%s); shorten the conversation or raise the limit",
		ce.Prompt, a.target.Alias, a.target.Model, ce.Limit, ce.What)
}

// client returns the client for a deployment's server (and key),
// reusing connections.
func (b *backends) client(d config.Deployment) (chatClient, error) {
	k := keyOf(d)
	ck := k.provider + "\x00" + k.base + "\x00" + d.APIKey
	b.mu.Lock()
	defer b.mu.Unlock()
	if c, ok := b.clients[ck]; ok {
		return c, nil
	}
	var c chatClient
	switch d.Provider {
	case "ollama":
		oc, err := ollama.New(k.base, upstream.WithBearer(b.http, d.APIKey))
		if err != nil {
			return nil, err
		}
		c = oc
	case "openai":
		oc, err := openaicompat.New(k.base, d.APIKey, b.http)
		if err != nil {
			return nil, err
		}
		c = &openaiBackend{c: oc}
	default:
		return nil, fmt.Errorf("provider %q is not supported", d.Provider)
	}
	b.clients[ck] = c
	return c, nil
}

// probe checks a server that is down, in the background, so that it is
// used again once it is back even while others take all the requests.
func (b *backends) probe(d config.Deployment) {
	ctx, cancel := context.WithTimeout(context.Background(), healthTimeout)
	defer cancel()
	b.checkServer(ctx, d)
	b.pool.probeDone(keyOf(d))
}

// checkServer asks a server whether it is up (Ollama's version, or an
// OpenAI-compatible server's model list) and records the answer.
func (b *backends) checkServer(ctx context.Context, d config.Deployment) (string, error) {
	c, err := b.client(d)
	if err != nil {
		return "", err
	}
	var version string
	switch c := c.(type) {
	case *ollama.Client:
		version, err = c.Version(ctx)
	case *openaiBackend:
		_, err = c.c.Models(ctx)
	}
	b.pool.report(keyOf(d), err)
	return version, err
}

// serverKind is a target's kind of server, for messages.
func serverKind(t target) string {
	if t.Kind == "" {
		return "Ollama"
	}
	return t.Kind
}

// kindOf names a deployment's kind of server, for messages.
func kindOf(d config.Deployment) string {
	if d.Provider == "openai" {
		return "the OpenAI-compatible server"
	}
	return "Ollama"
}

// lastNumCtx returns the num_ctx last sized for a model.
func (p *pool) lastNumCtx(m *modelState) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return m.numCtx
}

// keepNumCtx remembers a num_ctx that a model was run with.
func (p *pool) keepNumCtx(m *modelState, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m.numCtx = max(m.numCtx, n)
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
