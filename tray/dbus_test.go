//go:build linux

package tray

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/assets"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/tray/traytest"
)

// The real tray is tested the way a desktop panel uses it: over DBus.
// systray runs once per process and wants the main goroutine, so the tray
// runs in a child process (this test binary again, see TestMain) on a
// private session bus, and the test reads and clicks its menu through
// traytest.
//
// The child plays a small daemon around a real config file: toggles and
// model switches edit the file with daemon/config, and every change is
// read back from the file into a fresh State, so the menu shows what the
// file says. It reports each action on stdout and takes new model lists
// on stdin.

const (
	childEnv       = "CLAWBRIDGE_TRAY_TEST_CHILD"
	childConfigEnv = "CLAWBRIDGE_TRAY_TEST_CONFIG"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild(os.Getenv(childConfigEnv)))
	}
	os.Exit(m.Run())
}

const testConfig = `# clawbridge test config: every comment here must survive the tray's edits.
model_list:
  # the alias Clawdbot uses most
  - model_name: claude-sonnet-4-5
    litellm_params:
      model: ollama/llama3.1:8b   # switched from the tray
  - model_name: claude-haiku-4-5
    litellm_params: {model: ollama/llama3.1:8b}   # left alone

clawbridge:
  # the tray's checkboxes
  guard:
    enabled: true   # keep the local key pinned
  notifications:
    enabled: true
`

// childInput is one line of the child's stdin.
type childInput struct {
	Choices    []Choice
	BackendErr string
	// Load and Numbers are shown for every alias; Unmapped are the
	// backend's models no alias uses.
	Load, Numbers string
	Unmapped      []Choice
}

var testChoices = []Choice{
	{Model: "llama3.1:8b", Tools: Yes},
	{Model: "qwen3:8b", Tools: Yes},
	{Model: "llama2:7b", Tools: No},
}

