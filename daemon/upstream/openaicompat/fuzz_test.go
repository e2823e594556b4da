package openaicompat

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/upstream"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
	"github.com/clawbridge/clawbridge/daemon/upstream/upstreamtest"
)

var capture = flag.Bool("capture", false, "record testdata/streams/ from the real Ollama's OpenAI-compatible API (needs $CLAWBRIDGE_OLLAMA_BIN)")

// captures are the /v1/chat/completions answers recorded from the real
// Ollama into testdata/streams/<name>.http, as ChatStream asks for them
// (streaming, usage included): the fuzzers' seeds and the streams
// TestCapturedStreams replays. Each file is the status code on the first
// line, then the body exactly as Ollama sent it.
var captures = []ollamatest.Capture{
	{Name: "text", Body: streamBody(ollamatest.ModelTiny, "Hi there", "")},
	{Name: "tool", Body: streamBody(ollamatest.ModelTiny, "What's the weather?", `,"tools":[`+weatherTool+`]`)},
	{Name: "two-tools", Body: streamBody(ollamatest.ModelTiny, "Use two tools", `,"tools":[`+weatherTool+`,{"type":"function","function":{"name":"`+ollamatest.ToolTime+`","parameters":`+ollamatest.TimeParameters+`}}]`)},
	{Name: "think", Body: streamBody(ollamatest.ModelTiny, "Please think", "")},
	{Name: "unicode", Body: streamBody(ollamatest.ModelTiny, "Say unicode", "")},
	{Name: "length", Body: streamBody(ollamatest.ModelTiny, "Loop", `,"max_tokens":8`)},
	{Name: "repeat", Body: streamBody(ollamatest.ModelTiny, "Repeat", "")},
	{Name: "no-such-model", Body: streamBody("no-such-model", "Hi", "")},
	{Name: "tools-refused", Body: streamBody(ollamatest.ModelNoTools, "What's the weather?", `,"tools":[`+weatherTool+`]`)},
}

var weatherTool = `{"type":"function","function":{"name":"` + ollamatest.ToolWeather + `","parameters":` + ollamatest.WeatherParameters + `}}`

func streamBody(model, text, extra string) string {
	return fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":%q}],"stream":true,"stream_options":{"include_usage":true}%s}`, model, text, extra)
}

// TestCaptureStreams records testdata/streams/ from the real Ollama when
// run with -capture; without it there is nothing to do.
func TestCaptureStreams(t *testing.T) {
	if !*capture {
		t.Skip("run with -capture to record testdata/streams/ from the real Ollama")
	}
	ollamatest.Record(t, "/v1/chat/completions", captures)
}

// cannedServer answers /v1/chat/completions with whatever status and body
// the fuzzer chose last, to one client.
type cannedServer struct {
	srv    *upstreamtest.Server
	client *Client
}

