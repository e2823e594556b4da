package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// benchModel is the model name clients ask for; clawbridge and ccr both
// route it to the fake's model.
const benchModel = "claude-sonnet-4-5"

// benchPrompt is the user message of every relay request. The fake does
// not read it; it only makes the request a realistic small turn.
const benchPrompt = "Reply with as many tokens as you are allowed."

// scenario is one row group of the relay table.
type scenario struct {
	stream bool
	conc   int
}

func (s scenario) String() string {
	kind := "non-streaming"
	if s.stream {
		kind = "streaming"
	}
	return fmt.Sprintf("%s, concurrency %d", kind, s.conc)
}

var scenarios = []scenario{{true, 1}, {true, 32}, {false, 1}, {false, 32}}

// relayResult is the relay comparison: per scenario, per target, one cell
// per round.
type relayResult struct {
	targets []string
	// cells[scenario][target][round]
	cells [][][]cell
	// floor and direct index targets.
	floor, direct int
}

// servers are the processes of the relay comparison.
type servers struct {
	fake, proxy, clawbridge, ccr *proc
	// baselines are the -baseline builds, in order.
	baselines []*proc
}

func (s *servers) stop() {
	for _, p := range append([]*proc{s.ccr, s.clawbridge, s.proxy, s.fake}, s.baselines...) {
		if p != nil {
			p.stop()
		}
	}
}

// startServers starts the fake, the reverse proxy in front of it,
// clawbridge and (with a ccr install) claude-code-router, all pointed at
// the fake.
func startServers(ctx context.Context, o *options, work string) (*servers, error) {
	var s servers
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	if s.fake, err = startProc(ctx, "fake", exec.Command(self, "fake", "-token", o.token), work, "", ""); err != nil {
		return nil, err
	}
	if s.proxy, err = startProc(ctx, "proxy", exec.Command(self, "proxy", "-to", s.fake.base), work, "", ""); err != nil {
		s.stop()
		return nil, err
	}
	if s.clawbridge, err = startClawbridge(ctx, o, work, "clawbridge", "ollama/"+fakeModel, s.fake.base, ""); err != nil {
		s.stop()
		return nil, err
	}
	for i, bl := range o.baselines {
		b := *o
		b.clawbridge, b.maxParallel = bl.path, baselineMaxParallel
		p, err := startClawbridge(ctx, &b, work, fmt.Sprintf("clawbridge-baseline-%d", i+1), "ollama/"+fakeModel, s.fake.base, "")
		if err != nil {
			s.stop()
			return nil, err
		}
		s.baselines = append(s.baselines, p)
	}
	if o.ccrDir != "" {
		if s.ccr, err = startCCR(ctx, o, work, "ccr", s.fake.base); err != nil {
			s.stop()
			return nil, err
		}
	}
	return &s, nil
}

// baselineMaxParallel is the baselines' max_parallel_requests: builds
// from before the queue answer requests beyond the default limit (16) with
// 529 at once, so they run with it raised above the highest concurrency,
// as the benchmark ran them then.
const baselineMaxParallel = 256

// fakeModel is the model clawbridge and ccr ask the fake for.
const fakeModel = "fake"

// startClawbridge runs `clawbridge serve` (the translator alone) with a
// config that routes benchModel to model at apiBase. listen "" means
// 127.0.0.1:0 and the address read from stdout; otherwise the port is
// polled.
func startClawbridge(ctx context.Context, o *options, work, name, model, apiBase, listen string) (*proc, error) {
	return startClawbridgeAs(ctx, o, work, name, model, apiBase, listen, translatorOnly, "")
}

// clawbridgeMode is which clawbridge runs.
type clawbridgeMode int

const (
	// translatorOnly is `clawbridge serve`.
	translatorOnly clawbridgeMode = iota
	// daemonHeadless is the whole daemon as users run it (`clawbridge run
	// -no-tray`: translator, patcher, guard, notifications).
	daemonHeadless
	// daemonTray is `clawbridge run` with its tray, on the session bus
	// at busAddress.
	daemonTray
)

// startClawbridgeAs is startClawbridge in any mode. The daemon gets a
// home of its own, so it finds no Clawdbot to patch and no auth store to
// guard, and leaves nothing in the real one.
func startClawbridgeAs(ctx context.Context, o *options, work, name, model, apiBase, listen string, mode clawbridgeMode, busAddress string) (*proc, error) {
	cfg := filepath.Join(work, name+".yaml")
	// The default config, as users run it: beyond max_parallel_requests
	// (16) the 32 and 64 concurrent requests wait in its queue.
	yaml := fmt.Sprintf("model_list:\n  - model_name: %s\n    litellm_params:\n      model: %s\n      api_base: %s\n",
		benchModel, model, apiBase)
	if o.maxParallel > 0 {
		yaml += fmt.Sprintf("      max_parallel_requests: %d\n", o.maxParallel)
	}
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		return nil, err
	}
	addr, base, probe := listen, "http://"+listen, "/health"
	if listen == "" {
		addr, base, probe = "127.0.0.1:0", "", ""
	}
	var cmd *exec.Cmd
	switch mode {
	case translatorOnly:
		cmd = exec.Command(o.clawbridge, "serve", "--config", cfg, "--listen", addr)
	default:
		home := filepath.Join(work, name+"-home")
		if err := os.MkdirAll(home, 0o755); err != nil {
			return nil, err
		}
		args := []string{"run", "--config", cfg, "--listen", addr}
		bus := "DBUS_SESSION_BUS_ADDRESS=" + busAddress
		if mode == daemonHeadless {
			args = append(args, "-no-tray")
			bus = "DBUS_SESSION_BUS_ADDRESS="
		}
		cmd = exec.Command(o.clawbridge, args...)
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home+"/.config",
			"XDG_STATE_HOME="+home+"/.local/state", "XDG_CACHE_HOME="+home+"/.cache", bus)
	}
	return startProc(ctx, name, cmd, work, base, probe)
}

