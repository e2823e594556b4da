// Package upstream holds what the backend clients below it share: the
// errors a model server's answer can end in, which ollama/ and
// openaicompat/ both return so that the translator maps them onto its
// answers whatever the kind of server, and Endpoint, the HTTP side of a
// client for one server (base URL, pooled connections, bearer key, error
// bodies).
package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind describes a kind of model server to NewEndpoint.
type Kind struct {
	// Name names the kind in errors about a base URL: "ollama",
	// "OpenAI-compatible".
	Name string
	// Form is the form a base URL must take, for those errors:
	// "http(s)://host:port".
	Form string
	// Server names the server in the errors of its answers (see
	// StatusError); empty for none.
	Server string
	// Accept is the Accept header of every request.
	Accept string
}

// Endpoint is one model server as a client reaches it: its base URL and
// the http.Client whose transport pools the connections.
type Endpoint struct {
	kind  Kind
	base  *url.URL
	http  *http.Client
	drain Drain
}

// NewEndpoint returns the endpoint at baseURL. A nil hc means
// http.DefaultClient. No overall timeout is set, since answers stream for
// minutes: callers bound requests with their context.
func NewEndpoint(k Kind, baseURL string, hc *http.Client) (*Endpoint, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("%s base URL %q: %w", k.Name, baseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%s base URL %q: want %s", k.Name, baseURL, k.Form)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Endpoint{kind: k, base: u, http: hc, drain: DefaultDrain}, nil
}

// New makes a client of kind k for the server at baseURL, wrapping its
// endpoint: the New of every backend client.
func New[C any](k Kind, baseURL string, hc *http.Client, wrap func(*Endpoint) *C) (*C, error) {
	ep, err := NewEndpoint(k, baseURL, hc)
	if err != nil {
		return nil, err
	}
	return wrap(ep), nil
}

// BaseURL returns the server address the endpoint was made for.
func (e *Endpoint) BaseURL() string { return e.base.String() }

// Do sends one request to path under the base URL and turns transport
// failures and non-2xx answers into *UnreachableError and *StatusError.
// A context that ends first is returned as the context's error.
func (e *Endpoint) Do(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.base.JoinPath(path).String(), rd)
	if err != nil {
		if e.kind.Server != "" {
			return nil, fmt.Errorf("build %s request: %w", e.kind.Server, err)
		}
		return nil, fmt.Errorf("build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", e.kind.Accept)
	resp, err := e.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &UnreachableError{Server: e.kind.Server, Addr: e.base.Host, Err: err}
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, &StatusError{Server: e.kind.Server, StatusCode: resp.StatusCode, Message: errorMessage(resp.Body)}
	}
	return resp, nil
}

// PostStream posts v as JSON to path and hands the answer's body, which
// streams, to read: the request of every chat client. When ctx ends, or
// read returns before the end of the stream, read gets no more bytes and
// PostStream returns at once, while the connection is closed gently in
// the background (see Drain).
func (e *Endpoint) PostStream(ctx context.Context, path string, v any, read func(io.Reader) error) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode chat request: %w", err)
	}
	upCtx, cut := context.WithCancel(context.WithoutCancel(ctx))
	s := newStream(cut, e.drain)
	stopWatch := context.AfterFunc(ctx, s.abandon)
	resp, err := e.Do(s.trace(upCtx), http.MethodPost, path, body)
	if err != nil {
		stopWatch()
		cut()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	s.body = resp.Body
	err = read(ctxReader{ctx, s})
	stopWatch()
	if err == nil && ctx.Err() == nil {
		s.close()
		return nil
	}
	go s.drainAndClose()
	return err
}

// errorMessage reads the message of an error body: {"error": "..."}
// (Ollama's, and some OpenAI-compatible servers') or {"error": {"message":
// ...}} (OpenAI's), falling back to the start of the body (an HTML page
// from a misconfigured proxy, say).
func errorMessage(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, maxMessage))
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && len(e.Error) > 0 {
		// Decoding turns each invalid UTF-8 byte into U+FFFD, three bytes,
		// so the 4 KiB read can decode to 12 KiB (found by FuzzChat): cut
		// it back.
		var body struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(e.Error, &body) == nil && body.Message != "" {
			return cutMessage(body.Message, maxMessage-len("…"))
		}
		var s string
		if json.Unmarshal(e.Error, &s) == nil && s != "" {
			return cutMessage(s, maxMessage-len("…"))
		}
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		s = "(empty body)"
	}
	return cutMessage(s, 200)
}

// maxMessage bounds how much of an error body is read, and the message
// taken from it: it ends up in the error the client gets.
const maxMessage = 4 << 10

// cutMessage keeps at most n bytes of s, and marks a cut with "…"; it
// does not split a UTF-8 sequence.
func cutMessage(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// NewHTTPClient returns the http.Client for talking to model servers: a
// bounded dial, keep-alive connections pooled per server, no overall
// timeout (answers can stream for many minutes), and a read buffer large
// enough that the lines a busy stream has queued up are taken in one
// pass through the chunked body rather than a few at a time.
func NewHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.MaxIdleConnsPerHost = 16
	t.ReadBufferSize = 32 << 10
	return &http.Client{Transport: t}
}

// WithBearer returns a copy of hc that sends key as a bearer token on
// every request, through hc's transport and so its pooled connections; an
// empty key returns hc itself.
func WithBearer(hc *http.Client, key string) *http.Client {
	if key == "" {
		return hc
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	c := *hc
	if c.Transport == nil {
		c.Transport = http.DefaultTransport
	}
	c.Transport = bearerTransport{key: key, next: c.Transport}
	return &c
}

// bearerTransport adds the Authorization header to every request.
type bearerTransport struct {
	key  string
	next http.RoundTripper
}

// RoundTrip sends a copy of r that carries the key.
func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return b.next.RoundTrip(r)
}
