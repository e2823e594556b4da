package translator

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/clawbridge/clawbridge/daemon/upstream"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// stream answers a streaming request. The backend's chunks arrive from the
// upstream goroutine through a handoff, so this loop alone writes to the
// client: chunks, pings while the backend is silent, and the end.
//
// The 200 is committed at the first chunk or after HeaderGrace, whichever
// comes first; until then an upstream failure is a plain HTTP error, after
// it an error event. When the client goes away the request context is
// cancelled, which cancels the upstream request with it.
func (x *exchange) stream(out streamOutput) {
	ctx, cancel := context.WithCancel(x.r.Context())
	up := x.startUpstream(ctx)
	defer func() {
		cancel()
		<-up.done
		x.rec.outcome = out.answer().Outcome()
	}()
	rl := newRelay(x, out)
	defer rl.release()
	grace := time.NewTimer(x.s.opts.HeaderGrace)
	defer grace.Stop()
	ping := time.NewTicker(x.s.opts.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-up.items.ready:
			if rl.deliver(ctx, up) {
				return
			}
		case <-grace.C:
			if !rl.committed && !rl.send(false) {
				return
			}
		case <-ping.C:
			if !rl.keepAlive() {
				return
			}
		case <-ctx.Done():
			rl.abort(ctx)
			return
		}
	}
}

// upstreamItem is what the upstream goroutine hands the stream loop: a
// chunk, or the backend that starts answering.
type upstreamItem struct {
	chunk *ollama.ChatResponse
	start *attempt
}

// upstreamRun is the goroutine that reads a streamed request's answer
// from its backend.
type upstreamRun struct {
	items *handoff
	// err is how the dispatch ended: written before items is closed,
	// read after.
	err  error
	done chan struct{}
}

// maxQueuedChunks bounds how far the backend's reader runs ahead of a
// client that takes the answer slowly; then the reader waits, and the
// backend with it.
const maxQueuedChunks = 64

// startUpstream dispatches the request in its own goroutine, which hands
// what it reads to the stream loop until ctx ends.
func (x *exchange) startUpstream(ctx context.Context) *upstreamRun {
	up := &upstreamRun{items: newHandoff(maxQueuedChunks), done: make(chan struct{})}
	go func() {
		defer close(up.done)
		defer up.items.close()
		up.err = x.s.be.dispatch(ctx, x, func(a *attempt) { up.items.put(ctx, upstreamItem{start: a}) },
			func(c *ollama.ChatResponse) error { return up.items.put(ctx, upstreamItem{chunk: c}) })
	}()
	return up
}

// relay writes one streamed answer to the client: it commits the 200 and
// the event-stream headers, groups the flushes of chunks that arrive
// together, and keeps the write deadline moving.
type relay struct {
	x   *exchange
	out streamOutput
	rc  *http.ResponseController
	// idle is the stream idle timeout (0: none).
	idle        time.Duration
	deadlineSet time.Time
	committed   bool
	// unflushed counts the chunks written since the last flush.
	unflushed int
	// active is set when a chunk went out since the last ping tick.
	active bool
	batch  []upstreamItem // reused by deliver
}

// maxUnflushedChunks bounds how many chunks a stream writes between two
// flushes when chunks queue up faster than the client takes them.
const maxUnflushedChunks = 32

func newRelay(x *exchange, out streamOutput) *relay {
	return &relay{x: x, out: out, rc: http.NewResponseController(x.w), idle: x.cfg.Clawbridge.Translator.IdleTimeout()}
}

// release clears the write deadline for the next request on the
// connection.
func (rl *relay) release() {
	if rl.idle > 0 {
		rl.rc.SetWriteDeadline(time.Time{})
	}
}

// extendDeadline moves the write deadline forward. A client that stops
// reading (but keeps its connection) would block the write, and with it
// the backend, forever: each write must finish within the stream idle
// timeout. The deadline moves at most every quarter of it.
func (rl *relay) extendDeadline() {
	if rl.idle <= 0 {
		return
	}
	if now := time.Now(); now.Sub(rl.deadlineSet) > rl.idle/4 {
		rl.rc.SetWriteDeadline(now.Add(rl.idle))
		rl.deadlineSet = now
	}
}

// send writes what out holds and flushes it to the client; false means
// the client cannot be written to. With more (chunks that arrived
// together are still to be written) it leaves the bytes in the response's
// buffer for the flush after them: tokens that queue up go out in one
// write system call, and none waits for a token not yet arrived. The
// bound keeps a fast backend from holding a whole answer back.
func (rl *relay) send(more bool) bool {
	rl.extendDeadline()
	if !rl.committed {
		h := rl.x.w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Accel-Buffering", "no")
		rl.x.w.WriteHeader(http.StatusOK)
		rl.x.rec.status = http.StatusOK
		rl.committed = true
	}
	if err := rl.out.writeTo(rl.x.w); err != nil {
		return false
	}
	if more && rl.unflushed < maxUnflushedChunks {
		rl.unflushed++
		return true
	}
	rl.unflushed = 0
	return rl.rc.Flush() == nil
}

// deliver writes what the upstream goroutine has handed over, and the
// end once it has finished; true means the stream is over.
func (rl *relay) deliver(ctx context.Context, up *upstreamRun) bool {
	var closed bool
	rl.batch, closed = up.items.take(rl.batch)
	for i, it := range rl.batch {
		if it.start != nil {
			startBackend(rl.out, it.start)
			continue
		}
		rl.x.rec.firstToken(it.chunk)
		done := rl.out.chunk(it.chunk)
		ollama.Recycle(it.chunk)
		if !rl.send(!done && i < len(rl.batch)-1) || done {
			return true
		}
		rl.active = true
	}
	if !closed {
		return false
	}
	rl.end(ctx, up.err)
	return true
}

// end finishes the stream after the dispatch returned err.
func (rl *relay) end(ctx context.Context, err error) {
	if ctx.Err() != nil {
		if err = context.Cause(ctx); !isAPIError(err) {
			rl.x.rec.err = "client went away"
			return
		}
	}
	if errors.Is(err, errStopSequence) {
		err = nil
	}
	if err != nil && !errors.Is(err, upstream.ErrIncomplete) && !rl.out.answer().Ended() {
		rl.fail(err)
		return
	}
	rl.out.end(err)
	rl.send(false)
}

// keepAlive sends a ping when nothing went out since the last tick of a
// committed stream; false means the client is gone.
func (rl *relay) keepAlive() bool {
	if rl.committed && !rl.active {
		rl.out.ping()
		if !rl.send(false) {
			return false
		}
	}
	rl.active = false
	return true
}

// abort ends a stream whose context ended first: a deadline with an
// error for the client, or the client gone.
func (rl *relay) abort(ctx context.Context) {
	if err := context.Cause(ctx); isAPIError(err) {
		rl.fail(err)
		return
	}
	rl.x.rec.err = "client went away"
}

// fail ends the request with err: a plain HTTP error while nothing has
// been sent, an error event after.
func (rl *relay) fail(err error) {
	ae := target{Alias: rl.x.req.Model}.errorFor(err)
	rl.x.rec.err = ae.Message
	if !rl.committed {
		rl.x.fail(ae)
		return
	}
	rl.out.fail(ae)
	rl.send(false)
}
