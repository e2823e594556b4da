//go:build unix

package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunWaitsInsteadOfExiting is the built binary as launchd starts it
// (no menu bar here, so headless) while another program holds the
// translator's port: it must not exit (launchd would respawn it every
// 10s, with nothing shown), must say in its log who holds the port, and
// must start by itself once the port is free; SIGTERM then ends it with
// status 0.
func TestRunWaitsInsteadOfExiting(t *testing.T) {
	bin := e2eBuild(t)
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	addr := held.Addr().String()
	home := t.TempDir()
	cfg := filepath.Join(home, "config.yaml")
	if err := os.WriteFile(cfg, []byte("model_list: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	log := newE2ELog()
	cmd := exec.Command(bin, "run", "--no-tray", "--config", cfg, "--listen", addr)
	cmd.Env = append(e2eCleanEnv(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_STATE_HOME="+filepath.Join(home, ".state"), "DBUS_SESSION_BUS_ADDRESS=", "DISPLAY=")
	cmd.Stderr = log
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		if t.Failed() {
			t.Logf("clawbridge log:\n%s", log.String())
		}
	}()

	owner := fmt.Sprintf("already in use by %s (pid %d)", filepath.Base(os.Args[0]), os.Getpid())
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(log.String(), owner) {
		select {
		case err := <-exited:
			t.Fatalf("clawbridge run exited (%v) while the port was held", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log never said %q", owner)
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case err := <-exited:
		t.Fatalf("clawbridge run exited (%v) while the port was held", err)
	case <-time.After(3 * time.Second): // past a retry or two
	}

	held.Close()
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if got := strings.TrimSpace(line); got != "listening on http://"+addr {
		t.Fatalf("after the port was freed: %q", got)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit within 30s of SIGTERM")
	}
}
