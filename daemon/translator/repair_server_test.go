package translator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// repairTools are the tools the repair fixtures in
// daemon/anthropic/testdata/repair were written against (see the
// anthropic package's tests).
var repairTools = []ollama.Tool{
	{Type: "function", Function: ollama.ToolFunction{Name: ollamatest.ToolWeather, Parameters: json.RawMessage(ollamatest.WeatherParameters)}},
	{Type: "function", Function: ollama.ToolFunction{Name: ollamatest.ToolTime, Parameters: json.RawMessage(ollamatest.TimeParameters)}},
	{Type: "function", Function: ollama.ToolFunction{Name: "read", Parameters: json.RawMessage(
		`{"type":"object","properties":{"path":{"type":"string"},"offset":{"type":"integer"},"limit":{"type":"integer"}},"required":["path"],"additionalProperties":false}`)}},
	{Type: "function", Function: ollama.ToolFunction{Name: "exec", Parameters: json.RawMessage(
		`{"type":"object","properties":{"command":{"type":"string"},"timeout":{"type":"number"}},"required":["command"]}`)}},
}

// goldenSegment is a segment as the repair golden files show it.
type goldenSegment struct {
	Text string          `json:"text,omitempty"`
	Call json.RawMessage `json:"call,omitempty"`
}

// TestRepairThroughServer streams each fixture from a fake Ollama, a few
// bytes per chunk as a model would, and asks for it both ways with the
// fixture tools offered: the streamed and the collected answers must be
// the same message, with the repaired calls as tool_use blocks, and the
// log line must count them.
func TestRepairThroughServer(t *testing.T) {
	fake := newFakeOllama(t)
	var buf syncBuffer
	ts := newTestServer(t, fake, "", Options{Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	var tools []string
	for _, tl := range repairTools {
		tools = append(tools, fmt.Sprintf(`{"name":%q,"input_schema":%s}`, tl.Function.Name, tl.Function.Parameters))
	}
	files, _ := filepath.Glob("../anthropic/testdata/repair/*.txt")
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			fake.chat = func(w http.ResponseWriter, r *http.Request, req *ollama.ChatRequest) {
				var parts []string
				for s := string(data); len(s) > 0; {
					k := min(4, len(s))
					for k < len(s) && !utf8.RuneStart(s[k]) {
						k++
					}
					parts = append(parts, s[:k])
					s = s[k:]
				}
				writeChunks(w, textChunks(parts...)...)
			}
			body := `{"model":"claude-sonnet-4-5","max_tokens":100,"tools":[` + strings.Join(tools, ",") + `],"messages":[{"role":"user","content":"go"}]}`
			logFrom := len(buf.String())
			plain := postMessage(t, ts.URL, body, false)
			streamed := postMessage(t, ts.URL, body, true)
			if p, s := mustJSON(withoutIDs(plain)), mustJSON(withoutIDs(streamed)); p != s {
				t.Fatalf("streamed and collected answers differ:\nplain:    %s\nstreamed: %s", p, s)
			}
			var want []goldenSegment
			golden, err := os.ReadFile(strings.TrimSuffix(f, ".txt") + ".golden.json")
			if err != nil {
				t.Fatal(err)
			}
			json.Unmarshal(golden, &want)
			calls := 0
			if len(plain.Content) != len(want) {
				t.Fatalf("blocks %s, want the segments %s", mustJSON(plain.Content), golden)
			}
			for i, b := range plain.Content {
				switch {
				case want[i].Call != nil:
					var c struct {
						Name      string
						Arguments json.RawMessage
					}
					json.Unmarshal(want[i].Call, &c)
					var compact bytes.Buffer
					json.Compact(&compact, c.Arguments)
					if b.Type != "tool_use" || b.Name != c.Name || string(b.Input) != compact.String() {
						t.Errorf("block %d: %s, want the call %s", i, mustJSON(b), want[i].Call)
					}
					calls++
				case b.Type != "text" || b.Text != want[i].Text:
					t.Errorf("block %d: %s, want the text %q", i, mustJSON(b), want[i].Text)
				}
			}
			if wantStop := map[bool]string{true: "tool_use", false: "end_turn"}[calls > 0]; *plain.StopReason != wantStop {
				t.Errorf("stop_reason %s, want %s", *plain.StopReason, wantStop)
			}
			if calls > 0 {
				// Two requests, two log lines, each counting the calls.
				waitLog(t, &buf, logFrom, fmt.Sprintf(`"repaired_tool_calls":%d`, calls), 2)
			}
		})
	}
}

// waitLog waits until the log written after offset from holds want n
// times: a handler logs its request after the client has read the answer.
func waitLog(t *testing.T, buf *syncBuffer, from int, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for strings.Count(buf.String()[from:], want) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the log does not say %s %d times:\n%s", want, n, buf.String()[from:])
		}
		time.Sleep(5 * time.Millisecond)
	}
}
