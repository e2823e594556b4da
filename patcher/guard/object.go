package guard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/tailscale/hujson"
)

// object is one JSON object of an auth store as hujson holds it: members in
// file order, every name and value with its exact bytes. The guard edits
// auth-profiles.json through it, as the patcher edits Clawdbot's config, so
// that everything it does not change reads back byte for byte as Clawdbot
// wrote it. An object taken from a document (see asObject) is that
// document's object: editing it edits the document.
type object struct{ *hujson.Object }

// newObject is an empty object, "{}".
func newObject() object { return object{&hujson.Object{}} }

// parseObject parses data, which must hold exactly one JSON object (plus
// surrounding white space). hujson also reads comments and trailing
// commas, which JSON.parse refuses, so data is checked to be JSON first.
func parseObject(data []byte) (object, error) {
	if !json.Valid(data) {
		// Let encoding/json word the error and find the offset.
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return object{}, err
		}
		return object{}, errors.New("invalid JSON")
	}
	v, err := hujson.Parse(data)
	if err != nil {
		return object{}, fmt.Errorf("parse JSON: %w", err)
	}
	o, ok := asObject(v)
	if !ok {
		return object{}, errors.New("top-level value is not a JSON object")
	}
	return o, nil
}

// asObject returns v as an object; ok is false when v is some other JSON
// type.
func asObject(v hujson.Value) (object, bool) {
	o, ok := v.Value.(*hujson.Object)
	return object{o}, ok
}

// value is o as a member value, for storing it in another object.
func (o object) value() hujson.Value { return hujson.Value{Value: o.Object} }

// clone is a deep copy of o.
func (o object) clone() object {
	c, _ := asObject(o.value().Clone())
	return c
}

// memberName is the decoded name of m.
func memberName(m *hujson.ObjectMember) string {
	lit, _ := m.Name.Value.(hujson.Literal)
	return lit.String()
}

// members yields o's members in file order: name and value.
func (o object) members() iter.Seq2[string, hujson.Value] {
	return func(yield func(string, hujson.Value) bool) {
		for i := range o.Members {
			if !yield(memberName(&o.Members[i]), o.Members[i].Value) {
				return
			}
		}
	}
}

// get returns the value of the last member called name, the one JSON.parse
// keeps when a name repeats.
func (o object) get(name string) (hujson.Value, bool) {
	if i := o.index(name); i >= 0 {
		return o.Members[i].Value, true
	}
	return hujson.Value{}, false
}

func (o object) index(name string) int {
	for i := len(o.Members) - 1; i >= 0; i-- {
		if memberName(&o.Members[i]) == name {
			return i
		}
	}
	return -1
}

func (o object) has(name string) bool { return o.index(name) >= 0 }

// set replaces the value of name in place, or appends the member.
func (o object) set(name string, v hujson.Value) {
	if i := o.index(name); i >= 0 {
		o.Members[i].Value = v
		return
	}
	o.Members = append(o.Members, hujson.ObjectMember{Name: hujson.Value{Value: hujson.String(name)}, Value: v})
}

// setAfter is set, except that a new member goes right after the last
// present member among after (or first when none is present and first is
// true, else last), so that added sections land where Clawdbot's own writer
// would put them.
func (o object) setAfter(name string, v hujson.Value, first bool, after ...string) {
	if o.has(name) {
		o.set(name, v)
		return
	}
	at := -1
	for _, a := range after {
		if i := o.index(a); i > at {
			at = i
		}
	}
	pos := len(o.Members)
	switch {
	case at >= 0:
		pos = at + 1
	case first:
		pos = 0
	}
	o.Members = append(o.Members, hujson.ObjectMember{})
	copy(o.Members[pos+1:], o.Members[pos:])
	o.Members[pos] = hujson.ObjectMember{Name: hujson.Value{Value: hujson.String(name)}, Value: v}
}

