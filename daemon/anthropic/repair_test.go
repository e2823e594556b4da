package anthropic

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/clawbridge/clawbridge/daemon/golden"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// repairTools are the tools the repair fixtures were written against: the
// scripted model's two, and two of Clawdbot's with integer and required
// arguments.
var repairTools = []ollama.Tool{
	{Type: "function", Function: ollama.ToolFunction{Name: ollamatest.ToolWeather, Parameters: json.RawMessage(ollamatest.WeatherParameters)}},
	{Type: "function", Function: ollama.ToolFunction{Name: ollamatest.ToolTime, Parameters: json.RawMessage(ollamatest.TimeParameters)}},
	{Type: "function", Function: ollama.ToolFunction{Name: "read", Parameters: json.RawMessage(
		`{"type":"object","properties":{"path":{"type":"string"},"offset":{"type":"integer"},"limit":{"type":"integer"}},"required":["path"],"additionalProperties":false}`)}},
	{Type: "function", Function: ollama.ToolFunction{Name: "exec", Parameters: json.RawMessage(
		`{"type":"object","properties":{"command":{"type":"string"},"timeout":{"type":"number"}},"required":["command"]}`)}},
}

// goldenSegment is a segment as the golden files show it.
type goldenSegment struct {
	Text string          `json:"text,omitempty"`
	Call json.RawMessage `json:"call,omitempty"`
}

// runRepair pushes text through a repairer in pieces of at most n bytes
// (whole runes), then ends it, and returns the output with adjacent text
// joined.
func runRepair(text string, n int) []goldenSegment {
	r := newRepairer(NewToolSet(repairTools))
	var out []goldenSegment
	collect := func(s segment) {
		if s.call != nil {
			c, _ := json.Marshal(struct {
				Name      string          `json:"name"`
				Arguments json.RawMessage `json:"arguments"`
			}{s.call.Name, s.call.Arguments})
			out = append(out, goldenSegment{Call: c})
			return
		}
		if len(out) > 0 && out[len(out)-1].Call == nil {
			out[len(out)-1].Text += s.text
			return
		}
		out = append(out, goldenSegment{Text: s.text})
	}
	for len(text) > 0 {
		k := min(n, len(text))
		for k < len(text) && !utf8.RuneStart(text[k]) {
			k++
		}
		r.push(text[:k], false, collect)
		text = text[k:]
	}
	r.push("", true, collect)
	return out
}

