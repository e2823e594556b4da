package translator

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// Faults from the client's side (slow headers, a stalled body, a
// client that goes away or stops reading) and a backend that restarts.

// serveLocal runs h behind NewHTTPServer, the server `clawbridge serve`
// and the daemon use, on a loopback port; the server is returned so a
// test can shorten its timeouts before the first request.
func serveLocal(t *testing.T, h http.Handler, adjust func(*http.Server)) string {
	t.Helper()
	srv := NewHTTPServer(h, discardLogger())
	if adjust != nil {
		adjust(srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// TestSlowHeaders: a client that never finishes its headers is cut off
// by ReadHeaderTimeout, which the shared server sets.
func TestSlowHeaders(t *testing.T) {
	fake, open := faultFake(t, func(w http.ResponseWriter, r *http.Request) { writeChunks(w, textChunks("hi")...) })
	tr, _ := faultTranslator(t, fake.URL, "", Options{})
	addr := serveLocal(t, tr, func(srv *http.Server) {
		if srv.ReadHeaderTimeout != ReadHeaderTimeout || ReadHeaderTimeout <= 0 {
			t.Errorf("ReadHeaderTimeout %v, want %v", srv.ReadHeaderTimeout, ReadHeaderTimeout)
		}
		srv.ReadHeaderTimeout = 100 * time.Millisecond
	})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl")
	conn.SetReadDeadline(time.Now().Add(hangGuard))
	got, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("the server did not close the connection: %v (read %q)", err, got)
	}
	if open.Load() != 0 || len(fake.requests) != 0 {
		t.Errorf("a request without its headers reached the backend")
	}
}

// TestStalledBody: a body that stops arriving gets 408 once nothing has
// come for BodyIdleTimeout, and never reaches a backend.
func TestStalledBody(t *testing.T) {
	fake, _ := faultFake(t, func(w http.ResponseWriter, r *http.Request) { writeChunks(w, textChunks("hi")...) })
	tr, _ := faultTranslator(t, fake.URL, "", Options{BodyIdleTimeout: 100 * time.Millisecond})
	addr := serveLocal(t, tr, nil)
	for _, tt := range []struct{ name, path, framing, shape string }{
		{"messages, Content-Length", "/v1/messages", "Content-Length: 1000\r\n", `"type":"error","error":{"type":"invalid_request_error"`},
		{"messages, chunked", "/v1/messages", "Transfer-Encoding: chunked\r\n", `"type":"error","error":{"type":"invalid_request_error"`},
		{"chat, Content-Length", "/v1/chat/completions", "Content-Length: 1000\r\n", `{"error":{"message":`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			body := `{"model":"claude-sonnet-4-5","max_tokens":5,`
			if strings.Contains(tt.framing, "chunked") {
				body = fmt.Sprintf("%x\r\n%s\r\n", len(body), body)
			}
			io.WriteString(conn, "POST "+tt.path+" HTTP/1.1\r\nHost: 127.0.0.1:4000\r\nContent-Type: application/json\r\n"+tt.framing+"\r\n"+body)
			conn.SetReadDeadline(time.Now().Add(hangGuard))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no answer to a stalled body: %v", err)
			}
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(raw), tt.shape) ||
				!strings.Contains(string(raw), "the request body stopped arriving") {
				t.Errorf("got %d %s", resp.StatusCode, raw)
			}
		})
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.requests) != 0 || fake.shows != 0 {
		t.Errorf("a stalled body reached the backend: %d chats, %d shows", len(fake.requests), fake.shows)
	}
}

