package translator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/config"
)

// Ollama reuses its KV cache only for the part of the next prompt that is
// the same as the last one, token for token. An agent resends the whole
// conversation on every turn, so each turn's /api/chat request must
// render a prompt that begins with the previous turn's: the same system
// prompt, the same tools, the same earlier messages byte for byte (tool
// call arguments in the key order the client sent), and the same options,
// num_ctx included (a change reloads the model). These tests hold a
// 10-turn OpenClaw-shaped session to that.

// openClawTools are the tools an OpenClaw agent turn offers.
var openClawTools = []string{
	"read", "write", "edit", "apply_patch", "exec", "process", "browser", "canvas",
	"nodes", "cron", "message", "gateway", "agents_list", "sessions_list",
	"sessions_history", "sessions_send", "sessions_spawn", "session_status",
	"web_search", "web_fetch", "image", "memory_search", "memory_get",
}

// agentSession is a conversation as an OpenClaw agent keeps it and resends
// it on every turn: a large system prompt, its tools, and the history,
// with the prompt-cache marker on the last user block only (pi-ai moves it
// forward every turn).
type agentSession struct {
	system string
	tools  []any
	msgs   []map[string]any
}

func newAgentSession(systemChars int, tools []any) *agentSession {
	var sys strings.Builder
	for i := 0; sys.Len() < systemChars; i++ {
		fmt.Fprintf(&sys, "## Section %d\n\nYou are a personal assistant running inside OpenClaw. Use the tools when they help; "+
			"prefer reading files before editing them, keep replies short, and never reveal secrets.\n\n", i)
	}
	return &agentSession{system: sys.String(), tools: tools}
}

// openClawToolParams are Anthropic tool definitions of OpenClaw's size
// and shape, plus the extra tools given.
func openClawToolParams(extra ...any) []any {
	var tools []any
	for _, name := range openClawTools {
		tools = append(tools, map[string]any{
			"name":        name,
			"description": "The " + name + " tool. " + strings.Repeat("Describes what the tool does, when to use it and what it returns. ", 4),
			"input_schema": json.RawMessage(`{"type":"object","properties":{"path":{"type":"string","description":"Path to the file."},` +
				`"command":{"type":"string"},"options":{"type":"object","properties":{"recursive":{"type":"boolean"},"depth":{"type":"integer","minimum":1}}},` +
				`"mode":{"type":"string","enum":["read","write","append"]}},"required":["path"],"additionalProperties":false}`),
		})
	}
	return append(tools, extra...)
}

// user adds a user turn of text.
func (s *agentSession) user(text string) {
	s.msgs = append(s.msgs, map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": text}}})
}

// answer adds the assistant's answer as the client got it, and, when it
// called tools, a user turn with each call's result from output.
func (s *agentSession) answer(m anthropic.Message, output func(name string) string) {
	var blocks, results []any
	for _, b := range m.Content {
		switch b.Type {
		case "text":
			blocks = append(blocks, map[string]any{"type": "text", "text": b.Text})
		case "tool_use":
			blocks = append(blocks, map[string]any{"type": "tool_use", "id": b.ID, "name": b.Name, "input": b.Input})
			results = append(results, map[string]any{"type": "tool_result", "tool_use_id": b.ID, "content": output(b.Name)})
		}
	}
	s.msgs = append(s.msgs, map[string]any{"role": "assistant", "content": blocks})
	if len(results) > 0 {
		s.msgs = append(s.msgs, map[string]any{"role": "user", "content": results})
	}
}

// body is the /v1/messages request of the next turn.
func (s *agentSession) body(model string) []byte {
	msgs := make([]any, len(s.msgs))
	for i, m := range s.msgs {
		msgs[i] = m
	}
	if len(s.msgs) == 0 {
		msgs = []any{}
	} else if last := s.msgs[len(s.msgs)-1]; last["role"] == "user" {
		blocks := last["content"].([]any)
		marked := map[string]any{"cache_control": map[string]string{"type": "ephemeral"}}
		for k, v := range blocks[len(blocks)-1].(map[string]any) {
			marked[k] = v
		}
		msgs[len(msgs)-1] = map[string]any{"role": "user", "content": append(append([]any{}, blocks[:len(blocks)-1]...), marked)}
	}
	b, err := json.Marshal(map[string]any{
		"model": model, "max_tokens": 8192, "stream": true,
		"system":   []any{map[string]any{"type": "text", "text": s.system, "cache_control": map[string]string{"type": "ephemeral"}}},
		"tools":    s.tools,
		"messages": msgs,
	})
	if err != nil {
		panic(err)
	}
	return b
}

// prefixArgs are tool-call arguments whose keys are in no sorted order,
// with characters encoding/json escapes.
const prefixArgs = `{"path":"src/main.go","command":"grep -n \"<T>\" src && echo ok","options":{"recursive":true,"depth":2},"mode":"read","note":"Grüße 👋"}`

// recordingOllama answers /api/chat with a tool call on even turns and
// text on odd ones, and keeps every request body as sent.
type recordingOllama struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
}

