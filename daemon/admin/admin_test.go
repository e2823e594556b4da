package admin

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/status"
)

// stubDaemon answers the endpoint as a running daemon would.
type stubDaemon struct{ repatchErr error }

func (stubDaemon) State() status.State                { return status.State{Version: "test", PID: 42} }
func (s stubDaemon) RepatchNow(context.Context) error { return s.repatchErr }
func (stubDaemon) Reload() error                      { return nil }

// TestHandlerNeedsTheTokenOrMasterKey: only the runtime file's token or
// the master key open the endpoint.
func TestHandlerNeedsTheTokenOrMasterKey(t *testing.T) {
	token := NewToken()
	key := "sk-master-0123456789"
	srv := httptest.NewServer(Handler(stubDaemon{}, token, func() string { return key }))
	defer srv.Close()
	for _, tc := range []struct {
		auth string
		want int
	}{
		{"", http.StatusUnauthorized},
		{"Bearer ", http.StatusUnauthorized},
		{"Bearer wrong", http.StatusUnauthorized},
		{token, http.StatusUnauthorized}, // not a bearer header
		{"Bearer " + token, http.StatusOK},
		{"Bearer " + key, http.StatusOK},
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/status", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("Authorization %q: %d, want %d", strings.ReplaceAll(tc.auth, token, "<token>"), resp.StatusCode, tc.want)
		}
	}
}

// TestClientThroughTheRuntimeFile: the client finds the endpoint through
// the runtime file, reads the state and gets the daemon's own words for a
// failed re-patch; without a runtime file the daemon is not running.
func TestClientThroughTheRuntimeFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := Connect(dir); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Connect without a runtime file: %v, want ErrNotRunning", err)
	}
	token := NewToken()
	srv := httptest.NewServer(Handler(stubDaemon{repatchErr: errors.New("the patcher is off")}, token, func() string { return "" }))
	defer srv.Close()
	rt := &Runtime{PID: 42, Admin: strings.TrimPrefix(srv.URL, "http://"), Token: token, Started: time.Now()}
	if err := WriteRuntime(dir, rt); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, RuntimeFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("runtime file: %v %v, want mode 0600", fi, err)
	}
	ctx := context.Background()
	st, err := LiveState(ctx, dir)
	if err != nil || st.PID != 42 || st.Version != "test" {
		t.Fatalf("LiveState = %+v, %v", st, err)
	}
	c, err := Connect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Repatch(ctx); err == nil || err.Error() != "the patcher is off" {
		t.Errorf("Repatch = %v, want the daemon's reason", err)
	}
	srv.Close()
	if _, err := LiveState(ctx, dir); !errors.Is(err, ErrNotRunning) {
		t.Errorf("LiveState after the daemon went away: %v, want ErrNotRunning", err)
	}
}
