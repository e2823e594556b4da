package fswatch

import (
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// DefaultPoll is how often a directory that may not be watched through
// its ancestor (see noWatch) is looked for.
const DefaultPoll = 2 * time.Second

// noWatch lists the directories a Watcher never watches in place of a
// missing directory (one asked for by name is watched), for a user
// whose home is home: home itself and every directory above it, which
// hold far too many entries (kqueue opens each one), and the folders
// macOS guards with a privacy prompt ("clawbridge would like to access
// files in your Documents folder"), which kqueue's opening of every entry
// would trigger. A missing directory whose nearest existing ancestor is
// one of them is polled for instead.
func noWatch(home string) map[string]bool {
	m := map[string]bool{"/Volumes": true}
	if home == "" {
		return m
	}
	home = filepath.Clean(home)
	for p := home; ; p = filepath.Dir(p) {
		m[p] = true
		if filepath.Dir(p) == p {
			break
		}
	}
	for _, d := range []string{"Desktop", "Documents", "Downloads", "Pictures", "Movies", "Music", "Public",
		"Library", filepath.Join("Library", "Mobile Documents"), filepath.Join("Library", "CloudStorage")} {
		m[filepath.Join(home, d)] = true
	}
	return m
}

// registry holds every Watcher not closed yet, for Totals.
var registry sync.Map // *Watcher -> struct{}

// Totals counts, over every open Watcher of the process, the directories
// with an OS watch and the missing directories polled for instead: what
// the doctor shows next to the open-files limit.
func Totals() (watched, polled int) {
	registry.Range(func(k, _ any) bool {
		w := k.(*Watcher)
		w.mu.Lock()
		watched += len(w.watched)
		polled += len(w.polled)
		w.mu.Unlock()
		return true
	})
	return watched, polled
}

// Polling returns, sorted, the directories added that are missing and
// polled for because their nearest existing ancestor must not be watched.
func (w *Watcher) Polling() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, 0, len(w.polled))
	for k := range w.polled {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// SetHome sets the home directory whose folders are never watched
// (default: the user's, see noWatch), and the poll interval for missing
// directories below them (default DefaultPoll). Call it before Add and
// Run.
func (w *Watcher) SetHome(home string, poll time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.noWatch = noWatch(home)
	if poll > 0 {
		w.poll = poll
	}
}

// lookAgain is the poll: while a directory is polled for, reconcile looks
// at the disk again, which reports it once it appears and watches it (or
// the nearest ancestor that may be watched).
func (w *Watcher) lookAgain() []error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.polled) == 0 || w.closed {
		return nil
	}
	return w.reconcile()
}
