package daemon

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// reloadStreamTokens is the length of the answer streamed across the
// reload: long enough (seconds on the tiny model) that the config edit,
// its debounce and the reload all land while it streams, and within the
// default num_ctx so the model is not reloaded with a larger context.
const reloadStreamTokens = 3000

// streamed is what a client read from a /v1/messages stream.
type streamed struct {
	text         string
	stopReason   string
	outputTokens int
	messageStop  bool
	errors       []string
	err          error
}

// readStream reads an Anthropic SSE stream to its end, calling started
// after the first text delta and marking done when message_stop arrives.
func readStream(resp *http.Response, started func(), done *atomic.Bool) streamed {
	var s streamed
	var text strings.Builder
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	first := true
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var ev struct {
			Type  string `json:"type"`
			Delta struct {
				Type       string `json:"type"`
				Text       string `json:"text"`
				StopReason string `json:"stop_reason"`
			} `json:"delta"`
			Usage struct {
				OutputTokens int `json:"output_tokens"`
			} `json:"usage"`
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			s.err = fmt.Errorf("decoding %q: %w", data, err)
			return s
		}
		switch ev.Type {
		case "content_block_delta":
			if ev.Delta.Type == "text_delta" {
				text.WriteString(ev.Delta.Text)
				if first {
					first = false
					started()
				}
			}
		case "message_delta":
			s.stopReason, s.outputTokens = ev.Delta.StopReason, ev.Usage.OutputTokens
		case "message_stop":
			s.messageStop = true
			done.Store(true)
		case "error":
			s.errors = append(s.errors, ev.Error.Message)
		}
	}
	s.text, s.err = text.String(), sc.Err()
	if first {
		started() // no text at all: let the test go on and report it
	}
	return s
}

// TestReloadKeepsStreamsInFlight edits the config by hand while an answer
// streams: the edit is applied at once (a new alias answers, the switched
// alias refuses tools) while the answer in flight carries on with the
// config it started with and ends normally with every token.
func TestReloadKeepsStreamsInFlight(t *testing.T) {
	// Two slots, so the requests made after the reload are answered while
	// the long answer still streams instead of queueing behind it.
	ol := ollamatest.StartWith(t, ollamatest.Options{Env: []string{"OLLAMA_NUM_PARALLEL=2"}})
	w := newWorld(t, ol.URL, "")
	d := startDaemon(t, w, Options{RuntimeDir: filepath.Join(w.home, "run")})
	addr := d.State().Translator.Addr
	if code, body := ask(t, addr, "claude-haiku-4-5", "Hi"); code == 200 {
		t.Fatalf("claude-haiku-4-5 answered before the config named it: %s", body)
	}

	body := fmt.Sprintf(`{"model":"claude-sonnet-4-5","max_tokens":%d,"stream":true,"messages":[{"role":"user","content":%q}]}`,
		reloadStreamTokens, ollamatest.TriggerLoop)
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/messages", strings.NewReader(body))
	req.Header.Set("x-api-key", "sk-test-local")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("stream: status %d", resp.StatusCode)
	}
	var finished atomic.Bool
	started := make(chan struct{})
	result := make(chan streamed, 1)
	go func() { result <- readStream(resp, func() { close(started) }, &finished) }()
	<-started

	// The edit: claude-sonnet-4-5 moves to the model without tools, and a
	// new alias appears. Written the way editors save, a new file renamed
	// over the old one, and picked up by the config watcher.
	old, err := os.ReadFile(w.configPath)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(old), "model: ollama/"+ollamatest.ModelTiny+" ", "model: ollama/"+ollamatest.ModelNoTools+" ", 1)
	edited = strings.Replace(edited, "model_list:\n", fmt.Sprintf("model_list:\n  - model_name: claude-haiku-4-5\n    litellm_params:\n      model: ollama/%s\n      api_base: %s\n",
		ollamatest.ModelTiny, ol.URL), 1)
	if edited == string(old) || !strings.Contains(edited, ollamatest.ModelNoTools) {
		t.Fatalf("the edit changed nothing:\n%s", edited)
	}
	replaceFile(t, w.configPath, edited)
	waitFor(t, "the edited config to apply", func() bool {
		st := d.State()
		if len(st.Aliases) != 2 {
			return false
		}
		for _, a := range st.Aliases {
			if a.Name == "claude-sonnet-4-5" && a.Model != ollamatest.ModelNoTools {
				return false
			}
		}
		return true
	})
	if finished.Load() {
		t.Fatalf("the answer ended before the reload was applied, so this test showed nothing: raise reloadStreamTokens")
	}
	if st := d.State(); st.LastError != "" {
		t.Errorf("last error after the reload: %q", st.LastError)
	}

	// New requests get the new config.
	if code, body := ask(t, addr, "claude-haiku-4-5", "Hi"); code != 200 || !strings.Contains(body, ollamatest.ReplyDefault) {
		t.Errorf("the new alias after the reload: %d %s", code, body)
	}
	if code := toolRequest(t, addr); code != 400 {
		t.Errorf("tool request on claude-sonnet-4-5 after it moved to %s: %d, want 400", ollamatest.ModelNoTools, code)
	}

	// The answer in flight finished as if nothing had happened.
	s := <-result
	if s.err != nil {
		t.Fatalf("reading the stream: %v", s.err)
	}
	want := strings.Repeat(ollamatest.ReplyLoop, reloadStreamTokens/2)
	if !s.messageStop || s.stopReason != "max_tokens" || s.outputTokens != reloadStreamTokens || len(s.errors) != 0 {
		t.Errorf("stream: message_stop %v, stop_reason %q, output_tokens %d (want %d), errors %q",
			s.messageStop, s.stopReason, s.outputTokens, reloadStreamTokens, s.errors)
	}
	if s.text != want {
		t.Errorf("stream text: %d bytes ending %q; want %d bytes of %q", len(s.text), tail(s.text, 40), len(want), ollamatest.ReplyLoop)
	}
}