func newCannedServer(t testing.TB) *cannedServer {
	srv := upstreamtest.NewServer(t, "text/event-stream")
	client, err := New(srv.URL+"/v1", "sk-fuzz", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return &cannedServer{srv: srv, client: client}
}

// chat runs one ChatStream call answered with status and body.
func (c *cannedServer) chat(status int, body []byte, fn func(*ChatCompletionChunk) error) error {
	c.srv.Answer(status, body)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // hang guard
	defer cancel()
	return c.client.ChatStream(ctx, &ChatRequest{Model: "m"}, fn)
}

// TestCapturedStreams replays every recorded answer through the client:
// each reads as Ollama meant it.
func TestCapturedStreams(t *testing.T) {
	srv := newCannedServer(t)
	want := map[string]string{
		"no-such-model": "404",
		"tools-refused": "400",
	}
	for _, c := range captures {
		t.Run(c.Name, func(t *testing.T) {
			status, body := ollamatest.ReadCapture(t, c.Name)
			var chunks []*ChatCompletionChunk
			err := srv.chat(status, body, func(ch *ChatCompletionChunk) error {
				chunks = append(chunks, ch)
				return nil
			})
			if code, ok := want[c.Name]; ok {
				var se *upstream.StatusError
				if !errors.As(err, &se) || fmt.Sprint(se.StatusCode) != code || se.Message == "" {
					t.Fatalf("err = %v, want a %s upstream.StatusError", err, code)
				}
				return
			}
			if c.Name == "repeat" {
				// Ollama aborts a model repeating itself and ends the
				// stream with neither a finish_reason nor [DONE].
				if !errors.Is(err, upstream.ErrIncomplete) || len(chunks) == 0 {
					t.Fatalf("err = %v after %d chunks, want upstream.ErrIncomplete after some", err, len(chunks))
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v, want a complete answer", err)
			}
			finish := ""
			for _, ch := range chunks {
				for _, choice := range ch.Choices {
					if choice.FinishReason != nil {
						finish = *choice.FinishReason
					}
				}
			}
			if finish == "" || chunks[len(chunks)-1].Usage == nil {
				t.Fatalf("finish %q, usage on the last chunk %v: want both", finish, chunks[len(chunks)-1].Usage)
			}
		})
	}
}

// addStreamSeeds seeds a fuzzer with the recorded answers and a few
// hand-made failures in the shapes other servers use: an error event
// mid-stream (OpenAI's, llama.cpp's with a numeric code, a bare string),
// an event cut short, an HTML error page.
func addStreamSeeds(f *testing.F, add func(status int, body []byte)) {
	for _, c := range captures {
		add(ollamatest.ReadCapture(f, c.Name))
	}
	chunk := `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}` + "\n\n"
	add(200, []byte(chunk+`data: {"error":{"message":"out of memory","type":"server_error","param":null,"code":null}}`+"\n\n"))
	add(200, []byte(chunk+`data: {"error":{"code":500,"message":"context shift failed","type":"server_error"}}`+"\n\n"))
	add(200, []byte(chunk+`data: {"error":"model crashed"}`+"\n\n"))
	add(200, []byte(chunk+`data: {"id":"c","object":"chat.comp`))
	add(200, []byte(": ping\n\nevent: message\nid: 1\nretry: 100\n"+chunk+`data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","function":{"name":"f","arguments":"{\"a\":"}}]}}]}`+"\n\n"+`data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]},"finish_reason":"tool_calls"}]}`+"\n\ndata: [DONE]\n\n"))
	add(502, []byte("<html><body>Bad gateway</body></html>"))
}

// checkStreamError fails unless err is one ChatStream documents for a body
// that arrived (see upstreamtest.CheckStreamError; nil only once the answer
// finished or sent [DONE]), and unless every chunk delivered is a chunk,
// never an error event.
func checkStreamError(t *testing.T, err error, body []byte, got []*ChatCompletionChunk) {
	t.Helper()
	upstreamtest.CheckStreamError(t, err, finished(body, got), "nil error for an answer that neither finished nor sent [DONE]")
	for i, ch := range got {
		if ch == nil {
			t.Fatalf("chunk %d is nil", i)
		}
	}
}

// finished reports whether an answer ended as a complete one does: body
// holds [DONE], or a chunk of got carries a finish_reason.
func finished(body []byte, got []*ChatCompletionChunk) bool {
	if bytes.Contains(body, []byte("[DONE]")) {
		return true
	}
	for _, ch := range got {
		if ch == nil {
			continue
		}
		for _, c := range ch.Choices {
			if c.FinishReason != nil && *c.FinishReason != "" {
				return true
			}
		}
	}
	return false
}

// FuzzReadEvents feeds arbitrary bytes to the server-sent events reader as
// a /chat/completions body. It must never panic, stop at [DONE], turn
// error events into a *upstream.StreamError rather than a chunk, and fail only with
// the errors ChatStream documents.
func FuzzReadEvents(f *testing.F) {
	addStreamSeeds(f, func(_ int, body []byte) { f.Add(body, uint8(0)) })
	f.Fuzz(func(t *testing.T, body []byte, stopAt uint8) {
		col := upstreamtest.Collector[*ChatCompletionChunk]{StopAt: int(stopAt)}
		err := readEvents(bytes.NewReader(body), col.Add)
		got := col.Got
		checkStreamError(t, err, body, got)
		col.CheckStop(t, err)
		// Whatever came before [DONE] is all there is: the same body cut
		// right after it yields the same chunks.
		if i := bytes.Index(body, []byte("data: [DONE]\n")); i >= 0 && (i == 0 || body[i-1] == '\n') && err == nil && stopAt == 0 {
			n := 0
			readEvents(bytes.NewReader(body[:i+len("data: [DONE]\n")]), func(*ChatCompletionChunk) error { n++; return nil })
			if n != len(got) {
				t.Fatalf("%d chunks, %d when the body ends at [DONE]", len(got), n)
			}
		}
	})
}

// TestErrorEvents pins down the error event shapes servers send: each is
// a *upstream.StreamError with the server's message, never a chunk (found while
// fuzzing: an error with a numeric code, as llama.cpp sends, or a bare
// string used to pass as an empty chunk).
func TestErrorEvents(t *testing.T) {
	for event, want := range map[string]string{
		`{"error":{"message":"out of memory","type":"server_error","param":null,"code":null}}`: "out of memory",
		`{"error":{"code":500,"message":"context shift failed","type":"server_error"}}`:        "context shift failed",
		`{"error":"model crashed"}`: "model crashed",
		`{"error":{"code":500}}`:    `{"code":500}`,
	} {
		n := 0
		err := readEvents(strings.NewReader("data: "+event+"\n\n"), func(*ChatCompletionChunk) error { n++; return nil })
		var se *upstream.StreamError
		if !errors.As(err, &se) || se.Message != want || n != 0 {
			t.Errorf("%s: err = %v after %d chunks, want a upstream.StreamError saying %q", event, err, n, want)
		}
	}
	n := 0
	err := readEvents(strings.NewReader(`data: {"error":null,"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\n"), func(*ChatCompletionChunk) error { n++; return nil })
	if err != nil || n != 1 {
		t.Errorf("a chunk with a null error: err = %v after %d chunks, want one chunk", err, n)
	}
	var pe *upstream.ProtocolError
	if err := readEvents(strings.NewReader("data: {nope\n\n"), func(*ChatCompletionChunk) error { return nil }); !errors.As(err, &pe) {
		t.Errorf("an event that is not JSON: err = %v, want a upstream.ProtocolError", err)
	}
}

// FuzzChatStream sends arbitrary answers, status code included, through a
// real HTTP exchange to ChatStream. Beyond FuzzReadEvents' rules: a non-2xx
// answer is a *upstream.StatusError with that code and a non-empty message of
// bounded length, and nothing reaches the callback.
func FuzzChatStream(f *testing.F) {
	addStreamSeeds(f, func(status int, body []byte) { f.Add(uint16(status), body) })
	srv := newCannedServer(f)
	f.Fuzz(func(t *testing.T, status uint16, body []byte) {
		code := upstreamtest.FuzzStatus(status)
		var got upstreamtest.Collector[*ChatCompletionChunk]
		err := srv.chat(code, body, got.Add)
		if code/100 != 2 {
			upstreamtest.CheckStatusError(t, err, code, len(got.Got))
			return
		}
		checkStreamError(t, err, body, got.Got)
	})
}
