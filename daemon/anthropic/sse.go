package anthropic

import (
	"encoding/json"
	"io"
	"strconv"
	"unicode/utf8"
)

// StreamEncoder writes an answer as Anthropic server-sent events. Every
// frame has an "event:" line equal to its data's type (the official SDK
// drops frames without one). It keeps the stream's invariants: exactly
// one message_start first, and nothing after message_stop or an error.
//
// Events accumulate in a buffer that is reused for the whole stream;
// WriteEvents sends what one Ollama chunk produced in a single write, so the
// per-token path allocates nothing of its own.
type StreamEncoder struct {
	buf     []byte
	started bool
	closed  bool
}

// MessageStart opens the stream. Input tokens are not known yet (Ollama
// counts them only at the end); message_delta carries them.
func (e *StreamEncoder) MessageStart(id, model string) {
	if e.started || e.closed {
		return
	}
	e.started = true
	data, _ := json.Marshal(struct {
		Type    string  `json:"type"`
		Message Message `json:"message"`
	}{"message_start", Message{ID: id, Type: "message", Role: "assistant", Model: model, Content: []ContentBlock{}}})
	e.frame("message_start", data)
}

// Ping keeps an idle connection alive while Ollama loads the model or
// reads a long prompt.
func (e *StreamEncoder) Ping() {
	if e.closed {
		return
	}
	e.frame("ping", []byte(`{"type":"ping"}`))
}

// Fail ends the stream with an error event; errType is an Anthropic error
// type such as "api_error" or "overloaded_error".
func (e *StreamEncoder) Fail(errType, message string) {
	if e.closed {
		return
	}
	e.closed = true
	data, _ := json.Marshal(ErrorResponse{Type: "error", Error: ErrorBody{Type: errType, Message: message}})
	e.frame("error", data)
}

// BlockStart writes content_block_start.
func (e *StreamEncoder) BlockStart(index int, kind BlockKind, id, name string) {
	if e.closed {
		return
	}
	e.blockEvent("content_block_start", index)
	switch kind {
	case ThinkingBlock:
		e.buf = append(e.buf, `,"content_block":{"type":"thinking","thinking":"","signature":""}}`...)
	case ToolUseBlock:
		e.buf = append(e.buf, `,"content_block":{"type":"tool_use","id":`...)
		e.buf = appendJSONString(e.buf, id)
		e.buf = append(e.buf, `,"name":`...)
		e.buf = appendJSONString(e.buf, name)
		e.buf = append(e.buf, `,"input":{}}}`...)
	default:
		e.buf = append(e.buf, `,"content_block":{"type":"text","text":""}}`...)
	}
	e.buf = append(e.buf, frameEnd...)
}

// BlockDelta writes a content_block_delta of the block's kind.
func (e *StreamEncoder) BlockDelta(index int, kind BlockKind, s string) {
	if e.closed {
		return
	}
	e.blockEvent("content_block_delta", index)
	switch kind {
	case ThinkingBlock:
		e.buf = append(e.buf, `,"delta":{"type":"thinking_delta","thinking":`...)
	case ToolUseBlock:
		e.buf = append(e.buf, `,"delta":{"type":"input_json_delta","partial_json":`...)
	default:
		e.buf = append(e.buf, `,"delta":{"type":"text_delta","text":`...)
	}
	e.buf = appendJSONString(e.buf, s)
	e.buf = append(e.buf, "}}"...)
	e.buf = append(e.buf, frameEnd...)
}

// BlockStop writes content_block_stop, after a thinking block's
// signature_delta.
func (e *StreamEncoder) BlockStop(index int, kind BlockKind) {
	if e.closed {
		return
	}
	if kind == ThinkingBlock {
		e.blockEvent("content_block_delta", index)
		e.buf = append(e.buf, `,"delta":{"type":"signature_delta","signature":`...)
		e.buf = appendJSONString(e.buf, thinkingSignature)
		e.buf = append(e.buf, "}}"...)
		e.buf = append(e.buf, frameEnd...)
	}
	e.blockEvent("content_block_stop", index)
	e.buf = append(e.buf, '}')
	e.buf = append(e.buf, frameEnd...)
}

// frameEnd ends an event's frame.
const frameEnd = "\n\n"

// blockEvent starts the frame of a block event: its event line, and its
// data up to the block's index.
func (e *StreamEncoder) blockEvent(event string, index int) {
	e.open(event)
	e.buf = append(e.buf, `{"type":"`...)
	e.buf = append(e.buf, event...)
	e.buf = append(e.buf, `","index":`...)
	e.buf = strconv.AppendInt(e.buf, int64(index), 10)
}

// MessageEnd writes message_delta (stop reason, stop sequence, cumulative
// usage) and message_stop, which closes the stream.
func (e *StreamEncoder) MessageEnd(stopReason, stopSequence string, u Usage) {
	if e.closed {
		return
	}
	var seq *string
	if stopSequence != "" {
		seq = &stopSequence
	}
	data, _ := json.Marshal(struct {
		Type  string `json:"type"`
		Delta struct {
			StopReason   string  `json:"stop_reason"`
			StopSequence *string `json:"stop_sequence"`
		} `json:"delta"`
		Usage Usage `json:"usage"`
	}{Type: "message_delta", Delta: struct {
		StopReason   string  `json:"stop_reason"`
		StopSequence *string `json:"stop_sequence"`
	}{stopReason, seq}, Usage: u})
	e.frame("message_delta", data)
	e.frame("message_stop", []byte(`{"type":"message_stop"}`))
	e.closed = true
}

// WriteEvents writes the buffered events to w in one call and empties the
// buffer for reuse.
func (e *StreamEncoder) WriteEvents(w io.Writer) error {
	if len(e.buf) == 0 {
		return nil
	}
	_, err := w.Write(e.buf)
	e.buf = e.buf[:0]
	return err
}

func (e *StreamEncoder) frame(event string, data []byte) {
	e.open(event)
	e.buf = append(e.buf, data...)
	e.buf = append(e.buf, frameEnd...)
}

func (e *StreamEncoder) open(event string) {
	e.buf = append(e.buf, "event: "...)
	e.buf = append(e.buf, event...)
	e.buf = append(e.buf, "\ndata: "...)
}

// appendJSONString appends s as a JSON string. Unlike encoding/json it
// does not escape <, > and &, which SSE has no reason to fear; invalid
// UTF-8 becomes U+FFFD so the output is always valid JSON.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			// Valid JSON, but not valid JavaScript in older engines.
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
