package anthropic

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// The cost of tool-call repair on a long answer, which every answer pays
// once tools are offered (`make bench` reports it).

// longAnswer is about 16 KB of what a local model writes in an agent
// turn: markdown prose, lists, code fences holding code, JSON that is an
// example and not a call, comparisons with "<", and no tool call.
func longAnswer() string {
	var b strings.Builder
	for i := 0; b.Len() < 16000; i++ {
		b.WriteString("## Step " + strings.Repeat("I", i%4+1) + "\n\n")
		b.WriteString("I looked at the project and found the configuration loader; it reads the file once at start and again when it changes. ")
		b.WriteString("If the value is < 0 the loader falls back to the default, and values > 1000 are clamped.\n\n")
		b.WriteString("- the loader lives in `config/load.go`\n- the watcher in `config/watch.go`\n- tests cover both\n\n")
		b.WriteString("```go\nfunc load(path string) (*Config, error) {\n\tb, err := os.ReadFile(path)\n\tif err != nil {\n\t\treturn nil, err\n\t}\n\treturn parse(b)\n}\n```\n\n")
		b.WriteString("The settings file looks like this:\n\n")
		b.WriteString(`{"listen": "127.0.0.1:4000", "models": ["claude-sonnet-4-5", "claude-haiku-4-5"], "timeout": 600}` + "\n\n")
	}
	return b.String()
}

// benchTools offers the 23 Clawdbot tools with one schema.
func benchTools() ToolSet {
	params := json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"},"command":{"type":"string"}},"required":["path"]}`)
	var tools []ollama.Tool
	for _, name := range clawdbotTools {
		tools = append(tools, ollama.Tool{Type: "function", Function: ollama.ToolFunction{Name: name, Parameters: params}})
	}
	return NewToolSet(tools)
}

// benchmarkRepair pushes text through a repairer in 4-byte tokens, as a
// stream delivers it, and ends it; wantCalls is how many calls it must
// find.
func benchmarkRepair(b *testing.B, text string, wantCalls int) {
	tools := benchTools()
	const tokenLen = 4
	var tokens []string
	for s := text; len(s) > 0; {
		k := min(tokenLen, len(s))
		tokens = append(tokens, s[:k])
		s = s[k:]
	}
	var calls, textLen int
	out := func(s segment) {
		if s.call != nil {
			calls++
		}
		textLen += len(s.text)
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		calls, textLen = 0, 0
		r := newRepairer(tools)
		for _, t := range tokens {
			r.push(t, false, out)
		}
		r.push("", true, out)
		if calls != wantCalls || wantCalls == 0 && textLen != len(text) {
			b.Fatalf("%d calls and %d bytes of text out of %d; want %d calls", calls, textLen, len(text), wantCalls)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(tokens)), "ns/token")
}

// BenchmarkRepairScanLongText is a 16 KB answer with no call in it: the
// scan every answer pays.
func BenchmarkRepairScanLongText(b *testing.B) { benchmarkRepair(b, longAnswer(), 0) }

// BenchmarkRepairScanLongTextWithCall is the same answer ending in a
// fenced call that the repairer turns into a real one.
func BenchmarkRepairScanLongTextWithCall(b *testing.B) {
	benchmarkRepair(b, longAnswer()+"```json\n{\"name\": \"exec\", \"arguments\": {\"path\": \".\", \"command\": \"go test ./...\"}}\n```\n", 1)
}
