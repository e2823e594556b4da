//go:build unix

package guard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/peers"
)

// The real apps the guard's created store must work with, as the
// provisioning scripts record them (.ci/provision-clawdbot.sh,
// .ci/provision-openclaw.sh).
type realApp struct {
	name  string
	entry string // the CLI's entry file
	node  string // the Node that runs it
	state string // its state directory, relative to HOME
	conf  string // its config file, relative to the state directory
}

// needApp finds a provisioned app from the environment variables dirVar
// (the wrapper project) and nodeVar, or skips (fails under
// CLAWBRIDGE_REQUIRE_PEERS).
func needApp(t *testing.T, dirVar, nodeVar, entry string) (string, string) {
	t.Helper()
	dir, node := os.Getenv(dirVar), os.Getenv(nodeVar)
	if dir == "" || node == "" {
		peers.Missing(t, fmt.Sprintf("needs %s and %s (see .ci/provision-*.sh)", dirVar, nodeVar))
	}
	path := filepath.Join(dir, "node_modules", entry)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s: %v", dirVar, err)
	}
	return path, node
}

func clawdbotApp(t *testing.T) realApp {
	entry, node := needApp(t, "CLAWBRIDGE_CLAWDBOT_DIR", "CLAWBRIDGE_NODE22_BIN", "clawdbot/dist/entry.js")
	return realApp{"Clawdbot 2026.1.24", entry, node, ".clawdbot", "clawdbot.json"}
}

func openclawApp(t *testing.T, version string) realApp {
	key := strings.ReplaceAll(version, ".", "_")
	entry, node := needApp(t, "CLAWBRIDGE_OPENCLAW_"+key+"_DIR", "CLAWBRIDGE_OPENCLAW_"+key+"_NODE", "openclaw/openclaw.mjs")
	return realApp{"OpenClaw " + version, entry, node, ".openclaw", "openclaw.json"}
}

// freshHome is a home directory whose only setup is a Claude-CLI login
// (a fake one: the apps never reach Anthropic here).
func freshHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	claude := filepath.Join(home, ".claude")
	os.MkdirAll(claude, 0o700)
	err := os.WriteFile(filepath.Join(claude, ".credentials.json"),
		[]byte(`{"claudeAiOauth":{"accessToken":"sk-ant-oat01-FAKE","refreshToken":"sk-ant-ort01-FAKE","expiresAt":4102444800000}}`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return home
}

// run runs the app's CLI in home with a clean environment and returns its
// stdout; stdin feeds it.
func (a realApp) run(t *testing.T, home, stdin string, args ...string) []byte {
	t.Helper()
	stdout, stderr, err := a.try(home, stdin, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", a.name, strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout
}

// try is run for a command that may fail: it returns both outputs and
// the error.
func (a realApp) try(home, stdin string, args ...string) (stdout, stderr []byte, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.node, append([]string{a.entry}, args...)...)
	cmd.Dir = home
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "CLAWDBOT_") || strings.HasPrefix(name, "OPENCLAW_") ||
			strings.HasPrefix(name, "PI_CODING_AGENT") || strings.HasPrefix(name, "ANTHROPIC_") ||
			strings.HasPrefix(name, "CLAUDE_") || name == "HOME" || name == "PATH" {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, "HOME="+home, "NO_COLOR=1",
		"PATH="+filepath.Dir(a.node)+string(os.PathListSeparator)+os.Getenv("PATH"))
	// The apps re-execute themselves; a process group lets the timeout
	// stop them all.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.Bytes(), errOut.Bytes(), err
}

// anthropicRecorder stands in for Anthropic (and clawbridge): it answers
// every Messages request with a fixed reply and records the credential
// each one carried.
type anthropicRecorder struct {
	*httptest.Server
	mu    sync.Mutex
	creds []string // "x-api-key <key>" or "authorization <value>"
}

const recorderReply = "pong from the recorder"

