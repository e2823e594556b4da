package ollamatest

import (
	"fmt"
	"strings"
)

// variant is what one of the models' templates shows Ollama. Ollama infers
// capabilities from the template: "tools" when it reads .Tools, "thinking"
// when it renders .Thinking of the messages between two text tags (which
// then become the tags Ollama's thinking parser splits replies on).
type variant struct {
	tools    bool
	thinking bool
}

var variants = map[string]variant{
	ModelTiny:    {tools: true, thinking: true},
	ModelNoTools: {tools: false, thinking: true},
	ModelPlain:   {tools: false, thinking: false},
	ModelAlt:     {tools: true, thinking: true},
}

// Template returns the Ollama chat template (Go text/template syntax, as
// in a Modelfile's TEMPLATE) of the named model. It renders the
// conversation with role tokens, then chooses the reply: it finds the
// triggers in the last user message and ends the prompt with the marker
// token of the first script in Scripts whose conditions hold.
//
// Plain text/template has no substring test, so the template slides over
// the message with range-over-int and slice, comparing each trigger's
// length of text; that is linear in the last message's length, and only
// the last message is searched.
func Template(model string) (string, error) {
	v, ok := variants[model]
	if !ok {
		return "", fmt.Errorf("ollamatest: no model %q (have %v)", model, Models)
	}
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	line(`{{- if .System }}<|system|>`)
	line(`{{ .System }}`)
	line(`{{ end }}`)
	if v.tools {
		line(`{{- if .Tools }}<|tools|>`)
		line(`{{- range .Tools }}`)
		line(`{{ json . }}`)
		line(`{{- end }}`)
		line(`{{ end }}`)
	}
	line(`{{- $role := "" }}{{ $text := "" }}`)
	// $text is the last user turn: the user messages since the last
	// message of another role, joined (OpenClaw sends its own context as
	// a second user message after the user's).
	line(`{{- range .Messages }}{{ $prev := $role }}{{ $role = .Role }}`)
	line(`{{- if eq .Role "user" }}<|user|>`)
	line(`{{ .Content }}{{ if eq $prev "user" }}{{ $text = printf "%%s\n%%s" $text .Content }}{{ else }}{{ $text = .Content }}{{ end }}`)
	line(`{{ else if eq .Role "assistant" }}<|assistant|>`)
	if v.thinking {
		line(`{{ if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}{{ .Content }}`)
	} else {
		line(`{{ .Content }}`)
	}
	// Ollama's tool-call parser takes the first text after .ToolCalls,
	// "<tool_call>", as the tag that opens a call in the model's output.
	line(`{{- if .ToolCalls }}<tool_call>`)
	line(`{{- range .ToolCalls }}`)
	line(`{"name": "{{ .Function.Name }}", "arguments": {{ .Function.Arguments }}}`)
	line(`{{- end }}`)
	line(`</tool_call>`)
	line(`{{- end }}`)
	line(`{{ else if eq .Role "tool" }}<|tool|>`)
	line(`{{ .Content }}`)
	line(`{{ end }}`)
	line(`{{- end }}`)

	// The scripts this model can reach: a template that cannot see tools
	// or thinking never chooses a script that needs them.
	var scripts []Script
	for _, s := range Scripts {
		if (!s.NeedsTools || v.tools) && (!s.NeedsThink || v.thinking) {
			scripts = append(scripts, s)
		}
	}

	// Find the triggers in the last user turn, if the last message is the
	// user's.
	var triggers []string
	for _, s := range scripts {
		if s.Trigger != "" && !contains(triggers, s.Trigger) {
			triggers = append(triggers, s.Trigger)
			line(`{{- %s := false }}`, triggerVar(s.Trigger))
		}
	}
	line(`{{- if eq $role "user" }}{{ range $i := len $text }}{{ $rest := slice $text $i }}`)
	for _, t := range triggers {
		match := fmt.Sprintf(`eq $s %q`, t)
		if title := strings.ToUpper(t[:1]) + t[1:]; title != t {
			match = fmt.Sprintf(`or (eq $s %q) (eq $s %q)`, t, title)
		}
		line(`{{- if and (not %[1]s) (ge (len $rest) %[2]d) }}{{ $s := slice $rest 0 %[2]d }}{{ if %[3]s }}{{ %[1]s = true }}{{ end }}{{ end }}`,
			triggerVar(t), len(t), match)
	}
	line(`{{- end }}{{ end -}}`)

	// Choose the reply.
	b.WriteString("<|assistant|>\n")
	first := true
	for _, s := range scripts {
		var conds []string
		if s.AfterTool {
			conds = append(conds, `(eq $role "tool")`)
		}
		if s.Trigger != "" {
			conds = append(conds, triggerVar(s.Trigger))
		}
		if s.NeedsTools {
			conds = append(conds, `.Tools`)
		}
		if s.NeedsThink {
			conds = append(conds, `.Think`)
		}
		switch {
		case len(conds) == 0:
			fmt.Fprintf(&b, "{{- else }}%s{{ end }}", marker(s.Name))
		case first:
			fmt.Fprintf(&b, "{{ if %s }}%s\n", and(conds), marker(s.Name))
		default:
			fmt.Fprintf(&b, "{{- else if %s }}%s\n", and(conds), marker(s.Name))
		}
		first = false
	}
	return b.String(), nil
}

