package translator

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
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
			want:    []string{"sent nothing for 1s", "stream_idle_timeout"},
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

// serveLocal runs h behind NewHTTPServer, the server `clawbridge serve`
// and the daemon use, on a loopback port; the server is returned so a
// test can shorten its timeouts before the first request.
func serveLocal(t *testing.T, h http.Handler, adjust func(*http.Server)) string {
	t.Helper()
	srv := NewHTTPServer(h, discardLogger())
	if adjust != nil {
		adjust(srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// TestSlowHeaders: a client that never finishes its headers is cut off
// by ReadHeaderTimeout, which the shared server sets.
func TestSlowHeaders(t *testing.T) {
	fake, open := faultFake(t, func(w http.ResponseWriter, r *http.Request) { writeChunks(w, textChunks("hi")...) })
	tr, _ := faultTranslator(t, fake.URL, "", Options{})
	addr := serveLocal(t, tr, func(srv *http.Server) {
		if srv.ReadHeaderTimeout != ReadHeaderTimeout || ReadHeaderTimeout <= 0 {
			t.Errorf("ReadHeaderTimeout %v, want %v", srv.ReadHeaderTimeout, ReadHeaderTimeout)
		}
		srv.ReadHeaderTimeout = 100 * time.Millisecond
	})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl")
	conn.SetReadDeadline(time.Now().Add(hangGuard))
	got, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("the server did not close the connection: %v (read %q)", err, got)
	}
	if open.Load() != 0 || len(fake.requests) != 0 {
		t.Errorf("a request without its headers reached the backend")
	}
}

// TestStalledBody: a body that stops arriving gets 408 once nothing has
// come for BodyIdleTimeout, and never reaches a backend.
func TestStalledBody(t *testing.T) {
	fake, _ := faultFake(t, func(w http.ResponseWriter, r *http.Request) { writeChunks(w, textChunks("hi")...) })
	tr, _ := faultTranslator(t, fake.URL, "", Options{BodyIdleTimeout: 100 * time.Millisecond})
	addr := serveLocal(t, tr, nil)
	for _, tt := range []struct{ name, path, framing, shape string }{
		{"messages, Content-Length", "/v1/messages", "Content-Length: 1000\r\n", `"type":"error","error":{"type":"invalid_request_error"`},
		{"messages, chunked", "/v1/messages", "Transfer-Encoding: chunked\r\n", `"type":"error","error":{"type":"invalid_request_error"`},
		{"chat, Content-Length", "/v1/chat/completions", "Content-Length: 1000\r\n", `{"error":{"message":`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			body := `{"model":"claude-sonnet-4-5","max_tokens":5,`
			if strings.Contains(tt.framing, "chunked") {
				body = fmt.Sprintf("%x\r\n%s\r\n", len(body), body)
			}
			io.WriteString(conn, "POST "+tt.path+" HTTP/1.1\r\nHost: 127.0.0.1:4000\r\nContent-Type: application/json\r\n"+tt.framing+"\r\n"+body)
			conn.SetReadDeadline(time.Now().Add(hangGuard))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no answer to a stalled body: %v", err)
			}
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(raw), tt.shape) ||
				!strings.Contains(string(raw), "the request body stopped arriving") {
				t.Errorf("got %d %s", resp.StatusCode, raw)
			}
		})
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.requests) != 0 || fake.shows != 0 {
		t.Errorf("a stalled body reached the backend: %d chats, %d shows", len(fake.requests), fake.shows)
	}
}

