package status

import "time"

// ModelLoad says whether an alias's model is in the backend's memory.
type ModelLoad string

// The values of ModelLoad; "" means not known yet (no poll, or not an
// Ollama model).
const (
	LoadCold    ModelLoad = "cold"    // not loaded: the next request waits for the load
	LoadLoading ModelLoad = "loading" // a warm-up is loading it now
	LoadWarm    ModelLoad = "warm"    // loaded: requests answer at once
)

// LoadedModel is one model in a backend's memory (Ollama's /api/ps).
type LoadedModel struct {
	Name string `json:"name"`
	// Size is the memory it takes; SizeVRAM the part on the GPU.
	Size     int64 `json:"size"`
	SizeVRAM int64 `json:"size_vram,omitempty"`
	// Expires is when keep_alive unloads it.
	Expires       time.Time `json:"expires,omitzero"`
	ContextLength int       `json:"context_length,omitempty"`
}

// ModelDetails are what /api/tags and /api/show say of a pulled model,
// for the model list.
type ModelDetails struct {
	Size          int64  `json:"size,omitempty"` // bytes on disk
	ParameterSize string `json:"parameter_size,omitempty"`
	Quantization  string `json:"quantization,omitempty"`
	ContextLength int    `json:"context_length,omitempty"`
	// Thinking and Vision are capabilities like Tools; nil when unknown.
	Thinking *bool `json:"thinking,omitempty"`
	Vision   *bool `json:"vision,omitempty"`
}

// AliasStats are an alias's numbers over the last hour (Window).
type AliasStats struct {
	Window   time.Duration `json:"window"`
	Requests int           `json:"requests"`
	Errors   int           `json:"errors"`
	// TTFT is the median time to first token of the requests that got one.
	TTFT time.Duration `json:"ttft_p50,omitempty"`
	// TokensPerSecond is the generation speed over all requests: output
	// tokens over generation time.
	TokensPerSecond float64 `json:"tokens_per_second,omitempty"`
	InputTokens     int64   `json:"input_tokens"`
	OutputTokens    int64   `json:"output_tokens"`
}

// PullState is a pull of a model into a backend, running or finished.
type PullState struct {
	Model   string `json:"model"`
	Backend string `json:"backend"`
	// Status is Ollama's last progress line ("pulling manifest", "pulling
	// 6a0746a1ec1a", "verifying sha256 digest", "success").
	Status string `json:"status,omitempty"`
	// Completed and Total are the bytes of the whole pull known so far.
	Completed int64     `json:"completed"`
	Total     int64     `json:"total"`
	Started   time.Time `json:"started"`
	// Done is set once it ended; then Err says why it failed ("" for
	// success) and Cancelled whether the user stopped it.
	Done      bool   `json:"done"`
	Cancelled bool   `json:"cancelled,omitempty"`
	Err       string `json:"error,omitempty"`
}

// Percent is how far the pull is, 0 to 100.
func (p PullState) Percent() int {
	if p.Done && p.Err == "" && !p.Cancelled {
		return 100
	}
	if p.Total <= 0 {
		return 0
	}
	return int(min(p.Completed*100/p.Total, 99))
}

// Running reports whether the pull is still under way.
func (p PullState) Running() bool { return !p.Done }