// ccrCLI is claude-code-router's command inside its install.
func ccrCLI(dir string) string {
	return filepath.Join(dir, "node_modules", "@musistudio", "claude-code-router", "dist", "cli.js")
}

// startCCR runs `ccr start` (in the foreground: the server runs in that
// node process) with a home of its own whose config.json sends every
// request to the fake's OpenAI endpoint. Its log is off: ccr's default
// writes a debug log of every request, and the comparison gives it its
// fastest setting.
func startCCR(ctx context.Context, o *options, work, name, fakeBase string) (*proc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	home := filepath.Join(work, name+"-home")
	dir := filepath.Join(home, ".claude-code-router")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cfg, _ := json.MarshalIndent(map[string]any{
		"LOG":            false,
		"HOST":           "127.0.0.1",
		"PORT":           port,
		"API_TIMEOUT_MS": 600000,
		"Providers": []any{map[string]any{
			"name":         "fake",
			"api_base_url": fakeBase + "/v1/chat/completions",
			"api_key":      "sk-fake",
			"models":       []string{fakeModel},
		}},
		"Router": map[string]any{"default": "fake," + fakeModel},
	}, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(o.node, ccrCLI(o.ccrDir), "start")
	cmd.Dir = home
	cmd.Env = append(os.Environ(), "HOME="+home, "NO_COLOR=1")
	return startProc(ctx, name, cmd, work, fmt.Sprintf("http://127.0.0.1:%d", port), "/health")
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// relayTargets lists the ways to reach the fake, the floor first.
func relayTargets(o *options, s *servers) []target {
	ts := []target{
		{name: "fake, direct", base: s.fake.base, dialect: ollamaNative, model: fakeModel, prompt: benchPrompt, proc: s.fake},
		{name: "Go reverse proxy", base: s.proxy.base, dialect: ollamaNative, model: fakeModel, prompt: benchPrompt, proc: s.proxy},
		{name: "clawbridge", base: s.clawbridge.base, dialect: anthropicMessages, model: benchModel, prompt: benchPrompt, proc: s.clawbridge},
	}
	for i, p := range s.baselines {
		ts = append(ts, target{name: "clawbridge, " + o.baselines[i].label, base: p.base, dialect: anthropicMessages, model: benchModel, prompt: benchPrompt, proc: p})
	}
	if s.ccr != nil {
		ts = append(ts, target{name: "claude-code-router", base: s.ccr.base, dialect: anthropicMessages, model: benchModel, prompt: benchPrompt, proc: s.ccr})
	}
	return ts
}

// runRelay verifies every target, warms them up, and runs every scenario
// on every target round after round, rotating the order each time, so
// that noise from the shared machine falls on all of them alike.
func runRelay(ctx context.Context, o *options, s *servers, logf func(string, ...any)) (*relayResult, error) {
	hc := loadClient()
	defer hc.CloseIdleConnections()
	ts := relayTargets(o, s)
	res := &relayResult{floor: 1, direct: 0}
	for _, t := range ts {
		res.targets = append(res.targets, t.name)
		if err := verify(ctx, hc, t, o.tokens, o.token); err != nil {
			return nil, err
		}
	}
	logf("relay: targets verified: each relays exactly %d tokens, streamed and not", o.tokens)
	for _, t := range ts {
		for _, sc := range scenarios {
			w := o.warmup(sc)
			if c := w.run(ctx, hc, t); c.errors > 0 {
				return nil, fmt.Errorf("warm-up of %s (%v): %d errors, first: %s", t.name, sc, c.errors, c.firstErr)
			}
		}
	}
	res.cells = make([][][]cell, len(scenarios))
	for i := range res.cells {
		res.cells[i] = make([][]cell, len(ts))
	}
	for round := range o.rounds {
		for si, sc := range scenarios {
			l := o.load(sc)
			for k := range ts {
				ti := (k + round + si) % len(ts)
				t := ts[ti]
				if err := t.proc.alive(); err != nil {
					return nil, err
				}
				c := l.run(ctx, hc, t)
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				res.cells[si][ti] = append(res.cells[si][ti], c)
				logf("relay: round %d/%d  %-32s %-20s %7.0f req/s %9.0f tokens/s  errors %d",
					round+1, o.rounds, sc, t.name, float64(c.requests)/c.wall.Seconds(), float64(c.tokens)/c.wall.Seconds(), c.errors)
			}
		}
	}
	return res, nil
}

// waitIdle gives a process time to settle after start or load before
// its memory is read.
func waitIdle(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
