package ollama

import (
	"bytes"
	"sync"
	"unicode/utf8"
)

// A streamed answer is almost all token lines of one shape, which Ollama
// writes with Go's encoding/json, fields in this order:
//
//	{"model":"…","created_at":"…","message":{"role":"assistant","content":"…"},"done":false}
//
// with "thinking":"…" after "content" while a model thinks. Decoding such
// a line with encoding/json costs about 1.5 µs and ten allocations, the
// largest part of what relaying a token costs the translator, so
// tokenLineDecoder reads exactly that shape by hand. Anything else (the
// done line, tool calls, an error line, another field order, whitespace,
// escapes it does not handle, invalid UTF-8) it declines, and readStream
// decodes the line with encoding/json as before. When it accepts a line,
// the result is what encoding/json gives (FuzzTokenLine checks that).

// tokenLineDecoder decodes the token lines of one stream. It keeps the
// last model name, so that a stream's lines share one string, and a buffer
// for unescaping.
type tokenLineDecoder struct {
	model string
	buf   []byte
	// line and i are the line being read and the position in it.
	line []byte
	i    int
}

// decode returns a new ChatResponse if line has the token line's shape;
// ok false means "use encoding/json".
func (d *tokenLineDecoder) decode(line []byte) (cr *ChatResponse, ok bool) {
	d.line, d.i = line, 0
	if !d.lit(`{"model":`) {
		return nil, false
	}
	v, ok := d.str()
	if !ok {
		return nil, false
	}
	model := d.model
	if string(v) != model {
		model = string(v)
	}
	if !d.lit(`,"created_at":`) {
		return nil, false
	}
	if _, ok := d.str(); !ok { // its value is not kept: nothing reads it
		return nil, false
	}
	if !d.lit(`,"message":{"role":`) {
		return nil, false
	}
	if v, ok = d.str(); !ok {
		return nil, false
	}
	role := "assistant"
	if string(v) != role {
		role = string(v)
	}
	if !d.lit(`,"content":`) {
		return nil, false
	}
	if v, ok = d.str(); !ok {
		return nil, false
	}
	content := string(v)
	thinking := ""
	if d.lit(`,"thinking":`) {
		if v, ok = d.str(); !ok {
			return nil, false
		}
		thinking = string(v)
	}
	if !d.lit(`},"done":false}`) || d.i != len(line) {
		return nil, false
	}
	cr = responses.Get().(*ChatResponse)
	*cr = ChatResponse{Model: model, Message: Message{Role: role, Content: content, Thinking: thinking}}
	d.model = model
	return cr, true
}

// responses holds the token lines' ChatResponses that their consumer
// handed back (Recycle): a streamed answer is one per token, and
// allocating each made most of a stream's garbage.
var responses = sync.Pool{New: func() any { return new(ChatResponse) }}

// Recycle hands back a response that Chat passed to its callback, once
// nothing refers to it any more, so that a later token line can reuse it.
// The strings it holds stay valid. A response with tool calls or images
// is left to the garbage collector: their slices may still be referred
// to.
func Recycle(c *ChatResponse) {
	if c == nil || len(c.Message.ToolCalls) > 0 || c.Message.Images != nil {
		return
	}
	responses.Put(c)
}

// lit consumes s if the line goes on with it.
func (d *tokenLineDecoder) lit(s string) bool {
	if !bytes.HasPrefix(d.line[d.i:], []byte(s)) {
		return false
	}
	d.i += len(s)
	return true
}

// str consumes a JSON string and returns its value, which aliases the line
// or the decoder's buffer until the next call. It declines what
// encoding/json treats specially: invalid UTF-8 (which it replaces with
// U+FFFD), control characters (an error) and \u escapes of surrogates.
func (d *tokenLineDecoder) str() ([]byte, bool) {
	b := d.line
	if d.i >= len(b) || b[d.i] != '"' {
		return nil, false
	}
	start := d.i + 1
	i := start
	ascii := true // then the UTF-8 check can be skipped
	for i < len(b) && b[i] != '"' && b[i] != '\\' {
		if b[i] < 0x20 {
			return nil, false
		}
		if b[i] >= utf8.RuneSelf {
			ascii = false
		}
		i++
	}
	if i < len(b) && b[i] == '"' {
		v := b[start:i]
		if !ascii && !utf8.Valid(v) {
			return nil, false
		}
		d.i = i + 1
		return v, true
	}
	out := append(d.buf[:0], b[start:i]...)
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			d.buf = out
			if !utf8.Valid(out) {
				return nil, false
			}
			d.i = i + 1
			return out, true
		case c < 0x20:
			return nil, false
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(b) {
			return nil, false
		}
		switch e := b[i+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(b[i+2:])
			if !ok || r >= 0xd800 && r < 0xe000 {
				return nil, false
			}
			out = utf8.AppendRune(out, r)
			i += 4
		default:
			return nil, false
		}
		i += 2
	}
	return nil, false
}

// hex4 reads the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
