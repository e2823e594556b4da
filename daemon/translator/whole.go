package translator

import (
	"time"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// Whole answers from Ollama.
//
// A client that does not stream gets one JSON body, and reading Ollama's
// answer token by token only to collect it costs a line, a decode and a
// read system call per token, for nothing: Ollama can send the answer as
// one object ("stream": false), which the collector takes as one chunk,
// with the same stop reason, usage, tool calls and repair. The stream is
// kept where it gives something:
//
//   - stop sequences: streamed, clawbridge sees the sequence as it is
//     generated, reports which one matched and closes the connection,
//     which stops Ollama there; a whole answer would run on to max_tokens.
//   - the stream idle timeout: a whole answer sends nothing until it is
//     done, so the idle timeout would fail a healthy model that takes
//     longer than it to generate. The answer is asked for whole only when
//     the model has been seen working fast enough that reading the
//     prompt and generating max_tokens take at most half the idle
//     timeout, at the speeds its last answer showed. A model not seen
//     yet streams, and its first answer teaches its speed.
//   - unbounded answers (no max_tokens) and OpenAI-compatible backends
//     always stream.
//
// One thing differs: an answer Ollama ends without its done line (a
// runner that stopped) carries no token count, and output_tokens is then
// the chunks received, which for a whole answer is one.
//
// Cancellation is the same either way: the client going away closes the
// connection to Ollama, which stops generating.

// wholeAnswer reports whether to ask the attempt's backend for the whole
// answer at once instead of a stream.
func wholeAnswer(x *exchange, a *attempt) bool {
	if x.req.Stream || len(x.req.StopSequences) > 0 || x.req.MaxTokens <= 0 || a.dep.Provider != "ollama" {
		return false
	}
	idle := x.cfg.Clawbridge.Translator.IdleTimeout()
	if idle <= 0 {
		return true
	}
	gen := time.Duration(a.model.tokenTime.Load())
	read := time.Duration(a.model.promptTime.Load())
	if gen <= 0 {
		return false
	}
	prompt := a.model.cal.apply(a.est)
	return time.Duration(prompt)*read+time.Duration(x.req.MaxTokens)*gen <= idle/2
}

// noteSpeed records how long the model took per prompt token read and
// per token generated, from an answer's done chunk.
func (m *modelState) noteSpeed(c *ollama.ChatResponse) {
	if c.EvalCount > 0 && c.EvalDuration > 0 {
		m.tokenTime.Store(int64(c.EvalDuration) / int64(c.EvalCount))
	}
	if c.PromptEvalCount > 0 && c.PromptEvalDuration > 0 {
		m.promptTime.Store(int64(c.PromptEvalDuration) / int64(c.PromptEvalCount))
	}
}
