package translator

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/config"
)

// holdingFake is a backend that starts every answer and then holds it
// open until released (or cancelled), counting the answers it started.
type holdingFake struct {
	*fakeOllama
	open    *atomic.Int32
	started atomic.Int32
	release chan struct{}
}

func newHoldingFake(t *testing.T) *holdingFake {
	h := &holdingFake{release: make(chan struct{})}
	h.fakeOllama, h.open = faultFake(t, func(w http.ResponseWriter, r *http.Request) {
		h.started.Add(1)
		rawLine(w, chunkLine("held"))
		select {
		case <-h.release:
			rawLine(w, doneLine)
		case <-r.Context().Done():
		case <-time.After(hangGuard):
		}
	})
	return h
}

// holdStream starts a stream of model and reads until its first words;
// the answer stays open until the test ends.
func holdStream(t *testing.T, base, model string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/messages", strings.NewReader(streamBody(model)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		resp.Body.Close()
	})
	if resp.StatusCode != 200 {
		t.Fatalf("holding a stream of %s: status %d", model, resp.StatusCode)
	}
	readUntil(t, resp.Body, `"text":"held"`)
}

func limitsTranslator(t *testing.T, yaml string) (*Server, string) {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), "limits.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tr := New(func() *config.Config { return cfg }, Options{Logger: discardLogger(), HeaderGrace: hangGuard})
	return tr, newLocalServer(t, tr)
}

// TestMaxParallelRequests: a backend model answers at most its
// max_parallel_requests at once; more requests, in any API, wait for a
// slot without reaching the backend, and are answered as slots free.
func TestMaxParallelRequests(t *testing.T) {
	fake := newHoldingFake(t)
	tr, ts := limitsTranslator(t, fmt.Sprintf(`
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/qwen3:8b, api_base: %q, max_parallel_requests: 2}
`, fake.URL))
	holdStream(t, ts, "claude-sonnet-4-5")
	holdStream(t, ts, "claude-sonnet-4-5")
	results := make(chan outcome, len(clientModes))
	for _, m := range clientModes {
		go func() { results <- ask(t, ts, m, "claude-sonnet-4-5") }()
	}
	waitQueued(t, tr, "claude-sonnet-4-5", len(clientModes))
	if n := fake.started.Load(); n != 2 {
		t.Errorf("the backend started %d answers, want the 2 allowed", n)
	}
	if st := tr.Stats(); st.Backends[0].InFlight != 2 {
		t.Errorf("in flight %d, want 2", st.Backends[0].InFlight)
	}

	close(fake.release) // the held answers finish, and the waiting ones after them
	for range clientModes {
		if o := <-results; o.status != 200 || o.errType != "" {
			t.Errorf("a request that waited for a slot: %v", o)
		}
	}
	waitIdle(t, tr, fake.open)
	if n := fake.started.Load(); n != int32(2+len(clientModes)) {
		t.Errorf("the backend started %d answers, want %d", n, 2+len(clientModes))
	}
}

// TestMaxParallelFailover: a request that finds one backend of its model
// full goes to the next, even when that one is busier overall; when every
// backend is full it waits for the first slot on either.
func TestMaxParallelFailover(t *testing.T) {
	a, b := newHoldingFake(t), newHoldingFake(t)
	tr, ts := limitsTranslator(t, fmt.Sprintf(`
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/qwen3:8b, api_base: %[1]q, max_parallel_requests: 1}
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/qwen3:8b, api_base: %[2]q, max_parallel_requests: 3}
  - model_name: claude-haiku-4-5
    litellm_params: {model: ollama/qwen3:8b, api_base: %[2]q}
`, a.URL, b.URL))
	// b is busier: two answers of another model name on the same model.
	holdStream(t, ts, "claude-haiku-4-5")
	holdStream(t, ts, "claude-haiku-4-5")
	holdStream(t, ts, "claude-sonnet-4-5") // to a, the least busy: now full
	if a.started.Load() != 1 || b.started.Load() != 2 {
		t.Fatalf("answers started: a %d, b %d; want 1 and 2", a.started.Load(), b.started.Load())
	}
	holdStream(t, ts, "claude-sonnet-4-5") // a is full: to b, its third
	if a.started.Load() != 1 || b.started.Load() != 3 {
		t.Fatalf("answers started: a %d, b %d; want 1 and 3 (failover from the full one)", a.started.Load(), b.started.Load())
	}
	result := make(chan outcome, 1)
	go func() { result <- ask(t, ts, clientModes[1], "claude-sonnet-4-5") }()
	waitQueued(t, tr, "claude-sonnet-4-5", 1)
	if a.started.Load() != 1 || b.started.Load() != 3 {
		t.Errorf("a request beyond the limits reached a backend: a %d, b %d", a.started.Load(), b.started.Load())
	}
	if st := tr.Stats(); !st.Backends[0].Healthy || !st.Backends[1].Healthy {
		t.Errorf("a full backend was marked down: %+v", st.Backends)
	}
	b.release <- struct{}{} // one of b's answers ends: the waiting request takes its slot
	waitQueued(t, tr, "claude-sonnet-4-5", 0)
	for b.started.Load() != 4 {
		time.Sleep(2 * time.Millisecond)
	}
	if a.started.Load() != 1 {
		t.Errorf("answers started on a: %d, want 1 (the freed slot was on b)", a.started.Load())
	}
	close(b.release)
	if o := <-result; o.status != 200 || o.errType != "" {
		t.Errorf("the waiting request: %v", o)
	}
}

