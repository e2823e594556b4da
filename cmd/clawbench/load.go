package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// dialect is the API a target speaks to the load generator.
type dialect int

const (
	// ollamaNative is POST /api/chat, NDJSON: the fake itself and the
	// reverse proxy in front of it.
	ollamaNative dialect = iota
	// anthropicMessages is POST /v1/messages, SSE: clawbridge, ccr and
	// Ollama's own Anthropic endpoint.
	anthropicMessages
)

// target is one way to reach a model, as the load generator sees it.
type target struct {
	name    string
	base    string
	dialect dialect
	model   string
	// prompt is the user message sent (the fake ignores it; the real
	// tiny model reads its script trigger from it).
	prompt string
	// proc is the process whose CPU time is charged to the target: the
	// relay itself, or the fake when it is hit directly. Nil for none.
	proc *proc
}

// loadClient is the load generator's HTTP client: keep-alive connections
// enough for the highest concurrency, no compression, no timeout of its
// own (requests carry a context).
func loadClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}}
}

// requestBody is the body that asks t for a reply of exactly tokens
// tokens (the fake and the real tiny model's loop script both stop only
// at the limit).
func requestBody(t target, stream bool, tokens int) []byte {
	var v any
	msgs := []map[string]string{{"role": "user", "content": t.prompt}}
	switch t.dialect {
	case ollamaNative:
		v = map[string]any{"model": t.model, "stream": stream, "messages": msgs,
			"options": map[string]any{"num_predict": tokens}}
	default:
		v = map[string]any{"model": t.model, "stream": stream, "max_tokens": tokens, "messages": msgs}
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain maps of strings and numbers
	}
	return b
}

func (t target) path() string {
	if t.dialect == ollamaNative {
		return "/api/chat"
	}
	return "/v1/messages"
}

// sample is one request as the client saw it.
type sample struct {
	ttft   time.Duration // to the first token; the whole request when not streaming
	total  time.Duration
	tokens int
	text   string // the reply, only when asked for (verification)
}

// do sends one request and reads the whole answer, counting tokens the
// cheap way: one NDJSON line, or one content_block_delta event, is one
// token. With keepText it also decodes the reply's text, for verifying
// that a target relays exactly what the upstream said.
func do(ctx context.Context, hc *http.Client, t target, body []byte, stream, keepText bool) (sample, error) {
	var s sample
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.base+t.path(), bytes.NewReader(body))
	if err != nil {
		return s, err
	}
	req.Header.Set("Content-Type", "application/json")
	if t.dialect == anthropicMessages {
		req.Header.Set("anthropic-version", "2023-06-01")
		req.Header.Set("x-api-key", "sk-bench")
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return s, fmt.Errorf("%s answered %d: %s", t.name, resp.StatusCode, bytes.TrimSpace(b))
	}
	if !stream {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return s, err
		}
		s.total = time.Since(start)
		s.ttft = s.total
		s.text, err = replyText(t.dialect, b)
		if err != nil {
			return s, fmt.Errorf("%s: %w", t.name, err)
		}
		s.tokens = -1 // counted by the caller from the text
		return s, nil
	}
	var text strings.Builder
	br := bufio.NewReaderSize(resp.Body, 32<<10)
	ended := false
	for !ended {
		line, err := br.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			if errors.Is(err, io.EOF) {
				return s, fmt.Errorf("%s: stream ended before its last event, after %d tokens", t.name, s.tokens)
			}
			return s, err
		}
		line = bytes.TrimRight(line, "\r\n")
		token := false
		switch t.dialect {
		case ollamaNative:
			if len(line) == 0 {
				continue
			}
			if bytes.Contains(line, []byte(`"done":true`)) {
				ended = true
			} else if bytes.Contains(line, []byte(`"error"`)) {
				return s, fmt.Errorf("%s: %s", t.name, line)
			} else {
				token = true
				if keepText {
					var c struct {
						Message struct{ Content string } `json:"message"`
					}
					if err := json.Unmarshal(line, &c); err != nil {
						return s, fmt.Errorf("%s: %w in %q", t.name, err, line)
					}
					text.WriteString(c.Message.Content)
				}
			}
		default:
			switch {
			case bytes.Equal(line, []byte("event: content_block_delta")):
				token = true
				if keepText {
					data, err := br.ReadSlice('\n')
					if err != nil {
						return s, err
					}
					var d struct {
						Delta struct{ Type, Text string } `json:"delta"`
					}
					if err := json.Unmarshal(bytes.TrimPrefix(bytes.TrimSpace(data), []byte("data: ")), &d); err != nil || d.Delta.Type != "text_delta" {
						return s, fmt.Errorf("%s: unexpected delta %q (%v)", t.name, data, err)
					}
					text.WriteString(d.Delta.Text)
				}
			case bytes.Equal(line, []byte("event: message_stop")):
				ended = true
			case bytes.Equal(line, []byte("event: error")):
				data, _ := br.ReadSlice('\n')
				return s, fmt.Errorf("%s: error event %s", t.name, bytes.TrimSpace(data))
			}
		}
		if token {
			if s.tokens == 0 {
				s.ttft = time.Since(start)
			}
			s.tokens++
		}
	}
	s.total = time.Since(start)
	s.text = text.String()
	// Drain what follows the last event, so the connection is reused.
	io.Copy(io.Discard, resp.Body)
	return s, nil
}

