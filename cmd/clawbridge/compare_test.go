//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
	"github.com/clawbridge/clawbridge/patcher/apptest"
)

// cmpRelease is the OpenClaw release the comparison runs.
const cmpRelease = "2026.9.6"

// envCompare names the file the comparison writes; unset, TestCompare
// skips: it takes longer than the rest of the suite together (two
// silences longer than OpenClaw's 300 s first-event watchdog), so only
// `make compare` runs it.
const envCompare = "CLAWBRIDGE_COMPARE"

// TestCompare is issue #19's comparison: the same `openclaw agent
// --local` turns on a real OpenClaw, once through its bundled ollama
// provider and once through clawbridge, both to the same real Ollama
// with the tiny scripted model; each scenario is a failure mode local
// model users report. It writes the scenario × path table to
// $CLAWBRIDGE_COMPARE (docs/comparison.md under `make compare`) and fails
// when clawbridge loses a scenario.
func TestCompare(t *testing.T) {
	out := os.Getenv(envCompare)
	if out == "" {
		t.Skipf("the comparison runs under `make compare` (%s=docs/comparison.md); it takes about 40 minutes", envCompare)
	}
	if !filepath.IsAbs(out) {
		out = filepath.Join("..", "..", out)
	}
	var only *regexp.Regexp
	if s := os.Getenv("CLAWBRIDGE_COMPARE_ONLY"); s != "" {
		only = regexp.MustCompile(s)
	}
	app := cmpApp(t)
	pnpm := e2ePNPM(t)
	bin := e2eBuild(t)
	main, backup := ollamatest.Start(t), ollamatest.Start(t)

	report := cmpReport{release: app.version, node: app.node, ollama: os.Getenv(ollamatest.EnvBin), silence: cmpSilence(t)}
	paths := []func(t *testing.T) *cmpPath{
		func(t *testing.T) *cmpPath { return cmpOllamaPath(t, app, pnpm, main.URL, backup.URL) },
		func(t *testing.T) *cmpPath { return cmpBridgePath(t, app, pnpm, bin, main.URL, backup.URL) },
	}
	for _, setup := range paths {
		p := setup(t)
		report.paths = append(report.paths, p.name)
		for _, sc := range cmpScenarios {
			if only != nil && !only.MatchString(sc.name) {
				continue
			}
			start := time.Now()
			res := sc.run(t, p, report.silence)
			res.took = time.Since(start)
			t.Logf("%s | %s | pass=%v | %s | %s", p.name, sc.name, res.pass, res.took.Round(time.Second), res.evidence)
			report.add(sc.name, p.name, res)
		}
	}
	if err := os.WriteFile(out, []byte(report.markdown()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", out)
	for _, sc := range cmpScenarios {
		if r, ran := report.cells[sc.name+"\x00"+cmpBridgeName]; ran && !r.pass {
			t.Errorf("clawbridge loses %q: %s", sc.name, r.evidence)
		}
	}
}

// cmpApp is the provisioned OpenClaw release the comparison runs.
func cmpApp(t *testing.T) e2eApp {
	t.Helper()
	releases, missing := apptest.OpenClawReleases()
	for _, rel := range releases {
		if rel.Version == cmpRelease {
			return e2eApp{name: "openclaw", version: rel.Version, wrapper: rel.Dir, node: rel.Node}
		}
	}
	e2eMissingPeer(t, fmt.Sprintf("OpenClaw %s is not provisioned (%s)", cmpRelease, strings.Join(missing, "; ")))
	return e2eApp{}
}

// cmpSilence is how long the silence scenario holds the first answer
// back: longer than OpenClaw's first-event watchdog for a local model
// (LOCAL_LLM_FIRST_EVENT_TIMEOUT_MS, 300 s in 2026.9.6). The
// CLAWBRIDGE_COMPARE_SILENCE seconds override it for a quicker look (and
// CLAWBRIDGE_COMPARE_ONLY, a regular expression, picks scenarios).
func cmpSilence(t *testing.T) time.Duration {
	t.Helper()
	if s := os.Getenv("CLAWBRIDGE_COMPARE_SILENCE"); s != "" {
		var n int
		if _, err := fmt.Sscan(s, &n); err != nil || n <= 0 {
			t.Fatalf("CLAWBRIDGE_COMPARE_SILENCE=%q: want a number of seconds", s)
		}
		return time.Duration(n) * time.Second
	}
	return 310 * time.Second
}

// The two paths' names, as the table heads them.
const (
	cmpOllamaName = "OpenClaw ollama provider"
	cmpBridgeName = "clawbridge"
)

// cmpPath is one way OpenClaw reaches Ollama: a fresh HOME with its own
// install and config, and the proxies in front of the main and the
// backup Ollama.
type cmpPath struct {
	name          string
	app           e2eApp
	home, install string
	main, backup  *cmpProxy
	daemon        *e2eDaemon // clawbridge's path only
	model         string     // the model OpenClaw's config names
	modelWant     string     // the Ollama model the main backend is asked for
	switchModel   func(t *testing.T, ollamaModel string) error
}

// cmpOllamaPath sets up OpenClaw's own ollama provider the way its docs
// tell a new user (docs/providers/ollama/setup.md, "Onboarding
// (recommended)", non-interactive): `openclaw onboard --auth-choice
// ollama --custom-base-url URL --custom-model-id tiny`, which discovers
// the models from /api/tags and /api/show and writes
// models.providers.ollama. The backup Ollama is a second provider with
// api "ollama" (setup.md, "Custom provider ids") named as the model's
// fallback (agents.defaults.model.fallbacks).
func cmpOllamaPath(t *testing.T, app e2eApp, pnpm, mainURL, backupURL string) *cmpPath {
	p := cmpNewPath(t, cmpOllamaName, app, pnpm, mainURL, backupURL)
	e2eAppCommand(t, app, p.home, p.install, "onboarding", "onboard", "--non-interactive", "--accept-risk", "--skip-health",
		"--auth-choice", "ollama", "--custom-base-url", p.main.URL(), "--custom-model-id", ollamatest.ModelTiny)
	cfgPath := filepath.Join(p.home, ".openclaw", "openclaw.json")
	cfg := cmpReadJSON(t, cfgPath)
	models := cmpDig(cfg, "agents", "defaults", "model")
	primary, _ := models["primary"].(string)
	if primary == "" {
		t.Fatalf("onboarding set no primary model:\n%s", cmpMustJSON(cfg))
	}
	models["fallbacks"] = []any{"ollama-backup/" + ollamatest.ModelTiny + ":latest"}
	cmpDig(cfg, "models", "providers")["ollama-backup"] = map[string]any{
		"baseUrl": p.backup.URL(), "api": "ollama", "apiKey": "ollama-local",
		"models": []any{map[string]any{"id": ollamatest.ModelTiny + ":latest", "name": ollamatest.ModelTiny + ":latest"}},
	}
	e2eWriteJSON(t, cfgPath, cfg)
	p.model, p.modelWant = primary, ollamatest.ModelTiny+":latest"
	p.switchModel = func(t *testing.T, to string) error {
		_, out, err := e2eAppRun(app, p.home, p.install, 2*time.Minute, "models", "set", "ollama/"+to+":latest")
		if err != nil {
			return fmt.Errorf("openclaw models set: %w\n%s", err, out)
		}
		return nil
	}
	return p
}

// cmpBridgePath sets up clawbridge the way its README tells a new user
// of OpenClaw 2026.9: the app's config naming a Claude model, a Claude
// login, and `clawbridge run` with a model_list entry per backend (the
// same model_name twice: failover).
func cmpBridgePath(t *testing.T, app e2eApp, pnpm, bin, mainURL, backupURL string) *cmpPath {
	p := cmpNewPath(t, cmpBridgeName, app, pnpm, mainURL, backupURL)
	claude := e2eClaudeModel(t, app, p.install)
	state := filepath.Join(p.home, app.stateDir())
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	e2eWriteJSON(t, filepath.Join(state, app.configFile()), map[string]any{
		"agents": map[string]any{"defaults": map[string]any{
			"model": map[string]any{"primary": "anthropic/" + claude},
		}},
	})
	e2eFakeClaudeLogin(t, p.home)
	p.daemon = startE2EDaemon(t, bin, p.home, cmpBridgeConfig(ollamatest.ModelTiny, p.main.URL(), p.backup.URL(), p.install))
	e2eWaitRouted(t, p.daemon)
	p.model, p.modelWant = "anthropic/"+claude, ollamatest.ModelTiny
	p.switchModel = func(t *testing.T, to string) error {
		cfg := cmpBridgeConfig(to, p.main.URL(), p.backup.URL(), p.install)
		cfg = strings.ReplaceAll(cfg, "%LISTEN%", p.daemon.listen)
		if err := os.WriteFile(p.daemon.cfgPath+".new", []byte(cfg), 0o600); err != nil {
			return err
		}
		if err := os.Rename(p.daemon.cfgPath+".new", p.daemon.cfgPath); err != nil {
			return err
		}
		time.Sleep(3 * time.Second) // the config watcher's settle time
		return nil
	}
	return p
}

// cmpBridgeConfig is clawbridge's config: every Claude name to model on
// the main Ollama, then on the backup.
func cmpBridgeConfig(model, mainURL, backupURL, install string) string {
	return fmt.Sprintf(`model_list:
  - model_name: claude-*
    litellm_params: {model: ollama/%[1]s, api_base: %[2]s}
  - model_name: claude-*
    litellm_params: {model: ollama/%[1]s, api_base: %[3]s}
general_settings:
  master_key: %[4]s
clawbridge:
  listen: %%LISTEN%%
  patcher:
    dirs: [%[5]s]
    global: false
  notifications:
    enabled: false
  gateway:
    enabled: false
`, model, mainURL, backupURL, e2eMasterKey, install)
}

// cmpNewPath makes a fresh HOME with OpenClaw installed in it and the
// proxies in front of the two Ollamas.
func cmpNewPath(t *testing.T, name string, app e2eApp, pnpm, mainURL, backupURL string) *cmpPath {
	t.Helper()
	home := t.TempDir()
	install := filepath.Join(home, app.name+"-install")
	e2ePNPMInstall(t, app, pnpm, home, install, false)
	return &cmpPath{name: name, app: app, home: home, install: install,
		main: startCmpProxy(t, "main", mainURL), backup: startCmpProxy(t, "backup", backupURL)}
}

// cmpTurnResult is one `openclaw agent --local --json` turn as the
// comparison reads it.
type cmpTurnResult struct {
	reply    string
	errMsg   string // the app's error, when the turn failed
	usage    cmpUsage
	ctxLimit int // agentMeta.contextTokens
	tools    []string
	took     time.Duration
	output   string    // what the app printed, for the log
	calls    []cmpCall // every Ollama request of the turn, the main's first
	backup   []cmpCall // those that went to the backup
}

// cmpUsage is agentMeta.usage of OpenClaw's JSON result.
type cmpUsage struct {
	Input  int `json:"input"`
	Output int `json:"output"`
	Total  int `json:"total"`
}

// turn runs one turn in session with the message and extra flags, and
// what the proxies saw while it ran.
func (p *cmpPath) turn(t *testing.T, session, message string, timeout time.Duration, extra ...string) cmpTurnResult {
	t.Helper()
	m, mb := p.main.mark(), p.backup.mark()
	args := append([]string{"agent", "--local", "--session-id", session, "--message", message, "--json"}, extra...)
	start := time.Now()
	stdout, output, _ := e2eAppRun(p.app, p.home, p.install, timeout, args...)
	r := cmpTurnResult{took: time.Since(start), output: output, backup: p.backup.since(mb)}
	r.calls = append(p.main.since(m), r.backup...)
	raw, err := e2eFirstJSON(stdout)
	if err != nil {
		r.errMsg = "no JSON result: " + cmpLastLine(output)
		return r
	}
	var res struct {
		Payloads []struct{ Text string }   `json:"payloads"`
		Error    *struct{ Message string } `json:"error"`
		Meta     struct {
			AgentMeta struct {
				Usage           cmpUsage `json:"usage"`
				ContextTokens   int      `json:"contextTokens"`
				TerminalReceipt struct {
					SuccessfulToolNames []string `json:"successfulToolNames"`
				} `json:"terminalReceipt"`
			} `json:"agentMeta"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		r.errMsg = "unreadable JSON result: " + err.Error()
		return r
	}
	if res.Error != nil {
		r.errMsg = res.Error.Message
	}
	var texts []string
	for _, pl := range res.Payloads {
		texts = append(texts, pl.Text)
	}
	r.reply = strings.Join(texts, "\n")
	r.usage, r.ctxLimit = res.Meta.AgentMeta.Usage, res.Meta.AgentMeta.ContextTokens
	r.tools = res.Meta.AgentMeta.TerminalReceipt.SuccessfulToolNames
	return r
}

// cmpLastLine is the last non-empty line of s, for a one-line error.
func cmpLastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func cmpReadJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// cmpDig returns the object at keys, creating it where missing.
func cmpDig(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	return m
}

func cmpMustJSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}
