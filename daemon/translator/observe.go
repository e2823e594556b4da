package translator

import (
	"context"
	"strings"
	"time"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// RequestStats are the numbers of one API request, for the daemon's live
// numbers and /metrics: who asked for which model, how it went and how
// fast. They never hold a prompt or an answer.
type RequestStats struct {
	// Alias is the model name the client asked for; Model and Backend the
	// backend model that answered and its server ("" when none was
	// reached).
	Alias, Model, Backend string
	// Path is the API path ("/v1/messages", "/v1/chat/completions", …).
	Path string
	// Status is the HTTP status sent; Failed is set for an error, also
	// one that came after a 200 had been sent.
	Status int
	Failed bool
	Stream bool
	// Duration is the whole request; TTFT the time to the first output
	// (0 when none came); GenTime the generation time Ollama reported.
	Duration, TTFT, GenTime time.Duration
	// InputTokens and OutputTokens are the usage reported to the client.
	InputTokens, OutputTokens int
}

// TokensPerSecond is the generation speed: output tokens over Ollama's
// generation time, or over the time since the first token when Ollama
// did not say; 0 when unknown.
func (r RequestStats) TokensPerSecond() float64 {
	gen := r.GenTime
	if gen <= 0 && r.TTFT > 0 {
		gen = r.Duration - r.TTFT
	}
	if gen <= 0 || r.OutputTokens <= 0 {
		return 0
	}
	return float64(r.OutputTokens) / gen.Seconds()
}

// report hands a finished request's numbers to Options.OnRequest.
func (s *Server) report(l *requestLog) {
	if s.opts.OnRequest == nil || l.alias == "" {
		return
	}
	r := RequestStats{Alias: l.alias, Path: l.path, Status: l.status, Failed: l.status >= 400 || l.err != "",
		Stream: l.stream, Duration: time.Since(l.start), GenTime: l.outcome.GenTime,
		InputTokens: l.outcome.Usage.InputTokens, OutputTokens: l.outcome.Usage.OutputTokens}
	if i := strings.LastIndexByte(l.backend, '@'); i >= 0 {
		r.Model, r.Backend = l.backend[:i], l.backend[i+1:]
	}
	if !l.first.IsZero() {
		r.TTFT = l.first.Sub(l.start)
	}
	s.opts.OnRequest(r)
}

// agentPromptTokens is the prompt size warm-up sizes num_ctx for when no
// request has been seen for a model yet: about what Clawdbot's system
// prompt and tool schemas take, so that its first request fits the
// context the model was loaded with.
const agentPromptTokens = 6000

// WarmContext returns the num_ctx for loading d's model ahead of requests
// (0: Ollama's default), as a request would size it: the entry's num_ctx,
// else the largest already sent for the model, else what an agent-sized
// prompt needs. It remembers the result, so the next request keeps that
// size instead of reloading the model with another.
func (s *Server) WarmContext(ctx context.Context, d config.Deployment) int {
	if d.Provider != "ollama" {
		return 0
	}
	client, err := s.be.client(d)
	if err != nil {
		return d.NumCtx
	}
	info := &showInfo{}
	if oc, ok := client.(*ollama.Client); ok {
		if got, err := s.be.caps.get(ctx, oc, d.Model); err == nil && got != nil {
			info = got
		}
	}
	m := s.be.pool.model(modelKey{keyOf(d), d.Model})
	in := sizing{Fixed: d.NumCtx, Prompt: agentPromptTokens, ModelDefault: info.NumCtx,
		ContextLength: info.ContextLength, Last: s.be.pool.lastNumCtx(m)}
	if cfg := s.config(); cfg != nil {
		in.Limit = cfg.Clawbridge.Translator.MaxNumCtx
	}
	n, cerr := sizeContext(in)
	if cerr != nil {
		n = cerr.Limit // an agent-sized prompt does not fit: the largest allowed
	}
	if n > 0 {
		s.be.pool.keepNumCtx(m, n)
	}
	return n
}
