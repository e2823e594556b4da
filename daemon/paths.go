package daemon

import (
	"os"
	"path/filepath"
	"runtime"
)

// LogDir is where clawbridge writes its logs: ~/Library/Logs/clawbridge on
// macOS (where Console.app looks), $XDG_STATE_HOME/clawbridge (default
// ~/.local/state/clawbridge) elsewhere.
func LogDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	if runtime.GOOS == "darwin" {
		return filepath.Join(home, "Library", "Logs", "clawbridge"), nil
	}
	if x := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "clawbridge"), nil
	}
	return filepath.Join(home, ".local", "state", "clawbridge"), nil
}
