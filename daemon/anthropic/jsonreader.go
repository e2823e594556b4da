package anthropic

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonReader is the fast path of request decoding: a one-pass parser for
// the shapes a request is made of (the top-level body, messages, content
// blocks, tools, arrays of raw values), which validates as it goes and
// leaves nested raw values as slices of the input instead of copies.
//
// It only ever says "this is what encoding/json would have decoded" or
// "I cannot tell": anything it does not handle exactly as encoding/json
// does (a syntax or type error, a key that matches a field only without
// regard to case, a key given twice, an escaped key) makes it give up,
// and the caller decodes the same bytes with encoding/json, which
// produces the value or the error message. So every error a client sees
// still comes from encoding/json, and the differential fuzz test in
// jsonreader_test.go holds the two to the same results.
//
// A reader that is trusted reads a value that is known to be valid JSON
// (a raw value of a body already decoded, by either path), and passes over
// the strings it skips without validating them again: nested values are
// read once per level, and this keeps the levels below the first cheap.
type jsonReader struct {
	b       []byte
	i       int
	trusted bool
}

// whole runs read on b and reports whether it consumed all of b but
// trailing whitespace.
func whole(b []byte, trusted bool, read func(*jsonReader) bool) bool {
	d := jsonReader{b: b, trusted: trusted}
	if !read(&d) {
		return false
	}
	d.ws()
	return d.i == len(d.b)
}

func (d *jsonReader) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek skips whitespace and returns the next byte, or 0 at the end.
func (d *jsonReader) peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// fields reads an object whose known keys are names, calling field with
// the index of each known key; unknown keys are skipped, as encoding/json
// skips them. A key given twice, or one that matches a name only without
// regard to case, gives up.
func (d *jsonReader) fields(names []string, field func(int) bool) bool {
	if d.peek() != '{' {
		return false
	}
	d.i++
	var seen uint32
	if d.peek() == '}' {
		d.i++
		return true
	}
	for {
		if d.peek() != '"' {
			return false
		}
		key, ok := readKey(d)
		if !ok || d.peek() != ':' {
			return false
		}
		d.i++
		known := -1
		for n, name := range names {
			if key == name {
				known = n
				break
			}
			if strings.EqualFold(key, name) {
				return false
			}
		}
		if known < 0 {
			if !d.skip() {
				return false
			}
		} else {
			if seen&(1<<known) != 0 || !field(known) {
				return false
			}
			seen |= 1 << known
		}
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			return true
		default:
			return false
		}
	}
}

// readKey reads a string with no escapes and only ASCII in it (object
// keys are), giving up on any other.
func readKey(d *jsonReader) (string, bool) {
	start := d.i + 1
	for j := start; j < len(d.b); j++ {
		c := d.b[j]
		if c == '"' {
			d.i = j + 1
			return string(d.b[start:j]), true
		}
		if c < 0x20 || c == '\\' || c >= utf8.RuneSelf {
			return "", false
		}
	}
	return "", false
}

// elements reads an array, calling elem for each element.
func (d *jsonReader) elements(elem func() bool) bool {
	if d.peek() != '[' {
		return false
	}
	d.i++
	if d.peek() == ']' {
		d.i++
		return true
	}
	for {
		if !elem() {
			return false
		}
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			return true
		default:
			return false
		}
	}
}

// null consumes a null literal if one is next.
func (d *jsonReader) null() bool {
	if d.peek() == 'n' && d.literal("null") {
		return true
	}
	return false
}

func (d *jsonReader) literal(lit string) bool {
	if len(d.b)-d.i < len(lit) || string(d.b[d.i:d.i+len(lit)]) != lit {
		return false
	}
	d.i += len(lit)
	return true
}

// readRaw reads any value into *out as a slice of the input, as
// json.RawMessage keeps it (null included).
func readRaw(d *jsonReader, out *json.RawMessage) bool {
	d.ws()
	start := d.i
	if !d.skip() {
		return false
	}
	*out = d.b[start:d.i:d.i]
	return true
}

// readRawArray reads null or an array of raw values.
func readRawArray(d *jsonReader, out *[]json.RawMessage) bool {
	return readNullableList(d, out, readRaw)
}

// readString reads a string (null leaves out alone, as encoding/json does).
func readString(d *jsonReader, out *string) bool {
	switch d.peek() {
	case 'n':
		return d.null()
	case '"':
		s, ok := d.stringValue()
		*out = s
		return ok
	}
	return false
}

// readStrings reads null or an array of strings.
func readStrings(d *jsonReader, out *[]string) bool {
	return readNullableList(d, out, func(d *jsonReader, s *string) bool {
		if d.peek() != '"' {
			return false
		}
		v, ok := d.stringValue()
		*s = v
		return ok
	})
}

// readBool reads true or false (null leaves out alone).
func readBool(d *jsonReader, out *bool) bool {
	switch d.peek() {
	case 'n':
		return d.null()
	case 't':
		*out = true
		return d.literal("true")
	case 'f':
		*out = false
		return d.literal("false")
	}
	return false
}

// readIntPtr reads null or an integer that fits an int.
func readIntPtr(d *jsonReader, out **int) bool {
	if d.null() {
		*out = nil
		return true
	}
	num, ok := readNumber(d)
	if !ok {
		return false
	}
	n, err := strconv.ParseInt(num, 10, strconv.IntSize)
	if err != nil {
		return false
	}
	v := int(n)
	*out = &v
	return true
}

// readFloatPtr reads null or a number.
func readFloatPtr(d *jsonReader, out **float64) bool {
	if d.null() {
		*out = nil
		return true
	}
	num, ok := readNumber(d)
	if !ok {
		return false
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return false
	}
	*out = &f
	return true
}

