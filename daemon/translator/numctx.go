package translator

// Context sizing.
//
// Ollama allocates num_ctx tokens of context per model, by default 4096 on
// small machines (Ollama 0.17: 4k, 32k or 256k by VRAM, or
// OLLAMA_CONTEXT_LENGTH), and used to drop the start of a longer prompt
// without a word: Clawdbot's system prompt and tool schemas alone are
// about 6k tokens. The translator therefore sets num_ctx per request: the
// config's litellm_params.num_ctx when there is one, otherwise sized
// automatically, capped by the model's context length and
// clawbridge.translator.max_num_ctx. Each change of num_ctx reloads the
// model and throws away Ollama's prompt cache, and an agent resends a
// growing conversation on every turn, so the automatic size has headroom.
// While the prompt plus max_tokens fits the model's default, num_ctx is
// left out; once it does not, or outgrows the size last sent for the
// backend model, num_ctx becomes the default times a power of two: on the
// first request one that holds 1.5 times the need, later one that holds
// twice it, and it never shrinks. The first size leaves room for half the
// need again without doubling the KV cache a smaller machine pays for, and
// each reload at least quadruples the size, so an agent session growing
// from 10k to 60k tokens reloads once (numctx_test.go).
// The translator also sends truncate: false and shift: false, so that
// when the estimate is short Ollama refuses the request rather than
// truncating it, and an answer that fills the context ends as max_tokens.

// defaultNumCtx is the smallest context any current Ollama gives a model
// that does not set one: a request that fits in it needs no num_ctx.
const defaultNumCtx = 4096

// defaultOutputReserve is the room left for the answer when the client
// sets no max_tokens (OpenAI clients may leave it out).
const defaultOutputReserve = 4096

// sizing is what the num_ctx decision depends on.
type sizing struct {
	// Fixed is litellm_params.num_ctx; 0 sizes automatically.
	Fixed int
	// Prompt is the calibrated estimate of the prompt's tokens.
	Prompt int
	// MaxTokens is the client's limit on the answer; 0 if it set none.
	MaxTokens int
	// ModelDefault is the num_ctx the model's Modelfile sets; 0 if none.
	ModelDefault int
	// ContextLength is the model's trained context length; 0 if unknown.
	ContextLength int
	// Limit is clawbridge.translator.max_num_ctx; 0 if none.
	Limit int
	// Last is the num_ctx last sent for this backend model; 0 if none.
	Last int
}

// contextError says why a request cannot fit: a 400 the client sees.
type contextError struct {
	Prompt, Limit int
	// What names the limit: "num_ctx 8192 (litellm_params.num_ctx)" or
	// "the model's context length 32768".
	What string
}

// sizeContext returns the num_ctx to send (0: leave Ollama's default) or
// why the prompt cannot fit. The prompt gets a margin of the estimate's
// tolerance before it is called too large for automatic sizing, and none
// against a fixed num_ctx (Ollama itself refuses what does not fit).
func sizeContext(in sizing) (int, *contextError) {
	if in.Fixed > 0 {
		if in.Prompt > in.Fixed {
			return 0, &contextError{Prompt: in.Prompt, Limit: in.Fixed, What: "litellm_params.num_ctx"}
		}
		return in.Fixed, nil
	}
	prompt := in.Prompt + int(float64(in.Prompt)*calibratedTolerance)
	reserve := in.MaxTokens
	if reserve <= 0 {
		reserve = defaultOutputReserve
	}
	limit, what := in.ContextLength, "the model's context length"
	if in.Limit > 0 && (limit == 0 || in.Limit < limit) {
		limit, what = in.Limit, "clawbridge.translator.max_num_ctx"
	}
	if limit > 0 && prompt >= limit {
		return 0, &contextError{Prompt: in.Prompt, Limit: limit, What: what}
	}
	need := prompt + reserve
	base := in.ModelDefault
	if base <= 0 {
		base = defaultNumCtx
	}
	if need <= base && in.Last == 0 {
		return 0, nil
	}
	n := in.Last
	switch {
	case n == 0:
		n = withHeadroom(base, need+need/2)
	case need > n:
		n = withHeadroom(base, 2*need)
	}
	if limit > 0 && n > limit {
		n = limit
	}
	return n, nil
}

// withHeadroom is the smallest power of two times base that holds want.
func withHeadroom(base, want int) int {
	n := base
	for n < want {
		n *= 2
	}
	return n
}
