package translator

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// TestRealOllama runs the translator in front of a real Ollama serving the
// scripted tiny models (see package ollamatest). It skips without a
// provisioned Ollama unless CLAWBRIDGE_REQUIRE_PEERS is set.
func TestRealOllama(t *testing.T) {
	ol := ollamatest.Start(t)
	// A stuck Ollama fails the test after 2 minutes rather than the
	// default 15; the tiny model answers in milliseconds.
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
clawbridge: {translator: {stream_idle_timeout: 120}}
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/%[2]s, api_base: %[1]q}
  - model_name: claude-haiku-4-5
    litellm_params: {model: ollama/%[3]s, api_base: %[1]q}
  - model_name: claude-haiku-no-tools
    litellm_params: {model: ollama/%[3]s, api_base: %[1]q}
    model_info: {supports_function_calling: false}
  - model_name: claude-plain
    litellm_params: {model: ollama/%[4]s, api_base: %[1]q}
  - model_name: claude-missing
    litellm_params: {model: ollama/not-pulled:1b, api_base: %[1]q}
`, ol.URL, ollamatest.ModelTiny, ollamatest.ModelNoTools, ollamatest.ModelPlain)), "real.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(New(func() *config.Config { return cfg }, Options{Logger: discardLogger()}))
	defer ts.Close()

	// ask sends body both ways, streaming and not, and returns both
	// answers after checking that they agree.
	ask := func(t *testing.T, body string) anthropic.Message {
		t.Helper()
		plain := postMessage(t, ts.URL, body, false)
		streamed := postMessage(t, ts.URL, body, true)
		p, _ := json.Marshal(withoutIDs(plain))
		s, _ := json.Marshal(withoutIDs(streamed))
		if string(p) != string(s) {
			t.Errorf("streaming and non-streaming answers differ:\nplain:    %s\nstreamed: %s", p, s)
		}
		return plain
	}
	user := func(model, text, extra string) string {
		return `{"model":"` + model + `","max_tokens":200` + extra + `,"messages":[{"role":"user","content":` + quote(text) + `}]}`
	}
	weatherTool := `,"tools":[{"name":"` + ollamatest.ToolWeather + `","description":"Weather","input_schema":` + ollamatest.WeatherParameters + `},` +
		`{"name":"` + ollamatest.ToolTime + `","input_schema":` + ollamatest.TimeParameters + `}]`

	t.Run("text", func(t *testing.T) {
		m := ask(t, user("claude-sonnet-4-5", "Hi there", ""))
		wantText(t, m, ollamatest.ReplyDefault, "end_turn")
		if m.Usage.InputTokens == 0 || m.Usage.OutputTokens == 0 || m.Model != "claude-sonnet-4-5" {
			t.Errorf("usage %+v model %q", m.Usage, m.Model)
		}
	})
	t.Run("unicode", func(t *testing.T) {
		wantText(t, ask(t, user("claude-sonnet-4-5", "unicode please", "")), ollamatest.ReplyUnicode, "end_turn")
	})
	t.Run("tool call then result", func(t *testing.T) {
		m := ask(t, user("claude-sonnet-4-5", "What's the weather?", weatherTool))
		if *m.StopReason != "tool_use" || len(m.Content) != 1 || m.Content[0].Type != "tool_use" ||
			m.Content[0].Name != ollamatest.ToolWeather || string(m.Content[0].Input) != ollamatest.ToolWeatherArgs {
			t.Fatalf("want one get_weather call: %s", mustJSON(m))
		}
		id := m.Content[0].ID
		next := `{"model":"claude-sonnet-4-5","max_tokens":200` + weatherTool + `,"messages":[
			{"role":"user","content":"What's the weather?"},
			{"role":"assistant","content":[{"type":"tool_use","id":"` + id + `","name":"get_weather","input":` + ollamatest.ToolWeatherArgs + `}]},
			{"role":"user","content":[{"type":"tool_result","tool_use_id":"` + id + `","content":"sunny, 21°C"}]}]}`
		wantText(t, ask(t, next), ollamatest.ReplyAfterTool, "end_turn")
	})
	t.Run("two tool calls", func(t *testing.T) {
		m := postMessage(t, ts.URL, user("claude-sonnet-4-5", "Use two tools", weatherTool), true)
		if *m.StopReason != "tool_use" || len(m.Content) != 2 || m.Content[0].ID == m.Content[1].ID ||
			string(m.Content[0].Input) != ollamatest.ToolWeatherArgs || string(m.Content[1].Input) != ollamatest.ToolTimeArgs {
			t.Fatalf("want get_weather and get_time with distinct ids: %s", mustJSON(m))
		}
	})
	t.Run("max_tokens", func(t *testing.T) {
		m := ask(t, `{"model":"claude-sonnet-4-5","max_tokens":6,"messages":[{"role":"user","content":"loop forever"}]}`)
		if *m.StopReason != "max_tokens" || m.Usage.OutputTokens != 6 || !strings.HasPrefix(m.Content[0].Text, "tick tock") {
			t.Errorf("want max_tokens after 6 tokens: %s", mustJSON(m))
		}
	})
	t.Run("thinking", func(t *testing.T) {
		m := ask(t, user("claude-sonnet-4-5", "think hard", `,"thinking":{"type":"enabled","budget_tokens":1024}`))
		if len(m.Content) != 2 || m.Content[0].Thinking != ollamatest.ThinkThinking || m.Content[0].Signature == "" ||
			m.Content[1].Text != ollamatest.ThinkAnswer {
			t.Errorf("want a signed thinking block then the answer: %s", mustJSON(m))
		}
	})
	t.Run("no thinking unless asked", func(t *testing.T) {
		wantText(t, ask(t, user("claude-sonnet-4-5", "think hard", "")), ollamatest.ThinkAnswer, "end_turn")
	})
	t.Run("thinking on a model without it", func(t *testing.T) {
		wantText(t, ask(t, user("claude-plain", "think hard", `,"thinking":{"type":"enabled","budget_tokens":1024}`)), ollamatest.ThinkAnswer, "end_turn")
	})
	t.Run("stop sequence", func(t *testing.T) {
		m := ask(t, user("claude-sonnet-4-5", "stop there", `,"stop_sequences":["gamma"]`))
		wantText(t, m, "alpha beta ", "stop_sequence")
		if m.StopSequence == nil || *m.StopSequence != "gamma" {
			t.Errorf("stop_sequence %v, want gamma", m.StopSequence)
		}
	})
	t.Run("stream ends without done", func(t *testing.T) {
		// Without a done line Ollama gives no token count: output_tokens
		// counts the chunks received, one for a whole answer (whole.go),
		// so only the rest of the answers must agree.
		body := user("claude-sonnet-4-5", "repeat after me", "")
		plain, streamed := withoutIDs(postMessage(t, ts.URL, body, false)), withoutIDs(postMessage(t, ts.URL, body, true))
		plain.Usage.OutputTokens, streamed.Usage.OutputTokens = 0, 0
		if p, s := mustJSON(plain), mustJSON(streamed); p != s {
			t.Errorf("streaming and non-streaming answers differ:\nplain:    %s\nstreamed: %s", p, s)
		}
		if m := plain; *m.StopReason != "end_turn" || !strings.HasPrefix(m.Content[0].Text, ollamatest.ReplyRepeat) {
			t.Errorf("want a clean end_turn: %s", mustJSON(m))
		}
	})
	t.Run("model without tools", func(t *testing.T) {
		resp := postRaw(t, ts.URL, user("claude-haiku-4-5", "What's the weather?", weatherTool))
		e := decodeError(t, resp, 400, "invalid_request_error")
		if !strings.Contains(e.Error.Message, "supports_function_calling: false") {
			t.Errorf("message %q does not say how to fix it", e.Error.Message)
		}
		wantText(t, ask(t, user("claude-haiku-no-tools", "Hi", weatherTool)), ollamatest.ReplyDefault, "end_turn")
	})
	t.Run("model not pulled", func(t *testing.T) {
		e := decodeError(t, postRaw(t, ts.URL, user("claude-missing", "Hi", "")), 404, "not_found_error")
		if !strings.Contains(e.Error.Message, "ollama pull not-pulled:1b") {
			t.Errorf("message %q does not say how to pull the model", e.Error.Message)
		}
	})
	t.Run("ollama down", func(t *testing.T) {
		if err := ol.Stop(); err != nil {
			t.Fatal(err)
		}
		e := decodeError(t, postRaw(t, ts.URL, user("claude-sonnet-4-5", "Hi", `,"stream":true`)), 529, "overloaded_error")
		if !strings.Contains(e.Error.Message, strings.TrimPrefix(ol.URL, "http://")) {
			t.Errorf("message %q does not name Ollama's address", e.Error.Message)
		}
	})
}

func postRaw(t *testing.T, base, body string) *http.Response {
	t.Helper()
	resp, err := http.Post(base+"/v1/messages", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// postMessage sends body with stream set as asked and returns the answer;
// a streamed answer is put together from its events the way the SDKs do.
func postMessage(t *testing.T, base, body string, stream bool) anthropic.Message {
	t.Helper()
	var req map[string]any
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	req["stream"] = stream
	b, _ := json.Marshal(req)
	resp := postRaw(t, base, string(b))
	if resp.StatusCode != 200 {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, raw)
	}
	if !stream {
		var m anthropic.Message
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	return accumulate(t, readStream(t, resp))
}

// accumulate rebuilds the message from a stream transcript.
func accumulate(t testing.TB, sse string) anthropic.Message {
	t.Helper()
	var m anthropic.Message
	var inputs []strings.Builder
	for _, frame := range strings.Split(strings.TrimSpace(sse), "\n\n") {
		_, data, _ := strings.Cut(frame, "\ndata: ")
		var ev struct {
			Type         string            `json:"type"`
			Index        int               `json:"index"`
			Message      anthropic.Message `json:"message"`
			ContentBlock json.RawMessage   `json:"content_block"`
			Delta        struct {
				Type, Text, Thinking, Signature string
				PartialJSON                     string  `json:"partial_json"`
				StopReason                      string  `json:"stop_reason"`
				StopSequence                    *string `json:"stop_sequence"`
			} `json:"delta"`
			Usage anthropic.Usage `json:"usage"`
			Error struct{ Type, Message string }
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("bad event data %q: %v", data, err)
		}
		switch ev.Type {
		case "message_start":
			m = ev.Message
		case "content_block_start":
			var b struct{ Type, ID, Name string }
			json.Unmarshal(ev.ContentBlock, &b)
			m.Content = append(m.Content, anthropic.ContentBlock{Type: b.Type, ID: b.ID, Name: b.Name})
			inputs = append(inputs, strings.Builder{})
		case "content_block_delta":
			c := &m.Content[ev.Index]
			c.Text += ev.Delta.Text
			c.Thinking += ev.Delta.Thinking
			c.Signature += ev.Delta.Signature
			inputs[ev.Index].WriteString(ev.Delta.PartialJSON)
		case "content_block_stop":
			if s := inputs[ev.Index].String(); s != "" {
				m.Content[ev.Index].Input = json.RawMessage(s)
			}
		case "message_delta":
			m.StopReason, m.StopSequence, m.Usage = &ev.Delta.StopReason, ev.Delta.StopSequence, ev.Usage
		case "error":
			t.Fatalf("error event: %s: %s", ev.Error.Type, ev.Error.Message)
		}
	}
	return m
}

// withoutIDs blanks the random ids so two answers can be compared.
func withoutIDs(m anthropic.Message) anthropic.Message {
	m.ID = ""
	m.Content = append([]anthropic.ContentBlock(nil), m.Content...)
	for i := range m.Content {
		m.Content[i].ID = ""
		if len(m.Content[i].Input) == 0 && m.Content[i].Type == "tool_use" {
			m.Content[i].Input = json.RawMessage("{}")
		}
	}
	return m
}

func wantText(t *testing.T, m anthropic.Message, text, stopReason string) {
	t.Helper()
	if len(m.Content) != 1 || m.Content[0].Type != "text" || m.Content[0].Text != text || m.StopReason == nil || *m.StopReason != stopReason {
		t.Errorf("want one text block %q and stop_reason %s, got %s", text, stopReason, mustJSON(m))
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
