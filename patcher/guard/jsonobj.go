package guard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// object is a JSON object that keeps its members in file order and, until a
// member is replaced, that member's exact bytes. The guard edits
// auth-profiles.json through it so that everything it does not need to
// change reads back byte for byte as Clawdbot wrote it.
type object struct {
	members []member
}

// member is one name/value pair. rawName is the quoted name as it appeared
// in the file (nil for members the guard added); value is the exact value
// bytes, already laid out for the member's depth in the document.
type member struct {
	rawName []byte
	name    string
	value   []byte
}

// errIncomplete marks input that ends before the JSON value does: what a
// reader sees in the middle of a non-atomic write.
var errIncomplete = errors.New("unexpected end of JSON input")

// parseObject parses data, which must hold exactly one JSON object (plus
// surrounding white space).
func parseObject(data []byte) (*object, error) {
	if !json.Valid(data) {
		// Let encoding/json word the error and find the offset.
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, err
		}
		return nil, errors.New("invalid JSON")
	}
	s := scanner{b: data}
	s.skipSpace()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return nil, fmt.Errorf("top-level value is not a JSON object")
	}
	o, err := s.object(false)
	if err != nil {
		return nil, err
	}
	return o, nil
}

// parseValueObject parses a value taken from a parsed document as an object;
// ok is false when the value is some other JSON type.
func parseValueObject(value []byte) (*object, bool) {
	s := scanner{b: value}
	s.skipSpace()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return nil, false
	}
	o, err := s.object(false)
	if err != nil {
		return nil, false
	}
	return o, true
}

// salvage recovers what it can from a document that does not parse, for
// example one cut short by a reader that caught a writer mid-write: every
// top-level member that is complete, and for members whose value is an
// object cut short, that object's complete members (returned in partial).
// A member counts as complete only when a ',' or '}' follows it, so a
// number cut in the middle is never taken for a shorter number.
func salvage(data []byte) (top *object, partial map[string]*object) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	s := scanner{b: data}
	s.skipSpace()
	top = &object{}
	partial = map[string]*object{}
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return top, partial
	}
	o, err := s.object(true)
	if o != nil {
		top = o
	}
	if err != nil && s.partialName != "" && s.partial != nil {
		partial[s.partialName] = s.partial
	}
	return top, partial
}

// get returns the value of the last member called name, the one JSON.parse
// keeps when a name repeats.
func (o *object) get(name string) ([]byte, bool) {
	if i := o.index(name); i >= 0 {
		return o.members[i].value, true
	}
	return nil, false
}

func (o *object) index(name string) int {
	for i := len(o.members) - 1; i >= 0; i-- {
		if o.members[i].name == name {
			return i
		}
	}
	return -1
}

func (o *object) has(name string) bool { return o.index(name) >= 0 }

// set replaces the value of name in place, or appends the member.
func (o *object) set(name string, value []byte) {
	if i := o.index(name); i >= 0 {
		o.members[i].value = value
		return
	}
	o.members = append(o.members, member{name: name, value: value})
}

// setAfter is set, except that a new member goes right after the last
// present member among after (or first when none is present and first is
// true, else last), so that added sections land where Clawdbot's own writer
// would put them.
func (o *object) setAfter(name string, value []byte, first bool, after ...string) {
	if o.has(name) {
		o.set(name, value)
		return
	}
	at := -1
	for _, a := range after {
		if i := o.index(a); i > at {
			at = i
		}
	}
	pos := len(o.members)
	switch {
	case at >= 0:
		pos = at + 1
	case first:
		pos = 0
	}
	o.members = append(o.members, member{})
	copy(o.members[pos+1:], o.members[pos:])
	o.members[pos] = member{name: name, value: value}
}

func (o *object) clone() *object {
	c := &object{members: make([]member, len(o.members))}
	copy(c.members, o.members)
	return c
}

