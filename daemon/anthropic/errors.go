package anthropic

import (
	"fmt"
	"net/http"
)

// Error is a failure that answers the client: the HTTP status and the
// Anthropic error type go together, so every error the translator
// produces is one of these by the time it is written.
type Error struct {
	Status  int
	Type    string
	Message string
}

// Error returns the message the client reads.
func (e *Error) Error() string { return e.Message }

// InvalidRequest is a 400 invalid_request_error: the client sent
// something the API does not accept.
func InvalidRequest(format string, args ...any) *Error {
	return &Error{http.StatusBadRequest, "invalid_request_error", fmt.Sprintf(format, args...)}
}

// NotFound is a 404 not_found_error: no such model or endpoint.
func NotFound(format string, args ...any) *Error {
	return &Error{http.StatusNotFound, "not_found_error", fmt.Sprintf(format, args...)}
}

// Failure is a 500 api_error: something went wrong on this side or on
// the backend's.
func Failure(format string, args ...any) *Error {
	return &Error{http.StatusInternalServerError, "api_error", fmt.Sprintf(format, args...)}
}

// StatusOverloaded is Anthropic's "overloaded" status, which the official
// SDKs retry with backoff: the right answer when Ollama is down or busy.
const StatusOverloaded = 529

// Overloaded is a 529 overloaded_error, which clients retry.
func Overloaded(format string, args ...any) *Error {
	return &Error{StatusOverloaded, "overloaded_error", fmt.Sprintf(format, args...)}
}