// lay sets the white space around o's members the way JSON.stringify(value,
// null, 2) does for an object that sits depth levels deep: members one per
// line indented two spaces per level, "{}" when empty. Member values keep
// their bytes; values taken from a file laid out the same way at the same
// depth therefore come out unchanged.
func (o object) lay(depth int) {
	for i := range o.Members {
		m := &o.Members[i]
		m.Name.BeforeExtra, m.Name.AfterExtra = newline(depth+1), nil
		m.Value.BeforeExtra, m.Value.AfterExtra = hujson.Extra(" "), nil
	}
	o.AfterExtra = nil
	if len(o.Members) > 0 {
		o.AfterExtra = newline(depth)
	}
}

// newline is a line break and the indentation of depth.
func newline(depth int) hujson.Extra {
	return hujson.Extra("\n" + strings.Repeat("  ", depth))
}

// jsonString is s as a JSON string. hujson quotes strings as
// JSON.stringify does (the escapes of RFC 8785), so strings the guard adds
// are the bytes Clawdbot would write.
func jsonString(s string) hujson.Value { return hujson.Value{Value: hujson.String(s)} }

// bytesOf is v's JSON text without the white space around it.
func bytesOf(v hujson.Value) []byte {
	v.BeforeExtra, v.AfterExtra = nil, nil
	return v.Pack()
}

// compactOf is v's JSON text without any insignificant white space, for
// comparing values.
func compactOf(v hujson.Value) string {
	var b bytes.Buffer
	if err := json.Compact(&b, bytesOf(v)); err != nil {
		return string(bytesOf(v))
	}
	return b.String()
}

// salvage recovers what it can from a document that does not parse, for
// example one cut short by a reader that caught a writer mid-write: every
// top-level member that is complete, and for a member whose value is an
// object cut short (or broken), that object's complete members (returned
// in partial).
// A member counts as complete only when a ',' or '}' follows it, so a
// number cut in the middle is never taken for a shorter number.
func salvage(data []byte) (top object, partial map[string]object) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	top, cut, at := completeMembers(data)
	partial = map[string]object{}
	if at >= 0 {
		p, _, _ := completeMembers(data[at:])
		partial[cut] = p
	}
	return top, partial
}

// completeMembers reads the object data starts with, encoding/json's
// decoder finding where each member ends, and returns the members that are
// complete. When data ends (or stops being JSON) inside the value of a
// member whose value is an object, it also returns that member's name and
// where its value starts (at is -1 otherwise).
func completeMembers(data []byte) (o object, cut string, at int) {
	o = newObject()
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return o, "", -1
	}
	for {
		before := int(dec.InputOffset())
		tok, err := dec.Token()
		name, isName := tok.(string)
		if err != nil || !isName {
			return o, "", -1
		}
		nameEnd := int(dec.InputOffset())
		rawName := data[before+bytes.IndexByte(data[before:nameEnd], '"') : nameEnd]
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			start := skipSpace(data, nameEnd)
			if start < len(data) && data[start] == ':' {
				start = skipSpace(data, start+1)
			}
			if start < len(data) && data[start] == '{' {
				return o, name, start
			}
			return o, "", -1
		}
		next := skipSpace(data, int(dec.InputOffset()))
		// A closed object, array or string at the very end cannot have
		// been cut short itself; only what follows it was.
		closedAtEnd := next == len(data) && strings.IndexByte(`{["`, value[0]) >= 0
		delimited := next < len(data) && (data[next] == ',' || data[next] == '}')
		if delimited || closedAtEnd {
			v, err := hujson.Parse(value)
			if err != nil {
				return o, "", -1
			}
			o.Members = append(o.Members, hujson.ObjectMember{Name: hujson.Value{Value: hujson.Literal(rawName)}, Value: v})
		}
		if !delimited {
			return o, "", -1
		}
	}
}

// skipSpace returns the offset of the first byte at or after i that is not
// JSON white space.
func skipSpace(data []byte, i int) int {
	for i < len(data) && strings.IndexByte(" \t\n\r", data[i]) >= 0 {
		i++
	}
	return i
}
