package translator

import (
	"context"
	"log/slog"
	"time"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

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

// logRequest counts the request for Stats and writes its log line.
func (s *Server) logRequest(l *requestLog) {
	if l.path != "/health" {
		s.requests.Add(1)
		if l.status >= 400 || l.err != "" {
			s.failures.Add(1)
		}
	}
	o := l.outcome
	s.repairs.Add(uint64(o.Repairs))
	s.report(l)
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
