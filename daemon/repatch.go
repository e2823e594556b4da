package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/patcher"
)

// repatchWait bounds how long "Re-patch now" waits for the patcher's look,
// which takes milliseconds: it only keeps a hung keeper from hanging the
// menu's action.
const repatchWait = time.Minute

// RepatchNow is the menu's "Re-patch now" and the admin endpoint's
// /repatch: the keeper looks at every catalog at once, and the answer is
// what that look found, so the tray never claims a success the patcher
// did not have. nil means every pi-ai install found points at clawbridge;
// the error says otherwise in words the user can act on.
func (d *Daemon) RepatchNow(ctx context.Context) error {
	k, _, st := d.parts.running()
	switch {
	case !st.Enabled:
		return errors.New("the patcher is off: turn on Re-apply patch after installs")
	case k == nil && st.Err != "":
		return fmt.Errorf("the patcher is not running: %s", st.Err)
	case k == nil:
		return errors.New("the patcher is not running")
	}
	ctx, cancel := context.WithTimeout(ctx, repatchWait)
	defer cancel()
	statuses, err := k.PatchNow(ctx)
	if errors.Is(err, patcher.ErrNotRunning) {
		return errors.New("the patcher restarted for a config change while re-patching: try again")
	}
	if err != nil {
		return err
	}
	d.events.soon() // the menu's pi-ai line catches up now, not at the next event
	if len(statuses) == 0 {
		var dirs []string
		for _, r := range k.Roots() {
			dirs = append(dirs, r.Dir)
		}
		if len(dirs) == 0 {
			return errors.New("no Clawdbot directory to search: set patcher.dirs in the config")
		}
		return fmt.Errorf("no pi-ai install found in %s", strings.Join(dirs, ", "))
	}
	var bad []status.TargetState
	for _, s := range statuses {
		if t := targetState(s); t.Unpatched() != "" {
			bad = append(bad, t)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d pi-ai installs not patched; %s: %s", len(bad), len(statuses), bad[0].File, bad[0].Unpatched())
}