// decodeRaw decodes a small nested object with encoding/json into a new
// *T; null leaves *out nil. Any error gives up, so that the whole body's
// error names the field as encoding/json would.
func decodeRaw[T any](d *jsonReader, out **T) bool {
	if d.null() {
		*out = nil
		return true
	}
	var r json.RawMessage
	if !readRaw(d, &r) {
		return false
	}
	v := new(T)
	if json.Unmarshal(r, v) != nil {
		return false
	}
	*out = v
	return true
}

// readNumber reads a number as JSON writes it and returns its text.
func readNumber(d *jsonReader) (string, bool) {
	d.ws()
	start := d.i
	if !d.skipNumber() {
		return "", false
	}
	return string(d.b[start:d.i]), true
}

func digits(d *jsonReader) int {
	n := 0
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
		n++
	}
	return n
}

func (d *jsonReader) skipNumber() bool {
	if d.i < len(d.b) && d.b[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.b) && d.b[d.i] == '0':
		d.i++
	case digits(d) == 0:
		return false
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if digits(d) == 0 {
			return false
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if digits(d) == 0 {
			return false
		}
	}
	return true
}

// skip validates and passes over one value.
func (d *jsonReader) skip() bool {
	switch d.peek() {
	case '{':
		d.i++
		if d.peek() == '}' {
			d.i++
			return true
		}
		for {
			if d.peek() != '"' || !d.skipString() || d.peek() != ':' {
				return false
			}
			d.i++
			if !d.skip() {
				return false
			}
			switch d.peek() {
			case ',':
				d.i++
			case '}':
				d.i++
				return true
			default:
				return false
			}
		}
	case '[':
		return d.elements(d.skip)
	case '"':
		return d.skipString()
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return d.skipNumber()
	}
	return false
}

// skipString validates and passes over a string, d.i at its quote; a
// trusted reader only looks for the closing quote.
func (d *jsonReader) skipString() bool {
	if !d.trusted {
		_, ok := d.scanString()
		return ok
	}
	for j := d.i + 1; ; j++ {
		k := bytes.IndexByte(d.b[j:], '"')
		if k < 0 {
			return false
		}
		j += k
		escapes := 0
		for p := j - 1; p > d.i && d.b[p] == '\\'; p-- {
			escapes++
		}
		if escapes%2 == 0 {
			d.i = j + 1
			return true
		}
	}
}

// scanString validates the string at d.i and returns its body (without
// quotes), and whether it is valid.
func (d *jsonReader) scanString() (body []byte, ok bool) {
	start := d.i + 1
	j := start
	for j < len(d.b) {
		j = plainRun(d.b, j)
		if j >= len(d.b) {
			break
		}
		c := d.b[j]
		switch {
		case c == '"':
			d.i = j + 1
			return d.b[start:j], true
		case c == '\\':
			if j+1 >= len(d.b) {
				return nil, false
			}
			switch d.b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(d.b) || !isHex4(d.b[j+2:j+6]) {
					return nil, false
				}
				j += 6
			default:
				return nil, false
			}
		case c < 0x20:
			return nil, false
		default:
			j++
		}
	}
	return nil, false
}

// plainRun returns the index of the first byte at or after j that a
// string scan must look at (a quote, a backslash, a control character or
// a byte beyond ASCII), eight bytes at a time.
func plainRun(b []byte, j int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; j+8 <= len(b); j += 8 {
		x := binary.LittleEndian.Uint64(b[j:])
		q, bs := x^(ones*'"'), x^(ones*'\\')
		special := (x-ones*0x20)&^x | (q-ones)&^q | (bs-ones)&^bs | x
		if special&highs != 0 {
			break
		}
	}
	for ; j < len(b); j++ {
		if c := b[j]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return j
		}
	}
	return j
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// stringValue reads a string and returns it decoded as encoding/json
// decodes it: invalid UTF-8 and lone surrogates become U+FFFD.
func (d *jsonReader) stringValue() (string, bool) {
	var body []byte
	if d.trusted {
		start := d.i + 1
		if !d.skipString() {
			return "", false
		}
		body = d.b[start : d.i-1]
	} else {
		var ok bool
		if body, ok = d.scanString(); !ok {
			return "", false
		}
	}
	if bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
		return string(body), true
	}
	return unquote(body), true
}

// unquote decodes the body of a string already validated by scanString.
func unquote(s []byte) string {
	var out strings.Builder
	out.Grow(len(s))
	for r := 0; r < len(s); {
		if j := plainRun(s, r); j > r {
			out.Write(s[r:j])
			r = j
			continue
		}
		c := s[r]
		switch {
		case c == '\\':
			switch s[r+1] {
			case 'b':
				out.WriteByte('\b')
			case 'f':
				out.WriteByte('\f')
			case 'n':
				out.WriteByte('\n')
			case 'r':
				out.WriteByte('\r')
			case 't':
				out.WriteByte('\t')
			case 'u':
				rr := hex4(s[r+2:])
				r += 6
				if utf16.IsSurrogate(rr) {
					rr1 := rune(-1)
					if r+6 <= len(s) && s[r] == '\\' && s[r+1] == 'u' {
						rr1 = hex4(s[r+2:])
					}
					if dec := utf16.DecodeRune(rr, rr1); dec != unicode.ReplacementChar {
						r += 6
						out.WriteRune(dec)
						continue
					}
					rr = unicode.ReplacementChar
				}
				out.WriteRune(rr)
				continue
			default: // '"', '\\', '/'
				out.WriteByte(s[r+1])
			}
			r += 2
		default:
			rr, size := utf8.DecodeRune(s[r:])
			out.WriteRune(rr)
			r += size
		}
	}
	return out.String()
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
