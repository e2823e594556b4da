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
	// Kind names the kind of server: "Ollama" or "the OpenAI-compatible
	// server"; empty means Ollama.
	Kind string
}

// errorFor maps an error from talking to Ollama onto the answer the client
// gets, saying what to do about it where there is something to do.
func (t target) errorFor(err error) *apiError {
	var (
		ae *apiError
		be *backendError
		ue *ollama.UnreachableError
		se *ollama.StatusError
		me *ollama.StreamError
	)
	if errors.As(err, &be) && !errors.As(err, &ae) {
		t, err = be.t, be.err
	}
	kind := t.Kind
	if kind == "" {
		kind = "Ollama"
	}
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &ue):
		return overloaded("%s at %s is unreachable (%v): is it running? (model %q maps to %q there)", kind, ue.Addr, ue.Err, t.Alias, t.Model)
	case errors.As(err, &se):
		switch {
		case se.StatusCode == http.StatusNotFound && kind != "Ollama":
			return notFound("model %q maps to %q, which %s at %s does not serve (%s)", t.Alias, t.Model, kind, t.Addr, se.Message)
		case se.StatusCode == http.StatusNotFound:
			return notFound("model %q maps to Ollama model %q, which Ollama at %s does not have (%s): run `ollama pull %s`", t.Alias, t.Model, t.Addr, se.Message, t.Model)
		case se.StatusCode == http.StatusBadRequest && strings.Contains(se.Message, "exceeds the context length"):
			return invalidRequest("prompt is too long for the context window of %q (model %q): Ollama refused it rather than cut it (%s); shorten the conversation, or raise litellm_params.num_ctx for it in the config", t.Alias, t.Model, se.Message)
		case se.StatusCode == http.StatusBadRequest && strings.Contains(se.Message, "does not support tools"):
			return invalidRequest("Ollama model %q (for %q) cannot call tools: pick a model with tool support, or set supports_function_calling: false for it in the config to send requests without tools (Ollama said: %s)", t.Model, t.Alias, se.Message)
		case se.StatusCode == http.StatusBadRequest:
			return invalidRequest("%s rejected the request for %q (model %q): %s", kind, t.Alias, t.Model, se.Message)
		case se.StatusCode == http.StatusTooManyRequests || se.StatusCode == http.StatusServiceUnavailable:
			return overloaded("%s at %s is busy: %s", kind, t.Addr, se.Message)
		default:
			return apiFailure("%s at %s answered %d for model %q: %s", kind, t.Addr, se.StatusCode, t.Model, se.Message)
		}
	case errors.As(err, &me):
		return apiFailure("%s failed in the middle of the answer (model %q): %s", kind, t.Model, me.Message)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apiFailure("%s at %s dropped the connection in the middle of the answer (model %q): %v", kind, t.Addr, t.Model, err)
	case errors.Is(err, ollama.ErrIncomplete):
		return apiFailure("%s ended the answer early (model %q)", kind, t.Model)
	case errors.Is(err, errNoDeployment):
		return apiFailure("model %q has no usable entry in the config", t.Alias)
	default:
		return apiFailure("talking to %s at %s (model %q): %v", kind, t.Addr, t.Model, err)
	}
}