// TestClientDisconnectAtEveryStage: the client goes away at each point of
// an answer; each time the backend's request is cancelled and nothing
// stays in flight.
func TestClientDisconnectAtEveryStage(t *testing.T) {
	toolCall := ollama.ChatResponse{Model: "qwen3:8b", Message: ollama.Message{Role: "assistant", ToolCalls: []ollama.ToolCall{
		{Function: ollama.ToolCallFunction{Name: "get_weather", Arguments: json.RawMessage(`{"city":"Paris"}`)}}}}}
	stages := []struct {
		name string
		// sent is what the backend sends before it waits to be cancelled.
		sent  []ollama.ChatResponse
		grace time.Duration // HeaderGrace
		// until is what the client reads before it goes away: a string
		// in the answer, or "" to give up before any answer.
		anthropic, openai string
	}{
		{name: "before the headers", grace: hangGuard},
		{name: "after the stream started", grace: time.Millisecond, anthropic: "event: message_start", openai: `"role":"assistant"`},
		{name: "mid content", sent: textChunks("partial")[:1], grace: hangGuard, anthropic: `"text":"partial"`, openai: `"content":"partial"`},
		{name: "mid tool_use", sent: []ollama.ChatResponse{toolCall}, grace: hangGuard, anthropic: `"type":"tool_use"`, openai: `"tool_calls"`},
	}
	for _, st := range stages {
		for _, m := range clientModes {
			if !m.stream && st.anthropic != "" {
				continue // a whole answer has no stages but the wait
			}
			t.Run(st.name+"/"+m.name, func(t *testing.T) {
				arrived := make(chan struct{})
				cancelled := make(chan struct{})
				fake, open := faultFake(t, func(w http.ResponseWriter, r *http.Request) {
					writeChunks(w, st.sent...)
					close(arrived)
					select {
					case <-r.Context().Done():
						close(cancelled)
					case <-time.After(hangGuard):
					}
				})
				tr, ts := faultTranslator(t, fake.URL, "", Options{HeaderGrace: st.grace, PingInterval: time.Hour})
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				path := "/v1/messages"
				if m.openai {
					path = "/v1/chat/completions"
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts+path, strings.NewReader(faultRequest(m, "claude-sonnet-4-5")))
				until := st.anthropic
				if m.openai {
					until = st.openai
				}
				if until == "" {
					go func() {
						<-arrived
						cancel()
					}()
				}
				resp, err := http.DefaultClient.Do(req)
				if until == "" {
					if err == nil {
						resp.Body.Close()
						t.Fatalf("the request got %d although the client gave up", resp.StatusCode)
					}
				} else {
					if err != nil {
						t.Fatal(err)
					}
					readUntil(t, resp.Body, until)
					// With a short header grace the answer can start before
					// the backend has the request; the case is about
					// cancelling it, so let it arrive first.
					select {
					case <-arrived:
					case <-time.After(hangGuard):
						t.Fatal("the backend never got the request")
					}
					resp.Body.Close() // the client goes away
				}
				select {
				case <-cancelled:
				case <-time.After(hangGuard):
					t.Fatal("the backend's request was not cancelled")
				}
				waitIdle(t, tr, open)
			})
		}
	}
}

// readUntil reads r until want has been seen.
func readUntil(t *testing.T, r io.Reader, want string) {
	t.Helper()
	var seen []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(seen, []byte(want)) {
		n, err := r.Read(buf)
		seen = append(seen, buf[:n]...)
		if err != nil {
			t.Fatalf("the answer ended before %q: %v: %q", want, err, seen)
		}
	}
}

// TestStallAfterPings: a backend that never sends its first chunk, while
// the stream is already open and kept alive with pings, ends with a
// timeout error event once stream_idle_timeout has passed, in both APIs.
func TestStallAfterPings(t *testing.T) {
	for _, m := range []clientMode{clientModes[1], clientModes[3]} {
		t.Run(m.name, func(t *testing.T) {
			fake, open := faultFake(t, func(w http.ResponseWriter, r *http.Request) { stall(r) })
			tr, ts := faultTranslator(t, fake.URL, "stream_idle_timeout: 1", Options{HeaderGrace: time.Millisecond, PingInterval: 50 * time.Millisecond})
			o := ask(t, ts, m, "claude-sonnet-4-5")
			want := "timeout_error"
			if m.openai {
				want = "server_error"
			}
			if o.status != 200 || !o.streamed || o.errType != want || !strings.Contains(o.message, "sent nothing for 1s") {
				t.Errorf("got %v, want a stream ending in a %s event", o, want)
			}
			ping := "event: ping"
			if m.openai {
				ping = ": ping"
			}
			if !bytes.Contains(o.raw, []byte(ping)) {
				t.Errorf("no pings while waiting: %q", truncate(o.raw))
			}
			waitIdle(t, tr, open)
		})
	}
}

// TestClientStopsReading: a client that keeps its connection but reads
// nothing more cannot hold the backend: once a write has waited for
// stream_idle_timeout the answer is abandoned and the backend's request
// cancelled.
func TestClientStopsReading(t *testing.T) {
	cancelled := make(chan struct{})
	fake, open := faultFake(t, func(w http.ResponseWriter, r *http.Request) {
		line := chunkLine(strings.Repeat("a", 1<<20))
		for {
			if _, err := io.WriteString(w, line); err != nil {
				break
			}
			w.(http.Flusher).Flush()
			if r.Context().Err() != nil {
				break
			}
		}
		<-r.Context().Done()
		close(cancelled)
	})
	tr, _ := faultTranslator(t, fake.URL, "stream_idle_timeout: 1", Options{})
	addr := serveLocal(t, tr, nil)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := faultRequest(clientModes[1], "claude-sonnet-4-5")
	fmt.Fprintf(conn, "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	select { // and never read
	case <-cancelled:
	case <-time.After(hangGuard):
		t.Fatal("the backend's request was not cancelled")
	}
	waitIdle(t, tr, open)
}