// replyText is the text of a non-streamed answer.
func replyText(d dialect, body []byte) (string, error) {
	if d == ollamaNative {
		var r struct {
			Message struct{ Content string } `json:"message"`
			Done    bool                     `json:"done"`
		}
		if err := json.Unmarshal(body, &r); err != nil || !r.Done {
			return "", fmt.Errorf("not an Ollama answer (%v): %.200s", err, body)
		}
		return r.Message.Content, nil
	}
	var m struct {
		Type    string `json:"type"`
		Content []struct {
			Type, Text string
		} `json:"content"`
	}
	if err := json.Unmarshal(body, &m); err != nil || m.Type != "message" {
		return "", fmt.Errorf("not an Anthropic message (%v): %.200s", err, body)
	}
	var sb strings.Builder
	for _, c := range m.Content {
		if c.Type == "text" {
			sb.WriteString(c.Text)
		}
	}
	return sb.String(), nil
}

// load is one measurement: requests of one kind sent to one target by
// conc workers, for a time or a number of requests.
type load struct {
	stream bool
	conc   int
	tokens int
	// token is the text of one upstream token, to count the tokens of a
	// non-streamed reply.
	token string
	// Either dur (workers stop starting requests when it has passed) or
	// requests (in total) ends the measurement.
	dur      time.Duration
	requests int
}

// cell is the outcome of one load on one target.
type cell struct {
	requests int
	errors   int
	firstErr string
	tokens   int64
	wall     time.Duration // first request sent to last answer read
	cpu      time.Duration // the target process's CPU time meanwhile
	// reads and writes are the target process's read and write system
	// calls meanwhile.
	reads, writes int64
	ttft          []time.Duration
	total         []time.Duration
}

// run sends the load to t and collects every request's timings.
func (l load) run(ctx context.Context, hc *http.Client, t target) cell {
	body := requestBody(t, l.stream, l.tokens)
	var (
		mu  sync.Mutex
		c   cell
		wg  sync.WaitGroup
		cpu time.Duration
	)
	var reads, writes int64
	if t.proc != nil {
		cpu, _ = cpuTime(t.proc.pid())
		reads, writes, _ = syscalls(t.proc.pid())
	}
	start := time.Now()
	deadline := start.Add(l.dur)
	var issued int
	next := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil {
			return false
		}
		if l.requests > 0 {
			if issued >= l.requests {
				return false
			}
		} else if !time.Now().Before(deadline) {
			return false
		}
		issued++
		return true
	}
	for range l.conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next() {
				s, err := do(ctx, hc, t, body, l.stream, false)
				if err == nil {
					if s.tokens < 0 {
						s.tokens = strings.Count(s.text, l.token)
					}
					if s.tokens != l.tokens {
						err = fmt.Errorf("%s: %d tokens, want %d", t.name, s.tokens, l.tokens)
					}
				}
				mu.Lock()
				if err != nil {
					c.errors++
					if c.firstErr == "" {
						c.firstErr = err.Error()
					}
				} else {
					c.requests++
					c.tokens += int64(s.tokens)
					c.ttft = append(c.ttft, s.ttft)
					c.total = append(c.total, s.total)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	c.wall = time.Since(start)
	if t.proc != nil {
		if after, err := cpuTime(t.proc.pid()); err == nil {
			c.cpu = after - cpu
		}
		if r, w, err := syscalls(t.proc.pid()); err == nil {
			c.reads, c.writes = r-reads, w-writes
		}
	}
	return c
}

// verify checks that t relays exactly what the upstream says, streamed
// and not: the reply's text must be the token repeated tokens times.
func verify(ctx context.Context, hc *http.Client, t target, tokens int, token string) error {
	want := strings.Repeat(token, tokens)
	for _, stream := range []bool{true, false} {
		s, err := do(ctx, hc, t, requestBody(t, stream, tokens), stream, true)
		if err != nil {
			return err
		}
		if s.text != want {
			return fmt.Errorf("%s (stream %v) relayed %q, want %d×%q", t.name, stream, abbreviate(s.text, 80), tokens, token)
		}
		if stream && s.tokens != tokens {
			return fmt.Errorf("%s relayed %d token events, want %d", t.name, s.tokens, tokens)
		}
	}
	return nil
}

func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
