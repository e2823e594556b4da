package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// clawbridgeCmd runs one command in process and returns its output and
// exit status.
func clawbridgeCmd(args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	code = dispatch(args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// TestSwitchAndUseWithoutDaemon: with no daemon running, `switch` and
// `use` edit the config file, keeping the user's comments, and the
// listing reads the switches back from it; mistakes are refused.
func TestSwitchAndUseWithoutDaemon(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	cfg := "# my models\nmodel_list:\n  - model_name: claude-sonnet-4-5\n    litellm_params:\n      model: ollama/qwen3:8b # the fast one\n      api_base: http://127.0.0.1:1\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := clawbridgeCmd("switch", "--config", cfgPath, "warmup", "on"); code != 0 || !strings.Contains(out, "warmup is on (saved; no daemon is running") {
		t.Fatalf("switch warmup on: exit %d, %q %q", code, out, errOut)
	}
	if out, errOut, code := clawbridgeCmd("use", "--config", cfgPath, "claude-sonnet-4-5", "llama3.1:8b"); code != 0 || !strings.Contains(out, "claude-sonnet-4-5 now answers from llama3.1:8b") {
		t.Fatalf("use: exit %d, %q %q", code, out, errOut)
	}
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# my models", "model: ollama/llama3.1:8b # the fast one", "warmup: true"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("config lacks %q:\n%s", want, b)
		}
	}
	out, _, code := clawbridgeCmd("switch", "--config", cfgPath)
	if code != 0 || !regexp.MustCompile(`(?m)^warmup +on `).MatchString(out) || !regexp.MustCompile(`(?m)^translator +on `).MatchString(out) ||
		!regexp.MustCompile(`(?m)^gateway +off `).MatchString(out) || !strings.Contains(out, "no daemon running") {
		t.Errorf("switch lists (exit %d):\n%s", code, out)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"switch", "--config", cfgPath, "nope", "on"}, 2, `no switch "nope": the switches are translator, warmup`},
		{[]string{"switch", "--config", cfgPath, "warmup", "maybe"}, 2, `"maybe": say on or off`},
		{[]string{"switch", "--config", cfgPath, "warmup"}, 2, "name a switch and on or off"},
		{[]string{"use", "--config", cfgPath, "claude-sonnet-4-5"}, 2, "name an alias and a model"},
		{[]string{"use", "--config", cfgPath, "claude-nope", "llama3.1:8b"}, 1, "claude-nope"},
	} {
		if _, errOut, code := clawbridgeCmd(tc.args...); code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
}

// TestSwitchAndUseThroughDaemon: with the daemon running, `use` and
// `switch` go through it: its live state shows each change at once, and
// the config file keeps it for the next start.
func TestSwitchAndUseThroughDaemon(t *testing.T) {
	ol := ollamatest.Start(t)
	bin := e2eBuild(t)
	home := t.TempDir()
	d := startE2EDaemon(t, bin, home, fmt.Sprintf(`model_list:
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/%s, api_base: %s}
clawbridge:
  listen: %%LISTEN%%
  patcher: {dirs: [], global: false}
  guard: {enabled: false}
  notifications: {enabled: false}
`, ollamatest.ModelTiny, ol.URL))
	defer d.stop(t)

	out, errOut, code := clawbridgeCmd("use", "--config", d.cfgPath, "claude-sonnet-4-5", ollamatest.ModelAlt)
	if code != 0 || !strings.Contains(out, "applied by the running daemon") {
		t.Fatalf("use: exit %d, %q %q", code, out, errOut)
	}
	st, _ := d.status()
	if st == nil || len(st.Aliases) != 1 || st.Aliases[0].Model != ollamatest.ModelAlt {
		t.Errorf("after use, the daemon's aliases are %+v", st)
	}
	out, errOut, code = clawbridgeCmd("switch", "--config", d.cfgPath, "warmup", "on")
	if code != 0 || !strings.Contains(out, "warmup is on (applied by the running daemon)") {
		t.Fatalf("switch warmup on: exit %d, %q %q", code, out, errOut)
	}
	d.waitStatus(t, "the warm-up switch on", func(st *status.State, _ int) bool { return st.Warmup })
	out, _, code = clawbridgeCmd("switch", "--config", d.cfgPath)
	if code != 0 || !regexp.MustCompile(`(?m)^warmup +on `).MatchString(out) || !regexp.MustCompile(`(?m)^guard +off `).MatchString(out) ||
		strings.Contains(out, "no daemon running") {
		t.Errorf("switch lists (exit %d):\n%s", code, out)
	}
	b, err := os.ReadFile(d.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "model: ollama/"+ollamatest.ModelAlt) || !strings.Contains(string(b), "warmup: true") {
		t.Errorf("the config does not keep the changes:\n%s", b)
	}
}
