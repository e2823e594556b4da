package translator

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/upstream"
)

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
func (t target) errorFor(err error) *anthropic.Error {
	var (
		ae *anthropic.Error
		be *backendError
		ue *upstream.UnreachableError
		se *upstream.StatusError
		me *upstream.StreamError
		pe *upstream.ProtocolError
		qe *queueError
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
		return anthropic.Overloaded("%s at %s is unreachable (%v): is it running? (model %q maps to %q there)", kind, ue.Addr, ue.Err, t.Alias, t.Model)
	case errors.As(err, &se):
		switch {
		case se.StatusCode == http.StatusNotFound && kind != "Ollama":
			return anthropic.NotFound("model %q maps to %q, which %s at %s does not serve (%s)", t.Alias, t.Model, kind, t.Addr, se.Message)
		case se.StatusCode == http.StatusNotFound:
			return anthropic.NotFound("model %q maps to Ollama model %q, which Ollama at %s does not have (%s): run `ollama pull %s`, or `clawbridge pull %s` (Pull in the menu)", t.Alias, t.Model, t.Addr, se.Message, t.Model, t.Alias)
		case se.StatusCode == http.StatusBadRequest && strings.Contains(se.Message, "exceeds the context length"):
			return anthropic.InvalidRequest("prompt is too long for the context window of %q (model %q): Ollama refused it rather than cut it (%s); shorten the conversation, or raise litellm_params.num_ctx for it in the config", t.Alias, t.Model, se.Message)
		case se.StatusCode == http.StatusBadRequest && strings.Contains(se.Message, "does not support tools"):
			return anthropic.InvalidRequest("Ollama model %q (for %q) cannot call tools: pick a model with tool support, or set supports_function_calling: false for it in the config to send requests without tools (Ollama said: %s)", t.Model, t.Alias, se.Message)
		case se.StatusCode == http.StatusBadRequest:
			return anthropic.InvalidRequest("%s rejected the request for %q (model %q): %s", kind, t.Alias, t.Model, se.Message)
		case se.StatusCode == http.StatusTooManyRequests || se.StatusCode == http.StatusServiceUnavailable:
			return anthropic.Overloaded("%s at %s is busy: %s", kind, t.Addr, se.Message)
		case looksLikeHTML(se.Message):
			return anthropic.Failure("%s at %s answered %d for model %q with a web page (%s) instead of an API answer: is something else (a proxy, another server) on that address?",
				kind, t.Addr, se.StatusCode, t.Model, pageSummary(se.Message))
		default:
			return anthropic.Failure("%s at %s answered %d for model %q: %s", kind, t.Addr, se.StatusCode, t.Model, se.Message)
		}
	case errors.As(err, &qe):
		return anthropic.Overloaded("%s", qe.Error())
	case errors.As(err, &pe):
		return anthropic.Failure("%s at %s sent a line that is not part of an answer (model %q): %v", kind, t.Addr, t.Model, pe.Err)
	case errors.As(err, &me):
		return anthropic.Failure("%s failed in the middle of the answer (model %q): %s", kind, t.Model, me.Message)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return anthropic.Failure("%s at %s dropped the connection in the middle of the answer (model %q): %v", kind, t.Addr, t.Model, err)
	case errors.Is(err, upstream.ErrIncomplete):
		return anthropic.Failure("%s ended the answer early (model %q)", kind, t.Model)
	case errors.Is(err, errNoDeployment):
		return anthropic.Failure("model %q has no usable entry in the config", t.Alias)
	default:
		return anthropic.Failure("talking to %s at %s (model %q): %v", kind, t.Addr, t.Model, err)
	}
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
