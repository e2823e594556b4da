package ollamatest

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"sync"
	"unicode/utf8"
)

// The tiny model is a llama-architecture transformer whose one layer has
// all-zero weights, so the residual stream at every position is just the
// token's own embedding and the next token depends only on the current
// one. The output head is then a next-token table:
//
//   - every "active" token (a script marker or a reply piece) gets its own
//     one-hot embedding dimension; all other tokens (bytes, role tokens,
//     specials) share dimension 0;
//   - the output row of token j has logitMargin/sqrt(D) in the dimension
//     of every token whose successor is j, so after RMS norm (which scales
//     a one-hot vector to sqrt(D)) the successor's logit is logitMargin and
//     every other logit is 0;
//   - dimension 0 leads to end-of-sequence, so a stray token ends a reply.
//
// A margin of 50 at Ollama's default temperature 0.8 leaves every other
// token a probability below e^-55 even after the repeat penalty, so the
// default sampler is deterministic in practice.
//
// Attention costs grow with the prompt length squared times the attention
// width, so the one head is narrow (headDim) and independent of the
// embedding width (see also compress.go).
const (
	headDim       = 16
	feedForward   = 16
	contextLength = 65536
	logitMargin   = 50
	minEmbedding  = 64
)

// llama.cpp token types (tokenizer.ggml.token_type).
const (
	tokenNormal  int32 = 1
	tokenUnknown int32 = 2
	tokenControl int32 = 3
	tokenByte    int32 = 6
)

// Special token ids.
const (
	tokenIDUnknown = 0
	tokenIDBOS     = 1
	tokenIDEOS     = 2
)

// ModelGGUF returns the tiny model's GGUF file, built once per process
// from Scripts.
var ModelGGUF = sync.OnceValues(func() ([]byte, error) {
	f, err := BuildModel(Scripts)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
})

// vocabulary is a SentencePiece-style ("llama") vocabulary: llama.cpp
// tokenizes text by byte fallback onto <0xXX> tokens, finds control tokens
// by their text, and prints normal tokens verbatim. Token strings must be
// unique: a duplicate makes llama.cpp abort the whole ollama serve process.
type vocabulary struct {
	tokens []string
	types  []int32
	scores []float32
	ids    map[string]int32
}

func (v *vocabulary) add(token string, typ int32) (int32, error) {
	if _, dup := v.ids[token]; dup {
		return 0, fmt.Errorf("duplicate token %q", token)
	}
	id := int32(len(v.tokens))
	v.tokens = append(v.tokens, token)
	v.types = append(v.types, typ)
	v.scores = append(v.scores, 0)
	v.ids[token] = id
	return id, nil
}

