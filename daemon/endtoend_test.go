//go:build linux

package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/admin"
	"github.com/clawbridge/clawbridge/daemon/notify"
	"github.com/clawbridge/clawbridge/daemon/notify/notifytest"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
	"github.com/clawbridge/clawbridge/patcher/guard"
)

// The end-to-end test is Linux's alone: it checks the notifications on a
// private DBus session bus (notifytest), and beeep goes through DBus only
// there (macOS notifies through osascript or terminal-notifier), so
// elsewhere there is no dbus-daemon to start and nothing to observe.

// TestDaemonEndToEnd runs the whole daemon against a real Ollama and a
// Clawdbot layout, with notifications going over a real (private) DBus
// session bus to a recording notification server.
func TestDaemonEndToEnd(t *testing.T) {
	bus := notifytest.Start(t)
	ol := ollamatest.Start(t)
	w := newWorld(t, ol.URL, "")
	runtimeDir := filepath.Join(w.home, "run")
	d := startDaemon(t, w, Options{RuntimeDir: runtimeDir, Notifier: notify.New(notify.Options{Logger: testLogger(t)})})

	// Everything is applied at start: the catalog points at the
	// translator, the guard pinned the local key, Ollama is known.
	waitFor(t, "the catalog to be patched", func() bool {
		st := d.State()
		return len(st.Patcher.Targets) == 1 && st.Patcher.Targets[0].URLs > 0 &&
			st.Patcher.Targets[0].Patched == st.Patcher.Targets[0].URLs
	})
	addr := d.State().Translator.Addr
	if data, _ := os.ReadFile(w.catalog); strings.Contains(string(data), `baseUrl: "https://api.anthropic.com"`) {
		t.Fatal("catalog still points at api.anthropic.com")
	}
	if data, _ := os.ReadFile(w.catalog); !strings.Contains(string(data), `baseUrl: "http://`+addr+`"`) {
		t.Fatalf("catalog does not point at the translator %s", addr)
	}
	waitFor(t, "the guard to pin the local key", func() bool {
		st := d.State()
		return len(st.Guard.Dirs) == 1 && st.Guard.Dirs[0].Held && st.Guard.Dirs[0].Using == guard.DefaultProfile
	})
	waitFor(t, "the backend to be polled", func() bool {
		st := d.State()
		return len(st.Backends) == 1 && st.Backends[0].Reachable && len(st.Backends[0].Models) >= 3
	})
	st := d.State()
	if st.Backends[0].Version != "0.17.4" {
		t.Errorf("backend version %q, want 0.17.4 (the provisioned Ollama)", st.Backends[0].Version)
	}
	for _, m := range st.Backends[0].Models {
		if strings.HasPrefix(m.Name, ollamatest.ModelNoTools) && (m.Tools == nil || *m.Tools) {
			t.Errorf("%s: tools capability %v, want known false", m.Name, m.Tools)
		}
	}

	// The translator answers from the real Ollama, and counts it.
	if code, body := ask(t, addr, "claude-sonnet-4-5", "Hi there"); code != 200 || !strings.Contains(body, ollamatest.ReplyDefault) {
		t.Fatalf("answer %d %s", code, body)
	}
	waitFor(t, "the request to be counted", func() bool { return d.State().Translator.Requests == 1 })

	// `clawbridge status` sees the same state through the admin endpoint,
	// and only with the token.
	ac, err := admin.Connect(runtimeDir)
	if err != nil {
		t.Fatal(err)
	}
	remote, err := ac.Status(context.Background())
	if err != nil || remote.Translator.Addr != addr || remote.PID != os.Getpid() || len(remote.Patcher.Targets) != 1 {
		t.Fatalf("admin status %+v, %v", remote, err)
	}
	if info, err := os.Stat(filepath.Join(runtimeDir, admin.RuntimeFile)); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("runtime file: %v, %v", info, err)
	}
	if resp, err := http.Get("http://" + ac.Runtime().Admin + "/status"); err != nil || resp.StatusCode != 401 {
		t.Fatalf("admin without token: %v %v", resp, err)
	}

	// A reinstall puts Anthropic's URLs back: the keeper re-patches and the
	// user is told, over DBus.
	replaceFile(t, w.catalog, w.original)
	call := bus.WaitFor(t, "re-applied the pi-ai patch", 60*time.Second)
	if call.AppName != "clawbridge" || !strings.Contains(call.Body, "0.49.3") {
		t.Errorf("notification %+v", call)
	}
	waitFor(t, "the re-patch to show in the state", func() bool {
		tg := d.State().Patcher.Targets
		return len(tg) == 1 && !tg[0].Reapplied.IsZero() && tg[0].Patched == tg[0].URLs
	})

	// Claude-CLI sync takes over the auth store again: restored, notified,
	// and the OAuth profile is still there.
	replaceFile(t, w.authFile, oauthTakeover)
	bus.WaitFor(t, "restored Clawdbot's local key", 60*time.Second)
	waitFor(t, "the store to be pinned again", func() bool {
		data, _ := os.ReadFile(w.authFile)
		var store struct {
			Profiles map[string]json.RawMessage
			Order    map[string][]string
		}
		return json.Unmarshal(data, &store) == nil && len(store.Profiles) == 2 &&
			len(store.Order["anthropic"]) == 1 && store.Order["anthropic"][0] == guard.DefaultProfile
	})
	for _, c := range bus.Calls() {
		if strings.Contains(c.Body, "sk-ant-") || strings.Contains(c.Summary, "sk-ant-") {
			t.Errorf("a notification shows a credential: %+v", c)
		}
	}

	// Ollama goes away and comes back: the user hears both.
	if err := ol.Stop(); err != nil {
		t.Fatal(err)
	}
	bus.WaitFor(t, "Ollama is not answering", 60*time.Second)
	if err := ol.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	bus.WaitFor(t, "Ollama is back", 60*time.Second)

	// A second daemon for the same user says who runs and fails.
	d2, err := New(Options{ConfigPath: w.configPath, RuntimeDir: runtimeDir, Home: w.home, LogDir: t.TempDir(), Logger: testLogger(t), Notifier: quietNotifier(t)})
	if err != nil {
		t.Fatal(err)
	}
	err = d2.Start()
	var running *AlreadyRunningError
	if !errors.As(err, &running) || running.PID != os.Getpid() || !strings.Contains(err.Error(), addr) {
		t.Fatalf("second daemon: %v", err)
	}

	// Stop: the port is closed, the runtime file gone, the lock free.
	d.Stop()
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("translator still listening after Stop")
	}
	if _, err := admin.Connect(runtimeDir); !errors.Is(err, admin.ErrNotRunning) {
		t.Errorf("admin.Connect after Stop: %v", err)
	}
	if err := d2.Start(); err != nil {
		t.Errorf("a new daemon cannot start after Stop: %v", err)
	}
	d2.Stop()
}
