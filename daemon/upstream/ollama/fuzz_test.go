package ollama

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/upstream"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
	"github.com/clawbridge/clawbridge/daemon/upstream/upstreamtest"
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

// checkStreamError fails unless err is one Chat documents for a body that
// arrived (see upstreamtest.CheckStreamError; nil only after a done line),
// nothing follows the done line, and no error line is delivered.
func checkStreamError(t *testing.T, err error, got []*ChatResponse) {
	t.Helper()
	upstreamtest.CheckStreamError(t, err, len(got) > 0 && got[len(got)-1].Done, "nil error without a done line")
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
		got := upstreamtest.Collector[*ChatResponse]{StopAt: int(stopAt)}
		err := readStream(bytes.NewReader(body), got.Add)
		checkStreamError(t, err, got.Got)
		got.CheckStop(t, err)
	})
}

// cannedOllama answers /api/chat with whatever status and body the
// fuzzer chose last.
type cannedOllama struct{ srv *upstreamtest.Server }

func newCannedOllama(t testing.TB) *cannedOllama {
	return &cannedOllama{srv: upstreamtest.NewServer(t, "application/x-ndjson")}
}

// chat answers one Chat call with status and body.
func (c *cannedOllama) chat(t testing.TB, status int, body []byte, fn func(*ChatResponse) error) error {
	c.srv.Answer(status, body)
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
		code := upstreamtest.FuzzStatus(status)
		var got upstreamtest.Collector[*ChatResponse]
		err := srv.chat(t, code, body, got.Add)
		if code/100 != 2 {
			upstreamtest.CheckStatusError(t, err, code, len(got.Got))
			return
		}
		checkStreamError(t, err, got.Got)
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
