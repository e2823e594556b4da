package models

import (
	"errors"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/upstream"
)

func TestExplain(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&upstream.StreamError{Server: "ollama", Message: "pull model manifest: file does not exist"}, "no such model"},
		{&upstream.StatusError{Server: "ollama", StatusCode: 500, Message: "write /m/blobs/x: no space left on device"}, "no space left"},
		{&upstream.StreamError{Server: "ollama", Message: `Get "https://registry.ollama.ai/v2/": dial tcp: lookup registry.ollama.ai: no such host`}, "network"},
		{&upstream.UnreachableError{Server: "ollama", Addr: "127.0.0.1:11434", Err: errors.New("connection refused")}, "Ollama is not running at 127.0.0.1:11434"},
		{errors.New("something else"), "something else"},
	} {
		if got := Explain("qwen3:8b", c.err); !strings.HasPrefix(got, c.want) {
			t.Errorf("Explain(%v) = %q, want it to start with %q", c.err, got, c.want)
		}
	}
}

func TestSameModel(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"llama3.1", "llama3.1:latest", true},
		{"llama3.1:8b", "llama3.1:latest", false},
		{"127.0.0.1:5000/library/tiny", "127.0.0.1:5000/library/tiny:latest", true},
		{"127.0.0.1:5000/library/tiny:latest", "tiny:latest", false},
	} {
		if got := SameModel(c.a, c.b); got != c.same {
			t.Errorf("SameModel(%q, %q) = %v", c.a, c.b, got)
		}
	}
}
