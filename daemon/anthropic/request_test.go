package anthropic

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/golden"
)

// TestRequestGolden converts every testdata/request/*.json case (an
// Anthropic body and the backend it goes to) into the Ollama request, and
// compares that with the .golden file beside it.
func TestRequestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/request/*.json")
	var cases []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".golden.json") {
			cases = append(cases, f)
		}
	}
	if len(cases) == 0 {
		t.Fatal("no cases in testdata/request")
	}
	for _, f := range cases {
		name := strings.TrimSuffix(f, ".json")
		t.Run(filepath.Base(name), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var tc struct {
				Backend struct {
					Model   string        `json:"model"`
					NumCtx  int           `json:"num_ctx"`
					NoTools bool          `json:"no_tools"`
					Caps    *Capabilities `json:"caps"`
				} `json:"backend"`
				Body json.RawMessage `json:"body"`
			}
			if err := json.Unmarshal(data, &tc); err != nil {
				t.Fatal(err)
			}
			r, err := DecodeRequest(tc.Body)
			if err != nil {
				t.Fatalf("DecodeRequest: %v", err)
			}
			b := Backend{Model: tc.Backend.Model, NumCtx: tc.Backend.NumCtx, Caps: tc.Backend.Caps, NoTools: tc.Backend.NoTools}
			chat, err := OllamaRequest(r, b)
			if err != nil {
				t.Fatalf("OllamaRequest: %v", err)
			}
			got, err := json.MarshalIndent(struct {
				Chat          any      `json:"chat"`
				Stream        bool     `json:"client_stream"`
				StopSequences []string `json:"stop_sequences,omitempty"`
				DroppedTools  []string `json:"dropped_tools,omitempty"`
			}{chat, r.Stream, r.StopSequences, r.DroppedTools}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, name+".golden.json", append(got, '\n'))
		})
	}
}

// TestRequestErrors checks that bad requests get a 400 whose message
// names the offending field.
func TestRequestErrors(t *testing.T) {
	const img = `{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}`
	tests := []struct {
		name, body, want string
	}{
		{"empty body", ``, "request body is empty"},
		{"bad JSON", `{"model":`, "request body is not valid JSON"},
		{"not an object", `[1,2]`, "request body: expected object, got array"},
		{"missing model", `{"max_tokens":1,"messages":[{"role":"user","content":"x"}]}`, "model: field required"},
		{"model wrong type", `{"model":5,"max_tokens":1,"messages":[]}`, "model: expected string, got number"},
		{"missing max_tokens", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, "max_tokens: field required"},
		{"max_tokens string", `{"model":"m","max_tokens":"10","messages":[]}`, "max_tokens: expected integer, got string"},
		{"max_tokens zero", `{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]}`, "max_tokens: must be at least 1"},
		{"no messages", `{"model":"m","max_tokens":1,"messages":[]}`, "messages: at least one message is required"},
		{"messages not array", `{"model":"m","max_tokens":1,"messages":{}}`, "messages: expected array, got object"},
		{"message null", `{"model":"m","max_tokens":1,"messages":[null]}`, "messages.0: expected object, got null"},
		{"bad role", `{"model":"m","max_tokens":1,"messages":[{"role":"bot","content":"x"}]}`, `messages.0.role: expected "user" or "assistant", got "bot"`},
		{"missing content", `{"model":"m","max_tokens":1,"messages":[{"role":"user"}]}`, "messages.0.content: field required"},
		{"content number", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":3}]}`, "messages.0.content: expected string or array of content blocks, got number"},
		{"block not object", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":["hi"]}]}`, "messages.0.content.0: expected object, got string"},
		{"block without type", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"text":"hi"}]}]}`, "messages.0.content.0.type: field required"},
		{"text wrong type", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":[{"type":"text","text":7}]}]}`, "messages.2.content.0.text: expected string, got number"},
		{"source type wrong type", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":[{"type":"image","source":{"type":1}}]}]}`, "messages.2.content.0.source.type: expected string, got number"},
		{"image URL", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://example.com/cat.png"}}]}]}`, "messages.2.content.0.source.type: image URLs are not supported"},
		{"image bad media type", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/bmp","data":"AA=="}}]}]}`, "messages.0.content.0.source.media_type: expected image/jpeg, image/png, image/gif or image/webp, got \"image/bmp\""},
		{"image bad base64", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"!!!"}}]}]}`, "messages.0.content.0.source.data: invalid base64"},
		{"image in assistant", `{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[` + img + `]}]}`, "messages.0.content.0.type: image blocks belong in user messages"},
		{"pdf", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"AA=="}}]}]}`, "messages.0.content.0.source.type: base64 documents (PDFs) are not supported"},
		{"unknown block", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"hologram"}]}]}`, `messages.0.content.0.type: content blocks of type "hologram" are not supported`},
		{"tool_use in user", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_use","id":"a","name":"b","input":{}}]}]}`, "messages.0.content.0.type: tool_use blocks belong in assistant messages"},
		{"tool_use without id", `{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[{"type":"tool_use","name":"b","input":{}}]}]}`, "messages.0.content.0.id: field required"},
		{"tool_use input array", `{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"b","input":[1]}]}]}`, "messages.0.content.0.input: expected object, got array"},
		{"unknown tool_use_id", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_nope","content":"x"}]}]}`, `messages.0.content.0.tool_use_id: no earlier tool_use block has id "toolu_nope"`},
		{"tool_result content number", `{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"b","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"a","content":5}]}]}`, "messages.1.content.0.content: expected string or array of content blocks, got number"},
		{"system block not text", `{"model":"m","max_tokens":1,"system":[{"type":"image"}],"messages":[{"role":"user","content":"x"}]}`, `system.0.type: expected "text", got "image"`},
		{"system number", `{"model":"m","max_tokens":1,"system":1,"messages":[{"role":"user","content":"x"}]}`, "system: expected string or array of content blocks, got number"},
		{"tool without name", `{"model":"m","max_tokens":1,"tools":[{"input_schema":{}}],"messages":[{"role":"user","content":"x"}]}`, "tools.0.name: field required"},
		{"tool without schema", `{"model":"m","max_tokens":1,"tools":[{"name":"a"}],"messages":[{"role":"user","content":"x"}]}`, "tools.0.input_schema: field required"},
		{"tool schema string", `{"model":"m","max_tokens":1,"tools":[{"name":"a","input_schema":"x"}],"messages":[{"role":"user","content":"x"}]}`, "tools.0.input_schema: expected object, got string"},
		{"duplicate tool", `{"model":"m","max_tokens":1,"tools":[{"name":"a","input_schema":{}},{"name":"a","input_schema":{}}],"messages":[{"role":"user","content":"x"}]}`, `tools.1.name: tool name "a" is used twice`},
		{"tool_choice unknown tool", `{"model":"m","max_tokens":1,"tools":[{"name":"a","input_schema":{}}],"tool_choice":{"type":"tool","name":"b"},"messages":[{"role":"user","content":"x"}]}`, `tool_choice.name: no tool named "b" in tools`},
		{"tool_choice bad type", `{"model":"m","max_tokens":1,"tool_choice":{"type":"maybe"},"messages":[{"role":"user","content":"x"}]}`, `tool_choice.type: expected "auto", "any", "tool" or "none", got "maybe"`},
		{"thinking bad type", `{"model":"m","max_tokens":1,"thinking":{"type":"on"},"messages":[{"role":"user","content":"x"}]}`, `thinking.type: expected "enabled", "adaptive" or "disabled", got "on"`},
		{"thinking budget string", `{"model":"m","max_tokens":1,"thinking":{"type":"enabled","budget_tokens":"lots"},"messages":[{"role":"user","content":"x"}]}`, "thinking.budget_tokens: expected integer, got string"},
		{"effort bad", `{"model":"m","max_tokens":1,"output_config":{"effort":"huge"},"messages":[{"role":"user","content":"x"}]}`, "output_config.effort: expected"},
		{"empty stop sequence", `{"model":"m","max_tokens":1,"stop_sequences":["a",""],"messages":[{"role":"user","content":"x"}]}`, "stop_sequences.1: must not be empty"},
		{"temperature string", `{"model":"m","max_tokens":1,"temperature":"hot","messages":[{"role":"user","content":"x"}]}`, "temperature: expected number, got string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeRequest([]byte(tt.body))
			var ae *Error
			if !errors.As(err, &ae) {
				t.Fatalf("got %v, want a 400 containing %q", err, tt.want)
			}
			if ae.Status != 400 || ae.Type != "invalid_request_error" {
				t.Errorf("got %d %s, want 400 invalid_request_error", ae.Status, ae.Type)
			}
			if !strings.HasPrefix(ae.Message, tt.want) && !strings.Contains(ae.Message, tt.want) {
				t.Errorf("message %q does not contain %q", ae.Message, tt.want)
			}
		})
	}
}

// TestImageNeedsVision checks the one conversion error that depends on
// the backend: images for a model Ollama says cannot see.
func TestImageNeedsVision(t *testing.T) {
	body := `{"model":"claude-x","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]}]}`
	r, err := DecodeRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OllamaRequest(r, Backend{Model: "llama3.2:1b", Caps: &Capabilities{Tools: true}}); err == nil || !strings.Contains(err.Error(), "cannot read images") {
		t.Errorf("no-vision model: got %v, want a cannot-read-images error", err)
	}
	if _, err := OllamaRequest(r, Backend{Model: "unknown"}); err != nil {
		t.Errorf("unknown capabilities must not block images: %v", err)
	}
}