// TestDefaultMaxParallel: without max_parallel_requests a backend model
// takes defaultMaxParallel requests at once; the next one waits.
func TestDefaultMaxParallel(t *testing.T) {
	fake := newHoldingFake(t)
	tr, ts := limitsTranslator(t, fmt.Sprintf(`
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/qwen3:8b, api_base: %q}
`, fake.URL))
	for range defaultMaxParallel {
		holdStream(t, ts, "claude-sonnet-4-5")
	}
	result := make(chan outcome, 1)
	go func() { result <- ask(t, ts, clientModes[0], "claude-sonnet-4-5") }()
	waitQueued(t, tr, "claude-sonnet-4-5", 1)
	if n := fake.started.Load(); n != defaultMaxParallel {
		t.Errorf("the backend started %d answers, want %d", n, defaultMaxParallel)
	}
	close(fake.release)
	if o := <-result; o.status != 200 {
		t.Errorf("request %d: got %v, want it answered once a slot freed", defaultMaxParallel+1, o)
	}
}

// waitQueued waits until n requests wait for a slot for alias.
func waitQueued(t *testing.T, tr *Server, alias string, n int) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for tr.be.pool.queuedFor(alias) != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests wait for %s, want %d", tr.be.pool.queuedFor(alias), alias, n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Who may call: DNS rebinding and browsers.

