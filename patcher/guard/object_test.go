package guard

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tailscale/hujson"
)

// clawdbotFiles are the test inputs written by Clawdbot's own writer
// (testdata/gen-inputs.js).
func clawdbotFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, p := range []string{"testdata/pin/*.in.json", "testdata/recover/*.json"} {
		m, _ := filepath.Glob(p)
		for _, f := range m {
			b := filepath.Base(f)
			if !strings.HasPrefix(b, "raw-") && b != "torn.in.json" && strings.HasSuffix(b, ".json") {
				files = append(files, f)
			}
		}
	}
	if len(files) == 0 {
		t.Fatal("no inputs")
	}
	return files
}

func TestEncodeRoundTrip(t *testing.T) {
	for _, f := range clawdbotFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		top, err := parseObject(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if got := render(top); !bytes.Equal(got, data) {
			t.Errorf("%s: re-encoding changed the bytes:\n%s", f, got)
		}
		// Laying a section out at its depth is the identity too.
		for _, name := range []string{"profiles", "usageStats", "order", "lastGood"} {
			v, ok := top.get(name)
			if !ok {
				continue
			}
			raw := bytesOf(v)
			sec, _ := asObject(v)
			sec.lay(1)
			if got := bytesOf(sec.value()); !bytes.Equal(got, raw) {
				t.Errorf("%s: section %s laid out as\n%s", f, name, got)
			}
		}
	}
}

