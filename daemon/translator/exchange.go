package translator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/config"
)

// exchange is one API request on its way through the translator, from the
// handler through the conversion and the dispatch to a backend to the
// relay of the answer: what every step needs travels here instead of as
// parameters.
type exchange struct {
	s *Server
	w http.ResponseWriter
	r *http.Request
	// cfg is the config the request started with: a reload applies to
	// new requests, not to this one.
	cfg *config.Config
	rec *requestLog
	// req and route are set once the body is decoded and its model
	// routed (chat).
	req   *anthropic.Request
	route *config.Route
}

// allow reports whether the request's method is one of methods, and
// answers 405 when it is not.
func (x *exchange) allow(methods ...string) bool {
	for _, m := range methods {
		if x.r.Method == m {
			return true
		}
	}
	x.w.Header().Set("Allow", strings.Join(methods, ", "))
	x.fail(&anthropic.Error{Status: http.StatusMethodNotAllowed, Type: "invalid_request_error",
		Message: fmt.Sprintf("method %s is not allowed on %s: use %s", x.r.Method, x.r.URL.Path, strings.Join(methods, " or "))})
	return false
}

// readBody reads the request body up to the size limit, answering the
// client itself when that fails. A client that stops sending the body
// for BodyIdleTimeout gets 408: until the body is in, no backend is
// involved, and the deadline frees the connection.
func (x *exchange) readBody() ([]byte, bool) {
	opts := &x.s.opts
	rc := http.NewResponseController(x.w)
	body, err := io.ReadAll(http.MaxBytesReader(x.w, &idleReader{ReadCloser: x.r.Body, rc: rc, idle: opts.BodyIdleTimeout}, opts.MaxBodyBytes))
	if err == nil {
		// The deadline must not outlive the body: the server watches the
		// connection for the client going away, and a deadline passing
		// there would read as the client gone. After a failure it stays,
		// so the server gives up on the rest of the body and closes the
		// connection instead of waiting for it.
		rc.SetReadDeadline(time.Time{})
		return body, true
	}
	x.w.Header().Set("Connection", "close")
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		x.fail(&anthropic.Error{Status: http.StatusRequestEntityTooLarge, Type: "request_too_large",
			Message: fmt.Sprintf("request body is larger than the limit of %s", byteSize(opts.MaxBodyBytes))})
	case errors.Is(err, os.ErrDeadlineExceeded):
		x.fail(&anthropic.Error{Status: http.StatusRequestTimeout, Type: "invalid_request_error",
			Message: fmt.Sprintf("the request body stopped arriving: nothing came for %v", opts.BodyIdleTimeout)})
	default:
		x.fail(anthropic.InvalidRequest("reading the request body: %v", err))
	}
	return nil, false
}

// idleReader moves the connection's read deadline forward before each
// read of the body, so a slow upload of a large body is fine and a
// stalled one is not.
type idleReader struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
}

func (b *idleReader) Read(p []byte) (int, error) {
	b.rc.SetReadDeadline(time.Now().Add(b.idle)) // ErrNotSupported in tests' recorders: no deadline
	return b.ReadCloser.Read(p)
}

// fail answers with an error, in the shape of the client's API.
func (x *exchange) fail(ae *anthropic.Error) {
	x.rec.err = ae.Message
	if x.rec.openai {
		status, body := openAIError(ae)
		x.reply(status, body)
		return
	}
	x.reply(ae.Status, anthropic.ErrorResponse{Type: "error", Error: anthropic.ErrorBody{Type: ae.Type, Message: ae.Message}, RequestID: x.rec.id})
}

// reply answers with v as JSON.
func (x *exchange) reply(status int, v any) {
	x.rec.status = status
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"type":"error","error":{"type":"api_error","message":"encoding the answer failed"}}`)
	}
	x.w.Header().Set("Content-Type", "application/json")
	x.w.WriteHeader(status)
	x.w.Write(body)
}

// asAPIError is err as the client gets it: an *anthropic.Error as it is,
// anything else a 500.
func asAPIError(err error) *anthropic.Error {
	var ae *anthropic.Error
	if errors.As(err, &ae) {
		return ae
	}
	return anthropic.Failure("%v", err)
}

func isAPIError(err error) bool {
	var ae *anthropic.Error
	return errors.As(err, &ae)
}

func byteSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
