package anthropic

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// Tool-call repair.
//
// Local models often write a tool call as text instead of making it: a
// ```json block, a bare {"name": ..., "arguments": ...} object on its own
// line, Hermes-style <tool_call>...</tool_call> tags, or a list of those,
// before or after some prose. Ollama only recognises the one format the
// model's template declares, so such calls reach the client as text and the
// agent stalls. The repairer watches the answer's text and turns every
// such call that names an offered tool, with arguments that fit the
// tool's input_schema, into a real tool call. Anything else, including
// JSON that merely looks like a call, stays text, byte for byte.
//
// It works on the stream: text that cannot start a call passes through at
// once, so prose keeps streaming token by token; only text that could still
// become a call (a fence, a "<", a "{" or "[" at the start of a line) is
// held until it is decided. Whitespace around a repaired call is dropped,
// so the answer has no blank text blocks. The decisions depend only on the
// text, never on how it was split into chunks: streamed and collected
// answers come out the same.

// ToolSet is the tools a request offered, by name, with their schemas.
type ToolSet map[string]*schema

// NewToolSet compiles the schemas of the offered tools; nil when there
// are none, which turns repair off.
func NewToolSet(tools []ollama.Tool) ToolSet {
	if len(tools) == 0 {
		return nil
	}
	ts := ToolSet{}
	for _, t := range tools {
		ts[t.Function.Name] = compileSchema(t.Function.Parameters)
	}
	return ts
}

// segment is one piece of repaired output: text, or a call.
type segment struct {
	text string
	call *ollama.ToolCallFunction
}

// repairer is the streaming state. The zero value is unusable; use
// newRepairer.
type repairer struct {
	tools ToolSet
	held  []byte
	// lineStart is whether held[0] begins a line (the text before it ended
	// with a newline, or there was none).
	lineStart bool
	// inFence is set inside a code fence that was let through as text:
	// nothing in it can start a call until it closes.
	inFence bool
	// afterCall drops the whitespace that follows a repaired call.
	afterCall bool
	// repairs counts the calls repaired so far.
	repairs int
}

func newRepairer(tools ToolSet) *repairer {
	return &repairer{tools: tools, lineStart: true}
}

// candidate is what the text at a possible call start turned out to be.
type candidate uint8

const (
	notCall   candidate = iota // plain text
	undecided                  // could still become a call: hold it
	isCall                     // complete and valid: replace with calls
	fenceText                  // a code fence that is not a call: text, and skip its body
	looksLike                  // complete but not a valid call: text up to end
)

// push adds text and hands what is decided to out, in order. With final
// set the text has ended (the answer is over, or a thinking block or a
// native tool call follows), so everything held is decided now.
func (r *repairer) push(s string, final bool, out func(segment)) {
	r.held = append(r.held, s...)
	b := r.held
	emitFrom, i := 0, 0
	text := func(end int) {
		t := b[emitFrom:end]
		if r.afterCall {
			t = bytes.TrimLeft(t, " \t\r\n")
			if len(t) == 0 {
				emitFrom = end
				return
			}
			r.afterCall = false
		}
		if len(t) > 0 {
			out(segment{text: string(t)})
		}
		emitFrom = end
	}
	for i < len(b) {
		if r.inFence {
			j, ok := fenceClose(b, i, r.lineStartAt(b, i), final)
			if !ok {
				// Hold back a possible start of the closing fence.
				text(j)
				r.keep(b, emitFrom)
				return
			}
			r.inFence = false
			i = j
			continue
		}
		c := b[i]
		var kind candidate
		var end int
		var calls []ollama.ToolCallFunction
		switch {
		case c == '`' && r.lineStartAt(b, i):
			kind, end, calls = r.fence(b[i:], final)
		case c == '<':
			kind, end, calls = r.tag(b[i:], final)
		case (c == '{' || c == '[') && r.lineStartAt(b, i):
			kind, end, calls = r.bare(b[i:], final)
		default:
			i++
			continue
		}
		switch kind {
		case notCall:
			i++
		case looksLike:
			i += end
		case fenceText:
			i += end
			r.inFence = true
		case undecided:
			text(trimRightSpace(b, emitFrom, i))
			r.keep(b, emitFrom)
			return
		case isCall:
			text(trimRightSpace(b, emitFrom, i))
			for k := range calls {
				out(segment{call: &calls[k]})
			}
			r.repairs += len(calls)
			r.afterCall = true
			i += end
			emitFrom = i
		}
	}
	if final {
		text(len(b))
		r.keep(b, emitFrom)
		// What follows (a thinking block, a native call) ends any fence
		// or line.
		r.lineStart, r.inFence = true, false
		return
	}
	// Trailing whitespace waits: a call may follow, and then it goes.
	text(trimRightSpace(b, emitFrom, len(b)))
	r.keep(b, emitFrom)
}

