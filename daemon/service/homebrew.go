package service

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"howett.net/plist"
)

// HomebrewLabel is the label `brew services start clawbridge` gives the
// LaunchAgent it writes from the formula's service block
// (packaging/homebrew/clawbridge.rb).
const HomebrewLabel = "homebrew.mxcl.clawbridge"

// ErrHomebrew means clawbridge already starts at login through `brew
// services`; a second agent of our own would run beside it and lose the
// port to it, respawning forever.
var ErrHomebrew = errors.New("clawbridge already starts at login through Homebrew (brew services)")

// homebrewPlist is where `brew services` puts clawbridge's LaunchAgent.
func homebrewPlist(home string) string {
	return filepath.Join(home, "Library", "LaunchAgents", HomebrewLabel+".plist")
}

// homebrewError is ErrHomebrew with the file and the brew command that
// does what the user asked for instead of verb.
func homebrewError(file, verb string) error {
	return fmt.Errorf("%w (%s); use `brew services %s clawbridge` instead, or `brew services stop clawbridge` first to let clawbridge manage its own agent", ErrHomebrew, file, verb)
}

// homebrewStatus reports the Homebrew agent as Status does.
func homebrewStatus(job launchJob) (State, error) {
	st := State{Installed: true, File: job.plist, Homebrew: true}
	js, err := job.state()
	switch {
	case err != nil:
		st.Detail = "installed by Homebrew (brew services); launchd could not be asked"
		return st, fmt.Errorf("ask launchd about %s: %w", job.label, err)
	case js.Running:
		st.Running = true
		st.Detail = "running, started by Homebrew (brew services)"
	case js.Loaded:
		st.Detail = "installed by Homebrew (brew services), not running (start it with `brew services restart clawbridge`)"
	default:
		st.Detail = "installed by Homebrew (brew services), but launchd has not loaded it (run `brew services restart clawbridge`)"
	}
	return st, nil
}

// homebrewLogDir is the directory the Homebrew agent's output goes to
// (the formula's log_path under Homebrew's var/log), or "" when there is
// no such agent or it names no absolute log path.
func homebrewLogDir(file string) string {
	b, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	var job struct {
		StandardOutPath string `plist:"StandardOutPath"`
	}
	if _, err := plist.Unmarshal(b, &job); err != nil || !filepath.IsAbs(job.StandardOutPath) {
		return ""
	}
	return filepath.Dir(job.StandardOutPath)
}
