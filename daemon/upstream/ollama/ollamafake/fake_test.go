package ollamafake

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// hangGuard only stops a broken test from hanging.
const hangGuard = 20 * time.Second

func start(t *testing.T, opts Options) (*httptest.Server, *ollama.Client) {
	t.Helper()
	srv := httptest.NewServer(New(opts))
	t.Cleanup(srv.Close)
	c, err := ollama.New(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), hangGuard)
	t.Cleanup(cancel)
	return c
}

// The project's own Ollama client reads the fake's stream as it reads
// Ollama's: one chunk per token, then a done line with the counts.
func TestOllamaChatStream(t *testing.T) {
	_, c := start(t, Options{})
	for _, tc := range []struct {
		name   string
		limit  *int
		tokens int
		reason string
	}{
		{"default length", nil, DefaultTokens, "stop"},
		{"num_predict", ptr(7), 7, "length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := &ollama.ChatRequest{Model: "fake", Stream: true,
				Messages: []ollama.Message{{Role: "user", Content: "hi"}}, Options: &ollama.Options{NumPredict: tc.limit}}
			var text strings.Builder
			var chunks int
			var last *ollama.ChatResponse
			err := c.Chat(ctx(t), req, func(r *ollama.ChatResponse) error {
				if !r.Done {
					chunks++
					if r.Message.Content != DefaultToken || r.Message.Role != "assistant" || r.Model != "fake" {
						t.Fatalf("chunk %d: %+v", chunks, r)
					}
				}
				text.WriteString(r.Message.Content)
				last = r
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if chunks != tc.tokens || text.String() != strings.Repeat(DefaultToken, tc.tokens) {
				t.Errorf("got %d chunks, text %q; want %d tokens", chunks, text.String(), tc.tokens)
			}
			if !last.Done || last.DoneReason != tc.reason || last.EvalCount != tc.tokens || last.PromptEvalCount == 0 || last.EvalDuration <= 0 {
				t.Errorf("done line %+v; want done_reason %q, eval_count %d, prompt_eval_count and eval_duration set", last, tc.reason, tc.tokens)
			}
		})
	}
}

func TestOllamaChatNotStreaming(t *testing.T) {
	_, c := start(t, Options{Token: "x", Tokens: 3})
	req := &ollama.ChatRequest{Model: "m", Messages: []ollama.Message{{Role: "user", Content: "hi"}}}
	var got []*ollama.ChatResponse
	if err := c.Chat(ctx(t), req, func(r *ollama.ChatResponse) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].Done || got[0].Message.Content != "xxx" || got[0].DoneReason != "stop" || got[0].EvalCount != 3 {
		t.Errorf("got %+v; want one done answer %q", got, "xxx")
	}
}

func TestShowTagsVersion(t *testing.T) {
	_, c := start(t, Options{})
	show, err := c.Show(ctx(t), "whatever:1b")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(show.Capabilities, ",") != "completion,tools" {
		t.Errorf("capabilities %v", show.Capabilities)
	}
	tags, err := c.Tags(ctx(t))
	if err != nil || len(tags.Models) != 1 || tags.Models[0].Name != DefaultModel+":latest" {
		t.Errorf("tags %+v, %v", tags, err)
	}
	if v, err := c.Version(ctx(t)); err != nil || v == "" {
		t.Errorf("version %q, %v", v, err)
	}
}

// The OpenAI stream is what claude-code-router reads: a role chunk, one
// content chunk per token, a finish chunk with usage, and [DONE].
func TestOpenAIStream(t *testing.T) {
	srv, _ := start(t, Options{})
	resp := post(t, srv, "/v1/chat/completions", `{"model":"fake","stream":true,"max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`)
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	type chunk struct {
		Object  string `json:"object"`
		Choices []struct {
			Delta struct {
				Role    string  `json:"role"`
				Content *string `json:"content"`
			} `json:"delta"`
			FinishReason *string `json:"finish_reason"`
		} `json:"choices"`
		Usage *struct {
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	var (
		text, finish string
		contents     int
		sawDone      bool
		usage        int
	)
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("not a data line: %q", line)
		}
		if data == "[DONE]" {
			sawDone = true
			continue
		}
		var c chunk
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		if c.Object != "chat.completion.chunk" || len(c.Choices) != 1 {
			t.Fatalf("chunk %q", data)
		}
		if d := c.Choices[0].Delta.Content; d != nil && *d != "" {
			contents++
			text += *d
		}
		if f := c.Choices[0].FinishReason; f != nil {
			finish = *f
		}
		if c.Usage != nil {
			usage = c.Usage.CompletionTokens
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if contents != 5 || text != strings.Repeat(DefaultToken, 5) || finish != "length" || usage != 5 || !sawDone {
		t.Errorf("got %d content chunks %q, finish %q, usage %d, [DONE] %v", contents, text, finish, usage, sawDone)
	}
}

func TestOpenAINotStreaming(t *testing.T) {
	srv, _ := start(t, Options{Token: "ab", Tokens: 2})
	resp := post(t, srv, "/v1/chat/completions", `{"model":"fake","max_completion_tokens":3,"max_tokens":9,"messages":[]}`)
	defer resp.Body.Close()
	var out struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if len(out.Choices) != 1 || out.Choices[0].Message.Content != "ababab" || out.Choices[0].FinishReason != "length" {
		t.Errorf("got %+v; want ababab (max_completion_tokens wins), finish length", out)
	}
}

func TestBadRequests(t *testing.T) {
	srv, _ := start(t, Options{})
	for _, tc := range []struct {
		path, body string
		status     int
		want       string
	}{
		{"/api/chat", `{"model":`, 400, "invalid request body"},
		{"/api/chat", `{"messages":[]}`, 400, "model is required"},
		{"/api/show", `{}`, 400, "model is required"},
		{"/v1/chat/completions", `[]`, 400, "invalid request body"},
		{"/v1/chat/completions", `{}`, 400, "model is required"},
		{"/api/generate", `{}`, 404, "serves no POST /api/generate"},
		{"/api/chat", `{"model":"m","messages":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, 413, "larger than"},
	} {
		resp := post(t, srv, tc.path, tc.body)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.want) || !json.Valid(b) {
			t.Errorf("POST %s: %d %s; want %d with %q", tc.path, resp.StatusCode, b, tc.status, tc.want)
		}
	}
}

// A client that leaves mid-stream ends the handler instead of leaving it
// writing into a dead connection.
func TestClientLeaves(t *testing.T) {
	done := make(chan struct{})
	h := New(Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	resp := post(t, srv, "/api/chat", `{"model":"m","options":{"num_predict":100000000}}`)
	if _, err := resp.Body.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	select {
	case <-done:
	case <-time.After(hangGuard):
		t.Fatal("the handler kept streaming after the client left")
	}
}

func post(t *testing.T, srv *httptest.Server, path, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), http.MethodPost, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func ptr[T any](v T) *T { return &v }
