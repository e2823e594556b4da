package daemon

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/admin"
	"github.com/clawbridge/clawbridge/daemon/notify"
	"github.com/clawbridge/clawbridge/daemon/translator"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
	"github.com/clawbridge/clawbridge/patcher/guard"
)

// waitFor polls cond until it holds; the timeout is a hang guard only.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("CLAWBRIDGE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// world is a user's machine in miniature: a home with a Clawdbot install
// (npm layout, pi-ai 0.49.3's real catalog) and a Clawdbot state directory
// whose auth store Claude-CLI sync has taken over.
type world struct {
	home, clawdbot, catalog, original, authFile, configPath string
}

func newWorld(t testing.TB, ollamaURL string, extra string) *world {
	t.Helper()
	w := &world{home: t.TempDir()}
	w.clawdbot = filepath.Join(w.home, "src", "clawdbot")
	pkg := filepath.Join(w.clawdbot, "node_modules", "@mariozechner", "pi-ai")
	mustMkdir(t, filepath.Join(pkg, "dist"))
	mustWrite(t, filepath.Join(pkg, "package.json"), `{"name": "@mariozechner/pi-ai", "version": "0.49.3", "type": "module"}`)
	orig, err := os.ReadFile("../patcher/testdata/pi-ai-0.49.3.models.generated.js")
	if err != nil {
		t.Fatal(err)
	}
	w.original = string(orig)
	w.catalog = filepath.Join(pkg, "dist", "models.generated.js")
	mustWrite(t, w.catalog, w.original)

	agent := filepath.Join(w.home, ".clawdbot", "agents", "main", "agent")
	mustMkdir(t, agent)
	w.authFile = filepath.Join(agent, guard.FileName)
	mustWrite(t, w.authFile, oauthTakeover)

	w.configPath = filepath.Join(w.home, "config", "config.yaml")
	mustMkdir(t, filepath.Dir(w.configPath))
	mustWrite(t, w.configPath, fmt.Sprintf(`# my clawbridge config
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params:
      model: ollama/%[2]s   # the tiny scripted model
      api_base: %[1]s
general_settings:
  master_key: sk-test-local
clawbridge:
  patcher:
    dirs: [~/src/clawdbot]
    global: false
  guard:
    state_dirs: [%[3]s]
%[4]s`, ollamaURL, ollamatest.ModelTiny, filepath.Join(w.home, ".clawdbot"), extra))
	return w
}

// quietNotifier drops notifications. The default one would reach for the
// session bus, and godbus launches a bus of its own (which outlives the
// test) when none is set.
// recordingNotifier returns a notifier that keeps what it sends, and
// noted, which reports whether a sent "title: body" starts with prefix and
// holds part. The notifier sends from its own goroutine, hence the lock.
func recordingNotifier(t *testing.T) (n *notify.Notifier, noted func(prefix, part string) bool) {
	var mu sync.Mutex
	var notes []string
	n = notify.New(notify.Options{Logger: testLogger(t), Send: func(title, body string) error {
		mu.Lock()
		defer mu.Unlock()
		notes = append(notes, title+": "+body)
		return nil
	}})
	return n, func(prefix, part string) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, s := range notes {
			if strings.HasPrefix(s, prefix) && strings.Contains(s, part) {
				return true
			}
		}
		return false
	}
}

func quietNotifier(t testing.TB) *notify.Notifier {
	return notify.New(notify.Options{Logger: testLogger(t), Send: func(string, string) error { return nil }})
}

// oauthTakeover is an auth store after Claude-CLI sync: the user's local
// key plus an OAuth profile that outranks it.
const oauthTakeover = `{"version":1,"profiles":{"anthropic:default":{"type":"api_key","provider":"anthropic","key":"sk-test-local"},` +
	`"anthropic:claude-cli":{"type":"oauth","provider":"anthropic","access":"sk-ant-oat01-secret","refresh":"sk-ant-ort01-secret","expires":4102444800000}}}`

func mustMkdir(t testing.TB, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t testing.TB, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// replaceFile writes data the way installers do: a new file renamed over.
func replaceFile(t *testing.T, path, data string) {
	t.Helper()
	tmp := path + ".tmp-install"
	mustWrite(t, tmp, data)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func startDaemon(t testing.TB, w *world, o Options) *Daemon {
	t.Helper()
	o.ConfigPath = w.configPath
	o.Home = w.home
	o.Getenv = func(string) string { return "" }
	o.LogDir = filepath.Join(w.home, "logs")
	o.Logger = testLogger(t)
	o.Version = "test"
	o.Listen = "127.0.0.1:0"
	if o.BackendPoll == 0 {
		o.BackendPoll = 200 * time.Millisecond
	}
	if o.Notifier == nil {
		o.Notifier = quietNotifier(t)
	}
	d, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Stop() })
	return d
}

