package openaicompat

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/upstream"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// TestAgainstOllama talks to the OpenAI-compatible API of a real Ollama
// (its /v1), a server nobody here wrote.
func TestAgainstOllama(t *testing.T) {
	ol := ollamatest.Start(t)
	c, err := New(ol.URL+"/v1/", "sk-ignored-by-ollama", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // hang guard
	defer cancel()

	collect := func(t *testing.T, req *ChatRequest) (text string, calls []ToolCall, finish string, usage *Usage) {
		t.Helper()
		err := c.ChatStream(ctx, req, func(ch *ChatCompletionChunk) error {
			if ch.Usage != nil {
				usage = ch.Usage
			}
			for _, choice := range ch.Choices {
				if choice.Delta.Content != nil {
					text += *choice.Delta.Content
				}
				calls = append(calls, choice.Delta.ToolCalls...)
				if choice.FinishReason != nil {
					finish = *choice.FinishReason
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return text, calls, finish, usage
	}
	user := func(s string) []Message {
		return []Message{{Role: "user", Content: json.RawMessage(quote(s))}}
	}

	t.Run("text", func(t *testing.T) {
		text, _, finish, usage := collect(t, &ChatRequest{Model: ollamatest.ModelTiny, Messages: user("Hi")})
		if text != ollamatest.ReplyDefault || finish != "stop" {
			t.Errorf("text %q finish %q", text, finish)
		}
		if usage == nil || usage.PromptTokens == 0 || usage.CompletionTokens == 0 {
			t.Errorf("usage %+v: want counted tokens (include_usage is always asked for)", usage)
		}
	})
	t.Run("tool call", func(t *testing.T) {
		tools := []Tool{{Type: "function", Function: Function{Name: ollamatest.ToolWeather, Parameters: json.RawMessage(ollamatest.WeatherParameters)}}}
		_, calls, finish, _ := collect(t, &ChatRequest{Model: ollamatest.ModelTiny, Messages: user("What's the weather?"), Tools: tools})
		if len(calls) != 1 || calls[0].Function.Name != ollamatest.ToolWeather || calls[0].ID == "" || finish != "tool_calls" {
			t.Fatalf("calls %+v finish %q", calls, finish)
		}
		var args map[string]any
		if err := json.Unmarshal([]byte(calls[0].Function.Arguments), &args); err != nil || args["city"] != "Paris" {
			t.Errorf("arguments %q", calls[0].Function.Arguments)
		}
	})
	t.Run("max tokens", func(t *testing.T) {
		n := 5
		_, _, finish, usage := collect(t, &ChatRequest{Model: ollamatest.ModelTiny, Messages: user("loop"), MaxTokens: &n})
		if finish != "length" || usage == nil || usage.CompletionTokens != n {
			t.Errorf("finish %q usage %+v", finish, usage)
		}
	})
	t.Run("unknown model", func(t *testing.T) {
		err := c.ChatStream(ctx, &ChatRequest{Model: "not-pulled", Messages: user("Hi")}, func(*ChatCompletionChunk) error { return nil })
		var se *upstream.StatusError
		if !errors.As(err, &se) || se.StatusCode != 404 || !strings.Contains(se.Message, "not-pulled") {
			t.Errorf("got %v, want a 404 naming the model", err)
		}
	})
	t.Run("models", func(t *testing.T) {
		list, err := c.Models(ctx)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, m := range list.Data {
			found = found || strings.HasPrefix(m.ID, ollamatest.ModelTiny+":")
		}
		if !found {
			t.Errorf("models %+v lack %s", list.Data, ollamatest.ModelTiny)
		}
	})
	t.Run("down", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		down, _ := New("http://"+addr+"/v1", "", nil)
		var ue *upstream.UnreachableError
		if _, err := down.Models(ctx); !errors.As(err, &ue) || ue.Addr != addr {
			t.Errorf("got %v, want an upstream.UnreachableError for %s", err, addr)
		}
	})
}

// TestReadEvents covers the ways a stream can end.
func TestReadEvents(t *testing.T) {
	chunk := `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}`
	last := `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`
	tests := []struct {
		name   string
		stream string
		chunks int
		err    string
	}{
		{"done", chunk + "\n\n" + last + "\n\ndata: [DONE]\n\n", 2, ""},
		{"comments and event lines", ": keep-alive\n\nevent: message\n" + chunk + "\n\n" + last + "\n\ndata:[DONE]\n", 2, ""},
		{"finished without DONE", chunk + "\n\n" + last + "\n\n", 2, ""},
		{"cut off", chunk + "\n\n", 1, upstream.ErrIncomplete.Error()},
		{"error event", chunk + "\n\ndata: {\"error\":{\"message\":\"out of memory\",\"type\":\"server_error\"}}\n\n", 1, "stream error: out of memory"},
		{"bad JSON", "data: {nope\n\n", 0, "decode stream event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			err := readEvents(strings.NewReader(tt.stream), func(*ChatCompletionChunk) error { n++; return nil })
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("err %v, want %q", err, tt.err)
			}
			if n != tt.chunks {
				t.Errorf("%d chunks, want %d", n, tt.chunks)
			}
		})
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
