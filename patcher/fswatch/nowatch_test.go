package fswatch

import (
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestPollsInsteadOfWatchingHome: ~/.clawdbot missing (every OpenClaw
// user) must not put a watch on $HOME, nor a missing folder in
// ~/Documents one on Documents (a privacy prompt on macOS): both are
// polled for, and reported and watched once they appear.
func TestPollsInsteadOfWatchingHome(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	docs := filepath.Join(home, "Documents")
	mkdir(t, docs)
	h := startWith(t, 20*time.Millisecond, func(w *Watcher) { w.SetHome(home, 50*time.Millisecond) })
	state := filepath.Join(home, ".clawdbot", "agents", "main", "agent")
	project := filepath.Join(docs, "bot", "node_modules")
	h.add(state)
	h.add(project)
	if got := h.w.Watching(); len(got) != 0 {
		t.Fatalf("watching %v; want nothing: the only existing ancestors are $HOME and Documents", got)
	}
	if got := h.w.Polling(); !slices.Equal(got, []string{state, project}) {
		t.Fatalf("polling %v, want both directories", got)
	}
	watched, polled := Totals()
	if polled < 2 {
		t.Errorf("Totals = %d watched, %d polled; want at least this watcher's 2 polled", watched, polled)
	}

	// mkdir -p of part of the way: the nearest existing ancestor that may
	// be watched now is ~/.clawdbot.
	mkdir(t, filepath.Join(home, ".clawdbot"))
	h.waitWatching(filepath.Join(home, ".clawdbot"))
	if got := h.w.Polling(); !slices.Equal(got, []string{project}) {
		t.Errorf("polling %v once ~/.clawdbot exists, want only %s", got, project)
	}
	// The rest of the way is seen through that watch, at once.
	mkdir(t, state)
	h.waitCall(state)
	h.waitWatching(state)
	h.probe(state, "auth-profiles.json")

	mkdir(t, project)
	h.waitCall(project)
	h.waitWatching(project)
	if got := h.w.Polling(); len(got) != 0 {
		t.Errorf("still polling %v", got)
	}
	for _, p := range h.w.Watching() {
		if p == home || p == docs {
			t.Errorf("watching %s", p)
		}
	}
}

// TestWatchesHomeWhenAskedFor: a directory asked for by name is watched
// even where it would not be watched in place of a missing one (a config
// file kept in $HOME must still reload on save).
func TestWatchesHomeWhenAskedFor(t *testing.T) {
	home := t.TempDir()
	h := startWith(t, 20*time.Millisecond, func(w *Watcher) { w.SetHome(home, 50*time.Millisecond) })
	h.add(home)
	h.waitWatching(home)
	h.probe(home, "config.yaml")
	if got := h.w.Polling(); len(got) != 0 {
		t.Errorf("polling %v", got)
	}
}

func TestNoWatch(t *testing.T) {
	m := noWatch("/Users/ada")
	for _, p := range []string{"/", "/Users", "/Users/ada", "/Users/ada/Documents", "/Users/ada/Library/Mobile Documents", "/Volumes"} {
		if !m[p] {
			t.Errorf("%s may be watched", p)
		}
	}
	for _, p := range []string{"/Users/ada/.clawdbot", "/Users/ada/Library/Application Support", "/Users/ada/Documents/bot", "/tmp"} {
		if m[p] {
			t.Errorf("%s may not be watched", p)
		}
	}
}
