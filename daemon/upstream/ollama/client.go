// Package ollama is a small client for Ollama's native HTTP API: /api/chat
// (streamed as NDJSON or not), /api/show, /api/tags and /api/version.
//
// It exists instead of importing github.com/ollama/ollama/api because that
// module drags in Ollama's whole server tree, and because clawbridge needs
// errors it can map onto Anthropic's (unreachable, HTTP status, mid-stream
// failure) and raw tool-call arguments that keep their key order.
package ollama

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Client talks to one Ollama server.
type Client struct {
	base *url.URL
	http *http.Client
}

// New returns a client for the Ollama server at baseURL (for example
// "http://127.0.0.1:11434"). A nil hc means http.DefaultClient. The client
// sets no overall timeout of its own: streams can last minutes, so callers
// bound requests with their context.
func New(baseURL string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("ollama base URL %q: %w", baseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("ollama base URL %q: want http(s)://host:port", baseURL)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: u, http: hc}, nil
}

// BaseURL returns the server address the client was made for.
func (c *Client) BaseURL() string { return c.base.String() }

// UnreachableError means no HTTP answer came from the server at all
// (connection refused, DNS failure, reset before the headers). The
// translator reports it as 529 overloaded_error naming Addr.
type UnreachableError struct {
	Addr string
	Err  error
}

// Error names the Ollama address and the transport failure (refused,
// DNS, reset) so the user can tell a stopped Ollama from a wrong api_base.
func (e *UnreachableError) Error() string {
	return fmt.Sprintf("ollama at %s is unreachable: %v", e.Addr, e.Err)
}

// Unwrap exposes the transport error, so callers can test for causes such
// as syscall.ECONNREFUSED or a timeout with errors.Is and errors.As.
func (e *UnreachableError) Unwrap() error { return e.Err }

// StatusError is a non-2xx answer from Ollama, with the message from its
// {"error": ...} body when there is one.
type StatusError struct {
	StatusCode int
	Message    string
}

// Error gives the HTTP status and Ollama's own error message, which
// usually says what to fix ("model not found", "does not support tools").
func (e *StatusError) Error() string {
	return fmt.Sprintf("ollama answered %d: %s", e.StatusCode, e.Message)
}

// StreamError is an {"error": ...} line that Ollama sent after a stream had
// started, for example when the runner crashed mid-answer.
type StreamError struct {
	Message string
}

// Error is Ollama's message from the stream, marked as coming mid-stream:
// part of the answer may already have reached the client.
func (e *StreamError) Error() string { return "ollama stream error: " + e.Message }

// ProtocolError is a streamed line that is not Ollama's JSON: not JSON at
// all, JSON that does not fit a chat response (a created_at that is not a
// time, say), or a line longer than the client accepts. Usually something
// other than Ollama answers on its port. Err is the decoding error.
type ProtocolError struct {
	Err error
}

// Error says a stream line could not be decoded and the decoder's reason;
// it quotes no more of the line than the decoder does, as the stream
// carries the user's conversation.
func (e *ProtocolError) Error() string { return "decode ollama stream line: " + e.Err.Error() }

// Unwrap exposes the decoding error (a *json.SyntaxError, say), so callers
// can tell malformed JSON from a line that was only too long.
func (e *ProtocolError) Unwrap() error { return e.Err }

// ErrIncomplete is returned by Chat when the stream ended without a line
// marked done, which Ollama does for example after 30 identical tokens.
var ErrIncomplete = errors.New("ollama stream ended without a done line")

// maxLine bounds one NDJSON line; a longer one is an error rather than an
// unbounded allocation.
const maxLine = 64 << 20

// Chat sends req to /api/chat and calls fn with each response: once per
// streamed line when req.Stream is set, once in total otherwise. It returns
// fn's first error, a *StreamError for a mid-stream error line, a
// *ProtocolError for a line that is not Ollama's JSON, ErrIncomplete when
// the stream closed without a done line, or the transport error.
// Cancelling ctx closes the upstream connection, which makes Ollama stop
// generating.
func (c *Client) Chat(ctx context.Context, req *ChatRequest, fn func(*ChatResponse) error) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encode chat request: %w", err)
	}
	resp, err := c.do(ctx, http.MethodPost, "/api/chat", body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return readStream(resp.Body, fn)
}

// readStream decodes NDJSON lines from r and hands each to fn. Token
// lines go through tokenLineDecoder, every other line through
// encoding/json.
func readStream(r io.Reader, fn func(*ChatResponse) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	var tokens tokenLineDecoder
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case err == bufio.ErrBufferFull:
			line = append(line, chunk...)
			if len(line) > maxLine {
				return &ProtocolError{Err: fmt.Errorf("line longer than %d bytes", maxLine)}
			}
			continue
		case err != nil && err != io.EOF:
			return fmt.Errorf("read ollama stream: %w", err)
		}
		eof := err == io.EOF
		if line != nil {
			line = append(line, chunk...)
		} else {
			line = chunk
		}
		if t := bytes.TrimSpace(line); len(t) > 0 {
			cr, ok := tokens.decode(t)
			if !ok {
				cr = &ChatResponse{}
				if err := json.Unmarshal(t, cr); err != nil {
					return &ProtocolError{Err: err}
				}
			}
			if cr.Error != "" {
				return &StreamError{Message: cr.Error}
			}
			if err := fn(cr); err != nil {
				return err
			}
			if cr.Done {
				return nil
			}
		}
		line = nil
		if eof {
			return ErrIncomplete
		}
	}
}

// Show returns the details of a model, including its capabilities.
func (c *Client) Show(ctx context.Context, model string) (*ShowResponse, error) {
	var out ShowResponse
	body, _ := json.Marshal(map[string]string{"model": model})
	if err := c.getJSON(ctx, http.MethodPost, "/api/show", body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Tags lists the models pulled on the server.
func (c *Client) Tags(ctx context.Context) (*TagsResponse, error) {
	var out TagsResponse
	if err := c.getJSON(ctx, http.MethodGet, "/api/tags", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Version returns the server's version string, such as "0.17.4".
func (c *Client) Version(ctx context.Context) (string, error) {
	var out VersionResponse
	if err := c.getJSON(ctx, http.MethodGet, "/api/version", nil, &out); err != nil {
		return "", err
	}
	return out.Version, nil
}

func (c *Client) getJSON(ctx context.Context, method, path string, body []byte, out any) error {
	resp, err := c.do(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxLine)).Decode(out); err != nil {
		return fmt.Errorf("decode ollama %s answer: %w", path, err)
	}
	return nil
}

// do sends one request and turns transport failures and non-2xx answers
// into *UnreachableError and *StatusError.
func (c *Client) do(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.JoinPath(path).String(), rd)
	if err != nil {
		return nil, fmt.Errorf("build ollama request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/x-ndjson, application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &UnreachableError{Addr: c.base.Host, Err: err}
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, &StatusError{StatusCode: resp.StatusCode, Message: errorMessage(resp.Body)}
	}
	return resp, nil
}

// errorMessage extracts Ollama's {"error": "..."} message, falling back to
// the start of the body (an HTML page from a misconfigured proxy, say).
func errorMessage(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, maxMessage))
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		// Decoding turns each invalid UTF-8 byte into U+FFFD, three bytes,
		// so the 4 KiB read can decode to 12 KiB (found by FuzzChat).
		return cutMessage(e.Error, maxMessage-len("…"))
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
