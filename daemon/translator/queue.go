package translator

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// The queue for backend slots.
//
// A request that finds every backend of its model_name at its
// max_parallel_requests waits for the first slot that frees on any of
// them, first come first served: a freed slot goes straight to the
// longest-waiting request that can use it, so a request arriving later
// cannot take it first. The wait is bounded by
// clawbridge.translator.queue_length (requests waiting per model_name) and
// queue_timeout; a request beyond either gets 529 saying which. A
// streaming client is answered with pings while it waits, as while a
// model loads (relay.go).
//
// LiteLLM's router waits the same way (an asyncio.Semaphore per
// deployment), but without a bound of its own: the request's timeout is
// the only one.

// slot is one backend model a waiting request can use.
type slot struct {
	key   serverKey
	model *modelState
	limit int
}

// waiter is a request in the queue: the slots it can use and where it is
// told which one it got.
type waiter struct {
	alias   string
	slots   []slot
	granted chan int // buffered: the index of the slot taken for it
}

// queueError is a request the queue refused: full, or waited too long.
type queueError struct {
	alias   string
	full    bool
	waiting int           // requests already waiting, when full
	waited  time.Duration // when it timed out
}

func (e *queueError) Error() string {
	const raise = "(or litellm_params.max_parallel_requests) in the config"
	switch {
	case e.full && e.waiting == 0:
		return fmt.Sprintf("every backend of %q is at its max_parallel_requests and clawbridge.translator.queue_length is 0: the queue is full; raise clawbridge.translator.queue_length %s", e.alias, raise)
	case e.full:
		return fmt.Sprintf("every backend of %q is at its max_parallel_requests and %d requests already wait for one: the queue is full; raise clawbridge.translator.queue_length %s", e.alias, e.waiting, raise)
	}
	return fmt.Sprintf("waited %v for a free backend of %q, every one at its max_parallel_requests: the queue timed out; raise clawbridge.translator.queue_timeout %s", e.waited, e.alias, raise)
}

// take counts a request in flight on s unless it is full. p.mu is held.
func (p *pool) take(s slot) bool {
	if s.model.inFlight >= s.limit {
		return false
	}
	s.model.inFlight++
	p.server(s.key).inFlight++
	return true
}

// releaser returns the function that ends a request's hold on s, once,
// and hands the slot to the longest-waiting request that can use it.
func (p *pool) releaser(s slot) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			s.model.inFlight--
			p.server(s.key).inFlight--
			p.serveWaiters()
			p.mu.Unlock()
		})
	}
}

// serveWaiters gives free slots to waiting requests, oldest first. p.mu
// is held.
func (p *pool) serveWaiters() {
	for i := 0; i < len(p.waiters); {
		w := p.waiters[i]
		j := slices.IndexFunc(w.slots, p.take)
		if j < 0 {
			i++
			continue
		}
		p.dequeue(i)
		w.granted <- j
	}
}

// dequeue removes the i-th waiter. p.mu is held.
func (p *pool) dequeue(i int) {
	w := p.waiters[i]
	p.waiters = slices.Delete(p.waiters, i, i+1)
	if p.queued[w.alias]--; p.queued[w.alias] == 0 {
		delete(p.queued, w.alias)
	}
}

// wait waits for a free slot among slots, for at most timeout (0: no
// bound) and behind at most maxQueued other requests for alias. It
// returns the index of the slot taken and the function that frees it, or
// a *queueError, or ctx's error.
func (p *pool) wait(ctx context.Context, alias string, slots []slot, maxQueued int, timeout time.Duration) (int, func(), error) {
	p.mu.Lock()
	if j := slices.IndexFunc(slots, p.take); j >= 0 {
		p.mu.Unlock()
		return j, p.releaser(slots[j]), nil
	}
	if n := p.queued[alias]; n >= maxQueued {
		p.mu.Unlock()
		return 0, nil, &queueError{alias: alias, full: true, waiting: n}
	}
	w := &waiter{alias: alias, slots: slots, granted: make(chan int, 1)}
	p.waiters = append(p.waiters, w)
	p.queued[alias]++
	p.mu.Unlock()

	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	var err error
	select {
	case j := <-w.granted:
		return j, p.releaser(slots[j]), nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-expired:
		err = &queueError{alias: alias, waited: timeout}
	}
	p.mu.Lock()
	if i := slices.Index(p.waiters, w); i >= 0 {
		p.dequeue(i)
		p.mu.Unlock()
		return 0, nil, err
	}
	p.mu.Unlock()
	// A slot was given to it just as it gave up: pass it on.
	p.releaser(slots[<-w.granted])()
	return 0, nil, err
}

// queuedFor returns how many requests wait for a slot for alias.
func (p *pool) queuedFor(alias string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.queued[alias]
}
