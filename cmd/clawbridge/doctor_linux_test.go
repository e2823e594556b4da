//go:build linux

package main

// The passing run needs the login agent installed and running, which
// only Linux's service backend lets a test fake (servicetest's systemctl).

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon"
	"github.com/clawbridge/clawbridge/daemon/doctor"
	"github.com/clawbridge/clawbridge/daemon/service/servicetest"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// TestDoctorCommandPasses sets up everything the doctor asks for, the
// way a user would: a real Ollama with the mapped model pulled, pi-ai
// patched by `clawbridge patch`, the auth store pinned by `clawbridge
// guard --fix`, the login agent installed by `clawbridge install` (a fake
// systemctl stands in for the systemd user session) and, last, clawbridge
// running. Before it runs, the translator is the one failure; after, the
// doctor exits 0 with "All N checks passed." in text and all ok in JSON,
// without printing the master key.
func TestDoctorCommandPasses(t *testing.T) {
	isolateHome(t)
	sc := servicetest.New(t)
	home := sc.Home
	ol := ollamatest.Start(t)

	_, catalog := piAIInstallAt(t, filepath.Join(home, "bot"))
	store := writeAuthStore(t, filepath.Join(home, "state", "agents", "main", "agent"), "claude-sync.in.json")
	listen := fmt.Sprintf("127.0.0.1:%d", e2eFreePort(t))
	cfgPath := filepath.Join(home, "clawbridge", "config.yaml")
	writeDoctorConfig(t, cfgPath, ol.URL, listen)

	if code, stdout, stderr := runCLI("patch", "-clawbridge-config", cfgPath); code != 0 {
		t.Fatalf("patch: exit %d\n%s%s", code, stdout, stderr)
	}
	if b, _ := os.ReadFile(catalog); strings.Count(string(b), `baseUrl: "http://`+listen+`"`) != 6 {
		t.Fatalf("patch did not point the catalog's 6 Anthropic URLs at http://%s", listen)
	}
	if code, stdout, stderr := runCLI("guard", "-config", cfgPath, "--fix"); code != 0 {
		t.Fatalf("guard --fix: exit %d\n%s%s", code, stdout, stderr)
	}
	if got := pinnedKey(t, store); got != doctorMasterKey {
		t.Fatalf("guard --fix pinned %q, want the key the daemon pins", got)
	}
	useStandInExecutable(t)
	if code, stdout, stderr := runCLI("install", "--config", cfgPath); code != 0 {
		t.Fatalf("install: exit %d\n%s%s", code, stdout, stderr)
	}
	if calls := sc.Calls(t); !slices.Contains(calls, "start --user clawbridge.service") {
		t.Fatalf("install did not start the agent: systemctl calls %q", calls)
	}

	// Everything but clawbridge itself: the translator is the one failure.
	before := runDoctorCLI(t, "--config", cfgPath, "--json")
	r := doctorJSON(t, before.stdout)
	if got := failedNames(r); before.code != 1 || !slices.Equal(got, []string{"translator"}) {
		t.Fatalf("before clawbridge runs: exit %d, failed %q; want 1 and only the translator\n%s", before.code, got, before.stdout)
	}
	for name, detail := range map[string]string{
		"ollama " + ol.URL:              "Ollama ",
		"model " + ollamatest.ModelTiny: "pulled, supports tools",
		"pi-ai 0.49.3 patch":            "6/6 Anthropic URLs point at http://" + listen,
		"auth profiles":                 "Clawdbot uses anthropic:default",
		"service":                       "installed; starts at login",
		"translator":                    listen + " is free but clawbridge is not running",
		"config":                        cfgPath,
	} {
		i := slices.IndexFunc(r.Checks, func(c doctor.Check) bool { return c.Name == name })
		if i < 0 || !strings.Contains(r.Checks[i].Detail, detail) {
			t.Errorf("no check %q with detail ~%q:\n%s", name, detail, before.stdout)
		}
	}

	d := startQuietDaemon(t, daemon.Options{ConfigPath: cfgPath, Home: home})
	if got := d.State().Translator.Addr; got != listen {
		t.Fatalf("the daemon serves %q, want the config's %s", got, listen)
	}

	text := runDoctorCLI(t, "--config", cfgPath)
	js := runDoctorCLI(t, "--config", cfgPath, "--json")
	noKey(t, doctorMasterKey, before, text, js)
	if text.code != 0 || js.code != 0 || text.stderr != "" || js.stderr != "" {
		t.Fatalf("with everything in place: exit %d (text), %d (--json); want 0\n%s%s%s%s", text.code, js.code, text.stdout, text.stderr, js.stdout, js.stderr)
	}
	r = doctorJSON(t, js.stdout)
	for _, c := range r.Checks {
		if !c.OK || c.Fix != "" {
			t.Errorf("check %+v: want ok and no fix", c)
		}
	}
	// Every check ran: gateway lines appear only for a port in use (with
	// clawbridge's gateway off, another gateway there is only noted), and
	// "files" because a daemon runs.
	var names []string
	for _, c := range r.Checks {
		if c.Name != "gateway" {
			names = append(names, c.Name)
		}
	}
	if want := []string{"config", "translator", "ollama " + ol.URL, "model " + ollamatest.ModelTiny, "pi-ai 0.49.3 patch", "auth profiles", "files", "service"}; !slices.Equal(names, want) {
		t.Errorf("checks %q (besides gateway), want %q", names, want)
	}
	checks, _, summary := doctorLines(t, text.stdout)
	if len(checks) != len(r.Checks) {
		t.Errorf("text lists %d checks, --json %d:\n%s", len(checks), len(r.Checks), text.stdout)
	}
	if want := fmt.Sprintf("All %d checks passed.", len(r.Checks)); summary != want {
		t.Errorf("summary %q, want %q\n%s", summary, want, text.stdout)
	}
	if !slices.ContainsFunc(checks, func(l string) bool {
		return strings.HasPrefix(l, "ok    translator: clawbridge (pid ") && strings.HasSuffix(l, " serves http://"+listen)
	}) {
		t.Errorf("no ok line for the running translator at http://%s:\n%s", listen, text.stdout)
	}
}
