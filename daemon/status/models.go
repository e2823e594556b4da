package status

import (
	"fmt"
	"strings"
	"time"
)

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

// Bytes shows a size as people read it: "812 MB", "4.7 GB".
func Bytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	if v >= 100 {
		return fmt.Sprintf("%.0f %cB", v, "kMGTPE"[exp])
	}
	return fmt.Sprintf("%.1f %cB", v, "kMGTPE"[exp])
}

// Summary is the numbers in one line: "12 requests · TTFT 340ms ·
// 24.1 tok/s · 5.3k in / 1.2k out", or "no requests" in the window.
func (a AliasStats) Summary() string {
	if a.Requests == 0 {
		return "no requests"
	}
	parts := []string{plural(a.Requests, "request")}
	if a.Errors > 0 {
		parts = append(parts, plural(a.Errors, "error"))
	}
	if a.TTFT > 0 {
		parts = append(parts, "TTFT "+a.TTFT.Round(time.Millisecond).String())
	}
	if a.TokensPerSecond > 0 {
		parts = append(parts, fmt.Sprintf("%.1f tok/s", a.TokensPerSecond))
	}
	parts = append(parts, tokens(a.InputTokens)+" in / "+tokens(a.OutputTokens)+" out")
	return strings.Join(parts, " · ")
}

// LoadSummary says whether the alias's model is loaded: "warm (1.2 GB)",
// "loading", "cold", "not pulled"; "" when unknown.
func (a AliasState) LoadSummary() string {
	switch {
	case a.Missing:
		return "not pulled"
	case a.Load == LoadWarm && a.Memory > 0:
		return "warm (" + Bytes(a.Memory) + ")"
	}
	return string(a.Load)
}

// Summary is a pull in one line: "pulling llama3.1:8b: 42% (1.9 GB of
// 4.7 GB)", "pulled llama3.1:8b", or why it failed.
func (p PullState) Summary() string {
	switch {
	case p.Cancelled:
		return "pull of " + p.Model + " cancelled"
	case p.Err != "":
		return "pull of " + p.Model + " failed: " + p.Err
	case p.Done:
		return "pulled " + p.Model
	case p.Total > 0:
		return fmt.Sprintf("pulling %s: %d%% (%s of %s)", p.Model, p.Percent(), Bytes(p.Completed), Bytes(p.Total))
	}
	return "pulling " + p.Model + ": " + p.Status
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// tokens shows a token count: 950, 5.3k, 1.2M.
func tokens(n int64) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1000:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprintf("%d", n)
}
