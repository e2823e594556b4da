package translator

import (
	"io"
	"log/slog"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/config"
)

// The OpenAI front end's hot paths, beside hotpath_bench_test.go's for
// Anthropic's: one relayed token (Ollama's NDJSON line in, a
// chat.completion.chunk out) and a Clawdbot-sized request converted.

// BenchmarkRelayTokenOpenAI is BenchmarkRelayToken for
// /v1/chat/completions.
func BenchmarkRelayTokenOpenAI(b *testing.B) {
	s := New(func() *config.Config { return nil }, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	fe := openaiAPI{s: s}
	benchmarkRelayTokens(b, func() streamOutput {
		return fe.newStream(testTarget, anthropic.AnswerConfig{NewToolID: counterIDs("call_")})
	})
}
