//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// TestOpenClawReleases is issue #15's acceptance test: for Clawdbot and
// every provisioned OpenClaw release, a new user's machine with nothing
// but
//
//   - the app installed with pnpm (a real install from the shared store,
//     inside the fresh HOME),
//   - the app's config naming a Claude model (agents.defaults.model.primary),
//   - a Claude-CLI login (~/.claude/.credentials.json), and
//   - `clawbridge run`, told where the install is (patcher.dirs),
//
// must get its agent turns answered by the real Ollama through clawbridge,
// proven by the reply and by clawbridge's request counter:
//
//  1. a first turn;
//  2. after reinstalling the package (`pnpm install --force`, which puts
//     every file back from the store), a second turn;
//  3. after OpenClaw's own `doctor --fix` (which rewrites the config and,
//     on 2026.9.6, copies keys into its SQLite store), a third turn.
//
// Each release is a subtest, so one failing release does not hide the
// others. docs/openclaw-releases.md says what each release needs.
func TestOpenClawReleases(t *testing.T) {
	apps := e2eApps(t)
	pnpm := e2ePNPM(t)
	bin := e2eBuild(t)
	ol := ollamatest.Start(t)
	for _, app := range apps {
		t.Run(strings.ReplaceAll(app.label(), " ", "-"), func(t *testing.T) {
			e2eOpenClawAcceptance(t, app, bin, pnpm, ol.URL)
		})
	}
}

// e2eOpenClawAcceptance runs the three steps for one release.
func e2eOpenClawAcceptance(t *testing.T, app e2eApp, bin, pnpm, ollamaURL string) {
	home := t.TempDir()
	install := filepath.Join(home, app.name+"-install")
	e2ePNPMInstall(t, app, pnpm, home, install, false)
	model := e2eClaudeModel(t, app, install)

	e2eNewAppUser(t, app, home, model)

	d := startE2EDaemon(t, bin, home, fmt.Sprintf(`model_list:
  - model_name: claude-*
    litellm_params: {model: ollama/%s, api_base: %s}
general_settings:
  master_key: %s
clawbridge:
  listen: %%LISTEN%%
  patcher:
    dirs: [%s]
    global: false
  notifications:
    enabled: false
  gateway:
    enabled: false
`, ollamatest.ModelTiny, ollamaURL, e2eMasterKey, install))

	turn := func(step string) {
		t.Helper()
		e2eWaitRouted(t, d)
		before := e2eRequests(d)
		reply, out := e2eAppTurn(t, app, home, install)
		after := e2eRequests(d)
		if reply != ollamatest.ReplyDefault || after <= before {
			t.Fatalf("%s, %s: the turn for anthropic/%s was not answered by Ollama through clawbridge: reply %q (want %q), clawbridge's request count %d -> %d (want an increase)\n%s\nclawbridge status --json:\n%s",
				app.label(), step, model, reply, ollamatest.ReplyDefault, before, after, out, e2eStatusJSON(d))
		}
	}

	turn("step 1 (fresh install)")

	e2ePNPMInstall(t, app, pnpm, home, install, true)
	turn("step 2 (after `pnpm install --force` reinstalled the package)")

	e2eAppCommand(t, app, home, install, "step 3", "doctor", "--fix", "--non-interactive", "--yes")
	turn("step 3 (after `" + app.name + " doctor --fix`)")
}

