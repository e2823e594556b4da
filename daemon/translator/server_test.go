package translator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/daemon/upstream/openaicompat"
)

const helloBody = `{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`

func streamBody(model string) string {
	return `{"model":"` + model + `","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}`
}

func TestMessagesNonStreaming(t *testing.T) {
	ts := newTestServer(t, newFakeOllama(t), "", Options{})
	resp := ts.post(t, "/v1/messages", helloBody)
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	if resp.Header.Get("request-id") == "" {
		t.Error("no request-id header")
	}
	var msg anthropic.Message
	if err := json.NewDecoder(resp.Body).Decode(&msg); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(msg.ID, "msg_") || msg.Model != "claude-sonnet-4-5" || msg.Type != "message" || msg.Role != "assistant" {
		t.Errorf("bad envelope: %+v", msg)
	}
	if len(msg.Content) != 1 || msg.Content[0].Text != "Hello there" || *msg.StopReason != "end_turn" {
		t.Errorf("bad content: %+v", msg)
	}
	if msg.Usage.InputTokens != 11 || msg.Usage.OutputTokens != 7 {
		t.Errorf("usage %+v, want 11 in / 7 out", msg.Usage)
	}
	got := ts.fake.lastRequest(t)
	if got.Model != "qwen3:8b" || !got.Stream || *got.Options.NumPredict != 64 || string(got.Think) != "false" {
		t.Errorf("forwarded request: model %q stream %v num_predict %v think %s", got.Model, got.Stream, *got.Options.NumPredict, got.Think)
	}
}

func TestMessagesStreaming(t *testing.T) {
	ts := newTestServer(t, newFakeOllama(t), "", Options{})
	resp := ts.post(t, "/v1/messages?beta=true", streamBody("claude-sonnet-4-5"))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	body := readStream(t, resp)
	for _, want := range []string{`"text":"Hello"`, `"text":" there"`, `"stop_reason":"end_turn"`, `"model":"claude-sonnet-4-5"`, "event: message_stop"} {
		if !strings.Contains(body, want) {
			t.Errorf("stream lacks %s:\n%s", want, body)
		}
	}
}

