package translator

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/clawbridge/clawbridge/daemon/upstream"
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
		ue *upstream.UnreachableError
		se *upstream.StatusError
		me *upstream.StreamError
		pe *upstream.ProtocolError
		bz *busyError
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
		case looksLikeHTML(se.Message):
			return apiFailure("%s at %s answered %d for model %q with a web page (%s) instead of an API answer: is something else (a proxy, another server) on that address?",
				kind, t.Addr, se.StatusCode, t.Model, pageSummary(se.Message))
		default:
			return apiFailure("%s at %s answered %d for model %q: %s", kind, t.Addr, se.StatusCode, t.Model, se.Message)
		}
	case errors.As(err, &bz):
		return overloaded("%s at %s is already answering %d requests for model %q, its limit (litellm_params.max_parallel_requests in the config); retry shortly",
			kind, t.Addr, bz.limit, t.Model)
	case errors.As(err, &pe):
		return apiFailure("%s at %s sent a line that is not part of an answer (model %q): %v", kind, t.Addr, t.Model, pe.Err)
	case errors.As(err, &me):
		return apiFailure("%s failed in the middle of the answer (model %q): %s", kind, t.Model, me.Message)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apiFailure("%s at %s dropped the connection in the middle of the answer (model %q): %v", kind, t.Addr, t.Model, err)
	case errors.Is(err, upstream.ErrIncomplete):
		return apiFailure("%s ended the answer early (model %q)", kind, t.Model)
	case errors.Is(err, errNoDeployment):
		return apiFailure("model %q has no usable entry in the config", t.Alias)
	default:
		return apiFailure("talking to %s at %s (model %q): %v", kind, t.Addr, t.Model, err)
	}
}

// busyError is a backend that already answers as many requests as its
// max_parallel_requests allows; the next backend of the model is tried,
// and the client gets 529 when there is none.
type busyError struct{ limit int }

func (e *busyError) Error() string {
	return fmt.Sprintf("%d requests in flight, the limit", e.limit)
}

// looksLikeHTML reports whether an error body is a web page (a proxy's or
// another server's error page) rather than an API's message.
func looksLikeHTML(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(s, "<!doctype html") || strings.HasPrefix(s, "<html") ||
		strings.HasPrefix(s, "<") && strings.Contains(s, "<body")
}

// pageSummary names a web page by its title, so that an error message
// says what answered without quoting its markup.
func pageSummary(page string) string {
	lower := strings.ToLower(page)
	i := strings.Index(lower, "<title")
	if i >= 0 {
		if j := strings.IndexByte(lower[i:], '>'); j >= 0 {
			rest := page[i+j+1:]
			if k := strings.Index(strings.ToLower(rest), "</title"); k >= 0 {
				rest = rest[:k]
			}
			if title := strings.Join(strings.Fields(rest), " "); title != "" && !strings.ContainsAny(title, "<>") {
				return strconv.Quote(title)
			}
		}
	}
	return "an HTML page"
}