// e2ePNPMInstall installs the app into dir the way the provisioning did
// (the provisioned wrapper's package.json, .npmrc and lockfile, offline
// from the shared pnpm store), or with force reinstalls every package
// there. A real install, not a hard-linked copy: OpenClaw 2026.5.7 refuses
// to load bundled plugin files with more than one link, in the copy and in
// the original alike (docs/openclaw-releases.md).
func e2ePNPMInstall(t *testing.T, app e2eApp, pnpm, home, dir string, force bool) {
	t.Helper()
	if !force {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"package.json", ".npmrc", "pnpm-lock.yaml"} {
			data, err := os.ReadFile(filepath.Join(app.wrapper, name))
			if err != nil {
				t.Fatalf("%s: the provisioned wrapper project: %v", app.label(), err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	args := []string{"install", "--offline", "--frozen-lockfile", "--reporter=append-only", "--config.loglevel=warn"}
	what := "install"
	if force {
		args = append(args, "--force")
		what = "reinstall (pnpm install --force)"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // hang guard
	defer cancel()
	cmd := exec.CommandContext(ctx, pnpm, args...)
	cmd.Dir = dir
	cmd.Env = append(e2eCleanEnv(), "HOME="+home, "XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "XDG_STATE_HOME="+filepath.Join(home, ".state"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %s into %s: %v\n%s", app.label(), what, dir, err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, app.entry())); err != nil {
		t.Fatalf("%s: after the %s: %v", app.label(), what, err)
	}
}

// e2eNewAppUser sets up home as a new user's: the app's config naming
// anthropic/model as the agents' model, and a Claude-CLI login.
func e2eNewAppUser(t *testing.T, app e2eApp, home, model string) {
	t.Helper()
	state := filepath.Join(home, app.stateDir())
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	e2eWriteJSON(t, filepath.Join(state, app.configFile()), map[string]any{
		"agents": map[string]any{"defaults": map[string]any{
			"model": map[string]any{"primary": "anthropic/" + model},
		}},
	})
	e2eFakeClaudeLogin(t, home)
}

// e2eFakeClaudeLogin writes a Claude-CLI login in the format OpenClaw
// reads (readClaudeCliCredentials: claudeAiOauth with accessToken,
// refreshToken, expiresAt in ms), with tokens that no server accepts.
func e2eFakeClaudeLogin(t *testing.T, home string) {
	t.Helper()
	dir := filepath.Join(home, ".claude")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	e2eWriteJSON(t, filepath.Join(dir, ".credentials.json"), map[string]any{
		"claudeAiOauth": map[string]any{
			"accessToken":      "sk-ant-oat01-clawbridge-e2e-not-a-real-token",
			"refreshToken":     "sk-ant-ort01-clawbridge-e2e-not-a-real-token",
			"expiresAt":        time.Now().Add(30 * 24 * time.Hour).UnixMilli(),
			"scopes":           []string{"user:inference", "user:profile"},
			"subscriptionType": "max",
		},
	})
}

// e2eAppEnv is the environment the app runs in: the fresh HOME, its Node
// first on PATH, nothing that would send it elsewhere.
func e2eAppEnv(app e2eApp, home string) []string {
	return append(e2eCleanEnv(), "HOME="+home, "NO_COLOR=1",
		"PATH="+filepath.Dir(app.node)+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// e2eAppRun runs the app's CLI in its own process group (it re-executes
// itself and starts workers) with a hang guard, and returns its exit error
// and everything it printed.
func e2eAppRun(app e2eApp, home, install string, timeout time.Duration, args ...string) (stdout []byte, output string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, app.node, append([]string{filepath.Join(install, app.entry())}, args...)...)
	cmd.Dir = home
	cmd.Env = e2eAppEnv(app, home)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	exit := "exit status 0"
	if err != nil {
		exit = err.Error()
	}
	output = fmt.Sprintf("%s %s: %s\nstdout (last 80 lines):\n%s\nstderr (last 40 lines):\n%s",
		app.name, strings.Join(args, " "), exit, e2eTail(out.String(), 80), e2eTail(errOut.String(), 40))
	return out.Bytes(), output, err
}

// e2eAppCommand runs one app command that must succeed.
func e2eAppCommand(t *testing.T, app e2eApp, home, install, step string, args ...string) {
	t.Helper()
	if _, out, err := e2eAppRun(app, home, install, 5*time.Minute, args...); err != nil {
		t.Fatalf("%s, %s: %s %s failed\n%s", app.label(), step, app.name, strings.Join(args, " "), out)
	}
}

// e2eAppTurn runs one `agent --local` turn and returns the reply (empty
// when the turn failed; OpenClaw then exits 1 with an error object) and a
// report of what the app printed.
func e2eAppTurn(t *testing.T, app e2eApp, home, install string) (reply, report string) {
	t.Helper()
	stdout, report, _ := e2eAppRun(app, home, install, 4*time.Minute,
		"agent", "--local", "--session-id", "t", "--message", "hello", "--json", "--timeout", "180")
	raw, err := e2eFirstJSON(stdout)
	if err != nil {
		return "", report
	}
	var res struct {
		Payloads []struct{ Text string }   `json:"payloads"`
		Error    *struct{ Message string } `json:"error"`
	}
	if json.Unmarshal(raw, &res) != nil {
		return "", report
	}
	if res.Error != nil {
		report = "the app's error: " + res.Error.Message + "\n" + report
	}
	var texts []string
	for _, p := range res.Payloads {
		texts = append(texts, p.Text)
	}
	return strings.Join(texts, "\n"), report
}

// e2eStatusJSON is `clawbridge status --json`, or why there is none.
func e2eStatusJSON(d *e2eDaemon) string {
	out, err := exec.Command(d.bin, "status", "--json", "--config", d.cfgPath).Output()
	if len(bytes.TrimSpace(out)) == 0 {
		return fmt.Sprintf("(no status: %v)", err)
	}
	return string(out)
}

// e2eStatus is the part of the status this test reads: the request
// counter, and each catalog target's URL counts.
type e2eStatus struct {
	Translator struct {
		Requests int64 `json:"requests"`
	} `json:"translator"`
	Patcher struct {
		Targets []struct {
			URLs    int `json:"urls"`
			Patched int `json:"patched"`
		} `json:"targets"`
		Installs []struct {
			State string `json:"state"`
		} `json:"installs"`
	} `json:"patcher"`
}

// e2eReadStatus decodes the status, nil when the daemon does not answer.
func e2eReadStatus(d *e2eDaemon) *e2eStatus {
	out, _ := exec.Command(d.bin, "status", "--json", "--config", d.cfgPath).Output()
	var st e2eStatus
	if json.Unmarshal(out, &st) != nil {
		return nil
	}
	return &st
}

// e2eRequests is clawbridge's count of API requests served, -1 when the
// daemon does not answer.
func e2eRequests(d *e2eDaemon) int64 {
	if st := e2eReadStatus(d); st != nil {
		return st.Translator.Requests
	}
	return -1
}

// e2eWaitRouted gives the daemon time to notice what the previous step
// changed (an install, a reinstall, a config rewrite): at least the
// watcher's settle time, then until it reports an install and neither
// an install nor a catalog target still waits for its route. Whether the
// route works is the turn's to prove;
// this only keeps the turn from racing the daemon.
func e2eWaitRouted(t *testing.T, d *e2eDaemon) {
	t.Helper()
	time.Sleep(3 * time.Second)
	deadline := time.Now().Add(60 * time.Second) // hang guard
	for time.Now().Before(deadline) {
		if st := e2eReadStatus(d); st != nil && len(st.Patcher.Installs) > 0 {
			pending := false
			for _, tg := range st.Patcher.Targets {
				if tg.Patched < tg.URLs {
					pending = true
				}
			}
			for _, in := range st.Patcher.Installs {
				if in.State != "patched" {
					pending = true
				}
			}
			if !pending {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("after 60s the daemon still reports an install not routed; running the turn anyway:\n%s", e2eStatusJSON(d))
}

// e2eTail returns the last n lines of s.
func e2eTail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[%d lines before]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
