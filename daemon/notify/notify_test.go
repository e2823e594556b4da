package notify

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNotifyDedupeAndBurst(t *testing.T) {
	now := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	n := New(Options{Send: func(string, string) error { return nil }, Burst: 3, Dedupe: time.Minute,
		Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	steps := []struct {
		advance time.Duration
		key     string
		want    bool
	}{
		{0, "a", true},
		{time.Second, "a", false}, // same key within Dedupe
		{time.Second, "b", true},  // another key
		{time.Second, "", true},   // no key: never de-duplicated
		{time.Second, "c", false}, // fourth within a minute: Burst is 3
		{time.Minute, "a", true},  // a minute on: both limits have passed
		{0, "d", true},
		{0, "", true},
		{0, "e", false},              // burst again
		{2 * time.Minute, "e", true}, // dropped keys are not remembered as sent
		{0, "e", false},
		{0, "f", true},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		if got := n.Notify(Message{Key: s.key, Title: "t"}); got != s.want {
			t.Errorf("step %d (key %q): Notify = %v, want %v", i, s.key, got, s.want)
		}
	}
	n.SetEnabled(false)
	if n.Notify(Message{Key: "z", Title: "t"}) {
		t.Error("Notify while disabled queued a message")
	}
	if !n.Notify(Message{Key: "a", Title: "doctor", Requested: true}) {
		t.Error("a requested message was dropped while notifications are off")
	}
}

func TestSendFailureLoggedOnce(t *testing.T) {
	var log strings.Builder
	var mu sync.Mutex
	sent := 0
	n := New(Options{
		Send: func(string, string) error {
			mu.Lock()
			defer mu.Unlock()
			sent++
			return errors.New("no notification service")
		},
		Burst:  10,
		Logger: slog.New(slog.NewTextHandler(&syncWriter{w: &log, mu: &mu}, nil)),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	for _, k := range []string{"a", "b", "c"} {
		n.Notify(Message{Key: k, Title: k})
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		s := sent
		mu.Unlock()
		if s == 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if sent != 3 {
		t.Fatalf("sent %d, want 3", sent)
	}
	if c := strings.Count(log.String(), "desktop notifications are not working"); c != 1 {
		t.Errorf("failure logged %d times, want once:\n%s", c, log.String())
	}
}

type syncWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