// hostRequest sends a request for path with the given Host (and Origin,
// when not "") straight to the handler.
func hostRequest(h http.Handler, method, path, host, origin string) *http.Response {
	req := httptest.NewRequest(method, "http://127.0.0.1:4000"+path, strings.NewReader(helloBody))
	req.Host = host
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestHostHeader(t *testing.T) {
	fake := newFakeOllama(t)
	machine, err := os.Hostname()
	if err != nil || machine == "" {
		t.Fatalf("no host name: %v", err)
	}
	short, _, _ := strings.Cut(strings.ToLower(machine), ".")
	tests := []struct {
		listen, extra string
		allowed       []string
		refused       []string
	}{
		{
			listen: "127.0.0.1:4000",
			allowed: []string{"127.0.0.1:4000", "127.0.0.1", "localhost:4000", "localhost", "LocalHost.:4000", "[::1]:4000", "[::1]",
				"app.localhost:4000", "10.1.2.3:4000", "[fe80::1]:4000", ""},
			refused: []string{"evil.example:4000", "evil.example", "127.0.0.1.nip.io:4000", "localhost.evil.example:4000",
				"localhost:4000.evil.example", machine + ":4000", short + ".local:4000", "mybox.lan:4000"},
		},
		{
			// Every interface, with a key: this machine's names work too.
			listen:  "0.0.0.0:4000",
			extra:   "general_settings: {master_key: sk-test}",
			allowed: []string{"127.0.0.1:4000", "localhost:4000", "192.168.1.5:4000", machine + ":4000", strings.ToUpper(short) + ":4000", short + ".local:4000"},
			refused: []string{"evil.example:4000", "mybox.lan:4000", short + ".evil.example:4000"},
		},
		{
			listen:  "[::]:4000",
			extra:   "general_settings: {master_key: sk-test}\nclawbridge: {translator: {allowed_hosts: [mybox.lan, MyBox.Tail1234.ts.net]}}",
			allowed: []string{"mybox.lan:4000", "mybox.lan", "mybox.tail1234.ts.net:4000", machine},
			refused: []string{"evil.example:4000", "lan:4000", "box.lan:4000"},
		},
		{
			listen:  "mybox.lan:4000",
			extra:   "general_settings: {master_key: sk-test}",
			allowed: []string{"mybox.lan:4000", "MYBOX.LAN.:4000", "localhost:4000"},
			refused: []string{"evil.example:4000", machine + ":4000"},
		},
	}
	for _, tt := range tests {
		yaml := fmt.Sprintf("model_list:\n  - model_name: claude-sonnet-4-5\n    litellm_params: {model: ollama/qwen3:8b, api_base: %q}\n%s\n", fake.URL, tt.extra)
		cfg, err := config.Parse([]byte(yaml), "hosts.yaml")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Clawbridge.Listen = tt.listen
		tr := New(func() *config.Config { return cfg }, Options{Logger: discardLogger()})
		key := http.Header{}
		if cfg.GeneralSettings.MasterKey != "" {
			key.Set("x-api-key", cfg.GeneralSettings.MasterKey)
		}
		for _, host := range tt.allowed {
			req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4000/v1/messages", strings.NewReader(helloBody))
			req.Host, req.Header = host, key.Clone()
			rec := httptest.NewRecorder()
			tr.ServeHTTP(rec, req)
			if rec.Code != 200 {
				t.Errorf("listen %s, Host %q: %d %s, want 200", tt.listen, host, rec.Code, rec.Body)
			}
		}
		for _, host := range tt.refused {
			for _, path := range []string{"/v1/messages", "/health", "/v1/models", "/v1/chat/completions"} {
				resp := hostRequest(tr, http.MethodPost, path, host, "")
				if path == "/v1/chat/completions" || path == "/v1/models" { // OpenAI's error shape
					body, _ := io.ReadAll(resp.Body)
					if resp.StatusCode != 403 || !strings.Contains(string(body), `"code":"permission_denied"`) {
						t.Errorf("listen %s, Host %q, %s: %d %s, want 403 permission_denied", tt.listen, host, path, resp.StatusCode, body)
					}
					continue
				}
				e := decodeError(t, resp, 403, "permission_error")
				if !strings.Contains(e.Error.Message, fmt.Sprintf("Host header %q", host)) || !strings.Contains(e.Error.Message, "allowed_hosts") {
					t.Errorf("listen %s, Host %q: message %q does not name the header and the setting", tt.listen, host, e.Error.Message)
				}
			}
		}
	}
}

// TestBrowserRequests: a page of another site is refused even where it
// could send a request without a preflight; nothing ever carries CORS
// headers, so no page may read an answer; a preflight gets none either.
func TestBrowserRequests(t *testing.T) {
	tr, _ := limitsTranslator(t, fmt.Sprintf("model_list:\n  - model_name: claude-sonnet-4-5\n    litellm_params: {model: ollama/qwen3:8b, api_base: %q}\n", newFakeOllama(t).URL))
	for _, origin := range []string{"https://evil.example", "http://evil.example:4000", "null", "http://127.0.0.1.nip.io:4000", "file://", "garbage"} {
		for _, path := range []string{"/v1/messages", "/health"} {
			e := decodeError(t, hostRequest(tr, http.MethodPost, path, "127.0.0.1:4000", origin), 403, "permission_error")
			if !strings.Contains(e.Error.Message, "Origin") || !strings.Contains(e.Error.Message, origin) {
				t.Errorf("Origin %q: message %q", origin, e.Error.Message)
			}
		}
	}
	for _, origin := range []string{"", "http://localhost:3000", "http://127.0.0.1:8080", "http://[::1]:5173", "http://app.localhost"} {
		resp := hostRequest(tr, http.MethodPost, "/v1/messages", "127.0.0.1:4000", origin)
		if resp.StatusCode != 200 {
			t.Errorf("Origin %q: %d, want 200", origin, resp.StatusCode)
		}
		noCORS(t, resp)
	}
	for _, path := range []string{"/v1/messages", "/v1/chat/completions", "/v1/models", "/health"} {
		req := httptest.NewRequest(http.MethodOptions, "http://127.0.0.1:4000"+path, nil)
		req.Header.Set("Origin", "http://localhost:3000")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-api-key")
		rec := httptest.NewRecorder()
		tr.ServeHTTP(rec, req)
		resp := rec.Result()
		if resp.StatusCode/100 == 2 {
			t.Errorf("OPTIONS %s: %d, want a refusal", path, resp.StatusCode)
		}
		noCORS(t, resp)
	}
}

func noCORS(t *testing.T, resp *http.Response) {
	t.Helper()
	for k := range resp.Header {
		if strings.HasPrefix(strings.ToLower(k), "access-control-") {
			t.Errorf("%s %s: CORS header %s: %s", resp.Request.Method, resp.Request.URL.Path, k, resp.Header.Get(k))
		}
	}
}