// TestClientDisconnectAtEveryStage: the client goes away at each point of
// an answer; each time the backend's request is cancelled and nothing
// stays in flight.
func TestClientDisconnectAtEveryStage(t *testing.T) {
	toolCall := ollama.ChatResponse{Model: "qwen3:8b", Message: ollama.Message{Role: "assistant", ToolCalls: []ollama.ToolCall{
		{Function: ollama.ToolCallFunction{Name: "get_weather", Arguments: json.RawMessage(`{"city":"Paris"}`)}}}}}
	stages := []struct {
		name string
		// sent is what the backend sends before it waits to be cancelled.
		sent  []ollama.ChatResponse
		grace time.Duration // HeaderGrace
		// until is what the client reads before it goes away: a string
		// in the answer, or "" to give up before any answer.
		anthropic, openai string
	}{
		{name: "before the headers", grace: hangGuard},
		{name: "after the stream started", grace: time.Millisecond, anthropic: "event: message_start", openai: `"role":"assistant"`},
		{name: "mid content", sent: textChunks("partial")[:1], grace: hangGuard, anthropic: `"text":"partial"`, openai: `"content":"partial"`},
		{name: "mid tool_use", sent: []ollama.ChatResponse{toolCall}, grace: hangGuard, anthropic: `"type":"tool_use"`, openai: `"tool_calls"`},
	}
	for _, st := range stages {
		for _, m := range clientModes {
			if !m.stream && st.anthropic != "" {
				continue // a whole answer has no stages but the wait
			}
			t.Run(st.name+"/"+m.name, func(t *testing.T) {
				arrived := make(chan struct{})
				cancelled := make(chan struct{})
				fake, open := faultFake(t, func(w http.ResponseWriter, r *http.Request) {
					writeChunks(w, st.sent...)
					close(arrived)
					select {
					case <-r.Context().Done():
						close(cancelled)
					case <-time.After(hangGuard):
					}
				})
				tr, ts := faultTranslator(t, fake.URL, "", Options{HeaderGrace: st.grace, PingInterval: time.Hour})
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				path := "/v1/messages"
				if m.openai {
					path = "/v1/chat/completions"
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts+path, strings.NewReader(faultRequest(m, "claude-sonnet-4-5")))
				until := st.anthropic
				if m.openai {
					until = st.openai
				}
				if until == "" {
					go func() {
						<-arrived
						cancel()
					}()
				}
				resp, err := http.DefaultClient.Do(req)
				if until == "" {
					if err == nil {
						resp.Body.Close()
						t.Fatalf("the request got %d although the client gave up", resp.StatusCode)
					}
				} else {
					if err != nil {
						t.Fatal(err)
					}
					readUntil(t, resp.Body, until)
					// With a short header grace the answer can start before
					// the backend has the request; the case is about
					// cancelling it, so let it arrive first.
					select {
					case <-arrived:
					case <-time.After(hangGuard):
						t.Fatal("the backend never got the request")
					}
					resp.Body.Close() // the client goes away
				}
				select {
				case <-cancelled:
				case <-time.After(hangGuard):
					t.Fatal("the backend's request was not cancelled")
				}
				waitIdle(t, tr, open)
			})
		}
	}
}

// readUntil reads r until want has been seen.
func readUntil(t *testing.T, r io.Reader, want string) {
	t.Helper()
	var seen []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(seen, []byte(want)) {
		n, err := r.Read(buf)
		seen = append(seen, buf[:n]...)
		if err != nil {
			t.Fatalf("the answer ended before %q: %v: %q", want, err, seen)
		}
	}
}

// TestStallAfterPings: a backend that never sends its first chunk, while
// the stream is already open and kept alive with pings, ends with a
// timeout error event once stream_idle_timeout has passed, in both APIs.
func TestStallAfterPings(t *testing.T) {
	for _, m := range []clientMode{clientModes[1], clientModes[3]} {
		t.Run(m.name, func(t *testing.T) {
			fake, open := faultFake(t, func(w http.ResponseWriter, r *http.Request) { stall(r) })
			tr, ts := faultTranslator(t, fake.URL, "stream_idle_timeout: 1", Options{HeaderGrace: time.Millisecond, PingInterval: 50 * time.Millisecond})
			o := ask(t, ts, m, "claude-sonnet-4-5")
			want := "timeout_error"
			if m.openai {
				want = "server_error"
			}
			if o.status != 200 || !o.streamed || o.errType != want || !strings.Contains(o.message, "sent nothing for 1s") {
				t.Errorf("got %v, want a stream ending in a %s event", o, want)
			}
			ping := "event: ping"
			if m.openai {
				ping = ": ping"
			}
			if !bytes.Contains(o.raw, []byte(ping)) {
				t.Errorf("no pings while waiting: %q", truncate(o.raw))
			}
			waitIdle(t, tr, open)
		})
	}
}

// TestClientStopsReading: a client that keeps its connection but reads
// nothing more cannot hold the backend: once a write has waited for
// stream_idle_timeout the answer is abandoned and the backend's request
// cancelled.
func TestClientStopsReading(t *testing.T) {
	cancelled := make(chan struct{})
	fake, open := faultFake(t, func(w http.ResponseWriter, r *http.Request) {
		line := chunkLine(strings.Repeat("a", 1<<20))
		for {
			if _, err := io.WriteString(w, line); err != nil {
				break
			}
			w.(http.Flusher).Flush()
			if r.Context().Err() != nil {
				break
			}
		}
		<-r.Context().Done()
		close(cancelled)
	})
	tr, _ := faultTranslator(t, fake.URL, "stream_idle_timeout: 1", Options{})
	addr := serveLocal(t, tr, nil)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := faultRequest(clientModes[1], "claude-sonnet-4-5")
	fmt.Fprintf(conn, "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	select { // and never read
	case <-cancelled:
	case <-time.After(hangGuard):
		t.Fatal("the backend's request was not cancelled")
	}
	waitIdle(t, tr, open)
}

