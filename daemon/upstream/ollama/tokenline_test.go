package ollama

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// tokenLineCases are lines the hand decoder must take or leave to
// encoding/json.
var tokenLineCases = []struct {
	name, line string
	fast       bool
}{
	{"text", `{"model":"qwen3:8b","created_at":"2026-01-24T10:00:00.123456789Z","message":{"role":"assistant","content":" token"},"done":false}`, true},
	{"thinking", `{"model":"tiny","created_at":"2026-11-25T04:08:30.152609792Z","message":{"role":"assistant","content":"","thinking":"Let me think"},"done":false}`, true},
	{"escapes", `{"model":"m","created_at":"2026-01-24T10:00:00Z","message":{"role":"assistant","content":"a\n\t\"b\\ \/ \u003cdiv\u003e \u0026\u0026 \u00e9 \b\f\r"},"done":false}`, true},
	{"unicode", `{"model":"m","created_at":"2026-01-24T10:00:00+01:00","message":{"role":"assistant","content":"Grüße, 世界 👋"},"done":false}`, true},
	{"empty content", `{"model":"m","created_at":"2026-01-24T10:00:00Z","message":{"role":"assistant","content":""},"done":false}`, true},
	{"escaped model", `{"model":"a\"b","created_at":"2026-01-24T10:00:00Z","message":{"role":"user","content":"x\ny"},"done":false}`, true},

	{"done line", `{"model":"m","created_at":"2026-01-24T10:00:00Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","eval_count":3}`, false},
	{"tool calls", `{"model":"m","created_at":"2026-01-24T10:00:00Z","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"f","arguments":{}}}]},"done":false}`, false},
	{"error line", `{"error":"model runner has unexpectedly stopped"}`, false},
	{"no created_at", `{"model":"m","message":{"role":"assistant","content":"a"},"done":false}`, false},
	{"spaces", `{"model": "m","created_at":"2026-01-24T10:00:00Z","message":{"role":"assistant","content":"a"},"done":false}`, false},
	{"trailing", `{"model":"m","created_at":"2026-01-24T10:00:00Z","message":{"role":"assistant","content":"a"},"done":false}}`, false},
	{"surrogate pair", `{"model":"m","created_at":"2026-01-24T10:00:00Z","message":{"role":"assistant","content":"\ud83d\udc4b"},"done":false}`, false},
	{"invalid utf-8", "{\"model\":\"m\",\"created_at\":\"2026-01-24T10:00:00Z\",\"message\":{\"role\":\"assistant\",\"content\":\"\xff\"},\"done\":false}", false},
	{"control character", "{\"model\":\"m\",\"created_at\":\"2026-01-24T10:00:00Z\",\"message\":{\"role\":\"assistant\",\"content\":\"a\tb\"},\"done\":false}", false},
	{"bad escape", `{"model":"m","created_at":"2026-01-24T10:00:00Z","message":{"role":"assistant","content":"\x41"},"done":false}`, false},
	{"any created_at", `{"model":"m","created_at":"yesterday","message":{"role":"assistant","content":"a"},"done":false}`, true},
	{"cut short", `{"model":"m","created_at":"2026-01-24T10:00:00Z","message":{"role":"assistant","content":"a`, false},
}

func TestTokenLine(t *testing.T) {
	for _, tc := range tokenLineCases {
		t.Run(tc.name, func(t *testing.T) {
			var d tokenLineDecoder
			got, ok := d.decode([]byte(tc.line))
			if ok != tc.fast {
				t.Fatalf("decoded by hand: %v, want %v", ok, tc.fast)
			}
			if ok {
				checkTokenLine(t, []byte(tc.line), got)
			}
		})
	}
}

// checkTokenLine fails unless encoding/json decodes line to got.
func checkTokenLine(t *testing.T, line []byte, got *ChatResponse) {
	t.Helper()
	var want ChatResponse
	if err := json.Unmarshal(line, &want); err != nil {
		t.Fatalf("decoded by hand a line encoding/json refuses (%v): %q", err, line)
	}
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("line %q\nby hand:       %#v\nencoding/json: %#v", line, *got, want)
	}
}

// One decoder over a whole stream: the model name is shared, and a line
// with escapes does not change the strings of an earlier one.
func TestTokenLineStream(t *testing.T) {
	var d tokenLineDecoder
	var got []*ChatResponse
	for _, content := range []string{`a\nb`, `c`, `\u00e9\"`} {
		line := `{"model":"qwen3:8b","created_at":"2026-01-24T10:00:00Z","message":{"role":"assistant","content":"` + content + `"},"done":false}`
		cr, ok := d.decode([]byte(line))
		if !ok {
			t.Fatalf("declined %q", line)
		}
		got = append(got, cr)
	}
	var texts []string
	for _, cr := range got {
		texts = append(texts, cr.Message.Content)
		if cr.Model != "qwen3:8b" {
			t.Errorf("model %q", cr.Model)
		}
	}
	if strings.Join(texts, "|") != "a\nb|c|é\"" {
		t.Errorf("contents %q", texts)
	}
}

// FuzzTokenLine: whatever the hand decoder accepts, encoding/json decodes
// to the same ChatResponse. Seeded with every line of the streams
// recorded from the real Ollama and the table above.
func FuzzTokenLine(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "streams", "*.http"))
	for _, file := range files {
		_, body := ollamatest.ReadCapture(f, strings.TrimSuffix(filepath.Base(file), ".http"))
		for _, line := range bytes.Split(body, []byte("\n")) {
			f.Add(line)
		}
	}
	for _, tc := range tokenLineCases {
		f.Add([]byte(tc.line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var d tokenLineDecoder
		if got, ok := d.decode(line); ok {
			checkTokenLine(t, line, got)
		}
	})
}
