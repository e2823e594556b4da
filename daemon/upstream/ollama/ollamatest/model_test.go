package ollamatest

import (
	"math"
	"strings"
	"testing"
)

// forward computes what the tiny model predicts after token tok: with the
// layer's weights all zero the hidden state is the token's embedding, so
// the logits are output · (RMS-normed embedding ⊙ output_norm).
func forward(t *testing.T, f *GGUF, tok int) (best int, margin float32) {
	t.Helper()
	tensor := func(name string) Tensor {
		for _, tn := range f.Tensors {
			if tn.Name == name {
				return tn
			}
		}
		t.Fatalf("no tensor %s", name)
		return Tensor{}
	}
	embd, norm, out := tensor("token_embd.weight"), tensor("output_norm.weight"), tensor("output.weight")
	d := int(embd.Shape[0])
	x := embd.Data[tok*d : (tok+1)*d]
	var ms float64
	for _, v := range x {
		ms += float64(v) * float64(v)
	}
	scale := 1 / math.Sqrt(ms/float64(d)+1e-5)
	h := make([]float64, d)
	for i := range h {
		h[i] = float64(x[i]) * scale * float64(norm.Data[i])
	}
	first, second := math.Inf(-1), math.Inf(-1)
	for j := 0; j < int(out.Shape[1]); j++ {
		var l float64
		for i, w := range out.Data[j*d : (j+1)*d] {
			l += float64(w) * h[i]
		}
		switch {
		case l > first:
			first, second, best = l, first, j
		case l > second:
			second = l
		}
	}
	return best, float32(first - second)
}

// generate follows the model's greedy choices from a script's marker and
// returns the text, stopping at end-of-sequence or after max tokens. Every
// choice must lead the runner-up by about logitMargin (RMS norm's epsilon
// takes a little off).
func generate(t *testing.T, f *GGUF, script string, max int) (text string, ended bool) {
	t.Helper()
	v, _ := f.Lookup("tokenizer.ggml.tokens")
	tokens := v.([]string)
	tok := -1
	for i, s := range tokens {
		if s == marker(script) {
			tok = i
		}
	}
	if tok < 0 {
		t.Fatalf("no marker for script %s", script)
	}
	var b strings.Builder
	for range max {
		next, margin := forward(t, f, tok)
		if margin < 0.99*logitMargin {
			t.Errorf("script %s: after %q the best logit leads by %.2f, want %d", script, tokens[tok], margin, logitMargin)
		}
		if next == tokenIDEOS {
			return b.String(), true
		}
		b.WriteString(tokens[next])
		tok = next
	}
	return b.String(), false
}

func TestScriptsGenerateTheirReplies(t *testing.T) {
	f, err := BuildModel(Scripts)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"after_tool":      ReplyAfterTool,
		"jsontool":        ReplyJSONTool,
		"bare_arguments":  ReplyBareArguments,
		"bare_parameters": ReplyBareParameters,
		"tagged_call":     ReplyTaggedCall,
		"several_calls":   ReplySeveralCalls,
		"bad_arguments":   ReplyBadArguments,
		"json_prose":      ReplyJSONProse,
		"json_object":     ReplyJSONObject,
		"two_tools": "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n" +
			"<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"zone\": \"CET\"}}\n</tool_call>",
		"weather":      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>",
		"think":        "<think>" + ThinkThinking + "</think>" + ThinkAnswer,
		"think_off":    ThinkAnswer,
		"stop":         ReplyStop,
		"unicode":      ReplyUnicode,
		"fenced_write": ReplyFencedWrite,
		"prose_write":  ReplyProseWrite,
		"codeword":     ReplyCodeword,
		"default":      ReplyDefault,
	}
	loops := map[string]string{"loop": ReplyLoop, "repeat": ReplyRepeat}
	for _, s := range Scripts {
		if w, ok := loops[s.Name]; ok {
			got, ended := generate(t, f, s.Name, 3*len(s.Reply))
			if ended || got != strings.Repeat(w, 3) {
				t.Errorf("script %s: %q (ended %v), want %q repeated", s.Name, got, ended, w)
			}
			continue
		}
		w, ok := want[s.Name]
		if !ok {
			t.Errorf("script %s: no expected reply in this test", s.Name)
			continue
		}
		if got, ended := generate(t, f, s.Name, 50); got != w || !ended {
			t.Errorf("script %s: %q (ended %v), want %q", s.Name, got, ended, w)
		}
		if got := strings.Join(s.Reply, ""); got != w {
			t.Errorf("script %s: pieces join to %q, want %q", s.Name, got, w)
		}
	}
}