// BuildModel builds the tiny model for a script table (Scripts, or a
// variant in tests). It refuses tables whose pieces cannot share one
// next-token table, and duplicate script names.
func BuildModel(scripts []Script) (*GGUF, error) {
	v := &vocabulary{ids: map[string]int32{}}
	for _, t := range []struct {
		text string
		typ  int32
	}{{"<unk>", tokenUnknown}, {"<s>", tokenControl}, {"</s>", tokenControl}} {
		if _, err := v.add(t.text, t.typ); err != nil {
			return nil, err
		}
	}
	for b := 0; b < 256; b++ {
		if _, err := v.add(fmt.Sprintf("<0x%02X>", b), tokenByte); err != nil {
			return nil, err
		}
	}
	// llama.cpp writes spaces as U+2581 before tokenizing; without this
	// token each space would cost three byte tokens.
	if _, err := v.add("\u2581", tokenNormal); err != nil {
		return nil, err
	}
	for _, r := range roleTokens {
		if _, err := v.add(r, tokenControl); err != nil {
			return nil, err
		}
	}

	next := map[int32]int32{}
	from := map[int32]string{} // which script set next[id], for errors
	link := func(script string, a, b int32) error {
		if old, ok := next[a]; ok && old != b {
			return fmt.Errorf("script %s: token %q is followed by %q, but by %q in script %s",
				script, v.tokens[a], v.tokens[b], v.tokens[old], from[a])
		}
		next[a], from[a] = b, script
		return nil
	}
	for _, s := range scripts {
		if len(s.Reply) == 0 {
			return nil, fmt.Errorf("script %s: empty reply", s.Name)
		}
		m, err := v.add(marker(s.Name), tokenControl)
		if err != nil {
			return nil, fmt.Errorf("script %s: %w", s.Name, err)
		}
		seq := []int32{m}
		for _, p := range s.Reply {
			if p == "" {
				return nil, fmt.Errorf("script %s: empty piece", s.Name)
			}
			id, ok := v.ids[p]
			if !ok {
				id, _ = v.add(p, tokenNormal)
			} else if v.types[id] != tokenNormal || id == v.ids["\u2581"] {
				return nil, fmt.Errorf("script %s: piece %q is a reserved token", s.Name, p)
			}
			seq = append(seq, id)
		}
		for i := 0; i+1 < len(seq); i++ {
			if err := link(s.Name, seq[i], seq[i+1]); err != nil {
				return nil, err
			}
		}
		end := int32(tokenIDEOS)
		if s.Loop {
			end = seq[1]
		}
		if err := link(s.Name, seq[len(seq)-1], end); err != nil {
			return nil, err
		}
	}

	// Prompt-compression pieces: merged longest first, so their score is
	// their length. A piece that is also a reply piece stays one token.
	for _, p := range compressionPieces() {
		if id, ok := v.ids[p]; ok {
			v.scores[id] = float32(utf8.RuneCountInString(p))
			continue
		}
		id, _ := v.add(p, tokenNormal)
		v.scores[id] = float32(utf8.RuneCountInString(p))
	}

	// One embedding dimension per active token, in token order, after the
	// shared dimension 0.
	active := make([]int32, 0, len(next))
	for id := range next {
		active = append(active, id)
	}
	sort.Slice(active, func(i, j int) bool { return active[i] < active[j] })
	dim := map[int32]int{}
	for i, id := range active {
		dim[id] = i + 1
	}
	d := max(minEmbedding, (len(active)+1+15)/16*16)
	n := len(v.tokens)

	embed := make([]float32, d*n)
	for id := range n {
		embed[id*d+dim[int32(id)]] = 1
	}
	weight := float32(logitMargin / math.Sqrt(float64(d)))
	output := make([]float32, d*n)
	output[tokenIDEOS*d+0] = weight
	for _, id := range active {
		output[int(next[id])*d+dim[id]] = weight
	}
	ones := func() []float32 {
		x := make([]float32, d)
		for i := range x {
			x[i] = 1
		}
		return x
	}
	tensor := func(name string, shape ...uint64) Tensor {
		return Tensor{Name: name, Shape: shape, Data: make([]float32, elements(shape))}
	}
	ud, un := uint64(d), uint64(n)

	return &GGUF{
		Metadata: []KV{
			{"general.architecture", "llama"},
			{"general.name", "clawbridge-tiny"},
			{"general.file_type", uint32(0)}, // all F32
			{"llama.context_length", uint32(contextLength)},
			{"llama.embedding_length", uint32(d)},
			{"llama.block_count", uint32(1)},
			{"llama.feed_forward_length", uint32(feedForward)},
			{"llama.attention.head_count", uint32(1)},
			{"llama.attention.head_count_kv", uint32(1)},
			{"llama.attention.key_length", uint32(headDim)},
			{"llama.attention.value_length", uint32(headDim)},
			{"llama.rope.dimension_count", uint32(headDim)},
			{"llama.rope.freq_base", float32(10000)},
			{"llama.attention.layer_norm_rms_epsilon", float32(1e-5)},
			{"llama.vocab_size", uint32(n)},
			{"tokenizer.ggml.model", "llama"},
			{"tokenizer.ggml.tokens", v.tokens},
			{"tokenizer.ggml.scores", v.scores},
			{"tokenizer.ggml.token_type", v.types},
			{"tokenizer.ggml.unknown_token_id", uint32(tokenIDUnknown)},
			{"tokenizer.ggml.bos_token_id", uint32(tokenIDBOS)},
			{"tokenizer.ggml.eos_token_id", uint32(tokenIDEOS)},
			{"tokenizer.ggml.add_bos_token", true},
			{"tokenizer.ggml.add_eos_token", false},
			{"tokenizer.ggml.add_space_prefix", false},
		},
		Tensors: []Tensor{
			{Name: "token_embd.weight", Shape: []uint64{ud, un}, Data: embed},
			{Name: "output_norm.weight", Shape: []uint64{ud}, Data: ones()},
			{Name: "output.weight", Shape: []uint64{ud, un}, Data: output},
			{Name: "blk.0.attn_norm.weight", Shape: []uint64{ud}, Data: ones()},
			tensor("blk.0.attn_q.weight", ud, headDim),
			tensor("blk.0.attn_k.weight", ud, headDim),
			tensor("blk.0.attn_v.weight", ud, headDim),
			tensor("blk.0.attn_output.weight", headDim, ud),
			{Name: "blk.0.ffn_norm.weight", Shape: []uint64{ud}, Data: ones()},
			tensor("blk.0.ffn_gate.weight", ud, feedForward),
			tensor("blk.0.ffn_up.weight", ud, feedForward),
			tensor("blk.0.ffn_down.weight", feedForward, ud),
		},
	}, nil
}
