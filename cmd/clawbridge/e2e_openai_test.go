//go:build unix

package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// What openai-chat-completions.mjs prints (the official openai SDK against
// /v1/chat/completions), and the checks on it.

// oaiCompletion is a chat.completion as the SDK hands it over, from
// create() or, put together from the chunks, finalChatCompletion().
type oaiCompletion struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index        int        `json:"index"`
		Message      oaiMessage `json:"message"`
		FinishReason string     `json:"finish_reason"`
	} `json:"choices"`
	Usage *oaiUsage `json:"usage"`
}

type oaiMessage struct {
	Role      string        `json:"role"`
	Content   *string       `json:"content"`
	ToolCalls []oaiToolCall `json:"tool_calls"`
	// Parsed is what chat.completions.parse() made of a json_schema answer.
	Parsed json.RawMessage `json:"parsed"`
}

type oaiToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type oaiUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// oaiChunk is one chat.completion.chunk as the SDK's stream yields it.
type oaiChunk struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Role      *string `json:"role"`
			Content   *string `json:"content"`
			ToolCalls []struct {
				Index    *int    `json:"index"`
				ID       *string `json:"id"`
				Type     *string `json:"type"`
				Function *struct {
					Name      *string `json:"name"`
					Arguments *string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *oaiUsage `json:"usage"`
}

// oaiStreamed is what the script's streamed() returns.
type oaiStreamed struct {
	Chunks    []oaiChunk `json:"chunks"`
	Text      string     `json:"text"`
	ToolCalls []struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"toolCalls"`
	Final oaiCompletion `json:"final"`
}

// checkOAICompletion checks a completion's envelope and returns its one
// choice's message: the requested model, finish_reason finish, usage
// that adds up.
func checkOAICompletion(t *testing.T, what string, c oaiCompletion, finish string) oaiMessage {
	t.Helper()
	if !strings.HasPrefix(c.ID, "chatcmpl-") || c.Object != "chat.completion" || c.Created <= 0 || c.Model != "claude-sonnet-4-5" {
		t.Errorf("%s: id %q object %q created %d model %q; want chatcmpl-..., chat.completion, a time, claude-sonnet-4-5",
			what, c.ID, c.Object, c.Created, c.Model)
	}
	checkOAIUsage(t, what, c.Usage)
	if len(c.Choices) != 1 {
		t.Fatalf("%s: %d choices; want 1", what, len(c.Choices))
	}
	ch := c.Choices[0]
	if ch.Index != 0 || ch.FinishReason != finish || ch.Message.Role != "assistant" {
		t.Errorf("%s: choice index %d finish_reason %q role %q; want 0, %q, assistant", what, ch.Index, ch.FinishReason, ch.Message.Role, finish)
	}
	return ch.Message
}

func checkOAIUsage(t *testing.T, what string, u *oaiUsage) {
	t.Helper()
	if u == nil || u.PromptTokens <= 0 || u.CompletionTokens <= 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("%s: usage %+v; want prompt and completion tokens counted, and their total", what, u)
	}
}

// checkOAIStream checks the chunks of a streamed completion in the shape
// OpenAI sends them with include_usage: every chunk of one id, created
// and model; the role alone in the first delta; one choice per chunk
// until a chunk with finish_reason finish; then one chunk with no
// choices that carries the usage (null in all the others). It also
// checks that the SDK's finalChatCompletion() agrees with the chunks, and
// returns its message.
func checkOAIStream(t *testing.T, what string, s oaiStreamed, finish string) oaiMessage {
	t.Helper()
	n := len(s.Chunks)
	if n < 3 {
		t.Fatalf("%s: %d chunks; want at least role, finish and usage", what, n)
	}
	first := s.Chunks[0]
	for i, c := range s.Chunks {
		if c.ID != first.ID || !strings.HasPrefix(c.ID, "chatcmpl-") || c.Object != "chat.completion.chunk" ||
			c.Created != first.Created || c.Created <= 0 || c.Model != "claude-sonnet-4-5" {
			t.Errorf("%s: chunk %d: id %q object %q created %d model %q; want the first chunk's id (chatcmpl-...) and created, chat.completion.chunk, claude-sonnet-4-5",
				what, i, c.ID, c.Object, c.Created, c.Model)
		}
		if i == n-1 {
			break
		}
		if c.Usage != nil {
			t.Errorf("%s: chunk %d carries usage; only the last one should", what, i)
		}
		if len(c.Choices) != 1 || c.Choices[0].Index != 0 {
			t.Errorf("%s: chunk %d has %d choices; want one, index 0", what, i, len(c.Choices))
			continue
		}
		ch := c.Choices[0]
		if role := ch.Delta.Role; (i == 0) != (role != nil) || role != nil && *role != "assistant" {
			t.Errorf("%s: chunk %d: delta role %v; want assistant in the first chunk only", what, i, deref(role))
		}
		if (i == n-2) != (ch.FinishReason != nil) {
			t.Errorf("%s: chunk %d: finish_reason %v; want it in the chunk before the usage only", what, i, deref(ch.FinishReason))
		}
	}
	last := s.Chunks[n-1]
	if len(last.Choices) != 0 {
		t.Errorf("%s: last chunk has %d choices; want none (the usage chunk)", what, len(last.Choices))
	}
	checkOAIUsage(t, what+" (usage chunk)", last.Usage)
	if len(s.Chunks[n-2].Choices) == 1 {
		if fr := s.Chunks[n-2].Choices[0].FinishReason; fr == nil || *fr != finish {
			t.Errorf("%s: finish_reason %v; want %q", what, deref(fr), finish)
		}
	}

	// Each tool call: index, id, type and name in its first delta, then
	// arguments only.
	seen := map[int]bool{}
	for i, c := range s.Chunks[:n-1] {
		for _, tc := range c.Choices[0].Delta.ToolCalls {
			if tc.Index == nil || tc.Function == nil {
				t.Errorf("%s: chunk %d: tool call delta without index or function", what, i)
				continue
			}
			head := tc.ID != nil || tc.Type != nil || tc.Function.Name != nil
			if !seen[*tc.Index] && (tc.ID == nil || tc.Type == nil || *tc.Type != "function" || tc.Function.Name == nil || !strings.HasPrefix(*tc.ID, "call_")) {
				t.Errorf("%s: chunk %d: first delta of tool call %d lacks id (call_...), type function or name", what, i, *tc.Index)
			}
			if seen[*tc.Index] && head {
				t.Errorf("%s: chunk %d: a later delta of tool call %d repeats its id, type or name", what, i, *tc.Index)
			}
			seen[*tc.Index] = true
		}
	}

	final := s.Final
	if final.ID != first.ID || final.Model != "claude-sonnet-4-5" || final.Usage == nil || *final.Usage != *last.Usage {
		t.Errorf("%s: finalChatCompletion id %q model %q usage %+v; want the chunks' %q, claude-sonnet-4-5, %+v",
			what, final.ID, final.Model, final.Usage, first.ID, deref(last.Usage))
	}
	if len(final.Choices) != 1 {
		t.Fatalf("%s: finalChatCompletion has %d choices", what, len(final.Choices))
	}
	m := final.Choices[0].Message
	if final.Choices[0].FinishReason != finish || m.Role != "assistant" {
		t.Errorf("%s: finalChatCompletion finish_reason %q role %q; want %q, assistant", what, final.Choices[0].FinishReason, m.Role, finish)
	}
	if got := deref(m.Content); got != s.Text {
		t.Errorf("%s: finalChatCompletion content %q; the content deltas add up to %q", what, got, s.Text)
	}
	if len(m.ToolCalls) != len(s.ToolCalls) {
		t.Errorf("%s: finalChatCompletion has %d tool calls, the deltas %d", what, len(m.ToolCalls), len(s.ToolCalls))
	}
	return m
}

// checkOAIWeatherCall checks that m made exactly one get_weather call for
// Paris.
func checkOAIWeatherCall(t *testing.T, what string, m oaiMessage) {
	t.Helper()
	if len(m.ToolCalls) != 1 {
		t.Fatalf("%s: %d tool calls; want one get_weather", what, len(m.ToolCalls))
	}
	tc := m.ToolCalls[0]
	var args map[string]any
	if err := json.Unmarshal([]byte(tc.Function.Arguments), &args); err != nil || tc.Function.Name != ollamatest.ToolWeather ||
		tc.Type != "function" || !strings.HasPrefix(tc.ID, "call_") || !reflect.DeepEqual(args, map[string]any{"city": "Paris"}) {
		t.Errorf("%s: tool call %+v; want function get_weather {\"city\":\"Paris\"} with a call_... id", what, tc)
	}
	if c := deref(m.Content); c != "" {
		t.Errorf("%s: content %q beside the tool call; want none", what, c)
	}
}

// checkOAIError checks a thrown SDK error and the OpenAI error object the
// SDK kept (err.error).
func checkOAIError(t *testing.T, what string, e sdkError, class string, status int, code string) {
	t.Helper()
	if !e.checkThrown(t, what, class, status) {
		return
	}
	var body struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Code    *string `json:"code"`
	}
	if err := json.Unmarshal(e.Body, &body); err != nil || body.Message == "" || body.Type != "invalid_request_error" || deref(body.Code) != code {
		t.Errorf("%s: error object %s; want {message: ..., type: invalid_request_error, code: %q}", what, e.Body, code)
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

var e2eOpenAICases = []e2eCase{
	{"stream-text", func(t *testing.T, out json.RawMessage) {
		s := e2eDecode[oaiStreamed](t, out)
		checkOAIStream(t, "stream", s, "stop")
		if s.Text != ollamatest.ReplyDefault || len(s.ToolCalls) != 0 {
			t.Errorf("text %q, %d tool calls; want %q only", s.Text, len(s.ToolCalls), ollamatest.ReplyDefault)
		}
		// Text arrives as the model writes it, not in one piece.
		deltas := 0
		for _, c := range s.Chunks {
			if len(c.Choices) == 1 && deref(c.Choices[0].Delta.Content) != "" {
				deltas++
			}
		}
		if deltas < 2 {
			t.Errorf("the text came in %d content delta(s); want one per model piece", deltas)
		}
	}},
	{"create", func(t *testing.T, out json.RawMessage) {
		c := e2eDecode[struct{ Completion oaiCompletion }](t, out).Completion
		m := checkOAICompletion(t, "create", c, "stop")
		if got := deref(m.Content); got != ollamatest.ReplyDefault || len(m.ToolCalls) != 0 {
			t.Errorf("content %q, %d tool calls; want %q only", got, len(m.ToolCalls), ollamatest.ReplyDefault)
		}
	}},
	{"tool", func(t *testing.T, out json.RawMessage) {
		got := e2eDecode[struct {
			Stream struct{ First, Second *oaiStreamed }
			Create struct{ First, Second *oaiCompletion }
		}](t, out)
		s := got.Stream
		checkOAIWeatherCall(t, "stream, first turn", checkOAIStream(t, "stream, first turn", *s.First, "tool_calls"))
		if tc := s.First.ToolCalls; len(tc) != 1 || tc[0].Name != ollamatest.ToolWeather || tc[0].Arguments != ollamatest.ToolWeatherArgs {
			t.Errorf("stream, first turn: the tool call deltas add up to %+v; want get_weather %s", tc, ollamatest.ToolWeatherArgs)
		}
		if s.Second == nil {
			t.Fatal("stream: no second turn")
		}
		m := checkOAIStream(t, "stream, after the tool message", *s.Second, "stop")
		if got := deref(m.Content); got != ollamatest.ReplyAfterTool {
			t.Errorf("stream, after the tool message: %q; want %q", got, ollamatest.ReplyAfterTool)
		}
		c := got.Create
		checkOAIWeatherCall(t, "create, first turn", checkOAICompletion(t, "create, first turn", *c.First, "tool_calls"))
		if c.Second == nil {
			t.Fatal("create: no second turn")
		}
		m = checkOAICompletion(t, "create, after the tool message", *c.Second, "stop")
		if got := deref(m.Content); got != ollamatest.ReplyAfterTool {
			t.Errorf("create, after the tool message: %q; want %q", got, ollamatest.ReplyAfterTool)
		}
	}},
	{"max-tokens", func(t *testing.T, out json.RawMessage) {
		got := e2eDecode[struct {
			Stream oaiStreamed
			Create oaiCompletion
		}](t, out)
		checkOAIStream(t, "stream", got.Stream, "length")
		m := checkOAICompletion(t, "create", got.Create, "length")
		for what, r := range map[string]struct {
			text string
			n    int
		}{"stream": {got.Stream.Text, deref(got.Stream.Final.Usage).CompletionTokens}, "create": {deref(m.Content), deref(got.Create.Usage).CompletionTokens}} {
			if r.n > 16 || r.text == "" || !strings.HasPrefix(strings.Repeat(ollamatest.ReplyLoop, 16), r.text) {
				t.Errorf("%s: %d completion tokens, text %q; want at most 16 of the loop %q", what, r.n, r.text, ollamatest.ReplyLoop)
			}
		}
	}},
	{"models", func(t *testing.T, out json.RawMessage) {
		got := e2eDecode[struct {
			IDs       []string `json:"ids"`
			Retrieved struct {
				ID      string `json:"id"`
				Object  string `json:"object"`
				OwnedBy string `json:"owned_by"`
			} `json:"retrieved"`
		}](t, out)
		if want := []string{"claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-5", "claude-*"}; !reflect.DeepEqual(got.IDs, want) {
			t.Errorf("models.list() ids %q; want %q", got.IDs, want)
		}
		if r := got.Retrieved; r.ID != "claude-sonnet-4-5" || r.Object != "model" || r.OwnedBy == "" {
			t.Errorf("models.retrieve() = %+v; want the claude-sonnet-4-5 model", r)
		}
	}},
	{"unknown-model", func(t *testing.T, out json.RawMessage) {
		got := e2eDecode[struct{ Create, Stream sdkError }](t, out)
		checkOAIError(t, "create", got.Create, "NotFoundError", 404, "model_not_found")
		checkOAIError(t, "stream", got.Stream, "NotFoundError", 404, "model_not_found")
		if !got.Create.IsNotFound || !got.Stream.IsNotFound {
			t.Error("not instanceof NotFoundError")
		}
	}},
	{"bad-key", func(t *testing.T, out json.RawMessage) {
		got := e2eDecode[struct{ Create, Models sdkError }](t, out)
		checkOAIError(t, "chat.completions.create", got.Create, "AuthenticationError", 401, "invalid_api_key")
		// /v1/models is shared with Anthropic clients and answers errors in
		// Anthropic's shape ({type: error, error: {type, message}}), which
		// the SDK still raises by status; only the class, status and
		// message are checked.
		if m := got.Models; m.UnexpectedSuccess != nil || m.Class != "AuthenticationError" || m.Status != 401 || !strings.Contains(m.Message, "master_key") {
			t.Errorf("models.list: %s (status %d): %s, success %s; want AuthenticationError 401 naming the master_key", m.Class, m.Status, m.Message, m.UnexpectedSuccess)
		}
		if !got.Create.IsAuthentication || !got.Models.IsAuthentication {
			t.Error("not instanceof AuthenticationError")
		}
	}},
	{"json", func(t *testing.T, out json.RawMessage) {
		got := e2eDecode[struct {
			Object oaiCompletion
			Schema oaiCompletion
			Forced oaiStreamed
		}](t, out)
		if m := checkOAICompletion(t, "json_object", got.Object, "stop"); deref(m.Content) != ollamatest.ReplyJSONObject {
			t.Errorf("json_object: %q; want %q", deref(m.Content), ollamatest.ReplyJSONObject)
		}
		m := checkOAICompletion(t, "json_schema", got.Schema, "stop")
		var parsed map[string]any
		if err := json.Unmarshal(m.Parsed, &parsed); err != nil || !reflect.DeepEqual(parsed, map[string]any{"city": "Paris", "sky": "sunny"}) {
			t.Errorf("json_schema: the SDK parsed %s out of %q; want the forecast object", m.Parsed, deref(m.Content))
		}
		// The model's own reply is not JSON; only Ollama's JSON grammar,
		// which response_format turned on, can make it start with "{".
		finish := "stop"
		if n := len(got.Forced.Chunks); n >= 2 && len(got.Forced.Chunks[n-2].Choices) == 1 && deref(got.Forced.Chunks[n-2].Choices[0].FinishReason) == "length" {
			finish = "length"
		}
		checkOAIStream(t, "json_object, streamed", got.Forced, finish)
		if text := got.Forced.Text; !strings.HasPrefix(text, "{") {
			t.Errorf("json_object on a reply that is not JSON: %q; want the grammar to force a JSON object", text)
		}
	}},
	{"image", func(t *testing.T, out json.RawMessage) {
		got := e2eDecode[struct {
			DataURL  sdkError `json:"dataURL"`
			HTTPSURL sdkError `json:"httpsURL"`
		}](t, out)
		// The tiny model has no vision: the data URL is decoded, and the
		// request refused with a reason, before Ollama sees it.
		checkOAIError(t, "data URL", got.DataURL, "BadRequestError", 400, "")
		if !strings.Contains(got.DataURL.Message, "cannot read images") {
			t.Errorf("data URL: %q; want the reason (the model cannot read images)", got.DataURL.Message)
		}
		checkOAIError(t, "https URL", got.HTTPSURL, "BadRequestError", 400, "")
		if !strings.Contains(got.HTTPSURL.Message, "data:image/") {
			t.Errorf("https URL: %q; want it to ask for a data URL", got.HTTPSURL.Message)
		}
	}},
}
