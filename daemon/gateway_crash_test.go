//go:build unix

package daemon

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/gateway"
	"github.com/clawbridge/clawbridge/daemon/notify"
)

// crashChildEnv, set, makes the test binary run a daemon (see
// runCrashChild) for TestRestartStopsTheGatewayACrashLeft to SIGKILL.
const crashChildEnv = "CLAWBRIDGE_TEST_DAEMON_CHILD"

type crashChild struct {
	Config, Home, RuntimeDir, LogDir string
}

// TestMain runs the child daemon when the test binary is started as one,
// and the tests otherwise.
func TestMain(m *testing.M) {
	if spec := os.Getenv(crashChildEnv); spec != "" {
		os.Exit(runCrashChild(spec))
	}
	os.Exit(m.Run())
}

// runCrashChild starts a daemon and blocks until the process is killed.
func runCrashChild(spec string) int {
	var c crashChild
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	d, err := New(Options{ConfigPath: c.Config, Home: c.Home, RuntimeDir: c.RuntimeDir, LogDir: c.LogDir,
		Listen: "127.0.0.1:0", Getenv: func(string) string { return "" }, Version: "test",
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Notifier: notify.New(notify.Options{Send: func(string, string) error { return nil }})})
	if err == nil {
		err = d.Start()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	select {}
}

// TestRestartStopsTheGatewayACrashLeft is a daemon killed with SIGKILL
// (a crash, launchd at logout) while it supervises the real Clawdbot
// gateway: the gateway, in its own process group, survives and keeps its
// port. The next daemon for the same runtime directory stops it, and its
// own gateway gets the port.
func TestRestartStopsTheGatewayACrashLeft(t *testing.T) {
	w, port := gatewayWorld(t)
	runDir := filepath.Join(w.home, "run")
	spec, _ := json.Marshal(crashChild{Config: w.configPath, Home: w.home, RuntimeDir: runDir, LogDir: filepath.Join(w.home, "logs")})
	child := exec.Command(os.Args[0])
	child.Env = append(os.Environ(), crashChildEnv+"="+string(spec))
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { child.Wait(); close(exited) }()
	defer func() { child.Process.Kill(); <-exited }()

	listening := func() bool {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	}
	var rec struct{ PGID int }
	waitFor(t, "the first daemon's gateway listening", func() bool {
		data, err := os.ReadFile(filepath.Join(runDir, gateway.GroupFile))
		return err == nil && json.Unmarshal(data, &rec) == nil && listening()
	})
	defer syscall.Kill(-rec.PGID, syscall.SIGKILL) // in any case

	child.Process.Signal(syscall.SIGKILL)
	<-exited
	time.Sleep(300 * time.Millisecond)
	if !listening() {
		t.Fatal("the gateway died with the daemon: this test no longer shows the leftover")
	}

	d := startDaemon(t, w, Options{RuntimeDir: runDir, GatewayBackoff: 100 * time.Millisecond})
	if err := syscall.Kill(-rec.PGID, 0); err == nil {
		t.Errorf("the crashed daemon's gateway (group %d) survives the new daemon's start", rec.PGID)
	}
	waitFor(t, "the new daemon's gateway on the port", func() bool {
		st := d.State().Gateway
		return st.Running && st.PID != rec.PGID && st.Restarts == 0 && listening()
	})
}
