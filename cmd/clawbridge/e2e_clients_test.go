//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// What the client scripts in testdata/npm print, and the checks on it.

// e2eCase is one case of a client script: its name (the script's argument)
// and the assertions on its output.
type e2eCase struct {
	name  string
	check func(t *testing.T, out json.RawMessage)
}

// sdkMessage is an Anthropic Message as the SDK hands it to its caller.
type sdkMessage struct {
	ID         string     `json:"id"`
	Type       string     `json:"type"`
	Role       string     `json:"role"`
	Model      string     `json:"model"`
	Content    []sdkBlock `json:"content"`
	StopReason string     `json:"stop_reason"`
	Usage      struct {
		InputTokens  int `json:"input_tokens"`
		OutputTokens int `json:"output_tokens"`
	} `json:"usage"`
}

type sdkBlock struct {
	Type     string          `json:"type"`
	Text     string          `json:"text"`
	Thinking string          `json:"thinking"`
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Input    json.RawMessage `json:"input"`
}

// sdkStreamed is what anthropic.mjs's streamed() returns.
type sdkStreamed struct {
	Message          sdkMessage `json:"message"`
	StreamedText     string     `json:"streamedText"`
	StreamedThinking string     `json:"streamedThinking"`
	Events           []string   `json:"events"`
}

// sdkError is a thrown SDK error, described by lib.mjs's errorInfo.
type sdkError struct {
	Class             string          `json:"class"`
	Message           string          `json:"message"`
	Status            int             `json:"status"`
	Body              json.RawMessage `json:"body"`
	IsNotFound        bool            `json:"isNotFound"`
	IsAuthentication  bool            `json:"isAuthentication"`
	IsAPIError        bool            `json:"isAPIError"`
	UnexpectedSuccess json.RawMessage `json:"unexpectedSuccess"`
}

// sdkBlockTypes lists the content block types of a message, in order.
func sdkBlockTypes(m sdkMessage) []string {
	var types []string
	for _, b := range m.Content {
		types = append(types, b.Type)
	}
	return types
}

// sdkText joins a message's text blocks.
func sdkText(m sdkMessage) string {
	var s strings.Builder
	for _, b := range m.Content {
		if b.Type == "text" {
			s.WriteString(b.Text)
		}
	}
	return s.String()
}

// checkSDKMessage checks what every answer shares: a well-formed message for
// the model the client asked for, with usage counted.
func checkSDKMessage(t *testing.T, m sdkMessage, model string) {
	t.Helper()
	if m.Type != "message" || m.Role != "assistant" || !strings.HasPrefix(m.ID, "msg_") {
		t.Errorf("message type %q role %q id %q; want message, assistant, msg_...", m.Type, m.Role, m.ID)
	}
	if m.Model != model {
		t.Errorf("message model %q; want the requested %q", m.Model, model)
	}
	if m.Usage.OutputTokens <= 0 {
		t.Errorf("usage.output_tokens = %d; want > 0", m.Usage.OutputTokens)
	}
}

// checkSDKStream checks the event order the SDK saw.
func checkSDKStream(t *testing.T, s sdkStreamed) {
	t.Helper()
	if len(s.Events) < 2 || s.Events[0] != "message_start" || s.Events[len(s.Events)-1] != "message_stop" {
		t.Errorf("stream events %v; want message_start first and message_stop last", s.Events)
	}
	if !slices.Contains(s.Events, "message_delta") {
		t.Errorf("stream events %v: no message_delta (it carries stop_reason and usage)", s.Events)
	}
}

