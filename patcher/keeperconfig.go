package patcher

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// configKeeper is the Keeper's part for the config route: it keeps the
// models.providers.anthropic block, with the daemon's key, in the config
// file of every install routed to it, and writes it again after the app
// rewrites its config (`openclaw configure`, `openclaw doctor --fix`).
// Without a key, or with ReportOnly, it only reports. Run's goroutine owns
// it.
type configKeeper struct {
	base, key  string
	reportOnly bool
	// windows, when set, keeps the block's models list (SyncConfigModels).
	windows ContextWindows
	// patched holds the files seen patched during this run, so that a
	// later write is reported as Repatched.
	patched map[string]bool
	// last is the state last reported per file, so that a steady state is
	// reported once.
	last map[string]string
}

func newConfigKeeper(base, key string, reportOnly bool) *configKeeper {
	return &configKeeper{base: base, key: key, reportOnly: reportOnly, patched: map[string]bool{}, last: map[string]string{}}
}

// keep brings one config file to the wanted state. It returns the event
// to report, if any: none when the state is the one last reported.
func (c *configKeeper) keep(cf ConfigFile, now time.Time) (Event, bool) {
	st, err := InspectConfigWithKey(cf.Path, c.base, c.key)
	missing := errors.Is(err, fs.ErrNotExist)
	switch {
	case err != nil && !missing:
		return c.report(Event{Kind: Failed, Config: cf.Path, Err: err})
	case st.Patched && c.key != "":
		c.patched[cf.Path] = true
		if err := c.syncModels(cf, now); err != nil {
			return c.report(Event{Kind: Failed, Config: cf.Path, Err: err})
		}
		return c.report(Event{Kind: Verified, Config: cf.Path})
	case c.key == "" || c.reportOnly:
		return c.report(Event{Kind: Unpatched, Config: cf.Path})
	case missing:
		if _, err := os.Stat(filepath.Dir(cf.Path)); err != nil {
			// The app has not run yet: its state directory is made on first
			// start, and the keeper looks again then.
			return c.report(Event{Kind: Skipped, Config: cf.Path, Err: err})
		}
	}
	if _, err := PatchConfigWithKey(cf.Path, c.base, c.key, now); err != nil {
		return c.report(Event{Kind: Failed, Config: cf.Path, Err: err})
	}
	if err := c.syncModels(cf, now); err != nil {
		return c.report(Event{Kind: Failed, Config: cf.Path, Err: err})
	}
	kind := Patched
	if c.patched[cf.Path] {
		kind = Repatched
	}
	c.patched[cf.Path] = true
	c.last[cf.Path] = stateKey(Event{Kind: Verified})
	return Event{Kind: kind, Config: cf.Path}, true
}

// syncModels keeps the block's models list when the keeper has windows
// and may write.
func (c *configKeeper) syncModels(cf ConfigFile, now time.Time) error {
	if c.windows == nil || c.reportOnly || c.key == "" {
		return nil
	}
	_, err := SyncConfigModels(cf.Path, c.windows, now)
	return err
}

// report returns e unless it repeats the last state reported for its file.
func (c *configKeeper) report(e Event) (Event, bool) {
	key := stateKey(e)
	if c.last[e.Config] == key {
		return e, false
	}
	c.last[e.Config] = key
	return e, true
}

// configDirs are the directories to watch for a config file: its own and,
// when it is a symlink, the real file's.
func configDirs(path string) []string {
	dirs := []string{filepath.Dir(path)}
	if real, err := filepath.EvalSymlinks(path); err == nil && filepath.Dir(real) != dirs[0] {
		dirs = append(dirs, filepath.Dir(real))
	}
	return dirs
}
