package translator

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/clawbridge/clawbridge/daemon/ollama"
)

// apiError is a failure that answers the client: the HTTP status and the
// Anthropic error type go together, so every error the server produces is
// one of these by the time it is written.
type apiError struct {
	Status  int
	Type    string
	Message string
}

func (e *apiError) Error() string { return e.Message }

func invalidRequest(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "invalid_request_error", fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{http.StatusNotFound, "not_found_error", fmt.Sprintf(format, args...)}
}

func apiFailure(format string, args ...any) *apiError {
	return &apiError{http.StatusInternalServerError, "api_error", fmt.Sprintf(format, args...)}
}

// statusOverloaded is Anthropic's "overloaded" status, which the official
// SDKs retry with backoff: the right answer when Ollama is down or busy.
const statusOverloaded = 529

func overloaded(format string, args ...any) *apiError {
	return &apiError{statusOverloaded, "overloaded_error", fmt.Sprintf(format, args...)}
}

// target names where a request went, for error messages and logs: the
// model the client asked for, the Ollama model that answers it, and the
// Ollama server's address.
type target struct {
	Alias string
	Model string
	Addr  string
}

// errorFor maps an error from talking to Ollama onto the answer the client
// gets, saying what to do about it where there is something to do.
func (t target) errorFor(err error) *apiError {
	var (
		ae *apiError
		ue *ollama.UnreachableError
		se *ollama.StatusError
		me *ollama.StreamError
	)
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &ue):
		return overloaded("Ollama at %s is unreachable (%v): is it running? (model %q maps to %q there)", ue.Addr, ue.Err, t.Alias, t.Model)
	case errors.As(err, &se):
		switch {
		case se.StatusCode == http.StatusNotFound:
			return notFound("model %q maps to Ollama model %q, which Ollama at %s does not have (%s): run `ollama pull %s`", t.Alias, t.Model, t.Addr, se.Message, t.Model)
		case se.StatusCode == http.StatusBadRequest && strings.Contains(se.Message, "does not support tools"):
			return invalidRequest("Ollama model %q (for %q) cannot call tools: pick a model with tool support, or set supports_function_calling: false for it in the config to send requests without tools (Ollama said: %s)", t.Model, t.Alias, se.Message)
		case se.StatusCode == http.StatusBadRequest:
			return invalidRequest("Ollama rejected the request for %q (model %q): %s", t.Alias, t.Model, se.Message)
		case se.StatusCode == http.StatusTooManyRequests || se.StatusCode == http.StatusServiceUnavailable:
			return overloaded("Ollama at %s is busy: %s", t.Addr, se.Message)
		default:
			return apiFailure("Ollama at %s answered %d for model %q: %s", t.Addr, se.StatusCode, t.Model, se.Message)
		}
	case errors.As(err, &me):
		return apiFailure("Ollama failed in the middle of the answer (model %q): %s", t.Model, me.Message)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apiFailure("Ollama at %s dropped the connection in the middle of the answer (model %q): %v", t.Addr, t.Model, err)
	case errors.Is(err, ollama.ErrIncomplete):
		return apiFailure("Ollama ended the answer early (model %q)", t.Model)
	default:
		return apiFailure("talking to Ollama at %s (model %q): %v", t.Addr, t.Model, err)
	}
}
