// Package openaicompat is a small client for OpenAI-compatible chat
// servers (vLLM, llama.cpp's llama-server, LM Studio, Ollama's /v1), and
// the wire types of OpenAI's Chat Completions API that clawbridge also
// serves.
//
// clawbridge answers from such a server when the config names a model
// openai/<name> with an api_base: users who outgrow one Ollama box can
// point it at a vLLM cluster without changing their clients. Its errors
// are package upstream's, the same the Ollama client returns: the server
// could not be reached, it answered with an error status, or it failed in
// the middle of an answer.
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

	"github.com/clawbridge/clawbridge/daemon/upstream"
)

// Client talks to one OpenAI-compatible server through its endpoint.
type Client struct{ *upstream.Endpoint }

// kind is how errors name an OpenAI-compatible server and its base URL:
// the answers' errors name it by its address alone.
var kind = upstream.Kind{Name: "OpenAI-compatible", Form: "http(s)://host:port/v1", Accept: "text/event-stream, application/json"}

// New returns a client for the server whose API lives at baseURL, the
// part before /chat/completions (for example "http://127.0.0.1:8000/v1").
// key, when not empty, is sent as a bearer token. A nil hc means
// http.DefaultClient; the client sets no timeout of its own, so callers
// bound requests with their context.
func New(baseURL, key string, hc *http.Client) (*Client, error) {
	return upstream.New(kind, baseURL, upstream.WithBearer(hc, key), func(ep *upstream.Endpoint) *Client { return &Client{ep} })
}

// maxEvent bounds one server-sent event.
const maxEvent = 64 << 20

// ChatStream sends req to /chat/completions as a streaming request (with
// usage asked for) and calls fn with each chunk. It returns fn's first
// error, an *upstream.StreamError for an error event, an
// *upstream.ProtocolError for an event that is not a chunk,
// upstream.ErrIncomplete, or the transport error
// (*upstream.UnreachableError, *upstream.StatusError).
// Cancelling ctx, or fn returning an error, closes the connection (gently:
// see upstream.Drain), which stops the generation.
func (c *Client) ChatStream(ctx context.Context, req *ChatRequest, fn func(*ChatCompletionChunk) error) error {
	r := *req
	r.Stream = true
	r.StreamOptions = &StreamOptions{IncludeUsage: true}
	return c.PostStream(ctx, "/chat/completions", &r, func(body io.Reader) error { return readEvents(body, fn) })
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
			return &upstream.StreamError{Message: msg}
		}
		var chunk ChatCompletionChunk
		if err := json.Unmarshal(data, &chunk); err != nil {
			return &upstream.ProtocolError{What: protocolWhat, Err: err}
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
			return &upstream.ProtocolError{What: protocolWhat, Err: fmt.Errorf("line longer than %d bytes", maxEvent)}
		}
		return fmt.Errorf("read stream: %w", err)
	}
	if finished {
		// Some servers close without [DONE]; the answer itself was whole.
		return nil
	}
	return upstream.ErrIncomplete
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
	resp, err := c.Do(ctx, http.MethodGet, "/models", nil)
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

// protocolWhat names what a ProtocolError could not decode.
const protocolWhat = "stream event"