// TestRepairFixtures runs every testdata/repair/*.txt (an answer written
// the way local models print it) through the repairer whole and in pieces
// of every size from 1 to 9 bytes: the output must not depend on the
// pieces, and must match the .golden.json beside the fixture.
func TestRepairFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/repair/*.txt")
	if len(files) == 0 {
		t.Fatal("no fixtures in testdata/repair")
	}
	for _, f := range files {
		name := strings.TrimSuffix(f, ".txt")
		t.Run(filepath.Base(name), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			whole := runRepair(string(data), len(data)+1)
			for n := 1; n <= 9; n++ {
				if got := runRepair(string(data), n); !reflect.DeepEqual(got, whole) {
					t.Fatalf("in pieces of %d bytes:\n%s\nwhole:\n%s", n, mustJSON(got), mustJSON(whole))
				}
			}
			var text strings.Builder
			calls := 0
			for _, s := range whole {
				text.WriteString(s.Text)
				if s.Call != nil {
					calls++
				}
			}
			// Invalid calls and prose must come back byte for byte.
			if calls == 0 && text.String() != string(data) {
				t.Errorf("no call repaired, but the text changed:\n%q\nwant\n%q", text.String(), data)
			}
			if strings.HasPrefix(filepath.Base(name), "invalid_") || strings.HasPrefix(filepath.Base(name), "prose_") || filepath.Base(name) == "json_answer" || filepath.Base(name) == "truncated" {
				if calls != 0 {
					t.Errorf("repaired %d calls from text that is not a valid call", calls)
				}
			}
			golden.Check(t, name+".golden.json", indentJSON(t, whole))
		})
	}
}

// TestRepairStreamsProse checks that ordinary prose is not held back: each
// piece comes out as soon as it arrives, but for trailing whitespace,
// which waits for what follows it.
func TestRepairStreamsProse(t *testing.T) {
	r := newRepairer(NewToolSet(repairTools))
	var got strings.Builder
	out := func(s segment) { got.WriteString(s.text) }
	sent := ""
	for _, piece := range []string{"The", " weather", " in", " Paris", " is", " {", "mild", "}", " and", " 18", " < 20", " degrees", ".\n", "Enjoy", " [it]", "!"} {
		r.push(piece, false, out)
		sent += piece
		if want := strings.TrimRight(sent, " \n"); got.String() != want {
			t.Fatalf("after %q: emitted %q, want %q", piece, got.String(), want)
		}
	}
}

// TestRepairHoldsOnlyPossibleCalls checks how long text is held: until it
// cannot be a call any more, and no longer.
func TestRepairHoldsOnlyPossibleCalls(t *testing.T) {
	tests := []struct {
		name   string
		pieces []string
		// emitted is what has come out after each piece.
		emitted []string
	}{
		{"fence of another language", []string{"Code:\n", "```py", "thon\n", "x = {", "\"name\": 1}\n"},
			[]string{"Code:", "Code:\n```py", "Code:\n```python\n", "Code:\n```python\nx = {", "Code:\n```python\nx = {\"name\": 1}\n"}},
		{"json object that is an answer", []string{"{", "\"res", "ult\"", ": 4", "2}"},
			[]string{"", "{\"res", "{\"result\"", "{\"result\": 4", "{\"result\": 42}"}},
		{"call held to the end", []string{"<tool", "_call>", "{\"name\": \"get_time\", ", "\"arguments\": {\"zone\": \"CET\"}}"},
			[]string{"", "", "", ""}},
		{"tag that is not a call", []string{"a <", "b> c"}, []string{"a", "a <b> c"}},
		{"fenced call held", []string{"```", "json\n{\"name\"", ": \"get_weather\""}, []string{"", "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRepairer(NewToolSet(repairTools))
			var got strings.Builder
			for i, p := range tt.pieces {
				r.push(p, false, func(s segment) {
					if s.call != nil {
						t.Fatalf("unexpected call %s", s.call.Name)
					}
					got.WriteString(s.text)
				})
				if got.String() != tt.emitted[i] {
					t.Fatalf("after %q: emitted %q, want %q", p, got.String(), tt.emitted[i])
				}
			}
		})
	}
}

// TestSchemaValidate covers the schema keywords repair checks.
func TestSchemaValidate(t *testing.T) {
	tests := []struct {
		schema, value string
		ok            bool
	}{
		{`{"type":"object","required":["a"]}`, `{"a":1}`, true},
		{`{"type":"object","required":["a"]}`, `{}`, false},
		{`{"type":"object","properties":{"n":{"type":"integer"}}}`, `{"n":3}`, true},
		{`{"type":"object","properties":{"n":{"type":"integer"}}}`, `{"n":3.0}`, true},
		{`{"type":"object","properties":{"n":{"type":"integer"}}}`, `{"n":3.5}`, false},
		{`{"type":"object","properties":{"n":{"type":"number"}}}`, `{"n":"3"}`, false},
		{`{"type":"object","properties":{"s":{"type":["string","null"]}}}`, `{"s":null}`, true},
		{`{"type":"object","properties":{"e":{"enum":["a","b"]}}}`, `{"e":"c"}`, false},
		{`{"type":"object","properties":{"e":{"enum":[1,2]}}}`, `{"e":2.0}`, true},
		{`{"type":"object","properties":{"l":{"type":"array","items":{"type":"string"}}}}`, `{"l":["x",1]}`, false},
		{`{"type":"object","properties":{"l":{"type":"array","items":{"type":"string"}}}}`, `{"l":["x","y"]}`, true},
		{`{"type":"object","properties":{"o":{"type":"object","properties":{"b":{"type":"boolean"}},"required":["b"]}}}`, `{"o":{"b":"yes"}}`, false},
		{`{"type":"object","additionalProperties":false,"properties":{"a":{}}}`, `{"a":1,"b":2}`, false},
		{`{"type":"object","additionalProperties":{"type":"string"}}`, `{"b":2}`, true},
		{`{"type":"object","properties":{"v":{"anyOf":[{"type":"string"},{"type":"integer"}]}}}`, `{"v":true}`, false},
		{`{"type":"object","properties":{"v":{"$ref":"#/defs/x"}}}`, `{"v":true}`, true},
		{`true`, `{"anything":1}`, true},
		{`{}`, `{"anything":1}`, true},
	}
	for _, tt := range tests {
		v, err := decodeExact([]byte(tt.value))
		if err != nil {
			t.Fatal(err)
		}
		err = compileSchema(json.RawMessage(tt.schema)).validate("", v)
		if (err == nil) != tt.ok {
			t.Errorf("schema %s value %s: got %v, want ok=%v", tt.schema, tt.value, err, tt.ok)
		}
	}
}

// indentJSON writes v for a golden file: indented, with <, > and & as
// they are.
func indentJSON(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
