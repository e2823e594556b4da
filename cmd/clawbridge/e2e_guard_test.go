//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// e2eRecorder sits between Clawdbot and clawbridge and remembers the
// credentials of every Messages request, so the test can assert what
// clawbridge received.
type e2eRecorder struct {
	mu     sync.Mutex
	target string // host:port of clawbridge
	seen   []e2eCreds
}

type e2eCreds struct{ APIKey, Authorization string }

func (r *e2eRecorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	target := r.target
	if strings.HasPrefix(req.URL.Path, "/v1/messages") {
		r.seen = append(r.seen, e2eCreds{APIKey: req.Header.Get("x-api-key"), Authorization: req.Header.Get("Authorization")})
	}
	r.mu.Unlock()
	httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: target}).ServeHTTP(w, req)
}

func (r *e2eRecorder) take() []e2eCreds {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.seen
	r.seen = nil
	return s
}

// TestGuardKeepsClawdbotOnLocalKey runs real Clawdbot turns with Claude
// CLI credentials on the machine (a fake ~/.claude/.credentials.json, the
// file Claude Code writes on Linux), first with the guard off, then on, and
// asserts from what reached clawbridge: without the guard Clawdbot sends
// the OAuth token; with it, the local key and no OAuth token, and the
// user's claude-cli profile is still in the file afterwards.
func TestGuardKeepsClawdbotOnLocalKey(t *testing.T) {
	bin := e2eBuild(t)
	node := e2eNode22(t)
	ol := ollamatest.Start(t)
	h := newE2EHome(t)
	const oauthToken = "sk-ant-oat01-fake-claude-cli-token"
	if err := os.MkdirAll(filepath.Join(h.dir, ".claude"), 0o700); err != nil {
		t.Fatal(err)
	}
	e2eWriteJSON(t, filepath.Join(h.dir, ".claude", ".credentials.json"), map[string]any{
		"claudeAiOauth": map[string]any{"accessToken": oauthToken, "refreshToken": "sk-ant-ort01-fake-refresh",
			"expiresAt": time.Now().Add(24 * time.Hour).UnixMilli()},
	})
	e2eWriteJSON(t, h.authFile, map[string]any{
		"version":  1,
		"profiles": map[string]any{"anthropic:default": map[string]any{"type": "api_key", "provider": "anthropic", "key": e2eMasterKey}},
	})

	rec := &e2eRecorder{}
	proxy := httptest.NewServer(rec)
	defer proxy.Close()
	config := func(guard bool) string {
		return fmt.Sprintf(`model_list:
  - model_name: claude-*
    litellm_params: {model: ollama/%s, api_base: %s}
general_settings:
  master_key: %s
clawbridge:
  listen: %%LISTEN%%
  patcher:
    dirs: [%s]
    global: false
    base_url: %s
  guard:
    enabled: %v
    state_dirs: [%s]
  notifications:
    enabled: false
`, ollamatest.ModelTiny, ol.URL, e2eMasterKey, h.install, proxy.URL, guard, h.state)
	}
	d := startE2EDaemon(t, bin, h.dir, config(false))
	rec.mu.Lock()
	rec.target = d.listen
	rec.mu.Unlock()
	d.waitStatus(t, "the patch", func(st *status.State, _ int) bool {
		return len(st.Patcher.Targets) > 0 && st.Patcher.Targets[0].URLs > 0 && st.Patcher.Targets[0].Patched == st.Patcher.Targets[0].URLs
	})

	// Guard off: Claude-CLI sync wins and the OAuth token is sent first
	// (with a real catalog, to Anthropic; here clawbridge refuses it and
	// Clawdbot falls back to the next profile).
	_, out := e2eAgentTurn(t, node, h)
	seen := rec.take()
	if len(seen) == 0 || seen[0].Authorization != "Bearer "+oauthToken {
		t.Fatalf("without the guard, want the OAuth token first; saw %+v\n%s", seen, out)
	}

	// Guard on (a config edit, applied live): the local key, turn after turn.
	if err := os.WriteFile(d.cfgPath, []byte(strings.ReplaceAll(config(true), "%LISTEN%", d.listen)), 0o600); err != nil {
		t.Fatal(err)
	}
	d.waitStatus(t, "the guard to pin the key", func(st *status.State, _ int) bool {
		return st.Guard.Enabled && len(st.Guard.Dirs) > 0 && st.Guard.Dirs[0].Held
	})
	for turn := 1; turn <= 2; turn++ {
		reply, out := e2eAgentTurn(t, node, h)
		seen := rec.take()
		if reply != ollamatest.ReplyDefault || len(seen) == 0 {
			t.Fatalf("turn %d with the guard: reply %q, saw %+v\n%s", turn, reply, seen, out)
		}
		for _, c := range seen {
			if c.APIKey != e2eMasterKey || strings.Contains(c.Authorization, "sk-ant-oat") {
				t.Errorf("turn %d: clawbridge received x-api-key %q, Authorization %q; want the local key only", turn, c.APIKey, c.Authorization)
			}
		}
	}
	var store struct{ Profiles map[string]json.RawMessage }
	data, _ := os.ReadFile(h.authFile)
	if err := json.Unmarshal(data, &store); err != nil || store.Profiles["anthropic:claude-cli"] == nil || store.Profiles["anthropic:default"] == nil {
		t.Errorf("auth store after the turns lost a profile (%v):\n%s", err, data)
	}
	d.stop(t)
}
