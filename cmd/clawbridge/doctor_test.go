package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/doctor"
	"github.com/clawbridge/clawbridge/daemon/service/servicetest"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// doctorRun is one `clawbridge doctor` as a user sees it: the exit status
// dispatch would give (from runDoctor's *exitError), and what it printed.
type doctorRun struct {
	code           int
	stdout, stderr string
}

// runDoctorCLI calls runDoctor itself, so that the test sees the error it
// returns: nil, or an *exitError carrying the status. Any other error is a
// failure of the command, not a report.
func runDoctorCLI(t *testing.T, args ...string) doctorRun {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := runDoctor(args, &stdout, &stderr)
	r := doctorRun{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.code
	default:
		t.Fatalf("doctor %q: %v (not an exit status)\nstdout:\n%s\nstderr:\n%s", args, err, r.stdout, r.stderr)
	}
	return r
}

// doctorLines splits the text report into its check lines (each "ok  " or
// "FAIL" then the check) with the fix line that follows each, and returns
// the summary line. It fails the test on any other shape: a fix after a
// passed check, a FAIL without a fix, or a missing summary.
func doctorLines(t *testing.T, out string) (checks []string, fixes map[int]string, summary string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	fixes = map[int]string{}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "ok    "), strings.HasPrefix(l, "FAIL  "):
			checks = append(checks, l)
		case strings.HasPrefix(l, "      fix: ") && len(checks) > 0 && strings.HasPrefix(checks[len(checks)-1], "FAIL"):
			fixes[len(checks)-1] = strings.TrimPrefix(l, "      fix: ")
		case l == "" && i == len(lines)-2:
			summary = lines[i+1]
			i++
		default:
			t.Fatalf("doctor printed an unexpected line %d %q:\n%s", i+1, l, out)
		}
	}
	for i, c := range checks {
		if strings.HasPrefix(c, "FAIL") && fixes[i] == "" {
			t.Errorf("%q has no fix line:\n%s", c, out)
		}
	}
	if summary == "" {
		t.Fatalf("no summary line after a blank line:\n%s", out)
	}
	return checks, fixes, summary
}

// doctorJSON decodes `doctor --json` strictly: one report, nothing after.
func doctorJSON(t *testing.T, out string) doctor.Report {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	var r doctor.Report
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("doctor --json printed no report: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("doctor --json printed more than one report:\n%s", out)
	}
	if len(r.Checks) == 0 {
		t.Fatalf("doctor --json: no checks:\n%s", out)
	}
	return r
}

// failedNames are the names of the report's failed checks, in order.
func failedNames(r doctor.Report) []string {
	var out []string
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c.Name)
		}
	}
	return out
}

// noKey fails the test when any of the outputs holds the key.
func noKey(t *testing.T, key string, runs ...doctorRun) {
	t.Helper()
	for _, r := range runs {
		if strings.Contains(r.stdout+r.stderr, key) {
			mask := strings.NewReplacer(key, "<the master key>")
			t.Errorf("doctor printed the master key:\nstdout:\n%s\nstderr:\n%s", mask.Replace(r.stdout), mask.Replace(r.stderr))
		}
	}
}

const doctorMasterKey = "sk-doctor-master-0123456789abcdef"