func TestToolCallRoundTrip(t *testing.T) {
	fake := newFakeOllama(t)
	fake.chat = func(w http.ResponseWriter, r *http.Request, req *ollama.ChatRequest) {
		writeChunks(w,
			ollama.ChatResponse{Message: ollama.Message{Role: "assistant", ToolCalls: []ollama.ToolCall{
				{Function: ollama.ToolCallFunction{Name: "get_weather", Arguments: json.RawMessage(`{"z":1,"a":2}`)}},
				{Function: ollama.ToolCallFunction{Name: "get_weather", Arguments: json.RawMessage(`{"z":3,"a":4}`)}},
			}}},
			doneChunk("stop"))
	}
	ts := newTestServer(t, fake, "", Options{})
	resp := ts.post(t, "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":64,
		"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],
		"messages":[{"role":"user","content":"weather"}]}`)
	raw, _ := io.ReadAll(resp.Body)
	var msg anthropic.Message
	if err := json.Unmarshal(raw, &msg); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %v: %s", resp.StatusCode, err, raw)
	}
	if *msg.StopReason != "tool_use" || len(msg.Content) != 2 {
		t.Fatalf("want two tool_use blocks and stop_reason tool_use: %s", raw)
	}
	if !strings.Contains(string(raw), `"input":{"z":1,"a":2}`) {
		t.Errorf("arguments lost their key order: %s", raw)
	}
	a, b := msg.Content[0].ID, msg.Content[1].ID
	if !strings.HasPrefix(a, "toolu_") || !strings.HasPrefix(b, "toolu_") || a == b {
		t.Errorf("tool ids %q and %q must be distinct toolu_ ids", a, b)
	}
}

func TestMidStreamError(t *testing.T) {
	fake := newFakeOllama(t)
	fake.chat = func(w http.ResponseWriter, r *http.Request, req *ollama.ChatRequest) {
		writeChunks(w, textChunks("partial")[0])
		io.WriteString(w, `{"error":"llama runner process has terminated"}`+"\n")
	}
	ts := newTestServer(t, fake, "", Options{})
	body := readStream(t, ts.post(t, "/v1/messages", streamBody("claude-sonnet-4-5")))
	if !strings.Contains(body, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\"") ||
		!strings.Contains(body, "llama runner process has terminated") || strings.Contains(body, "message_stop") {
		t.Errorf("want an api_error event with Ollama's message and no message_stop:\n%s", body)
	}
}

func TestConnectionDrop(t *testing.T) {
	fake := newFakeOllama(t)
	fake.chat = func(w http.ResponseWriter, r *http.Request, req *ollama.ChatRequest) {
		writeChunks(w, textChunks("partial")[0])
		panic(http.ErrAbortHandler) // drops the connection mid-response
	}
	ts := newTestServer(t, fake, "", Options{})
	body := readStream(t, ts.post(t, "/v1/messages", streamBody("claude-sonnet-4-5")))
	if !strings.Contains(body, "event: error") || !strings.Contains(body, "dropped the connection") {
		t.Errorf("want an error event about the dropped connection:\n%s", body)
	}
}

func TestCloseWithoutDone(t *testing.T) {
	fake := newFakeOllama(t)
	fake.chat = func(w http.ResponseWriter, r *http.Request, req *ollama.ChatRequest) {
		c := textChunks("again")[0]
		writeChunks(w, c, c, c) // and no done line
	}
	ts := newTestServer(t, fake, "", Options{})
	body := readStream(t, ts.post(t, "/v1/messages", streamBody("claude-sonnet-4-5")))
	if !strings.Contains(body, `"stop_reason":"end_turn"`) || !strings.HasSuffix(body, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n") {
		t.Errorf("want a clean end_turn ending:\n%s", body)
	}

	resp := ts.post(t, "/v1/messages", helloBody)
	var msg anthropic.Message
	if err := json.NewDecoder(resp.Body).Decode(&msg); err != nil || msg.Content[0].Text != "againagainagain" || *msg.StopReason != "end_turn" {
		t.Errorf("non-streaming: %v %+v", err, msg)
	}
}

// TestSlowModelLoadPings holds the fake silent (a model loading) until the
// client has seen the stream start and two pings, then lets it answer.
func TestSlowModelLoadPings(t *testing.T) {
	fake := newFakeOllama(t)
	release := make(chan struct{})
	fake.chat = func(w http.ResponseWriter, r *http.Request, req *ollama.ChatRequest) {
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		writeChunks(w, textChunks("loaded")...)
	}
	ts := newTestServer(t, fake, "", Options{PingInterval: 5 * time.Millisecond, HeaderGrace: time.Millisecond})
	resp := ts.post(t, "/v1/messages", streamBody("claude-sonnet-4-5"))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sse := newSSEReader(t, resp.Body)
	if ev, frame := sse.next(); ev != "message_start" {
		t.Fatalf("first frame %q", frame)
	}
	for pings := 0; pings < 2; {
		ev, frame := sse.next()
		if ev != "ping" {
			t.Fatalf("want pings while the model loads, got %q", frame)
		}
		if frame != "event: ping\ndata: {\"type\":\"ping\"}\n\n" {
			t.Fatalf("bad ping frame %q", frame)
		}
		pings++
	}
	close(release)
	var events []string
	for {
		ev, _ := sse.next()
		if ev == "" {
			break
		}
		if ev != "ping" {
			events = append(events, ev)
		}
	}
	want := "content_block_start content_block_delta content_block_stop message_delta message_stop"
	if got := strings.Join(events, " "); got != want {
		t.Errorf("after loading: %s, want %s", got, want)
	}
}

func TestClientDisconnectCancelsUpstream(t *testing.T) {
	fake := newFakeOllama(t)
	fake.chat = func(w http.ResponseWriter, r *http.Request, req *ollama.ChatRequest) {
		writeChunks(w, textChunks("first")[0])
		fake.waitCancelled(r)
	}
	ts := newTestServer(t, fake, "", Options{})
	resp := ts.post(t, "/v1/messages", streamBody("claude-sonnet-4-5"))
	sse := newSSEReader(t, resp.Body)
	for {
		ev, frame := sse.next()
		if ev == "" {
			t.Fatal("stream ended before the first delta")
		}
		if ev == "content_block_delta" && strings.Contains(frame, "first") {
			break
		}
	}
	resp.Body.Close() // the client goes away
	select {
	case <-fake.cancelled:
	case <-time.After(hangGuard):
		t.Fatal("the upstream request was not cancelled after the client left")
	}
}

func TestNonStreamingDisconnectCancelsUpstream(t *testing.T) {
	fake := newFakeOllama(t)
	started := make(chan struct{})
	fake.chat = func(w http.ResponseWriter, r *http.Request, req *ollama.ChatRequest) {
		close(started)
		fake.waitCancelled(r)
	}
	ts := newTestServer(t, fake, "", Options{})
	ctx, cancel := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/v1/messages", strings.NewReader(helloBody))
	go func() {
		<-started
		cancel() // the client gives up and closes its connection
	}()
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("the request succeeded although the client cancelled it")
	}
	select {
	case <-fake.cancelled:
	case <-time.After(hangGuard):
		t.Fatal("the upstream request was not cancelled after the client left")
	}
}

func TestStopSequenceCancelsUpstream(t *testing.T) {
	fake := newFakeOllama(t)
	fake.chat = func(w http.ResponseWriter, r *http.Request, req *ollama.ChatRequest) {
		if len(req.Options.Stop) > 0 {
			t.Errorf("stop sequences were forwarded to Ollama: %v", req.Options.Stop)
		}
		c := textChunks("x")[0]
		c.Message.Content = "The answer is 4"
		d := c
		d.Message.Content = "2.\nEND and then some"
		writeChunks(w, c, d)
		fake.waitCancelled(r)
	}
	ts := newTestServer(t, fake, "", Options{})
	body := readStream(t, ts.post(t, "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"stop_sequences":["END"],"messages":[{"role":"user","content":"hi"}]}`))
	if !strings.Contains(body, `"stop_reason":"stop_sequence","stop_sequence":"END"`) || strings.Contains(body, "then some") {
		t.Errorf("want the answer cut at END with stop_sequence END:\n%s", body)
	}
	select {
	case <-fake.cancelled:
	case <-time.After(hangGuard):
		t.Fatal("generation was not cancelled after the stop sequence")
	}
}

