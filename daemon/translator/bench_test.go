package translator

import (
	"io"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// BenchmarkStreamToken measures the per-token path: one Ollama text chunk
// through the answer state machine and the SSE encoder to the writer.
func BenchmarkStreamToken(b *testing.B) {
	s := newEventStream("msg_bench", testTarget, anthropic.AnswerConfig{NewToolID: counterIDs("toolu_")})
	c := &ollama.ChatResponse{Message: ollama.Message{Role: "assistant", Content: " token"}}
	s.enc.WriteEvents(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		s.chunk(c)
		s.enc.WriteEvents(io.Discard)
	}
}

// BenchmarkStreamTokenWithStops is the same with stop sequences to watch.
func BenchmarkStreamTokenWithStops(b *testing.B) {
	s := newEventStream("msg_bench", testTarget, anthropic.AnswerConfig{Stops: []string{"</answer>", "###"}, NewToolID: counterIDs("toolu_")})
	c := &ollama.ChatResponse{Message: ollama.Message{Role: "assistant", Content: " token"}}
	s.enc.WriteEvents(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		s.chunk(c)
		s.enc.WriteEvents(io.Discard)
	}
}

// BenchmarkStreamTokenWithRepair is the same with tools offered, so that
// every text token goes through the tool-call repairer.
func BenchmarkStreamTokenWithRepair(b *testing.B) {
	tools := anthropic.NewToolSet([]ollama.Tool{{Type: "function", Function: ollama.ToolFunction{Name: "get_weather", Parameters: []byte(`{"type":"object"}`)}}})
	s := newEventStream("msg_bench", testTarget, anthropic.AnswerConfig{Tools: tools, NewToolID: counterIDs("toolu_")})
	c := &ollama.ChatResponse{Message: ollama.Message{Role: "assistant", Content: " token"}}
	s.enc.WriteEvents(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		s.chunk(c)
		s.enc.WriteEvents(io.Discard)
	}
}
