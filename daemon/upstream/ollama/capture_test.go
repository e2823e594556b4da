package ollama

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/upstream"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

var capture = flag.Bool("capture", false, "record testdata/streams/ from the real Ollama (needs $CLAWBRIDGE_OLLAMA_BIN)")

// captures are the /api/chat answers recorded from the real Ollama into
// testdata/streams/<name>.http: the fuzzers' seeds and the streams
// TestCapturedStreams replays. Each file is the status code on the first
// line, then the body exactly as Ollama sent it.
var captures = []ollamatest.Capture{
	{Name: "text", Body: chatBody(ollamatest.ModelTiny, "Hi there", true, "")},
	{Name: "text-unary", Body: chatBody(ollamatest.ModelTiny, "Hi there", false, "")},
	{Name: "think", Body: chatBody(ollamatest.ModelTiny, "Please think", true, "")},
	{Name: "tool", Body: chatBody(ollamatest.ModelTiny, "What's the weather?", true, tools(ollamatest.ToolWeather))},
	{Name: "two-tools", Body: chatBody(ollamatest.ModelTiny, "Use two tools", true, tools(ollamatest.ToolWeather, ollamatest.ToolTime))},
	{Name: "unicode", Body: chatBody(ollamatest.ModelTiny, "Say unicode", true, "")},
	{Name: "stop", Body: strings.Replace(chatBody(ollamatest.ModelTiny, "Please stop", true, ""), `"stream":true`, `"stream":true,"options":{"stop":["gamma"]}`, 1)},
	{Name: "length", Body: strings.Replace(chatBody(ollamatest.ModelTiny, "Loop", true, ""), `"stream":true`, `"stream":true,"options":{"num_predict":8}`, 1)},
	{Name: "repeat-incomplete", Body: chatBody(ollamatest.ModelTiny, "Repeat", true, "")},
	{Name: "no-such-model", Body: chatBody("no-such-model", "Hi", true, "")},
	{Name: "tools-refused", Body: chatBody(ollamatest.ModelNoTools, "What's the weather?", true, tools(ollamatest.ToolWeather))},
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
	ollamatest.Record(t, "/api/chat", captures)
}

// TestCapturedStreams replays every recorded answer through the client and
// checks it reads as Ollama meant it: a complete answer, a stream cut off
// without a done line, or an HTTP error with Ollama's message.
func TestCapturedStreams(t *testing.T) {
	want := map[string]func(error, []*ChatResponse) error{
		"repeat-incomplete": func(err error, _ []*ChatResponse) error {
			if !errors.Is(err, upstream.ErrIncomplete) {
				return fmt.Errorf("err = %v, want upstream.ErrIncomplete", err)
			}
			return nil
		},
		"no-such-model": wantStatus(404, "not found"),
		"tools-refused": wantStatus(400, "does not support tools"),
	}
	for _, c := range captures {
		t.Run(c.Name, func(t *testing.T) {
			status, body := ollamatest.ReadCapture(t, c.Name)
			var got []*ChatResponse
			err := chatWith(t, status, body, func(r *ChatResponse) error {
				got = append(got, r)
				return nil
			})
			check := want[c.Name]
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
		var se *upstream.StatusError
		if !errors.As(err, &se) || se.StatusCode != code || !strings.Contains(se.Message, msg) {
			return fmt.Errorf("err = %v, want a %d upstream.StatusError saying %q", err, code, msg)
		}
		return nil
	}
}