func newAnthropicRecorder(t *testing.T) *anthropicRecorder {
	r := &anthropicRecorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *anthropicRecorder) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if req.Method != http.MethodPost || !strings.HasSuffix(req.URL.Path, "/v1/messages") {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	cred := "none"
	if k := req.Header.Get("X-Api-Key"); k != "" {
		cred = "x-api-key " + k
	} else if a := req.Header.Get("Authorization"); a != "" {
		cred = "authorization " + a
	}
	r.mu.Lock()
	r.creds = append(r.creds, cred)
	r.mu.Unlock()
	var in struct {
		Model  string `json:"model"`
		Stream bool   `json:"stream"`
	}
	json.Unmarshal(body, &in)
	msg := map[string]any{"id": "msg_guard", "type": "message", "role": "assistant", "model": in.Model,
		"stop_reason": nil, "stop_sequence": nil, "usage": map[string]int{"input_tokens": 3, "output_tokens": 4}}
	if !in.Stream {
		msg["content"] = []any{map[string]string{"type": "text", "text": recorderReply}}
		msg["stop_reason"] = "end_turn"
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(msg)
		return
	}
	msg["content"] = []any{}
	w.Header().Set("Content-Type", "text/event-stream")
	send := func(event string, data any) {
		b, _ := json.Marshal(data)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
	}
	send("message_start", map[string]any{"type": "message_start", "message": msg})
	send("content_block_start", map[string]any{"type": "content_block_start", "index": 0,
		"content_block": map[string]string{"type": "text", "text": ""}})
	send("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0,
		"delta": map[string]string{"type": "text_delta", "text": recorderReply}})
	send("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
	send("message_delta", map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": "end_turn", "stop_sequence": nil}, "usage": map[string]int{"output_tokens": 4}})
	send("message_stop", map[string]any{"type": "message_stop"})
}

func (r *anthropicRecorder) credentials() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.creds...)
}

// routedHome is a fresh home (see freshHome) with app's config naming an
// Anthropic model and pointing the anthropic provider at rec, without a
// key of its own: any key a turn sends comes from the auth store.
func routedHome(t *testing.T, app realApp, rec *anthropicRecorder) (home, agentDir string) {
	t.Helper()
	home = freshHome(t)
	state := filepath.Join(home, app.state)
	os.MkdirAll(state, 0o700)
	conf, _ := json.MarshalIndent(map[string]any{
		"agents": map[string]any{"defaults": map[string]any{
			"model": map[string]any{"primary": "anthropic/claude-sonnet-4-5"}}},
		"models": map[string]any{"providers": map[string]any{
			"anthropic": map[string]any{"baseUrl": rec.URL, "models": []any{}}}},
	}, "", "  ")
	if err := os.WriteFile(filepath.Join(state, app.conf), conf, 0o600); err != nil {
		t.Fatal(err)
	}
	return home, filepath.Join(state, "agents", "main", "agent")
}

// turnSendsLocalKey runs one real agent turn and checks that it was
// answered and that every request carried exactly the local key.
func turnSendsLocalKey(t *testing.T, app realApp, home string, rec *anthropicRecorder) {
	t.Helper()
	out := app.run(t, home, "", "agent", "--local", "--session-id", "t", "--message", "hello", "--json", "--timeout", "180")
	if !bytes.Contains(out, []byte(recorderReply)) {
		t.Errorf("%s's turn did not return the reply:\n%s", app.name, out)
	}
	creds := rec.credentials()
	if len(creds) == 0 {
		t.Fatalf("%s made no request to the recorder:\n%s", app.name, out)
	}
	for _, cr := range creds {
		if cr != "x-api-key "+testKey {
			t.Errorf("%s sent %q, want the local key", app.name, maskCred(cr))
		}
	}
}

