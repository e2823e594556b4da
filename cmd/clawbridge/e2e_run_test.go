//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon"
	"github.com/clawbridge/clawbridge/daemon/ollama/ollamatest"
)

// TestRunWithRealClawdbot is the whole product in one go: `clawbridge run`
// with a real Clawdbot install (a hard-linked copy of the provisioned one,
// so patching it leaves the original alone) whose auth store Claude-CLI
// sync has taken over. The daemon must patch pi-ai's catalog, pin the
// local key, serve the translator and run the gateway; then a real
// Clawdbot turn, configured only by the patched catalog and the guarded
// auth store, is answered by the real Ollama; then SIGTERM stops it all
// with exit status 0 and no process left behind.
func TestRunWithRealClawdbot(t *testing.T) {
	bin := e2eBuild(t)
	node := e2eNode22(t)
	entry := e2eClawdbotEntry(t)
	ol := ollamatest.Start(t)

	home := t.TempDir()
	install := filepath.Join(home, "clawdbot")
	if out, err := exec.Command("cp", "-al", os.Getenv("CLAWBRIDGE_CLAWDBOT_DIR"), install).CombinedOutput(); err != nil {
		t.Fatalf("copy the Clawdbot install: %v\n%s", err, out)
	}
	state := filepath.Join(home, ".clawdbot")
	agentDir := filepath.Join(state, "agents", "main", "agent")
	if err := os.MkdirAll(agentDir, 0o700); err != nil {
		t.Fatal(err)
	}
	e2eWriteJSON(t, filepath.Join(state, "clawdbot.json"), map[string]any{
		"agents": map[string]any{"defaults": map[string]any{
			"model": map[string]any{"primary": "anthropic/claude-sonnet-4-5"},
		}},
	})
	authFile := filepath.Join(agentDir, "auth-profiles.json")
	e2eWriteJSON(t, authFile, map[string]any{
		"version": 1,
		"profiles": map[string]any{
			"anthropic:default": map[string]any{"type": "api_key", "provider": "anthropic", "key": e2eMasterKey},
			"anthropic:claude-cli": map[string]any{"type": "oauth", "provider": "anthropic",
				"access": "sk-ant-oat01-not-a-real-token", "refresh": "sk-ant-ort01-not-a-real-token", "expires": 4102444800000},
		},
	})

	listen := fmt.Sprintf("127.0.0.1:%d", e2eFreePort(t))
	gwPort := e2eFreePort(t)
	cfgPath := filepath.Join(home, "clawbridge.yaml")
	gatewayEntry := filepath.Join(filepath.Dir(entry), "index.js")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(`model_list:
  - model_name: claude-*
    litellm_params: {model: ollama/%s, api_base: %s}
general_settings:
  master_key: %s
clawbridge:
  listen: %s
  patcher:
    dirs: [%s]
    global: false
  guard:
    state_dirs: [%s]
  notifications:
    enabled: false
  gateway:
    enabled: true
    port: %d
    command: [%s, %s, gateway, --port, "%d", --allow-unconfigured]
`, ollamatest.ModelTiny, ol.URL, e2eMasterKey, listen, install, state, gwPort, node, gatewayEntry, gwPort)), 0o600); err != nil {
		t.Fatal(err)
	}

	log := &e2eLogBuffer{}
	cmd := exec.Command(bin, "run", "--no-tray", "--config", cfgPath)
	cmd.Env = append(e2eCleanEnv(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_STATE_HOME="+filepath.Join(home, ".state"), "DBUS_SESSION_BUS_ADDRESS=", "DISPLAY=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("clawbridge log:\n%s", log.String())
		}
	})
	first, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(first) != "listening on http://"+listen {
		t.Fatalf("first line %q, want listening on http://%s", first, listen)
	}

	// status, as a user runs it, until everything is in place.
	status := func() (*daemon.State, int) {
		out, err := exec.Command(bin, "status", "--json", "--config", cfgPath).Output()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		var st daemon.State
		if json.Unmarshal(out, &st) != nil {
			return nil, code
		}
		return &st, code
	}
	var st *daemon.State
	deadline := time.Now().Add(2 * time.Minute) // hang guard
	for {
		var code int
		st, code = status()
		if st != nil && code == 0 && st.Healthy() && st.Gateway.Running && len(st.Patcher.Targets) > 0 && len(st.Guard.Dirs) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon not healthy within 2 minutes; last status (exit %d): %+v", code, st)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, tg := range st.Patcher.Targets {
		if !strings.HasPrefix(tg.File, install) || tg.Patched != tg.URLs || tg.URLs == 0 {
			t.Errorf("target %+v", tg)
		}
	}
	orig := filepath.Join(os.Getenv("CLAWBRIDGE_CLAWDBOT_DIR"), strings.TrimPrefix(st.Patcher.Targets[0].File, install))
	if data, err := os.ReadFile(orig); err != nil || strings.Contains(string(data), "http://"+listen) {
		t.Errorf("the provisioned install was patched through the hard link (%v)", err)
	}

	// A Clawdbot turn, configured by nothing but the patch and the guard.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	turn := exec.CommandContext(ctx, node, filepath.Join(install, "node_modules", "clawdbot", "dist", "entry.js"),
		"agent", "--local", "--session-id", "t", "--message", "hello", "--json", "--timeout", "180")
	turn.Dir = home
	turn.Env = append(e2eCleanEnv(), "HOME="+home, "PATH="+filepath.Dir(node)+string(os.PathListSeparator)+os.Getenv("PATH"), "NO_COLOR=1")
	turn.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	turn.Cancel = func() error { return syscall.Kill(-turn.Process.Pid, syscall.SIGKILL) }
	var out, errOut bytes.Buffer
	turn.Stdout, turn.Stderr = &out, &errOut
	if err := turn.Run(); err != nil {
		t.Fatalf("clawdbot agent: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	raw, err := e2eFirstJSON(out.Bytes())
	if err != nil {
		t.Fatalf("clawdbot agent --json: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	var res struct {
		Payloads []struct{ Text string } `json:"payloads"`
	}
	json.Unmarshal(raw, &res)
	if len(res.Payloads) == 0 || res.Payloads[0].Text != ollamatest.ReplyDefault {
		t.Fatalf("Clawdbot replied %s; want %q (stderr:\n%s)", raw, ollamatest.ReplyDefault, errOut.String())
	}
	if st, _ := status(); st == nil || st.Translator.Requests == 0 {
		t.Errorf("the daemon counted no request: %+v", st)
	}

	// SIGTERM: a clean exit, and nothing left of the gateway.
	gwPID := st.Gateway.PID
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("clawbridge run exited with %v after SIGTERM", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("clawbridge run did not exit within 60s of SIGTERM")
	}
	if err := syscall.Kill(-gwPID, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("gateway process group %d still alive after the daemon exited", gwPID)
	}
	if _, code := status(); code != 3 {
		t.Errorf("status after exit: code %d, want 3 (not running)", code)
	}
}
