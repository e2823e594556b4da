package daemon

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/patcher"
)

// contextWindows answers the config route's question (patcher.ContextWindows):
// how much context the local model behind a Claude name really has, so
// that OpenClaw budgets by it as its own ollama provider does. A name's
// window is the smallest of its deployments': litellm_params.num_ctx when
// set, else model_info.max_input_tokens, else the context length Ollama's
// /api/show reports, capped by translator.max_num_ctx. /api/show is asked
// in the background (the keeper must not wait on Ollama); when an answer
// arrives the keeper is asked to look again.
type contextWindows struct {
	cfg    atomic.Pointer[config.Config]
	keeper atomic.Pointer[patcher.Keeper]

	mu     sync.Mutex
	known  map[string]int // backend + "\x00" + model: the context length Ollama reported
	asking map[string]bool
}

func newContextWindows() *contextWindows {
	return &contextWindows{known: map[string]int{}, asking: map[string]bool{}}
}

// setConfig makes cfg the config windows are read from, before a keeper
// starts with it, and has the running keeper look again when it changed.
func (w *contextWindows) setConfig(cfg *config.Config) {
	if old := w.cfg.Swap(cfg); old != nil && old != cfg {
		if k := w.keeper.Load(); k != nil {
			k.Check()
		}
	}
}

// setKeeper names the keeper to nudge when an answer arrives; a new one
// looks again at once, in case an answer came before it was named.
func (w *contextWindows) setKeeper(k *patcher.Keeper) {
	if old := w.keeper.Swap(k); old != k && k != nil {
		k.Check()
	}
}

// window is the patcher.ContextWindows of the current config.
func (w *contextWindows) window(id string) int {
	cfg := w.cfg.Load()
	if cfg == nil {
		return 0
	}
	r, err := cfg.Route(id)
	if err != nil || len(r.Deployments) == 0 {
		return 0
	}
	least := 0
	for _, d := range r.Deployments {
		n := w.deploymentWindow(cfg, d)
		if n <= 0 {
			return 0
		}
		if least == 0 || n < least {
			least = n
		}
	}
	return least
}

func (w *contextWindows) deploymentWindow(cfg *config.Config, d config.Deployment) int {
	switch {
	case d.NumCtx > 0:
		return d.NumCtx
	case d.MaxInputTokens > 0:
		return d.MaxInputTokens
	case d.Provider != "ollama":
		return 0
	}
	n := w.contextLength(d.APIBase, d.Model)
	if limit := cfg.Clawbridge.Translator.MaxNumCtx; limit > 0 && n > limit {
		n = limit
	}
	return n
}

// contextLength is the model's context length as Ollama last reported
// it, 0 until it has; the first call asks in the background.
func (w *contextWindows) contextLength(base, model string) int {
	key := base + "\x00" + model
	w.mu.Lock()
	defer w.mu.Unlock()
	if n, ok := w.known[key]; ok {
		return n
	}
	if !w.asking[key] {
		w.asking[key] = true
		go w.ask(key, base, model)
	}
	return 0
}

// showTimeout bounds one /api/show (a hang guard: it answers at once).
const showTimeout = 15 * time.Second

// ask gets the context length from /api/show; on an error it forgets the
// question, so a later look asks again.
func (w *contextWindows) ask(key, base, model string) {
	n := 0
	if c, err := ollama.New(base, nil); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), showTimeout)
		if show, err := c.Show(ctx, model); err == nil {
			n = show.ContextLength()
		}
		cancel()
	}
	w.mu.Lock()
	delete(w.asking, key)
	if n > 0 {
		w.known[key] = n
	}
	w.mu.Unlock()
	if k := w.keeper.Load(); k != nil && n > 0 {
		k.Check()
	}
}
