package translator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/daemon/upstream/openaicompat"
)

// Faults from the backend, each seen through all four ways a client asks:
// the Messages API and Chat Completions, streamed and not. A row says
// what the client gets; every answer must be valid UTF-8 and well-formed
// in its API's terms, and afterwards no request may be left open on the
// backend or counted in flight.

// clientMode is one way a client asks.
type clientMode struct {
	name   string
	openai bool
	stream bool
}

var clientModes = []clientMode{
	{"messages", false, false},
	{"messages stream", false, true},
	{"chat", true, false},
	{"chat stream", true, true},
}

// outcome is what a client made of an answer.
type outcome struct {
	status int
	// streamed is set when the answer started (200, a stream) and then
	// ended with an error event.
	streamed bool
	errType  string // "" when the answer is complete
	message  string
	text     string // the answer's text
	raw      []byte
}

func (o outcome) String() string {
	return fmt.Sprintf("status %d streamed %v error %q %q text %d bytes", o.status, o.streamed, o.errType, o.message, len(o.text))
}

// faultRequest asks model for a short answer, offering one tool.
func faultRequest(m clientMode, model string) string {
	if m.openai {
		return `{"model":"` + model + `","max_tokens":64,"stream":` + fmt.Sprint(m.stream) +
			`,"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}],"messages":[{"role":"user","content":"hi"}]}`
	}
	return `{"model":"` + model + `","max_tokens":64,"stream":` + fmt.Sprint(m.stream) +
		`,"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"hi"}]}`
}

// ask sends one request the way m says and reads the whole answer,
// checking the shape of whatever comes back.
func ask(t *testing.T, base string, m clientMode, model string) outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), hangGuard)
	defer cancel()
	path := "/v1/messages"
	if m.openai {
		path = "/v1/chat/completions"
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(faultRequest(m, model)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	o := outcome{status: resp.StatusCode, raw: raw}
	if !utf8.Valid(raw) {
		t.Fatalf("the answer is not valid UTF-8: %q", truncate(raw))
	}
	switch {
	case o.status != http.StatusOK && m.openai:
		var e openaicompat.ErrorResponse
		if err := json.Unmarshal(raw, &e); err != nil || e.Error.Message == "" {
			t.Fatalf("status %d with a body that is not an OpenAI error: %q", o.status, truncate(raw))
		}
		o.errType, o.message = e.Error.Type, e.Error.Message
	case o.status != http.StatusOK:
		var e anthropic.ErrorResponse
		if err := json.Unmarshal(raw, &e); err != nil || e.Type != "error" || e.RequestID != resp.Header.Get("request-id") {
			t.Fatalf("status %d with a body that is not an Anthropic error: %q", o.status, truncate(raw))
		}
		o.errType, o.message = e.Error.Type, e.Error.Message
	case !m.stream && m.openai:
		var c openaicompat.ChatCompletion
		if err := json.Unmarshal(raw, &c); err != nil || len(c.Choices) != 1 {
			t.Fatalf("not a chat.completion: %v: %q", err, truncate(raw))
		}
		if c.Choices[0].Message.Content != nil {
			o.text = *c.Choices[0].Message.Content
		}
	case !m.stream:
		var msg anthropic.Message
		if err := json.Unmarshal(raw, &msg); err != nil {
			t.Fatalf("not a message: %v: %q", err, truncate(raw))
		}
		for _, b := range msg.Content {
			o.text += b.Text
		}
	case m.openai:
		o.readChunks(t)
	default:
		o.readEvents(t)
	}
	return o
}

// readEvents reads an Anthropic event stream.
func (o *outcome) readEvents(t *testing.T) {
	t.Helper()
	checkTranscript(t, o.raw)
	for _, frame := range strings.Split(strings.TrimSpace(string(o.raw)), "\n\n") {
		_, data, _ := strings.Cut(frame, "\ndata: ")
		var ev struct {
			Type  string
			Delta struct{ Text string }
			Error anthropic.ErrorBody
		}
		json.Unmarshal([]byte(data), &ev)
		switch ev.Type {
		case "content_block_delta":
			o.text += ev.Delta.Text
		case "error":
			o.streamed, o.errType, o.message = true, ev.Error.Type, ev.Error.Message
		}
	}
}

// readChunks reads a Chat Completions stream: chunks, then [DONE], or an
// error object after which nothing follows (what the openai SDKs raise
// as an APIError).
func (o *outcome) readChunks(t *testing.T) {
	t.Helper()
	events := strings.Split(strings.TrimSuffix(string(o.raw), "\n\n"), "\n\n")
	for i, ev := range events {
		if strings.HasPrefix(ev, ":") {
			continue // a ping
		}
		data, ok := strings.CutPrefix(ev, "data: ")
		if !ok || strings.Contains(data, "\n") {
			t.Fatalf("event %d is not one data line: %q", i, ev)
		}
		last := i == len(events)-1
		if data == "[DONE]" {
			if !last {
				t.Fatalf("[DONE] is not the last event")
			}
			return
		}
		var c struct {
			Choices []struct {
				Delta struct{ Content *string }
			}
			Error *openaicompat.ErrorBody
		}
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			t.Fatalf("event %d is not JSON: %v: %q", i, err, truncate([]byte(data)))
		}
		if c.Error != nil {
			if !last {
				t.Fatalf("events follow the error")
			}
			o.streamed, o.errType, o.message = true, c.Error.Type, c.Error.Message
			return
		}
		for _, ch := range c.Choices {
			if ch.Delta.Content != nil {
				o.text += *ch.Delta.Content
			}
		}
	}
	t.Fatalf("the stream ends without [DONE] or an error")
}

