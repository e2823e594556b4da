package translator

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// blockKind is the type of an Anthropic content block.
type blockKind uint8

const (
	noBlock blockKind = iota
	thinkingBlock
	textBlock
	toolUseBlock
)

// thinkingSignature signs every thinking block. The API requires one and
// clients send it back, but clawbridge drops thinking from the history it
// forwards, so nothing ever verifies it: a stable opaque string is enough.
const thinkingSignature = "Y2xhd2JyaWRnZS1sb2NhbC10aGlua2luZw=="

// sink receives an answer as Anthropic content blocks. The SSE encoder
// writes them as stream events, the message builder collects them into
// one Message: both see exactly the same blocks, in the same order.
type sink interface {
	// blockStart opens block index; id and name are set for tool_use.
	blockStart(index int, kind blockKind, id, name string)
	// blockDelta appends text, thinking, or a tool call's input JSON.
	blockDelta(index int, kind blockKind, s string)
	blockStop(index int, kind blockKind)
	messageEnd(stopReason, stopSequence string, usage Usage)
}

// answer is the state machine that turns Ollama's streamed chunks into
// Anthropic content blocks: thinking, text, and one tool_use per call,
// each closed before the next opens, with indexes from 0.
//
// It also finds the client's stop sequences itself (see chatRequest): it
// holds back any tail of the text that could be the start of one, and
// when one appears it ends the answer there, leaving the sequence out.
// Text that gets past the stop sequences goes through the tool-call
// repairer when the request offered tools (see repair.go).
type answer struct {
	sink      sink
	stops     [][]byte
	newToolID func() string
	repair    *repairer // nil: text is passed on as is

	open    blockKind
	next    int    // index the next block gets
	pending []byte // text held back: it may be the start of a stop sequence

	toolCalls int
	chunks    int // chunks that carried output: the token count when Ollama gives none
	matched   string
	ended     bool
	// stopReason and usage are what messageEnd reported, for the log.
	stopReason string
	usage      Usage
	// genTime is Ollama's eval_duration: generation time without loading
	// and prompt reading, for an honest tokens per second.
	genTime time.Duration
}

// answerConfig is what the answer needs from the request.
type answerConfig struct {
	// stops are the client's stop sequences.
	stops []string
	// tools are the offered tools whose calls written as text are
	// repaired; nil turns repair off.
	tools toolSet
	// newToolID makes the id of each tool call.
	newToolID func() string
}

func newAnswer(s sink, cfg answerConfig) *answer {
	a := &answer{sink: s, newToolID: cfg.newToolID}
	for _, st := range cfg.stops {
		a.stops = append(a.stops, []byte(st))
	}
	if len(cfg.tools) > 0 {
		a.repair = newRepairer(cfg.tools)
	}
	return a
}

// repairs is how many tool calls were repaired from text.
func (a *answer) repairs() int {
	if a.repair == nil {
		return 0
	}
	return a.repair.repairs
}

// add takes one chunk. It returns true once the answer is complete: at the
// chunk marked done, or at a stop sequence, after which the caller should
// stop reading (and cancel the upstream request).
func (a *answer) add(c *ollama.ChatResponse) bool {
	if a.ended {
		return true
	}
	m := &c.Message
	if m.Thinking != "" || m.Content != "" || len(m.ToolCalls) > 0 {
		a.chunks++
	}
	if m.Thinking != "" {
		a.flushPending()
		a.flushRepair()
		a.ensure(thinkingBlock)
		a.sink.blockDelta(a.next-1, thinkingBlock, m.Thinking)
	}
	if m.Content != "" && a.text(m.Content) {
		a.finish("stop", Usage{OutputTokens: a.chunks})
		return true
	}
	for i := range m.ToolCalls {
		a.toolCall(&m.ToolCalls[i].Function)
	}
	if c.Done {
		a.genTime = c.EvalDuration
		a.finish(c.DoneReason, Usage{InputTokens: c.PromptEvalCount, OutputTokens: c.EvalCount})
		return true
	}
	return false
}

// text handles generated text, reporting whether a stop sequence ended it.
func (a *answer) text(s string) bool {
	if len(a.stops) == 0 {
		a.emitText(s)
		return false
	}
	a.pending = append(a.pending, s...)
	if at, seq := firstStop(a.pending, a.stops); at >= 0 {
		a.emitText(string(a.pending[:at]))
		a.pending = a.pending[:0]
		a.matched = string(seq)
		return true
	}
	keep := stopPrefixLen(a.pending, a.stops)
	if cut := len(a.pending) - keep; cut > 0 {
		a.emitText(string(a.pending[:cut]))
		a.pending = a.pending[:copy(a.pending, a.pending[cut:])]
	}
	return false
}

// emitText passes text that no stop sequence ended on, through the
// repairer when there is one.
func (a *answer) emitText(s string) {
	if a.repair != nil {
		a.repair.push(s, false, a.repaired)
		return
	}
	a.plainText(s)
}

func (a *answer) plainText(s string) {
	if s == "" {
		return
	}
	a.ensure(textBlock)
	a.sink.blockDelta(a.next-1, textBlock, s)
}

// repaired takes the repairer's output: text, or a call it found.
func (a *answer) repaired(seg segment) {
	if seg.call != nil {
		a.emitCall(seg.call)
		return
	}
	a.plainText(seg.text)
}