// keep retains b[from:] as the held text, noting whether it starts a line.
func (r *repairer) keep(b []byte, from int) {
	if from > 0 {
		r.lineStart = b[from-1] == '\n'
	}
	r.held = r.held[:copy(r.held, b[from:])]
}

// lineStartAt reports whether b[i] is the first thing on its line, after
// indentation.
func (r *repairer) lineStartAt(b []byte, i int) bool {
	for j := i - 1; j >= 0; j-- {
		switch b[j] {
		case '\n':
			return true
		case ' ', '\t':
		default:
			return false
		}
	}
	return r.lineStart
}

// trimRightSpace returns the end of b[from:to] without trailing whitespace.
func trimRightSpace(b []byte, from, to int) int {
	for to > from && isSpace(b[to-1]) {
		to--
	}
	return to
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// fenceInfos are the code fence languages a call may be written in.
var fenceInfos = []string{"", "json", "jsonc", "json5", "tool_call", "tool_calls", "tool_code"}

// fence classifies text starting with a backtick at the start of a line:
// a ``` fence holding one or more calls, and its end.
func (r *repairer) fence(b []byte, final bool) (candidate, int, []ollama.ToolCallFunction) {
	if len(b) < 3 {
		if !final && bytes.HasPrefix([]byte("```"), b) {
			return undecided, 0, nil
		}
		return notCall, 0, nil
	}
	if !bytes.HasPrefix(b, []byte("```")) {
		return notCall, 0, nil
	}
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		info := strings.TrimSpace(string(b[3:]))
		if !final && slices.ContainsFunc(fenceInfos, func(f string) bool { return strings.HasPrefix(f, strings.ToLower(info)) }) {
			return undecided, 0, nil
		}
		return fenceText, len(b), nil
	}
	if !slices.Contains(fenceInfos, strings.ToLower(strings.TrimSpace(string(b[3:nl])))) {
		return fenceText, nl + 1, nil
	}
	body := nl + 1
	state, end := jsonSequence(b[body:], final)
	switch state {
	case seqUndecided:
		return undecided, 0, nil
	case seqNotCall:
		return fenceText, body, nil
	}
	end += body
	// The closing fence must follow, on its own line.
	rest := b[end:]
	ws := len(rest) - len(bytes.TrimLeft(rest, " \t\r\n"))
	close := end + ws
	switch {
	case bytes.HasPrefix(b[close:], []byte("```")) && bytes.Contains(b[end:close], []byte("\n")):
		close += 3
	case len(b[close:]) < 3 && bytes.HasPrefix([]byte("```"), b[close:]) && !final:
		return undecided, 0, nil
	case close == len(b) && final:
		// The answer ended inside the fence (the model stopped before
		// closing it): a complete call still counts.
	default:
		return fenceText, body, nil
	}
	calls, ok := r.calls(b[body:end], false)
	if !ok {
		return looksLike, close, nil
	}
	return isCall, close, calls
}

// fenceClose finds the end of a fence's body that passes as text: the line
// after its closing ```. It returns false with the index up to which the
// text can go when the fence has not closed yet.
func fenceClose(b []byte, i int, lineStart bool, final bool) (int, bool) {
	for j := i; j < len(b); {
		atLine := j == i && lineStart || j > 0 && b[j-1] == '\n'
		if atLine && b[j] == '`' {
			switch {
			case bytes.HasPrefix(b[j:], []byte("```")):
				if nl := bytes.IndexByte(b[j:], '\n'); nl >= 0 {
					return j + nl + 1, true
				}
				if final {
					return len(b), true
				}
				return j, false
			case !final && bytes.HasPrefix([]byte("```"), b[j:]):
				return j, false
			}
		}
		nl := bytes.IndexByte(b[j:], '\n')
		if nl < 0 {
			return len(b), final
		}
		j += nl + 1
	}
	return len(b), final
}