// encode lays the object out the way JSON.stringify(value, null, 2) does,
// for an object that sits depth levels deep: members one per line indented
// two spaces per level, "{}" when empty. Member values are written as they
// are; values taken from a file laid out the same way at the same depth
// therefore come out unchanged.
func (o *object) encode(depth int) []byte {
	if len(o.members) == 0 {
		return []byte("{}")
	}
	var b bytes.Buffer
	b.WriteString("{\n")
	for i, m := range o.members {
		b.WriteString(strings.Repeat("  ", depth+1))
		if m.rawName != nil {
			b.Write(m.rawName)
		} else {
			b.Write(jsString(m.name))
		}
		b.WriteString(": ")
		b.Write(m.value)
		if i < len(o.members)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(strings.Repeat("  ", depth))
	b.WriteByte('}')
	return b.Bytes()
}

// layout formats a value the guard creates (a string, a string list, a
// small object) as JSON.stringify(value, null, 2) would at depth.
func layout(v any, depth int) []byte {
	compact := compactJSON(v)
	var out bytes.Buffer
	if err := json.Indent(&out, compact, strings.Repeat("  ", depth), "  "); err != nil {
		// compactJSON only produces valid JSON.
		panic(fmt.Sprintf("guard: layout of generated JSON: %v", err))
	}
	return out.Bytes()
}

// field is one member of a generated object, kept in order.
type field struct {
	name  string
	value any
}

// compactJSON encodes the few value shapes the guard generates, escaping
// strings the way JSON.stringify does (encoding/json would also escape
// <, >, &, U+2028 and U+2029, which Clawdbot writes as they are).
func compactJSON(v any) []byte {
	switch x := v.(type) {
	case string:
		return jsString(x)
	case int:
		return []byte(fmt.Sprint(x))
	case []string:
		var b bytes.Buffer
		b.WriteByte('[')
		for i, s := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(jsString(s))
		}
		b.WriteByte(']')
		return b.Bytes()
	case []field:
		var b bytes.Buffer
		b.WriteByte('{')
		for i, f := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(jsString(f.name))
			b.WriteByte(':')
			b.Write(compactJSON(f.value))
		}
		b.WriteByte('}')
		return b.Bytes()
	case json.RawMessage:
		var b bytes.Buffer
		if err := json.Compact(&b, x); err != nil {
			panic(fmt.Sprintf("guard: compact of parsed JSON: %v", err))
		}
		return b.Bytes()
	}
	panic(fmt.Sprintf("guard: cannot encode %T", v))
}

// jsString quotes s as JSON.stringify does. Invalid UTF-8 becomes U+FFFD,
// which is what a JavaScript string read from such bytes would hold.
func jsString(s string) []byte {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				if c < 0x20 {
					b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
				} else {
					b = append(b, c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = utf8.AppendRune(b, utf8.RuneError)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// scanner walks JSON text keeping byte offsets, which encoding/json does not
// expose for object members.
type scanner struct {
	b []byte
	i int

	// Set by object(lenient=true) when the input ends inside the value of
	// a member whose value is an object: that member's name and its
	// complete members.
	partialName string
	partial     *object
}

func (s *scanner) skipSpace() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// object reads an object starting at s.i ('{'). In lenient mode it returns
// the complete members read before an error along with the error, and
// records a cut-short object-valued member in s.partial.
func (s *scanner) object(lenient bool) (*object, error) {
	o := &object{}
	s.i++ // '{'
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return o, nil
	}
	for {
		s.skipSpace()
		if s.i >= len(s.b) {
			return o, errIncomplete
		}
		if s.b[s.i] != '"' {
			return o, fmt.Errorf("offset %d: expected a member name", s.i)
		}
		nameStart := s.i
		end, err := scanString(s.b, s.i)
		if err != nil {
			return o, err
		}
		rawName := s.b[nameStart:end]
		var name string
		if err := json.Unmarshal(rawName, &name); err != nil {
			return o, fmt.Errorf("offset %d: member name: %w", nameStart, err)
		}
		s.i = end
		s.skipSpace()
		if s.i >= len(s.b) {
			return o, errIncomplete
		}
		if s.b[s.i] != ':' {
			return o, fmt.Errorf("offset %d: expected ':'", s.i)
		}
		s.i++
		s.skipSpace()
		valueStart := s.i
		end, err = scanValue(s.b, s.i)
		if err != nil {
			if lenient && errors.Is(err, errIncomplete) && valueStart < len(s.b) && s.b[valueStart] == '{' {
				sub := scanner{b: s.b, i: valueStart}
				p, _ := sub.object(true)
				s.partialName, s.partial = name, p
			}
			return o, err
		}
		value := s.b[valueStart:end]
		s.i = end
		s.skipSpace()
		if s.i >= len(s.b) {
			if lenient && len(value) > 0 && (value[0] == '{' || value[0] == '[' || value[0] == '"') && json.Valid(value) {
				// A closed object, array or string cannot have been
				// cut short itself; only what follows it was.
				o.members = append(o.members, member{rawName: rawName, name: name, value: value})
			}
			return o, errIncomplete
		}
		if lenient && !json.Valid(value) {
			return o, fmt.Errorf("offset %d: invalid value for %q", valueStart, name)
		}
		o.members = append(o.members, member{rawName: rawName, name: name, value: value})
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return o, nil
		default:
			return o, fmt.Errorf("offset %d: expected ',' or '}'", s.i)
		}
	}
}

// scanString returns the offset just past the string that starts at i.
func scanString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errIncomplete
}

// scanValue returns the offset just past the value that starts at i. It
// checks structure only; callers validate the bytes with json.Valid.
func scanValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errIncomplete
	}
	switch b[i] {
	case '"':
		return scanString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := scanString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errIncomplete
	}
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j, nil
		}
		j++
	}
	return j, nil
}
