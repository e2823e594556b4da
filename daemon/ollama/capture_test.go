package ollama

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/ollama/ollamatest"
)

var capture = flag.Bool("capture", false, "record testdata/streams/ from the real Ollama (needs $CLAWBRIDGE_OLLAMA_BIN)")

// captures are the /api/chat answers recorded from the real Ollama into
// testdata/streams/<name>.http: the fuzzers' seeds and the streams
// TestCapturedStreams replays. Each file is the status code on the first
// line, then the body exactly as Ollama sent it.
var captures = []struct {
	name, body string
}{
	{"text", chatBody(ollamatest.ModelTiny, "Hi there", true, "")},
	{"text-unary", chatBody(ollamatest.ModelTiny, "Hi there", false, "")},
	{"think", chatBody(ollamatest.ModelTiny, "Please think", true, "")},
	{"tool", chatBody(ollamatest.ModelTiny, "What's the weather?", true, tools(ollamatest.ToolWeather))},
	{"two-tools", chatBody(ollamatest.ModelTiny, "Use two tools", true, tools(ollamatest.ToolWeather, ollamatest.ToolTime))},
	{"unicode", chatBody(ollamatest.ModelTiny, "Say unicode", true, "")},
	{"stop", strings.Replace(chatBody(ollamatest.ModelTiny, "Please stop", true, ""), `"stream":true`, `"stream":true,"options":{"stop":["gamma"]}`, 1)},
	{"length", strings.Replace(chatBody(ollamatest.ModelTiny, "Loop", true, ""), `"stream":true`, `"stream":true,"options":{"num_predict":8}`, 1)},
	{"repeat-incomplete", chatBody(ollamatest.ModelTiny, "Repeat", true, "")},
	{"no-such-model", chatBody("no-such-model", "Hi", true, "")},
	{"tools-refused", chatBody(ollamatest.ModelNoTools, "What's the weather?", true, tools(ollamatest.ToolWeather))},
}

func chatBody(model, text string, stream bool, tools string) string {
	s := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":%q}],"stream":%v`, model, text, stream)
	if tools != "" {
		s += `,"tools":` + tools
	}
	return s + "}"
}

func tools(names ...string) string {
	params := map[string]string{ollamatest.ToolWeather: ollamatest.WeatherParameters, ollamatest.ToolTime: ollamatest.TimeParameters}
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf(`{"type":"function","function":{"name":%q,"parameters":%s}}`, n, params[n]))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// TestCaptureStreams records testdata/streams/ from the real Ollama when
// run with -capture; without it there is nothing to do.
func TestCaptureStreams(t *testing.T) {
	if !*capture {
		t.Skip("run with -capture to record testdata/streams/ from the real Ollama")
	}
	s := ollamatest.Start(t)
	if err := os.MkdirAll(filepath.Join("testdata", "streams"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range captures {
		resp, err := http.Post(s.URL+"/api/chat", "application/json", strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		out := append([]byte(fmt.Sprintf("%d\n", resp.StatusCode)), body...)
		if err := os.WriteFile(filepath.Join("testdata", "streams", c.name+".http"), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCapturedStreams replays every recorded answer through the client and
// checks it reads as Ollama meant it: a complete answer, a stream cut off
// without a done line, or an HTTP error with Ollama's message.
func TestCapturedStreams(t *testing.T) {
	want := map[string]func(error, []*ChatResponse) error{
		"repeat-incomplete": func(err error, _ []*ChatResponse) error {
			if !errors.Is(err, ErrIncomplete) {
				return fmt.Errorf("err = %v, want ErrIncomplete", err)
			}
			return nil
		},
		"no-such-model": wantStatus(404, "not found"),
		"tools-refused": wantStatus(400, "does not support tools"),
	}
	for _, c := range captures {
		t.Run(c.name, func(t *testing.T) {
			status, body := readCapture(t, c.name)
			var got []*ChatResponse
			err := chatWith(t, status, body, func(r *ChatResponse) error {
				got = append(got, r)
				return nil
			})
			check := want[c.name]
			if check == nil {
				check = wantDone
			}
			if err := check(err, got); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func wantDone(err error, got []*ChatResponse) error {
	if err != nil {
		return fmt.Errorf("err = %v, want a complete answer", err)
	}
	if len(got) == 0 || !got[len(got)-1].Done {
		return errors.New("no done line delivered")
	}
	return nil
}

func wantStatus(code int, msg string) func(error, []*ChatResponse) error {
	return func(err error, _ []*ChatResponse) error {
		var se *StatusError
		if !errors.As(err, &se) || se.StatusCode != code || !strings.Contains(se.Message, msg) {
			return fmt.Errorf("err = %v, want a %d StatusError saying %q", err, code, msg)
		}
		return nil
	}
}

// readCapture returns a recorded answer's status code and body.
func readCapture(t testing.TB, name string) (int, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "streams", name+".http"))
	if err != nil {
		t.Fatalf("%v (record it with go test -run TestCaptureStreams -capture)", err)
	}
	first, body, _ := bytes.Cut(data, []byte("\n"))
	var status int
	if _, err := fmt.Sscan(string(first), &status); err != nil {
		t.Fatalf("%s: status line %q: %v", name, first, err)
	}
	return status, body
}