// TestDoctorCommandFails: a setup with an Ollama that does not answer, an
// unpatched pi-ai catalog, a Claude-CLI-synced auth store, clawbridge not
// running and no login agent. `doctor` exits 1, prints a FAIL line and a
// fix for each of exactly those, and counts them in the summary; --json
// reports the same checks and still exits 1. Neither prints the master
// key.
func TestDoctorCommandFails(t *testing.T) {
	home := isolateHome(t)
	if runtime.GOOS == "linux" {
		// No systemd user session is asked; the fake says "not installed".
		home = servicetest.New(t).Home
	}
	piAIInstallAt(t, filepath.Join(home, "bot"))
	writeAuthStore(t, filepath.Join(home, "state", "agents", "main", "agent"), "claude-sync.in.json")
	const backend = "http://127.0.0.1:1"
	listen := fmt.Sprintf("127.0.0.1:%d", e2eFreePort(t))
	cfgPath := filepath.Join(home, "clawbridge", "config.yaml")
	writeDoctorConfig(t, cfgPath, backend, listen)

	text := runDoctorCLI(t, "--config", cfgPath)
	js := runDoctorCLI(t, "--config", cfgPath, "--json")
	noKey(t, doctorMasterKey, text, js)
	if text.code != 1 || js.code != 1 {
		t.Fatalf("exit %d (text), %d (--json); want 1 for a broken setup\n%s%s", text.code, js.code, text.stdout, text.stderr)
	}
	if text.stderr != "" || js.stderr != "" {
		t.Errorf("doctor wrote to stderr:\n%s%s", text.stderr, js.stderr)
	}

	// The JSON report: exactly these fail, each with a fix.
	r := doctorJSON(t, js.stdout)
	wantFailed := []string{"translator", "ollama " + backend, "pi-ai 0.49.3 patch", "auth profiles", "service"}
	if got := failedNames(r); !slices.Equal(got, wantFailed) {
		t.Fatalf("failed checks %q, want %q\n%s", got, wantFailed, js.stdout)
	}
	want := map[string]struct{ detail, fix string }{
		"translator":         {listen + " is free but clawbridge is not running", "clawbridge start"},
		"ollama " + backend:  {"not answering", "start Ollama"},
		"pi-ai 0.49.3 patch": {"0/6 Anthropic URLs point at http://" + listen, "run clawbridge patch once"},
		"auth profiles":      {"uses anthropic:claude-cli", "clawbridge guard --fix"},
		"service":            {"", "clawbridge install"},
	}
	if runtime.GOOS == "linux" {
		want["service"] = struct{ detail, fix string }{"not installed: clawbridge will not start at login", "clawbridge install"}
	}
	for _, c := range r.Checks {
		w, ok := want[c.Name]
		switch {
		case c.Name == "config":
			if !c.OK || !strings.Contains(c.Detail, cfgPath) {
				t.Errorf("config: %+v", c)
			}
		case c.Name == "gateway":
			// Gateway off: another program on 18789 or 18799 is only noted.
			if !c.OK {
				t.Errorf("gateway with clawbridge's gateway off: %+v", c)
			}
		case !ok:
			t.Errorf("unexpected check %+v", c)
		case c.OK || !strings.Contains(c.Detail, w.detail) || !strings.Contains(c.Fix, w.fix):
			t.Errorf("%s: %+v\nwant failed, detail ~%q, fix ~%q", c.Name, c, w.detail, w.fix)
		}
	}

	// The text report: the same checks, a fix under each FAIL, the count.
	checks, fixes, summary := doctorLines(t, text.stdout)
	if len(checks) != len(r.Checks) {
		t.Errorf("text lists %d checks, --json %d:\n%s", len(checks), len(r.Checks), text.stdout)
	}
	if want := fmt.Sprintf("%d of %d checks failed.", len(wantFailed), len(r.Checks)); summary != want {
		t.Errorf("summary %q, want %q", summary, want)
	}
	i := slices.IndexFunc(checks, func(l string) bool { return strings.HasPrefix(l, "FAIL  ollama "+backend+": not answering: ") })
	if i < 0 {
		t.Fatalf("no FAIL line for the backend naming %s:\n%s", backend, text.stdout)
	}
	if !strings.HasPrefix(fixes[i], "start Ollama (ollama serve") {
		t.Errorf("the backend's fix is %q:\n%s", fixes[i], text.stdout)
	}
	nFail := 0
	for _, l := range checks {
		if strings.HasPrefix(l, "FAIL") {
			nFail++
		}
	}
	if nFail != len(wantFailed) {
		t.Errorf("%d FAIL lines, want %d:\n%s", nFail, len(wantFailed), text.stdout)
	}
}

// writeDoctorConfig writes a config mapping claude-sonnet-4-5 to
// ollamatest's tool-capable model at backend, with a master key, the
// translator at listen, and the Clawdbot install (~/bot) and state
// (~/state) the tests lay out; nothing global, no notifications.
func writeDoctorConfig(t *testing.T, path, backend, listen string) {
	t.Helper()
	cfg := fmt.Sprintf(`model_list:
  - model_name: claude-sonnet-4-5
    litellm_params: {model: ollama/%s, api_base: %q}
general_settings:
  master_key: %s
clawbridge:
  listen: %q
  patcher:
    global: false
    dirs: [~/bot]
  guard:
    state_dirs: [~/state]
  notifications:
    enabled: false
`, ollamatest.ModelTiny, backend, doctorMasterKey, listen)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}
