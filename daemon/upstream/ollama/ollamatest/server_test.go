package ollamatest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/upstream"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// These tests run the real Ollama ($CLAWBRIDGE_OLLAMA_BIN) with the tiny
// models and check every script through the project's own client.

var tools = []ollama.Tool{
	{Type: "function", Function: ollama.ToolFunction{Name: ollamatest.ToolWeather, Description: "Current weather", Parameters: json.RawMessage(ollamatest.WeatherParameters)}},
	{Type: "function", Function: ollama.ToolFunction{Name: ollamatest.ToolTime, Description: "Current time", Parameters: json.RawMessage(ollamatest.TimeParameters)}},
}

// hangGuard bounds a request; it never decides a test's outcome by itself.
func hangGuard(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func client(t *testing.T, s *ollamatest.Server) *ollama.Client {
	c, err := ollama.New(s.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// reply is a chat answer put back together from its responses.
type reply struct {
	content, thinking string
	calls             []ollama.ToolCall
	last              ollama.ChatResponse
	pieces            int // responses that carried content, thinking or calls
	err               error
}

func chat(t *testing.T, c *ollama.Client, req ollama.ChatRequest) reply {
	t.Helper()
	var r reply
	r.err = c.Chat(hangGuard(t), &req, func(res *ollama.ChatResponse) error {
		r.content += res.Message.Content
		r.thinking += res.Message.Thinking
		r.calls = append(r.calls, res.Message.ToolCalls...)
		if res.Message.Content != "" || res.Message.Thinking != "" || len(res.Message.ToolCalls) > 0 {
			r.pieces++
		}
		r.last = *res
		return nil
	})
	return r
}

func user(s string) []ollama.Message { return []ollama.Message{{Role: "user", Content: s}} }

func intp(n int) *int { return &n }

type call struct{ name, args string }

func calls(t *testing.T, tcs []ollama.ToolCall) []call {
	t.Helper()
	var out []call
	for _, tc := range tcs {
		// Compare arguments as JSON values: key order is Ollama's business.
		var v any
		if err := json.Unmarshal(tc.Function.Arguments, &v); err != nil {
			t.Fatalf("tool call arguments %s: %v", tc.Function.Arguments, err)
		}
		b, _ := json.Marshal(v)
		out = append(out, call{tc.Function.Name, string(b)})
		if tc.ID == "" {
			t.Errorf("tool call %s has no id", tc.Function.Name)
		}
	}
	return out
}

func TestScripts(t *testing.T) {
	s := ollamatest.Start(t)
	c := client(t, s)

	afterTool := []ollama.Message{
		{Role: "user", Content: "What's the weather in Paris?"},
		{Role: "assistant", ToolCalls: []ollama.ToolCall{{Function: ollama.ToolCallFunction{Name: ollamatest.ToolWeather, Arguments: json.RawMessage(ollamatest.ToolWeatherArgs)}}}},
		{Role: "tool", ToolName: ollamatest.ToolWeather, Content: `{"sky":"sunny"}`},
	}
	weather := call{ollamatest.ToolWeather, ollamatest.ToolWeatherArgs}
	clock := call{ollamatest.ToolTime, ollamatest.ToolTimeArgs}

	for _, tc := range []struct {
		name      string
		req       ollama.ChatRequest
		content   string
		thinking  string
		calls     []call
		reason    string
		evalCount int // 0: any positive count
	}{
		{name: "default", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("hi")},
			content: ollamatest.ReplyDefault, reason: "stop"},
		{name: "default with tools offered", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("hi"), Tools: tools},
			content: ollamatest.ReplyDefault, reason: "stop"},
		{name: "weather", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("What's the weather in Paris?"), Tools: tools},
			calls: []call{weather}, reason: "stop"},
		{name: "weather without tools", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("weather")},
			content: ollamatest.ReplyDefault, reason: "stop"},
		{name: "two tools", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("use two tools"), Tools: tools},
			calls: []call{weather, clock}, reason: "stop"},
		{name: "after tool", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: afterTool, Tools: tools},
			content: ollamatest.ReplyAfterTool, reason: "stop"},
		{name: "jsontool is text", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("jsontool"), Tools: tools},
			content: ollamatest.ReplyJSONTool, reason: "stop"},
		{name: "bare arguments is text", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("bare arguments"), Tools: tools},
			content: ollamatest.ReplyBareArguments, reason: "stop"},
		{name: "bare parameters is text", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("bare parameters"), Tools: tools},
			content: ollamatest.ReplyBareParameters, reason: "stop"},
		{name: "tagged call with tools is a call", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("tagged call"), Tools: tools},
			content: ollamatest.ReplyTaggedCallProse + "\n", calls: []call{weather}, reason: "stop"},
		{name: "tagged call without tools is text", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("tagged call")},
			content: ollamatest.ReplyTaggedCall, reason: "stop"},
		{name: "tagged call on notools is text", req: ollama.ChatRequest{Model: ollamatest.ModelNoTools, Messages: user("tagged call"), Think: json.RawMessage("false")},
			content: ollamatest.ReplyTaggedCall, reason: "stop"},
		{name: "fenced write is text", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("fenced write"), Tools: tools},
			content: ollamatest.ReplyFencedWrite, reason: "stop"},
		{name: "prose write is text", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("prose write"), Tools: tools},
			content: ollamatest.ReplyProseWrite, reason: "stop"},
		{name: "codeword in the first of two user messages", req: ollama.ChatRequest{Model: ollamatest.ModelTiny,
			Messages: []ollama.Message{{Role: "user", Content: "codeword"}, {Role: "user", Content: "more context"}}},
			content: ollamatest.ReplyCodeword, reason: "stop"},
		{name: "several calls is text", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("several calls"), Tools: tools},
			content: ollamatest.ReplySeveralCalls, reason: "stop"},
		{name: "bad arguments is text", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("bad arguments"), Tools: tools},
			content: ollamatest.ReplyBadArguments, reason: "stop"},
		{name: "json prose is text", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("json prose"), Tools: tools},
			content: ollamatest.ReplyJSONProse, reason: "stop"},
		{name: "json object", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("json object")},
			content: ollamatest.ReplyJSONObject, reason: "stop"},
		{name: "json object in format json", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("json object"), Format: json.RawMessage(`"json"`), Think: json.RawMessage("false")},
			content: ollamatest.ReplyJSONObject, reason: "stop"},
		{name: "json object in a schema", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("json object"), Think: json.RawMessage("false"),
			Format: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"},"sky":{"type":"string"}},"required":["city","sky"]}`)},
			content: ollamatest.ReplyJSONObject, reason: "stop"},
		{name: "think by default", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("think")},
			content: ollamatest.ThinkAnswer, thinking: ollamatest.ThinkThinking, reason: "stop"},
		{name: "think true", req: ollama.ChatRequest{Model: ollamatest.ModelNoTools, Messages: user("Think!"), Think: json.RawMessage("true")},
			content: ollamatest.ThinkAnswer, thinking: ollamatest.ThinkThinking, reason: "stop"},
		{name: "think false", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("think"), Think: json.RawMessage("false")},
			content: ollamatest.ThinkAnswer, reason: "stop"},
		{name: "think on plain", req: ollama.ChatRequest{Model: ollamatest.ModelPlain, Messages: user("think")},
			content: ollamatest.ThinkAnswer, reason: "stop"},
		{name: "loop until num_predict", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("loop"), Options: &ollama.Options{NumPredict: intp(7)}},
			content: "tick tock tick tock tick tock tick ", reason: "length", evalCount: 7},
		{name: "stop sequence", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("stop"), Options: &ollama.Options{Stop: []string{"gamma"}}},
			content: "alpha beta ", reason: "stop"},
		{name: "no stop sequence", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("stop")},
			content: ollamatest.ReplyStop, reason: "stop"},
		{name: "unicode", req: ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("unicode")},
			content: ollamatest.ReplyUnicode, reason: "stop"},
	} {
		for _, stream := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/stream=%v", tc.name, stream), func(t *testing.T) {
				req := tc.req
				req.Stream = stream
				r := chat(t, c, req)
				if r.err != nil {
					t.Fatal(r.err)
				}
				if r.content != tc.content {
					t.Errorf("content %q, want %q", r.content, tc.content)
				}
				if r.thinking != tc.thinking {
					t.Errorf("thinking %q, want %q", r.thinking, tc.thinking)
				}
				if got := calls(t, r.calls); !slices.Equal(got, tc.calls) {
					t.Errorf("tool calls %v, want %v", got, tc.calls)
				}
				if !r.last.Done || r.last.DoneReason != tc.reason {
					t.Errorf("done %v, done_reason %q, want %q", r.last.Done, r.last.DoneReason, tc.reason)
				}
				if r.last.PromptEvalCount <= 0 {
					t.Errorf("prompt_eval_count %d", r.last.PromptEvalCount)
				}
				if tc.evalCount > 0 && r.last.EvalCount != tc.evalCount || r.last.EvalCount <= 0 {
					t.Errorf("eval_count %d, want %d", r.last.EvalCount, tc.evalCount)
				}
				// A multi-token text reply arrives in several pieces when streamed.
				if stream && len(tc.calls) == 0 && r.pieces < 2 {
					t.Errorf("streamed in %d pieces", r.pieces)
				}
			})
		}
	}
}