func newRecordingOllama(t *testing.T) *recordingOllama {
	o := &recordingOllama{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/show", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"capabilities":["completion","tools"],"details":{"family":"qwen3"},"model_info":{"general.architecture":"qwen3","qwen3.context_length":131072}}`)
	})
	mux.HandleFunc("POST /api/chat", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		o.mu.Lock()
		turn := len(o.bodies)
		o.bodies = append(o.bodies, body)
		o.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-ndjson")
		if turn%2 == 0 {
			fmt.Fprintf(w, `{"model":"qwen3:8b","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"exec","arguments":%s}}]},"done":false}`+"\n", prefixArgs)
		} else {
			fmt.Fprintf(w, `{"model":"qwen3:8b","message":{"role":"assistant","content":"Step %d done: nothing looks out of place."},"done":false}`+"\n", turn)
		}
		io.WriteString(w, `{"model":"qwen3:8b","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":10,"eval_count":5}`+"\n")
	})
	o.Server = httptest.NewServer(mux)
	t.Cleanup(o.Close)
	return o
}

// TestPromptPrefixStable runs a 10-turn agent session through the
// translator and compares each /api/chat request with the one before.
func TestPromptPrefixStable(t *testing.T) {
	o := newRecordingOllama(t)
	cfg, err := config.Parse([]byte(fmt.Sprintf("model_list:\n  - model_name: claude-sonnet-4-5\n    litellm_params: {model: ollama/qwen3:8b, api_base: %q}\n", o.URL)), "prefix.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServerWith(t, cfg)
	s := newAgentSession(23000, openClawToolParams())
	s.user("Step 0: look at the project and tell me what changed since yesterday.")
	output := strings.Repeat("drwxr-xr-x  5 user staff   160 Jan 24 10:00 src\n", 20)
	const turns = 10
	for turn := range turns {
		m := accumulate(t, readStream(t, ts.post(t, "/v1/messages", string(s.body("claude-sonnet-4-5")))))
		s.answer(m, func(string) string { return output })
		if turn%2 == 1 {
			s.user(fmt.Sprintf("Step %d: and now the next file, please.", turn+1))
		}
	}
	if len(o.bodies) != turns {
		t.Fatalf("Ollama got %d requests, want %d", len(o.bodies), turns)
	}
	wantArgs, _ := json.Marshal(json.RawMessage(prefixArgs))
	for turn := 1; turn < turns; turn++ {
		checkPrefix(t, turn, o.bodies[turn-1], o.bodies[turn])
		checkArguments(t, turn, o.bodies[turn], wantArgs)
	}
}

// newTestServerWith is the translator with cfg, on loopback.
func newTestServerWith(t *testing.T, cfg *config.Config) *testServer {
	tr := New(func() *config.Config { return cfg }, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), HeaderGrace: hangGuard})
	ts := httptest.NewServer(tr)
	t.Cleanup(ts.Close)
	return &testServer{Server: ts, tr: tr}
}

// checkPrefix fails unless cur's messages begin with all of prev's, byte
// for byte, and every other field of the two requests is the same bytes.
func checkPrefix(t *testing.T, turn int, prev, cur []byte) {
	t.Helper()
	var p, c map[string]json.RawMessage
	if err := json.Unmarshal(prev, &p); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(cur, &c); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"model", "stream", "format", "keep_alive", "tools", "options", "think", "truncate", "shift"} {
		if !bytes.Equal(p[field], c[field]) {
			t.Errorf("turn %d: %s changed:\nbefore: %.300s\nafter:  %.300s", turn, field, p[field], c[field])
		}
	}
	if len(p) != len(c) {
		t.Errorf("turn %d: the request has fields %d, had %d", turn, len(c), len(p))
	}
	var pm, cm []json.RawMessage
	json.Unmarshal(p["messages"], &pm)
	json.Unmarshal(c["messages"], &cm)
	if len(cm) <= len(pm) {
		t.Fatalf("turn %d: %d messages after %d", turn, len(cm), len(pm))
	}
	for i := range pm {
		if !bytes.Equal(pm[i], cm[i]) {
			t.Errorf("turn %d: message %d changed:\nbefore: %.300s\nafter:  %.300s", turn, i, pm[i], cm[i])
		}
	}
	var opts struct {
		NumCtx int `json:"num_ctx"`
	}
	if json.Unmarshal(c["options"], &opts); opts.NumCtx == 0 {
		t.Errorf("turn %d: no num_ctx in %s", turn, c["options"])
	}
}

// checkArguments fails unless every tool call in the request carries the
// arguments the model wrote, in its key order.
func checkArguments(t *testing.T, turn int, body, want []byte) {
	t.Helper()
	var req struct {
		Messages []struct {
			ToolCalls []struct {
				Function struct {
					Arguments json.RawMessage `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	calls := 0
	for _, m := range req.Messages {
		for _, c := range m.ToolCalls {
			calls++
			if !bytes.Equal(c.Function.Arguments, want) {
				t.Errorf("turn %d: arguments %s, want %s", turn, c.Function.Arguments, want)
			}
		}
	}
	if calls == 0 {
		t.Errorf("turn %d: no tool call in the history", turn)
	}
}
