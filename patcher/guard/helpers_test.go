package guard

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// runCreating starts Run on a guard over dir that creates a missing store,
// and returns the channel its events arrive on. The debounce is short and
// the rescan an hour away, so every event comes from the file watcher. Run
// stops when the test ends.
func runCreating(t *testing.T, dir string) <-chan Event {
	t.Helper()
	events := make(chan Event, 100)
	g, err := New(Options{
		Key: testKey, Dirs: []string{dir}, Create: func(string) bool { return true },
		Debounce: 10 * time.Millisecond, RetryDelay: time.Millisecond, Rescan: time.Hour,
		OnEvent: func(e Event) { events <- e }, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return events
}

// nextEvent waits for the next event and fails the test, naming the step
// in what, unless it is of kind want.
func nextEvent(t *testing.T, events <-chan Event, want Kind, what string) {
	t.Helper()
	select {
	case e := <-events:
		if e.Kind != want {
			t.Fatalf("%s: event %v %q, want %v", what, e.Kind, e.Changes, want)
		}
	case <-time.After(hangGuard):
		t.Fatalf("%s: no %v event", what, want)
	}
}

// noEvent fails the test if another event arrives within quiet.
func noEvent(t *testing.T, events <-chan Event, quiet time.Duration) {
	t.Helper()
	select {
	case e := <-events:
		t.Fatalf("another event: %v %q", e.Kind, e.Changes)
	case <-time.After(quiet):
	}
}
