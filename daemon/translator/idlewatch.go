package translator

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
)

// idleWatch fails a backend request that has sent nothing for the
// stream idle timeout (clawbridge.translator.stream_idle_timeout): a model
// server that hangs, before its first chunk or in the middle, would
// otherwise hold the client forever, since the translator keeps idle
// streams alive with pings. The clock stops while a chunk is being
// handed on, so that a client slow to read is not blamed on the backend.
//
// A chunk only records the time (or that the clock is paused) in last;
// the timer is not moved per chunk. When it fires it looks at last and,
// if the backend sent something since, sleeps again for what is left.
type idleWatch struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	idle   time.Duration
	start  time.Time
	// last is when the clock last restarted, as time since start, or
	// idlePaused while a chunk is being handed on.
	last    atomic.Int64
	stopped atomic.Bool
	mu      sync.Mutex // guards timer, set once the timer exists
	timer   *time.Timer
	err     error // the cause when the clock runs out
}

// idlePaused is idleWatch.last while the clock is stopped.
const idlePaused = -1

func newIdleWatch(parent context.Context, idle time.Duration, a *attempt) *idleWatch {
	w := &idleWatch{idle: idle}
	w.ctx, w.cancel = context.WithCancelCause(parent)
	if idle > 0 {
		w.err = &anthropic.Error{Status: http.StatusGatewayTimeout, Type: "timeout_error",
			Message: fmt.Sprintf("%s at %s sent nothing for %v (model %q): it may be stuck%s; clawbridge.translator.stream_idle_timeout in the config sets how long to wait",
				serverKind(a.target), a.target.Addr, idle, a.target.Model, stuckHint(a.target))}
		w.start = time.Now()
		w.mu.Lock()
		w.timer = time.AfterFunc(idle, w.expire)
		w.mu.Unlock()
	}
	return w
}

// stuckHint tells how to free an Ollama whose model runner hangs: after
// another client closed a stream mid-answer (ollama/ollama#17131), every
// request to that model waits until Ollama restarts.
func stuckHint(t target) string {
	if serverKind(t) != "Ollama" {
		return ""
	}
	return " (if it stays stuck, restart Ollama: a client that closed an answer mid-stream can leave its model hanging, ollama/ollama#17131)"
}

// expire runs when the timer fires: it fails the request if the clock
// has run for idle since it last restarted, and otherwise sets the timer
// for what is left.
func (w *idleWatch) expire() {
	if w.stopped.Load() {
		return
	}
	wait := w.idle
	if last := w.last.Load(); last != idlePaused {
		wait -= time.Since(w.start) - time.Duration(last)
	}
	if wait > 0 {
		w.mu.Lock()
		if !w.stopped.Load() {
			w.timer.Reset(wait)
		}
		w.mu.Unlock()
		return
	}
	w.cancel(w.err)
}

// pause stops the clock while a chunk is handed on.
func (w *idleWatch) pause() {
	if w.idle > 0 {
		w.last.Store(idlePaused)
	}
}

// resume restarts the clock from zero.
func (w *idleWatch) resume() {
	if w.idle > 0 {
		w.last.Store(int64(time.Since(w.start)))
	}
}

// stop stops the clock; the context stays as it was, so that its cause
// can still be read before cancel releases it.
func (w *idleWatch) stop() {
	if w.idle <= 0 {
		return
	}
	w.stopped.Store(true)
	w.mu.Lock()
	w.timer.Stop()
	w.mu.Unlock()
}
