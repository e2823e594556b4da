package daemon

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/admin"
	"github.com/clawbridge/clawbridge/daemon/doctor"
	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

func findCheck(t *testing.T, r doctor.Report, name string) doctor.Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", name, r.Checks)
	return doctor.Check{}
}

// askDaemon is how the CLI gives the doctor the live state: through the
// admin endpoint of the daemon of runtimeDir.
func askDaemon(runtimeDir string) func(context.Context) *status.State {
	return func(ctx context.Context) *status.State {
		st, _ := admin.LiveState(ctx, runtimeDir)
		return st
	}
}

// TestDoctor runs the doctor against the real Ollama, running and then
// stopped, with a model that is not pulled and one without tools.
func TestDoctor(t *testing.T) {
	ol := ollamatest.Start(t)
	w := newWorld(t, ol.URL, "")
	cfg, _ := os.ReadFile(w.configPath)
	mustWrite(t, w.configPath, strings.Replace(string(cfg), "general_settings:", fmt.Sprintf(`  - model_name: claude-haiku-4-5
    litellm_params: {model: ollama/%[2]s, api_base: %[1]s}
  - model_name: claude-opus-4-5
    litellm_params: {model: ollama/not-pulled:1b, api_base: %[1]s}
  - model_name: claude-3-haiku
    litellm_params: {model: ollama/%[3]s, api_base: %[1]s}
    model_info: {supports_function_calling: false}
general_settings:`, ol.URL, ollamatest.ModelNoTools, ollamatest.ModelPlain), 1)+"  listen: 127.0.0.1:"+fmt.Sprint(freePort(t))+"\n")
	noGlobal := false
	runtimeDir := t.TempDir()
	opts := doctor.Options{ConfigPath: w.configPath, Live: askDaemon(runtimeDir), Home: w.home,
		Getenv: func(string) string { return "" }, IncludeGlobal: &noGlobal, GatewayPorts: []int{freePort(t)},
		Service: func() (doctor.ServiceStatus, error) { return doctor.ServiceStatus{}, nil }}

	r := doctor.Run(context.Background(), opts)
	if r.OK() {
		t.Fatalf("doctor passed a broken setup: %+v", r.Checks)
	}
	want := []struct {
		name   string
		ok     bool
		detail string // part of Detail
		fix    string // part of Fix
	}{
		{"config", true, "model names", ""},
		{"translator", false, "is free but clawbridge is not running", "clawbridge start"},
		{"ollama " + ol.URL, true, "Ollama 0.17.4", ""},
		{"model " + ollamatest.ModelTiny, true, "supports tools", ""},
		{"model " + ollamatest.ModelNoTools, false, "cannot call tools", "supports_function_calling: false"},
		{"model not-pulled:1b", false, "not pulled", `(or "Pull not-pulled:1b" in the menu)`},
		{"model " + ollamatest.ModelPlain, true, "chat only", ""},
		{"pi-ai 0.49.3 patch", false, "0/", "start the daemon"},
		{"auth profiles", false, "uses anthropic:claude-cli", "clawbridge guard --fix"},
		{"service", false, "not installed", "clawbridge install"},
	}
	for _, w := range want {
		c := findCheck(t, r, w.name)
		if c.OK != w.ok || !strings.Contains(c.Detail, w.detail) || !strings.Contains(c.Fix, w.fix) {
			t.Errorf("%s: got %+v\nwant ok=%v detail~%q fix~%q", w.name, c, w.ok, w.detail, w.fix)
		}
	}

	// With the daemon running, the patch and the guard pass; with Ollama
	// stopped, the backend check says how to start it.
	d := startDaemon(t, w, Options{RuntimeDir: runtimeDir})
	waitFor(t, "the patch", func() bool {
		tg := d.State().Patcher.Targets
		return len(tg) == 1 && tg[0].URLs > 0 && tg[0].Patched == tg[0].URLs
	})
	waitFor(t, "the guard", func() bool { g := d.State().Guard.Dirs; return len(g) == 1 && g[0].Held })
	if err := ol.Stop(); err != nil {
		t.Fatal(err)
	}
	r = doctor.Run(context.Background(), opts)
	for _, name := range []string{"translator", "pi-ai 0.49.3 patch", "auth profiles"} {
		if c := findCheck(t, r, name); !c.OK {
			t.Errorf("%s with the daemon running: %+v", name, c)
		}
	}
	if c := findCheck(t, r, "ollama "+ol.URL); c.OK || !strings.Contains(c.Detail, "not answering") || !strings.Contains(c.Fix, "ollama serve") {
		t.Errorf("stopped Ollama: %+v", c)
	}
	if findCheck(t, r, "translator").Detail == "" || !strings.Contains(findCheck(t, r, "translator").Detail, d.State().Translator.Addr) {
		t.Errorf("translator check does not name the address: %+v", findCheck(t, r, "translator"))
	}
}