func truncate(b []byte) []byte {
	if len(b) > 600 {
		return append(b[:600:600], "…"...)
	}
	return b
}

// faultFake is the fake Ollama answering /api/chat with one script, and
// counting the chat requests it has not finished.
func faultFake(t *testing.T, script func(w http.ResponseWriter, r *http.Request)) (*fakeOllama, *atomic.Int32) {
	f := newFakeOllama(t)
	var open atomic.Int32
	f.chat = func(w http.ResponseWriter, r *http.Request, req *ollama.ChatRequest) {
		open.Add(1)
		defer open.Add(-1)
		script(w, r)
	}
	return f, &open
}

// faultTranslator is a translator for the one model claude-sonnet-4-5 on
// base, with extra config under clawbridge.translator.
func faultTranslator(t *testing.T, base, translatorYAML string, opts Options) (*Server, string) {
	return translatorFor(t, base, "qwen3:8b", translatorYAML, opts)
}

// translatorFor is faultTranslator for another backend model.
func translatorFor(t *testing.T, base, model, translatorYAML string, opts Options) (*Server, string) {
	t.Helper()
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/%s, api_base: %q}
clawbridge:
  translator: {%s}
`, model, base, translatorYAML)), "faults.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if opts.Logger == nil {
		opts.Logger = discardLogger()
	}
	if opts.HeaderGrace == 0 {
		opts.HeaderGrace = hangGuard // failures before the first chunk are plain HTTP errors
	}
	tr := New(func() *config.Config { return cfg }, opts)
	ts := newLocalServer(t, tr)
	return tr, ts
}

// newLocalServer serves h on a loopback port, closed at the end of the test.
func newLocalServer(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// rawLine writes bytes as they are (no JSON encoding) and flushes.
func rawLine(w http.ResponseWriter, s string) {
	io.WriteString(w, s)
	w.(http.Flusher).Flush()
}

// chunkLine is one streamed Ollama line with content, unencoded, so that
// it can carry bytes JSON encoding would clean.
func chunkLine(content string) string {
	return `{"model":"qwen3:8b","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant","content":"` + content + `"},"done":false}` + "\n"
}

const doneLine = `{"model":"qwen3:8b","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":11,"eval_count":7}` + "\n"

// stall blocks until the request is cancelled (or the hang guard ends it).
func stall(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(hangGuard):
	}
}

func TestBackendFaults(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 10<<20/16) // 10 MB
	htmlPage := `<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx/1.24.0</center></body></html>`
	tests := []struct {
		name string
		// script answers /api/chat; nil means nothing listens at all.
		script func(w http.ResponseWriter, r *http.Request)
		// The client's answer: the status and Anthropic error type of a
		// non-streamed answer (200 and "" for a complete one). streamed
		// says a stream has started before the fault, so that it ends with
		// an error event instead of the plain error.
		status   int
		errType  string
		streamed bool
		// want are parts of the error message, or the answer's text.
		want    []string
		notWant []string
	}{
		{
			name:    "connection refused",
			status:  529,
			errType: "overloaded_error",
			want:    []string{"is unreachable", "is it running?"},
		},
		{
			name:    "reset before the answer",
			script:  func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) },
			status:  529,
			errType: "overloaded_error",
			want:    []string{"is unreachable"},
		},
		{
			name: "reset mid-stream",
			script: func(w http.ResponseWriter, r *http.Request) {
				rawLine(w, chunkLine("partial"))
				panic(http.ErrAbortHandler)
			},
			status: 500, errType: "api_error", streamed: true,
			want: []string{"dropped the connection in the middle of the answer"},
		},
		{
			name:    "stalls before the first chunk",
			script:  func(w http.ResponseWriter, r *http.Request) { stall(r) },
			status:  504,
			errType: "timeout_error",
			want:    []string{"sent nothing for 1s", "stream_idle_timeout", "restart Ollama", "ollama/ollama#17131"},
		},
		{
			name: "stalls mid-stream",
			script: func(w http.ResponseWriter, r *http.Request) {
				rawLine(w, chunkLine("partial"))
				stall(r)
			},
			status: 504, errType: "timeout_error", streamed: true,
			want: []string{"sent nothing for 1s", "stream_idle_timeout"},
		},
		{
			// Each chunk comes within the idle timeout, the whole answer
			// takes longer: the clock restarts at every chunk.
			name: "slow but steady",
			script: func(w http.ResponseWriter, r *http.Request) {
				for _, word := range []string{"one ", "two ", "three ", "four ", "five"} {
					rawLine(w, chunkLine(word))
					time.Sleep(300 * time.Millisecond)
				}
				rawLine(w, doneLine)
			},
			status: 200,
			want:   []string{"one two three four five"},
		},
		{
			name:    "garbage instead of the stream",
			script:  func(w http.ResponseWriter, r *http.Request) { rawLine(w, "HTTP/1.1 200 OK but not really\n") },
			status:  500,
			errType: "api_error",
			want:    []string{"sent a line that is not part of an answer", "invalid character"},
		},
		{
			name: "garbage mid-stream",
			script: func(w http.ResponseWriter, r *http.Request) {
				rawLine(w, chunkLine("partial"))
				rawLine(w, "\x00\x01\xffgarbage\n")
			},
			status: 500, errType: "api_error", streamed: true,
			want: []string{"sent a line that is not part of an answer"},
		},
		{
			name: "partial line, then the end",
			script: func(w http.ResponseWriter, r *http.Request) {
				rawLine(w, chunkLine("partial"))
				rawLine(w, `{"model":"qwen3:8b","message":{"role":"assistant","content":"Hel`)
			},
			status: 500, errType: "api_error", streamed: true,
			want: []string{"sent a line that is not part of an answer", "unexpected end of JSON input"},
		},
		{
			name: "a 10 MB line of content",
			script: func(w http.ResponseWriter, r *http.Request) {
				rawLine(w, chunkLine(big))
				rawLine(w, doneLine)
			},
			status: 200,
			want:   []string{big},
		},
		{
			name: "a 10 MB line of garbage",
			script: func(w http.ResponseWriter, r *http.Request) {
				rawLine(w, chunkLine("partial"))
				rawLine(w, big+"\n")
			},
			status: 500, errType: "api_error", streamed: true,
			want: []string{"sent a line that is not part of an answer"}, notWant: []string{big[:64]},
		},
		{
			name: "invalid UTF-8 in the content",
			script: func(w http.ResponseWriter, r *http.Request) {
				rawLine(w, chunkLine("caf\xe9 \xff\xfe ok \xed\xa0\x80 \\ud800 end"))
				rawLine(w, doneLine)
			},
			status: 200,
			want:   []string{"caf\uFFFD \uFFFD\uFFFD ok ", " end"},
		},
		{
			name: "invalid UTF-8 in tool arguments",
			script: func(w http.ResponseWriter, r *http.Request) {
				rawLine(w, `{"model":"qwen3:8b","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Par`+"\xffis \xed\xa0\x80"+`"}}}]},"done":false}`+"\n")
				rawLine(w, doneLine)
			},
			status: 200,
		},
		{
			name: "an error line mid-stream",
			script: func(w http.ResponseWriter, r *http.Request) {
				rawLine(w, chunkLine("partial"))
				rawLine(w, `{"error":"llama runner process has terminated: signal: killed"}`+"\n")
			},
			status: 500, errType: "api_error", streamed: true,
			want: []string{"failed in the middle of the answer", "llama runner process has terminated: signal: killed"},
		},
		{
			name: "an error line first",
			script: func(w http.ResponseWriter, r *http.Request) {
				rawLine(w, `{"error":"model requires more system memory (9.1 GiB) than is available (2.0 GiB)"}`+"\n")
			},
			status: 500, errType: "api_error",
			want: []string{"model requires more system memory"},
		},
		{
			name: "HTTP 500 with an HTML page",
			script: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusInternalServerError)
				io.WriteString(w, htmlPage)
			},
			status: 500, errType: "api_error",
			want:    []string{"answered 500", `with a web page ("502 Bad Gateway")`, "is something else"},
			notWant: []string{"<html", "<h1>", "nginx"},
		},
		{
			name: "HTTP 502 with an HTML page, no title",
			script: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadGateway)
				io.WriteString(w, "<html><body><h1>Bad Gateway</h1></body></html>")
			},
			status: 500, errType: "api_error",
			want:    []string{"answered 502", "with a web page (an HTML page)"},
			notWant: []string{"<html", "<h1>"},
		},
	}
	base := runtime.NumGoroutine()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := "http://" + closedAddr(t)
			var open *atomic.Int32
			if tt.script != nil {
				var f *fakeOllama
				f, open = faultFake(t, tt.script)
				url = f.URL
			}
			tr, ts := faultTranslator(t, url, "stream_idle_timeout: 1", Options{})
			for _, m := range clientModes {
				o := ask(t, ts, m, "claude-sonnet-4-5")
				status, errType := tt.status, tt.errType
				if m.stream && tt.streamed {
					status = 200
				}
				if m.openai && errType != "" {
					errType = "server_error"
					if status == 529 {
						status = http.StatusServiceUnavailable
					}
				}
				if o.status != status || o.errType != errType || o.streamed != (m.stream && tt.streamed) {
					t.Errorf("%s: got %v, want status %d error %q streamed %v", m.name, o, status, errType, m.stream && tt.streamed)
				}
				got := o.message
				if errType == "" {
					got = o.text
				}
				for _, w := range tt.want {
					if !strings.Contains(got, w) {
						t.Errorf("%s: %q lacks %q", m.name, truncate([]byte(got)), truncate([]byte(w)))
					}
				}
				for _, w := range tt.notWant {
					if bytes.Contains(o.raw, []byte(w)) {
						t.Errorf("%s: the answer carries %q: %q", m.name, w, truncate(o.raw))
					}
				}
				if errType != "" && tt.script != nil && !strings.Contains(got, strings.TrimPrefix(url, "http://")) &&
					!strings.Contains(got, "llama runner") && !strings.Contains(got, "system memory") {
					t.Errorf("%s: message %q does not name the backend", m.name, got)
				}
				waitIdle(t, tr, open)
			}
		})
	}
	waitGoroutines(t, base)
}

// waitIdle waits until the translator has no request in flight and the
// fake no chat request open: a fault must not leave either behind.
func waitIdle(t *testing.T, tr *Server, open *atomic.Int32) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for {
		busy := 0
		for _, b := range tr.Stats().Backends {
			busy += b.InFlight
		}
		if busy == 0 && (open == nil || open.Load() == 0) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still in flight: translator %d, backend %d", busy, open.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitGoroutines waits until the goroutines are back to about base, once
// idle connections have closed.
func waitGoroutines(t *testing.T, base int) {
	t.Helper()
	const slack = 10
	deadline := time.Now().Add(hangGuard)
	for {
		http.DefaultClient.CloseIdleConnections()
		n := runtime.NumGoroutine()
		if n <= base+slack {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d at the start:\n%s", n, base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Faults from the client.
