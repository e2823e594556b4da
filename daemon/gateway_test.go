package daemon

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/peers"

	"github.com/clawbridge/clawbridge/daemon/status"
)

// TestGatewaySupervisesRealClawdbot runs the real Clawdbot gateway (from
// the provisioned install) under the daemon: started, killed and
// restarted, then stopped with the daemon, leaving no process behind.
func TestGatewaySupervisesRealClawdbot(t *testing.T) {
	w, port := gatewayWorld(t)
	d := startDaemon(t, w, Options{RuntimeDir: filepath.Join(w.home, "run"), GatewayBackoff: 100 * time.Millisecond})

	waitListening := func() int {
		t.Helper()
		deadline := time.Now().Add(120 * time.Second)
		for {
			st := d.State().Gateway
			if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil && st.Running {
				c.Close()
				return st.PID
			}
			if time.Now().After(deadline) {
				log, _ := os.ReadFile(st.LogPath)
				t.Fatalf("gateway not listening on %d (state %+v); log:\n%s", port, st, log)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	first := waitListening()
	if st := d.State().Gateway; st.TUICommand == "" || st.Restarts != 0 {
		t.Errorf("state %+v", st)
	}

	// Killed hard: the daemon starts it again.
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a restart", func() bool { st := d.State().Gateway; return st.Restarts >= 1 && st.PID != first && st.PID != 0 })
	second := waitListening()

	// Stopped with the daemon: nothing of its process group survives.
	d.Stop()
	if err := syscall.Kill(-second, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("gateway process group %d still alive after Stop (%v)", second, err)
	}
	if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
		c.Close()
		t.Errorf("port %d still open after Stop", port)
	}
	if log, _ := os.ReadFile(filepath.Join(w.home, "logs", "gateway.log")); !strings.Contains(string(log), "listening on ws://") {
		t.Errorf("gateway log lacks the gateway's own output:\n%s", log)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestGatewayWaitsForThePatch shows the gateway is never started while a
// pi-ai catalog still points at Anthropic (its first turn would send the
// conversation there): it waits, says why on its state and in a
// notification, and starts as soon as the catalog is patched.
func TestGatewayWaitsForThePatch(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, "http://127.0.0.1:1", fmt.Sprintf(`  gateway:
    enabled: true
    command: [%s, "3600"]
`, sleep))
	// A catalog cut short cannot be patched: an install still writing it.
	mustWrite(t, w.catalog, w.original[:len(w.original)/3])
	n, noted := recordingNotifier(t)
	d := startDaemon(t, w, Options{RuntimeDir: filepath.Join(w.home, "run"), Notifier: n, GatewayPatchWait: 200 * time.Millisecond})

	waitFor(t, "the gateway to say it waits", func() bool {
		return strings.Contains(d.State().Gateway.Err, "cannot be patched")
	})
	if st := d.State().Gateway; st.Running || st.PID != 0 {
		t.Fatalf("gateway started while the catalog points at Anthropic: %+v", st)
	}
	waitFor(t, "the waiting notification", func() bool { return noted("Clawdbot gateway waiting: ", w.catalog) })

	// The install finishes: the catalog is patched, then the gateway runs.
	replaceFile(t, w.catalog, w.original)
	waitFor(t, "the gateway to start", func() bool { st := d.State().Gateway; return st.Running && st.PID != 0 })
	if st := d.State().Gateway; st.Err != "" {
		t.Errorf("gateway running but its state still says %q", st.Err)
	}
	data, err := os.ReadFile(w.catalog)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), `baseUrl: "https://api.anthropic.com"`) {
		t.Error("gateway started before the catalog was patched")
	}
}

func TestPatchPending(t *testing.T) {
	for _, c := range []struct {
		st   status.PatcherState
		want string
	}{
		{status.PatcherState{Enabled: false}, ""},
		{status.PatcherState{Enabled: true}, "no Clawdbot/OpenClaw install and no pi-ai catalog has been found"},
		{status.PatcherState{Enabled: true, Installs: []status.InstallState{{App: "openclaw", Version: "2026.9.6", Route: "config route", State: status.RouteRouted}}}, ""},
		{status.PatcherState{Enabled: true, Installs: []status.InstallState{{App: "openclaw", Version: "2026.9.6", Route: "config route",
			State: status.RouteUnpatched, Problem: "/h/.openclaw/openclaw.json has no models.providers.anthropic block"}}},
			"OpenClaw 2026.9.6 is not routed (config route: /h/.openclaw/openclaw.json has no models.providers.anthropic block)"},
		{status.PatcherState{Enabled: true, Targets: []status.TargetState{{File: "/a", URLs: 21, Patched: 21}}}, ""},
		{status.PatcherState{Enabled: true, Targets: []status.TargetState{{File: "/a", URLs: 21, Patched: 21}, {File: "/b", URLs: 23, Patched: 0}}},
			"/b is not patched (0 of 23 Anthropic base URLs point at clawbridge)"},
		{status.PatcherState{Enabled: true, Targets: []status.TargetState{{File: "/a", Err: "not a complete pi-ai model catalog"}}},
			"/a cannot be patched (not a complete pi-ai model catalog)"},
		{status.PatcherState{Enabled: true, Targets: []status.TargetState{{File: "/a"}}}, "/a is not patched (no Anthropic base URL found in it)"},
	} {
		if got := patchPending(c.st); got != c.want {
			t.Errorf("patchPending(%+v) = %q, want %q", c.st, got, c.want)
		}
	}
}

// gatewayWorld is a world whose config supervises the provisioned real
// Clawdbot gateway on a free port, with HOME set to the world's (Clawdbot
// keeps its state there). Without the provisioned Clawdbot the test is
// skipped, or fails under CLAWBRIDGE_REQUIRE_PEERS.
func gatewayWorld(t *testing.T) (w *world, port int) {
	t.Helper()
	dir, node := os.Getenv("CLAWBRIDGE_CLAWDBOT_DIR"), os.Getenv("CLAWBRIDGE_NODE22_BIN")
	if dir == "" || node == "" {
		peers.Missing(t, "no provisioned Clawdbot: CLAWBRIDGE_CLAWDBOT_DIR and CLAWBRIDGE_NODE22_BIN are not set")
	}
	port = freePort(t)
	entry := filepath.Join(dir, "node_modules", "clawdbot", "dist", "index.js")
	w = newWorld(t, "http://127.0.0.1:1", fmt.Sprintf(`  gateway:
    enabled: true
    port: %d
    command: [%s, %s, gateway, --port, "%d", --allow-unconfigured]
`, port, node, entry, port))
	t.Setenv("HOME", w.home)
	return w, port
}
