package translator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// realStreams is how many streams TestRealQueueDefaults opens at once:
// four times the default max_parallel_requests.
const realStreams = 64

// TestRealQueueDefaults opens 64 streams at once against one real Ollama
// with the default config (16 in flight, the rest queued): every one is
// answered in full, none refused.
func TestRealQueueDefaults(t *testing.T) {
	ol := ollamatest.Start(t)
	cfg := parseConfig(t, fmt.Sprintf(`
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/%s, api_base: %q}
`, ollamatest.ModelTiny, ol.URL))
	ts := httptest.NewServer(New(func() *config.Config { return cfg }, Options{Logger: discardLogger()}))
	defer ts.Close()
	body := `{"model":"claude-sonnet-4-5","max_tokens":200,"stream":true,"messages":[{"role":"user","content":"Hi there"}]}`
	errs := make(chan error, realStreams)
	var wg sync.WaitGroup
	for i := range realStreams {
		wg.Go(func() {
			if err := realStream(ts.URL, body); err != nil {
				errs <- fmt.Errorf("stream %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		n++
		t.Error(err)
	}
	if n > 0 {
		t.Errorf("%d of %d streams failed", n, realStreams)
	}
}

// realStream sends one streaming request and checks that it is answered
// in full: 200, the model's reply, message_stop, and no error event.
func realStream(base, body string) error {
	resp, err := http.Post(base+"/v1/messages", "application/json", strings.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	switch {
	case err != nil:
		return err
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("status %d: %s", resp.StatusCode, raw)
	case strings.Contains(string(raw), "event: error"):
		return fmt.Errorf("error event: %s", raw)
	case !strings.Contains(string(raw), "event: message_stop"):
		return fmt.Errorf("no message_stop: %s", raw)
	}
	var text strings.Builder
	for _, frame := range strings.Split(string(raw), "\n\n") {
		_, data, _ := strings.Cut(frame, "data: ")
		var ev struct{ Delta struct{ Text string } }
		if err := json.Unmarshal([]byte(data), &ev); err != nil && data != "" {
			return fmt.Errorf("event data %q: %w", data, err)
		}
		text.WriteString(ev.Delta.Text)
	}
	if text.String() != ollamatest.ReplyDefault {
		return fmt.Errorf("text %q, want %q", text.String(), ollamatest.ReplyDefault)
	}
	return nil
}

// TestRealWholeAnswer: against a real Ollama, a non-streaming client's
// first answer streams from Ollama and teaches the model's speed; the
// next is asked for whole, and is the same answer the stream gave, for
// text and for a tool call.
func TestRealWholeAnswer(t *testing.T) {
	ol := ollamatest.Start(t)
	target, err := url.Parse(ol.URL)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var streams []bool
	proxy := httputil.NewSingleHostReverseProxy(target)
	recorder := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/chat" {
			body, _ := io.ReadAll(r.Body)
			var req struct{ Stream bool }
			json.Unmarshal(body, &req)
			mu.Lock()
			streams = append(streams, req.Stream)
			mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		proxy.ServeHTTP(w, r)
	}))
	defer recorder.Close()
	cfg := parseConfig(t, fmt.Sprintf(`
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/%s, api_base: %q}
`, ollamatest.ModelTiny, recorder.URL))
	ts := httptest.NewServer(New(func() *config.Config { return cfg }, Options{Logger: discardLogger()}))
	defer ts.Close()
	weatherTool := `,"tools":[{"name":"` + ollamatest.ToolWeather + `","input_schema":` + ollamatest.WeatherParameters + `}]`
	for _, body := range []string{
		`{"model":"claude-sonnet-4-5","max_tokens":200,"messages":[{"role":"user","content":"Hi there"}]}`,
		`{"model":"claude-sonnet-4-5","max_tokens":200` + weatherTool + `,"messages":[{"role":"user","content":"What's the weather?"}]}`,
	} {
		mu.Lock()
		from := len(streams)
		mu.Unlock()
		first, second := postMessage(t, ts.URL, body, false), postMessage(t, ts.URL, body, false)
		mu.Lock()
		asked := streams[from:]
		mu.Unlock()
		if from == 0 && (len(asked) != 2 || !asked[0] || asked[1]) || from > 0 && (len(asked) != 2 || asked[0] || asked[1]) {
			t.Errorf("asked Ollama for a stream: %v (earlier requests: %d)", asked, from)
		}
		if a, b := mustJSON(withoutIDs(first)), mustJSON(withoutIDs(second)); a != b {
			t.Errorf("the answers differ:\nfirst:  %s\nsecond: %s", a, b)
		}
	}
}
