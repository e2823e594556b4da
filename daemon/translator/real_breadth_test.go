package translator

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
	"github.com/clawbridge/clawbridge/daemon/upstream/openaicompat"
)

// The tests in this file run the translator's breadth features against
// the real Ollama of package ollamatest: the OpenAI front end, an
// OpenAI-compatible backend (Ollama's own /v1), tool-call repair of the
// jsontool script, token counting, context sizing, and two Ollama
// processes sharing one model name.

func parseConfig(t *testing.T, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), "real.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// weatherToolsOpenAI offers the scripted tools in Chat Completions' shape.
var weatherToolsOpenAI = `,"tools":[{"type":"function","function":{"name":"` + ollamatest.ToolWeather + `","parameters":` + ollamatest.WeatherParameters + `}},` +
	`{"type":"function","function":{"name":"` + ollamatest.ToolTime + `","parameters":` + ollamatest.TimeParameters + `}}]`

// completion is what a client makes of a Chat Completions answer.
type completion struct {
	Text   string
	Calls  []openaicompat.ToolCall
	Finish string
	Usage  *openaicompat.Usage
	Chunks []string // the raw data of each event, for shape checks
}

// postCompletion sends body to /v1/chat/completions with stream as asked
// and returns what the answer adds up to.
func postCompletion(t *testing.T, base, body string, stream bool) completion {
	t.Helper()
	var req map[string]any
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	req["stream"] = stream
	if stream {
		req["stream_options"] = map[string]any{"include_usage": true}
	}
	b, _ := json.Marshal(req)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // hang guard
	defer cancel()
	hr, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/chat/completions", strings.NewReader(string(b)))
	hr.Header.Set("Authorization", "Bearer sk-test")
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, raw)
	}
	var out completion
	if !stream {
		var c openaicompat.ChatCompletion
		if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
			t.Fatal(err)
		}
		if c.Object != "chat.completion" || len(c.Choices) != 1 || c.Choices[0].Message.Role != "assistant" {
			t.Fatalf("not a chat.completion: %s", mustJSON(c))
		}
		m := c.Choices[0].Message
		if m.Content != nil {
			out.Text = *m.Content
		}
		out.Calls, out.Finish, out.Usage = m.ToolCalls, c.Choices[0].FinishReason, c.Usage
		return out
	}
	sc := bufio.NewScanner(resp.Body)
	done := false
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if done {
			t.Fatalf("data after [DONE]: %s", data)
		}
		if data == "[DONE]" {
			done = true
			continue
		}
		out.Chunks = append(out.Chunks, data)
		var ch openaicompat.ChatCompletionChunk
		if err := json.Unmarshal([]byte(data), &ch); err != nil {
			t.Fatalf("bad chunk %q: %v", data, err)
		}
		if ch.Usage != nil {
			out.Usage = ch.Usage
		}
		for _, c := range ch.Choices {
			if c.Delta.Content != nil {
				out.Text += *c.Delta.Content
			}
			for _, tc := range c.Delta.ToolCalls {
				for len(out.Calls) <= *tc.Index {
					out.Calls = append(out.Calls, openaicompat.ToolCall{})
				}
				oc := &out.Calls[*tc.Index]
				if tc.ID != "" {
					oc.ID, oc.Type = tc.ID, tc.Type
				}
				oc.Function.Name += tc.Function.Name
				oc.Function.Arguments += tc.Function.Arguments
			}
			if c.FinishReason != nil {
				out.Finish = *c.FinishReason
			}
		}
	}
	if !done {
		t.Fatalf("stream ended without [DONE]: %v", out.Chunks)
	}
	return out
}

