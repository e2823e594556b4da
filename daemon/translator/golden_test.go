package translator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/golden"
	"github.com/clawbridge/clawbridge/daemon/upstream"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// counterIDs returns an ID maker that numbers IDs, so goldens are stable.
func counterIDs(prefix string) func() string {
	n := 0
	return func() string {
		n++
		return fmt.Sprintf("%s%02d", prefix, n)
	}
}

// replay is a recorded Ollama stream: the chunks, the error the client
// would have returned after them, and the stop sequences of the request.
type replay struct {
	chunks []*ollama.ChatResponse
	err    error
	stops  []string
}

// loadReplay reads an NDJSON recording. Lines starting with "#" are
// directives: "# stops: [...]" sets the request's stop sequences, "# drop"
// ends the stream as a dropped connection does. An {"error": ...} line and
// a missing done line end it the way ollama.Client reports them.
func loadReplay(t *testing.T, path string) replay {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r replay
	done := false
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		switch {
		case strings.HasPrefix(line, "# stops:"):
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "# stops:")), &r.stops); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		case line == "# drop":
			r.err = fmt.Errorf("read ollama stream: %w", io.ErrUnexpectedEOF)
			return r
		default:
			var c ollama.ChatResponse
			if err := json.Unmarshal([]byte(line), &c); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if c.Error != "" {
				r.err = &upstream.StreamError{Message: c.Error}
				return r
			}
			r.chunks = append(r.chunks, &c)
			done = c.Done
		}
	}
	if !done {
		r.err = upstream.ErrIncomplete
	}
	return r
}

var testTarget = target{Alias: "claude-sonnet-4-5", Model: "qwen3:8b", Addr: "127.0.0.1:11434"}

// TestStreamGolden replays every recording in testdata/stream through the
// stream encoder (the whole SSE transcript) and the non-streaming
// collector (the message, or the error body), as the server does.
func TestStreamGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/stream/*.ndjson")
	if len(files) == 0 {
		t.Fatal("no recordings in testdata/stream")
	}
	for _, f := range files {
		name := strings.TrimSuffix(f, ".ndjson")
		t.Run(filepath.Base(name), func(t *testing.T) {
			r := loadReplay(t, f)

			s := newEventStream("msg_test", testTarget, anthropic.AnswerConfig{Stops: r.stops, NewToolID: counterIDs("toolu_test")})
			err := r.err
			for _, c := range r.chunks {
				if s.chunk(c) {
					err = nil // the server stops reading here
					break
				}
			}
			s.end(err)
			var sse bytes.Buffer
			if err := s.enc.WriteEvents(&sse); err != nil {
				t.Fatal(err)
			}
			checkTranscript(t, sse.Bytes())
			golden.Check(t, name+".sse", sse.Bytes())

			c := newCollector("msg_test", testTarget, anthropic.AnswerConfig{Stops: r.stops, NewToolID: counterIDs("toolu_test")})
			err = r.err
			for _, ch := range r.chunks {
				if c.chunk(ch) {
					err = nil
					break
				}
			}
			var out any
			msg, ae := c.message(err)
			if ae != nil {
				out = struct {
					Status int                     `json:"status"`
					Body   anthropic.ErrorResponse `json:"body"`
				}{ae.Status, anthropic.ErrorResponse{Type: "error", Error: anthropic.ErrorBody{Type: ae.Type, Message: ae.Message}}}
			} else {
				out = msg
			}
			got, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, name+".message.json", append(got, '\n'))
		})
	}
}

// checkTranscript checks the rules every SSE transcript must keep,
// independently of the golden files: each frame's event name equals its
// data type, one message_start first, block indexes contiguous from 0
// with each block closed before the next opens, deltas only inside an
// open block, and nothing after message_stop or error.
func checkTranscript(t *testing.T, sse []byte) {
	t.Helper()
	frames := strings.Split(strings.TrimSuffix(string(sse), "\n\n"), "\n\n")
	open, next := -1, 0
	ended := false
	for i, f := range frames {
		lines := strings.Split(f, "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "event: ") || !strings.HasPrefix(lines[1], "data: ") {
			t.Fatalf("frame %d is not an event line and a data line: %q", i, f)
		}
		event := strings.TrimPrefix(lines[0], "event: ")
		var data struct {
			Type  string `json:"type"`
			Index *int   `json:"index"`
		}
		if err := json.Unmarshal([]byte(strings.TrimPrefix(lines[1], "data: ")), &data); err != nil {
			t.Fatalf("frame %d data is not JSON: %v: %q", i, err, lines[1])
		}
		if data.Type != event {
			t.Fatalf("frame %d: event %q but data type %q", i, event, data.Type)
		}
		if ended {
			t.Fatalf("frame %d (%s) comes after the stream ended", i, event)
		}
		if (i == 0) != (event == "message_start") {
			t.Fatalf("frame %d is %s: message_start must come first, and once", i, event)
		}
		switch event {
		case "content_block_start":
			if open >= 0 || data.Index == nil || *data.Index != next {
				t.Fatalf("frame %d starts block %v while block %d is open / %d is next", i, data.Index, open, next)
			}
			open = next
			next++
		case "content_block_delta":
			if data.Index == nil || *data.Index != open {
				t.Fatalf("frame %d: delta for block %v, open block is %d", i, data.Index, open)
			}
		case "content_block_stop":
			if data.Index == nil || *data.Index != open {
				t.Fatalf("frame %d: stop for block %v, open block is %d", i, data.Index, open)
			}
			open = -1
		case "message_delta":
			if open >= 0 {
				t.Fatalf("frame %d: message_delta while block %d is open", i, open)
			}
		case "message_stop", "error":
			ended = true
		}
	}
	if !ended {
		t.Fatalf("the stream ends without message_stop or error")
	}
}
