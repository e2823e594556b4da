package guard

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// StateFileName is the file beside auth-profiles.json where OpenClaw
// (2026.x, up to the move to SQLite) keeps the store's order, lastGood
// and usageStats. Its entries override those of auth-profiles.json, and
// every save of the store moves them there, leaving only version and
// profiles in auth-profiles.json (2026.5.7 loadPersistedAuthProfileStore
// and saveAuthProfileStore). Clawdbot 2026.1.24 has no such file.
const StateFileName = "auth-state.json"

// authState is an agent directory's auth-state.json as read.
type authState struct {
	path string // the file, symlinks followed
	top  object
}

// readState reads dir's auth-state.json. ok is false when there is none,
// or when it is not a JSON object, which OpenClaw reads as empty (its
// writes are atomic, so such a file is not one caught mid-write): then
// auth-profiles.json alone decides, and the guard pins everything there.
func readState(dir string) (s authState, ok bool, err error) {
	path, err := resolveTarget(filepath.Join(dir, StateFileName))
	if err != nil {
		return authState{}, false, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return authState{}, false, nil
	}
	if err != nil {
		return authState{}, false, fmt.Errorf("guard: %w", err)
	}
	top, err := parseObject(data)
	if err != nil {
		return authState{}, false, nil
	}
	return authState{path: path, top: top}, true, nil
}

// plan is what one round for a directory writes: the store's outcome and,
// in OpenClaw's split layout, the new auth-state.json.
type plan struct {
	out          outcome
	state        authState // set when split
	split        bool
	stateWrite   []byte // nil when auth-state.json is fine
	stateChanges []change
	using        string // the Anthropic profile the app would use as things are
}

// needed reports whether the plan writes anything.
func (p plan) needed() bool { return p.out.write != nil || p.stateWrite != nil }

// changes lists everything the plan fixes, the store's first.
func (p plan) changes() []change {
	return append(append([]change(nil), p.out.changes...), p.stateChanges...)
}

// makePlan decides what dir needs, data and exists being its
// auth-profiles.json as read. In the split layout order.anthropic and
// lastGood.anthropic are pinned in auth-state.json, where OpenClaw reads
// them first, and auth-profiles.json only needs the profile; so OpenClaw's
// own saves, which move those entries out of auth-profiles.json, leave
// nothing to repair.
func makePlan(dir string, data []byte, exists bool, last []byte, key string, now time.Time) (plan, error) {
	s, split, err := readState(dir)
	if err != nil {
		return plan{}, err
	}
	p := plan{out: decideStore(data, exists, last, key, now, split), state: s, split: split}
	view, err := parseStore(data)
	if err != nil {
		view = freshStore()
	}
	if split {
		view = overlayState(view.clone(), s.top)
		p.stateWrite, p.stateChanges = decideState(s, usingNote(preferred(view, now)))
	}
	p.using, _ = preferred(view, now)
	return p, nil
}

// decideState pins order.anthropic and lastGood.anthropic in
// auth-state.json and returns its new content (nil when they hold), and
// what it changed. note says which profile OpenClaw would use otherwise.
func decideState(s authState, note string) ([]byte, []change) {
	top := s.top.clone()
	cs := pinOrder(top, note)
	cs = append(cs, pinLastGood(top)...)
	if len(cs) == 0 {
		return nil, nil
	}
	for i := range cs {
		cs[i].problem = StateFileName + ": " + cs[i].problem
	}
	return render(top), cs
}

// overlayState lays the entries of auth-state.json's order, lastGood and
// usageStats over store's, as OpenClaw merges the two files, and returns
// store.
func overlayState(store, state object) object {
	for _, name := range []string{"order", "lastGood", "usageStats"} {
		src, ok := section(state, name)
		if !ok || len(src.Members) == 0 {
			continue
		}
		dst, ok := section(store, name)
		if !ok {
			dst = newObject()
		}
		for entry, v := range src.members() {
			dst.set(entry, v.Clone())
		}
		store.set(name, dst.value())
	}
	return store
}
