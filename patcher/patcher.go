// Package patcher keeps Clawdbot, Moltbot and OpenClaw installs pointed at
// clawbridge, each by the route its release supports.
//
// FindInstalls lists the app packages (checkouts, npm and pnpm projects,
// pnpm's store, global npm/pnpm/Homebrew/nvm installs; see GlobalRootsFrom)
// with their versions, and RouteFor chooses, per install:
//
//   - the catalog patch, for releases that load pi-ai (Clawdbot, Moltbot,
//     OpenClaw up to 2026.5.27): the Anthropic base URLs of the catalog
//     Node.js resolves from the app are rewritten to the translator. The
//     formats (Format) are @mariozechner/pi-ai's and @earendil-works/pi-ai
//     0.74-0.79's dist/models.generated.js, 0.80's
//     providers/anthropic.models.js and 0.81+'s
//     providers/data/anthropic.json;
//   - the config route, for OpenClaw 2026.5.28 and later: the documented
//     models.providers.anthropic block, with the daemon's key, in the
//     app's JSON5 config (PatchConfigWithKey).
//
// pnpm keeps several pi-ai versions side by side; Discover finds every
// catalog, Patch rewrites and verifies one, Undo restores it byte for
// byte. A Keeper watches the install directories and config files and
// re-applies both routes after `pnpm install`, `npm i -g` or the app
// rewriting its config, and reports each install's state
// (Keeper.Installs, InspectInstall).
//
// Writes are temp file + rename (patcher/atomicfile): pnpm hard-links these
// files into its content store, shared by every project on the machine, and
// an in-place write would patch the store copy as well.
package patcher

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/clawbridge/clawbridge/patcher/atomicfile"
)

// Status is where one target's catalog stands.
type Status struct {
	Target Target
	// BaseURL is the base URL the catalog was checked against.
	BaseURL string
	// URLs counts the catalog's Anthropic base URLs: those still pointing
	// at Anthropic plus those clawbridge moved. Patched counts the ones
	// pointing at BaseURL.
	URLs, Patched int
	// ModTime is when the catalog last changed.
	ModTime time.Time
	// Err says why the catalog could not be read or checked; errors.Is
	// ErrNotCatalog for a file that is not (yet) a complete catalog.
	Err error
}

// IsPatched reports a catalog whose every Anthropic base URL points at
// BaseURL.
func (s Status) IsPatched() bool { return s.Err == nil && s.URLs > 0 && s.Patched == s.URLs }

// State is a one-word summary for tables and menus: "patched",
// "unpatched", "partial" or "error".
func (s Status) State() string {
	switch {
	case s.Err != nil || s.URLs == 0:
		return "error"
	case s.Patched == s.URLs:
		return "patched"
	case s.Patched == 0:
		return "unpatched"
	default:
		return "partial"
	}
}

// Result is the outcome of Patch or Undo on one target.
type Result struct {
	// Status is the target's state after the call.
	Status Status
	// Changed is how many base URLs were rewritten; zero means the file
	// was already as wanted and was not written.
	Changed int
}

// Inspect reads t's catalog and reports how many of its Anthropic base URLs
// point at baseURL. It never writes.
func Inspect(t Target, baseURL string) Status {
	st, _ := inspect(t, baseURL)
	return st
}

func inspect(t Target, baseURL string) (Status, *catalog) {
	st := Status{Target: t, BaseURL: baseURL}
	file, err := safeFile(t)
	if err != nil {
		st.Err = err
		return st, nil
	}
	fi, err := os.Stat(file)
	if err != nil {
		st.Err = err
		return st, nil
	}
	st.ModTime = fi.ModTime()
	src, err := os.ReadFile(file)
	if err != nil {
		st.Err = err
		return st, nil
	}
	c, err := t.Format.parse(src)
	if err != nil {
		st.Err = err
		return st, nil
	}
	st.URLs, st.Patched = c.counts(baseURL)
	if st.URLs == 0 {
		st.Err = fmt.Errorf("%w: no Anthropic base URL found", ErrNotCatalog)
	}
	return st, c
}

// Patch points every Anthropic base URL in t's catalog at baseURL (checked
// with CheckBaseURL) and verifies the result. A catalog already patched is
// not written. A file that is not a complete catalog, a symlinked catalog,
// or one an installer replaced while it was being patched is left alone
// with an error; try again after the next change.
func Patch(t Target, baseURL string) (Result, error) {
	base, err := CheckBaseURL(baseURL)
	if err != nil {
		return Result{Status: Status{Target: t, BaseURL: baseURL, Err: err}}, err
	}
	res, err := rewrite(t, base, func(src []byte) ([]byte, int, error) { return patchAs(t.Format, src, base) })
	if err != nil {
		return res, fmt.Errorf("patch %s: %w", t.File, err)
	}
	if !res.Status.IsPatched() {
		err := fmt.Errorf("patch %s: verify: %d of %d Anthropic base URLs point at %s", t.File, res.Status.Patched, res.Status.URLs, base)
		return res, err
	}
	return res, nil
}

// Undo restores every base URL clawbridge rewrote in t's catalog to what it
// was, byte for byte. The returned Status has no BaseURL, so Patched is 0.
func Undo(t Target) (Result, error) {
	res, err := rewrite(t, "", func(src []byte) ([]byte, int, error) { return undoAs(t.Format, src) })
	if err != nil {
		return res, fmt.Errorf("undo %s: %w", t.File, err)
	}
	if _, c := inspect(t, ""); c != nil {
		for _, s := range c.sites {
			if s.marked {
				return res, fmt.Errorf("undo %s: verify: %s/%s still patched", t.File, s.provider, s.model)
			}
		}
	}
	return res, nil
}

// errReplaced means an installer replaced the catalog between reading and
// writing it; writing would have put the old content back.
var errReplaced = errors.New("catalog replaced while patching it")

func rewrite(t Target, baseURL string, fn func([]byte) ([]byte, int, error)) (Result, error) {
	fail := func(err error) (Result, error) {
		return Result{Status: Status{Target: t, BaseURL: baseURL, Err: err}}, err
	}
	file, err := safeFile(t)
	if err != nil {
		return fail(err)
	}
	// A patcher killed mid-write left its temporary file in dist/; the
	// catalog itself is whole either way (see atomicfile).
	atomicfile.CleanTemps(filepath.Dir(file), filepath.Base(file))
	before, err := os.Stat(file)
	if err != nil {
		return fail(err)
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return fail(err)
	}
	out, n, err := fn(src)
	if err != nil {
		return fail(err)
	}
	if n > 0 {
		now, err := os.Stat(file)
		if err != nil {
			return fail(err)
		}
		if !os.SameFile(before, now) || now.Size() != before.Size() || !now.ModTime().Equal(before.ModTime()) {
			return fail(errReplaced)
		}
		if err := atomicfile.WriteFile(file, out, before.Mode().Perm()); err != nil {
			return fail(err)
		}
	}
	st, _ := inspect(t, baseURL)
	return Result{Status: st, Changed: n}, nil
}
