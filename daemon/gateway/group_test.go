//go:build unix

package gateway

import (
	"context"
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

	"github.com/clawbridge/clawbridge/daemon/peers"
)

// supervisorChildEnv, set, makes the test binary run a Supervisor as a
// stand-in daemon that the test can SIGKILL.
const supervisorChildEnv = "CLAWBRIDGE_TEST_GATEWAY_SUPERVISOR"

type supervisorChild struct {
	Dir  string   `json:"dir"`
	Argv []string `json:"argv"`
}

// TestMain runs the stand-in daemon when the test binary is started as
// one, and the tests otherwise.
func TestMain(m *testing.M) {
	if spec := os.Getenv(supervisorChildEnv); spec != "" {
		runSupervisorChild(spec)
		return
	}
	os.Exit(m.Run())
}

// runSupervisorChild supervises a gateway until the process is killed.
func runSupervisorChild(spec string) {
	var c supervisorChild
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	New(Options{Argv: c.Argv, Dir: c.Dir, LogPath: filepath.Join(c.Dir, "gateway.log"), RuntimeDir: c.Dir,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Backoff: time.Second, MaxBackoff: time.Second}).Run(context.Background())
}

// provisionedNode is the real Node the tests run; without one the test is
// skipped, or fails under CLAWBRIDGE_REQUIRE_PEERS.
func provisionedNode(t *testing.T) string {
	node := os.Getenv("CLAWBRIDGE_NODE22_BIN")
	if node == "" {
		peers.Missing(t, "no provisioned Node: CLAWBRIDGE_NODE22_BIN is not set")
	}
	return node
}

func listening(port int) bool {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err == nil {
		c.Close()
	}
	return err == nil
}

// TestKillStaleStopsWhatACrashedDaemonLeft: a supervising process killed
// with SIGKILL leaves its Node gateway (and the helper it spawned)
// holding the port; KillStale, as the next daemon runs it, frees it.
func TestKillStaleStopsWhatACrashedDaemonLeft(t *testing.T) {
	node := provisionedNode(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	script := fmt.Sprintf(`require("child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 1e6)"], {stdio: "ignore"});
require("http").createServer((q, s) => s.end("ok")).listen(%d, "127.0.0.1");`, port)
	spec, _ := json.Marshal(supervisorChild{Dir: dir, Argv: []string{node, "-e", script}})
	daemon := exec.Command(os.Args[0])
	daemon.Env = append(os.Environ(), supervisorChildEnv+"="+string(spec))
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { daemon.Wait(); close(exited) }()
	defer func() {
		daemon.Process.Kill()
		<-exited
	}()

	var rec group
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, err := os.ReadFile(filepath.Join(dir, GroupFile))
		if err == nil && json.Unmarshal(data, &rec) == nil && listening(port) {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "gateway.log"))
			t.Fatalf("the gateway did not come up (record %q); log:\n%s", data, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	defer syscall.Kill(-rec.PGID, syscall.SIGKILL) // whatever happens below
	if rec.Daemon != daemon.Process.Pid || rec.Argv[0] != node {
		t.Errorf("record %+v, want the child daemon %d and %s", rec, daemon.Process.Pid, node)
	}

	daemon.Process.Signal(syscall.SIGKILL)
	<-exited
	time.Sleep(200 * time.Millisecond)
	if !listening(port) || !groupExists(rec.PGID) {
		t.Fatal("the gateway died with the daemon: this test no longer shows the leftover")
	}

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	stopped, err := KillStale(dir, log)
	if err != nil || !stopped {
		t.Fatalf("KillStale = %v, %v; want the leftover stopped", stopped, err)
	}
	if listening(port) {
		t.Errorf("port %d still open after KillStale", port)
	}
	if groupExists(rec.PGID) {
		t.Errorf("process group %d (the gateway and its helper) still alive", rec.PGID)
	}
	if _, err := os.Stat(filepath.Join(dir, GroupFile)); !os.IsNotExist(err) {
		t.Errorf("%s left behind: %v", GroupFile, err)
	}
	if stopped, err := KillStale(dir, log); stopped || err != nil {
		t.Errorf("second KillStale = %v, %v; want nothing to do", stopped, err)
	}
}

// leader starts `sleep` as the leader of its own process group.
func leader(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// TestKillStaleLeavesOthersAlone: a record whose pid now belongs to
// another process (another start time), or is no group leader, is
// dropped without a signal; a broken record is an error, and dropped.
func TestKillStaleLeavesOthersAlone(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	other := leader(t)
	started, err := procStart(other.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	follower := exec.Command("sleep", "60") // in the test's own group
	if err := follower.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { follower.Process.Kill(); follower.Wait() })

	for _, c := range []struct {
		name string
		rec  string
	}{
		{"reused pid", fmt.Sprintf(`{"pgid": %d, "started": %q}`, other.Process.Pid, started+"0")},
		{"not a leader", fmt.Sprintf(`{"pgid": %d, "started": %q}`, follower.Process.Pid, started)},
		{"gone", `{"pgid": 999999999, "started": "ticks:1"}`},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, GroupFile), []byte(c.rec), 0o600); err != nil {
			t.Fatal(err)
		}
		if stopped, err := KillStale(dir, log); stopped || err != nil {
			t.Errorf("%s: KillStale = %v, %v; want nothing stopped", c.name, stopped, err)
		}
		if _, err := os.Stat(filepath.Join(dir, GroupFile)); !os.IsNotExist(err) {
			t.Errorf("%s: record not removed", c.name)
		}
	}
	for _, p := range []*exec.Cmd{other, follower} {
		if err := p.Process.Signal(syscall.Signal(0)); err != nil {
			t.Errorf("pid %d was signalled: %v", p.Process.Pid, err)
		}
	}

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, GroupFile), []byte(`{"pgid": 1}`), 0o600)
	if _, err := KillStale(dir, log); err == nil {
		t.Error("a record naming pid 1 was accepted")
	}
}

// TestPsProcStart checks the macOS way of reading a start time (ps) on
// the processes at hand: stable for one process, refused for a process
// that leads no group.
func TestPsProcStart(t *testing.T) {
	if _, err := exec.LookPath("ps"); err != nil {
		t.Skip("no ps here")
	}
	l := leader(t)
	a, err := psProcStart(l.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := psProcStart(l.Process.Pid); err != nil || a != b {
		t.Errorf("start time of one process: %q then %q (%v)", a, b, err)
	}
	follower := exec.Command("sleep", "60")
	follower.Start()
	defer func() { follower.Process.Kill(); follower.Wait() }()
	if _, err := psProcStart(follower.Process.Pid); err == nil {
		t.Error("a process in another's group was taken for a group leader")
	}
	if _, err := psProcStart(999999999); err == nil {
		t.Error("a pid that does not exist has a start time")
	}
	if got, err := psStart(42, " 42 Mon Dec  7 00:16:34 2026\n"); err != nil || got != "lstart:Mon Dec 7 00:16:34 2026" {
		t.Errorf("psStart = %q, %v", got, err)
	}
}
