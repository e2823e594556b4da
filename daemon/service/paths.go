package service

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
)

// LogFileName is the file in LogDir that receives the agent's stdout and
// stderr, on both platforms.
const LogFileName = "clawbridge.log"

// LogDir is where clawbridge's logs go: ~/Library/Logs/clawbridge on macOS
// (where Console.app looks), or the directory of the formula's log_path
// under Homebrew's var/log when `brew services` starts clawbridge;
// ${XDG_STATE_HOME:-~/.local/state}/clawbridge elsewhere (the XDG Base
// Directory home for logs).
func LogDir() (string, error) {
	home, err := homeDir(runtime.GOOS)
	if err != nil {
		return "", err
	}
	return logDirFor(runtime.GOOS, home, os.Getenv("XDG_STATE_HOME")), nil
}

// logDirFor is LogDir for a given platform, home and $XDG_STATE_HOME. A
// relative XDG_STATE_HOME is ignored, as the specification asks.
func logDirFor(goos, home, xdgState string) string {
	if goos == "darwin" {
		if dir := homebrewLogDir(homebrewPlist(home)); dir != "" {
			return dir
		}
		return filepath.Join(home, "Library", "Logs", "clawbridge")
	}
	if !filepath.IsAbs(xdgState) {
		xdgState = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(xdgState, "clawbridge")
}

// homeDir finds the home directory the way kardianos/service does on each
// platform, so that the files this package checks are the ones it writes:
// the account's home on macOS, $HOME elsewhere.
func homeDir(goos string) (string, error) {
	if goos == "darwin" {
		if u, err := user.Current(); err == nil && u.HomeDir != "" {
			return u.HomeDir, nil
		}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the home directory: %w", err)
	}
	return home, nil
}

// agentExecutable picks the path the installed agent runs, from exe (""
// means this process's executable). A binary inside an app bundle is taken
// as it is, so the LaunchAgent follows the bundle the user installed.
// Otherwise symlinks are resolved, so the agent does not depend on a link
// that may move, except that a binary in a versioned Homebrew keg
// (…/Cellar/clawbridge/1.2.0/bin/clawbridge) is reached through Homebrew's
// stable opt link instead, which survives `brew upgrade`.
func agentExecutable(exe string) (string, error) {
	if exe == "" {
		self, err := os.Executable()
		if err != nil {
			return "", fmt.Errorf("find this program's executable: %w", err)
		}
		exe = self
	}
	exe, err := filepath.Abs(exe)
	if err != nil {
		return "", fmt.Errorf("executable %s: %w", exe, err)
	}
	if InAppBundle(exe) {
		return exe, nil
	}
	resolved, err := filepath.EvalSymlinks(exe)
	if err != nil {
		return "", fmt.Errorf("executable: %w", err)
	}
	if opt := homebrewOptPath(resolved); opt != "" {
		return opt, nil
	}
	return resolved, nil
}

// InAppBundle reports whether p is X.app/Contents/MacOS/NAME: the
// executable of a macOS app bundle, which Finder starts with no arguments
// and the LaunchAgent runs as it is.
func InAppBundle(p string) bool {
	macos := filepath.Dir(p)
	contents := filepath.Dir(macos)
	return filepath.Base(macos) == "MacOS" && filepath.Base(contents) == "Contents" &&
		strings.HasSuffix(filepath.Dir(contents), ".app")
}

// homebrewOptPath maps PREFIX/Cellar/FORMULA/VERSION/REST to
// PREFIX/opt/FORMULA/REST when that link exists and leads back to the same
// file; otherwise it returns "".
func homebrewOptPath(resolved string) string {
	i := strings.LastIndex(resolved, "/Cellar/")
	if i < 0 {
		return ""
	}
	parts := strings.Split(resolved[i+len("/Cellar/"):], "/")
	if len(parts) < 3 {
		return ""
	}
	opt := filepath.Join(append([]string{resolved[:i], "opt", parts[0]}, parts[2:]...)...)
	if back, err := filepath.EvalSymlinks(opt); err != nil || back != resolved {
		return ""
	}
	return opt
}

// checkExecutable refuses what an agent cannot keep running: a missing or
// non-executable file, and the temporary binary of `go run`, which is
// deleted when it exits.
func checkExecutable(path string) error {
	sep := string(filepath.Separator)
	if strings.Contains(path, sep+"go-build") && strings.Contains(path, sep+"exe"+sep) {
		return fmt.Errorf("%s is a temporary `go run` build that disappears when it exits; build clawbridge (make build) and run install from that binary", path)
	}
	info, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("executable %s does not exist", path)
	}
	if err != nil {
		return fmt.Errorf("executable: %w", err)
	}
	if !info.Mode().IsRegular() || info.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}
