package tray

import "fmt"

// guiSession decides, on macOS, whether this process runs in the user's
// GUI session from what `launchctl managername` printed (manager, or its
// failure lerr) and $SSH_CONNECTION. launchd names the login session
// "Aqua"; an SSH login is "StandardIO" and a daemon "System" or
// "Background". Without an answer from launchctl, an SSH connection is
// taken to mean no GUI.
func guiSession(manager string, lerr error, sshConnection string) error {
	switch {
	case lerr == nil && manager == "Aqua":
		return nil
	case lerr == nil:
		return fmt.Errorf("not in the GUI login session (launchd session %q, not Aqua; over SSH?): the icon needs the user logged in at the Mac, or the login agent (clawbridge install)", manager)
	case sshConnection != "":
		return fmt.Errorf("not in the GUI login session (SSH, and launchctl managername failed: %v)", lerr)
	}
	return nil
}
