package translator

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/config"
)

// queueTranslator serves claude-sonnet-4-5 from fake with one slot and
// the given queue settings under clawbridge.translator.
func queueTranslator(t *testing.T, fake *holdingFake, translatorYAML string, opts Options) (*Server, string) {
	t.Helper()
	return translatorWith(t, fmt.Sprintf(`
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/qwen3:8b, api_base: %q, max_parallel_requests: 1}
clawbridge:
  translator: {%s}
`, fake.URL, translatorYAML), opts)
}

// overloaded is the status and error type of a 529 in m's API.
func overloaded(m clientMode) (int, string) {
	if m.openai {
		return http.StatusServiceUnavailable, "server_error"
	}
	return 529, "overloaded_error"
}

// TestQueueFull: beyond queue_length waiting requests, a request is
// refused at once with 529 naming the setting, in every API, and never
// reaches the backend.
func TestQueueFull(t *testing.T) {
	for _, tt := range []struct {
		yaml    string
		waiting int
	}{
		{"queue_length: 1", 1},
		{"queue_length: 0", 0}, // no queue: refused as soon as the slots are taken
	} {
		t.Run(tt.yaml, func(t *testing.T) {
			fake := newHoldingFake(t)
			tr, ts := queueTranslator(t, fake, tt.yaml, Options{})
			holdStream(t, ts, "claude-sonnet-4-5")
			for range tt.waiting {
				go func() { ask(t, ts, clientModes[0], "claude-sonnet-4-5") }()
			}
			waitQueued(t, tr, "claude-sonnet-4-5", tt.waiting)
			for _, m := range clientModes {
				o := ask(t, ts, m, "claude-sonnet-4-5")
				status, typ := overloaded(m)
				if o.status != status || o.errType != typ || o.streamed ||
					!strings.Contains(o.message, "queue is full") || !strings.Contains(o.message, "clawbridge.translator.queue_length") {
					t.Errorf("%s: got %v, want %d %s saying the queue is full and naming queue_length", m.name, o, status, typ)
				}
			}
			if n := fake.started.Load(); n != 1 {
				t.Errorf("the backend started %d answers, want 1", n)
			}
			close(fake.release)
			waitIdle(t, tr, fake.open)
		})
	}
}

// TestQueueTimeout: a request that waits longer than queue_timeout gets
// 529 naming the setting; a streaming client has had pings meanwhile and
// gets the error as an event.
func TestQueueTimeout(t *testing.T) {
	fake := newHoldingFake(t)
	tr, ts := queueTranslator(t, fake, "queue_timeout: 0.3", Options{HeaderGrace: 20 * time.Millisecond, PingInterval: 50 * time.Millisecond})
	holdStream(t, ts, "claude-sonnet-4-5")
	for _, m := range clientModes {
		t.Run(m.name, func(t *testing.T) {
			start := time.Now()
			o := ask(t, ts, m, "claude-sonnet-4-5")
			if waited := time.Since(start); waited < 300*time.Millisecond {
				t.Errorf("refused after %v, before queue_timeout", waited)
			}
			status, typ := overloaded(m)
			if m.stream {
				status = 200
			}
			if o.status != status || o.errType != typ || o.streamed != m.stream ||
				!strings.Contains(o.message, "queue timed out") || !strings.Contains(o.message, "clawbridge.translator.queue_timeout") {
				t.Errorf("got %v, want %s naming queue_timeout", o, typ)
			}
			if m.stream {
				ping := "event: ping"
				if m.openai {
					ping = ": ping"
				}
				if !bytes.Contains(o.raw, []byte(ping)) {
					t.Errorf("no pings while waiting: %q", truncate(o.raw))
				}
			}
		})
	}
	if n := fake.started.Load(); n != 1 {
		t.Errorf("the backend started %d answers, want 1", n)
	}
	if n := tr.be.pool.queuedFor("claude-sonnet-4-5"); n != 0 {
		t.Errorf("%d requests still queued", n)
	}
}

// TestQueueOrder: waiting requests get the freed slots first come, first
// served.
func TestQueueOrder(t *testing.T) {
	fake := newHoldingFake(t)
	tr, ts := queueTranslator(t, fake, "", Options{})
	holdStream(t, ts, "claude-sonnet-4-5")
	done := make(chan int, 3)
	for i := range 3 {
		go func() {
			if o := ask(t, ts, clientModes[i%len(clientModes)], "claude-sonnet-4-5"); o.status != 200 {
				t.Errorf("request %d: %v", i, o)
			}
			done <- i
		}()
		waitQueued(t, tr, "claude-sonnet-4-5", i+1)
	}
	fake.release <- struct{}{} // the held stream ends
	for want := range 3 {
		fake.release <- struct{}{} // the one answer in flight ends
		if got := <-done; got != want {
			t.Fatalf("request %d was answered before request %d", got, want)
		}
	}
}

// TestQueueClientGone: a client that goes away while waiting leaves the
// queue, and the slot it never took is not lost.
func TestQueueClientGone(t *testing.T) {
	fake := newHoldingFake(t)
	tr, ts := queueTranslator(t, fake, "", Options{HeaderGrace: 10 * time.Millisecond, PingInterval: 20 * time.Millisecond})
	holdStream(t, ts, "claude-sonnet-4-5")
	for _, m := range clientModes {
		ctx, cancel := context.WithCancel(t.Context())
		path := "/v1/messages"
		if m.openai {
			path = "/v1/chat/completions"
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts+path, strings.NewReader(faultRequest(m, "claude-sonnet-4-5")))
		go func() {
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
		waitQueued(t, tr, "claude-sonnet-4-5", 1)
		cancel()
		waitQueued(t, tr, "claude-sonnet-4-5", 0)
	}
	close(fake.release)
	waitIdle(t, tr, fake.open)
	if o := ask(t, ts, clientModes[0], "claude-sonnet-4-5"); o.status != 200 {
		t.Errorf("after the waiting clients left: %v", o)
	}
	if n := fake.started.Load(); n != 2 {
		t.Errorf("the backend started %d answers, want 2: a request that left the queue reached it", n)
	}
}

// TestPoolWaitRace: slots given, waited for, timed out and abandoned all
// at once end with nothing in flight and nobody queued.
func TestPoolWaitRace(t *testing.T) {
	p := newPool(nil)
	k := serverKey{"ollama", "http://x"}
	s := []slot{{key: k, model: p.model(modelKey{k, "m"}), limit: 3}}
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%7)*time.Millisecond)
			defer cancel()
			_, release, err := p.wait(ctx, "a", s, 1000, time.Duration(i%5)*time.Millisecond)
			if err == nil {
				time.Sleep(time.Duration(i%3) * time.Millisecond)
				release()
				release() // a second call does nothing
			}
		})
	}
	wg.Wait()
	if m := s[0].model; m.inFlight != 0 || p.server(k).inFlight != 0 || len(p.waiters) != 0 || len(p.queued) != 0 {
		t.Errorf("in flight %d (server %d), %d waiting, queued %v", m.inFlight, p.server(k).inFlight, len(p.waiters), p.queued)
	}
}

// translatorWith is a translator for a config, with failures before the
// first chunk kept as plain HTTP errors unless opts says otherwise.
func translatorWith(t *testing.T, yaml string, opts Options) (*Server, string) {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), "queue.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if opts.Logger == nil {
		opts.Logger = discardLogger()
	}
	if opts.HeaderGrace == 0 {
		opts.HeaderGrace = hangGuard
	}
	tr := New(func() *config.Config { return cfg }, opts)
	return tr, newLocalServer(t, tr)
}
