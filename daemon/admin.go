package daemon

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/clawbridge/clawbridge/daemon/status"
)

// The admin endpoint is a second, loopback-only HTTP server through which
// `clawbridge status` reads the live state and asks for a re-patch or a
// reload. It is separate from the translator so that it answers while the
// translator is switched off or listens beyond loopback. Every request
// needs the token from the 0600 runtime file (only the same user can read
// it) or the master key.

func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (d *Daemon) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, d.State())
	})
	mux.HandleFunc("POST /repatch", func(w http.ResponseWriter, r *http.Request) {
		if err := d.repatchNow(r.Context()); err != nil {
			writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "every pi-ai install found points at clawbridge"})
	})
	mux.HandleFunc("POST /reload", func(w http.ResponseWriter, r *http.Request) {
		if err := d.Reload(); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "reloaded"})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !d.adminAuthorized(r) {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "missing or wrong token"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (d *Daemon) adminAuthorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || got == "" {
		return false
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(d.token)) == 1 {
		return true
	}
	key := d.config().GeneralSettings.MasterKey
	return key != "" && subtle.ConstantTimeCompare([]byte(got), []byte(key)) == 1
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// ErrNotRunning is returned by the admin client when no daemon runs for
// the runtime directory.
var ErrNotRunning = errors.New("the clawbridge daemon is not running")

// Admin is a client of a running daemon's admin endpoint.
type Admin struct {
	rt *Runtime
	hc *http.Client
}

// Connect finds the daemon of runtime directory dir. It returns
// ErrNotRunning when none has published itself or the one that did no
// longer answers.
func Connect(dir string) (*Admin, error) {
	rt, err := ReadRuntime(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotRunning
	}
	if err != nil {
		return nil, err
	}
	return &Admin{rt: rt, hc: &http.Client{Timeout: 10 * time.Second}}, nil
}

// Runtime returns what the daemon published about itself.
func (a *Admin) Runtime() *Runtime { return a.rt }

// Status fetches the live state.
func (a *Admin) Status(ctx context.Context) (*status.State, error) {
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
func (a *Admin) Repatch(ctx context.Context) error { return a.do(ctx, "POST", "/repatch", nil) }

// Reload asks the daemon to read its config again; the error says why the
// config was rejected.
func (a *Admin) Reload(ctx context.Context) error { return a.do(ctx, "POST", "/reload", nil) }

func (a *Admin) do(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, "http://"+a.rt.Admin+path, nil)
	if err != nil {
		return err
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
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if resp.StatusCode/100 != 2 {
		var e struct{ Error string }
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return errors.New(e.Error)
		}
		return fmt.Errorf("daemon answered %s", resp.Status)
	}
	if out != nil {
		return json.Unmarshal(body, out)
	}
	return nil
}
