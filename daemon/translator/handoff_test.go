package translator

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

func chunkItem(text string) upstreamItem {
	return upstreamItem{chunk: &ollama.ChatResponse{Message: ollama.Message{Content: text}}}
}

// TestHandoff: items come out in order, all that arrived at once; put
// waits while the queue is full until the loop takes, and gives up when
// its context ends; close is seen after the last items.
func TestHandoff(t *testing.T) {
	h := newHandoff(2)
	ctx := context.Background()
	if err := h.put(ctx, chunkItem("a")); err != nil {
		t.Fatal(err)
	}
	if err := h.put(ctx, chunkItem("b")); err != nil {
		t.Fatal(err)
	}
	third := make(chan error, 1)
	go func() { third <- h.put(ctx, chunkItem("c")) }()
	select {
	case err := <-third:
		t.Fatalf("put into a full queue returned at once (%v)", err)
	case <-time.After(50 * time.Millisecond):
	}
	<-h.ready
	batch, closed := h.take(nil)
	if len(batch) != 2 || batch[0].chunk.Message.Content != "a" || batch[1].chunk.Message.Content != "b" || closed {
		t.Fatalf("take = %d items, closed %v; want a, b and open", len(batch), closed)
	}
	if err := <-third; err != nil {
		t.Fatalf("put after the loop took: %v", err)
	}
	h.close()
	<-h.ready
	batch, closed = h.take(batch)
	if len(batch) != 1 || batch[0].chunk.Message.Content != "c" || !closed {
		t.Fatalf("take = %d items, closed %v; want c and closed", len(batch), closed)
	}

	full := newHandoff(1)
	full.put(ctx, chunkItem("x"))
	cctx, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if err := full.put(cctx, chunkItem("y")); !errors.Is(err, context.Canceled) {
		t.Fatalf("put into a full queue with its context cancelled = %v, want context.Canceled", err)
	}
}