// Any token that is not part of a script (bytes, role tokens, compression
// pieces) leads to end-of-sequence, so a stray token ends a reply.
func TestOtherTokensEndTheSequence(t *testing.T) {
	f, err := BuildModel(Scripts)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := f.Lookup("tokenizer.ggml.tokens")
	tokens := v.([]string)
	for _, s := range []string{"<0x41>", "<s>", "<|user|>", "\u2581the", "</s>"} {
		id := -1
		for i, tok := range tokens {
			if tok == s {
				id = i
			}
		}
		if id < 0 {
			t.Fatalf("no token %q", s)
		}
		if next, margin := forward(t, f, id); next != tokenIDEOS || margin < 0.99*logitMargin {
			t.Errorf("after %q: token %d by %.2f, want end-of-sequence by %d", s, next, margin, logitMargin)
		}
	}
}

func TestBuildModelRefusesBadScripts(t *testing.T) {
	for _, tc := range []struct {
		name    string
		scripts []Script
		want    string
	}{
		{"conflicting successors", []Script{
			{Name: "a", Reply: []string{"x", "y"}},
			{Name: "b", Reply: []string{"x", "z"}},
		}, `script b: token "x" is followed by "z", but by "y" in script a`},
		{"piece ends one script and continues another", []Script{
			{Name: "a", Reply: []string{"x"}},
			{Name: "b", Reply: []string{"x", "y"}},
		}, `script b: token "x" is followed by "y", but by "</s>" in script a`},
		{"repeated piece outside a loop", []Script{
			{Name: "a", Reply: []string{"x", "y", "x"}},
		}, `script a: token "x" is followed by "</s>", but by "y" in script a`},
		{"duplicate name", []Script{
			{Name: "a", Reply: []string{"x"}},
			{Name: "a", Reply: []string{"y"}},
		}, `script a: duplicate token "<|reply:a|>"`},
		{"empty reply", []Script{{Name: "a"}}, "script a: empty reply"},
		{"empty piece", []Script{{Name: "a", Reply: []string{""}}}, "script a: empty piece"},
		{"byte token as piece", []Script{{Name: "a", Reply: []string{"<0x41>"}}}, `script a: piece "<0x41>" is a reserved token`},
		{"control token as piece", []Script{{Name: "a", Reply: []string{"<|user|>"}}}, `script a: piece "<|user|>" is a reserved token`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := BuildModel(tc.scripts)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error = %v, want %q", err, tc.want)
			}
		})
	}
}

// Shared pieces are allowed when they continue the same way, and a loop
// can close on itself.
func TestBuildModelSharesPieces(t *testing.T) {
	f, err := BuildModel([]Script{
		{Name: "long", Reply: []string{"a", "b", "c"}},
		{Name: "short", Reply: []string{"b", "c"}},
		{Name: "cycle", Reply: []string{"p", "q"}, Loop: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := generate(t, f, "long", 10); got != "abc" {
		t.Errorf("long = %q", got)
	}
	if got, _ := generate(t, f, "short", 10); got != "bc" {
		t.Errorf("short = %q", got)
	}
	if got, ended := generate(t, f, "cycle", 5); got != "pqpqp" || ended {
		t.Errorf("cycle = %q, ended %v", got, ended)
	}
}

func TestCompressionPiecesAreChains(t *testing.T) {
	pieces := compressionPieces()
	have := map[string]bool{}
	for _, p := range pieces {
		if have[p] {
			t.Errorf("duplicate piece %q", p)
		}
		have[p] = true
	}
	// Every piece longer than two characters must be reachable by merging
	// a shorter piece with one more character.
	for _, p := range pieces {
		r := []rune(p)
		if len(r) > 2 && !have[string(r[:len(r)-1])] {
			t.Errorf("piece %q has no prefix %q", p, string(r[:len(r)-1]))
		}
	}
	for _, w := range []string{"\u2581the", "\u2581Function", `"description`, "properties", `":"`} {
		if !have[w] {
			t.Errorf("no piece %q", w)
		}
	}
}
