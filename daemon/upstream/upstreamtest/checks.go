package upstreamtest

import (
	"errors"
	"net/http"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/upstream"
)

// ErrCallback is what a Collector returns to stop a stream, so a test can
// check that the client hands the callback's own error back unchanged.
var ErrCallback = errors.New("callback stop")

// Collector gathers what a stream delivers to its callback, Add. With
// StopAt above zero, Add stops the stream with ErrCallback at the
// StopAt-th delivery.
type Collector[T any] struct {
	Got    []T
	StopAt int
}

// Add is the stream's callback: it keeps v, and returns ErrCallback when
// v is the StopAt-th delivery.
func (c *Collector[T]) Add(v T) error {
	c.Got = append(c.Got, v)
	if c.StopAt > 0 && len(c.Got) == c.StopAt {
		return ErrCallback
	}
	return nil
}

// CheckStop fails t when err, the stream's end, is the callback's error
// but the stream went on past StopAt or stopped short of it.
func (c *Collector[T]) CheckStop(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, ErrCallback) && len(c.Got) != c.StopAt {
		t.Fatalf("callback error after %d deliveries, stopped at %d", len(c.Got), c.StopAt)
	}
}

// FuzzStatus turns a fuzzer's status input into an HTTP status a server
// may answer: 200..599, with 204 and 304, which carry no body, read as 200.
func FuzzStatus(status uint16) int {
	code := 200 + int(status)%400
	if code == http.StatusNoContent || code == http.StatusNotModified {
		return http.StatusOK
	}
	return code
}

// CheckStatusError fails t unless err, a client's answer to a non-2xx
// status code, is a *upstream.StatusError with that code and a message of
// 1 to 4096 bytes, and unless delivered (what reached the callback) is 0:
// an error body is never handed on as an answer.
func CheckStatusError(t testing.TB, err error, code int, delivered int) {
	t.Helper()
	var se *upstream.StatusError
	if !errors.As(err, &se) || se.StatusCode != code {
		t.Fatalf("status %d: err = %v, want a upstream.StatusError", code, err)
	}
	if se.Message == "" || len(se.Message) > 4<<10 {
		t.Fatalf("status %d: message of %d bytes", code, len(se.Message))
	}
	if delivered > 0 {
		t.Fatal("a non-2xx body reached the callback")
	}
}

// CheckStreamError fails t unless err is one the clients document for a
// body that arrived: nil once the answer finished (else t fails with
// unfinished, which says what was missing), upstream.ErrIncomplete, a
// *upstream.StreamError, a *upstream.ProtocolError, or ErrCallback.
func CheckStreamError(t testing.TB, err error, finished bool, unfinished string) {
	t.Helper()
	var (
		se *upstream.StreamError
		pe *upstream.ProtocolError
	)
	switch {
	case err == nil:
		if !finished {
			t.Fatal(unfinished)
		}
	case errors.Is(err, upstream.ErrIncomplete), errors.Is(err, ErrCallback), errors.As(err, &se), errors.As(err, &pe):
	default:
		t.Fatalf("untyped error %T: %v", err, err)
	}
}
