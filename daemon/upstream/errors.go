package upstream

import (
	"cmp"
	"errors"
	"fmt"
)

// The errors a backend client returns. Each names its kind of server in
// Server ("ollama"), or leaves it empty when the address alone names the
// server in messages (an OpenAI-compatible one).

// UnreachableError means no HTTP answer came from the server at all
// (connection refused, DNS failure, reset before the headers). The
// translator reports it as 529 overloaded_error naming Addr, and tries
// another backend of the model.
type UnreachableError struct {
	Server, Addr string
	Err          error
}

// Error names the server's address and the transport failure (refused,
// DNS, reset) so the user can tell a stopped server from a wrong api_base.
func (e *UnreachableError) Error() string {
	if e.Server == "" {
		return fmt.Sprintf("%s is unreachable: %v", e.Addr, e.Err)
	}
	return fmt.Sprintf("%s at %s is unreachable: %v", e.Server, e.Addr, e.Err)
}

// Unwrap exposes the transport error, so callers can test for causes such
// as syscall.ECONNREFUSED or a timeout with errors.Is and errors.As.
func (e *UnreachableError) Unwrap() error { return e.Err }

// StatusError is a non-2xx answer, with the message of the server's error
// body when there is one.
type StatusError struct {
	Server     string
	StatusCode int
	Message    string
}

// Error gives the HTTP status and the server's own error message, which
// usually says what to fix ("model not found", "does not support tools").
func (e *StatusError) Error() string {
	return fmt.Sprintf("%s answered %d: %s", cmp.Or(e.Server, "server"), e.StatusCode, e.Message)
}

// StreamError is an error the server sent after its answer had started,
// for example when the model runner crashed mid-answer.
type StreamError struct{ Server, Message string }

// Error is the server's message from the stream, marked as coming
// mid-stream: part of the answer may already have reached the client.
func (e *StreamError) Error() string {
	if e.Server == "" {
		return "stream error: " + e.Message
	}
	return e.Server + " stream error: " + e.Message
}

// ProtocolError is a streamed line or event that is not the server's JSON:
// not JSON at all, JSON that does not fit a chat answer, or a line longer
// than the client accepts. Usually something other than the expected
// server answers on its port. What names what could not be decoded
// ("ollama stream line", "stream event"); Err is the decoding error.
type ProtocolError struct {
	What string
	Err  error
}

// Error says what could not be decoded and the decoder's reason; it quotes
// no more of the line than the decoder does, as the stream carries the
// user's conversation.
func (e *ProtocolError) Error() string { return "decode " + e.What + ": " + e.Err.Error() }

// Unwrap exposes the decoding error (a *json.SyntaxError, say), so callers
// can tell malformed JSON from a line that was only too long.
func (e *ProtocolError) Unwrap() error { return e.Err }

// ErrIncomplete is returned by a chat stream that ended before the answer
// did: Ollama's without a line marked done (which it does, for example,
// after 30 identical tokens), an OpenAI-compatible server's without a
// finish_reason or [DONE].
var ErrIncomplete = errors.New("stream ended before the answer was finished")
