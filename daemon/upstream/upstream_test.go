package upstream

import (
	"errors"
	"strings"
	"testing"
)

// TestErrorMessage pins down what a non-2xx answer says, in each shape of
// error body the servers send.
func TestErrorMessage(t *testing.T) {
	for body, want := range map[string]string{
		`{"error":{"message":"model 'x' not found","type":"api_error"}}`: "model 'x' not found",
		`{"error":"busy"}`:         "busy",
		`<html>Bad Gateway</html>`: "<html>Bad Gateway</html>",
		``:                         "(empty body)",
	} {
		if got := errorMessage(strings.NewReader(body)); got != want {
			t.Errorf("errorMessage(%q) = %q, want %q", body, got, want)
		}
	}
}

// TestErrorWords pins down how each error names its server: by kind and
// address for Ollama, by address alone for an OpenAI-compatible one.
func TestErrorWords(t *testing.T) {
	refused := errors.New("connection refused")
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&UnreachableError{Server: "ollama", Addr: "h:1", Err: refused}, "ollama at h:1 is unreachable: connection refused"},
		{&UnreachableError{Addr: "h:1", Err: refused}, "h:1 is unreachable: connection refused"},
		{&StatusError{Server: "ollama", StatusCode: 404, Message: "no model"}, "ollama answered 404: no model"},
		{&StatusError{StatusCode: 404, Message: "no model"}, "server answered 404: no model"},
		{&StreamError{Server: "ollama", Message: "oom"}, "ollama stream error: oom"},
		{&StreamError{Message: "oom"}, "stream error: oom"},
		{&ProtocolError{What: "stream event", Err: refused}, "decode stream event: connection refused"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("%T: %q, want %q", tc.err, got, tc.want)
		}
	}
}