func TestModelNotPulled(t *testing.T) {
	ts := newTestServer(t, newFakeOllama(t), "", Options{})
	for _, body := range []string{
		`{"model":"claude-opus-4-5","max_tokens":5,"messages":[{"role":"user","content":"x"}]}`,
		streamBody("claude-opus-4-5"),
	} {
		e := decodeError(t, ts.post(t, "/v1/messages", body), 404, "not_found_error")
		if !strings.Contains(e.Error.Message, "ollama pull not-pulled:7b") {
			t.Errorf("message %q does not say how to pull the model", e.Error.Message)
		}
	}
}

// TestChatNotFoundAfterShow covers a model removed after its capabilities
// were cached: Ollama's 404 from /api/chat is still a plain 404, for a
// stream too, because it comes before the stream is committed.
func TestChatNotFoundAfterShow(t *testing.T) {
	fake := newFakeOllama(t)
	fake.chat = func(w http.ResponseWriter, r *http.Request, req *ollama.ChatRequest) {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"model \"qwen3:8b\" not found, try pulling it first"}`)
	}
	ts := newTestServer(t, fake, "", Options{})
	for _, body := range []string{helloBody, streamBody("claude-sonnet-4-5")} {
		e := decodeError(t, ts.post(t, "/v1/messages", body), 404, "not_found_error")
		if !strings.Contains(e.Error.Message, "ollama pull qwen3:8b") {
			t.Errorf("message %q does not say how to pull the model", e.Error.Message)
		}
	}
}

func TestOllamaDown(t *testing.T) {
	addr := closedAddr(t)
	cfg, err := config.Parse([]byte(`
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params:
      model: ollama/qwen3:8b
      api_base: http://`+addr+`
`), "down.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tr := New(func() *config.Config { return cfg }, Options{HeaderGrace: hangGuard, Logger: discardLogger()})
	for _, body := range []string{helloBody, streamBody("claude-sonnet-4-5")} {
		rec := serveRecorded(tr, http.MethodPost, "/v1/messages", body, nil)
		e := decodeError(t, rec, 529, "overloaded_error")
		if !strings.Contains(e.Error.Message, addr) {
			t.Errorf("message %q does not name %s", e.Error.Message, addr)
		}
	}
}

// TestOllamaDownMidRequest covers Ollama going away between /api/show
// (cached) and /api/chat: still 529 naming the address.
func TestOllamaDownMidRequest(t *testing.T) {
	fake := newFakeOllama(t)
	ts := newTestServer(t, fake, "", Options{})
	if resp := ts.post(t, "/v1/messages", helloBody); resp.StatusCode != 200 {
		t.Fatalf("warm-up: %d", resp.StatusCode)
	}
	fake.Close()
	for _, body := range []string{helloBody, streamBody("claude-sonnet-4-5")} {
		e := decodeError(t, ts.post(t, "/v1/messages", body), 529, "overloaded_error")
		if !strings.Contains(e.Error.Message, strings.TrimPrefix(fake.URL, "http://")) {
			t.Errorf("message %q does not name the address", e.Error.Message)
		}
	}
}

func TestFailoverToNextDeployment(t *testing.T) {
	fake := newFakeOllama(t)
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/qwen3:8b, api_base: "http://%s"}
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/qwen3:8b, api_base: "%s"}
`, closedAddr(t), fake.URL)), "failover.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tr := New(func() *config.Config { return cfg }, Options{Logger: discardLogger()})
	if rec := serveRecorded(tr, http.MethodPost, "/v1/messages", helloBody, nil); rec.StatusCode != 200 {
		b, _ := io.ReadAll(rec.Body)
		t.Fatalf("status %d: %s", rec.StatusCode, b)
	}
}

