// Package models keeps the backend models of the aliases ready: warm-ups
// that load them ahead of requests (Warmer), pulls of models a backend
// lacks with their progress (Pulls), and the explanation of a failed
// pull in words. It talks to Ollama only; the daemon decides when to
// warm and what to pull, and shows the results.
package models

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// Target is one alias's model on one Ollama server, as a warm-up loads
// it.
type Target struct {
	Base, Model string
	// KeepAlive is the alias's keep_alive ("" for Ollama's default).
	KeepAlive string
}

// Warmer loads models ahead of requests, one load per model at a time,
// and remembers which it loaded when, so that a model another one pushed
// out of memory is not reloaded in a loop.
type Warmer struct {
	hc  *http.Client
	log *slog.Logger
	// Again is how long after a warm-up a model that is not loaded any
	// more is warmed again (Ollama restarted, or it was pushed out).
	again time.Duration
	// onChange is called when a warm-up starts or ends.
	onChange func()

	mu      sync.Mutex
	loading map[Target]bool
	warmed  map[Target]time.Time
}

// NewWarmer returns a Warmer that loads through hc and calls onChange
// when a warm-up starts or ends. A model is warmed again at most every
// again.
func NewWarmer(hc *http.Client, log *slog.Logger, again time.Duration, onChange func()) *Warmer {
	return &Warmer{hc: hc, log: log, again: again, onChange: onChange,
		loading: map[Target]bool{}, warmed: map[Target]time.Time{}}
}

// Loading reports whether a warm-up of model on base is under way.
func (w *Warmer) Loading(base, model string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for t, on := range w.loading {
		if on && t.Base == base && SameModel(t.Model, model) {
			return true
		}
	}
	return false
}

// Forget drops what is remembered of base's warm-ups, so that its models
// are warmed at once: Ollama restarted and lost them.
func (w *Warmer) Forget(base string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for t := range w.warmed {
		if t.Base == base {
			delete(w.warmed, t)
		}
	}
}

// Due reports whether t should be warmed now: it is not loaded, not
// being loaded, and was not warmed within the last w.again.
func (w *Warmer) Due(t Target, loaded bool, now time.Time) bool {
	if loaded {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	last, ok := w.warmed[t]
	return !w.loading[t] && (!ok || now.Sub(last) >= w.again)
}

// Warm loads t with the num_ctx numCtx returns (asked once the load
// starts: it may ask the backend about the model). It returns at once
// when t is being loaded already.
func (w *Warmer) Warm(ctx context.Context, t Target, numCtx func(context.Context) int) error {
	w.mu.Lock()
	if w.loading[t] {
		w.mu.Unlock()
		return nil
	}
	w.loading[t] = true
	w.mu.Unlock()
	w.changed()
	defer func() {
		w.mu.Lock()
		delete(w.loading, t)
		w.warmed[t] = time.Now()
		w.mu.Unlock()
		w.changed()
	}()
	c, err := ollama.New(t.Base, w.hc)
	if err != nil {
		return err
	}
	n := numCtx(ctx)
	start := time.Now()
	if err := c.Load(ctx, t.Model, t.KeepAlive, n); err != nil {
		return fmt.Errorf("warm up %s on %s: %w", t.Model, t.Base, err)
	}
	w.log.Info("model warmed up", "model", t.Model, "ollama", t.Base, "num_ctx", n, "keep_alive", t.KeepAlive,
		"load_ms", time.Since(start).Milliseconds())
	return nil
}

// Renew gives t, loaded already, t.KeepAlive from now on, with the
// num_ctx it was loaded with so that Ollama only renews the expiry. It is
// how a model warm-up kept loaded forever is handed back to a keep_alive
// when warm-up is switched off; t.KeepAlive must not be "" (Ollama keeps
// a loaded model's keep_alive when a request carries none).
func (w *Warmer) Renew(ctx context.Context, t Target, numCtx int) error {
	c, err := ollama.New(t.Base, w.hc)
	if err != nil {
		return err
	}
	if err := c.Load(ctx, t.Model, t.KeepAlive, numCtx); err != nil {
		return fmt.Errorf("renew keep_alive of %s on %s: %w", t.Model, t.Base, err)
	}
	return nil
}

func (w *Warmer) changed() {
	if w.onChange != nil {
		w.onChange()
	}
}

// SameModel reports whether two Ollama model names name the same model:
// "llama3.1" is "llama3.1:latest".
func SameModel(a, b string) bool {
	return withTag(a) == withTag(b)
}

func withTag(m string) string {
	if i := strings.LastIndexByte(m, '/'); !strings.Contains(m[i+1:], ":") {
		return m + ":latest"
	}
	return m
}
