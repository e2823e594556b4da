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

	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// e2eHome is a throwaway HOME holding a real Clawdbot install (a
// hard-linked copy of the provisioned one: clawbridge writes by rename, so
// patching the copy leaves the original alone) and a Clawdbot state
// directory.
type e2eHome struct {
	dir, install, state, authFile string
}

func newE2EHome(t *testing.T) *e2eHome {
	t.Helper()
	h := &e2eHome{dir: t.TempDir()}
	h.install = filepath.Join(h.dir, "clawdbot")
	e2eClawdbotEntry(t) // fails clearly when Clawdbot is not provisioned
	if out, err := exec.Command("cp", "-al", os.Getenv("CLAWBRIDGE_CLAWDBOT_DIR"), h.install).CombinedOutput(); err != nil {
		t.Fatalf("copy the Clawdbot install: %v\n%s", err, out)
	}
	h.state = filepath.Join(h.dir, ".clawdbot")
	agentDir := filepath.Join(h.state, "agents", "main", "agent")
	if err := os.MkdirAll(agentDir, 0o700); err != nil {
		t.Fatal(err)
	}
	e2eWriteJSON(t, filepath.Join(h.state, "clawdbot.json"), map[string]any{
		"agents": map[string]any{"defaults": map[string]any{
			"model": map[string]any{"primary": "anthropic/claude-sonnet-4-5"},
		}},
	})
	h.authFile = filepath.Join(agentDir, "auth-profiles.json")
	return h
}

// e2eDaemon is a running `clawbridge run --no-tray`.
type e2eDaemon struct {
	bin, cfgPath, listen string
	cmd                  *exec.Cmd
	exited               chan error
	stopped              bool
}

// startE2EDaemon writes config (with %LISTEN% replaced by a free
// address) and runs the daemon with HOME set to home.
func startE2EDaemon(t *testing.T, bin, home, config string) *e2eDaemon {
	t.Helper()
	d := &e2eDaemon{bin: bin, cfgPath: filepath.Join(home, "clawbridge.yaml"), exited: make(chan error, 1),
		listen: fmt.Sprintf("127.0.0.1:%d", e2eFreePort(t))}
	if err := os.WriteFile(d.cfgPath, []byte(strings.ReplaceAll(config, "%LISTEN%", d.listen)), 0o600); err != nil {
		t.Fatal(err)
	}
	log := newE2ELog()
	d.cmd = exec.Command(bin, "run", "--no-tray", "--debug", "--config", d.cfgPath)
	d.cmd.Env = append(e2eCleanEnv(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_STATE_HOME="+filepath.Join(home, ".state"), "DBUS_SESSION_BUS_ADDRESS=", "DISPLAY=")
	stdout, err := d.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	d.cmd.Stderr = log
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.exited <- d.cmd.Wait() }()
	t.Cleanup(func() {
		if !d.stopped {
			d.cmd.Process.Kill()
			<-d.exited
		}
		if t.Failed() {
			t.Logf("clawbridge log:\n%s", log.String())
		}
	})
	first, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(first) != "listening on http://"+d.listen {
		t.Fatalf("first line %q, want listening on http://%s\nlog:\n%s", first, d.listen, log.String())
	}
	return d
}

// status runs `clawbridge status --json` as a user would.
func (d *e2eDaemon) status() (*status.State, int) {
	out, err := exec.Command(d.bin, "status", "--json", "--config", d.cfgPath).Output()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	}
	var st status.State
	if json.Unmarshal(out, &st) != nil {
		return nil, code
	}
	return &st, code
}

