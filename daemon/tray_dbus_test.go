//go:build linux

package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/notify"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
	"github.com/clawbridge/clawbridge/tray"
	"github.com/clawbridge/clawbridge/tray/traytest"
)

// The tray can run once per process and wants the main goroutine, so the
// end-to-end tray test runs the daemon with its tray in a child: this test
// binary started again with trayChildEnv set, which TestMain hands to
// runTrayChild.
const trayChildEnv = "CLAWBRIDGE_TEST_TRAY_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(trayChildEnv); spec != "" {
		os.Exit(runTrayChild(spec))
	}
	os.Exit(m.Run())
}

type trayChildSpec struct {
	Config, Home, RuntimeDir, LogDir string
}

// runTrayChild runs a daemon with the real tray until SIGTERM or Quit,
// printing the translator's address first.
func runTrayChild(spec string) int {
	var s trayChildSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	d, err := New(Options{ConfigPath: s.Config, Listen: "127.0.0.1:0", RuntimeDir: s.RuntimeDir, Home: s.Home,
		Getenv: func(string) string { return "" }, LogDir: s.LogDir, BackendPoll: 300 * time.Millisecond,
		Notifier: quietNotifierFor(), Version: "test"})
	if err == nil {
		err = d.Start(nil)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("ready %s\n", d.State().Translator.Addr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := tray.Run(ctx, d.TrayOptions()); err != nil {
		fmt.Fprintln(os.Stderr, "tray:", err)
		d.Stop(nil)
		return 1
	}
	d.Stop(nil)
	return 0
}

// TestTrayDrivesTheDaemon is the tray's promise end to end: a user who
// only has the menu sees the daemon's state, switches claude-sonnet-4-5 to
// another local model (the config is rewritten with its comments, and the
// next request is answered by the new model on the real Ollama), sees a
// newly pulled model appear, and quits.
func TestTrayDrivesTheDaemon(t *testing.T) {
	bus := traytest.StartBus(t)
	panel, err := traytest.Connect(bus)
	if err != nil {
		t.Fatal(err)
	}
	defer panel.Close()
	ol := ollamatest.Start(t)
	w := newWorld(t, ol.URL, "")
	spec, _ := json.Marshal(trayChildSpec{Config: w.configPath, Home: w.home, RuntimeDir: filepath.Join(w.home, "run"), LogDir: filepath.Join(w.home, "logs")})

	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), trayChildEnv+"="+string(spec), "DBUS_SESSION_BUS_ADDRESS="+bus)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	child.Stderr = &stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	defer func() {
		child.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			child.Process.Kill()
		}
		if t.Failed() {
			t.Logf("child stderr:\n%s", stderr.String())
		}
	}()
	line, _ := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "ready ")
	if !ok {
		t.Fatalf("child said %q\n%s", line, stderr.String())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // hang guard
	defer cancel()
	tiny := ollamatest.ModelTiny + ":latest"
	noTools := ollamatest.ModelNoTools + ":latest"
	menu, err := panel.WaitFor(ctx, "the sonnet submenu with the backend's models", func(root *traytest.Item) bool {
		sub := root.Find("claude-sonnet-4-5")
		return sub != nil && sub.Find(noTools) != nil && sub.Find(tiny) != nil && sub.Find(tiny).Checked
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(menu.Find("claude-sonnet-4-5", noTools).Label, "no tools") {
		t.Errorf("the model without tools is not marked: %q", menu.Find("claude-sonnet-4-5", noTools).Label)
	}
	labels := strings.Join(menu.Labels(), "\n")
	for _, want := range []string{"Translator on " + addr, "Ollama ", "6/6 URLs patched", "local key pinned"} { // the fixture catalog has 6
		if !strings.Contains(labels, want) {
			t.Errorf("menu lacks %q:\n%s", want, labels)
		}
	}

	// Switch the model from the menu; the next tool request reaches the
	// model without tools, which refuses it.
	if code := toolRequest(t, addr); code != 200 {
		t.Fatalf("tool request before the switch: %d", code)
	}
	if err := panel.Click(ctx, "claude-sonnet-4-5", noTools); err != nil {
		t.Fatal(err)
	}
	if _, err := panel.WaitFor(ctx, "the switch to show", func(root *traytest.Item) bool {
		it := root.Find("claude-sonnet-4-5", noTools)
		return it != nil && it.Checked
	}); err != nil {
		t.Fatal(err)
	}
	// The menu ticks the choice at once; the daemon applies it when the
	// click's action returns. Wait for that through the admin endpoint, as
	// `clawbridge status` would see it.
	admin, err := Connect(filepath.Join(w.home, "run"))
	if err != nil {
		t.Fatal(err)
	}
	for {
		st, err := admin.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Aliases) == 1 && st.Aliases[0].Model == noTools {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	data, _ := os.ReadFile(w.configPath)
	if !strings.Contains(string(data), "model: ollama/"+noTools+"   # the tiny scripted model") || !strings.HasPrefix(string(data), "# my clawbridge config\n") {
		t.Errorf("config after the switch lost its layout:\n%s", data)
	}
	if code := toolRequest(t, addr); code != 400 {
		t.Errorf("tool request after switching to %s: %d, want 400 from the model without tools", noTools, code)
	}

	// A model pulled into Ollama shows up in the submenu.
	copyReq, _ := http.NewRequest("POST", ol.URL+"/api/copy", strings.NewReader(`{"source":"`+tiny+`","destination":"fresh-pull:1b"}`))
	if resp, err := http.DefaultClient.Do(copyReq); err != nil || resp.StatusCode != 200 {
		t.Fatalf("copy a model in Ollama: %v %v", resp, err)
	}
	if _, err := panel.WaitFor(ctx, "the new model in the submenu", func(root *traytest.Item) bool {
		return root.Find("claude-sonnet-4-5", "fresh-pull:1b") != nil
	}); err != nil {
		t.Fatal(err)
	}

	// Quit stays quit: the child exits 0.
	if err := panel.Click(ctx, "Quit clawbridge"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Errorf("daemon exited with %v after Quit", err)
		}
	case <-ctx.Done():
		t.Fatal("daemon did not exit after Quit")
	}
}

// quietNotifierFor is quietNotifier for the child, which has no testing.T.
func quietNotifierFor() *notify.Notifier {
	return notify.New(notify.Options{Send: func(string, string) error { return nil }})
}
