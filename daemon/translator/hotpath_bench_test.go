package translator

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// The hot path that `make bench` reports (.ci/bench.sh runs them with
// -benchmem): relaying one streamed token from Ollama's NDJSON line to
// the client's SSE frame. bench_test.go has the state machine alone;
// daemon/anthropic's benchmarks the request conversion.

// ollamaTokenLine is one streamed token as Ollama 0.17 writes it.
const ollamaTokenLine = `{"model":"qwen3:8b","created_at":"2026-01-24T10:00:00.123456789Z","message":{"role":"assistant","content":" token"},"done":false}`

// answerTokens is the length of the answers the per-token benchmarks
// relay.
const answerTokens = 256

// cannedAnswer is an Ollama client whose /api/chat answers, without a
// network, with a streamed answer of answerTokens token lines and the
// done line, so that a benchmark relays tokens through the client's own
// NDJSON reader as the translator does.
func cannedAnswer(b *testing.B) (*ollama.Client, *ollama.ChatRequest) {
	body := []byte(strings.Repeat(ollamaTokenLine+"\n", answerTokens) +
		`{"model":"qwen3:8b","created_at":"2026-01-24T10:00:01Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"length","eval_count":256}` + "\n")
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		io.Copy(io.Discard, r.Body)
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/x-ndjson"}},
			Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
	})
	c, err := ollama.New("http://127.0.0.1:11434", &http.Client{Transport: rt})
	if err != nil {
		b.Fatal(err)
	}
	n := answerTokens
	return c, &ollama.ChatRequest{Model: "qwen3:8b", Stream: true, Messages: []ollama.Message{{Role: "user", Content: "hi"}},
		Options: &ollama.Options{NumPredict: &n}}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// benchmarkRelayTokens relays canned answers through newStream's output,
// each token from the client's NDJSON reader through the answer state
// machine and the front end's encoder to a written frame, as the
// translator's stream loop does. The network and the channel between the
// upstream goroutine and the stream loop are left out (RelayStream256 and
// cmd/clawbench measure those). An op is one answer; ns/token and
// allocs/token are per relayed token.
func benchmarkRelayTokens(b *testing.B, newStream func() streamOutput) {
	c, req := cannedAnswer(b)
	ctx := context.Background()
	relay := func() {
		s := newStream()
		n := 0
		err := c.Chat(ctx, req, func(r *ollama.ChatResponse) error {
			if !r.Done {
				n++
			}
			s.chunk(r)
			ollama.Recycle(r)
			return s.writeTo(io.Discard)
		})
		if err != nil || n != answerTokens {
			b.Fatalf("%d tokens, %v", n, err)
		}
	}
	relay()
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		relay()
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*answerTokens), "ns/token")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*answerTokens), "allocs/token")
}

// BenchmarkRelayToken is the Anthropic front end: Ollama's NDJSON line in,
// the content_block_delta event out.
func BenchmarkRelayToken(b *testing.B) {
	benchmarkRelayTokens(b, func() streamOutput {
		return newEventStream("msg_bench", testTarget, anthropic.AnswerConfig{NewToolID: counterIDs("toolu_")})
	})
}

// BenchmarkDecodeTokenLine is encoding/json decoding one token line: what
// each token cost before the client read token lines by hand, and what
// every line that is not a token line (the done line, tool calls) still
// costs.
func BenchmarkDecodeTokenLine(b *testing.B) {
	line := []byte(ollamaTokenLine)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		var c ollama.ChatResponse
		if err := json.Unmarshal(line, &c); err != nil {
			b.Fatal(err)
		}
	}
}
