package doctor

import (
	"fmt"

	"github.com/clawbridge/clawbridge/daemon/status"
)

// filesHeadroom is the share of the open-files limit past which the
// doctor warns: watches that fail then look like missed installs.
const filesHeadroom = 0.8

// checkFiles shows the running daemon's watches and open files against
// its limit; nothing when no daemon runs or the limit is unknown.
func checkFiles(live *status.State) []Check {
	if live == nil || live.Files.Limit == 0 {
		return nil
	}
	f := live.Files
	c := Check{Name: "files", OK: float64(f.Open) < filesHeadroom*float64(f.Limit),
		Detail: fmt.Sprintf("%d directories watched, %d missing ones polled for; %d files open of a limit of %d",
			f.Watched, f.Polled, f.Open, f.Limit)}
	if !c.OK {
		c.Fix = "raise the open-files limit (macOS: sudo launchctl limit maxfiles 65536 200000, then restart clawbridge; Linux: LimitNOFILE= in the unit) or list fewer directories in clawbridge.patcher.dirs"
	}
	return []Check{c}
}