// Ollama gives up on a token repeated over 30 times and closes the stream
// without a done line; the client reports that as ErrIncomplete.
func TestRepeatEndsWithoutDone(t *testing.T) {
	s := ollamatest.Start(t)
	c := client(t, s)
	for _, stream := range []bool{true, false} {
		r := chat(t, c, ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("repeat"), Stream: stream})
		if !errors.Is(r.err, upstream.ErrIncomplete) {
			t.Errorf("stream=%v: error %v, want ErrIncomplete", stream, r.err)
		}
		if !strings.HasPrefix(r.content, strings.Repeat(ollamatest.ReplyRepeat, 10)) {
			t.Errorf("stream=%v: content %q", stream, r.content)
		}
	}
}

func TestCapabilities(t *testing.T) {
	s := ollamatest.Start(t)
	c := client(t, s)
	ctx := hangGuard(t)
	for model, want := range map[string][]string{
		ollamatest.ModelTiny:    {"completion", "tools", "thinking"},
		ollamatest.ModelNoTools: {"completion", "thinking"},
		ollamatest.ModelPlain:   {"completion"},
		ollamatest.ModelAlt:     {"completion", "tools", "thinking"},
	} {
		show, err := c.Show(ctx, model)
		if err != nil {
			t.Fatalf("show %s: %v", model, err)
		}
		if got := slices.Sorted(slices.Values(show.Capabilities)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
			t.Errorf("%s capabilities %v, want %v", model, show.Capabilities, want)
		}
		if show.Details.Family != "llama" || show.ModelInfo["llama.context_length"] != float64(65536) {
			t.Errorf("%s: family %q, context length %v", model, show.Details.Family, show.ModelInfo["llama.context_length"])
		}
	}

	tags, err := c.Tags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range tags.Models {
		names = append(names, m.Name)
	}
	slices.Sort(names)
	if want := []string{"tiny-alt:latest", "tiny-notools:latest", "tiny-plain:latest", "tiny:latest"}; !slices.Equal(names, want) {
		t.Errorf("tags %v, want %v", names, want)
	}
}