// Modelfile returns a Modelfile for `ollama create MODEL -f Modelfile`
// that makes the named model from the GGUF file at ggufPath (ModelGGUF's
// bytes), with the same template and num_ctx that Start uses through the
// API. It is for trying the models by hand.
func Modelfile(model, ggufPath string) (string, error) {
	tmpl, err := Template(model)
	if err != nil {
		return "", err
	}
	if strings.Contains(tmpl, `"""`) {
		return "", fmt.Errorf("ollamatest: the %s template contains \"\"\", which a Modelfile cannot quote", model)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "FROM %s\nTEMPLATE \"\"\"%s\"\"\"\n", ggufPath, tmpl)
	for _, p := range modelParameters {
		fmt.Fprintf(&b, "PARAMETER %s %d\n", p.name, p.value)
	}
	return b.String(), nil
}

// DefaultNumCtx is the context length the models are created with
// (PARAMETER num_ctx); requests may ask for up to the model's 65536.
const DefaultNumCtx = 4096

// modelParameters are every model's PARAMETER settings. One runner
// thread: on a shared 2-core machine ggml's two threads wait on each other
// by spinning, which made short requests ten times slower (25ms to 250ms)
// whenever another process was busy; only long prompts gain from a
// second thread (a 32k-token prompt takes about 1.7 times as long with
// one). A request can still set num_thread.
var modelParameters = []struct {
	name  string
	value int
}{
	{"num_ctx", DefaultNumCtx},
	{"num_thread", 1},
}

// parameters is modelParameters as /api/create takes them.
func parameters() map[string]any {
	m := map[string]any{}
	for _, p := range modelParameters {
		m[p.name] = p.value
	}
	return m
}

func and(conds []string) string {
	if len(conds) == 1 {
		return conds[0]
	}
	return "and " + strings.Join(conds, " ")
}

// triggerVar names the template variable that records whether the last
// user message contains trigger t: "two tools" becomes $has_two_tools.
func triggerVar(t string) string {
	return "$has_" + strings.ReplaceAll(t, " ", "_")
}

// marker is the control token that ends the prompt and selects a script.
func marker(script string) string {
	return "<|reply:" + script + "|>"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// roleTokens are the control tokens the template writes around messages.
// They make prompts look like a real chat model's; only the marker that
// ends the prompt decides the reply.
var roleTokens = []string{"<|system|>", "<|tools|>", "<|user|>", "<|assistant|>", "<|tool|>"}
