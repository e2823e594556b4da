// Package openaicompat is a small client for OpenAI-compatible chat
// servers (vLLM, llama.cpp's llama-server, LM Studio, Ollama's /v1), and
// the wire types of OpenAI's Chat Completions API that clawbridge also
// serves.
//
// clawbridge answers from such a server when the config names a model
// openai/<name> with an api_base: users who outgrow one Ollama box can
// point it at a vLLM cluster without changing their clients. Its errors
// say what happened in the terms the translator maps onto its answers:
// the server could not be reached, it answered with an error status, or
// it failed in the middle of an answer.
package openaicompat

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

// Client talks to one OpenAI-compatible server.
type Client struct {
	base *url.URL
	key  string
	http *http.Client
}

// New returns a client for the server whose API lives at baseURL, the
// part before /chat/completions (for example "http://127.0.0.1:8000/v1").
// key, when not empty, is sent as a bearer token. A nil hc means
// http.DefaultClient; the client sets no timeout of its own, so callers
// bound requests with their context.
func New(baseURL, key string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("OpenAI-compatible base URL %q: %w", baseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("OpenAI-compatible base URL %q: want http(s)://host:port/v1", baseURL)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: u, key: key, http: hc}, nil
}

// BaseURL returns the address the client was made for.
func (c *Client) BaseURL() string { return c.base.String() }

// UnreachableError means no HTTP answer came from the server at all.
type UnreachableError struct {
	Addr string
	Err  error
}

// Error names the server's address and the transport failure (refused,
// DNS, reset) so the user can tell a stopped server from a wrong api_base.
func (e *UnreachableError) Error() string {
	return fmt.Sprintf("%s is unreachable: %v", e.Addr, e.Err)
}

// Unwrap exposes the transport error, so callers can test for causes such
// as syscall.ECONNREFUSED or a timeout with errors.Is and errors.As.
func (e *UnreachableError) Unwrap() error { return e.Err }

// StatusError is a non-2xx answer, with the message of its error body.
type StatusError struct {
	StatusCode int
	Message    string
}

// Error gives the HTTP status and the message of the server's error body,
// which usually says what to fix (an unknown model, a bad key).
func (e *StatusError) Error() string {
	return fmt.Sprintf("server answered %d: %s", e.StatusCode, e.Message)
}

// StreamError is an error event that came after the stream had started.
type StreamError struct {
	Message string
}

// Error is the server's message from the stream, marked as coming
// mid-stream: part of the answer may already have reached the client.
func (e *StreamError) Error() string { return "stream error: " + e.Message }

// ProtocolError is a stream that is not server-sent events of chunks: an
// event whose data is not a chunk's JSON, or a line longer than the client
// accepts. Usually something other than an OpenAI-compatible server
// answers on that address. Err is the decoding error.
type ProtocolError struct {
	Err error
}

// Error says a stream event could not be decoded and the decoder's reason;
// it quotes no more of the event than the decoder does, as the stream
// carries the user's conversation.
func (e *ProtocolError) Error() string { return "decode stream event: " + e.Err.Error() }

// Unwrap exposes the decoding error (a *json.SyntaxError, say), so callers
// can tell malformed JSON from an event that was only too long.
func (e *ProtocolError) Unwrap() error { return e.Err }

// ErrIncomplete is returned by ChatStream when the stream ended without a
// finish_reason or [DONE].
var ErrIncomplete = errors.New("stream ended before the answer was finished")

// maxEvent bounds one server-sent event.
const maxEvent = 64 << 20

// ChatStream sends req to /chat/completions as a streaming request (with
// usage asked for) and calls fn with each chunk. It returns fn's first
// error, a *StreamError for an error event, a *ProtocolError for an event
// that is not a chunk, ErrIncomplete, or the transport error.
// Cancelling ctx closes the connection, which stops the generation.
func (c *Client) ChatStream(ctx context.Context, req *ChatRequest, fn func(*ChatCompletionChunk) error) error {
	r := *req
	r.Stream = true
	r.StreamOptions = &StreamOptions{IncludeUsage: true}
	body, err := json.Marshal(&r)
	if err != nil {
		return fmt.Errorf("encode chat request: %w", err)
	}
	resp, err := c.do(ctx, http.MethodPost, "/chat/completions", body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return readEvents(resp.Body, fn)
}

// readEvents decodes the data lines of a server-sent event stream.
func readEvents(r io.Reader, fn func(*ChatCompletionChunk) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxEvent)
	finished := false
	for sc.Scan() {
		line := sc.Bytes()
		data, ok := bytes.CutPrefix(line, []byte("data:"))
		if !ok {
			continue // event names, ids, comments (keep-alives), blank lines
		}
		data = bytes.TrimSpace(data)
		if string(data) == "[DONE]" {
			return nil
		}
		if msg, ok := eventError(data); ok {
			return &StreamError{Message: msg}
		}
		var chunk ChatCompletionChunk
		if err := json.Unmarshal(data, &chunk); err != nil {
			return &ProtocolError{Err: err}
		}
		for _, ch := range chunk.Choices {
			if ch.FinishReason != nil && *ch.FinishReason != "" {
				finished = true
			}
		}
		if err := fn(&chunk); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &ProtocolError{Err: fmt.Errorf("line longer than %d bytes", maxEvent)}
		}
		return fmt.Errorf("read stream: %w", err)
	}
	if finished {
		// Some servers close without [DONE]; the answer itself was whole.
		return nil
	}
	return ErrIncomplete
}

// eventError reports an event that is an error rather than a chunk: one
// with a non-null "error" member, in any of the shapes servers send
// (OpenAI's {"message": ...}, llama.cpp's with a numeric code, or a bare
// string), and returns its message.
func eventError(data []byte) (string, bool) {
	var probe struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(data, &probe) != nil || len(probe.Error) == 0 || string(probe.Error) == "null" {
		return "", false
	}
	var body struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(probe.Error, &body) == nil && body.Message != "" {
		return body.Message, true
	}
	var s string
	if json.Unmarshal(probe.Error, &s) == nil && s != "" {
		return s, true
	}
	msg := string(probe.Error)
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return msg, true
}

// Models lists the models the server serves; it is also the cheapest way
// to ask whether the server is up.
func (c *Client) Models(ctx context.Context) (*ModelList, error) {
	resp, err := c.do(ctx, http.MethodGet, "/models", nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out ModelList
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxEvent)).Decode(&out); err != nil {
		return nil, fmt.Errorf("decode /models answer: %w", err)
	}
	return &out, nil
}

func (c *Client) do(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.JoinPath(path).String(), rd)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "text/event-stream, application/json")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
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

// errorMessage reads the message of an {"error": {...}} body (or the
// {"error": "..."} some servers send), falling back to the start of the
// body.
func errorMessage(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, maxMessage))
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && len(e.Error) > 0 {
		// Decoding turns each invalid UTF-8 byte into U+FFFD, three bytes,
		// so the 4 KiB read can decode to 12 KiB: cut it back.
		var body ErrorBody
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
