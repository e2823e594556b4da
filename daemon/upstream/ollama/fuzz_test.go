package ollama

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/upstream"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// addStreamSeeds seeds a fuzzer with the answers recorded from the real
// Ollama (testdata/streams, see capture_test.go) and a few hand-made
// failures: an error line mid-stream, a line cut short, a bare error body.
func addStreamSeeds(f *testing.F, add func(status int, body []byte)) {
	files, _ := filepath.Glob(filepath.Join("testdata", "streams", "*.http"))
	if len(files) == 0 {
		f.Fatal("no recorded streams in testdata/streams")
	}
	for _, file := range files {
		status, body := ollamatest.ReadCapture(f, strings.TrimSuffix(filepath.Base(file), ".http"))
		add(status, body)
	}
	add(200, []byte(`{"model":"tiny","message":{"role":"assistant","content":"a"},"done":false}`+"\n"+`{"error":"model runner has unexpectedly stopped"}`+"\n"))
	add(200, []byte(`{"model":"tiny","message":{"role":"assistant","content":"a"},"done":false}`+"\n"+`{"model":"tiny","mess`))
	add(500, []byte("<html><body>Bad gateway</body></html>"))
}

// errCallback is what the fuzzers' callback returns to stop a stream, to
// check that Chat hands it back unchanged.
var errCallback = errors.New("callback stop")

// checkStreamError fails unless err is one Chat documents for a body that
// arrived: nil after a done line, upstream.ErrIncomplete, a *upstream.StreamError, the
// callback's own error, or a *upstream.ProtocolError for a line that is not
// Ollama's JSON.
func checkStreamError(t *testing.T, err error, got []*ChatResponse) {
	t.Helper()
	var (
		se *upstream.StreamError
		pe *upstream.ProtocolError
	)
	switch {
	case err == nil:
		if len(got) == 0 || !got[len(got)-1].Done {
			t.Fatal("nil error without a done line")
		}
	case errors.Is(err, upstream.ErrIncomplete), errors.Is(err, errCallback), errors.As(err, &se), errors.As(err, &pe):
	default:
		t.Fatalf("untyped error %T: %v", err, err)
	}
	for i, r := range got {
		if r.Done && i != len(got)-1 {
			t.Fatal("a response was delivered after the done line")
		}
		if r.Error != "" {
			t.Fatal("an error line was delivered as a response")
		}
	}
}

// FuzzReadStream feeds arbitrary bytes to the NDJSON stream reader as an
// /api/chat body. It must never panic, stop at the done line, and fail
// only with the errors Chat documents.
func FuzzReadStream(f *testing.F) {
	addStreamSeeds(f, func(_ int, body []byte) { f.Add(body, uint8(0)) })
	f.Fuzz(func(t *testing.T, body []byte, stopAt uint8) {
		var got []*ChatResponse
		err := readStream(bytes.NewReader(body), func(r *ChatResponse) error {
			got = append(got, r)
			if stopAt > 0 && len(got) == int(stopAt) {
				return errCallback
			}
			return nil
		})
		checkStreamError(t, err, got)
		if errors.Is(err, errCallback) && len(got) != int(stopAt) {
			t.Fatalf("callback error after %d responses, stopped at %d", stopAt, len(got))
		}
	})
}

// cannedOllama is an HTTP server that answers /api/chat with whatever
// status and body the fuzzer chose last. Fuzz inputs run one at a time in
// each worker process, so one server serves them all.
type cannedOllama struct {
	mu     sync.Mutex
	status int
	body   []byte
	srv    *httptest.Server
}

func newCannedOllama(t testing.TB) *cannedOllama {
	c := &cannedOllama{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		status, body := c.status, c.body
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// chat answers one Chat call with status and body.
func (c *cannedOllama) chat(t testing.TB, status int, body []byte, fn func(*ChatResponse) error) error {
	c.mu.Lock()
	c.status, c.body = status, body
	c.mu.Unlock()
	client, err := New(c.srv.URL, c.srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // hang guard
	defer cancel()
	return client.Chat(ctx, &ChatRequest{Model: "tiny", Stream: true}, fn)
}

// chatWith runs one Chat call against a server answering status and body.
func chatWith(t testing.TB, status int, body []byte, fn func(*ChatResponse) error) error {
	return newCannedOllama(t).chat(t, status, body, fn)
}

// FuzzChat sends arbitrary answers, status code included, through a real
// HTTP exchange to Chat. Beyond FuzzReadStream's rules: a non-2xx answer is
// a *upstream.StatusError with that code and a non-empty message of bounded length,
// and nothing reaches the callback.
func FuzzChat(f *testing.F) {
	addStreamSeeds(f, func(status int, body []byte) { f.Add(uint16(status), body) })
	srv := newCannedOllama(f)
	f.Fuzz(func(t *testing.T, status uint16, body []byte) {
		code := 200 + int(status)%400 // 200..599: what a server may answer
		if code < 200 || code == 204 || code == 304 || code/100 == 1 {
			code = 200
		}
		var got []*ChatResponse
		err := srv.chat(t, code, body, func(r *ChatResponse) error {
			got = append(got, r)
			return nil
		})
		if code/100 != 2 {
			var se *upstream.StatusError
			if !errors.As(err, &se) || se.StatusCode != code {
				t.Fatalf("status %d: err = %v, want a upstream.StatusError", code, err)
			}
			if se.Message == "" || len(se.Message) > 4<<10 {
				t.Fatalf("status %d: message of %d bytes", code, len(se.Message))
			}
			if len(got) > 0 {
				t.Fatal("a non-2xx body reached the callback")
			}
			return
		}
		checkStreamError(t, err, got)
	})
}

// TestStatusMessages pins down what a non-2xx answer says: Ollama's own
// message when the body is its JSON, else the start of the body.
func TestStatusMessages(t *testing.T) {
	long := strings.Repeat("x", 300)
	for body, want := range map[string]string{
		`{"error":"model \"x\" not found, try pulling it first"}`: `model "x" not found, try pulling it first`,
		"<html>Bad gateway</html>\n":                              "<html>Bad gateway</html>",
		"":                                                        "(empty body)",
		long:                                                      long[:200] + "…",
	} {
		err := chatWith(t, 502, []byte(body), func(*ChatResponse) error { return nil })
		var se *upstream.StatusError
		if !errors.As(err, &se) || se.StatusCode != 502 || se.Message != want {
			t.Errorf("body %s: err = %v, want message %q", strconv.Quote(body), err, want)
		}
	}
}