// abortedStreams is how many streams TestAbortedStreams abandons.
const abortedStreams = 10000

// TestAbortedStreams starts abortedStreams streams in a row against the
// fake, each abandoned by the client after its first words, half of
// them on each API: afterwards the goroutines and open files are back to
// what they were, and nothing is in flight.
func TestAbortedStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 streams; run without -short")
	}
	n := abortedStreams
	// The backend sends a few words and then waits to be cancelled, as a
	// model does that is slower than the client's patience.
	fake, open := faultFake(t, func(w http.ResponseWriter, r *http.Request) {
		for range 3 {
			rawLine(w, chunkLine(" word"))
		}
		stall(r)
	})
	tr, ts := faultTranslator(t, fake.URL, "", Options{HeaderGrace: time.Millisecond})
	client := &http.Client{Transport: &http.Transport{}}
	// Warm up, so that what stays for the whole run (the servers' and
	// the transports' own goroutines, the capability cache) is in the
	// baseline.
	abortOne(t, client, ts, clientModes[1])
	abortOne(t, client, ts, clientModes[3])
	client.CloseIdleConnections()
	waitIdle(t, tr, open)
	baseG, baseFD := runtime.NumGoroutine(), openFiles(t)

	for i := range n {
		abortOne(t, client, ts, clientModes[1+2*(i%2)])
	}

	waitIdle(t, tr, open)
	client.CloseIdleConnections()
	waitGoroutines(t, baseG)
	deadline := time.Now().Add(hangGuard)
	for fds := openFiles(t); fds > baseFD+10; fds = openFiles(t) {
		if time.Now().After(deadline) {
			t.Fatalf("%d open files after %d aborted streams, %d before", fds, n, baseFD)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("%d streams aborted; goroutines %d -> %d, open files %d -> %d", n, baseG, runtime.NumGoroutine(), baseFD, openFiles(t))
}

// abortOne starts a long stream and goes away after its first words.
func abortOne(t *testing.T, client *http.Client, base string, m clientMode) {
	path, body := "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":100000,"stream":true,"messages":[{"role":"user","content":"hi"}]}`
	if m.openai {
		path = "/v1/chat/completions"
	}
	ctx, cancel := context.WithTimeout(t.Context(), hangGuard)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(body))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, raw)
	}
	readUntil(t, resp.Body, " word")
}

// openFiles counts this process's open file descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		entries, err = os.ReadDir("/dev/fd")
	}
	if err != nil {
		t.Fatalf("cannot count open files: %v", err)
	}
	return len(entries)
}

// TestRealBackendRestart: the only backend, a real Ollama, goes away (a
// crash, a laptop asleep) and comes back: while it is away every API
// says so with a retryable error, and once it is back the next request
// is answered, without restarting the translator.
func TestRealBackendRestart(t *testing.T) {
	ol := ollamatest.Start(t)
	tr, ts := translatorFor(t, ol.URL, ollamatest.ModelTiny, "", Options{})
	model := "claude-sonnet-4-5"
	answered := func(when string) {
		t.Helper()
		for _, m := range clientModes {
			if o := ask(t, ts, m, model); o.status != 200 || o.errType != "" || o.text != ollamatest.ReplyDefault {
				t.Fatalf("%s, %s: %v, want %q", when, m.name, o, ollamatest.ReplyDefault)
			}
		}
	}
	answered("before the restart")
	if err := ol.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, m := range clientModes {
		o := ask(t, ts, m, model)
		status := 529
		if m.openai {
			status = http.StatusServiceUnavailable
		}
		if o.status != status || !strings.Contains(o.message, strings.TrimPrefix(ol.URL, "http://")) {
			t.Errorf("backend stopped, %s: %v, want %d naming %s", m.name, o, status, ol.URL)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := ol.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	answered("after the restart")
	if st := tr.Stats(); !st.Backends[0].Healthy {
		t.Errorf("the backend is answering but still marked down: %+v", st.Backends[0])
	}
}
