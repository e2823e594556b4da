package translator

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// wholeFake answers with content: as a stream of one chunk per rune, or
// whole when asked for it, reporting a generation speed either way. It
// records whether each request asked for a stream.
type wholeFake struct {
	*fakeOllama
	mu      sync.Mutex
	streams []bool
	content string
	// stall makes requests hang until cancelled instead of answering.
	stall bool
	// read is the time per prompt token the answers report.
	read time.Duration
}

func newWholeFake(t *testing.T, content string) *wholeFake {
	f := &wholeFake{fakeOllama: newFakeOllama(t), content: content}
	f.chat = func(w http.ResponseWriter, r *http.Request, req *ollama.ChatRequest) {
		f.mu.Lock()
		f.streams = append(f.streams, req.Stream)
		content, stall, read := f.content, f.stall, f.read
		f.mu.Unlock()
		if stall {
			f.waitCancelled(r)
			return
		}
		done := doneChunk("stop")
		done.EvalDuration = time.Duration(len(content)) * time.Millisecond
		done.EvalCount = len(content)
		done.PromptEvalDuration = time.Duration(done.PromptEvalCount) * read
		if !req.Stream {
			done.Message.Content = content
			b, _ := json.Marshal(done)
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Write(b)
			return
		}
		var parts []string
		for _, r := range content {
			parts = append(parts, string(r))
		}
		chunks := textChunks(parts...)
		chunks[len(chunks)-1] = done
		writeChunks(w, chunks...)
	}
	return f
}

// asked returns whether each request so far asked for a stream.
func (f *wholeFake) asked() []bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]bool(nil), f.streams...)
}

// postWhole sends a non-streaming Messages request and returns the
// status and the body.
func postWhole(t *testing.T, ts *testServer, extra string) (int, anthropic.Message, string) {
	t.Helper()
	resp := ts.post(t, "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":64`+extra+
		`,"tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],"messages":[{"role":"user","content":"hi"}]}`)
	raw, _ := io.ReadAll(resp.Body)
	var m anthropic.Message
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("answer: %v: %s", err, raw)
		}
	}
	return resp.StatusCode, withoutIDs(m), string(raw)
}

// TestWholeAnswer: a client that does not stream gets its answer from a
// whole Ollama answer once the model's speed is known, the same answer
// as from a stream (text and tool-call repair alike); stop sequences,
// streaming clients and answers too long for the idle timeout stream.
func TestWholeAnswer(t *testing.T) {
	for _, content := range []string{
		"Hello there, in one piece.",
		"```json\n{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}\n```", // repaired into a tool call
	} {
		fake := newWholeFake(t, content)
		ts := newTestServer(t, fake.fakeOllama, "", Options{})
		_, streamed, _ := postWhole(t, ts, "")
		_, whole, _ := postWhole(t, ts, "")
		if got := fake.asked(); len(got) != 2 || !got[0] || got[1] {
			t.Fatalf("asked for a stream: %v, want true (speed unknown) then false", got)
		}
		if a, b := mustJSON(streamed), mustJSON(whole); a != b {
			t.Errorf("streamed and whole answers differ:\nstreamed: %s\nwhole:    %s", a, b)
		}
		if strings.Contains(content, "get_weather") && (len(whole.Content) != 1 || whole.Content[0].Type != "tool_use" || string(whole.Content[0].Input) != `{"city":"Paris"}`) {
			t.Errorf("the call written as text was not repaired: %s", mustJSON(whole))
		}
	}

	fake := newWholeFake(t, "one two STOP three")
	ts := newTestServer(t, fake.fakeOllama, "", Options{})
	postWhole(t, ts, "") // learns the speed
	status, m, raw := postWhole(t, ts, `,"stop_sequences":["STOP"]`)
	if status != 200 || *m.StopReason != "stop_sequence" || m.StopSequence == nil || *m.StopSequence != "STOP" || m.Content[0].Text != "one two " {
		t.Errorf("stop sequence: %d %s", status, raw)
	}
	postWhole(t, ts, `,"max_tokens":100000000`)
	if got := fake.asked(); len(got) != 3 || got[1] != true || got[2] != true {
		t.Errorf("asked for a stream: %v, want true for the stop sequence and for the answer longer than the idle timeout allows", got)
	}

	// A model that reads its prompt too slowly for the idle timeout.
	fake = newWholeFake(t, "slow reader")
	fake.read = config.DefaultStreamIdleTimeout // per prompt token
	ts = newTestServer(t, fake.fakeOllama, "", Options{})
	postWhole(t, ts, "")
	postWhole(t, ts, "")
	if got := fake.asked(); len(got) != 2 || !got[1] {
		t.Errorf("asked for a stream: %v, want true while the prompt would take longer than half the idle timeout", got)
	}
}

// TestWholeAnswerIdleTimeout: a backend that sends nothing fails the
// request after stream_idle_timeout, on the whole-answer path as on the
// streamed one, and the backend request is cancelled.
func TestWholeAnswerIdleTimeout(t *testing.T) {
	for _, learn := range []bool{false, true} {
		fake := newWholeFake(t, "fast")
		tr, ts := faultTranslator(t, fake.URL, "stream_idle_timeout: 1", Options{})
		if learn {
			ask(t, ts, clientModes[0], "claude-sonnet-4-5")
		}
		fake.mu.Lock()
		fake.stall = true
		fake.mu.Unlock()
		o := ask(t, ts, clientModes[0], "claude-sonnet-4-5")
		if o.status != 504 || o.errType != "timeout_error" || !strings.Contains(o.message, "sent nothing for 1s") {
			t.Errorf("learned %v: got %v, want 504 timeout_error", learn, o)
		}
		if got := fake.asked(); got[len(got)-1] == learn {
			t.Errorf("learned %v: asked for a stream %v", learn, got)
		}
		select {
		case <-fake.cancelled:
		case <-time.After(hangGuard):
			t.Errorf("learned %v: the backend request was not cancelled", learn)
		}
		waitIdle(t, tr, nil)
	}
}

// TestWholeAnswerClientGone: a client that goes away while a whole
// answer is being generated cancels the backend request, as on the
// streamed path.
func TestWholeAnswerClientGone(t *testing.T) {
	for _, learn := range []bool{false, true} {
		fake := newWholeFake(t, "fast")
		tr, ts := faultTranslator(t, fake.URL, "", Options{})
		if learn {
			ask(t, ts, clientModes[0], "claude-sonnet-4-5")
		}
		fake.mu.Lock()
		fake.stall = true
		fake.mu.Unlock()
		ctx, cancel := context.WithCancel(t.Context())
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts+"/v1/messages", strings.NewReader(faultRequest(clientModes[0], "claude-sonnet-4-5")))
		go func() {
			for len(fake.asked()) < map[bool]int{false: 1, true: 2}[learn] {
				time.Sleep(2 * time.Millisecond)
			}
			cancel()
		}()
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		select {
		case <-fake.cancelled:
		case <-time.After(hangGuard):
			t.Errorf("learned %v: the backend request was not cancelled", learn)
		}
		if got := fake.asked(); got[len(got)-1] == learn {
			t.Errorf("learned %v: asked for a stream %v", learn, got)
		}
		waitIdle(t, tr, nil)
	}
}
