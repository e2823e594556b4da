package translator

import (
	"encoding/json"
	"io"
	"strconv"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/daemon/upstream/openaicompat"
)

// openaiStream writes an answer as chat.completion.chunk events. It is
// the answer's sink: text becomes content deltas, thinking
// reasoning_content deltas, and each tool_use a tool_calls entry whose
// first delta carries the id and name and the next ones the arguments.
// The events themselves are written by chunkFrames.
type openaiStream struct {
	t        target
	ans      *anthropic.Answer
	frames   chunkFrames
	calls    int  // tool calls so far: the next one's index
	argsSent bool // the open tool call has had arguments
}

func (o *openaiStream) BlockStart(index int, kind anthropic.BlockKind, id, name string) {
	if kind != anthropic.ToolUseBlock {
		return
	}
	i := o.calls
	o.argsSent = false
	o.frames.emit(openaicompat.Delta{ToolCalls: []openaicompat.ToolCall{{Index: &i, ID: id, Type: "function",
		Function: openaicompat.FunctionCall{Name: name, Arguments: ""}}}}, nil)
}

func (o *openaiStream) BlockDelta(index int, kind anthropic.BlockKind, s string) {
	switch kind {
	case anthropic.TextBlock:
		o.frames.text(`{"content":`, s)
	case anthropic.ThinkingBlock:
		o.frames.text(`{"reasoning_content":`, s)
	case anthropic.ToolUseBlock:
		i := o.calls
		o.argsSent = true
		o.frames.emit(openaicompat.Delta{ToolCalls: []openaicompat.ToolCall{{Index: &i, Function: openaicompat.FunctionCall{Arguments: s}}}}, nil)
	}
}

func (o *openaiStream) BlockStop(index int, kind anthropic.BlockKind) {
	if kind != anthropic.ToolUseBlock {
		return
	}
	if !o.argsSent {
		// A call without arguments still needs parseable ones.
		o.BlockDelta(index, kind, "{}")
	}
	o.calls++
}

func (o *openaiStream) MessageEnd(stopReason, stopSequence string, u anthropic.Usage) {
	fr := finishReason(stopReason)
	o.frames.emit(openaicompat.Delta{}, &fr)
	if o.frames.includeUsage {
		usage, _ := json.Marshal(openAIUsage(u))
		o.frames.write(chunkJSON{Choices: []openaicompat.ChunkChoice{}, Usage: usage})
	}
	o.frames.done()
}

func openAIUsage(u anthropic.Usage) *openaicompat.Usage {
	return &openaicompat.Usage{PromptTokens: u.InputTokens, CompletionTokens: u.OutputTokens, TotalTokens: u.InputTokens + u.OutputTokens}
}

func (o *openaiStream) chunk(c *ollama.ChatResponse) bool { return o.ans.Add(c) }
func (o *openaiStream) started(a *attempt)                { o.t = a.target }
func (o *openaiStream) answer() *anthropic.Answer         { return o.ans }
func (o *openaiStream) ping()                             { o.frames.comment("ping") }
func (o *openaiStream) writeTo(w io.Writer) error         { return o.frames.writeTo(w) }

// fail ends the stream with an error event, which the openai SDKs raise
// as an APIError.
func (o *openaiStream) fail(ae *anthropic.Error) {
	_, body := openAIError(ae)
	o.frames.end(body)
}

func (o *openaiStream) end(err error) {
	if !o.ans.Close(err) {
		o.fail(o.t.errorFor(err))
	}
}

// chunkFrames buffers the server-sent events of one Chat Completions
// stream. Text and reasoning deltas, nearly every event of an answer, are
// written by hand between a prefix and a suffix made once per stream;
// the rare ones (tool calls, the finish, usage, errors) go through
// encoding/json. Both give the same JSON (TestChunkFramesText).
type chunkFrames struct {
	head         chunkHead
	includeUsage bool
	// prefix is a chunk up to its delta, suffix what follows the delta.
	prefix, suffix []byte
	buf            []byte
	closed         bool
}

// chunkJSON is a chat.completion.chunk with usage present only when the
// client asked for it, as OpenAI sends it.
type chunkJSON struct {
	ID      string                     `json:"id"`
	Object  string                     `json:"object"`
	Created int64                      `json:"created"`
	Model   string                     `json:"model"`
	Choices []openaicompat.ChunkChoice `json:"choices"`
	Usage   json.RawMessage            `json:"usage,omitempty"`
}

// newChunkFrames starts the frames of a stream with the head every chunk
// repeats.
func newChunkFrames(head chunkHead, includeUsage bool) chunkFrames {
	f := chunkFrames{head: head, includeUsage: includeUsage}
	p := append([]byte(`data: {"id":`), anthropic.AppendJSONString(nil, head.id)...)
	p = append(p, `,"object":"chat.completion.chunk","created":`...)
	p = strconv.AppendInt(p, head.created, 10)
	p = append(p, `,"model":`...)
	p = anthropic.AppendJSONString(p, head.model)
	f.prefix = append(p, `,"choices":[{"index":0,"delta":`...)
	f.suffix = []byte(`},"logprobs":null,"finish_reason":null}]`)
	if includeUsage {
		f.suffix = append(f.suffix, `,"usage":null`...)
	}
	f.suffix = append(f.suffix, "}\n\n"...)
	return f
}

// text writes a chunk whose delta is one string field: open is the
// delta up to the string (`{"content":`).
func (f *chunkFrames) text(open, s string) {
	if f.closed {
		return
	}
	f.buf = append(f.buf, f.prefix...)
	f.buf = append(f.buf, open...)
	f.buf = anthropic.AppendJSONString(f.buf, s)
	f.buf = append(f.buf, f.suffix...)
}

// emit writes a chunk with delta d and finish reason through
// encoding/json.
func (f *chunkFrames) emit(d openaicompat.Delta, finish *string) {
	f.write(chunkJSON{Choices: []openaicompat.ChunkChoice{{Delta: d, Logprobs: json.RawMessage("null"), FinishReason: finish}}})
}

func (f *chunkFrames) write(c chunkJSON) {
	if f.closed {
		return
	}
	c.ID, c.Object, c.Created, c.Model = f.head.id, "chat.completion.chunk", f.head.created, f.head.model
	if f.includeUsage && c.Usage == nil {
		c.Usage = json.RawMessage("null")
	}
	f.data(c)
}

func (f *chunkFrames) data(v any) {
	b, _ := json.Marshal(v)
	f.buf = append(f.buf, "data: "...)
	f.buf = append(f.buf, b...)
	f.buf = append(f.buf, "\n\n"...)
}

// comment writes an SSE comment, which OpenAI clients skip.
func (f *chunkFrames) comment(s string) {
	if !f.closed {
		f.buf = append(f.buf, ": "+s+"\n\n"...)
	}
}

// done ends the stream as OpenAI does.
func (f *chunkFrames) done() {
	if !f.closed {
		f.buf = append(f.buf, "data: [DONE]\n\n"...)
		f.closed = true
	}
}

// end ends the stream with v (an error object) instead of [DONE].
func (f *chunkFrames) end(v any) {
	if !f.closed {
		f.data(v)
		f.closed = true
	}
}

func (f *chunkFrames) writeTo(w io.Writer) error {
	if len(f.buf) == 0 {
		return nil
	}
	_, err := w.Write(f.buf)
	f.buf = f.buf[:0]
	return err
}
