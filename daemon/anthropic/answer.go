package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clawbridge/clawbridge/daemon/upstream"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// BlockKind is the type of an Anthropic content block.
type BlockKind uint8

// The kinds of block an answer has; NoBlock is none open.
const (
	NoBlock BlockKind = iota
	ThinkingBlock
	TextBlock
	ToolUseBlock
)

// thinkingSignature signs every thinking block. The API requires one and
// clients send it back, but clawbridge drops thinking from the history it
// forwards, so nothing ever verifies it: a stable opaque string is enough.
const thinkingSignature = "Y2xhd2JyaWRnZS1sb2NhbC10aGlua2luZw=="

// Sink receives an answer as Anthropic content blocks. The SSE encoder
// writes them as stream events, the message builder collects them into
// one Message: both see exactly the same blocks, in the same order.
type Sink interface {
	// BlockStart opens block index; id and name are set for tool_use.
	BlockStart(index int, kind BlockKind, id, name string)
	// BlockDelta appends text, thinking, or a tool call's input JSON.
	BlockDelta(index int, kind BlockKind, s string)
	// BlockStop closes block index.
	BlockStop(index int, kind BlockKind)
	// MessageEnd ends the answer with its stop reason and usage.
	MessageEnd(stopReason, stopSequence string, usage Usage)
}

// Answer is the state machine that turns Ollama's streamed chunks into
// Anthropic content blocks: thinking, text, and one tool_use per call,
// each closed before the next opens, with indexes from 0.
//
// It also finds the client's stop sequences itself (see OllamaRequest): it
// holds back any tail of the text that could be the start of one, and
// when one appears it ends the answer there, leaving the sequence out.
// Text that gets past the stop sequences goes through the tool-call
// repairer when the request offered tools (see repair.go).
type Answer struct {
	blocks  blockWriter
	stops   [][]byte
	repair  *repairer // nil: text is passed on as is
	pending []byte    // text held back: it may be the start of a stop sequence

	chunks  int // chunks that carried output: the token count when Ollama gives none
	matched string
	ended   bool
	// stopReason and usage are what MessageEnd reported, for the log.
	stopReason string
	usage      Usage
	// genTime is Ollama's eval_duration: generation time without loading
	// and prompt reading, for an honest tokens per second.
	genTime time.Duration
}

// AnswerConfig is what an Answer needs from the request.
type AnswerConfig struct {
	// Stops are the client's stop sequences.
	Stops []string
	// Tools are the offered tools whose calls written as text are
	// repaired; nil turns repair off.
	Tools ToolSet
	// NewToolID makes the id of each tool call.
	NewToolID func() string
}

// NewAnswer starts an answer that writes its blocks to s.
func NewAnswer(s Sink, cfg AnswerConfig) *Answer {
	a := &Answer{blocks: blockWriter{sink: s, newToolID: cfg.NewToolID}}
	for _, st := range cfg.Stops {
		a.stops = append(a.stops, []byte(st))
	}
	if len(cfg.Tools) > 0 {
		a.repair = newRepairer(cfg.Tools)
	}
	return a
}

// Outcome is how an answer ended, for the request's log line.
type Outcome struct {
	// StopReason and Usage are what the answer's end reported.
	StopReason string
	Usage      Usage
	// GenTime is Ollama's eval_duration: generation time without loading
	// and prompt reading, for an honest tokens per second.
	GenTime time.Duration
	// Repairs is how many tool calls were repaired from text.
	Repairs int
}

// Outcome reports how the answer ended so far.
func (a *Answer) Outcome() Outcome {
	o := Outcome{StopReason: a.stopReason, Usage: a.usage, GenTime: a.genTime}
	if a.repair != nil {
		o.Repairs = a.repair.repairs
	}
	return o
}

// Ended reports whether the answer is complete: its end has been written
// (or collected), and nothing more will be.
func (a *Answer) Ended() bool { return a.ended }

// NoRepair turns tool-call repair off, for a backend whose config says
// not to repair (litellm_params.repair_tool_calls: false).
func (a *Answer) NoRepair() { a.repair = nil }

// add takes one chunk. It returns true once the answer is complete: at the
// chunk marked done, or at a stop sequence, after which the caller should
// stop reading (and cancel the upstream request).
func (a *Answer) Add(c *ollama.ChatResponse) bool {
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
		a.blocks.delta(ThinkingBlock, m.Thinking)
	}
	if m.Content != "" && a.text(m.Content) {
		a.finish("stop", Usage{OutputTokens: a.chunks})
		return true
	}
	for i := range m.ToolCalls {
		// A call Ollama parsed: whatever text came before it is final.
		a.flushPending()
		a.flushRepair()
		a.blocks.call(&m.ToolCalls[i].Function)
	}
	if c.Done {
		a.genTime = c.EvalDuration
		a.finish(c.DoneReason, Usage{InputTokens: c.PromptEvalCount, OutputTokens: c.EvalCount})
		return true
	}
	return false
}