// guardFor is a guard over home's discovered agent directories that may
// create the store in dir only, as the daemon would set it up.
func guardFor(t *testing.T, home, dir string) *Guard {
	t.Helper()
	g, err := New(Options{Key: testKey, Home: home, Getenv: func(string) string { return "" },
		Create: func(d string) bool { return d == dir }, RetryDelay: time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestAppsUseTheCreatedStore: for a user with no auth store at all, the
// guard creates the agent directory and the store, and a real agent turn
// of the app (`agent --local`) then sends the local key from it, although
// a Claude-CLI login is present.
func TestAppsUseTheCreatedStore(t *testing.T) {
	for _, c := range []struct {
		name string
		app  func(*testing.T) realApp
	}{
		{"clawdbot-2026.1.24", clawdbotApp},
		{"openclaw-2026.5.7", func(t *testing.T) realApp { return openclawApp(t, "2026.5.7") }},
		{"openclaw-2026.5.27", func(t *testing.T) realApp { return openclawApp(t, "2026.5.27") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			app := c.app(t)
			rec := newAnthropicRecorder(t)
			home, dir := routedHome(t, app, rec)
			g := guardFor(t, home, dir)
			evs, err := g.Fix()
			if err != nil || len(evs) != 1 || evs[0].Kind != Created || evs[0].Path != filepath.Join(dir, FileName) {
				t.Fatalf("Fix: %+v %v; want one Created for %s", evs, err, dir)
			}
			if got := string(readFile(t, filepath.Join(dir, FileName))); got != freshStoreBytes {
				t.Fatalf("created store:\n%s", got)
			}

			turnSendsLocalKey(t, app, home, rec)

			// The app's own writes during the turn (Clawdbot's sync and
			// usage stats; OpenClaw moving order and lastGood into
			// auth-state.json) leave nothing to repair.
			evs, err = g.Fix()
			if err != nil || len(evs) != 1 || evs[0].Kind != OK {
				t.Fatalf("Fix after the turn: %+v %v", evs, err)
			}
		})
	}
}

// TestOpenClawTakeoverIsUndone: an OpenClaw 2026.5.7 store whose
// auth-state.json prefers a Claude-CLI OAuth profile (what its sync and
// lastGood bookkeeping leave behind) sends the OAuth token; after the
// guard the same turn sends the local key, and the OAuth profile is kept.
func TestOpenClawTakeoverIsUndone(t *testing.T) {
	app := openclawApp(t, "2026.5.7")
	rec := newAnthropicRecorder(t)
	home, dir := routedHome(t, app, rec)
	os.MkdirAll(dir, 0o700)
	oauth := `{
  "version": 1,
  "profiles": {
    "anthropic:claude-cli": {
      "type": "oauth",
      "provider": "anthropic",
      "access": "sk-ant-oat01-FAKE",
      "refresh": "sk-ant-ort01-FAKE",
      "expires": 4102444800000
    }
  }
}
`
	state := `{
  "version": 1,
  "order": {
    "anthropic": [
      "anthropic:claude-cli"
    ]
  },
  "lastGood": {
    "anthropic": "anthropic:claude-cli"
  }
}
`
	os.WriteFile(filepath.Join(dir, FileName), []byte(oauth), 0o600)
	os.WriteFile(filepath.Join(dir, StateFileName), []byte(state), 0o600)
	g := guardFor(t, home, dir)
	evs, err := g.Fix()
	if err != nil || len(evs) != 1 || evs[0].Kind != Restored {
		t.Fatalf("Fix: %+v %v", evs, err)
	}
	turnSendsLocalKey(t, app, home, rec)
	s := decodeStore(t, readFile(t, filepath.Join(dir, FileName)))
	if _, ok := s.Profiles[ClaudeCLIProfile]; !ok {
		t.Error("the OAuth profile was removed")
	}
	if evs, err := g.Fix(); err != nil || len(evs) != 1 || evs[0].Kind != OK {
		t.Fatalf("Fix after the turn: %+v %v", evs, err)
	}
}

// maskCred hides all but the start of a credential the recorder saw.
func maskCred(c string) string {
	if i := strings.LastIndexByte(c, ' '); i >= 0 && len(c)-i > 12 {
		return c[:i+10] + "…"
	}
	return c
}

// TestAppsWithSQLiteStores: OpenClaw 2026.6 and 2026.9 keep the profile
// that `models auth paste-token` stores in SQLite (2026.6.35 in the agent
// database, 2026.9.6 in the state database, without even creating the
// agent directory). A guard told to create the store there writes
// nothing, creates no directory, and never reports the directory pinned.
func TestAppsWithSQLiteStores(t *testing.T) {
	for _, version := range []string{"2026.6.35", "2026.9.6"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			app := openclawApp(t, version)
			home := freshHome(t)
			app.run(t, home, "sk-ant-oat01-"+strings.Repeat("FAKE", 20)+"\n",
				"models", "auth", "paste-token", "--provider", "anthropic")
			state := filepath.Join(home, app.state)
			dir := filepath.Join(state, "agents", "main", "agent")
			dirBefore := isDir(dir)
			db := sqliteStore(dir)
			if db == "" {
				t.Fatalf("%s stored the token without a SQLite database the guard recognises", app.name)
			}
			t.Logf("%s keeps the token in %s", app.name, db)

			var events []Event
			g, err := New(Options{Key: testKey, Home: home, Getenv: func(string) string { return "" },
				Create: func(d string) bool { return d == dir }, RetryDelay: time.Millisecond,
				OnEvent: func(e Event) { events = append(events, e) }, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			evs, err := g.Fix()
			if err != nil || len(evs) != 1 || evs[0].Kind != SQLiteStore || len(events) != 1 {
				t.Fatalf("Fix: %+v %v", evs, err)
			}
			if isDir(dir) != dirBefore {
				t.Errorf("the agent directory was created")
			}
			for _, name := range []string{FileName, FileName + BackupSuffix} {
				if _, err := os.Lstat(filepath.Join(dir, name)); !os.IsNotExist(err) {
					t.Errorf("%s was written beside the SQLite store", name)
				}
			}
			st, err := g.Check()
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range st {
				if s.Dir == dir && (s.Held || s.SQLite != db) {
					t.Errorf("status of %s: %+v", dir, s)
				}
			}
		})
	}
}
