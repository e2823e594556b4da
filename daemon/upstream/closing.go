package upstream

import (
	"context"
	"io"
	"net"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"time"
)

// Ending a stream early (a stop sequence reached, the client gone, a
// timeout, a failover) means closing its connection: that is how a client
// tells Ollama to stop generating. Closing it while Ollama is handing a
// chunk over can wedge Ollama for good: its handler stops reading its
// chunk channel once the client is gone, while the goroutine producing
// the chunks blocks on an unbuffered send, holding the model runner's
// only slot, so every later request to that model waits forever
// (ollama/ollama#17131; see docs/reliability.md).
// A chunk is in flight only while chunks are flowing, so a stream is
// closed gently: at once while nothing has arrived yet (Ollama writes
// nothing before its first chunk), otherwise as soon as it has been quiet
// for Drain.Quiet, and at the latest after Drain.Max. Quiet means that no
// read brought bytes and, where the system can tell, that no bytes wait
// in the socket: a reader that was merely not scheduled (a busy machine)
// does not make a flowing stream look quiet.

// Drain says how a stream left before its end is closed.
type Drain struct {
	// Quiet is how long nothing must have arrived before the connection
	// is cut: a local model's tokens come further apart than this.
	Quiet time.Duration
	// Max bounds the wait for a quiet moment; a stream still flowing
	// then is cut anyway.
	Max time.Duration
}

// DefaultDrain is the Drain of every endpoint.
var DefaultDrain = Drain{Quiet: 50 * time.Millisecond, Max: 2 * time.Second}

// stream is the body of a streamed answer, counting its reads so that
// its connection is cut only in a quiet moment.
type stream struct {
	body  io.ReadCloser // set once the answer's headers are in
	conn  atomic.Pointer[net.Conn]
	cut   context.CancelFunc
	drain Drain
	reads atomic.Uint64
	leave sync.Once
	ended chan struct{} // closed once the body is closed
}

func newStream(cut context.CancelFunc, d Drain) *stream {
	return &stream{cut: cut, drain: d, ended: make(chan struct{})}
}

// trace records the connection the request is sent on.
func (s *stream) trace(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) { s.conn.Store(&info.Conn) }})
}

// waiting reports whether bytes wait unread in the connection's socket.
func (s *stream) waiting() bool {
	c := s.conn.Load()
	if c == nil {
		return false
	}
	n, ok := pendingBytes(*c)
	return ok && n > 0
}

// Read reads the body and counts the reads that brought bytes.
func (s *stream) Read(p []byte) (int, error) {
	n, err := s.body.Read(p)
	if n > 0 {
		s.reads.Add(1)
	}
	return n, err
}

// abandon starts closing the stream: at once when nothing has arrived
// yet, otherwise once it is quiet. It returns at once.
func (s *stream) abandon() {
	s.leave.Do(func() {
		if s.reads.Load() == 0 {
			s.cut()
			return
		}
		go s.cutWhenQuiet()
	})
}

// cutWhenQuiet cuts the connection once a whole Quiet period has passed
// without a read, or after Max, unless the stream ends first.
func (s *stream) cutWhenQuiet() {
	tick := time.NewTicker(s.drain.Quiet)
	defer tick.Stop()
	limit := time.NewTimer(s.drain.Max)
	defer limit.Stop()
	last := s.reads.Load()
	for {
		select {
		case <-s.ended:
			return
		case <-limit.C:
			s.cut()
			return
		case <-tick.C:
			n := s.reads.Load()
			if n == last && !s.waiting() {
				s.cut()
				return
			}
			last = n
		}
	}
}

// drainAndClose reads the rest of a stream its reader left, discarding
// it, until the server ends it or the gentle cut does; then closes it.
func (s *stream) drainAndClose() {
	s.abandon()
	_, _ = io.Copy(io.Discard, s)
	s.close()
}

// close closes the body and releases the connection's context.
func (s *stream) close() {
	s.body.Close()
	s.cut()
	close(s.ended)
}

// ctxReader reads a stream for a caller whose context may end: once it
// has, reads fail with the context's error, so that the caller stops
// while the stream itself is closed gently.
type ctxReader struct {
	ctx context.Context
	s   *stream
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := r.s.Read(p)
	if err != nil && r.ctx.Err() != nil {
		return n, r.ctx.Err()
	}
	return n, err
}