func TestAuth(t *testing.T) {
	ts := newTestServer(t, newFakeOllama(t), "sk-local-secret", Options{})
	try := func(header, value string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/messages", strings.NewReader(helloBody))
		if header != "" {
			req.Header.Set(header, value)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	decodeError(t, try("", ""), 401, "authentication_error")
	decodeError(t, try("x-api-key", "sk-wrong"), 401, "authentication_error")
	decodeError(t, try("Authorization", "Bearer sk-wrong"), 401, "authentication_error")
	decodeError(t, try("Authorization", "sk-local-secret"), 401, "authentication_error")
	for _, h := range [][2]string{{"x-api-key", "sk-local-secret"}, {"Authorization", "Bearer sk-local-secret"}, {"Authorization", "bearer sk-local-secret"}} {
		if resp := try(h[0], h[1]); resp.StatusCode != 200 {
			t.Errorf("%s: %s gave %d, want 200", h[0], h[1], resp.StatusCode)
		}
	}
	resp, err := http.Get(ts.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/health without a key: %d, want 200", resp.StatusCode)
	}
	// The model list answers both SDKs: Anthropic's (which sends
	// anthropic-version) gets Anthropic's error shape, any other client
	// OpenAI's.
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/v1/models", nil)
	req.Header.Set("anthropic-version", "2023-06-01")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	decodeError(t, resp, 401, "authentication_error")
	resp.Body.Close()
	resp, err = http.Get(ts.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var oe openaicompat.ErrorResponse
	if body, _ := io.ReadAll(resp.Body); resp.StatusCode != 401 || json.Unmarshal(body, &oe) != nil ||
		oe.Error.Type != "invalid_request_error" || oe.Error.Code == nil || *oe.Error.Code != "invalid_api_key" {
		t.Errorf("/v1/models without a key, as an OpenAI client: %d %s", resp.StatusCode, body)
	}
}

func TestRequestTooLarge(t *testing.T) {
	ts := newTestServer(t, newFakeOllama(t), "", Options{MaxBodyBytes: 1 << 10})
	big := `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"` + strings.Repeat("a", 4<<10) + `"}]}`
	decodeError(t, ts.post(t, "/v1/messages", big), 413, "request_too_large")
}

func TestRequestTooLargeDefault(t *testing.T) {
	tr := New(func() *config.Config { return &config.Config{} }, Options{Logger: discardLogger()})
	body := strings.Repeat(" ", 32<<20+1)
	decodeError(t, serveRecorded(tr, http.MethodPost, "/v1/messages", body, nil), 413, "request_too_large")
}

func TestBadRequests(t *testing.T) {
	ts := newTestServer(t, newFakeOllama(t), "", Options{})
	tests := []struct{ body, want string }{
		{`{"model":`, "not valid JSON"},
		{`{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://example.com/a.png"}}]}]}`, "messages.0.content.0.source.type: image URLs are not supported"},
		{`{"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]}]}`, "cannot read images"},
	}
	for _, tt := range tests {
		e := decodeError(t, ts.post(t, "/v1/messages", tt.body), 400, "invalid_request_error")
		if !strings.Contains(e.Error.Message, tt.want) {
			t.Errorf("message %q lacks %q", e.Error.Message, tt.want)
		}
	}
	e := decodeError(t, ts.post(t, "/v1/messages", `{"model":"gpt-4o","max_tokens":5,"messages":[{"role":"user","content":"x"}]}`), 404, "not_found_error")
	if !strings.Contains(e.Error.Message, "claude-sonnet-4-5, claude-haiku-4-5, claude-opus-4-5") {
		t.Errorf("unknown model message %q does not list the configured models", e.Error.Message)
	}
}

func TestRoutingErrors(t *testing.T) {
	ts := newTestServer(t, newFakeOllama(t), "", Options{})
	decodeError(t, ts.post(t, "/v1/complete", helloBody), 404, "not_found_error")
	resp, err := http.Get(ts.URL + "/v1/messages")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	decodeError(t, resp, 405, "invalid_request_error")
	if resp.Header.Get("Allow") != "POST" {
		t.Errorf("Allow %q, want POST", resp.Header.Get("Allow"))
	}
}

func TestThinkingOnlyWhenCapable(t *testing.T) {
	fake := newFakeOllama(t)
	fake.chat = func(w http.ResponseWriter, r *http.Request, req *ollama.ChatRequest) {
		writeChunks(w,
			ollama.ChatResponse{Message: ollama.Message{Role: "assistant", Thinking: "Let me think."}},
			ollama.ChatResponse{Message: ollama.Message{Role: "assistant", Content: "4"}},
			doneChunk("stop"))
	}
	ts := newTestServer(t, fake, "", Options{})
	body := `{"model":"%s","max_tokens":64,"thinking":{"type":"enabled","budget_tokens":2000},"messages":[{"role":"user","content":"2+2"}]}`

	resp := ts.post(t, "/v1/messages", fmt.Sprintf(body, "claude-sonnet-4-5"))
	var msg anthropic.Message
	if err := json.NewDecoder(resp.Body).Decode(&msg); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, err)
	}
	if got := ts.fake.lastRequest(t).Think; string(got) != "true" {
		t.Errorf("thinking model: think %s, want true", got)
	}
	if len(msg.Content) != 2 || msg.Content[0].Type != "thinking" || msg.Content[0].Thinking != "Let me think." || msg.Content[0].Signature == "" {
		t.Errorf("want a signed thinking block then text: %+v", msg.Content)
	}

	resp = ts.post(t, "/v1/messages", fmt.Sprintf(body, "claude-haiku-4-5"))
	if resp.StatusCode != 200 {
		t.Fatalf("a model without thinking must still answer a thinking request: %d", resp.StatusCode)
	}
	if got := ts.fake.lastRequest(t).Think; got != nil {
		t.Errorf("model without thinking: think %s, want it left out", got)
	}
}

func TestCapabilitiesCached(t *testing.T) {
	fake := newFakeOllama(t)
	ts := newTestServer(t, fake, "", Options{})
	for range 3 {
		if resp := ts.post(t, "/v1/messages", helloBody); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if fake.shows != 1 {
		t.Errorf("/api/show was called %d times for one model, want 1 (cached)", fake.shows)
	}
}

func TestCapabilityCacheExpires(t *testing.T) {
	cc := newCapCache(time.Minute)
	now := time.Unix(1000, 0)
	cc.now = func() time.Time { return now }
	fake := newFakeOllama(t)
	c, _ := ollama.New(fake.URL, nil)
	for _, advance := range []time.Duration{0, 30 * time.Second, 31 * time.Second} {
		now = now.Add(advance)
		if _, err := cc.get(t.Context(), c, "qwen3:8b"); err != nil {
			t.Fatal(err)
		}
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if fake.shows != 2 {
		t.Errorf("/api/show calls: %d, want 2 (one, then one after the TTL)", fake.shows)
	}
}

func TestConfigTimeout(t *testing.T) {
	fake := newFakeOllama(t)
	fake.chat = func(w http.ResponseWriter, r *http.Request, req *ollama.ChatRequest) { fake.waitCancelled(r) }
	cfg, err := config.Parse([]byte(`
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/qwen3:8b, api_base: "`+fake.URL+`", timeout: 0.01}
`), "timeout.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tr := New(func() *config.Config { return cfg }, Options{Logger: discardLogger(), HeaderGrace: hangGuard})
	e := decodeError(t, serveRecorded(tr, http.MethodPost, "/v1/messages", helloBody, nil), 504, "timeout_error")
	if !strings.Contains(e.Error.Message, "litellm_params.timeout") {
		t.Errorf("message %q does not point at the setting", e.Error.Message)
	}
}

func TestModels(t *testing.T) {
	ts := newTestServer(t, newFakeOllama(t), "", Options{})
	get := func(path string) (*http.Response, []byte) {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, body := get("/v1/models")
	var list anthropic.ModelList
	if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %v: %s", resp.StatusCode, err, body)
	}
	if len(list.Data) != 3 || list.Object != "list" || list.HasMore || *list.FirstID != "claude-sonnet-4-5" || *list.LastID != "claude-opus-4-5" {
		t.Errorf("bad list: %s", body)
	}
	m := list.Data[0]
	if m.Type != "model" || m.Object != "model" || m.DisplayName == "" || m.CreatedAt == "" || m.Created == 0 {
		t.Errorf("entry lacks Anthropic or OpenAI fields: %+v", m)
	}

	_, body = get("/v1/models?limit=1&after_id=claude-sonnet-4-5")
	list = anthropic.ModelList{}
	json.Unmarshal(body, &list)
	if len(list.Data) != 1 || list.Data[0].ID != "claude-haiku-4-5" || !list.HasMore {
		t.Errorf("page after the first, limit 1: %s", body)
	}

	resp, body = get("/v1/models/claude-haiku-4-5")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"id":"claude-haiku-4-5"`) {
		t.Errorf("get one model: %d %s", resp.StatusCode, body)
	}
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/v1/models/claude-nope", nil)
	req.Header.Set("anthropic-version", "2023-06-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	decodeError(t, resp, 404, "not_found_error")
}

func TestHealth(t *testing.T) {
	fake := newFakeOllama(t)
	down := closedAddr(t)
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
model_list:
  - model_name: a
    litellm_params: {model: ollama/qwen3:8b, api_base: "%s"}
  - model_name: b
    litellm_params: {model: ollama/qwen3:8b, api_base: "http://%s"}
`, fake.URL, down)), "health.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tr := New(func() *config.Config { return cfg }, Options{Logger: discardLogger(), Version: "1.2.3"})
	rec := serveRecorded(tr, http.MethodGet, "/health", "", nil)
	var h Health
	if err := json.NewDecoder(rec.Body).Decode(&h); err != nil || rec.StatusCode != 200 {
		t.Fatalf("%d %v", rec.StatusCode, err)
	}
	if h.OK || h.Version != "1.2.3" || len(h.Backends) != 2 {
		t.Fatalf("health %+v", h)
	}
	if !h.Backends[0].Reachable || h.Backends[0].Version != "0.0.0-fake" || h.Backends[1].Reachable || !strings.Contains(h.Backends[1].Error, down) {
		t.Errorf("backends %+v", h.Backends)
	}
}

// TestConfigSwap checks that each request reads the config anew, so a
// reload applies without a restart.
func TestConfigSwap(t *testing.T) {
	fake := newFakeOllama(t)
	parse := func(name string) *config.Config {
		cfg, err := config.Parse([]byte(fmt.Sprintf("model_list:\n  - model_name: %s\n    litellm_params: {model: ollama/qwen3:8b, api_base: %q}\n", name, fake.URL)), "swap.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	current := parse("first")
	tr := New(func() *config.Config { return current }, Options{Logger: discardLogger()})
	body := `{"model":"second","max_tokens":5,"messages":[{"role":"user","content":"x"}]}`
	decodeError(t, serveRecorded(tr, http.MethodPost, "/v1/messages", body, nil), 404, "not_found_error")
	current = parse("second")
	if rec := serveRecorded(tr, http.MethodPost, "/v1/messages", body, nil); rec.StatusCode != 200 {
		t.Errorf("after the swap: %d", rec.StatusCode)
	}
}

// TestRequestLogLine checks the one log line per request: what it must
// say, and that it never carries the key.
func TestRequestLogLine(t *testing.T) {
	var buf syncBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	ts := newTestServer(t, newFakeOllama(t), "sk-never-logged", Options{Logger: logger})
	readStream(t, ts.post(t, "/v1/messages", streamBody("claude-sonnet-4-5-20250929")))
	ts.Close() // waits for the handler, and so for its log line

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one log line, got %d:\n%s", len(lines), buf.String())
	}
	if strings.Contains(lines[0], "sk-never-logged") {
		t.Fatalf("the key is in the log: %s", lines[0])
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"msg": "request", "model": "claude-sonnet-4-5-20250929", "route": "claude-sonnet-4-5",
		"stream": true, "status": float64(200), "input_tokens": float64(11), "output_tokens": float64(7), "stop_reason": "end_turn"}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("log %s = %v, want %v", k, rec[k], v)
		}
	}
	for _, k := range []string{"request_id", "backend", "duration_ms", "ttft_ms", "tokens_per_s"} {
		if _, ok := rec[k]; !ok {
			t.Errorf("log line lacks %s: %s", k, lines[0])
		}
	}
	if !strings.HasPrefix(rec["backend"].(string), "qwen3:8b@127.0.0.1:") {
		t.Errorf("backend %v, want qwen3:8b@host:port", rec["backend"])
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
