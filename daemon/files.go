package daemon

import (
	"os"

	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/patcher/fswatch"
)

// State returns a copy of the live state with the daemon's file use as
// it is now, which changes without an event to report it.
func (d *Daemon) State() status.State {
	s := d.live.State()
	s.Files = fileUse()
	return s
}

// fileUse counts the watches of every fswatch.Watcher in the process and
// the open file descriptors (from /dev/fd, which Linux and macOS both
// have), against the soft RLIMIT_NOFILE.
func fileUse() status.FilesState {
	var f status.FilesState
	f.Watched, f.Polled = fswatch.Totals()
	if fds, err := os.ReadDir("/dev/fd"); err == nil {
		f.Open = len(fds) - 1 // the descriptor reading the directory
	}
	f.Limit = fileLimit()
	return f
}
