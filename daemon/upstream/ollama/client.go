// Package ollama is a small client for Ollama's native HTTP API: /api/chat
// (streamed as NDJSON or not), /api/show, /api/tags and /api/version, and
// for keeping models ready: loading one (/api/generate without a prompt),
// what is loaded (/api/ps) and streamed pulls (/api/pull).
//
// It exists instead of importing github.com/ollama/ollama/api because that
// module drags in Ollama's whole server tree, and because clawbridge needs
// the errors of package upstream, which it maps onto Anthropic's
// (unreachable, HTTP status, mid-stream failure), and raw tool-call
// arguments that keep their key order.
package ollama

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/clawbridge/clawbridge/daemon/upstream"
)

// Client talks to one Ollama server through its endpoint.
type Client struct{ *upstream.Endpoint }

// kind is how errors name Ollama and its base URL.
var kind = upstream.Kind{Name: "ollama", Form: "http(s)://host:port", Server: "ollama", Accept: "application/x-ndjson, application/json"}

// New returns a client for the Ollama server at baseURL (for example
// "http://127.0.0.1:11434"). A nil hc means http.DefaultClient. The client
// sets no overall timeout of its own: streams can last minutes, so callers
// bound requests with their context.
func New(baseURL string, hc *http.Client) (*Client, error) {
	return upstream.New(kind, baseURL, hc, func(ep *upstream.Endpoint) *Client { return &Client{ep} })
}

// maxLine bounds one NDJSON line; a longer one is an error rather than an
// unbounded allocation.
const maxLine = 64 << 20

// Chat sends req to /api/chat and calls fn with each response: once per
// streamed line when req.Stream is set, once in total otherwise. Chat
// does not touch a response after fn returns, so whoever ends up with it
// may Recycle it. It returns
// fn's first error, an *upstream.StreamError for a mid-stream error line,
// an *upstream.ProtocolError for a line that is not Ollama's JSON,
// upstream.ErrIncomplete when the stream closed without a done line, or
// the transport error (*upstream.UnreachableError, *upstream.StatusError).
// Cancelling ctx, or fn returning an error, closes the upstream
// connection (gently: see upstream.Drain), which makes Ollama stop
// generating.
func (c *Client) Chat(ctx context.Context, req *ChatRequest, fn func(*ChatResponse) error) error {
	return c.PostStream(ctx, "/api/chat", req, func(r io.Reader) error { return readStream(r, fn) })
}

// streamReaders holds the line readers of finished streams. A reader's
// buffer is large, so that a burst of lines comes in with few reads;
// allocating and clearing one for every request made it most of what a
// request allocates, and the garbage collections that follow cost every
// stream.
var streamReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

// readStream decodes NDJSON lines from r and hands each to fn. Token
// lines go through tokenLineDecoder, every other line through
// encoding/json.
func readStream(r io.Reader, fn func(*ChatResponse) error) error {
	br := streamReaders.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil)
		streamReaders.Put(br)
	}()
	var line []byte
	var tokens tokenLineDecoder
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case err == bufio.ErrBufferFull:
			line = append(line, chunk...)
			if len(line) > maxLine {
				return &upstream.ProtocolError{What: protocolWhat, Err: fmt.Errorf("line longer than %d bytes", maxLine)}
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
					return &upstream.ProtocolError{What: protocolWhat, Err: err}
				}
			}
			if cr.Error != "" {
				return &upstream.StreamError{Server: kind.Server, Message: cr.Error}
			}
			// fn may hand cr on to be recycled: it is not read after.
			done := cr.Done
			if err := fn(cr); err != nil {
				return err
			}
			if done {
				return nil
			}
		}
		line = nil
		if eof {
			return upstream.ErrIncomplete
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
	resp, err := c.Do(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxLine)).Decode(out); err != nil {
		return fmt.Errorf("decode ollama %s answer: %w", path, err)
	}
	return nil
}

// protocolWhat names what a ProtocolError could not decode.
const protocolWhat = "ollama stream line"
