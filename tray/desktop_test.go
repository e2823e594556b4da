//go:build linux

package tray

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests put stand-ins for xdg-open and xclip first on PATH: the
// tests check which command is run with what, which the real tools would
// hide behind a desktop the test machine does not have.

func fakeTool(t *testing.T, dir, name, script string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestOpenPathRunsXdgOpen(t *testing.T) {
	bin, got := t.TempDir(), filepath.Join(t.TempDir(), "args")
	fakeTool(t, bin, "xdg-open", `echo "$@" >`+got+"\n")
	t.Setenv("PATH", bin)
	if err := openPath(context.Background(), "/etc/clawbridge/config.yaml"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(got); string(b) != "/etc/clawbridge/config.yaml\n" {
		t.Errorf("xdg-open got %q", b)
	}

	fakeTool(t, bin, "xdg-open", "echo no handler >&2; exit 3\n")
	err := openPath(context.Background(), "/x")
	if err == nil || err.Error() != "open /x: exit status 3: no handler" {
		t.Errorf("failing xdg-open: %v", err)
	}
}

// TestCopyTextDoesNotWaitForTheClipboardOwner: xclip stays in the
// background, holding our output pipe, to serve the clipboard; copyText
// must return when xclip's first process exits.
func TestCopyTextDoesNotWaitForTheClipboardOwner(t *testing.T) {
	bin, tmp := t.TempDir(), t.TempDir()
	got, owner := filepath.Join(tmp, "clipboard"), filepath.Join(tmp, "owner.pid")
	fakeTool(t, bin, "xclip", `[ "$*" = "-selection clipboard" ] || exit 9
/bin/cat >`+got+`
/bin/sleep 120 &
echo $! >`+owner+"\n")
	t.Cleanup(func() {
		if b, err := os.ReadFile(owner); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	t.Setenv("PATH", bin)
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("DISPLAY", ":7")
	type result struct {
		copied bool
		err    error
	}
	done := make(chan result, 1)
	go func() {
		copied, err := copyText(context.Background(), "clawdbot tui")
		done <- result{copied, err}
	}()
	select {
	case r := <-done:
		if r.err != nil || !r.copied {
			t.Fatalf("copyText = %v, %v", r.copied, r.err)
		}
	case <-time.After(100 * time.Second): // the owner lives 120 s: a hang guard that fails
		t.Fatal("copyText waited for the background clipboard owner")
	}
	if b, _ := os.ReadFile(got); string(b) != "clawdbot tui" {
		t.Errorf("clipboard got %q", b)
	}
}

func TestCopyTextWithoutTools(t *testing.T) {
	bin := t.TempDir()
	fakeTool(t, bin, "xclip", "exit 1\n") // present, but there is no X display to use it on
	t.Setenv("PATH", bin)
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("DISPLAY", "")
	if copied, err := copyText(context.Background(), "x"); copied || err != nil {
		t.Errorf("copyText = %v, %v; want false, nil", copied, err)
	}
}

// TestOpenDarwinFallsBackToTextEditor runs openDarwin against a stand-in
// for macOS's open that fails like a stock Mac with no .yaml handler
// (LSOpenURLsWithRole() failed with error -10814) unless given -t.
func TestOpenDarwinFallsBackToTextEditor(t *testing.T) {
	bin, got := t.TempDir(), filepath.Join(t.TempDir(), "args")
	fakeTool(t, bin, "open", `echo "$@" >>`+got+`
if [ "$1" != "-t" ]; then echo "LSOpenURLsWithRole() failed with error -10814 for the file $1." >&2; exit 1; fi
`)
	opener := filepath.Join(bin, "open")
	if err := openDarwin(context.Background(), opener, "/u/config.yaml"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(got); string(b) != "/u/config.yaml\n-t /u/config.yaml\n" {
		t.Errorf("open got %q, want the plain open then open -t", b)
	}

	fakeTool(t, bin, "open", "echo broken >&2; exit 1\n")
	err := openDarwin(context.Background(), opener, "/u/config.yaml")
	if err == nil || !strings.Contains(err.Error(), "-t /u/config.yaml") || !strings.Contains(err.Error(), "broken") {
		t.Errorf("both opens failed: err = %v, want both failures named", err)
	}
}