func ask(t *testing.T, addr, model, text string) (int, string) {
	t.Helper()
	body := fmt.Sprintf(`{"model":%q,"max_tokens":50,"messages":[{"role":"user","content":%q}]}`, model, text)
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/messages", strings.NewReader(body))
	req.Header.Set("x-api-key", "sk-test-local")
	req.Header.Set("content-type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// toolRequest asks claude-sonnet-4-5 a question with a tool offered and
// returns the status: 400 when the model behind it cannot call tools.
func toolRequest(t *testing.T, addr string) int {
	t.Helper()
	body := `{"model":"claude-sonnet-4-5","max_tokens":50,"messages":[{"role":"user","content":"What's the weather?"}],` +
		`"tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}]}`
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/messages", strings.NewReader(body))
	req.Header.Set("x-api-key", "sk-test-local")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestDaemonSettingsApplyLive drives the switches the tray offers and a
// hand edit of the config, checking each takes effect without a restart
// and that a broken edit leaves the last good config in force.
func TestDaemonSettingsApplyLive(t *testing.T) {
	ol := ollamatest.Start(t)
	w := newWorld(t, ol.URL, "")
	n, noted := recordingNotifier(t)
	d := startDaemon(t, w, Options{RuntimeDir: filepath.Join(w.home, "run"), Notifier: n})
	addr := d.State().Translator.Addr
	if code, _ := ask(t, addr, "claude-sonnet-4-5", "Hi"); code != 200 {
		t.Fatalf("first request: %d", code)
	}

	// The translator switch closes and reopens the port, and is saved.
	if err := d.SetToggle("translator", false); err != nil {
		t.Fatal(err)
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Fatal("translator still listening after switching it off")
	}
	if data, _ := os.ReadFile(w.configPath); !strings.Contains(string(data), "translator:\n    enabled: false") ||
		!strings.Contains(string(data), "# the tiny scripted model") {
		t.Fatalf("config after the switch:\n%s", data)
	}
	if err := d.SetToggle("translator", true); err != nil {
		t.Fatal(err)
	}
	addr = d.State().Translator.Addr
	if code, _ := ask(t, addr, "claude-sonnet-4-5", "Hi"); code != 200 {
		t.Fatalf("request after switching back on: %d", code)
	}

	// Switching a model applies to the next request: the no-tools model
	// refuses a tool request that the tiny model takes.
	toolReq := func() int { return toolRequest(t, addr) }
	if code := toolReq(); code != 200 {
		t.Fatalf("tool request on %s: %d", ollamatest.ModelTiny, code)
	}
	if err := d.SetAliasModel("claude-sonnet-4-5", ollamatest.ModelNoTools); err != nil {
		t.Fatal(err)
	}
	if code := toolReq(); code != 400 {
		t.Fatalf("tool request after switching to %s: %d, want 400", ollamatest.ModelNoTools, code)
	}
	if st := d.State(); len(st.Aliases) != 1 || st.Aliases[0].Model != ollamatest.ModelNoTools {
		t.Errorf("aliases %+v", st.Aliases)
	}

	// A hand edit that breaks the file is rejected, said so, and the last
	// good config keeps answering; fixing it applies it.
	good, _ := os.ReadFile(w.configPath)
	replaceFile(t, w.configPath, string(good)+"\n  gateway: {port: banana}\n")
	waitFor(t, "the broken config to be rejected", func() bool { return strings.Contains(d.State().LastError, "Config not applied") })
	if !strings.Contains(d.State().LastError, "gateway.port") {
		t.Errorf("last error %q does not name the key", d.State().LastError)
	}
	waitFor(t, "the user to be told the config was not applied", func() bool {
		return noted("Config not applied: ", "gateway.port") && noted("Config not applied: ", "previous config stays in force")
	})
	if code, _ := ask(t, addr, "claude-sonnet-4-5", "Hi"); code != 200 {
		t.Fatalf("request with the last good config: %d", code)
	}
	fixed := strings.Replace(string(good), "model: ollama/"+ollamatest.ModelNoTools, "model: ollama/"+ollamatest.ModelTiny, 1)
	replaceFile(t, w.configPath, fixed)
	waitFor(t, "the fixed config to apply", func() bool {
		st := d.State()
		return st.LastError == "" && len(st.Aliases) == 1 && st.Aliases[0].Model == ollamatest.ModelTiny
	})
	if code := toolReq(); code != 200 {
		t.Fatalf("tool request after the hand edit: %d", code)
	}

	// The guard switch stops guarding; notifications can be switched off.
	if err := d.SetToggle("guard", false); err != nil {
		t.Fatal(err)
	}
	if st := d.State(); st.Guard.Enabled || len(st.Guard.Dirs) != 0 {
		t.Errorf("guard state after switching off: %+v", st.Guard)
	}
	if err := d.SetToggle("notifications", false); err != nil {
		t.Fatal(err)
	}
	if d.notifier.Enabled() || d.State().Notifications {
		t.Error("notifications still on")
	}
	if err := d.SetToggle("start_at_login", true); err == nil {
		t.Error("start at login without a LoginItem did not fail")
	}
}

// TestPortInUseNamesTheOwner starts a daemon on a port this process holds.
func TestPortInUseNamesTheOwner(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	w := newWorld(t, "http://127.0.0.1:1", "")
	d, err := New(Options{ConfigPath: w.configPath, Listen: ln.Addr().String(), RuntimeDir: t.TempDir(),
		Home: w.home, LogDir: t.TempDir(), Logger: testLogger(t), Notifier: quietNotifier(t)})
	if err != nil {
		t.Fatal(err)
	}
	err = d.Start()
	var inUse *translator.PortInUseError
	if !errors.As(err, &inUse) {
		t.Fatalf("Start on a taken port: %v", err)
	}
	if inUse.PID != os.Getpid() {
		t.Errorf("owner pid %d, want this process %d (%v)", inUse.PID, os.Getpid(), err)
	}
	// The failed start released everything: the runtime dir is free.
	if _, err := admin.Connect(d.opts.RuntimeDir); !errors.Is(err, admin.ErrNotRunning) {
		t.Errorf("runtime file left behind: %v", err)
	}
}

// TestRefusesOpenListenWithoutKey: beyond loopback, a master key is required.
func TestRefusesOpenListenWithoutKey(t *testing.T) {
	w := newWorld(t, "http://127.0.0.1:1", "")
	data, _ := os.ReadFile(w.configPath)
	mustWrite(t, w.configPath, strings.Replace(string(data), "  master_key: sk-test-local\n", "", 1))
	d, err := New(Options{ConfigPath: w.configPath, Listen: "0.0.0.0:0", RuntimeDir: t.TempDir(),
		Home: w.home, LogDir: t.TempDir(), Logger: testLogger(t), Notifier: quietNotifier(t)})
	if err != nil {
		t.Fatal(err)
	}
	err = d.Start()
	if err == nil || !strings.Contains(err.Error(), "without a master key") {
		d.Stop()
		t.Fatalf("Start on 0.0.0.0 without a key: %v", err)
	}
}

// TestStopDrainsStreams: Stop lets an answer in flight finish within the
// grace period, and cuts it off (without hanging) beyond it.
func TestStopDrainsStreams(t *testing.T) {
	ol := ollamatest.Start(t)
	for _, tc := range []struct {
		name     string
		grace    time.Duration
		complete bool
	}{
		{"within the grace", time.Minute, true},
		{"beyond the grace", time.Millisecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, ol.URL, "")
			d := startDaemon(t, w, Options{RuntimeDir: filepath.Join(w.home, "run"), ShutdownGrace: tc.grace})
			body := `{"model":"claude-sonnet-4-5","max_tokens":1500,"stream":true,"messages":[{"role":"user","content":"` + ollamatest.TriggerLoop + `"}]}`
			req, _ := http.NewRequest("POST", "http://"+d.State().Translator.Addr+"/v1/messages", strings.NewReader(body))
			req.Header.Set("x-api-key", "sk-test-local")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			first := make([]byte, 1)
			if _, err := io.ReadFull(resp.Body, first); err != nil {
				t.Fatal(err)
			}
			stopped := make(chan struct{})
			go func() { d.Stop(); close(stopped) }()
			rest, _ := io.ReadAll(resp.Body)
			<-stopped
			done := strings.Contains(string(rest), "event: message_stop") && strings.Contains(string(rest), `"stop_reason":"max_tokens"`)
			if done != tc.complete {
				t.Errorf("stream complete = %v, want %v; it ended with %q", done, tc.complete, tail(string(rest), 200))
			}
		})
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