// checkSDKTextReply checks a streamed answer of one text block, want,
// from model.
func checkSDKTextReply(t *testing.T, s sdkStreamed, model, want string) {
	t.Helper()
	checkSDKStream(t, s)
	checkSDKMessage(t, s.Message, model)
	if got := sdkBlockTypes(s.Message); !slices.Equal(got, []string{"text"}) {
		t.Errorf("content blocks %v; want [text]", got)
	}
	if got := sdkText(s.Message); got != want {
		t.Errorf("final text %q; want %q", got, want)
	}
	if s.StreamedText != sdkText(s.Message) {
		t.Errorf("text events add up to %q, final message says %q", s.StreamedText, sdkText(s.Message))
	}
	if s.Message.StopReason != "end_turn" {
		t.Errorf("stop_reason %q; want end_turn", s.Message.StopReason)
	}
}

// checkSDKWeatherCall checks a tool_use of get_weather for Paris.
func checkSDKWeatherCall(t *testing.T, m sdkMessage) (id string) {
	t.Helper()
	var uses []sdkBlock
	for _, b := range m.Content {
		if b.Type == "tool_use" {
			uses = append(uses, b)
		}
	}
	if len(uses) != 1 {
		t.Fatalf("content blocks %v; want exactly one tool_use", sdkBlockTypes(m))
	}
	u := uses[0]
	if u.Name != "get_weather" || !strings.HasPrefix(u.ID, "toolu_") {
		t.Errorf("tool_use name %q id %q; want get_weather, toolu_...", u.Name, u.ID)
	}
	var input map[string]any
	if err := json.Unmarshal(u.Input, &input); err != nil || !reflect.DeepEqual(input, map[string]any{"city": "Paris"}) {
		t.Errorf("tool_use input %s; want {\"city\":\"Paris\"}", u.Input)
	}
	if m.StopReason != "tool_use" {
		t.Errorf("stop_reason %q; want tool_use", m.StopReason)
	}
	return u.ID
}

