package translator

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/upstream/openaicompat"
)

// chunkFramesCases are delta strings the hand-written frames must
// encode as encoding/json does.
var chunkFramesCases = []string{
	"", " token", `quote " backslash \ slash /`, "line\nbreak\r\ttab", "\x00\x01\x1f\x7f",
	"<div> & </div>", "Grüße, 世界 👋", "\u2028\u2029", "bad \xff\xfe utf-8", "\xed\xa0\x80 surrogate",
}

// checkChunkFrame fails unless the hand-written text chunk for s decodes
// to what encoding/json's chunk for the same delta decodes to.
func checkChunkFrame(t *testing.T, s string, includeUsage, reasoning bool) {
	t.Helper()
	head := chunkHead{id: "chatcmpl-<1>", created: 1767225600, model: "claude-sonnet-4-5 \"x\""}
	hand, slow := newChunkFrames(head, includeUsage), newChunkFrames(head, includeUsage)
	if reasoning {
		hand.text(`{"reasoning_content":`, s)
		slow.emit(openaicompat.Delta{ReasoningContent: &s}, nil)
	} else {
		hand.text(`{"content":`, s)
		slow.emit(openaicompat.Delta{Content: &s}, nil)
	}
	decode := func(frame []byte) any {
		data, ok := strings.CutPrefix(string(frame), "data: ")
		if !ok || !strings.HasSuffix(data, "}\n\n") {
			t.Fatalf("not one SSE data event: %q", frame)
		}
		var v any
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			t.Fatalf("%v: %q", err, frame)
		}
		return v
	}
	if got, want := decode(hand.buf), decode(slow.buf); !reflect.DeepEqual(got, want) {
		t.Errorf("%q: hand-written chunk %s, encoding/json's %s", s, hand.buf, slow.buf)
	}
}

func TestChunkFramesText(t *testing.T) {
	for _, s := range chunkFramesCases {
		for _, usage := range []bool{false, true} {
			checkChunkFrame(t, s, usage, false)
			checkChunkFrame(t, s, usage, true)
		}
	}
}

func FuzzChunkFramesText(f *testing.F) {
	for _, s := range chunkFramesCases {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, usage bool) {
		checkChunkFrame(t, s, usage, usage)
	})
}
