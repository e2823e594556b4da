package ollamatest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// TestLeavingStreamsEarlyKeepsOllamaUsable leaves many streams before
// their end, the two ways the translator does (a stop sequence seen, so
// the callback returns an error; the caller's context ended mid-answer),
// and then asks again. Closing a connection while Ollama hands a chunk
// over wedges the model's runner (ollama/ollama#17131), and the tiny
// model's chunks come in bursts, so cutting the connection at once made
// this fail within a few dozen streams; the client closes gently.
func TestLeavingStreamsEarlyKeepsOllamaUsable(t *testing.T) {
	s := ollamatest.Start(t)
	c := client(t, s)
	errEnough := errors.New("enough")

	for i := range 150 {
		req := ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user(ollamatest.TriggerStop), Stream: true}
		err := c.Chat(hangGuard(t), &req, func(res *ollama.ChatResponse) error {
			if strings.Contains(res.Message.Content, "gamma") {
				return errEnough
			}
			return nil
		})
		if !errors.Is(err, errEnough) {
			t.Fatalf("stream %d: %v, want the callback's error", i, err)
		}
	}
	answers(t, c, "after leaving streams at a stop sequence")

	for i := range 50 {
		ctx, cancel := context.WithCancel(hangGuard(t))
		req := ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user(ollamatest.TriggerLoop), Stream: true,
			Options: &ollama.Options{NumPredict: intp(100)}}
		err := c.Chat(ctx, &req, func(*ollama.ChatResponse) error {
			cancel()
			return nil
		})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("stream %d: %v, want context.Canceled", i, err)
		}
	}
	answers(t, c, "after cancelling streams mid-answer")
}

// answers checks that the server still answers a short chat. A wedged
// runner never answers, so the wait is bounded.
func answers(t *testing.T, c *ollama.Client, when string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req := ollama.ChatRequest{Model: ollamatest.ModelTiny, Messages: user("hi"), Stream: true}
	var got string
	err := c.Chat(ctx, &req, func(res *ollama.ChatResponse) error {
		got += res.Message.Content
		return nil
	})
	if err != nil || got != ollamatest.ReplyDefault {
		t.Fatalf("%s: Ollama answered %q, %v: its runner is wedged", when, got, err)
	}
}
