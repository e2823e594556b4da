package guard

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tailscale/hujson"
)

// RemovedSuffix starts the name under which the guard moves aside an
// auth-profiles.json it had written into an agent directory that has
// since moved to SQLite, followed by the UTC time: OpenClaw 2026.9 refuses
// every Anthropic turn while any auth-profiles.json sits beside an empty
// SQLite store (AUTH_PROFILE_MIGRATION_REQUIRED), even one holding only
// clawbridge's key, and it looks for that exact name only.
const RemovedSuffix = ".clawbridge-removed-"

// removedNote is what a Removed event says.
const removedNote = "removed the " + FileName + " clawbridge had written: " +
	"this release keeps its auth store in SQLite and refuses a legacy JSON store"

// legacyParams is what a round in a SQLite directory needs of its Guard.
type legacyParams struct {
	keys []string // the keys clawbridge may have pinned: the guard's and DefaultKey
	lock lockParams
	log  *slog.Logger
}

// legacyOf is g's legacyParams.
func legacyOf(g *Guard) legacyParams {
	keys := []string{g.key}
	if g.key != DefaultKey {
		keys = append(keys, DefaultKey)
	}
	return legacyParams{keys: keys, log: g.log,
		lock: lockParams{stale: g.opts.LockStale, wait: g.opts.LockWait, busy: g.lockBusy}}
}

// sqliteRound is one round for a directory whose store is the SQLite
// database db; ev is the round's event so far, for its auth-profiles.json.
// The guard writes no store there. An auth-profiles.json holding nothing
// but what clawbridge writes (see ownStore) is clawbridge's to take back:
// it is moved aside under the store lock, after looking again there. Any
// other one is left alone and reported (LegacyStore).
func sqliteRound(ctx context.Context, ev Event, db string, st *dirState, p legacyParams) Event {
	path := ev.Path
	fail := func(err error) Event {
		ev.Kind, ev.Err, ev.Time = Failed, err, time.Now()
		return ev
	}
	own, present, err := legacyFile(path, p.keys)
	switch {
	case err != nil:
		return fail(err)
	case !present:
		return leftAlone(ev, db)
	case !own:
		return foreignLeft(ev)
	}
	lock, err := acquireLock(ctx, path, p.lock)
	if err != nil {
		return fail(fmt.Errorf("guard %s: %w", path, err))
	}
	defer func() {
		if err := lock.release(); err != nil {
			p.log.Warn("guard: release store lock", "err", err)
		}
	}()
	// Under the lock: another clawbridge (or the user) may have changed
	// the file, or the app its database, since the first look.
	own, present, err = legacyFile(path, p.keys)
	switch {
	case err != nil:
		return fail(err)
	case !present || sqliteStore(filepath.Dir(path)) == "":
		return leftAlone(ev, db)
	case !own:
		return foreignLeft(ev)
	}
	now := time.Now()
	moved, err := moveAside(path, now)
	if err != nil {
		return fail(err)
	}
	ev.Kind, ev.Time = Removed, now
	ev.Changes = []string{removedNote + " (kept it as " + filepath.Base(moved) + ")"}
	bak := path + BackupSuffix
	if own, present, err := legacyFile(bak, p.keys); err == nil && present && own {
		if movedBak, err := moveAside(bak, now); err == nil {
			ev.Changes = append(ev.Changes, "moved its backup aside too (kept it as "+filepath.Base(movedBak)+")")
		} else {
			p.log.Warn("guard: move the store's backup aside", "err", err)
		}
	}
	// The last good copy was clawbridge's own store, nothing to recover
	// from should the directory ever hold a JSON store again.
	st.last, st.bakOnDisk = nil, nil
	return ev
}

// sqliteStatus fills in s, the status of a directory whose store is the
// SQLite database s.SQLite, for its auth-profiles.json (if any); keys are
// the keys clawbridge may have pinned.
func sqliteStatus(s *Status, keys []string) {
	s.Removed = lastRemoved(s.Path)
	own, present, err := legacyFile(s.Path, keys)
	switch {
	case err != nil:
		s.Err = err
	case !present:
	case own:
		s.Legacy = true
		s.Problems = []string{FileName + " still holds the store clawbridge wrote, which OpenClaw 2026.9 refuses beside " +
			"its SQLite store; the guard moves it aside at its next check (or run `clawbridge guard --fix`)"}
	default:
		s.Legacy, s.LegacyForeign = true, true
		s.Problems = []string{foreignNote}
	}
}