// text handles generated text, reporting whether a stop sequence ended it.
func (a *Answer) text(s string) bool {
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
func (a *Answer) emitText(s string) {
	if a.repair != nil {
		a.repair.push(s, false, a.repaired)
		return
	}
	a.blocks.text(s)
}

// repaired takes the repairer's output: text, or a call it found.
func (a *Answer) repaired(seg segment) {
	if seg.call != nil {
		a.blocks.call(seg.call)
		return
	}
	a.blocks.text(seg.text)
}

// flushRepair makes the repairer decide what it holds: the text has ended.
func (a *Answer) flushRepair() {
	if a.repair != nil {
		a.repair.push("", true, a.repaired)
	}
}

// flushPending lets held-back text go once something else follows it: a
// stop sequence cannot span a thinking block or a tool call.
func (a *Answer) flushPending() {
	if len(a.pending) > 0 {
		s := string(a.pending)
		a.pending = a.pending[:0]
		a.emitText(s)
	}
}

// finish ends the answer with Ollama's done reason ("stop", "length", or
// "" when the stream ended without a done line) and token counts.
func (a *Answer) finish(doneReason string, u Usage) {
	if a.ended {
		return
	}
	a.flushPending()
	a.flushRepair()
	a.blocks.closeOpen()
	a.ended = true
	a.usage = u
	reason := "end_turn"
	switch {
	case a.matched != "":
		reason = "stop_sequence"
	case a.blocks.toolCalls > 0:
		// Ollama says "stop" after a tool call; clients wait for tool_use.
		reason = "tool_use"
	case doneReason == "length":
		reason = "max_tokens"
	}
	a.stopReason = reason
	a.blocks.sink.MessageEnd(reason, a.matched, u)
}

// Close ends the answer after its backend's stream returned err. An
// answer whose stream closed without a done line (upstream.ErrIncomplete:
// Ollama does that, for example, after 30 identical tokens) keeps what
// came and ends the turn normally. It reports false, leaving the answer
// open, when err is a failure the client must be told about instead.
func (a *Answer) Close(err error) bool {
	switch {
	case a.ended:
	case err == nil || errors.Is(err, upstream.ErrIncomplete):
		a.finish("", Usage{OutputTokens: a.chunks}) // tokens counted as chunks
	default:
		return false
	}
	return true
}

// blockWriter numbers an answer's blocks and opens and closes them on the
// sink, one open at a time.
type blockWriter struct {
	sink      Sink
	newToolID func() string
	open      BlockKind
	next      int // index the next block gets
	toolCalls int
}

// delta appends s to a block of kind, opening one unless it is the open
// one.
func (w *blockWriter) delta(kind BlockKind, s string) {
	if w.open != kind {
		w.closeOpen()
		w.open = kind
		w.sink.BlockStart(w.next, kind, "", "")
		w.next++
	}
	w.sink.BlockDelta(w.next-1, kind, s)
}

// text appends text, if there is any, to a text block.
func (w *blockWriter) text(s string) {
	if s != "" {
		w.delta(TextBlock, s)
	}
}

// call writes a tool_use block for a whole call.
func (w *blockWriter) call(f *ollama.ToolCallFunction) {
	w.closeOpen()
	i := w.next
	w.next++
	w.sink.BlockStart(i, ToolUseBlock, w.newToolID(), f.Name)
	if args := strings.TrimSpace(string(f.Arguments)); args != "" && args != "null" && args != "{}" {
		if !utf8.ValidString(args) {
			// Raw arguments keep the backend's bytes; a client must get
			// valid UTF-8 (the JSON stays valid: such bytes can only be
			// inside strings).
			args = strings.ToValidUTF8(args, "\uFFFD")
		}
		w.sink.BlockDelta(i, ToolUseBlock, args)
	}
	w.sink.BlockStop(i, ToolUseBlock)
	w.toolCalls++
}

func (w *blockWriter) closeOpen() {
	if w.open != NoBlock {
		w.sink.BlockStop(w.next-1, w.open)
		w.open = NoBlock
	}
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

// MessageBuilder is the sink for non-streaming requests: it collects the
// blocks into one Message.
type MessageBuilder struct {
	msg   Message
	parts []strings.Builder // text of each block, by index
}

// NewMessageBuilder starts the message id, an answer to the client's
// model.
func NewMessageBuilder(id, model string) *MessageBuilder {
	return &MessageBuilder{msg: Message{ID: id, Type: "message", Role: "assistant", Model: model, Content: []ContentBlock{}}}
}

// Message is the message collected so far; whole once the answer ended.
func (m *MessageBuilder) Message() *Message { return &m.msg }

// BlockStart appends block index.
func (m *MessageBuilder) BlockStart(index int, kind BlockKind, id, name string) {
	b := ContentBlock{Type: kindName(kind), ID: id, Name: name}
	if kind == ThinkingBlock {
		b.Signature = thinkingSignature
	}
	m.msg.Content = append(m.msg.Content, b)
	m.parts = append(m.parts, strings.Builder{})
}

// BlockDelta appends to block index.
func (m *MessageBuilder) BlockDelta(index int, kind BlockKind, s string) {
	m.parts[index].WriteString(s)
}

// BlockStop sets the block's text, thinking or input.
func (m *MessageBuilder) BlockStop(index int, kind BlockKind) {
	b := &m.msg.Content[index]
	s := m.parts[index].String()
	switch kind {
	case ThinkingBlock:
		b.Thinking = s
	case TextBlock:
		b.Text = s
	case ToolUseBlock:
		if s != "" {
			b.Input = json.RawMessage(s)
		}
	}
}

// MessageEnd sets the stop reason, stop sequence and usage.
func (m *MessageBuilder) MessageEnd(stopReason, stopSequence string, usage Usage) {
	m.msg.StopReason = &stopReason
	if stopSequence != "" {
		m.msg.StopSequence = &stopSequence
	}
	m.msg.Usage = usage
}

func kindName(k BlockKind) string {
	switch k {
	case ThinkingBlock:
		return "thinking"
	case TextBlock:
		return "text"
	case ToolUseBlock:
		return "tool_use"
	}
	return ""
}