// checkSDKError checks a thrown Anthropic SDK error and the error body
// the SDK kept (err.error).
func checkSDKError(t *testing.T, what string, e sdkError, class string, status int, errType string) {
	t.Helper()
	if !e.checkThrown(t, what, class, status) {
		return
	}
	var body struct {
		Type  string `json:"type"`
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(e.Body, &body); err != nil || body.Type != "error" || body.Error.Type != errType || body.Error.Message == "" {
		t.Errorf("%s: error body %s; want {type: error, error: {type: %s, message: ...}}", what, e.Body, errType)
	}
}

var e2eAnthropicCases = []e2eCase{
	{"stream-text", func(t *testing.T, out json.RawMessage) {
		checkSDKTextReply(t, e2eDecode[sdkStreamed](t, out), "claude-sonnet-4-5", ollamatest.ReplyDefault)
	}},
	{"create", func(t *testing.T, out json.RawMessage) {
		m := e2eDecode[struct{ Message sdkMessage }](t, out).Message
		checkSDKMessage(t, m, "claude-haiku-4-5")
		if got := sdkText(m); got != ollamatest.ReplyDefault || !slices.Equal(sdkBlockTypes(m), []string{"text"}) {
			t.Errorf("content %v text %q; want one text block %q", sdkBlockTypes(m), got, ollamatest.ReplyDefault)
		}
		if m.StopReason != "end_turn" {
			t.Errorf("stop_reason %q; want end_turn", m.StopReason)
		}
	}},
	{"tool", func(t *testing.T, out json.RawMessage) {
		got := e2eDecode[struct{ First, Second *sdkStreamed }](t, out)
		checkSDKStream(t, *got.First)
		checkSDKMessage(t, got.First.Message, "claude-sonnet-4-5")
		checkSDKWeatherCall(t, got.First.Message)
		if got.Second == nil {
			t.Fatal("no second turn: the first made no tool call")
		}
		checkSDKTextReply(t, *got.Second, "claude-sonnet-4-5", ollamatest.ReplyAfterTool)
	}},
	{"thinking", func(t *testing.T, out json.RawMessage) {
		s := e2eDecode[sdkStreamed](t, out)
		checkSDKStream(t, s)
		checkSDKMessage(t, s.Message, "claude-sonnet-4-5")
		if got := sdkBlockTypes(s.Message); !slices.Equal(got, []string{"thinking", "text"}) {
			t.Fatalf("content blocks %v; want [thinking text]", got)
		}
		if th := s.Message.Content[0].Thinking; th != ollamatest.ThinkThinking || s.StreamedThinking != th {
			t.Errorf("thinking %q (streamed %q); want %q", th, s.StreamedThinking, ollamatest.ThinkThinking)
		}
		if got := sdkText(s.Message); got != ollamatest.ThinkAnswer {
			t.Errorf("text after thinking %q; want %q", got, ollamatest.ThinkAnswer)
		}
		if s.Message.StopReason != "end_turn" {
			t.Errorf("stop_reason %q; want end_turn", s.Message.StopReason)
		}
	}},
	{"max-tokens", func(t *testing.T, out json.RawMessage) {
		s := e2eDecode[sdkStreamed](t, out)
		checkSDKStream(t, s)
		checkSDKMessage(t, s.Message, "claude-sonnet-4-5")
		if s.Message.StopReason != "max_tokens" {
			t.Errorf("stop_reason %q; want max_tokens", s.Message.StopReason)
		}
		if n := s.Message.Usage.OutputTokens; n > 16 {
			t.Errorf("usage.output_tokens = %d with max_tokens 16", n)
		}
		if sdkText(s.Message) == "" {
			t.Error("no text before the cut")
		}
	}},
	{"models", func(t *testing.T, out json.RawMessage) {
		got := e2eDecode[struct {
			IDs       []string `json:"ids"`
			Retrieved struct {
				ID   string `json:"id"`
				Type string `json:"type"`
			} `json:"retrieved"`
		}](t, out)
		// Listed two to a page, so the SDK follows has_more/last_id.
		if want := []string{"claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-5", "claude-*"}; !slices.Equal(got.IDs, want) {
			t.Errorf("models.list() ids %q; want %q", got.IDs, want)
		}
		if got.Retrieved.ID != "claude-sonnet-4-5" || got.Retrieved.Type != "model" {
			t.Errorf("models.retrieve() = %+v; want the claude-sonnet-4-5 model", got.Retrieved)
		}
	}},
	{"unknown-model", func(t *testing.T, out json.RawMessage) {
		got := e2eDecode[struct{ Create, Stream sdkError }](t, out)
		checkSDKError(t, "messages.create", got.Create, "NotFoundError", 404, "not_found_error")
		checkSDKError(t, "messages.stream", got.Stream, "NotFoundError", 404, "not_found_error")
		if !got.Create.IsNotFound || !got.Stream.IsNotFound {
			t.Error("not instanceof NotFoundError")
		}
	}},
	{"bad-key", func(t *testing.T, out json.RawMessage) {
		got := e2eDecode[struct{ Create, Models sdkError }](t, out)
		checkSDKError(t, "messages.create", got.Create, "AuthenticationError", 401, "authentication_error")
		checkSDKError(t, "models.list", got.Models, "AuthenticationError", 401, "authentication_error")
		if !got.Create.IsAuthentication || !got.Models.IsAuthentication {
			t.Error("not instanceof AuthenticationError")
		}
	}},
}

// sdkCall is a tool call as a test expects it: the tool and its input.
type sdkCall struct {
	name, input string
}

var (
	weatherCall = sdkCall{ollamatest.ToolWeather, ollamatest.ToolWeatherArgs}
	timeCall    = sdkCall{ollamatest.ToolTime, ollamatest.ToolTimeArgs}
)

// e2eRepairCase is a repair-* case of anthropic.mjs: the scripted model
// writes a tool call as text (see the text-call scripts of ollamatest),
// and the answer must be either that call made real (calls set, after
// text, the prose before it, if any) or the text untouched (calls nil,
// text the whole reply).
type e2eRepairCase struct {
	name  string
	model string
	text  string
	calls []sdkCall
}

var e2eRepairCases = []e2eRepairCase{
	{"repair-fenced", "claude-sonnet-4-5", "", []sdkCall{weatherCall}},
	{"repair-bare-arguments", "claude-sonnet-4-5", "", []sdkCall{weatherCall}},
	{"repair-bare-parameters", "claude-sonnet-4-5", "", []sdkCall{weatherCall}},
	// Through the tiny-notools model, which gets no tools from clawbridge,
	// so Ollama leaves the <tool_call> tags in the text.
	{"repair-tagged", "claude-opus-4-5", ollamatest.ReplyTaggedCallProse, []sdkCall{weatherCall}},
	{"repair-several", "claude-sonnet-4-5", ollamatest.ReplySeveralCallsProse, []sdkCall{weatherCall, timeCall}},
	{"repair-bad-arguments", "claude-sonnet-4-5", ollamatest.ReplyBadArguments, nil},
	{"repair-json-prose", "claude-sonnet-4-5", ollamatest.ReplyJSONProse, nil},
}

// check checks what repaired() in anthropic.mjs returns: the streamed and
// the created answer to the same request, and, after a repaired call, the
// streamed answer to its tool_results.
func (c e2eRepairCase) check(t *testing.T, out json.RawMessage) {
	got := e2eDecode[struct {
		Stream sdkStreamed
		Create sdkMessage
		After  *sdkStreamed
	}](t, out)
	checkSDKStream(t, got.Stream)
	if got.Stream.StreamedText != sdkText(got.Stream.Message) {
		t.Errorf("stream: text events add up to %q, final message says %q", got.Stream.StreamedText, sdkText(got.Stream.Message))
	}
	for _, m := range []struct {
		how string
		msg sdkMessage
	}{{"stream", got.Stream.Message}, {"create", got.Create}} {
		checkSDKMessage(t, m.msg, c.model)
		if c.calls == nil {
			if types := sdkBlockTypes(m.msg); !slices.Equal(types, []string{"text"}) || sdkText(m.msg) != c.text || m.msg.StopReason != "end_turn" {
				t.Errorf("%s: blocks %v, text %q, stop_reason %q; want the text untouched, %q, and end_turn",
					m.how, types, sdkText(m.msg), m.msg.StopReason, c.text)
			}
			continue
		}
		c.checkCalls(t, m.how, m.msg)
	}
	switch {
	case c.calls == nil && got.After != nil:
		t.Error("a tool_result turn followed an answer that should have made no call")
	case c.calls != nil && got.After == nil:
		t.Error("no tool_result turn after the repaired call")
	case c.calls != nil:
		// The repaired call drives the agent loop like a native one.
		checkSDKTextReply(t, *got.After, c.model, ollamatest.ReplyAfterTool)
	}
	if c.calls == nil && c.text == ollamatest.ReplyJSONProse {
		// Prose is not held back while the JSON in it is decided.
		deltas := 0
		for _, e := range got.Stream.Events {
			if e == "content_block_delta" {
				deltas++
			}
		}
		if deltas < 2 {
			t.Errorf("the prose came in %d text delta(s); want it streamed piece by piece", deltas)
		}
	}
}

// checkCalls checks an answer whose text calls were repaired: the prose
// before them as one text block, then one tool_use per call with its
// parsed input, and stop_reason tool_use.
func (c e2eRepairCase) checkCalls(t *testing.T, how string, m sdkMessage) {
	t.Helper()
	var want []string
	if c.text != "" {
		want = append(want, "text")
	}
	for range c.calls {
		want = append(want, "tool_use")
	}
	if got := sdkBlockTypes(m); !slices.Equal(got, want) {
		t.Fatalf("%s: content blocks %v; want %v", how, got, want)
	}
	if got := sdkText(m); got != c.text {
		t.Errorf("%s: text %q; want %q", how, got, c.text)
	}
	ids := map[string]bool{}
	for i, b := range m.Content[len(want)-len(c.calls):] {
		wc := c.calls[i]
		var input, wantInput any
		json.Unmarshal([]byte(wc.input), &wantInput)
		if err := json.Unmarshal(b.Input, &input); err != nil || b.Name != wc.name || !reflect.DeepEqual(input, wantInput) {
			t.Errorf("%s: tool_use %d is %s %s; want %s %s", how, i, b.Name, b.Input, wc.name, wc.input)
		}
		if !strings.HasPrefix(b.ID, "toolu_") || ids[b.ID] {
			t.Errorf("%s: tool_use id %q; want a fresh toolu_...", how, b.ID)
		}
		ids[b.ID] = true
	}
	if m.StopReason != "tool_use" {
		t.Errorf("%s: stop_reason %q; want tool_use", how, m.StopReason)
	}
}

// countTolerance is the error that daemon/translator documents for a
// calibrated count_tokens (calibratedTolerance in tokens.go): a fraction
// of the tokens the model reports for the same request.
const countTolerance = 0.10

// checkCountTokens checks the count-tokens case of anthropic.mjs: after
// one answer of a similar request, and again after small requests of
// other shapes (mostly tool schemas) have calibrated the model too,
// messages.countTokens() of a request with a system prompt and tools is
// within countTolerance of the usage.input_tokens (Ollama's
// prompt_eval_count) of that request.
func checkCountTokens(t *testing.T, out json.RawMessage) {
	got := e2eDecode[struct {
		Before                 int `json:"before"`
		CalibrationInputTokens int `json:"calibrationInputTokens"`
		Counted                int `json:"counted"`
		OtherRequests          int `json:"otherRequests"`
		CountedAfterOthers     int `json:"countedAfterOthers"`
		InputTokens            int `json:"inputTokens"`
		Reply                  []sdkBlock
	}](t, out)
	if got.InputTokens <= 0 || got.CalibrationInputTokens <= 0 || got.Before <= 0 || got.Counted <= 0 || got.CountedAfterOthers <= 0 || got.OtherRequests <= 0 {
		t.Fatalf("counts must be positive: %+v", got)
	}
	if len(got.Reply) != 1 || got.Reply[0].Text != ollamatest.ReplyDefault {
		t.Errorf("reply %+v; want the default reply (the request is not the one the test meant)", got.Reply)
	}
	for _, c := range []struct {
		when    string
		counted int
	}{
		{fmt.Sprintf("after one answer (%d input tokens)", got.CalibrationInputTokens), got.Counted},
		{fmt.Sprintf("after %d more answers of other shapes", got.OtherRequests), got.CountedAfterOthers},
	} {
		off := math.Abs(float64(c.counted-got.InputTokens)) / float64(got.InputTokens)
		t.Logf("count_tokens %d %s, %d before calibration; the request itself: %d input tokens; off by %.1f%%",
			c.counted, c.when, got.Before, got.InputTokens, off*100)
		if off > countTolerance {
			t.Errorf("count_tokens %d %s is %.1f%% off the %d input tokens Ollama counted; the documented tolerance is %.0f%%",
				c.counted, c.when, off*100, got.InputTokens, countTolerance*100)
		}
	}
}

// piMessage is pi-ai's AssistantMessage.
type piMessage struct {
	Role     string    `json:"role"`
	API      string    `json:"api"`
	Provider string    `json:"provider"`
	Model    string    `json:"model"`
	Content  []piBlock `json:"content"`
	Usage    struct {
		Input  int `json:"input"`
		Output int `json:"output"`
	} `json:"usage"`
	StopReason   string `json:"stopReason"`
	ErrorMessage string `json:"errorMessage"`
}

type piBlock struct {
	Type      string         `json:"type"`
	Text      string         `json:"text"`
	ID        string         `json:"id"`
	Name      string         `json:"name"`
	Arguments map[string]any `json:"arguments"`
}

// piStreamed is what pi-ai.mjs's streamed() returns.
type piStreamed struct {
	Version           string    `json:"version"`
	Message           piMessage `json:"message"`
	Events            []string  `json:"events"`
	StreamedText      string    `json:"streamedText"`
	StreamedToolCalls []piBlock `json:"streamedToolCalls"`
}

func piText(m piMessage) string {
	var s strings.Builder
	for _, b := range m.Content {
		if b.Type == "text" {
			s.WriteString(b.Text)
		}
	}
	return s.String()
}

// checkPiOK checks that pi-ai got a complete answer and not an error.
func checkPiOK(t *testing.T, m piMessage, stop string) {
	t.Helper()
	if m.StopReason != stop || m.ErrorMessage != "" {
		t.Fatalf("stopReason %q errorMessage %q; want %q and no error", m.StopReason, m.ErrorMessage, stop)
	}
	if m.Role != "assistant" || m.API != "anthropic-messages" || m.Provider != "anthropic" {
		t.Errorf("message role %q api %q provider %q; want assistant, anthropic-messages, anthropic", m.Role, m.API, m.Provider)
	}
	if m.Usage.Output <= 0 {
		t.Errorf("usage.output = %d; want > 0", m.Usage.Output)
	}
}

var e2ePiAICases = []e2eCase{
	{"text", func(t *testing.T, out json.RawMessage) {
		s := e2eDecode[piStreamed](t, out)
		t.Logf("pi-ai %s", s.Version)
		checkPiOK(t, s.Message, "stop")
		if got := piText(s.Message); got != ollamatest.ReplyDefault || s.StreamedText != got {
			t.Errorf("text %q (streamed %q); want %q", got, s.StreamedText, ollamatest.ReplyDefault)
		}
		if want := []string{"start", "text_start", "text_delta", "text_end", "done"}; !slices.Equal(slices.Compact(s.Events), want) {
			t.Errorf("events %v; want %v (text_delta repeated)", s.Events, want)
		}
	}},
	{"tool", func(t *testing.T, out json.RawMessage) {
		got := e2eDecode[struct {
			Version string
			First   piStreamed
			Second  *piMessage
		}](t, out)
		t.Logf("pi-ai %s", got.Version)
		checkPiOK(t, got.First.Message, "toolUse")
		var calls []piBlock
		for _, c := range got.First.Message.Content {
			if c.Type == "toolCall" {
				calls = append(calls, c)
			}
		}
		if len(calls) != 1 || calls[0].Name != "get_weather" || !reflect.DeepEqual(calls[0].Arguments, map[string]any{"city": "Paris"}) {
			t.Fatalf("tool calls %+v; want one get_weather {city: Paris}", calls)
		}
		if len(got.First.StreamedToolCalls) != 1 || !reflect.DeepEqual(got.First.StreamedToolCalls[0], calls[0]) {
			t.Errorf("toolcall_end events %+v; final message has %+v", got.First.StreamedToolCalls, calls)
		}
		if got.Second == nil {
			t.Fatal("no second turn")
		}
		checkPiOK(t, *got.Second, "stop")
		if text := piText(*got.Second); text != ollamatest.ReplyAfterTool {
			t.Errorf("text after the tool result %q; want %q", text, ollamatest.ReplyAfterTool)
		}
	}},
	{"bad-key", func(t *testing.T, out json.RawMessage) {
		s := e2eDecode[piStreamed](t, out)
		// pi-ai reports a failed request in the message, with the status
		// and the server's message, which Clawdbot then shows the user.
		if s.Message.StopReason != "error" || !strings.Contains(s.Message.ErrorMessage, "401") {
			t.Errorf("stopReason %q errorMessage %q; want error with the 401", s.Message.StopReason, s.Message.ErrorMessage)
		}
		if !slices.Contains(s.Events, "error") {
			t.Errorf("events %v; want an error event", s.Events)
		}
	}},
}
