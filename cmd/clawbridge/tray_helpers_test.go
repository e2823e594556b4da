//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/tray/traytest"
)

// trayRun is `clawbridge run` with the real tray in a child process (see
// runTrayChild) on a session bus of its own, and the panel that shows its
// menu as a desktop would.
type trayRun struct {
	panel  *traytest.Client
	out    *bufio.Reader    // the child's stdout
	stderr *strings.Builder // the child's stderr, logged if the test fails
	// exited gets the child's exit once; a test that takes it puts it
	// back, so the clean-up need not wait for a child already gone.
	exited chan error
}

// startTrayRun starts a session bus, connects a panel to it and starts
// the child on it with spec. When the test ends it stops the child
// (SIGTERM, killed after 30s), logs its stderr if the test failed, then
// closes the panel.
func startTrayRun(t *testing.T, spec trayChildSpec) *trayRun {
	t.Helper()
	bus := traytest.StartBus(t)
	panel, err := traytest.Connect(bus)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { panel.Close() })
	specJSON, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), trayChildEnv+"="+string(specJSON), "DBUS_SESSION_BUS_ADDRESS="+bus)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	r := &trayRun{panel: panel, out: bufio.NewReader(out), stderr: &strings.Builder{}, exited: make(chan error, 1)}
	child.Stderr = r.stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.exited <- child.Wait() }()
	t.Cleanup(func() {
		child.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.exited:
		case <-time.After(30 * time.Second):
			child.Process.Kill()
		}
		if t.Failed() {
			t.Logf("child stderr:\n%s", r.stderr.String())
		}
	})
	return r
}

// readLine is the child's next line of output, trimmed: "listening on
// http://ADDR" once its daemon runs.
func (r *trayRun) readLine() string {
	line, _ := r.out.ReadString('\n')
	return strings.TrimSpace(line)
}

// quit clicks Quit clawbridge and fails t unless the child then exits 0
// before ctx ends.
func (r *trayRun) quit(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := r.panel.Click(ctx, "Quit clawbridge"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-r.exited:
		r.exited <- err
		if err != nil {
			t.Errorf("clawbridge run exited with %v after Quit", err)
		}
	case <-ctx.Done():
		t.Fatal("clawbridge run did not exit after Quit")
	}
}
