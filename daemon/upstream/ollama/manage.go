package ollama

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/clawbridge/clawbridge/daemon/upstream"
)

// The model-management half of the API: loading a model (/api/generate
// with no prompt), what is loaded (/api/ps) and pulling (/api/pull).

// LoadRequest is the body of POST /api/generate without a prompt, which
// only loads the model into memory.
type LoadRequest struct {
	Model     string   `json:"model"`
	Prompt    string   `json:"prompt"`
	Stream    bool     `json:"stream"`
	KeepAlive string   `json:"keep_alive,omitempty"`
	Options   *Options `json:"options,omitempty"`
}

// PsResponse is the answer of GET /api/ps: the models loaded now.
type PsResponse struct {
	Models []RunningModel `json:"models"`
}

// RunningModel is one loaded model. Size is the memory it takes in all,
// SizeVRAM the part of it on the GPU; ExpiresAt is when keep_alive
// unloads it (far in the future for "forever").
type RunningModel struct {
	Name          string    `json:"name"`
	Model         string    `json:"model"`
	Size          int64     `json:"size"`
	SizeVRAM      int64     `json:"size_vram"`
	Digest        string    `json:"digest"`
	ExpiresAt     time.Time `json:"expires_at"`
	ContextLength int       `json:"context_length,omitempty"`
}

// PullRequest is the body of POST /api/pull. Insecure allows a registry
// reached over plain HTTP.
type PullRequest struct {
	Model    string `json:"model"`
	Insecure bool   `json:"insecure,omitempty"`
	Stream   bool   `json:"stream"`
}

// PullProgress is one line of a streamed pull: a status ("pulling
// manifest", "pulling <digest>", "verifying sha256 digest", "success")
// with the bytes of the layer being downloaded, or an error.
type PullProgress struct {
	Status    string `json:"status"`
	Digest    string `json:"digest,omitempty"`
	Total     int64  `json:"total,omitempty"`
	Completed int64  `json:"completed,omitempty"`
	Error     string `json:"error,omitempty"`
}

// Load loads model with the given keep_alive ("" for Ollama's default)
// and num_ctx (0 for the model's default), and returns once it is in
// memory. Ollama keeps one loaded instance per model, so a later request
// with the same num_ctx finds it ready.
func (c *Client) Load(ctx context.Context, model, keepAlive string, numCtx int) error {
	req := LoadRequest{Model: model, KeepAlive: keepAlive}
	if numCtx > 0 {
		req.Options = &Options{NumCtx: &numCtx}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encode load request: %w", err)
	}
	resp, err := c.Do(ctx, http.MethodPost, "/api/generate", body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct {
		Error string `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return fmt.Errorf("decode ollama /api/generate answer: %w", err)
	}
	if out.Error != "" {
		return &upstream.StreamError{Server: kind.Server, Message: out.Error}
	}
	return nil
}

// Running lists the models loaded now.
func (c *Client) Running(ctx context.Context) (*PsResponse, error) {
	var out PsResponse
	if err := c.getJSON(ctx, http.MethodGet, "/api/ps", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Pull pulls a model, calling fn with each progress line. It returns
// fn's first error, an *upstream.StreamError with Ollama's message when
// the pull fails after it started (no such model, no space left, the
// registry unreachable), or the transport error. Cancelling ctx stops
// the download; Ollama keeps the layers it finished for the next pull.
func (c *Client) Pull(ctx context.Context, req PullRequest, fn func(PullProgress) error) error {
	req.Stream = true
	return c.PostStream(ctx, "/api/pull", req, func(r io.Reader) error {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 {
				continue
			}
			var p PullProgress
			if err := json.Unmarshal(line, &p); err != nil {
				return &upstream.ProtocolError{What: "ollama pull line", Err: err}
			}
			if p.Error != "" {
				return &upstream.StreamError{Server: kind.Server, Message: p.Error}
			}
			if err := fn(p); err != nil {
				return err
			}
			if p.Status == "success" {
				return nil
			}
		}
		if err := sc.Err(); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("read ollama pull stream: %w", err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return upstream.ErrIncomplete
	})
}
