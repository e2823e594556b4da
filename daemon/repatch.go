package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clawbridge/clawbridge/daemon/config/settings"
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
// did not have. nil means every install found is routed and every pi-ai
// catalog points at clawbridge; the error says otherwise in words the
// user can act on.
func (d *Daemon) RepatchNow(ctx context.Context) error {
	rp := d.parts.running()
	k, st := rp.keeper, rp.patcher
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
	d.events.soon()          // the menu's lines catch up now, not at the next event
	installs := k.Installs() // as the same look left them
	if len(statuses) == 0 && len(installs) == 0 {
		var dirs []string
		for _, r := range k.Roots() {
			dirs = append(dirs, r.Dir)
		}
		if len(dirs) == 0 {
			return errors.New("no Clawdbot directory to search: set patcher.dirs in the config")
		}
		return fmt.Errorf("no Clawdbot/OpenClaw install and no pi-ai install found in %s", strings.Join(dirs, ", "))
	}
	if err := unrouted(installs, st.Enabled); err != nil {
		return err
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

// unrouted says which installs the look left without their route, or nil.
func unrouted(installs []patcher.InstallStatus, keeping bool) error {
	var bad []status.InstallState
	for _, in := range installs {
		if is := settings.InstallState(in, keeping); !is.Routed() {
			bad = append(bad, is)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d installs not routed; %s (%s): %s", len(bad), len(installs), bad[0].Name(), bad[0].Route, bad[0].Problem)
}
