//go:build linux

package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/admin"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
	"github.com/clawbridge/clawbridge/patcher/guard"
	"github.com/clawbridge/clawbridge/tray/traytest"
)

// TestTrayDrivesTheDaemon is the tray's promise end to end: a user who
// only has the menu sees the daemon's state, switches claude-sonnet-4-5 to
// another local model (the config is rewritten with its comments, and the
// next request is answered by the new model on the real Ollama), switches
// warm-up on (the model loads at once), sees a newly pulled model appear,
// and quits.
func TestTrayDrivesTheDaemon(t *testing.T) {
	ol := ollamatest.Start(t)
	w := newTrayWorld(t, ol.URL)
	run := startTrayRun(t, trayChildSpec{Config: w.configPath, Home: w.home, RuntimeDir: filepath.Join(w.home, "run"), LogDir: filepath.Join(w.home, "logs")})
	panel := run.panel
	line := run.readLine()
	addr, ok := strings.CutPrefix(line, "listening on http://")
	if !ok {
		t.Fatalf("child said %q\n%s", line, run.stderr.String())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // hang guard
	defer cancel()
	tiny := ollamatest.ModelTiny + ":latest"
	noTools := ollamatest.ModelNoTools + ":latest"
	menu, err := panel.WaitFor(ctx, "the sonnet submenu with the backend's models", func(root *traytest.Item) bool {
		sub := root.Find("claude-sonnet-4-5")
		return sub != nil && sub.Find(noTools) != nil && sub.Find(tiny) != nil && sub.Find(tiny).Checked
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(menu.Find("claude-sonnet-4-5", noTools).Label, "no tools") {
		t.Errorf("the model without tools is not marked: %q", menu.Find("claude-sonnet-4-5", noTools).Label)
	}
	labels := strings.Join(menu.Labels(), "\n")
	for _, want := range []string{"Translator on " + addr, "Ollama ", "6/6 URLs patched", "local key pinned"} { // the fixture catalog has 6
		if !strings.Contains(labels, want) {
			t.Errorf("menu lacks %q:\n%s", want, labels)
		}
	}

	// Switch the model from the menu; the next tool request reaches the
	// model without tools, which refuses it.
	if code := toolRequest(t, addr); code != 200 {
		t.Fatalf("tool request before the switch: %d", code)
	}
	if err := panel.Click(ctx, "claude-sonnet-4-5", noTools); err != nil {
		t.Fatal(err)
	}
	if _, err := panel.WaitFor(ctx, "the switch to show", func(root *traytest.Item) bool {
		it := root.Find("claude-sonnet-4-5", noTools)
		return it != nil && it.Checked
	}); err != nil {
		t.Fatal(err)
	}
	// The menu ticks the choice at once; the daemon applies it when the
	// click's action returns. Wait for that through the admin endpoint, as
	// `clawbridge status` would see it.
	ac, err := admin.Connect(filepath.Join(w.home, "run"))
	if err != nil {
		t.Fatal(err)
	}
	for {
		st, err := ac.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Aliases) == 1 && st.Aliases[0].Model == noTools {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	data, _ := os.ReadFile(w.configPath)
	if !strings.Contains(string(data), "model: ollama/"+noTools+"   # the tiny scripted model") || !strings.HasPrefix(string(data), "# my clawbridge config\n") {
		t.Errorf("config after the switch lost its layout:\n%s", data)
	}
	if code := toolRequest(t, addr); code != 400 {
		t.Errorf("tool request after switching to %s: %d, want 400 from the model without tools", noTools, code)
	}

	// Keep models warm loads the alias's model at once.
	warmFromMenu(t, ctx, panel, ac, ol.URL, noTools, w.configPath)

	// A model pulled into Ollama shows up in the submenu.
	copyReq, _ := http.NewRequest("POST", ol.URL+"/api/copy", strings.NewReader(`{"source":"`+tiny+`","destination":"fresh-pull:1b"}`))
	if resp, err := http.DefaultClient.Do(copyReq); err != nil || resp.StatusCode != 200 {
		t.Fatalf("copy a model in Ollama: %v %v", resp, err)
	}
	if _, err := panel.WaitFor(ctx, "the new model in the submenu", func(root *traytest.Item) bool {
		return root.Find("claude-sonnet-4-5", "fresh-pull:1b") != nil
	}); err != nil {
		t.Fatal(err)
	}

	// Quit stays quit: the child exits 0.
	run.quit(t, ctx)
}

// trayWorld is the user's machine the tray test needs: a Clawdbot install
// with pi-ai 0.49.3's real catalog, an auth store Claude-CLI sync has
// taken over, and a config mapping claude-sonnet-4-5 to the tiny model.
type trayWorld struct{ home, configPath string }

func newTrayWorld(t *testing.T, ollamaURL string) *trayWorld {
	t.Helper()
	w := &trayWorld{home: t.TempDir()}
	piAIInstallAt(t, filepath.Join(w.home, "src", "clawdbot"))
	agent := filepath.Join(w.home, ".clawdbot", "agents", "main", "agent")
	if err := os.MkdirAll(agent, 0o755); err != nil {
		t.Fatal(err)
	}
	takeover := `{"version":1,"profiles":{"anthropic:default":{"type":"api_key","provider":"anthropic","key":"sk-test-local"},` +
		`"anthropic:claude-cli":{"type":"oauth","provider":"anthropic","access":"sk-ant-oat01-secret","refresh":"sk-ant-ort01-secret","expires":4102444800000}}}`
	if err := os.WriteFile(filepath.Join(agent, guard.FileName), []byte(takeover), 0o600); err != nil {
		t.Fatal(err)
	}
	w.configPath = filepath.Join(w.home, "config", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(w.configPath), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`# my clawbridge config
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
`, ollamaURL, ollamatest.ModelTiny, filepath.Join(w.home, ".clawdbot"))
	if err := os.WriteFile(w.configPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
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
