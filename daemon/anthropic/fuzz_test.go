package anthropic

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRepair pushes any answer text through the tool-call repairer, whole
// and in pieces of a size the fuzzer picks. The output must not depend on
// the pieces; an answer with no repaired call comes out byte for byte; a
// repaired call names an offered tool and has an object for arguments.
func FuzzRepair(f *testing.F) {
	files, _ := filepath.Glob("testdata/repair/*.txt")
	if len(files) == 0 {
		f.Fatal("no fixtures in testdata/repair")
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data), uint8(3))
	}
	names := map[string]bool{}
	for _, tool := range repairTools {
		names[tool.Function.Name] = true
	}
	f.Fuzz(func(t *testing.T, text string, piece uint8) {
		if !utf8.ValidString(text) {
			return // Ollama's chunks are JSON strings: always UTF-8
		}
		whole := runRepair(text, len(text)+1)
		split := runRepair(text, int(piece%16)+1)
		w, _ := json.Marshal(whole)
		s, _ := json.Marshal(split)
		if !bytes.Equal(w, s) {
			t.Fatalf("the output depends on the pieces (of %d bytes):\nwhole: %s\nsplit: %s", piece%16+1, w, s)
		}
		calls := 0
		var out strings.Builder
		for _, seg := range whole {
			if seg.Call == nil {
				out.WriteString(seg.Text)
				continue
			}
			calls++
			var c struct {
				Name      string          `json:"name"`
				Arguments json.RawMessage `json:"arguments"`
			}
			if err := json.Unmarshal(seg.Call, &c); err != nil || !names[c.Name] || JSONKind(c.Arguments) != "object" {
				t.Fatalf("repaired call %s (%v)", seg.Call, err)
			}
		}
		if calls == 0 && out.String() != text {
			t.Fatalf("no call repaired, but the text changed:\n in: %q\nout: %q", text, out.String())
		}
	})
}
