package ollamatest

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"github.com/clawbridge/clawbridge/daemon/golden"
)

// The templates are generated from Scripts; the golden copies in testdata
// are what a reader (or `ollama create`) sees.
func TestTemplateGolden(t *testing.T) {
	for _, m := range Models {
		got, err := Template(m)
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, filepath.Join("testdata", m+".tmpl"), []byte(got))
	}
	if _, err := Template("nope"); err == nil {
		t.Error("Template(nope) succeeded")
	}
}

// The values Ollama 0.17.4 hands a chat template (template.Execute): the
// field names and the String methods of tool-call arguments mirror
// Ollama's templateMessage and templateArgs.
type tmplMessage struct {
	Role      string
	Content   string
	Thinking  string
	ToolCalls []tmplToolCall
	ToolName  string
}

type tmplToolCall struct {
	Function struct {
		Name      string
		Arguments tmplArgs
	}
}

type tmplArgs map[string]any

func (a tmplArgs) String() string {
	b, _ := json.Marshal(map[string]any(a))
	return string(b)
}

// render executes a model's template the way Ollama does: missingkey=zero
// and Ollama's json function.
func render(t *testing.T, model string, msgs []*tmplMessage, tools bool, think bool) string {
	t.Helper()
	src, err := Template(model)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := template.New("").Option("missingkey=zero").Funcs(template.FuncMap{
		"json": func(v any) string { b, _ := json.Marshal(v); return string(b) },
	}).Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	var system []string
	var rest []*tmplMessage
	for _, m := range msgs {
		if m.Role == "system" {
			system = append(system, m.Content)
		}
		rest = append(rest, m)
	}
	var toolList []map[string]any
	if tools {
		toolList = []map[string]any{
			{"type": "function", "function": map[string]any{"name": ToolWeather, "parameters": json.RawMessage(WeatherParameters)}},
			{"type": "function", "function": map[string]any{"name": ToolTime, "parameters": json.RawMessage(TimeParameters)}},
		}
	}
	var b strings.Builder
	err = tmpl.Execute(&b, map[string]any{
		"System":     strings.Join(system, "\n\n"),
		"Messages":   rest,
		"Tools":      toolList,
		"Response":   "",
		"Think":      think,
		"ThinkLevel": "",
		"IsThinkSet": think,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func user(s string) *tmplMessage { return &tmplMessage{Role: "user", Content: s} }

func TestTemplateChoosesScript(t *testing.T) {
	call := &tmplMessage{Role: "assistant"}
	call.ToolCalls = []tmplToolCall{{}}
	call.ToolCalls[0].Function.Name = ToolWeather
	call.ToolCalls[0].Function.Arguments = tmplArgs{"city": "Paris"}
	toolResult := &tmplMessage{Role: "tool", Content: "sunny", ToolName: ToolWeather}

	for _, tc := range []struct {
		name  string
		model string
		msgs  []*tmplMessage
		tools bool
		think bool
		want  string
	}{
		{"plain message", ModelTiny, []*tmplMessage{user("hi")}, false, false, "default"},
		{"empty message", ModelTiny, []*tmplMessage{user("")}, false, false, "default"},
		{"weather with tools", ModelTiny, []*tmplMessage{user("what's the weather?")}, true, false, "weather"},
		{"capitalised trigger", ModelTiny, []*tmplMessage{user("Weather in Paris")}, true, false, "weather"},
		{"trigger ends the message", ModelTiny, []*tmplMessage{user("the weather")}, true, false, "weather"},
		{"upper case is no trigger", ModelTiny, []*tmplMessage{user("WEATHER")}, true, false, "default"},
		{"weather without tools", ModelTiny, []*tmplMessage{user("weather")}, false, false, "default"},
		{"notools cannot see tools", ModelNoTools, []*tmplMessage{user("weather")}, true, false, "default"},
		{"two tools", ModelTiny, []*tmplMessage{user("use two tools: weather and time")}, true, false, "two_tools"},
		{"jsontool with tools", ModelTiny, []*tmplMessage{user("jsontool weather")}, true, false, "jsontool"},
		{"jsontool without tools", ModelPlain, []*tmplMessage{user("jsontool")}, false, false, "jsontool"},
		{"bare arguments", ModelTiny, []*tmplMessage{user("bare arguments")}, true, false, "bare_arguments"},
		{"bare parameters", ModelTiny, []*tmplMessage{user("Bare parameters")}, false, false, "bare_parameters"},
		{"tagged call without tools", ModelTiny, []*tmplMessage{user("tagged call")}, false, false, "tagged_call"},
		{"tagged call notools", ModelNoTools, []*tmplMessage{user("tagged call")}, true, false, "tagged_call"},
		{"several calls", ModelTiny, []*tmplMessage{user("several calls")}, true, false, "several_calls"},
		{"bad arguments", ModelPlain, []*tmplMessage{user("bad arguments")}, false, false, "bad_arguments"},
		{"json prose", ModelTiny, []*tmplMessage{user("json prose")}, true, false, "json_prose"},
		{"json object", ModelTiny, []*tmplMessage{user("a json object")}, false, false, "json_object"},
		{"think on", ModelTiny, []*tmplMessage{user("think about it")}, false, true, "think"},
		{"think off", ModelTiny, []*tmplMessage{user("think about it")}, false, false, "think_off"},
		{"think on notools", ModelNoTools, []*tmplMessage{user("Think!")}, false, true, "think"},
		{"plain has no thinking", ModelPlain, []*tmplMessage{user("think")}, false, true, "think_off"},
		{"loop", ModelTiny, []*tmplMessage{user("loop forever")}, false, false, "loop"},
		{"repeat", ModelTiny, []*tmplMessage{user("Repeat")}, false, false, "repeat"},
		{"stop", ModelTiny, []*tmplMessage{user("stop early")}, false, false, "stop"},
		{"unicode", ModelTiny, []*tmplMessage{user("unicode ✓")}, false, false, "unicode"},
		{"after a tool result", ModelTiny, []*tmplMessage{user("weather"), call, toolResult}, true, false, "after_tool"},
		{"after a tool result, notools", ModelNoTools, []*tmplMessage{user("weather"), call, toolResult}, false, false, "after_tool"},
		{"trigger only in the system prompt", ModelTiny, []*tmplMessage{{Role: "system", Content: "weather loop stop"}, user("hi")}, true, false, "default"},
		{"trigger only in an earlier turn", ModelTiny, []*tmplMessage{user("loop"), {Role: "assistant", Content: "tick"}, user("hi")}, false, false, "default"},
		{"fenced write", ModelTiny, []*tmplMessage{user("fenced write")}, true, false, "fenced_write"},
		{"prose write", ModelTiny, []*tmplMessage{user("Prose write")}, true, false, "prose_write"},
		{"codeword", ModelPlain, []*tmplMessage{user("codeword first")}, false, false, "codeword"},
		{"trigger in the user turn's first message", ModelTiny, []*tmplMessage{user("codeword"), user("context")}, false, false, "codeword"},
		{"trigger in the user turn's second message", ModelTiny, []*tmplMessage{user("context"), user("codeword")}, false, false, "codeword"},
		{"trigger before a tool result is no trigger", ModelTiny, []*tmplMessage{user("codeword"), call, toolResult, user("context")}, true, false, "default"},
		{"last message is the assistant's", ModelTiny, []*tmplMessage{user("loop"), {Role: "assistant", Content: "tick"}}, false, false, "default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := render(t, tc.model, tc.msgs, tc.tools, tc.think)
			if want := "<|assistant|>\n" + marker(tc.want); !strings.HasSuffix(got, want) {
				t.Errorf("prompt ends %q, want %q", got[max(0, len(got)-60):], want)
			}
		})
	}
}

// The prompt renders the whole conversation: system, tools, earlier
// thinking (only where the model has the capability) and tool calls.
func TestTemplateRendersConversation(t *testing.T) {
	call := &tmplMessage{Role: "assistant", Thinking: "I should call it."}
	call.ToolCalls = []tmplToolCall{{}}
	call.ToolCalls[0].Function.Name = ToolWeather
	call.ToolCalls[0].Function.Arguments = tmplArgs{"city": "Paris"}
	msgs := []*tmplMessage{
		{Role: "system", Content: "Be brief."},
		user("weather?"),
		call,
		{Role: "tool", Content: "sunny", ToolName: ToolWeather},
	}
	want := "<|system|>\nBe brief.\n" +
		"<|tools|>\n" +
		`{"function":{"name":"get_weather","parameters":` + WeatherParameters + `},"type":"function"}` + "\n" +
		`{"function":{"name":"get_time","parameters":` + TimeParameters + `},"type":"function"}` + "\n" +
		"<|user|>\nweather?\n" +
		"<|assistant|>\n<think>I should call it.</think><tool_call>\n" +
		`{"name": "get_weather", "arguments": {"city":"Paris"}}` + "\n</tool_call>\n" +
		"<|tool|>\nsunny\n" +
		"<|assistant|>\n<|reply:after_tool|>"
	if got := render(t, ModelTiny, msgs, true, true); got != want {
		t.Errorf("tiny prompt:\n%s\nwant:\n%s", got, want)
	}
	plain := render(t, ModelPlain, msgs, true, false)
	if strings.Contains(plain, "<think>") || strings.Contains(plain, "<|tools|>") {
		t.Errorf("tiny-plain renders thinking or tools:\n%s", plain)
	}
}