// Ollama itself refuses what a model's template cannot do.
func TestMissingCapabilitiesAreRefused(t *testing.T) {
	s := ollamatest.Start(t)
	c := client(t, s)
	for _, tc := range []struct {
		name string
		req  ollama.ChatRequest
		want string
	}{
		{"tools on tiny-notools", ollama.ChatRequest{Model: ollamatest.ModelNoTools, Messages: user("weather"), Tools: tools}, "does not support tools"},
		{"tools on tiny-plain", ollama.ChatRequest{Model: ollamatest.ModelPlain, Messages: user("weather"), Tools: tools}, "does not support tools"},
		{"think on tiny-plain", ollama.ChatRequest{Model: ollamatest.ModelPlain, Messages: user("think"), Think: json.RawMessage("true")}, "does not support thinking"},
		{"unknown model", ollama.ChatRequest{Model: "nope", Messages: user("hi")}, "not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := chat(t, c, tc.req)
			var se *upstream.StatusError
			if !errors.As(r.err, &se) || se.StatusCode/100 != 4 || !strings.Contains(se.Message, tc.want) {
				t.Errorf("error %v, want a 4xx saying %q", r.err, tc.want)
			}
		})
	}
}

func TestStopAndRestart(t *testing.T) {
	s := ollamatest.Start(t)
	c := client(t, s)
	url := s.URL
	if r := chat(t, c, ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("hi")}); r.err != nil || r.content != ollamatest.ReplyDefault {
		t.Fatalf("before stop: %q, %v", r.content, r.err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	var ue *upstream.UnreachableError
	if _, err := c.Version(hangGuard(t)); !errors.As(err, &ue) {
		t.Fatalf("stopped server: error %v, want UnreachableError", err)
	}
	if err := s.Restart(hangGuard(t)); err != nil {
		t.Fatal(err)
	}
	if s.URL != url {
		t.Errorf("restarted on %s, was %s", s.URL, url)
	}
	if v, err := c.Version(hangGuard(t)); err != nil || v != "0.17.4" {
		t.Errorf("version %q, %v", v, err)
	}
	if r := chat(t, c, ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("hi")}); r.err != nil || r.content != ollamatest.ReplyDefault {
		t.Errorf("after restart: %q, %v", r.content, r.err)
	}
	// Restart also works on a running server.
	if err := s.Restart(hangGuard(t)); err != nil {
		t.Fatal(err)
	}
	if r := chat(t, c, ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("weather"), Tools: tools}); r.err != nil || len(r.calls) != 1 {
		t.Errorf("after second restart: %v, %v", r.calls, r.err)
	}
}

