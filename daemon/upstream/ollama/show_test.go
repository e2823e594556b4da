package ollama

import (
	"encoding/json"
	"testing"
)

func TestShowResponseReaders(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		ctxLen   int
		numCtx   string
		stopWord string
	}{
		{"llama", `{"model_info":{"general.architecture":"llama","llama.context_length":65536},
			"parameters":"num_ctx                        4096\nnum_thread                     1"}`, 65536, "4096", ""},
		{"qwen3 with stops", `{"model_info":{"general.architecture":"qwen3","qwen3.context_length":40960,"qwen3.block_count":36},
			"parameters":"stop                           \"<|im_start|>\"\nstop                           \"<|im_end|>\"\ntemperature                    0.6"}`, 40960, "", "<|im_start|>"},
		{"no architecture key", `{"model_info":{"gemma3.context_length":131072}}`, 131072, "", ""},
		{"nothing", `{}`, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s ShowResponse
			if err := json.Unmarshal([]byte(tt.body), &s); err != nil {
				t.Fatal(err)
			}
			if got := s.ContextLength(); got != tt.ctxLen {
				t.Errorf("ContextLength() = %d, want %d", got, tt.ctxLen)
			}
			if got := s.Parameter("num_ctx"); got != tt.numCtx {
				t.Errorf("Parameter(num_ctx) = %q, want %q", got, tt.numCtx)
			}
			if got := s.Parameter("stop"); got != tt.stopWord {
				t.Errorf("Parameter(stop) = %q, want %q", got, tt.stopWord)
			}
		})
	}
}