func TestRealOpenAIFrontEnd(t *testing.T) {
	ol := ollamatest.Start(t)
	cfg := parseConfig(t, fmt.Sprintf(`
model_list:
  - model_name: gpt-local
    litellm_params: {model: ollama/%[2]s, api_base: %[1]q}
  - model_name: gpt-no-repair
    litellm_params: {model: ollama/%[2]s, api_base: %[1]q, repair_tool_calls: false}
general_settings:
  master_key: sk-test
`, ol.URL, ollamatest.ModelTiny))
	ts := httptest.NewServer(New(func() *config.Config { return cfg }, Options{Logger: discardLogger()}))
	defer ts.Close()
	both := func(t *testing.T, body string) completion {
		t.Helper()
		plain, streamed := postCompletion(t, ts.URL, body, false), postCompletion(t, ts.URL, body, true)
		for i := range plain.Calls {
			plain.Calls[i].ID = ""
		}
		chunks := streamed.Chunks
		streamed.Chunks = nil
		for i := range streamed.Calls {
			streamed.Calls[i].ID = ""
		}
		if p, s := mustJSON(plain), mustJSON(streamed); p != s {
			t.Errorf("streamed and whole answers differ:\nwhole:    %s\nstreamed: %s", p, s)
		}
		streamed.Chunks = chunks
		return streamed
	}
	user := func(model, text, extra string) string {
		return `{"model":"` + model + `"` + extra + `,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":` + quote(text) + `}]}`
	}

	t.Run("text", func(t *testing.T) {
		c := both(t, user("gpt-local", "Hi", `,"max_tokens":100`))
		if c.Text != ollamatest.ReplyDefault || c.Finish != "stop" || c.Usage == nil || c.Usage.PromptTokens == 0 || c.Usage.CompletionTokens == 0 {
			t.Errorf("got %+v", c)
		}
		// The chunks have OpenAI's shape: role first, usage null until the
		// last chunk, which has no choices.
		var first, last map[string]any
		json.Unmarshal([]byte(c.Chunks[0]), &first)
		json.Unmarshal([]byte(c.Chunks[len(c.Chunks)-1]), &last)
		if d := first["choices"].([]any)[0].(map[string]any)["delta"].(map[string]any); d["role"] != "assistant" || d["content"] != "" {
			t.Errorf("first chunk %s: want role assistant and empty content", c.Chunks[0])
		}
		if v, ok := first["usage"]; !ok || v != nil {
			t.Errorf("first chunk %s: want usage null", c.Chunks[0])
		}
		if len(last["choices"].([]any)) != 0 || last["usage"] == nil || last["object"] != "chat.completion.chunk" {
			t.Errorf("last chunk %s: want the usage chunk with no choices", c.Chunks[len(c.Chunks)-1])
		}
	})
	t.Run("tool call then result", func(t *testing.T) {
		c := both(t, user("gpt-local", "What's the weather?", weatherToolsOpenAI))
		if c.Finish != "tool_calls" || len(c.Calls) != 1 || c.Calls[0].Function.Name != ollamatest.ToolWeather || c.Calls[0].Function.Arguments != ollamatest.ToolWeatherArgs {
			t.Fatalf("want one get_weather call: %+v", c)
		}
		next := `{"model":"gpt-local"` + weatherToolsOpenAI + `,"messages":[{"role":"user","content":"What's the weather?"},
			{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
			{"role":"tool","tool_call_id":"call_1","content":"sunny"}]}`
		if c := both(t, next); c.Text != ollamatest.ReplyAfterTool || c.Finish != "stop" {
			t.Errorf("after the tool result: %+v", c)
		}
	})
	t.Run("repaired call", func(t *testing.T) {
		c := both(t, user("gpt-local", "jsontool", weatherToolsOpenAI))
		if c.Finish != "tool_calls" || len(c.Calls) != 1 || c.Calls[0].Function.Arguments != ollamatest.ToolWeatherArgs || c.Text != "" {
			t.Errorf("want the fenced call repaired: %+v", c)
		}
		if c := both(t, user("gpt-no-repair", "jsontool", weatherToolsOpenAI)); c.Text != ollamatest.ReplyJSONTool || len(c.Calls) != 0 || c.Finish != "stop" {
			t.Errorf("repair_tool_calls false must leave the text: %+v", c)
		}
	})
	t.Run("length", func(t *testing.T) {
		c := both(t, user("gpt-local", "loop", `,"max_completion_tokens":5`))
		if c.Finish != "length" || c.Usage.CompletionTokens != 5 {
			t.Errorf("got %+v", c)
		}
	})
	t.Run("stop", func(t *testing.T) {
		if c := postCompletion(t, ts.URL, user("gpt-local", "stop there", `,"stop":"gamma"`), false); c.Text != "alpha beta " || c.Finish != "stop" {
			t.Errorf("got %+v", c)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tt := range []struct {
			key, body string
			status    int
			typ, code string
		}{
			{"sk-test", user("nope", "Hi", ""), 404, "invalid_request_error", "model_not_found"},
			{"sk-wrong", user("gpt-local", "Hi", ""), 401, "invalid_request_error", "invalid_api_key"},
			{"sk-test", `{"model":"gpt-local","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/cat.png"}}]}]}`, 400, "invalid_request_error", ""},
		} {
			req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/chat/completions", strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer "+tt.key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var e openaicompat.ErrorResponse
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err := json.Unmarshal(raw, &e); err != nil || resp.StatusCode != tt.status || e.Error.Type != tt.typ || e.Error.Message == "" ||
				tt.code != "" && (e.Error.Code == nil || *e.Error.Code != tt.code) {
				t.Errorf("%s: got %d %s, want %d %s %s", tt.body, resp.StatusCode, raw, tt.status, tt.typ, tt.code)
			}
		}
	})
}

// TestRealOpenAICompatibleBackend answers the Messages API from an
// OpenAI-compatible server: Ollama's own /v1/chat/completions.
func TestRealOpenAICompatibleBackend(t *testing.T) {
	ol := ollamatest.Start(t)
	cfg := parseConfig(t, fmt.Sprintf(`
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params: {model: openai/%[2]s, api_base: %[1]q, api_key: sk-anything}
`, ol.URL+"/v1", ollamatest.ModelTiny))
	ts := httptest.NewServer(New(func() *config.Config { return cfg }, Options{Logger: discardLogger()}))
	defer ts.Close()
	weatherTool := `,"tools":[{"name":"` + ollamatest.ToolWeather + `","input_schema":` + ollamatest.WeatherParameters + `}]`
	ask := func(t *testing.T, body string) anthropic.Message {
		t.Helper()
		plain, streamed := postMessage(t, ts.URL, body, false), postMessage(t, ts.URL, body, true)
		if p, s := mustJSON(withoutIDs(plain)), mustJSON(withoutIDs(streamed)); p != s {
			t.Errorf("streaming and non-streaming answers differ:\nplain:    %s\nstreamed: %s", p, s)
		}
		return plain
	}
	user := func(text, extra string) string {
		return `{"model":"claude-sonnet-4-5","max_tokens":100` + extra + `,"messages":[{"role":"user","content":` + quote(text) + `}]}`
	}
	t.Run("text", func(t *testing.T) {
		m := ask(t, user("Hi", ""))
		wantText(t, m, ollamatest.ReplyDefault, "end_turn")
		if m.Usage.InputTokens == 0 || m.Usage.OutputTokens == 0 {
			t.Errorf("usage %+v", m.Usage)
		}
	})
	t.Run("tool call then result", func(t *testing.T) {
		m := ask(t, user("What's the weather?", weatherTool))
		if *m.StopReason != "tool_use" || len(m.Content) != 1 || m.Content[0].Name != ollamatest.ToolWeather || string(m.Content[0].Input) != ollamatest.ToolWeatherArgs {
			t.Fatalf("want one get_weather call: %s", mustJSON(m))
		}
		next := `{"model":"claude-sonnet-4-5","max_tokens":100` + weatherTool + `,"messages":[
			{"role":"user","content":"What's the weather?"},
			{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},
			{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"}]}]}`
		wantText(t, ask(t, next), ollamatest.ReplyAfterTool, "end_turn")
	})
	t.Run("repair", func(t *testing.T) {
		m := ask(t, user("jsontool", weatherTool))
		if *m.StopReason != "tool_use" || len(m.Content) != 1 || string(m.Content[0].Input) != ollamatest.ToolWeatherArgs {
			t.Errorf("want the fenced call repaired: %s", mustJSON(m))
		}
	})
	t.Run("max_tokens", func(t *testing.T) {
		m := ask(t, `{"model":"claude-sonnet-4-5","max_tokens":4,"messages":[{"role":"user","content":"loop"}]}`)
		if *m.StopReason != "max_tokens" || m.Usage.OutputTokens != 4 {
			t.Errorf("got %s", mustJSON(m))
		}
	})
	t.Run("model missing there", func(t *testing.T) {
		cfg = parseConfig(t, fmt.Sprintf("model_list:\n  - model_name: claude-sonnet-4-5\n    litellm_params: {model: openai/not-pulled, api_base: %q}\n", ol.URL+"/v1"))
		decodeError(t, postRaw(t, ts.URL, user("Hi", "")), 404, "not_found_error")
	})
}

// TestRealRepairAnthropic runs the scripted model's fenced-JSON answer
// through the Messages API, with repair on (the default) and off.
func TestRealRepairAnthropic(t *testing.T) {
	ol := ollamatest.Start(t)
	cfg := parseConfig(t, fmt.Sprintf(`
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/%[2]s, api_base: %[1]q}
  - model_name: claude-raw
    litellm_params: {model: ollama/%[2]s, api_base: %[1]q, repair_tool_calls: false}
`, ol.URL, ollamatest.ModelTiny))
	var logs syncBuffer
	tr := New(func() *config.Config { return cfg }, Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	ts := httptest.NewServer(tr)
	defer ts.Close()
	weatherTool := `,"tools":[{"name":"` + ollamatest.ToolWeather + `","input_schema":` + ollamatest.WeatherParameters + `}]`
	for _, stream := range []bool{false, true} {
		m := postMessage(t, ts.URL, `{"model":"claude-sonnet-4-5","max_tokens":100`+weatherTool+`,"messages":[{"role":"user","content":"jsontool"}]}`, stream)
		if *m.StopReason != "tool_use" || len(m.Content) != 1 || m.Content[0].Type != "tool_use" || string(m.Content[0].Input) != ollamatest.ToolWeatherArgs {
			t.Errorf("stream %v: want the call repaired: %s", stream, mustJSON(m))
		}
		wantText(t, postMessage(t, ts.URL, `{"model":"claude-raw","max_tokens":100`+weatherTool+`,"messages":[{"role":"user","content":"jsontool"}]}`, stream), ollamatest.ReplyJSONTool, "end_turn")
		// Without tools offered there is nothing to repair.
		wantText(t, postMessage(t, ts.URL, `{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"jsontool"}]}`, stream), ollamatest.ReplyJSONTool, "end_turn")
	}
	waitLog(t, &logs, 0, `"repaired_tool_calls":1`, 2)
	deadline := time.Now().Add(hangGuard)
	for tr.Stats().RepairedToolCalls != 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := tr.Stats().RepairedToolCalls; n != 2 {
		t.Errorf("Stats().RepairedToolCalls = %d, want 2", n)
	}
}

// TestCountTokensCalibrated checks count_tokens against the
// prompt_eval_count the real Ollama reports for the same request, on
// translators that have seen different histories (each translator
// calibrates on its own):
//   - similar: answers of agent-shaped requests (tools, system prompt,
//     conversation) of a few sizes;
//   - one similar: a single answer of a smaller agent-shaped request;
//   - mixed: many small requests of other shapes (mostly tool schemas,
//     as a client's first turns and quick checks are), then that one
//     agent-shaped answer. A single line through all the samples was
//     15% off here; the per-kind fit tells the kinds apart.
//
// It also checks that count_tokens leaves out the tools that the real
// request leaves out (drop_params and a model without tools).
func TestCountTokensCalibrated(t *testing.T) {
	ol := ollamatest.Start(t)
	yaml := fmt.Sprintf(`
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/%[2]s, api_base: %[1]q}
  - model_name: claude-no-tools
    litellm_params: {model: ollama/%[3]s, api_base: %[1]q, drop_params: true}
`, ol.URL, ollamatest.ModelTiny, ollamatest.ModelNoTools)
	cfg := parseConfig(t, yaml)
	fresh := func() string {
		ts := httptest.NewServer(New(func() *config.Config { return cfg }, Options{Logger: discardLogger()}))
		t.Cleanup(ts.Close)
		return ts.URL
	}
	weatherTool := `{"name":"` + ollamatest.ToolWeather + `","description":"Get the current weather in a city.","input_schema":` + ollamatest.WeatherParameters + `}`
	timeTool := `{"name":"` + ollamatest.ToolTime + `","description":"Get the current time in a time zone.","input_schema":` + ollamatest.TimeParameters + `}`
	tools := `,"tools":[` + weatherTool + `,` + timeTool + `]`
	body := func(system string, turns int) string {
		var msgs []string
		for i := range turns {
			msgs = append(msgs, fmt.Sprintf(`{"role":"user","content":"Question %d: what should I pack for a week in Lisbon in May, and which neighbourhoods are worth a walk?"},{"role":"assistant","content":"Pack light layers, good shoes and a rain jacket; walk Alfama, Bairro Alto and Belém (%d)."}`, i, i*37))
		}
		msgs = append(msgs, `{"role":"user","content":"Hi"}`)
		return `{"model":"claude-sonnet-4-5","max_tokens":20` + tools + `,"system":` + quote(system) + `,"messages":[` + strings.Join(msgs, ",") + `]}`
	}
	prose := strings.Repeat("You are a personal assistant running inside Clawdbot. Use the tools when they help, read files before editing them, and keep replies short. ", 12)
	count := func(base, b string) int {
		t.Helper()
		resp := postCount(t, base, b)
		var c anthropic.CountTokensResponse
		if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != 200 || c.InputTokens <= 0 {
			t.Fatalf("count_tokens: %d %v %+v", resp.StatusCode, err, c)
		}
		return c.InputTokens
	}
	// small are requests of other shapes: "Hello!", one or two small tool
	// schemas with a short question, a tool call and its result.
	small := []string{
		`{"model":"claude-sonnet-4-5","max_tokens":20,"messages":[{"role":"user","content":"Hello!"}]}`,
		`{"model":"claude-sonnet-4-5","max_tokens":20,"tools":[` + weatherTool + `],"messages":[{"role":"user","content":"What's the weather?"}]}`,
		`{"model":"claude-sonnet-4-5","max_tokens":20` + tools + `,"messages":[{"role":"user","content":"Use two tools"}]}`,
		`{"model":"claude-sonnet-4-5","max_tokens":20,"tools":[` + weatherTool + `],"messages":[{"role":"user","content":"What's the weather?"},
			{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},
			{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"}]}]}`,
		`{"model":"claude-sonnet-4-5","max_tokens":20,"tools":[` + weatherTool + `],"messages":[{"role":"user","content":"jsontool"}]}`,
	}
	target := body(prose+"Answer in English unless asked otherwise.", 9)
	for _, c := range []struct {
		name    string
		history []string
	}{
		{"similar", []string{body(prose[:len(prose)/3], 1), body(prose[:len(prose)*2/3], 6), body(prose, 14)}},
		{"one similar", []string{body(prose, 2)}},
		{"mixed", append(slices.Repeat(small, 4), body(prose, 2))},
	} {
		t.Run(c.name, func(t *testing.T) {
			base := fresh()
			uncalibrated := count(base, target)
			for _, b := range c.history {
				postMessage(t, base, b, false)
			}
			got := count(base, target)
			real := postMessage(t, base, target, false).Usage.InputTokens
			off := math.Abs(float64(got-real)) / float64(real)
			t.Logf("count_tokens %d (uncalibrated %d), Ollama counted %d: off by %.1f%%", got, uncalibrated, real, off*100)
			if off > calibratedTolerance {
				t.Errorf("count_tokens %d is %.1f%% off Ollama's %d; the documented tolerance is %.0f%%", got, off*100, real, calibratedTolerance*100)
			}
		})
	}
	t.Run("tools dropped", func(t *testing.T) {
		// tiny-notools refuses tools, and drop_params lets the translator
		// leave them out once /api/show has said so. Before any request
		// the capabilities are unknown and the tools are counted.
		base := fresh()
		b := strings.Replace(body(prose, 2), "claude-sonnet-4-5", "claude-no-tools", 1)
		withoutTools := strings.Replace(b, tools, "", 1)
		if with, without := count(base, b), count(base, withoutTools); with <= without {
			t.Errorf("before /api/show: count_tokens %d with tools, %d without; the tools must be counted while the capabilities are unknown", with, without)
		}
		postMessage(t, base, b, false)
		got, want := count(base, b), count(base, withoutTools)
		real := postMessage(t, base, b, false).Usage.InputTokens
		t.Logf("count_tokens %d, %d for the request without its tools; Ollama counted %d", got, want, real)
		if got != want {
			t.Errorf("count_tokens %d once the model is known to lack tools, want %d (the same request without its tools)", got, want)
		}
		if off := math.Abs(float64(got-real)) / float64(real); off > calibratedTolerance {
			t.Errorf("count_tokens %d is %.1f%% off Ollama's %d", got, off*100, real)
		}
	})
	base := fresh()
	decodeError(t, postCount(t, base, `{"model":"claude-sonnet-4-5"}`), 400, "invalid_request_error")
	decodeError(t, postCount(t, base, `{"model":"nope","messages":[{"role":"user","content":"x"}]}`), 404, "not_found_error")
}

func postCount(t *testing.T, base, body string) *http.Response {
	t.Helper()
	resp, err := http.Post(base+"/v1/messages/count_tokens", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestRealContextSizing sends a prompt longer than the model's default
// context (4096): the translator raises num_ctx so that Ollama reads all
// of it, and refuses it with a clear 400 when
// clawbridge.translator.max_num_ctx forbids the room it needs.
func TestRealContextSizing(t *testing.T) {
	ol := ollamatest.Start(t)
	yaml := fmt.Sprintf("model_list:\n  - model_name: claude-sonnet-4-5\n    litellm_params: {model: ollama/%s, api_base: %q}\n", ollamatest.ModelTiny, ol.URL)
	cfg := parseConfig(t, yaml)
	var logs syncBuffer
	ts := httptest.NewServer(New(func() *config.Config { return cfg }, Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}))
	defer ts.Close()
	// About 7000 tokens of the tiny model's vocabulary.
	long := strings.Repeat("zq xv kj wp ", 1800)
	body := `{"model":"claude-sonnet-4-5","max_tokens":50,"system":` + quote(long) + `,"messages":[{"role":"user","content":"Hi"}]}`
	m := postMessage(t, ts.URL, body, true)
	wantText(t, m, ollamatest.ReplyDefault, "end_turn")
	if m.Usage.InputTokens <= ollamatest.DefaultNumCtx {
		t.Errorf("Ollama read %d prompt tokens: the prompt was cut to the default context of %d", m.Usage.InputTokens, ollamatest.DefaultNumCtx)
	}
	cfg = parseConfig(t, yaml+"clawbridge:\n  translator:\n    max_num_ctx: 4096\n")
	e := decodeError(t, postRaw(t, ts.URL, body), 400, "invalid_request_error")
	if !strings.Contains(e.Error.Message, "prompt is too long") || !strings.Contains(e.Error.Message, "max_num_ctx") {
		t.Errorf("message %q does not say what limits the context", e.Error.Message)
	}
	waitLog(t, &logs, 0, "request does not fit the model's context", 1)
	// A fixed num_ctx that is too small: Ollama itself refuses (truncate
	// is off) rather than cutting the prompt.
	cfg = parseConfig(t, fmt.Sprintf("model_list:\n  - model_name: claude-sonnet-4-5\n    litellm_params: {model: ollama/%s, api_base: %q, num_ctx: 2048}\n", ollamatest.ModelTiny, ol.URL))
	decodeError(t, postRaw(t, ts.URL, body), 400, "invalid_request_error")
}

// TestRealTwoBackends shares one model name between two Ollama processes:
// requests are spread by load, and when one is stopped the other takes
// over, /health and Stats say which is down, and the daemon is told.
func TestRealTwoBackends(t *testing.T) {
	a, b := ollamatest.Start(t), ollamatest.Start(t)
	cfg := parseConfig(t, fmt.Sprintf(`
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/%[3]s, api_base: %[1]q}
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/%[3]s, api_base: %[2]q}
`, a.URL, b.URL, ollamatest.ModelTiny))
	var (
		mu     sync.Mutex
		events []string
	)
	var logs syncBuffer
	tr := New(func() *config.Config { return cfg }, Options{
		Logger:         slog.New(slog.NewJSONHandler(&logs, nil)),
		BackendRecheck: 50 * time.Millisecond,
		OnBackendChange: func(url string, healthy bool, err error) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, fmt.Sprintf("%s %v", url, healthy))
		},
	})
	ts := httptest.NewServer(tr)
	defer ts.Close()
	hi := `{"model":"claude-sonnet-4-5","max_tokens":20,"messages":[{"role":"user","content":"Hi"}]}`

	// While a long answer streams from one backend, the next request goes
	// to the other.
	resp := postRaw(t, ts.URL, `{"model":"claude-sonnet-4-5","max_tokens":3000,"stream":true,"messages":[{"role":"user","content":"loop"}]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("long answer: %d", resp.StatusCode)
	}
	br := bufio.NewReader(resp.Body)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(line, "text_delta") {
			break
		}
	}
	busy := ""
	for _, bs := range tr.Stats().Backends {
		if bs.InFlight == 1 {
			busy = bs.URL
		}
	}
	if busy == "" {
		t.Fatalf("no backend has the long answer in flight: %+v", tr.Stats().Backends)
	}
	from := len(logs.String())
	wantText(t, postMessage(t, ts.URL, hi, false), ollamatest.ReplyDefault, "end_turn")
	io.Copy(io.Discard, resp.Body) // let the long answer finish
	other := a.URL
	if busy == a.URL {
		other = b.URL
	}
	waitLog(t, &logs, from, `"backend":"tiny@`+strings.TrimPrefix(other, "http://")+`"`, 1)

	// One backend stops: every request is answered by the other, both
	// ways, and the stopped one is reported down.
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		wantText(t, postMessage(t, ts.URL, hi, false), ollamatest.ReplyDefault, "end_turn")
		wantText(t, postMessage(t, ts.URL, hi, true), ollamatest.ReplyDefault, "end_turn")
	}
	rec := serveRecorded(tr, http.MethodGet, "/health", "", nil)
	var h Health
	json.NewDecoder(rec.Body).Decode(&h)
	if h.OK || len(h.Backends) != 2 || h.Backends[0].Reachable || !h.Backends[1].Reachable {
		t.Errorf("health %+v: want %s down and %s up", h, a.URL, b.URL)
	}
	st := tr.Stats()
	if st.Backends[0].Healthy || st.Backends[0].LastError == "" || !st.Backends[1].Healthy {
		t.Errorf("stats %+v: want %s down with its error", st.Backends, a.URL)
	}
	mu.Lock()
	if len(events) == 0 || events[0] != a.URL+" false" {
		t.Errorf("backend events %v: want %s down first", events, a.URL)
	}
	mu.Unlock()

	// It comes back: the background check notices, and it is used again.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := a.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(hangGuard)
	for !tr.Stats().Backends[0].Healthy {
		if time.Now().After(deadline) {
			t.Fatalf("%s never came back: %+v", a.URL, tr.Stats().Backends)
		}
		postMessage(t, ts.URL, hi, false)
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	if events[len(events)-1] != a.URL+" true" {
		t.Errorf("backend events %v: want %s up last", events, a.URL)
	}
	mu.Unlock()
	from = len(logs.String())
	for range 4 {
		postMessage(t, ts.URL, hi, false)
	}
	waitLog(t, &logs, from, `"backend":"tiny@`+strings.TrimPrefix(a.URL, "http://")+`"`, 1)
}
