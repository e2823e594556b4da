package traytest

import (
	"bufio"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/peers"
)

// StartBus starts a private DBus session bus for the test and returns its
// address; the bus is stopped when the test ends. It needs dbus-daemon
// (Debian package dbus, installed by .ci/provision-apt.sh): without it the
// test is skipped, or fails when CLAWBRIDGE_REQUIRE_PEERS is set.
func StartBus(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("dbus-daemon")
	if err != nil {
		peers.Missing(t, "dbus-daemon not found (apt-get install dbus; .ci/provision-apt.sh does)")
	}
	cmd := exec.Command(bin, "--session", "--nofork", "--nopidfile", "--print-address=1",
		"--address=unix:dir="+t.TempDir())
	cmd.Stderr = &prefixWriter{t: t, prefix: "dbus-daemon: "}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		lines <- strings.TrimSpace(line)
	}()
	select {
	case addr := <-lines:
		if addr == "" {
			t.Fatal("dbus-daemon printed no address")
		}
		return addr
	case <-time.After(time.Minute):
		t.Fatal("dbus-daemon printed no address within a minute")
	}
	return ""
}

// prefixWriter logs what a helper process writes, line by line.
type prefixWriter struct {
	t      testing.TB
	prefix string
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.t.Log(w.prefix + line)
	}
	return len(p), nil
}