// flushRepair makes the repairer decide what it holds: the text has ended.
func (a *answer) flushRepair() {
	if a.repair != nil {
		a.repair.push("", true, a.repaired)
	}
}

// flushPending lets held-back text go once something else follows it: a
// stop sequence cannot span a thinking block or a tool call.
func (a *answer) flushPending() {
	if len(a.pending) > 0 {
		s := string(a.pending)
		a.pending = a.pending[:0]
		a.emitText(s)
	}
}

// toolCall takes a call Ollama parsed: whatever text came before it is
// final.
func (a *answer) toolCall(f *ollama.ToolCallFunction) {
	a.flushPending()
	a.flushRepair()
	a.emitCall(f)
}

func (a *answer) emitCall(f *ollama.ToolCallFunction) {
	a.closeOpen()
	i := a.next
	a.next++
	a.sink.blockStart(i, toolUseBlock, a.newToolID(), f.Name)
	if args := strings.TrimSpace(string(f.Arguments)); args != "" && args != "null" && args != "{}" {
		if !utf8.ValidString(args) {
			// Raw arguments keep the backend's bytes; a client must get
			// valid UTF-8 (the JSON stays valid: such bytes can only be
			// inside strings).
			args = strings.ToValidUTF8(args, "\uFFFD")
		}
		a.sink.blockDelta(i, toolUseBlock, args)
	}
	a.sink.blockStop(i, toolUseBlock)
	a.toolCalls++
}

// ensure makes sure a block of kind is the open one.
func (a *answer) ensure(kind blockKind) {
	if a.open == kind {
		return
	}
	a.closeOpen()
	a.open = kind
	a.sink.blockStart(a.next, kind, "", "")
	a.next++
}

func (a *answer) closeOpen() {
	if a.open != noBlock {
		a.sink.blockStop(a.next-1, a.open)
		a.open = noBlock
	}
}

// finish ends the answer with Ollama's done reason ("stop", "length", or
// "" when the stream ended without a done line) and token counts.
func (a *answer) finish(doneReason string, u Usage) {
	if a.ended {
		return
	}
	a.flushPending()
	a.flushRepair()
	a.closeOpen()
	a.ended = true
	a.usage = u
	reason := "end_turn"
	switch {
	case a.matched != "":
		reason = "stop_sequence"
	case a.toolCalls > 0:
		// Ollama says "stop" after a tool call; clients wait for tool_use.
		reason = "tool_use"
	case doneReason == "length":
		reason = "max_tokens"
	}
	a.stopReason = reason
	a.sink.messageEnd(reason, a.matched, u)
}

// finishIncomplete ends an answer whose stream closed without a done line
// (Ollama does that, for example, after 30 identical tokens): what came is
// kept and the turn ends normally, counting tokens as chunks.
func (a *answer) finishIncomplete() {
	a.finish("", Usage{OutputTokens: a.chunks})
}

// firstStop returns where the earliest stop sequence in text starts, and
// which one it is; -1 if none is there.
func firstStop(text []byte, stops [][]byte) (int, []byte) {
	at, seq := -1, []byte(nil)
	for _, s := range stops {
		if i := bytes.Index(text, s); i >= 0 && (at < 0 || i < at) {
			at, seq = i, s
		}
	}
	return at, seq
}

// stopPrefixLen returns the length of the longest tail of text that is the
// beginning of a stop sequence: text that must wait for the next chunk.
func stopPrefixLen(text []byte, stops [][]byte) int {
	best := 0
	for _, s := range stops {
		n := min(len(s)-1, len(text))
		for ; n > best; n-- {
			if bytes.Equal(text[len(text)-n:], s[:n]) {
				best = n
				break
			}
		}
	}
	return best
}

// messageBuilder is the sink for non-streaming requests: it collects the
// blocks into one Message.
type messageBuilder struct {
	msg   Message
	parts []strings.Builder // text of each block, by index
}

func (m *messageBuilder) blockStart(index int, kind blockKind, id, name string) {
	b := ContentBlock{Type: kindName(kind), ID: id, Name: name}
	if kind == thinkingBlock {
		b.Signature = thinkingSignature
	}
	m.msg.Content = append(m.msg.Content, b)
	m.parts = append(m.parts, strings.Builder{})
}

func (m *messageBuilder) blockDelta(index int, kind blockKind, s string) {
	m.parts[index].WriteString(s)
}

func (m *messageBuilder) blockStop(index int, kind blockKind) {
	b := &m.msg.Content[index]
	s := m.parts[index].String()
	switch kind {
	case thinkingBlock:
		b.Thinking = s
	case textBlock:
		b.Text = s
	case toolUseBlock:
		if s != "" {
			b.Input = json.RawMessage(s)
		}
	}
}

func (m *messageBuilder) messageEnd(stopReason, stopSequence string, usage Usage) {
	m.msg.StopReason = &stopReason
	if stopSequence != "" {
		m.msg.StopSequence = &stopSequence
	}
	m.msg.Usage = usage
}

func kindName(k blockKind) string {
	switch k {
	case thinkingBlock:
		return "thinking"
	case textBlock:
		return "text"
	case toolUseBlock:
		return "tool_use"
	}
	return ""
}