// foreignNote says what to do about an auth-profiles.json clawbridge did
// not write in a directory that has moved to SQLite.
const foreignNote = FileName + " holds profiles clawbridge did not write; this release keeps its auth store in " +
	"SQLite and reads this file only to migrate it (OpenClaw 2026.9 refuses Anthropic turns until then): " +
	"run `openclaw doctor --fix` to migrate it into the SQLite store"

// foreignLeft turns ev into the LegacyStore event.
func foreignLeft(ev Event) Event {
	ev.Kind = LegacyStore
	ev.Changes = []string{foreignNote}
	return ev
}

// legacyFile reads the auth-profiles.json (or backup) at path: present
// is false when there is none, own is true when it is a regular file
// holding nothing but what clawbridge writes with one of keys. A symlink
// is never clawbridge's: the guard does not make them.
func legacyFile(path string, keys []string) (own, present bool, err error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("guard: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return false, true, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, false, nil
	}
	if err != nil {
		return false, true, fmt.Errorf("guard: %w", err)
	}
	return ownStore(data, keys), true, nil
}

// ownStore reports whether data is a store holding nothing but what
// clawbridge writes, compared structurally (member order and white space
// do not matter, a repeated name does): a version of 1, profiles holding
// only anthropic:default as an Anthropic API key with one of keys, and,
// when present, order holding only anthropic: ["anthropic:default"] and
// lastGood only anthropic: "anthropic:default". OpenClaw up to 2026.5
// moves order and lastGood into auth-state.json when it saves the store,
// hence "when present".
func ownStore(data []byte, keys []string) bool {
	top, err := parseStore(data)
	if err != nil {
		return false
	}
	want := map[string]string{
		"version":  "1",
		"order":    `{"anthropic":["anthropic:default"]}`,
		"lastGood": `{"anthropic":"anthropic:default"}`,
	}
	seen := map[string]bool{}
	for name, v := range top.members() {
		if seen[name] {
			return false
		}
		seen[name] = true
		if name == "profiles" {
			if !ownProfiles(v, keys) {
				return false
			}
			continue
		}
		if w, ok := want[name]; !ok || compactOf(v) != w {
			return false
		}
	}
	return seen["profiles"]
}

// ownProfiles reports whether v, a store's profiles, holds exactly the
// profile clawbridge pins, with one of keys.
func ownProfiles(v hujson.Value, keys []string) bool {
	wrapped, ok := asObject(v)
	if !ok || len(wrapped.Members) != 1 || memberName(&wrapped.Members[0]) != DefaultProfile {
		return false
	}
	p, ok := asObject(wrapped.Members[0].Value)
	if !ok || len(p.Members) != 3 {
		return false
	}
	seen := map[string]bool{}
	for name := range p.members() {
		seen[name] = true
	}
	if !seen["type"] || !seen["provider"] || !seen["key"] {
		return false
	}
	if stringMember(p, "type") != "api_key" || stringMember(p, "provider") != "anthropic" {
		return false
	}
	return contains(keys, stringMember(p, "key"))
}

// moveAside renames path to path+RemovedSuffix+<UTC time of now> in the
// same directory, which keeps its mode and is atomic, and returns the new
// name. It never replaces an existing file.
func moveAside(path string, now time.Time) (string, error) {
	to := path + RemovedSuffix + now.UTC().Format("20060102T150405.000000000Z")
	if _, err := os.Lstat(to); !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("guard: move %s aside: %s is taken", path, to)
	}
	if err := os.Rename(path, to); err != nil {
		return "", fmt.Errorf("guard: move %s aside: %w", path, err)
	}
	return to, nil
}

// lastRemoved is the newest store moved aside from path ("" for none).
func lastRemoved(path string) string {
	entries, _ := os.ReadDir(filepath.Dir(path))
	prefix := filepath.Base(path) + RemovedSuffix
	var found []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			found = append(found, e.Name())
		}
	}
	if len(found) == 0 {
		return ""
	}
	sort.Strings(found)
	return filepath.Join(filepath.Dir(path), found[len(found)-1])
}
