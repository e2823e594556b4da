package translator

import (
	"context"
	"sync"
)

// handoff carries the upstream goroutine's items to a stream's loop. A
// channel would wake the loop and cost a select per token; here the loop
// takes everything that has arrived in one go, so when tokens come faster
// than they are written one wake-up, one pass and one flush serve many of
// them, and the upstream goroutine only waits when max items are queued
// (the back-pressure a slow client puts on the backend).
type handoff struct {
	mu     sync.Mutex
	items  []upstreamItem
	closed bool
	max    int
	ready  chan struct{} // something arrived, or the end
	room   chan struct{} // the loop took what was queued
}

func newHandoff(max int) *handoff {
	return &handoff{max: max, ready: make(chan struct{}, 1), room: make(chan struct{}, 1)}
}

// put queues it, waiting while max items are queued; it fails only when
// ctx ends first.
func (h *handoff) put(ctx context.Context, it upstreamItem) error {
	for {
		h.mu.Lock()
		if len(h.items) < h.max {
			h.items = append(h.items, it)
			h.mu.Unlock()
			signal(h.ready)
			return nil
		}
		h.mu.Unlock()
		select {
		case <-h.room:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// close marks the end of the items; what the upstream goroutine wrote
// before it is visible to the loop once take reports closed.
func (h *handoff) close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	signal(h.ready)
}

// take moves what is queued into buf (reused between calls) and reports
// whether the upstream goroutine has closed: then these are the last.
func (h *handoff) take(buf []upstreamItem) ([]upstreamItem, bool) {
	h.mu.Lock()
	buf = append(buf[:0], h.items...)
	clear(h.items)
	h.items = h.items[:0]
	closed := h.closed
	h.mu.Unlock()
	signal(h.room)
	return buf, closed
}

// signal leaves a wake-up in c unless one is already waiting there.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