func TestTrayOverDBus(t *testing.T) {
	addr := traytest.StartBus(t)
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(testConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	client, err := traytest.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	child := startChild(t, addr, cfgPath)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // a hang guard only
	defer cancel()

	t.Log("the first menu shows the state read from the config")
	root, err := client.WaitFor(ctx, "the first menu", func(r *traytest.Item) bool { return r.Find("Guard auth profile") != nil })
	if err != nil {
		t.Fatal(err)
	}
	wantLabels(t, root, []string{
		"clawbridge: all good",
		"Translator on 127.0.0.1:4000 · 0 requests",
		"Ollama 127.0.0.1:11434 · 0.17.4 · 3 models",
		"No Clawdbot/OpenClaw install found",
		"Guard: local key pinned",
		"Models",
		"claude-sonnet-4-5 → llama3.1:8b",
		"claude-haiku-4-5 → llama3.1:8b",
		"Translator", labelWarmup, "Re-apply patch after installs", "Guard auth profile", "Notifications", "Clawdbot gateway", "Start at login",
		labelRepatch, labelDoctor, labelOpenConfig, labelOpenLogs, labelCopyTUI,
		labelQuit,
	})
	wantLabels(t, root.Find("claude-sonnet-4-5"), []string{"llama3.1:8b", "qwen3:8b", "llama2:7b  (no tools)"})
	wantChecks(t, root, map[string]bool{"Translator": true, labelWarmup: false, "Guard auth profile": true, "Clawdbot gateway": false})
	wantChecks(t, root.Find("claude-sonnet-4-5"), map[string]bool{"llama3.1:8b": true, "qwen3:8b": false})
	if it := root.Find("Translator on 127.0.0.1:4000 · 0 requests"); it.Enabled {
		t.Error("status line is clickable")
	}
	if it := root.Find(labelOpenLogs); it.Enabled {
		t.Error("Open logs enabled without a log path")
	}
	if title, err := client.Title(ctx); err != nil || title != "clawbridge" {
		t.Errorf("Title = %q, %v", title, err)
	}
	if tip, err := client.Tooltip(ctx); err != nil || tip != "clawbridge: all good" {
		t.Errorf("tooltip = %q, %v", tip, err)
	}
	waitIcon(t, ctx, client, assets.TrayGood)

	t.Log("a toggle flips its check mark and the config")
	if err := client.Click(ctx, "Guard auth profile"); err != nil {
		t.Fatal(err)
	}
	child.expect(t, "toggle guard false")
	if _, err := client.WaitFor(ctx, "the guard unchecked", func(r *traytest.Item) bool {
		return !r.Find("Guard auth profile").Checked && r.Find("Guard off") != nil
	}); err != nil {
		t.Fatal(err)
	}
	if cfg := loadConfig(t, cfgPath); config.On(cfg.Clawbridge.Guard.Enabled) {
		t.Error("config still has the guard on")
	}
	commentsKept(t, cfgPath)
	if err := client.Click(ctx, "Guard auth profile"); err != nil {
		t.Fatal(err)
	}
	child.expect(t, "toggle guard true")
	if _, err := client.WaitFor(ctx, "the guard checked again", func(r *traytest.Item) bool {
		return r.Find("Guard auth profile").Checked
	}); err != nil {
		t.Fatal(err)
	}

	t.Log("Keep models warm writes clawbridge.models.warmup and shows its state")
	switchWarmup(t, ctx, client, child, cfgPath)

	t.Log("choosing a model in an alias submenu rewrites the config, comments intact")
	if err := client.Click(ctx, "claude-sonnet-4-5", "qwen3:8b"); err != nil {
		t.Fatal(err)
	}
	child.expect(t, "alias claude-sonnet-4-5 qwen3:8b")
	root, err = client.WaitFor(ctx, "the switched alias", func(r *traytest.Item) bool {
		return r.Find("claude-sonnet-4-5 → qwen3:8b") != nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantChecks(t, root.Find("claude-sonnet-4-5"), map[string]bool{"llama3.1:8b": false, "qwen3:8b": true})
	cfg := loadConfig(t, cfgPath)
	if got := cfg.ModelList[0].LiteLLMParams.Model; got != "ollama/qwen3:8b" {
		t.Errorf("claude-sonnet-4-5 maps to %q in the config, want ollama/qwen3:8b", got)
	}
	if got := cfg.ModelList[1].LiteLLMParams.Model; got != "ollama/llama3.1:8b" {
		t.Errorf("claude-haiku-4-5 changed to %q", got)
	}
	commentsKept(t, cfgPath)

	t.Log("a model pulled into the backend appears in the submenu")
	child.send(t, childInput{Choices: append(slices.Clone(testChoices), Choice{Model: "phi4:14b", Tools: Yes})})
	if _, err := client.WaitFor(ctx, "phi4:14b in the submenu", func(r *traytest.Item) bool {
		sub := r.Find("claude-sonnet-4-5")
		return sub != nil && sub.Find("phi4:14b") != nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := client.Click(ctx, "claude-haiku-4-5", "phi4:14b"); err != nil {
		t.Fatal(err)
	}
	child.expect(t, "alias claude-haiku-4-5 phi4:14b")
	if _, err := client.WaitFor(ctx, "haiku on phi4", func(r *traytest.Item) bool {
		return r.Find("claude-haiku-4-5 → phi4:14b") != nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := loadConfig(t, cfgPath).ModelList[1].LiteLLMParams.Model; got != "ollama/phi4:14b" {
		t.Errorf("claude-haiku-4-5 maps to %q, want ollama/phi4:14b", got)
	}
	commentsKept(t, cfgPath)

	t.Log("an alias whose model the backend lacks offers Pull, shows the progress and can cancel it")
	child.send(t, childInput{Choices: testChoices, Load: "warm (4.9 GB)", Numbers: "3 requests · TTFT 120ms",
		Unmapped: []Choice{{Model: "llava:7b", Vision: Yes, Detail: "7B · Q4_0"}}})
	root, err = client.WaitFor(ctx, "Pull phi4:14b", func(r *traytest.Item) bool {
		sub := r.Find("claude-haiku-4-5 → phi4:14b · not pulled")
		return sub != nil && sub.Find("Pull phi4:14b") != nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantLabels(t, root.Find("claude-sonnet-4-5"), []string{"Model warm (4.9 GB)", "Last hour: 3 requests · TTFT 120ms",
		"llama3.1:8b", "qwen3:8b", "llama2:7b  (no tools)"})
	wantLabels(t, root.Find("Pulled, not mapped (1)"), []string{"llava:7b · 7B · Q4_0 · vision"})
	if err := client.Click(ctx, "claude-haiku-4-5", "Pull phi4:14b"); err != nil {
		t.Fatal(err)
	}
	child.expect(t, "pull claude-haiku-4-5")
	if _, err := client.WaitFor(ctx, "the pull's progress", func(r *traytest.Item) bool {
		sub := r.Find("claude-haiku-4-5")
		return r.Find("pulling phi4:14b: 42%") != nil && sub != nil && sub.Find("Cancel pull of phi4:14b") != nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := client.Click(ctx, "claude-haiku-4-5", "Cancel pull of phi4:14b"); err != nil {
		t.Fatal(err)
	}
	child.expect(t, "cancel pull phi4:14b")
	if _, err := client.WaitFor(ctx, "the pull cancelled", func(r *traytest.Item) bool {
		sub := r.Find("claude-haiku-4-5")
		return r.Find("pull of phi4:14b cancelled") != nil && sub != nil && sub.Find("Pull phi4:14b") != nil
	}); err != nil {
		t.Fatal(err)
	}

	t.Log("Copy TUI command without a clipboard shows the command")
	if err := client.Click(ctx, labelCopyTUI); err != nil {
		t.Fatal(err)
	}
	child.expect(t, "notify TUI command (no clipboard tool found): clawdbot tui")
	if _, err := client.WaitFor(ctx, "the command shown in the menu itself", func(r *traytest.Item) bool {
		return r.Find("    clawdbot tui") != nil
	}); err != nil {
		t.Fatal(err)
	}

	t.Log("Re-patch now says what the re-patch answered: success only when it succeeded")
	if err := client.Click(ctx, labelRepatch); err != nil {
		t.Fatal(err)
	}
	child.expect(t, "repatch")
	child.expect(t, "notify Installs re-routed: Every install found is routed to clawbridge.")
	if err := client.Click(ctx, "Re-apply patch after installs"); err != nil {
		t.Fatal(err)
	}
	child.expect(t, "toggle auto_repatch false")
	if _, err := client.WaitFor(ctx, "auto re-patch unchecked", func(r *traytest.Item) bool {
		return !r.Find("Re-apply patch after installs").Checked
	}); err != nil {
		t.Fatal(err)
	}
	if err := client.Click(ctx, labelRepatch); err != nil {
		t.Fatal(err)
	}
	child.expect(t, "repatch")
	child.expect(t, "notify Could not re-route the installs: "+errPatcherOff)

	t.Log("a backend going down turns the icon to attention")
	child.send(t, childInput{Choices: testChoices, BackendErr: "connection refused"})
	if _, err := client.WaitFor(ctx, "the attention headline", func(r *traytest.Item) bool {
		return r.Find("clawbridge: Ollama 127.0.0.1:11434 unreachable") != nil
	}); err != nil {
		t.Fatal(err)
	}
	waitIcon(t, ctx, client, assets.TrayAttention)

	t.Log("switching the translator off turns the icon off")
	if err := client.Click(ctx, "Translator"); err != nil {
		t.Fatal(err)
	}
	child.expect(t, "toggle translator false")
	if _, err := client.WaitFor(ctx, "the translator off", func(r *traytest.Item) bool {
		return r.Find("clawbridge: translator off") != nil && !r.Find("Translator").Checked
	}); err != nil {
		t.Fatal(err)
	}
	waitIcon(t, ctx, client, assets.TrayOff)
	if cfg := loadConfig(t, cfgPath); config.On(cfg.Clawbridge.Translator.Enabled) {
		t.Error("config still has the translator on")
	}
	commentsKept(t, cfgPath)

	t.Log("Quit calls Actions.Quit, then OnExit (where macOS ends the process), and ends Run")
	if err := client.Click(ctx, labelQuit); err != nil {
		t.Fatal(err)
	}
	child.expect(t, "quit")
	child.expect(t, "on exit")
	child.expect(t, "run returned")
	if err := child.wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
}

// TestRunWithoutSessionBus: with no bus to find, Run gives up at once with
// ErrUnavailable instead of starting fyne (whose Quit would then panic).
func TestRunWithoutSessionBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	err := Run(context.Background(), Options{})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Run = %v, want ErrUnavailable", err)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "none"))
	if err := Run(context.Background(), Options{}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Run with a dead bus = %v, want ErrUnavailable", err)
	}
}

// child is the tray process under test.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	events chan string
}

func startChild(t *testing.T, busAddr, cfgPath string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		"DBUS_SESSION_BUS_ADDRESS="+busAddr,
		childEnv+"=1",
		childConfigEnv+"="+cfgPath,
		"DISPLAY=", "WAYLAND_DISPLAY=", // no clipboard to copy to
	)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stdin: stdin, events: make(chan string, 100)}
	var logs sync.WaitGroup
	logs.Add(2)
	go func() {
		defer logs.Done()
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.events <- sc.Text()
		}
		close(c.events)
	}()
	go func() {
		defer logs.Done()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			t.Log("tray: " + sc.Text())
		}
	}()
	t.Cleanup(func() {
		stdin.Close()
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		logs.Wait()
	})
	return c
}

// expect waits for the child to report event next.
func (c *child) expect(t *testing.T, event string) {
	t.Helper()
	for {
		select {
		case got, ok := <-c.events:
			if !ok {
				t.Fatalf("child exited before reporting %q", event)
			}
			if strings.HasPrefix(got, "notify ") && !strings.HasPrefix(event, "notify ") {
				t.Log("child " + got)
				continue
			}
			if got != event {
				t.Fatalf("child reported %q, want %q", got, event)
			}
			return
		case <-time.After(2 * time.Minute): // a hang guard only
			t.Fatalf("child did not report %q", event)
		}
	}
}

func (c *child) send(t *testing.T, in childInput) {
	t.Helper()
	if err := json.NewEncoder(c.stdin).Encode(in); err != nil {
		t.Fatal(err)
	}
}

func (c *child) wait() error {
	c.stdin.Close()
	return c.cmd.Wait()
}

func wantLabels(t *testing.T, it *traytest.Item, want []string) {
	t.Helper()
	if it == nil {
		t.Fatalf("no such menu item (want children %q)", want)
	}
	if got := it.Labels(); !slices.Equal(got, want) {
		t.Errorf("menu items:\n got %q\nwant %q\nmenu:\n%s", got, want, it)
	}
}

func wantChecks(t *testing.T, it *traytest.Item, want map[string]bool) {
	t.Helper()
	for label, checked := range want {
		c := it.Find(label)
		switch {
		case c == nil:
			t.Errorf("no item %q in\n%s", label, it)
		case !c.Checkable:
			t.Errorf("%q is not a checkbox", label)
		case c.Checked != checked:
			t.Errorf("%q checked = %v, want %v", label, c.Checked, checked)
		}
	}
}

// waitIcon waits until the panel sees icon's Linux image (compared by
// alpha: fyne sends colours premultiplied, alpha as drawn).
func waitIcon(t *testing.T, ctx context.Context, client *traytest.Client, icon assets.TrayIcon) {
	t.Helper()
	want, _, err := image.Decode(strings.NewReader(string(icon.PNG2x)))
	if err != nil {
		t.Fatal(err)
	}
	for {
		got, err := client.Icon(ctx)
		if err == nil && sameAlpha(got, want) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the tray never showed the expected icon (last error: %v)", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func sameAlpha(a, b image.Image) bool {
	if a.Bounds().Size() != b.Bounds().Size() {
		return false
	}
	for y := 0; y < a.Bounds().Dy(); y++ {
		for x := 0; x < a.Bounds().Dx(); x++ {
			_, _, _, aa := a.At(a.Bounds().Min.X+x, a.Bounds().Min.Y+y).RGBA()
			_, _, _, ba := b.At(b.Bounds().Min.X+x, b.Bounds().Min.Y+y).RGBA()
			if aa>>8 != ba>>8 {
				return false
			}
		}
	}
	return true
}

func loadConfig(t *testing.T, path string) *config.Config {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// commentsKept checks that every comment of testConfig is still in the
// file, word for word.
func commentsKept(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(testConfig, "\n") {
		if i := strings.Index(line, "#"); i >= 0 && !strings.Contains(string(data), line[i:]) {
			t.Errorf("comment %q lost; the config is now:\n%s", line[i:], data)
		}
	}
}

// runChild is the child process: a tray over a config file, reporting
// on stdout. It returns the process's exit status.
func runChild(cfgPath string) int {
	d := &childDaemon{path: cfgPath, choices: testChoices, states: make(chan State, 16), out: os.Stdout}
	s, err := d.state()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	go d.readInput(os.Stdin)
	err = Run(context.Background(), Options{
		Initial: s,
		States:  d.states,
		Logger:  slog.New(slog.NewTextHandler(os.Stderr, nil)),
		Actions: Actions{
			SetToggle:     d.setToggle,
			SetAliasModel: d.setAliasModel,
			Repatch:       d.repatch,
			Pull:          d.pull,
			CancelPull:    d.cancelPull,
			Notify:        func(title, msg string) { d.report("notify %s: %s", title, msg) },
			Quit:          func() { d.report("quit") },
		},
		OnExit: func() { d.report("on exit") },
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "Run:", err)
		return 1
	}
	d.report("run returned")
	return 0
}

// childDaemon is the child's stand-in for the daemon: its state is the
// config file plus a model list and a backend error set over stdin.
type childDaemon struct {
	path   string
	states chan State
	out    io.Writer

	mu            sync.Mutex
	choices       []Choice
	backendErr    string
	load, numbers string
	unmapped      []Choice
	pulls         []Pull
	startAtLogin  bool
}

// pull starts a pull that stays at 42% until cancelled.
func (d *childDaemon) pull(ctx context.Context, alias string) error {
	d.report("pull %s", alias)
	cfg, err := config.Load(d.path)
	if err != nil {
		return err
	}
	for _, e := range cfg.ModelList {
		if e.ModelName == alias {
			_, model, _ := strings.Cut(e.LiteLLMParams.Model, "/")
			d.mu.Lock()
			d.pulls = []Pull{{Model: model, Line: "pulling " + model + ": 42% (3.8 GB of 9.1 GB)", Running: true}}
			d.mu.Unlock()
		}
	}
	return d.publish()
}

func (d *childDaemon) cancelPull(ctx context.Context, model string) error {
	d.report("cancel pull %s", model)
	d.mu.Lock()
	d.pulls = []Pull{{Model: model, Line: "pull of " + model + " cancelled"}}
	d.mu.Unlock()
	return d.publish()
}

// settingKeys are the config keys of the toggles the config holds.
var settingKeys = map[Toggle][]string{
	ToggleTranslator:    {"translator", "enabled"},
	ToggleAutoRepatch:   {"patcher", "enabled"},
	ToggleGuard:         {"guard", "enabled"},
	ToggleNotifications: {"notifications", "enabled"},
	ToggleGateway:       {"gateway", "enabled"},
	ToggleWarmup:        {"models", "warmup"},
}

func (d *childDaemon) report(format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fmt.Fprintf(d.out, format+"\n", args...)
}

func (d *childDaemon) setToggle(ctx context.Context, t Toggle, on bool) error {
	d.report("toggle %s %v", t, on)
	if key, ok := settingKeys[t]; ok {
		if err := config.SetSetting(d.path, key, on); err != nil {
			return err
		}
	} else {
		d.mu.Lock()
		d.startAtLogin = on
		d.mu.Unlock()
	}
	return d.publish()
}

func (d *childDaemon) setAliasModel(ctx context.Context, alias, model string) error {
	d.report("alias %s %s", alias, model)
	if err := config.SetAliasModel(d.path, alias, model); err != nil {
		return err
	}
	return d.publish()
}

// errPatcherOff is the child's answer to Re-patch now with auto re-patch
// off, worded like the daemon's.
const errPatcherOff = "the patcher is off: turn on Re-apply patch after installs"

// repatch fails the way the daemon does when the config has the patcher
// off, and succeeds otherwise.
func (d *childDaemon) repatch(ctx context.Context) error {
	d.report("repatch")
	cfg, err := config.Load(d.path)
	if err != nil {
		return err
	}
	if !config.On(cfg.Clawbridge.Patcher.Enabled) {
		return errors.New(errPatcherOff)
	}
	return nil
}

func (d *childDaemon) readInput(r io.Reader) {
	dec := json.NewDecoder(r)
	for {
		var in childInput
		if err := dec.Decode(&in); err != nil {
			return
		}
		d.mu.Lock()
		d.choices, d.backendErr = in.Choices, in.BackendErr
		d.load, d.numbers, d.unmapped = in.Load, in.Numbers, in.Unmapped
		d.mu.Unlock()
		if err := d.publish(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
}

func (d *childDaemon) publish() error {
	s, err := d.state()
	if err != nil {
		return err
	}
	d.states <- s
	return nil
}

// state reads the config into the State the menu shows.
func (d *childDaemon) state() (State, error) {
	cfg, err := config.Load(d.path)
	if err != nil {
		return State{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c := cfg.Clawbridge
	s := State{
		Translator:    Translator{Enabled: config.On(c.Translator.Enabled), Addr: c.Listen},
		Backends:      []Backend{{URL: "http://127.0.0.1:11434", Version: "0.17.4", Models: len(d.choices), Err: d.backendErr}},
		Guard:         Guard{Enabled: config.On(c.Guard.Enabled), Pinned: true},
		Gateway:       Gateway{Enabled: c.Gateway.Enabled, Port: c.Gateway.Port},
		AutoRepatch:   config.On(c.Patcher.Enabled),
		Notifications: config.On(c.Notifications.Enabled),
		StartAtLogin:  d.startAtLogin,
		Warmup:        cfg.WarmupOn(),
		ConfigPath:    d.path,
		TUICommand:    "clawdbot tui",
	}
	for _, e := range cfg.ModelList {
		_, model, _ := strings.Cut(e.LiteLLMParams.Model, "/")
		missing := d.backendErr == "" && !slices.ContainsFunc(d.choices, func(c Choice) bool { return c.Model == model })
		s.Aliases = append(s.Aliases, Alias{Name: e.ModelName, Model: model, Choices: slices.Clone(d.choices),
			Load: d.load, Numbers: d.numbers, Missing: missing})
	}
	s.Unmapped, s.Pulls = slices.Clone(d.unmapped), slices.Clone(d.pulls)
	return s, nil
}