// Tool-call tags, as Hermes-style templates (Qwen, Hermes, many fine-tunes)
// have the model write them.
const (
	openTag  = "<tool_call>"
	closeTag = "</tool_call>"
)

// tag classifies text starting with "<": <tool_call> with one or more calls
// in it, and its end.
func (r *repairer) tag(b []byte, final bool) (candidate, int, []ollama.ToolCallFunction) {
	if len(b) < len(openTag) {
		if !final && strings.HasPrefix(openTag, string(b)) {
			return undecided, 0, nil
		}
		return notCall, 0, nil
	}
	if !bytes.HasPrefix(b, []byte(openTag)) {
		return notCall, 0, nil
	}
	body := len(openTag)
	state, end := jsonSequence(b[body:], final)
	switch state {
	case seqUndecided:
		return undecided, 0, nil
	case seqNotCall:
		return notCall, 0, nil
	}
	end += body
	rest := b[end:]
	close := end + len(rest) - len(bytes.TrimLeft(rest, " \t\r\n"))
	switch {
	case bytes.HasPrefix(b[close:], []byte(closeTag)):
		close += len(closeTag)
	case !final && strings.HasPrefix(closeTag, string(b[close:])):
		return undecided, 0, nil
	case close == len(b) && final:
		// The model stopped before the closing tag.
	default:
		return looksLike, end, nil
	}
	calls, ok := r.calls(b[body:end], false)
	if !ok {
		return looksLike, close, nil
	}
	return isCall, close, calls
}

// bare classifies a JSON object or array at the start of a line. Unlike a
// fenced or tagged call, it must say both the name and the arguments, so
// an answer that happens to be JSON is not taken for a call.
func (r *repairer) bare(b []byte, final bool) (candidate, int, []ollama.ToolCallFunction) {
	state, end := jsonValue(b, final)
	switch state {
	case seqUndecided:
		return undecided, 0, nil
	case seqNotCall:
		return notCall, 0, nil
	}
	calls, ok := r.calls(b[:end], true)
	if !ok {
		return looksLike, end, nil
	}
	return isCall, end, calls
}

// calls reads one or more calls from JSON text (values separated by
// whitespace or commas) and checks each against the offered tools. Any
// call that does not check out makes the whole region text.
func (r *repairer) calls(text []byte, needArgs bool) ([]ollama.ToolCallFunction, bool) {
	var out []ollama.ToolCallFunction
	for i := 0; ; {
		for i < len(text) && (isSpace(text[i]) || text[i] == ',') {
			i++
		}
		if i == len(text) {
			return out, len(out) > 0
		}
		state, n := jsonValue(text[i:], true)
		if state != seqComplete {
			return nil, false
		}
		cs, ok := r.callsIn(text[i:i+n], needArgs)
		if !ok {
			return nil, false
		}
		out = append(out, cs...)
		i += n
	}
}

// callsIn reads calls from one JSON value: a call object, a list of them,
// or {"tool_calls": [...]}.
func (r *repairer) callsIn(raw []byte, needArgs bool) ([]ollama.ToolCallFunction, bool) {
	switch JSONKind(raw) {
	case "array":
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil, false
		}
		var out []ollama.ToolCallFunction
		for _, item := range items {
			cs, ok := r.callsIn(item, needArgs)
			if !ok {
				return nil, false
			}
			out = append(out, cs...)
		}
		return out, len(out) > 0
	case "object":
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return nil, false
		}
		if list, ok := m["tool_calls"]; ok && len(m) == 1 {
			return r.callsIn(list, needArgs)
		}
		c, ok := r.call(m, needArgs)
		if !ok {
			return nil, false
		}
		return []ollama.ToolCallFunction{c}, true
	}
	return nil, false
}

// nameKeys and argKeys are the keys models use for a call's function name
// and its arguments.
var (
	nameKeys = []string{"name", "tool_name", "tool", "function"}
	argKeys  = []string{"arguments", "parameters", "input", "args", "tool_input"}
)

// callKeys are the keys a call object may start with; an object whose
// first key is none of them is let go as text at once.
var callKeys = append(append([]string{"type", "id", "tool_calls"}, nameKeys...), argKeys...)