func TestParseAgreesWithEncodingJSON(t *testing.T) {
	docs := []string{
		`{}`,
		` {"a":1,"b":[1,{"c":"}"}],"d":"\"{[","e":{"f":null}} `,
		`{"a\u0062":true,"x":-1.5e-3,"y":"é\u2028\\"}`,
		"{\n\t\"k\" : \"v\" ,\r\n\"n\":{}}",
	}
	for _, d := range docs {
		top, err := parseObject([]byte(d))
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		got := map[string]any{}
		for name, m := range top.members() {
			var v any
			if err := json.Unmarshal(bytesOf(m), &v); err != nil {
				t.Fatalf("%s: member %q value %q: %v", d, name, bytesOf(m), err)
			}
			got[name] = v
		}
		var want map[string]any
		json.Unmarshal([]byte(d), &want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v, want %v", d, got, want)
		}
	}
	for _, bad := range []string{``, `[]`, `{"a":}`, `{"a":1,}`, `{"a":1} x`, "\xef\xbb\xbf{}", `{"a":1 /* c */}`, "{\"a\":1 // c\n}"} {
		if _, err := parseObject([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestDuplicateNamesFollowJSONParse(t *testing.T) {
	top, err := parseObject([]byte(`{"a":1,"a":2}`))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := top.get("a"); string(bytesOf(v)) != "2" {
		t.Errorf("get = %s, want the last value like JSON.parse", bytesOf(v))
	}
}

// TestSalvageEveryPrefix cuts a store at every byte, as an in-place write
// can, and checks that what salvage keeps is exactly what the full file
// holds: never a value cut short, never a changed byte.
func TestSalvageEveryPrefix(t *testing.T) {
	full, err := os.ReadFile("testdata/recover/rebuilt.last.json")
	if err != nil {
		t.Fatal(err)
	}
	compact := &bytes.Buffer{}
	json.Compact(compact, full)
	for _, doc := range [][]byte{full, compact.Bytes()} {
		top, err := parseObject(doc)
		if err != nil {
			t.Fatal(err)
		}
		sections := map[string]object{}
		for name, v := range top.members() {
			if o, ok := asObject(v); ok {
				sections[name] = o
			}
		}
		maxEntries := 0
		for cut := 0; cut <= len(doc); cut++ {
			got, partial := salvage(doc[:cut])
			entries := 0
			for name, v := range got.members() {
				want, ok := top.get(name)
				if !ok || !bytes.Equal(bytesOf(want), bytesOf(v)) {
					t.Fatalf("cut %d: member %q = %q, full file has %q", cut, name, bytesOf(v), bytesOf(want))
				}
				if o, ok := asObject(v); ok {
					entries += len(o.Members)
				} else {
					entries++
				}
			}
			for name, p := range partial {
				sec, ok := sections[name]
				if !ok {
					t.Fatalf("cut %d: partial %q is not an object in the full file", cut, name)
				}
				for entry, v := range p.members() {
					want, ok := sec.get(entry)
					if !ok || !bytes.Equal(bytesOf(want), bytesOf(v)) {
						t.Fatalf("cut %d: %s.%s = %q, full file has %q", cut, name, entry, bytesOf(v), bytesOf(want))
					}
					entries++
				}
			}
			if entries < maxEntries-1 {
				// Cutting more off can lose at most the member being
				// completed; anything else means salvage gave up early.
				t.Fatalf("cut %d: salvaged %d entries, an earlier cut gave %d", cut, entries, maxEntries)
			}
			if entries > maxEntries {
				maxEntries = entries
			}
		}
		if got, _ := salvage(doc); len(got.Members) != len(top.Members) {
			t.Errorf("the whole document salvages %d of %d members", len(got.Members), len(top.Members))
		}
	}
}

func TestJSONString(t *testing.T) {
	cases := map[string]string{
		"plain":            `"plain"`,
		"q\"b\\s":          `"q\"b\\s"`,
		"\b\f\n\r\t":       `"\b\f\n\r\t"`,
		"\x00\x1f\x7f":     `"\u0000\u001f` + "\x7f" + `"`,
		"<>&\u2028\u2029é": "\"<>&\u2028\u2029é\"",
		"bad\xffutf8":      "\"bad\uFFFDutf8\"",
	}
	for in, want := range cases {
		if got := string(bytesOf(jsonString(in))); got != want {
			t.Errorf("jsonString(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestStringsMatchJSONStringify runs the same strings through node's
// JSON.stringify, the writer Clawdbot uses.
func TestStringsMatchJSONStringify(t *testing.T) {
	node := nodeBin(t)
	var inputs []string
	for i := 0; i < 0x80; i++ {
		inputs = append(inputs, "a"+string(rune(i))+"z")
	}
	inputs = append(inputs, "<>&", "\u2028\u2029", "é€😀", "sk-clawbridge-local")
	// Pass the strings as JSON so that node decodes exactly these.
	arg, _ := json.Marshal(inputs)
	out, err := exec.Command(node, "-e",
		`for (const s of JSON.parse(process.argv[1])) console.log(JSON.stringify(s))`, string(arg)).Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(inputs) {
		t.Fatalf("node printed %d lines for %d strings", len(lines), len(inputs))
	}
	for i, in := range inputs {
		if got := string(bytesOf(jsonString(in))); got != lines[i] {
			t.Errorf("jsonString(%q) = %s, JSON.stringify gives %s", in, got, lines[i])
		}
	}
}

func TestSetAfterPlacesNewMembers(t *testing.T) {
	empty := func() hujson.Value { return newObject().value() }
	o := newObject()
	o.set("version", hujson.Value{Value: hujson.Literal("1")})
	o.set("usageStats", empty())
	o.setAfter("profiles", empty(), true, "version")
	o.setAfter("lastGood", empty(), false, "order", "profiles")
	o.setAfter("order", empty(), false, "profiles")
	var names []string
	for name := range o.members() {
		names = append(names, name)
	}
	if got := strings.Join(names, ","); got != "version,profiles,order,lastGood,usageStats" {
		t.Errorf("order = %s", got)
	}
}

// TestSalvageNeedsADelimiter checks the rule salvage states: a member counts
// only when ',' or '}' follows it, and the complete entries of a section
// that is cut short or broken are kept.
func TestSalvageNeedsADelimiter(t *testing.T) {
	cases := []struct {
		doc, top, partial string
	}{
		{`{"a":0 00`, ``, ``},
		{`{"a":1,"b":12`, `a`, ``},
		{`{"a":"x","b":{"c":1}`, `a,b`, ``},
		{`{"a":1,"profiles":{"x":{},"y":{"k":`, `a`, `profiles:x`},
		{`{"a":1,"profiles":{"x":{},"y":nope},"b":2}`, `a`, `profiles:x`},
	}
	for _, c := range cases {
		top, partial := salvage([]byte(c.doc))
		var names, parts []string
		for name := range top.members() {
			names = append(names, name)
		}
		for name, p := range partial {
			for entry := range p.members() {
				parts = append(parts, name+":"+entry)
			}
		}
		if got := strings.Join(names, ","); got != c.top {
			t.Errorf("%s: kept %q, want %q", c.doc, got, c.top)
		}
		if got := strings.Join(parts, ","); got != c.partial {
			t.Errorf("%s: kept partial %q, want %q", c.doc, got, c.partial)
		}
	}
}