// The Modelfile route (`ollama create -f`, as a person would) makes the
// same model as Start's API calls.
func TestModelfileWithCLI(t *testing.T) {
	s := ollamatest.Start(t)
	c := client(t, s)
	dir := t.TempDir()
	blob, err := ollamatest.ModelGGUF()
	if err != nil {
		t.Fatal(err)
	}
	gguf := filepath.Join(dir, "tiny.gguf")
	if err := os.WriteFile(gguf, blob, 0o644); err != nil {
		t.Fatal(err)
	}
	mf, err := ollamatest.Modelfile(ollamatest.ModelTiny, gguf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Modelfile"), []byte(mf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(hangGuard(t), os.Getenv(ollamatest.EnvBin), "create", "by-hand", "-f", "Modelfile")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "OLLAMA_HOST="+s.URL, "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ollama create: %v\n%s", err, out)
	}
	show, err := c.Show(hangGuard(t), "by-hand")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ollamatest.Template(ollamatest.ModelTiny)
	if show.Template != want {
		t.Errorf("template differs:\n%s", show.Template)
	}
	r := chat(t, c, ollama.ChatRequest{Model: "by-hand", Messages: user("think about the weather"), Tools: tools})
	if r.err != nil || len(r.calls) != 1 || r.calls[0].Function.Name != ollamatest.ToolWeather {
		t.Errorf("by-hand model: calls %v, content %q, err %v", r.calls, r.content, r.err)
	}
}

// prose returns n bytes of English-like text, different for each seed so
// that Ollama's prompt cache cannot reuse an earlier prompt.
func prose(n int, seed int64) string {
	words := strings.Fields(`the model reads a tool description and its parameters then calls the
		function with a JSON object of arguments while the assistant keeps the session state
		in memory and writes each reply to the current channel of the user`)
	rng := rand.New(rand.NewSource(seed))
	var b strings.Builder
	fmt.Fprintf(&b, "Prompt %d. ", seed)
	for b.Len() < n {
		b.WriteString(words[rng.Intn(len(words))])
		b.WriteByte(' ')
	}
	return b.String()[:n]
}

// A Clawdbot-sized prompt (about 40k characters of system prompt) still
// ends in the marker: the scripts work at that length when the request
// raises num_ctx.
func TestLongPrompt(t *testing.T) {
	s := ollamatest.Start(t)
	c := client(t, s)
	msgs := []ollama.Message{{Role: "system", Content: prose(40000, 1)}, {Role: "user", Content: "What's the weather?"}}
	r := chat(t, c, ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: msgs, Tools: tools, Options: &ollama.Options{NumCtx: intp(32768)}})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := calls(t, r.calls); len(got) != 1 || got[0].name != ollamatest.ToolWeather {
		t.Errorf("tool calls %v", got)
	}
	t.Logf("40000-character system prompt: %d prompt tokens evaluated in %v (load %v)",
		r.last.PromptEvalCount, r.last.PromptEvalDuration, r.last.LoadDuration)
	if r.last.PromptEvalCount < 5000 {
		t.Errorf("prompt_eval_count %d: the prompt was truncated", r.last.PromptEvalCount)
	}
}

// BenchmarkPromptEval reports Ollama's prompt evaluation time for prompts
// of about 4k and 32k tokens (this prose compresses to about 4.7
// characters a token; Clawdbot-like text with code, to 2.5-3.5).
func BenchmarkPromptEval(b *testing.B) {
	s, err := ollamatest.StartServer(context.Background(), ollamatest.Options{})
	if errors.Is(err, ollamatest.ErrNoBinary) {
		b.Skip(err)
	}
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c, err := ollama.New(s.URL, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range []struct {
		name  string
		chars int
	}{{"4k", 19000}, {"32k", 150000}} {
		b.Run(size.name, func(b *testing.B) {
			var tokens int
			var eval time.Duration
			for i := range b.N {
				req := ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: []ollama.Message{
					{Role: "system", Content: prose(size.chars, int64(i))}, {Role: "user", Content: "hi"},
				}, Options: &ollama.Options{NumCtx: intp(40000)}}
				err := c.Chat(context.Background(), &req, func(r *ollama.ChatResponse) error {
					if r.Done {
						tokens, eval = r.PromptEvalCount, eval+r.PromptEvalDuration
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(tokens), "prompt-tokens")
			b.ReportMetric(eval.Seconds()/float64(b.N), "eval-s/op")
		})
	}
}