// call checks one call object: {"name", "arguments"} or one of the
// variants models write ({"function": {...}} as OpenAI nests it,
// "parameters" as Llama 3 writes it, arguments as a JSON string). The
// arguments keep the model's key order, compacted.
func (r *repairer) call(m map[string]json.RawMessage, needArgs bool) (ollama.ToolCallFunction, bool) {
	var none ollama.ToolCallFunction
	if f := m["function"]; JSONKind(f) == "object" {
		var inner map[string]json.RawMessage
		if json.Unmarshal(f, &inner) != nil {
			return none, false
		}
		return r.call(inner, needArgs)
	}
	var name string
	for _, k := range nameKeys {
		if json.Unmarshal(m[k], &name) == nil && name != "" {
			break
		}
	}
	s, offered := r.tools[name]
	if !offered {
		return none, false
	}
	var args json.RawMessage
	for _, k := range argKeys {
		if a, ok := m[k]; ok {
			args = a
			break
		}
	}
	switch JSONKind(args) {
	case "nothing":
		if needArgs {
			return none, false
		}
		args = json.RawMessage("{}")
	case "string":
		var str string
		if json.Unmarshal(args, &str) != nil {
			return none, false
		}
		args = json.RawMessage(str)
	}
	if JSONKind(args) != "object" || !json.Valid(args) {
		return none, false
	}
	v, err := decodeExact(args)
	if err != nil || s.validate("", v) != nil {
		return none, false
	}
	var compact bytes.Buffer
	if json.Compact(&compact, args) != nil {
		return none, false
	}
	return ollama.ToolCallFunction{Name: name, Arguments: compact.Bytes()}, true
}

// seqState is what jsonValue and jsonSequence found.
type seqState uint8

const (
	seqNotCall   seqState = iota // cannot be a call
	seqUndecided                 // incomplete, could still be one
	seqComplete                  // one or more complete values
)

// jsonSequence reads JSON values separated by whitespace or commas from
// the start of b, returning where the last one ends. Whitespace before the
// first is skipped.
func jsonSequence(b []byte, final bool) (seqState, int) {
	i := len(b) - len(bytes.TrimLeft(b, " \t\r\n"))
	if i == len(b) {
		if final {
			return seqNotCall, 0
		}
		return seqUndecided, 0
	}
	end := 0
	for {
		state, n := jsonValue(b[i:], final)
		switch {
		case state == seqUndecided:
			return seqUndecided, 0
		case state == seqNotCall && end == 0:
			return seqNotCall, 0
		case state == seqNotCall:
			return seqComplete, end
		}
		end = i + n
		i = end
		for i < len(b) && (isSpace(b[i]) || b[i] == ',') {
			i++
		}
		if i == len(b) {
			if final {
				return seqComplete, end
			}
			// More calls may follow.
			return seqUndecided, 0
		}
		if b[i] != '{' && b[i] != '[' {
			return seqComplete, end
		}
	}
}

// jsonValue finds the end of the JSON object or array at the start of b.
// It gives up (seqNotCall) as soon as the text cannot be a call: not an
// object or array, a first key that no call format uses, broken nesting.
func jsonValue(b []byte, final bool) (seqState, int) {
	if len(b) == 0 || b[0] != '{' && b[0] != '[' {
		return seqNotCall, 0
	}
	if !couldBeCall(b) {
		return seqNotCall, 0
	}
	var stack []byte
	inString, escaped := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			case c == '\n':
				return seqNotCall, 0 // JSON strings hold no raw newlines
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			stack = append(stack, c)
		case '}', ']':
			if len(stack) == 0 || (c == '}') != (stack[len(stack)-1] == '{') {
				return seqNotCall, 0
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				if !json.Valid(b[:i+1]) {
					return seqNotCall, 0
				}
				return seqComplete, i + 1
			}
		}
	}
	if final {
		return seqNotCall, 0
	}
	return seqUndecided, 0
}

// couldBeCall reports whether a JSON prefix can still be a call: an
// object (or a list of objects) whose first key, as far as it has been
// written, is one that call formats use.
func couldBeCall(b []byte) bool {
	i := 0
	skip := func() {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
	}
	if b[0] == '[' {
		i++
		skip()
		if i == len(b) {
			return true
		}
		if b[i] != '{' {
			return false
		}
	}
	i++
	skip()
	if i == len(b) {
		return true
	}
	if b[i] != '"' {
		return false
	}
	i++
	end := bytes.IndexByte(b[i:], '"')
	if end < 0 {
		partial := string(b[i:])
		return slices.ContainsFunc(callKeys, func(k string) bool { return strings.HasPrefix(k, partial) })
	}
	return slices.Contains(callKeys, string(b[i:i+end]))
}
