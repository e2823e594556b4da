package daemon

import (
	"context"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// TestBackendGoneAndBack is a laptop going to sleep and waking up, as the
// daemon sees it: Ollama disappears (its process ends, every pooled
// connection to it dies) and comes back on the same port. While it is
// gone a request gets a clear 529 that says so; the moment it is back the
// next request is answered, without restarting the daemon, and the state
// shows it reachable again.
func TestBackendGoneAndBack(t *testing.T) {
	ol := ollamatest.Start(t)
	w := newWorld(t, ol.URL, "")
	d := startDaemon(t, w, Options{})
	addr := d.State().Translator.Addr
	if code, body := ask(t, addr, "claude-sonnet-4-5", "Hi there"); code != 200 || !strings.Contains(body, ollamatest.ReplyDefault) {
		t.Fatalf("before sleep: %d %s", code, body)
	}
	waitFor(t, "the backend to be seen", func() bool {
		st := d.State()
		return len(st.Backends) == 1 && st.Backends[0].Reachable
	})

	for round := 1; round <= 3; round++ {
		if err := ol.Stop(); err != nil {
			t.Fatal(err)
		}
		code, body := ask(t, addr, "claude-sonnet-4-5", "Hi there")
		if code != 529 || !strings.Contains(body, "overloaded_error") || !strings.Contains(body, "unreachable") {
			t.Fatalf("round %d, backend gone: %d %s; want 529 overloaded_error saying it is unreachable", round, code, body)
		}
		waitFor(t, "the backend to show as down", func() bool {
			st := d.State()
			return len(st.Backends) == 1 && !st.Backends[0].Reachable
		})

		if err := ol.Restart(context.Background()); err != nil {
			t.Fatal(err)
		}
		if code, body := ask(t, addr, "claude-sonnet-4-5", "Hi there"); code != 200 || !strings.Contains(body, ollamatest.ReplyDefault) {
			t.Fatalf("round %d, first request after the backend came back: %d %s", round, code, body)
		}
		waitFor(t, "the backend to show as back", func() bool {
			st := d.State()
			return len(st.Backends) == 1 && st.Backends[0].Reachable
		})
	}
}