// abortedStreams is how many streams TestAbortedStreams abandons.
const abortedStreams = 10000

// TestAbortedStreams starts abortedStreams streams in a row against the
// fake, each abandoned by the client after its first words, half of
// them on each API: afterwards the goroutines and open files are back to
// what they were, and nothing is in flight.
func TestAbortedStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 streams; run without -short")
	}
	n := abortedStreams
	// The backend sends a few words and then waits to be cancelled, as a
	// model does that is slower than the client's patience.
	fake, open := faultFake(t, func(w http.ResponseWriter, r *http.Request) {
		for range 3 {
			rawLine(w, chunkLine(" word"))
		}
		stall(r)
	})
	tr, ts := faultTranslator(t, fake.URL, "", Options{HeaderGrace: time.Millisecond})
	client := &http.Client{Transport: &http.Transport{}}
	// Warm up, so that what stays for the whole run (the servers' and
	// the transports' own goroutines, the capability cache) is in the
	// baseline.
	abortOne(t, client, ts, clientModes[1])
	abortOne(t, client, ts, clientModes[3])
	client.CloseIdleConnections()
	waitIdle(t, tr, open)
	baseG, baseFD := runtime.NumGoroutine(), openFiles(t)

	for i := range n {
		abortOne(t, client, ts, clientModes[1+2*(i%2)])
	}

	waitIdle(t, tr, open)
	client.CloseIdleConnections()
	waitGoroutines(t, baseG)
	deadline := time.Now().Add(hangGuard)
	for fds := openFiles(t); fds > baseFD+10; fds = openFiles(t) {
		if time.Now().After(deadline) {
			t.Fatalf("%d open files after %d aborted streams, %d before", fds, n, baseFD)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("%d streams aborted; goroutines %d -> %d, open files %d -> %d", n, baseG, runtime.NumGoroutine(), baseFD, openFiles(t))
}

// abortOne starts a long stream and goes away after its first words.
func abortOne(t *testing.T, client *http.Client, base string, m clientMode) {
	path, body := "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":100000,"stream":true,"messages":[{"role":"user","content":"hi"}]}`
	if m.openai {
		path = "/v1/chat/completions"
	}
	ctx, cancel := context.WithTimeout(t.Context(), hangGuard)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(body))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, raw)
	}
	readUntil(t, resp.Body, " word")
}

// openFiles counts this process's open file descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		entries, err = os.ReadDir("/dev/fd")
	}
	if err != nil {
		t.Fatalf("cannot count open files: %v", err)
	}
	return len(entries)
}

// TestRealBackendRestart: the only backend, a real Ollama, goes away (a
// crash, a laptop asleep) and comes back: while it is away every API
// says so with a retryable error, and once it is back the next request
// is answered, without restarting the translator.
func TestRealBackendRestart(t *testing.T) {
	ol := ollamatest.Start(t)
	tr, ts := translatorFor(t, ol.URL, ollamatest.ModelTiny, "", Options{})
	model := "claude-sonnet-4-5"
	answered := func(when string) {
		t.Helper()
		for _, m := range clientModes {
			if o := ask(t, ts, m, model); o.status != 200 || o.errType != "" || o.text != ollamatest.ReplyDefault {
				t.Fatalf("%s, %s: %v, want %q", when, m.name, o, ollamatest.ReplyDefault)
			}
		}
	}
	answered("before the restart")
	if err := ol.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, m := range clientModes {
		o := ask(t, ts, m, model)
		status := 529
		if m.openai {
			status = http.StatusServiceUnavailable
		}
		if o.status != status || !strings.Contains(o.message, strings.TrimPrefix(ol.URL, "http://")) {
			t.Errorf("backend stopped, %s: %v, want %d naming %s", m.name, o, status, ol.URL)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := ol.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	answered("after the restart")
	if st := tr.Stats(); !st.Backends[0].Healthy {
		t.Errorf("the backend is answering but still marked down: %+v", st.Backends[0])
	}
}
