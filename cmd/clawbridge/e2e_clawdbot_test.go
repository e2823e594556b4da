//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// e2eClawdbotTurn runs one real Clawdbot agent turn (`clawdbot agent
// --local`, the embedded agent with its full system prompt and tool set)
// against clawbridge and checks that the scripted reply comes back.
//
// Clawdbot is pointed at clawbridge the way a user without the patcher
// does it, in a throwaway HOME:
//
//   - ~/.clawdbot/clawdbot.json sets models.providers.anthropic.baseUrl to
//     clawbridge with no models of its own, which keeps pi-ai's built-in
//     Anthropic models and overrides only their baseUrl, and picks
//     anthropic/claude-sonnet-4-5 as the agent's model;
//   - ~/.clawdbot/agents/main/agent/auth-profiles.json holds the key as
//     the anthropic:default API-key profile.
func e2eClawdbotTurn(t *testing.T, cb *e2eServer) {
	entry := e2eClawdbotEntry(t)
	node := e2eNode22(t)

	home := t.TempDir()
	agentDir := filepath.Join(home, ".clawdbot", "agents", "main", "agent")
	if err := os.MkdirAll(agentDir, 0o700); err != nil {
		t.Fatal(err)
	}
	e2eWriteJSON(t, filepath.Join(home, ".clawdbot", "clawdbot.json"), map[string]any{
		"agents": map[string]any{"defaults": map[string]any{
			"model": map[string]any{"primary": "anthropic/claude-sonnet-4-5"},
		}},
		"models": map[string]any{"providers": map[string]any{
			"anthropic": map[string]any{"baseUrl": cb.url, "models": []any{}},
		}},
	})
	e2eWriteJSON(t, filepath.Join(agentDir, "auth-profiles.json"), map[string]any{
		"version": 1,
		"profiles": map[string]any{"anthropic:default": map[string]any{
			"type": "api_key", "provider": "anthropic", "key": e2eMasterKey,
		}},
	})

	// Clawdbot re-executes itself; run it in its own process group so the
	// hang guard can stop both.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, entry, "agent", "--local", "--session-id", "t",
		"--message", "hello", "--json", "--timeout", "180")
	cmd.Dir = home
	cmd.Env = append(e2eCleanEnv(), "HOME="+home, "PATH="+filepath.Dir(node)+string(os.PathListSeparator)+os.Getenv("PATH"), "NO_COLOR=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	// Clawdbot exits 0 even when the turn failed, so the JSON decides.
	report := func() string {
		return "stdout:\n" + stdout.String() + "\nstderr:\n" + stderr.String()
	}
	if err != nil {
		t.Fatalf("clawdbot agent: %v\n%s", err, report())
	}
	raw, err := e2eFirstJSON(stdout.Bytes())
	if err != nil {
		t.Fatalf("clawdbot agent --json: %v\n%s", err, report())
	}
	var res struct {
		Payloads []struct {
			Text string `json:"text"`
		} `json:"payloads"`
		Meta struct {
			Aborted   bool `json:"aborted"`
			AgentMeta struct {
				Provider string `json:"provider"`
				Model    string `json:"model"`
				Usage    struct {
					Output int `json:"output"`
				} `json:"usage"`
			} `json:"agentMeta"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("clawdbot agent --json: %v\n%s", err, report())
	}
	var texts []string
	for _, p := range res.Payloads {
		texts = append(texts, p.Text)
	}
	if got := strings.Join(texts, "\n"); got != ollamatest.ReplyDefault {
		t.Fatalf("Clawdbot replied %q; want the model's %q\n%s", got, ollamatest.ReplyDefault, report())
	}
	m := res.Meta.AgentMeta
	if res.Meta.Aborted || m.Provider != "anthropic" || m.Model != "claude-sonnet-4-5" || m.Usage.Output <= 0 {
		t.Errorf("meta: aborted %v, provider %q, model %q, output tokens %d; want false, anthropic, claude-sonnet-4-5, > 0",
			res.Meta.Aborted, m.Provider, m.Model, m.Usage.Output)
	}
}

func e2eWriteJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
}
