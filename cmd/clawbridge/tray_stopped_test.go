//go:build linux

package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/admin"
	"github.com/clawbridge/clawbridge/tray/traytest"
)

// TestTrayShowsWhyItCannotStart is `clawbridge run` (with the real tray
// on a session bus) started while another program holds the translator's
// port, as LiteLLM does for users moving off it: the process stays, its
// menu says who holds the port and how to fix it, and once the port is
// free the daemon starts by itself; Quit then stops it (runtime file
// gone) and exits 0.
func TestTrayShowsWhyItCannotStart(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	addr := held.Addr().String()

	w := newTrayWorld(t, "http://127.0.0.1:1")
	runDir := filepath.Join(w.home, "run")
	run := startTrayRun(t, trayChildSpec{Config: w.configPath, Home: w.home, RuntimeDir: runDir,
		LogDir: filepath.Join(w.home, "logs"), Listen: addr})
	panel := run.panel

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // hang guard
	defer cancel()
	owner := fmt.Sprintf("(pid %d)", os.Getpid())
	menu, err := panel.WaitFor(ctx, "the menu saying who holds the port", func(root *traytest.Item) bool {
		return root.Find("clawbridge: not running") != nil && strings.Contains(strings.Join(root.Labels(), " "), owner)
	})
	if err != nil {
		t.Fatal(err)
	}
	labels := strings.Join(menu.Labels(), "\n")
	for _, want := range []string{"already in use by", "clawbridge.listen", "Starts by itself", "Open config", "Quit clawbridge"} {
		if !strings.Contains(labels, want) {
			t.Errorf("menu lacks %q:\n%s", want, labels)
		}
	}
	select {
	case err := <-run.exited:
		run.exited <- err
		t.Fatalf("clawbridge run exited (%v) instead of waiting for the port", err)
	default:
	}

	held.Close()
	if got := run.readLine(); got != "listening on http://"+addr {
		t.Fatalf("after the port was freed the child said %q", got)
	}
	// The running menu is built in steps (status, then the models section
	// with its submenus, then the commands): wait for all of it.
	if _, err := panel.WaitFor(ctx, "the running daemon's menu", func(root *traytest.Item) bool {
		return root.Find("Translator on "+addr+" · 0 requests") != nil && root.Find("Quit clawbridge") != nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ReadRuntime(runDir); err != nil {
		t.Fatalf("no runtime file while running: %v", err)
	}

	run.quit(t, ctx)
	if _, err := admin.ReadRuntime(runDir); err == nil {
		t.Error("runtime file left after Quit: the daemon was not stopped")
	}
}
