//go:build (darwin && cgo) || linux || windows

package tray

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// openPath shows a file in the user's default application: `open` on
// macOS (falling back to the default text editor, see openDarwin), the
// file's handler on Windows, `xdg-open` elsewhere.
func openPath(ctx context.Context, path string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		return openDarwin(ctx, "open", path)
	case "windows":
		cmd = exec.CommandContext(ctx, "rundll32", "url.dll,FileProtocolHandler", path)
	default:
		cmd = exec.CommandContext(ctx, "xdg-open", path)
	}
	if out, err := run(cmd); err != nil {
		return fmt.Errorf("open %s: %w%s", path, err, outputSuffix(out))
	}
	return nil
}

// openDarwin runs `open path`, and when that fails `open -t path`: on a
// stock Mac no application claims .yaml or .log files and `open` fails
// with -10814 (kLSApplicationNotFoundErr), while -t always has TextEdit.
// opener is the open command, for tests.
func openDarwin(ctx context.Context, opener, path string) error {
	out, err := run(exec.CommandContext(ctx, opener, path))
	if err == nil {
		return nil
	}
	first := fmt.Errorf("open %s: %w%s", path, err, outputSuffix(out))
	if out, err := run(exec.CommandContext(ctx, opener, "-t", path)); err != nil {
		return fmt.Errorf("%w; open -t %s: %w%s", first, path, err, outputSuffix(out))
	}
	return nil
}

// clipboards are the commands that take text on stdin into the clipboard,
// in the order tried: the first one installed (and, for wl-copy, with a
// Wayland session) is used.
var clipboards = []struct {
	name string
	args []string
	when func() bool
}{
	{"pbcopy", nil, func() bool { return runtime.GOOS == "darwin" }},
	{"clip", nil, func() bool { return runtime.GOOS == "windows" }},
	{"wl-copy", nil, func() bool { return os.Getenv("WAYLAND_DISPLAY") != "" }},
	{"xclip", []string{"-selection", "clipboard"}, func() bool { return os.Getenv("DISPLAY") != "" }},
	{"xsel", []string{"--clipboard", "--input"}, func() bool { return os.Getenv("DISPLAY") != "" }},
}

// copyText puts text on the clipboard. copied is false, with no error,
// when no clipboard command is available; the caller then shows the text.
func copyText(ctx context.Context, text string) (copied bool, err error) {
	for _, c := range clipboards {
		if !c.when() {
			continue
		}
		path, err := exec.LookPath(c.name)
		if err != nil {
			continue
		}
		cmd := exec.CommandContext(ctx, path, c.args...)
		cmd.Stdin = strings.NewReader(text)
		if out, err := run(cmd); err != nil {
			return false, fmt.Errorf("copy with %s: %w%s", c.name, err, outputSuffix(out))
		}
		return true, nil
	}
	return false, nil
}

// run runs cmd for its exit status and output. Openers and clipboard tools
// (xdg-open, xclip, wl-copy) leave a child running that keeps our output
// pipes open, so the wait for output is cut short once cmd itself exits.
func run(cmd *exec.Cmd) ([]byte, error) {
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.CombinedOutput()
	if errors.Is(err, exec.ErrWaitDelay) {
		err = nil
	}
	return out, err
}

func outputSuffix(out []byte) string {
	if out = bytes.TrimSpace(out); len(out) == 0 {
		return ""
	}
	return ": " + string(out)
}
