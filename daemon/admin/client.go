package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/clawbridge/clawbridge/daemon/status"
)

// ErrNotRunning is returned by the admin client when no daemon runs for
// the runtime directory.
var ErrNotRunning = errors.New("the clawbridge daemon is not running")

// Client is a client of a running daemon's admin endpoint.
type Client struct {
	rt *Runtime
	hc *http.Client
}

// Connect finds the daemon of runtime directory dir. It returns
// ErrNotRunning when none has published itself or the one that did no
// longer answers.
func Connect(dir string) (*Client, error) {
	rt, err := ReadRuntime(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotRunning
	}
	if err != nil {
		return nil, err
	}
	return &Client{rt: rt, hc: &http.Client{Timeout: 10 * time.Second}}, nil
}

// Runtime returns what the daemon published about itself.
func (a *Client) Runtime() *Runtime { return a.rt }

// Status fetches the live state.
func (a *Client) Status(ctx context.Context) (*status.State, error) {
	var s status.State
	if err := a.do(ctx, "GET", "/status", &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// LiveState asks the daemon whose runtime directory is dir for its state,
// for the commands that report or act as the running daemon does; the
// error wraps ErrNotRunning when no daemon runs there.
func LiveState(ctx context.Context, dir string) (*status.State, error) {
	a, err := Connect(dir)
	if err != nil {
		return nil, err
	}
	return a.Status(ctx)
}

// Repatch asks the daemon to patch every pi-ai catalog now and waits for
// the result: an error says why some install does not point at clawbridge
// (the patcher is off, none was found, or one could not be patched).
func (a *Client) Repatch(ctx context.Context) error { return a.do(ctx, "POST", "/repatch", nil) }

// Reload asks the daemon to read its config again; the error says why the
// config was rejected.
func (a *Client) Reload(ctx context.Context) error { return a.do(ctx, "POST", "/reload", nil) }

func (a *Client) do(ctx context.Context, method, path string, out any) error {
	return a.send(ctx, method, path, nil, out)
}

// send sends body (nil for none) and decodes the answer into out.
func (a *Client) send(ctx context.Context, method, path string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+a.rt.Admin+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+a.rt.Token)
	resp, err := a.hc.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return fmt.Errorf("%w (pid %d published %s but does not answer: it may have crashed)", ErrNotRunning, a.rt.PID, a.rt.Admin)
		}
		return fmt.Errorf("ask the daemon: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if resp.StatusCode/100 != 2 {
		var e struct{ Error string }
		if json.Unmarshal(answer, &e) == nil && e.Error != "" {
			return errors.New(e.Error)
		}
		return fmt.Errorf("daemon answered %s", resp.Status)
	}
	if out != nil {
		return json.Unmarshal(answer, out)
	}
	return nil
}
