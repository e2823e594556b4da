package guard

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/clawbridge/clawbridge/patcher/fswatch"
)

// Run guards until ctx ends, then returns nil. It checks every agent
// directory at once, again after each burst of changes in one (the
// directory is watched, not the file, because writers replace the file),
// and all of them every Rescan, when it also picks up agent directories
// that appeared since.
//
// Checks run on Run's own goroutine, not the watcher's: a check may wait
// for Clawdbot's store lock, and the watcher must keep draining events
// meanwhile. Changes that arrive during a check queue up and are folded
// into one more check per directory.
func (g *Guard) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	q := newDirQueue()
	w, err := fswatch.New(g.opts.Debounce, q.add)
	if err != nil {
		return fmt.Errorf("guard: %w", err)
	}
	w.SetErrorHandler(func(err error) { g.log.Warn("guard: file watcher", "err", err) })
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	watched := map[string]bool{}
	sweep := func() {
		for _, dir := range g.Dirs() {
			if !watched[dir] {
				// A failed Add still leaves dir wanted; fswatch
				// retries it on the next change nearby.
				watched[dir] = true
				if err := w.Add(dir); err != nil {
					g.log.Warn("guard: watch agent directory", "dir", dir, "err", err)
				}
			}
			q.add(dir)
		}
	}
	sweep()
	tick := time.NewTicker(g.opts.Rescan)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			<-done
			return nil
		case err := <-done:
			if ctx.Err() != nil {
				return nil
			}
			if err == nil {
				err = errors.New("stopped")
			}
			return fmt.Errorf("guard: file watcher: %w", err)
		case <-tick.C:
			sweep()
		case <-q.wake:
			for _, dir := range q.take() {
				if ctx.Err() != nil {
					break
				}
				g.check(ctx, dir)
			}
		}
	}
}

// dirQueue collects directories to check, each at most once, between the
// watcher's goroutine and Run's.
type dirQueue struct {
	mu      sync.Mutex
	pending []string
	queued  map[string]bool
	wake    chan struct{}
}

func newDirQueue() *dirQueue {
	return &dirQueue{queued: map[string]bool{}, wake: make(chan struct{}, 1)}
}

// add queues dir and never blocks.
func (q *dirQueue) add(dir string) {
	q.mu.Lock()
	if !q.queued[dir] {
		q.queued[dir] = true
		q.pending = append(q.pending, dir)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take empties the queue.
func (q *dirQueue) take() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.pending
	q.pending = nil
	clear(q.queued)
	return out
}
