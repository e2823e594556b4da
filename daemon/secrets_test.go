package daemon

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/admin"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/notify"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
	"github.com/clawbridge/clawbridge/patcher/guard"
)

// syncBuffer is a log destination shared by every goroutine of the
// daemon.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// secret makes a credential no log line could hold by chance.
func secret(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

// TestSecretsNeverLogged runs the whole daemon at debug level, its log
// and the standard logger captured, through everything that handles a
// credential: requests with the master key (x-api-key and Bearer, both
// front ends, streamed and not), with a wrong key, to an
// OpenAI-compatible backend that takes an api_key, the guard pinning the
// key over a Claude-CLI OAuth takeover and displacing an older key, with
// a Claude CLI credentials file in the home directory, the admin endpoint
// with its token, the master key and a wrong token, and a reload. Then no
// log line and no notification may hold any of those secrets, or any 8
// characters in a row of their random part.
func TestSecretsNeverLogged(t *testing.T) {
	ol := ollamatest.Start(t)
	s := struct {
		master, wrong, apiKey, oldKey, access, refresh, cliAccess, cliRefresh string
	}{
		secret(t, "sk-master-"), secret(t, "sk-wrong-"), secret(t, "sk-vllm-"), secret(t, "sk-old-"),
		secret(t, "sk-ant-oat01-"), secret(t, "sk-ant-ort01-"), secret(t, "sk-ant-oat01-"), secret(t, "sk-ant-ort01-"),
	}

	w := newWorld(t, ol.URL, "")
	mustWrite(t, w.configPath, fmt.Sprintf(`model_list:
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/%[2]s, api_base: %[1]q}
  - model_name: gpt-remote
    litellm_params: {model: openai/%[2]s, api_base: %[3]q, api_key: %[4]s}
general_settings:
  master_key: %[5]s
clawbridge:
  patcher:
    dirs: [~/src/clawdbot]
    global: false
  guard:
    state_dirs: [%[6]s]
`, ol.URL, ollamatest.ModelTiny, ol.URL+"/v1", s.apiKey, s.master, filepath.Join(w.home, ".clawdbot")))
	takeover := func(defaultKey, access, refresh string) string {
		return fmt.Sprintf(`{"version":1,"profiles":{"anthropic:default":{"type":"api_key","provider":"anthropic","key":%q},`+
			`"anthropic:claude-cli":{"type":"oauth","provider":"anthropic","access":%q,"refresh":%q,"expires":4102444800000}},`+
			`"order":{"anthropic":["anthropic:claude-cli","anthropic:default"]}}`, defaultKey, access, refresh)
	}
	mustWrite(t, w.authFile, takeover(s.oldKey, s.access, s.refresh))
	mustMkdir(t, filepath.Join(w.home, ".claude"))
	mustWrite(t, filepath.Join(w.home, ".claude", ".credentials.json"), fmt.Sprintf(
		`{"claudeAiOauth":{"accessToken":%q,"refreshToken":%q,"expiresAt":4102444800000,"scopes":["user:inference"]}}`, s.cliAccess, s.cliRefresh))

	var logs, notes syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(logger) // whatever logs to the default logger, or to package log, is caught too
	runtimeDir := filepath.Join(w.home, "run")
	d, err := New(Options{ConfigPath: w.configPath, RuntimeDir: runtimeDir, Home: w.home, Getenv: func(string) string { return "" },
		LogDir: filepath.Join(w.home, "logs"), Logger: logger, Version: "test", Listen: "127.0.0.1:0", BackendPoll: 200 * time.Millisecond,
		Notifier: notify.New(notify.Options{Logger: logger, Send: func(title, body string) error {
			fmt.Fprintf(&notes, "%s: %s\n", title, body)
			return nil
		}})})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	waitFor(t, "the guard to pin the master key", func() bool {
		st := d.State()
		return len(st.Guard.Dirs) == 1 && st.Guard.Dirs[0].Held
	})
	addr := "http://" + d.State().Translator.Addr

	send := func(path, body string, header ...string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, addr+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body == "" {
			req.Method = http.MethodGet
		}
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	messages := func(model string, stream bool) string {
		return fmt.Sprintf(`{"model":%q,"max_tokens":50,"stream":%v,"messages":[{"role":"user","content":"Hi there"}]}`, model, stream)
	}
	chat := `{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"Hi there"}]}`
	for _, c := range []struct {
		name, path, body string
		header           []string
		want             int
	}{
		{"x-api-key", "/v1/messages", messages("claude-sonnet-4-5", false), []string{"x-api-key", s.master}, 200},
		{"x-api-key, streamed", "/v1/messages", messages("claude-sonnet-4-5", true), []string{"x-api-key", s.master}, 200},
		{"Bearer", "/v1/messages", messages("claude-sonnet-4-5", false), []string{"Authorization", "Bearer " + s.master}, 200},
		{"OpenAI-compatible backend", "/v1/messages", messages("gpt-remote", true), []string{"x-api-key", s.master}, 200},
		{"unknown model", "/v1/messages", messages("no-such-model", false), []string{"x-api-key", s.master}, 404},
		{"count_tokens", "/v1/messages/count_tokens", `{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"Hi"}]}`, []string{"x-api-key", s.master}, 200},
		{"models", "/v1/models", "", []string{"x-api-key", s.master}, 200},
		{"chat completions", "/v1/chat/completions", chat, []string{"Authorization", "Bearer " + s.master}, 200},
		{"wrong x-api-key", "/v1/messages", messages("claude-sonnet-4-5", false), []string{"x-api-key", s.wrong}, 401},
		{"wrong Bearer", "/v1/messages", messages("claude-sonnet-4-5", false), []string{"Authorization", "Bearer " + s.wrong}, 401},
		{"key with a tail", "/v1/messages", messages("claude-sonnet-4-5", false), []string{"x-api-key", s.master + "x"}, 401},
		{"wrong key, chat completions", "/v1/chat/completions", chat, []string{"Authorization", "Bearer " + s.wrong}, 401},
		// Whichever header wins, the wrong key must not be logged.
		{"both headers, one wrong", "/v1/messages", messages("claude-sonnet-4-5", false), []string{"x-api-key", s.wrong, "Authorization", "Bearer " + s.master}, 0},
	} {
		got := send(c.path, c.body, c.header...)
		if c.want != 0 && got != c.want {
			t.Errorf("%s: status %d, want %d", c.name, got, c.want)
		}
	}

	// The admin endpoint, as `clawbridge status` and a stranger use it.
	rt, err := admin.ReadRuntime(runtimeDir)
	if err != nil {
		t.Fatal(err)
	}
	adminCall := func(method, path, token string) int {
		req, _ := http.NewRequest(method, "http://"+rt.Admin+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		method, path, token string
		want                int
	}{
		{"GET", "/status", rt.Token, 200},
		{"GET", "/status", s.master, 200},
		{"GET", "/status", s.wrong, 401},
		{"POST", "/repatch", rt.Token, 200},
		{"POST", "/reload", rt.Token, 200},
	} {
		if got := adminCall(c.method, c.path, c.token); got != c.want {
			t.Errorf("admin %s %s: status %d, want %d", c.method, c.path, got, c.want)
		}
	}
	ac, err := admin.Connect(runtimeDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ac.Status(context.Background()); err != nil {
		t.Fatal(err)
	}

	// The tray edits the config (it holds the keys), the daemon reloads;
	// Claude-CLI sync takes over the store again with new tokens.
	if err := config.SetSetting(w.configPath, []string{"notifications", "enabled"}, false); err != nil {
		t.Fatal(err)
	}
	if err := d.Reload(); err != nil {
		t.Fatal(err)
	}
	newAccess, newRefresh := secret(t, "sk-ant-oat01-"), secret(t, "sk-ant-ort01-")
	replaceFile(t, w.authFile, takeover("sk-ant-api03-"+s.oldKey, newAccess, newRefresh))
	waitFor(t, "the guard to pin the store again", func() bool {
		data, _ := os.ReadFile(w.authFile)
		var store struct {
			Order map[string][]string
		}
		return json.Unmarshal(data, &store) == nil && len(store.Order["anthropic"]) == 1 &&
			store.Order["anthropic"][0] == guard.DefaultProfile && bytes.Contains(data, []byte(newAccess))
	})
	d.Stop()

	all := map[string]string{
		"master key": s.master, "wrong key": s.wrong, "backend api_key": s.apiKey, "displaced key": s.oldKey,
		"OAuth access token": s.access, "OAuth refresh token": s.refresh, "new OAuth access token": newAccess,
		"new OAuth refresh token": newRefresh, "Claude CLI access token": s.cliAccess,
		"Claude CLI refresh token": s.cliRefresh, "admin token": rt.Token,
	}
	out := logs.String() + notes.String()
	if strings.Count(logs.String(), "\n") < 20 {
		t.Fatalf("only %d log lines were written: is the capture working?\n%s", strings.Count(logs.String(), "\n"), logs.String())
	}
	for what, sec := range all {
		random := sec[strings.LastIndex(sec, "-")+1:]
		for i := 0; i+8 <= len(random); i++ {
			if j := strings.Index(out, random[i:i+8]); j >= 0 {
				line := out[strings.LastIndex(out[:j], "\n")+1:]
				if k := strings.Index(line, "\n"); k >= 0 {
					line = line[:k]
				}
				t.Errorf("the %s leaked into the log or a notification:\n%s", what, line)
				break
			}
		}
	}
	if os.Getenv("CLAWBRIDGE_TEST_LOG") != "" {
		t.Log(out)
	}
	t.Logf("%d log lines and %d notifications checked for %d secrets", strings.Count(logs.String(), "\n"), strings.Count(notes.String(), "\n"), len(all))
	if guard.MaskKey(s.master) == s.master {
		t.Fatal("MaskKey shows the whole key")
	}
}