// waitStatus polls status until ok accepts it.
func (d *e2eDaemon) waitStatus(t *testing.T, what string, ok func(*status.State, int) bool) *status.State {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute) // hang guard
	for {
		st, code := d.status()
		if st != nil && ok(st, code) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last status (exit %d): %+v", what, code, st)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stop sends SIGTERM and checks for a clean exit.
func (d *e2eDaemon) stop(t *testing.T) {
	t.Helper()
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.exited:
		d.stopped = true
		if err != nil {
			t.Errorf("clawbridge run exited with %v after SIGTERM", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("clawbridge run did not exit within 60s of SIGTERM")
	}
}

// e2eAgentTurn runs one `clawdbot agent --local` turn from the install in
// h and returns its reply text (empty when the turn failed) and output.
func e2eAgentTurn(t *testing.T, node string, h *e2eHome, extraEnv ...string) (reply string, output string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	turn := exec.CommandContext(ctx, node, filepath.Join(h.install, "node_modules", "clawdbot", "dist", "entry.js"),
		"agent", "--local", "--session-id", "t", "--message", "hello", "--json", "--timeout", "180")
	turn.Dir = h.dir
	turn.Env = append(append(e2eCleanEnv(), "HOME="+h.dir, "PATH="+filepath.Dir(node)+string(os.PathListSeparator)+os.Getenv("PATH"), "NO_COLOR=1"), extraEnv...)
	turn.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	turn.Cancel = func() error { return syscall.Kill(-turn.Process.Pid, syscall.SIGKILL) }
	var out, errOut bytes.Buffer
	turn.Stdout, turn.Stderr = &out, &errOut
	err := turn.Run()
	output = fmt.Sprintf("exit: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	if err != nil {
		t.Fatalf("clawdbot agent: %s", output)
	}
	raw, err := e2eFirstJSON(out.Bytes())
	if err != nil {
		return "", output
	}
	var res struct {
		Payloads []struct{ Text string } `json:"payloads"`
	}
	json.Unmarshal(raw, &res)
	var texts []string
	for _, p := range res.Payloads {
		texts = append(texts, p.Text)
	}
	return strings.Join(texts, "\n"), output
}

// TestRunWithRealClawdbot is the whole product in one go: `clawbridge run`
// with a real Clawdbot install whose auth store Claude-CLI sync has taken
// over. The daemon must patch pi-ai's catalog, pin the local key, serve
// the translator and run the gateway; then a real Clawdbot turn,
// configured only by the patched catalog and the guarded auth store, is
// answered by the real Ollama; then SIGTERM stops it all with exit status
// 0 and no process left behind.
func TestRunWithRealClawdbot(t *testing.T) {
	bin := e2eBuild(t)
	node := e2eNode22(t)
	entry := e2eClawdbotEntry(t)
	ol := ollamatest.Start(t)
	h := newE2EHome(t)
	e2eWriteJSON(t, h.authFile, map[string]any{
		"version": 1,
		"profiles": map[string]any{
			"anthropic:default": map[string]any{"type": "api_key", "provider": "anthropic", "key": e2eMasterKey},
			"anthropic:claude-cli": map[string]any{"type": "oauth", "provider": "anthropic",
				"access": "sk-ant-oat01-not-a-real-token", "refresh": "sk-ant-ort01-not-a-real-token", "expires": 4102444800000},
		},
	})
	gwPort := e2eFreePort(t)
	d := startE2EDaemon(t, bin, h.dir, fmt.Sprintf(`model_list:
  - model_name: claude-*
    litellm_params: {model: ollama/%s, api_base: %s}
general_settings:
  master_key: %s
clawbridge:
  listen: %%LISTEN%%
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
`, ollamatest.ModelTiny, ol.URL, e2eMasterKey, h.install, h.state, gwPort, node, filepath.Join(filepath.Dir(entry), "index.js"), gwPort))

	st := d.waitStatus(t, "a healthy daemon", func(st *status.State, code int) bool {
		return code == 0 && st.Healthy() && st.Gateway.Running && len(st.Patcher.Targets) > 0 && len(st.Guard.Dirs) > 0
	})
	for _, tg := range st.Patcher.Targets {
		if !strings.HasPrefix(tg.File, h.install) || tg.Patched != tg.URLs || tg.URLs == 0 {
			t.Errorf("target %+v", tg)
		}
	}
	orig := filepath.Join(os.Getenv("CLAWBRIDGE_CLAWDBOT_DIR"), strings.TrimPrefix(st.Patcher.Targets[0].File, h.install))
	if data, err := os.ReadFile(orig); err != nil || strings.Contains(string(data), "http://"+d.listen) {
		t.Errorf("the provisioned install was patched through the hard link (%v)", err)
	}

	// A Clawdbot turn, configured by nothing but the patch and the guard.
	if reply, out := e2eAgentTurn(t, node, h); reply != ollamatest.ReplyDefault {
		t.Fatalf("Clawdbot replied %q; want %q\n%s", reply, ollamatest.ReplyDefault, out)
	}
	if st, _ := d.status(); st == nil || st.Translator.Requests == 0 {
		t.Errorf("the daemon counted no request: %+v", st)
	}

	// SIGTERM: a clean exit, and nothing left of the gateway.
	d.stop(t)
	if err := syscall.Kill(-st.Gateway.PID, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("gateway process group %d still alive after the daemon exited", st.Gateway.PID)
	}
	if _, code := d.status(); code != 3 {
		t.Errorf("status after exit: code %d, want 3 (not running)", code)
	}
}
