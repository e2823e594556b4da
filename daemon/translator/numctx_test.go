package translator

import "testing"

// TestSizeContext pins the automatic num_ctx: left alone while the
// default holds the request, then the power of two holding 1.5 times the
// need, kept until outgrown, then twice the need, capped by the model and
// the config.
func TestSizeContext(t *testing.T) {
	for _, c := range []struct {
		name string
		in   sizing
		want int
		err  string
	}{
		{"fits the default", sizing{Prompt: 1000, MaxTokens: 1000}, 0, ""},
		{"fixed", sizing{Fixed: 8192, Prompt: 7000}, 8192, ""},
		{"fixed too small", sizing{Fixed: 8192, Prompt: 9000}, 0, "litellm_params.num_ctx"},
		// 10000 * 1.1 + 8192 = 19192; half as much again is 28788.
		{"first request gets headroom", sizing{Prompt: 10000, MaxTokens: 8192}, 32768, ""},
		{"no max_tokens reserves 4096", sizing{Prompt: 10000}, 32768, ""},
		{"a Modelfile default is the base", sizing{Prompt: 10000, MaxTokens: 8192, ModelDefault: 6144}, 49152, ""},
		{"kept while it holds the need", sizing{Prompt: 20000, MaxTokens: 8192, Last: 65536}, 65536, ""},
		{"kept when the need shrinks", sizing{Prompt: 100, MaxTokens: 10, Last: 65536}, 65536, ""},
		{"outgrown: twice the need", sizing{Prompt: 60000, MaxTokens: 8192, Last: 65536}, 262144, ""},
		{"capped by the model", sizing{Prompt: 20000, MaxTokens: 8192, ContextLength: 40960}, 40960, ""},
		{"capped by max_num_ctx", sizing{Prompt: 20000, MaxTokens: 8192, Limit: 32768}, 32768, ""},
		{"too long for the model", sizing{Prompt: 40000, ContextLength: 40960}, 0, "the model's context length"},
		{"too long for max_num_ctx", sizing{Prompt: 30000, Limit: 32768, ContextLength: 131072}, 0, "clawbridge.translator.max_num_ctx"},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, cerr := sizeContext(c.in)
			switch {
			case c.err != "" && (cerr == nil || cerr.What != c.err):
				t.Fatalf("got %d, %+v; want the error %q", n, cerr, c.err)
			case c.err == "" && cerr != nil:
				t.Fatalf("got the error %+v; want %d", cerr, c.want)
			case n != c.want:
				t.Fatalf("num_ctx %d, want %d", n, c.want)
			}
		})
	}
}

// TestSessionReloads grows an agent session from 10k to 60k prompt
// tokens, a turn at a time, as Clawdbot resends it, and counts the
// changes of num_ctx after the first request: each one reloads the model
// and drops Ollama's prompt cache. One at most, for every max_tokens
// Clawdbot and OpenClaw send and with or without a Modelfile default.
func TestSessionReloads(t *testing.T) {
	for _, maxTokens := range []int{0, 4096, 8192, 16384, 32000} {
		for _, modelDefault := range []int{0, 8192} {
			last, reloads := 0, 0
			var sizes []int
			for prompt := 10000; prompt <= 60000; prompt += 1500 {
				n, cerr := sizeContext(sizing{Prompt: prompt, MaxTokens: maxTokens, ModelDefault: modelDefault, ContextLength: 262144, Last: last})
				if cerr != nil {
					t.Fatalf("max_tokens %d: prompt %d refused: %+v", maxTokens, prompt, cerr)
				}
				if n != last {
					if last != 0 {
						reloads++
					}
					sizes = append(sizes, n)
				}
				last = n
			}
			if reloads > 1 {
				t.Errorf("max_tokens %d, Modelfile num_ctx %d: %d reloads (num_ctx %v), want at most 1", maxTokens, modelDefault, reloads, sizes)
			}
		}
	}
}
