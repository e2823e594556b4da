package translator

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// hangGuard bounds every wait in these tests. It only stops a broken test
// from hanging; no test asserts on how long anything takes.
const hangGuard = 20 * time.Second

// fakeOllama is an httptest Ollama for fault injection: each test scripts
// /api/chat, and the fake records what it was sent and whether the
// request was cancelled.
type fakeOllama struct {
	*httptest.Server
	// caps maps model names to the capabilities /api/show reports; a model
	// not in it gets a 404, as an unpulled model does.
	caps map[string][]string
	chat func(w http.ResponseWriter, r *http.Request, req *ollama.ChatRequest)

	mu        sync.Mutex
	requests  []ollama.ChatRequest
	shows     int
	cancelled chan struct{} // closed when a chat request's context ends early
}

func newFakeOllama(t *testing.T) *fakeOllama {
	f := &fakeOllama{
		caps:      map[string][]string{"qwen3:8b": {"completion", "tools", "thinking"}, "llama3.2:1b": {"completion", "tools"}},
		cancelled: make(chan struct{}),
	}
	f.chat = func(w http.ResponseWriter, r *http.Request, req *ollama.ChatRequest) {
		writeChunks(w, textChunks("Hello", " there")...)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/show", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Model string }
		json.NewDecoder(r.Body).Decode(&req)
		f.mu.Lock()
		f.shows++
		caps, ok := f.caps[req.Model]
		f.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"error":"model '%s' not found"}`, req.Model)
			return
		}
		json.NewEncoder(w).Encode(ollama.ShowResponse{Capabilities: caps, Details: ollama.ModelDetails{Family: "qwen3"}})
	})
	mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"version":"0.0.0-fake"}`)
	})
	mux.HandleFunc("POST /api/chat", func(w http.ResponseWriter, r *http.Request) {
		var req ollama.ChatRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.requests = append(f.requests, req)
		f.mu.Unlock()
		f.chat(w, r, &req)
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// lastRequest returns the last /api/chat request the fake received.
func (f *fakeOllama) lastRequest(t *testing.T) ollama.ChatRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		t.Fatal("the fake Ollama received no chat request")
	}
	return f.requests[len(f.requests)-1]
}

// waitCancelled blocks the handler until its request is cancelled, and
// records that it was.
func (f *fakeOllama) waitCancelled(r *http.Request) {
	select {
	case <-r.Context().Done():
		close(f.cancelled)
	case <-time.After(hangGuard):
	}
}

func textChunks(parts ...string) []ollama.ChatResponse {
	var out []ollama.ChatResponse
	for _, p := range parts {
		out = append(out, ollama.ChatResponse{Model: "qwen3:8b", Message: ollama.Message{Role: "assistant", Content: p}})
	}
	return append(out, doneChunk("stop"))
}

func doneChunk(reason string) ollama.ChatResponse {
	return ollama.ChatResponse{Model: "qwen3:8b", Message: ollama.Message{Role: "assistant"}, Done: true, DoneReason: reason, PromptEvalCount: 11, EvalCount: 7}
}

// writeChunks writes NDJSON lines, flushing each as Ollama does.
func writeChunks(w http.ResponseWriter, chunks ...ollama.ChatResponse) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	for _, c := range chunks {
		b, _ := json.Marshal(c)
		w.Write(append(b, '\n'))
		w.(http.Flusher).Flush()
	}
}

const testConfig = `
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params:
      model: ollama/qwen3:8b
      api_base: %[1]s
  - model_name: claude-haiku-4-5
    litellm_params:
      model: ollama/llama3.2:1b
      api_base: %[1]s
  - model_name: claude-opus-4-5
    litellm_params:
      model: ollama/not-pulled:7b
      api_base: %[1]s
general_settings:
  master_key: %[2]q
`

// testServer is the translator in front of a fake Ollama.
type testServer struct {
	*httptest.Server
	fake *fakeOllama
	tr   *Server
	key  string
}

func newTestServer(t *testing.T, fake *fakeOllama, key string, opts Options) *testServer {
	t.Helper()
	cfg, err := config.Parse([]byte(fmt.Sprintf(testConfig, fake.URL, key)), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.HeaderGrace == 0 {
		// Long enough that every early failure is a plain HTTP error.
		opts.HeaderGrace = hangGuard
	}
	tr := New(func() *config.Config { return cfg }, opts)
	ts := httptest.NewServer(tr)
	t.Cleanup(ts.Close)
	return &testServer{Server: ts, fake: fake, tr: tr, key: key}
}

// post sends body to path with the server's key.
func (ts *testServer) post(t *testing.T, path, body string) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), hangGuard)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("anthropic-version", "2023-06-01")
	req.Header.Set("anthropic-beta", "interleaved-thinking-2025-05-14,some-future-beta")
	if ts.key != "" {
		req.Header.Set("x-api-key", ts.key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// decodeError reads an Anthropic error body and checks its shape: the
// status, the type, request_id equal to the request-id header.
func decodeError(t *testing.T, resp *http.Response, status int, typ string) anthropic.ErrorResponse {
	t.Helper()
	var e anthropic.ErrorResponse
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, body)
	}
	if resp.StatusCode != status || e.Type != "error" || e.Error.Type != typ {
		t.Fatalf("got %d %s/%s, want %d error/%s: %s", resp.StatusCode, e.Type, e.Error.Type, status, typ, body)
	}
	if id := resp.Header.Get("request-id"); id == "" || e.RequestID != id {
		t.Fatalf("request_id %q does not match the request-id header %q", e.RequestID, id)
	}
	return e
}

// sseReader reads a stream one frame at a time, as a client does.
type sseReader struct {
	t  *testing.T
	sc *bufio.Scanner
}

func newSSEReader(t *testing.T, r io.Reader) *sseReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if i := strings.Index(string(data), "\n\n"); i >= 0 {
			return i + 2, data[:i+2], nil
		}
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	})
	return &sseReader{t: t, sc: sc}
}

// next returns the next frame's event name and raw frame, or "" at EOF.
func (s *sseReader) next() (string, string) {
	if !s.sc.Scan() {
		return "", ""
	}
	frame := s.sc.Text()
	event, _, _ := strings.Cut(strings.TrimPrefix(frame, "event: "), "\n")
	return event, frame
}

// readAll reads the rest of the stream and checks its invariants.
func readStream(t *testing.T, resp *http.Response) string {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q, want text/event-stream", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Fatalf("Cache-Control %q, want no-cache", cc)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	checkTranscript(t, body)
	return string(body)
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// serveRecorded runs one request through h in process.
func serveRecorded(h http.Handler, method, path, body string, header http.Header) *http.Response {
	// httptest's default Host, example.com, is not a name of this machine.
	req := httptest.NewRequest(method, "http://127.0.0.1:4000"+path, strings.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}
