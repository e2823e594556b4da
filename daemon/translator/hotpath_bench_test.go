package translator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// The hot paths that `make bench` reports (.ci/bench.sh runs them with
// -benchmem): turning a Clawdbot-sized request into Ollama's, and
// relaying one streamed token from Ollama's NDJSON line to the client's
// SSE frame. bench_test.go has the state machine alone.

// clawdbotTools are the 23 tools a Clawdbot agent turn offers (names as
// Clawdbot 2026.1 has them); the schemas are of the same size and shape.
var clawdbotTools = []string{
	"read", "write", "edit", "apply_patch", "exec", "process", "browser", "canvas",
	"nodes", "cron", "message", "gateway", "agents_list", "sessions_list",
	"sessions_history", "sessions_send", "sessions_spawn", "session_status",
	"web_search", "web_fetch", "image", "memory_search", "memory_get",
}

// clawdbotRequest builds a streaming /v1/messages body the size of a
// Clawdbot turn deep into a session: 23 tools, a system prompt of about
// 23,000 characters and a history of turns runs tool calls and text, with
// tool results the size of file reads and command output.
func clawdbotRequest(turns int) []byte {
	var sys strings.Builder
	for i := 0; sys.Len() < 23000; i++ {
		fmt.Fprintf(&sys, "## Section %d\n\nYou are a personal assistant running inside Clawdbot. Use the tools when they help; "+
			"prefer reading files before editing them, keep replies short, and never reveal secrets such as API keys or tokens. "+
			"When a task needs several steps, say what you will do, then do it, then report what changed.\n\n", i)
	}
	var tools []any
	for _, name := range clawdbotTools {
		tools = append(tools, map[string]any{
			"name":        name,
			"description": "The " + name + " tool. " + strings.Repeat("Describes what the tool does, when to use it and what it returns. ", 6),
			"input_schema": map[string]any{
				"type": "object",
				"properties": map[string]any{
					"path":    map[string]any{"type": "string", "description": "Path to the file, relative to the workspace or absolute."},
					"command": map[string]any{"type": "string", "description": "Shell command to run."},
					"timeout": map[string]any{"type": "number", "description": "Timeout in seconds."},
					"mode":    map[string]any{"type": "string", "enum": []string{"read", "write", "append"}},
					"options": map[string]any{"type": "object", "properties": map[string]any{
						"recursive": map[string]any{"type": "boolean"}, "limit": map[string]any{"type": "integer", "minimum": 1},
					}},
				},
				"required": []string{"path"},
			},
		})
	}
	var msgs []any
	output := strings.Repeat("drwxr-xr-x  5 user staff   160 Jan 24 10:00 src\n-rw-r--r--  1 user staff  2048 Jan 24 10:00 main.go\n", 14)
	for i := range turns {
		id := fmt.Sprintf("toolu_%04d", i)
		msgs = append(msgs,
			map[string]any{"role": "user", "content": fmt.Sprintf("Step %d: look at the project and tell me what changed since yesterday.", i)},
			map[string]any{"role": "assistant", "content": []any{
				map[string]any{"type": "text", "text": "Let me look at the files first."},
				map[string]any{"type": "tool_use", "id": id, "name": clawdbotTools[i%len(clawdbotTools)],
					"input": map[string]any{"path": "src", "command": "ls -la src", "options": map[string]any{"recursive": true}}},
			}},
			map[string]any{"role": "user", "content": []any{
				map[string]any{"type": "tool_result", "tool_use_id": id, "content": []any{map[string]any{"type": "text", "text": output}}},
			}},
			map[string]any{"role": "assistant", "content": "The directory has the sources and a main file; nothing looks out of place. " +
				strings.Repeat("Here is a longer explanation of what I found and what I would do next. ", 4)},
		)
	}
	msgs = append(msgs, map[string]any{"role": "user", "content": "Summarise everything in three bullet points."})
	body, err := json.Marshal(map[string]any{
		"model": "claude-sonnet-4-5", "max_tokens": 8192, "stream": true,
		"system":   []any{map[string]any{"type": "text", "text": sys.String(), "cache_control": map[string]any{"type": "ephemeral"}}},
		"tools":    tools,
		"messages": msgs,
		"thinking": map[string]any{"type": "disabled"},
	})
	if err != nil {
		panic(err)
	}
	return body
}

var benchBackend = backend{Model: "qwen3:8b", NumCtx: 32768, Caps: &capabilities{Tools: true, Thinking: true, Family: "qwen3"}}

// BenchmarkConvertClawdbotRequest is the whole request path of one turn:
// the client's JSON decoded and validated, converted for the backend, and
// encoded as the body sent to Ollama's /api/chat.
func BenchmarkConvertClawdbotRequest(b *testing.B) {
	body := clawdbotRequest(20)
	if r, err := decodeRequest(body); err != nil || len(r.Tools) != 23 || len(r.Messages) < 80 || len(r.Messages[0].Content) < 23000 {
		b.Fatalf("fixture is not Clawdbot-sized: %v", err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := decodeRequest(body)
		if err != nil {
			b.Fatal(err)
		}
		creq, err := chatRequest(r, benchBackend)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(creq); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeClawdbotRequest is the decoding and validation alone,
// to show which half of the conversion costs what.
func BenchmarkDecodeClawdbotRequest(b *testing.B) {
	body := clawdbotRequest(20)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

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
		return newEventStream("msg_bench", testTarget, answerConfig{newToolID: counterIDs("toolu_")})
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

// BenchmarkEncodeTextDelta is the SSE frame of one token alone.
func BenchmarkEncodeTextDelta(b *testing.B) {
	var e streamEncoder
	b.ReportAllocs()
	for b.Loop() {
		e.blockDelta(0, textBlock, " token")
		e.writeTo(io.Discard)
	}
}
