//go:build unix

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
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"
)

// cmpCall is what the comparison's proxy saw of one /api/chat request
// and the last line of its answer.
type cmpCall struct {
	Server          string // "main" or "backup"
	Model           string
	NumCtx          int  // options.num_ctx; 0 when the request left it to Ollama
	NumCtxSet       bool // the request named num_ctx
	Think           string
	Status          int
	PromptEvalCount int
	PromptEvalDur   time.Duration
	EvalCount       int
	Error           string
}

// cmpProxy stands in front of one real Ollama for one path of the
// comparison: it records every /api/chat request and the counts Ollama
// answered with, can hold an answer back before Ollama sees the request
// (the silence of a slow model load: Ollama itself sends no byte, not
// even headers, until the model is loaded and the prompt read), and can
// go down (its listener and connections closed, so clients get
// "connection refused") and come back on the same port.
type cmpProxy struct {
	name     string
	upstream *url.URL
	addr     string
	rp       *httputil.ReverseProxy

	mu    sync.Mutex
	srv   *http.Server
	calls []cmpCall
	delay time.Duration
}

// startCmpProxy starts a proxy for the Ollama at upstream on a free port.
func startCmpProxy(t *testing.T, name, upstream string) *cmpProxy {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	p := &cmpProxy{name: name, upstream: u, addr: fmt.Sprintf("127.0.0.1:%d", e2eFreePort(t))}
	p.rp = httputil.NewSingleHostReverseProxy(u)
	p.rp.FlushInterval = -1
	if err := p.up(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.down() })
	return p
}

// URL is the proxy's base URL, what the path is configured with.
func (p *cmpProxy) URL() string { return "http://" + p.addr }

// up starts serving on the proxy's address.
func (p *cmpProxy) up() error {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return fmt.Errorf("proxy listen %s: %w", p.addr, err)
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	p.mu.Lock()
	p.srv = srv
	p.mu.Unlock()
	go srv.Serve(ln)
	return nil
}

// down closes the listener and every open connection.
func (p *cmpProxy) down() {
	p.mu.Lock()
	srv := p.srv
	p.srv = nil
	p.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// setDelay makes the proxy wait d before passing each /api/chat on.
func (p *cmpProxy) setDelay(d time.Duration) {
	p.mu.Lock()
	p.delay = d
	p.mu.Unlock()
}

// mark returns the number of calls so far, for since.
func (p *cmpProxy) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.calls)
}

// since returns the calls after mark m.
func (p *cmpProxy) since(m int) []cmpCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]cmpCall(nil), p.calls[m:]...)
}

func (p *cmpProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/chat" {
		p.rp.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	call := cmpDecodeChat(body)
	p.mu.Lock()
	delay := p.delay
	p.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			call.Error = "the client gave up during the silence: " + context.Cause(r.Context()).Error()
			p.record(call)
			return
		}
	}
	p.forward(w, r, body, &call)
	p.record(call)
}

func (p *cmpProxy) record(c cmpCall) {
	c.Server = p.name
	p.mu.Lock()
	p.calls = append(p.calls, c)
	p.mu.Unlock()
}

// forward sends the chat request to Ollama and relays the answer line by
// line, reading the counts from the done line.
func (p *cmpProxy) forward(w http.ResponseWriter, r *http.Request, body []byte, call *cmpCall) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, p.upstream.String()+"/api/chat", bytes.NewReader(body))
	if err != nil {
		call.Error = err.Error()
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		call.Error = err.Error()
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	call.Status = resp.StatusCode
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	flusher, _ := w.(http.Flusher)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		cmpReadDone(line, call)
		w.Write(line)
		w.Write([]byte("\n"))
		if flusher != nil {
			flusher.Flush()
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, context.Canceled) {
		call.Error = err.Error()
	}
}

// cmpDecodeChat reads the fields the comparison reports from a request.
func cmpDecodeChat(body []byte) cmpCall {
	var req struct {
		Model   string          `json:"model"`
		Think   json.RawMessage `json:"think"`
		Options map[string]any  `json:"options"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return cmpCall{Error: "unreadable request: " + err.Error()}
	}
	c := cmpCall{Model: req.Model, Think: string(req.Think)}
	if c.Think == "" {
		c.Think = "unset"
	}
	if v, ok := req.Options["num_ctx"].(float64); ok {
		c.NumCtx, c.NumCtxSet = int(v), true
	}
	return c
}

// cmpReadDone takes the counts from Ollama's done line (or its error).
func cmpReadDone(line []byte, call *cmpCall) {
	var l struct {
		Done            bool   `json:"done"`
		Error           string `json:"error"`
		PromptEvalCount int    `json:"prompt_eval_count"`
		PromptEvalDur   int64  `json:"prompt_eval_duration"`
		EvalCount       int    `json:"eval_count"`
	}
	if json.Unmarshal(line, &l) != nil {
		return
	}
	if l.Error != "" {
		call.Error = l.Error
	}
	if l.Done {
		call.PromptEvalCount, call.PromptEvalDur, call.EvalCount = l.PromptEvalCount, time.Duration(l.PromptEvalDur), l.EvalCount
	}
}
