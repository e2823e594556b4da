// Package fswatch watches a few directories, not recursively, and reports
// each burst of changes in one of them once it has gone quiet.
//
// It is made for files that other programs replace wholesale (package
// managers, apps rewriting their config): directories that do not exist yet
// are watched through their nearest existing ancestor, and a directory that
// is deleted, renamed away or replaced by another is watched again at the
// same path. Callers are told which directory changed, not what changed,
// and are expected to look at the files themselves: events can be missed
// in the window while a replaced directory is re-watched, which is why a
// directory that appears or is replaced is itself reported as changed.
//
// Only the directories asked for (or, while they are missing, one ancestor)
// are watched. The user's home, the directories above it and the folders
// macOS guards with privacy prompts (Documents, Desktop, Downloads, iCloud
// Drive, …) are never watched in place of a missing directory: one whose
// nearest existing ancestor is among them is polled for every DefaultPoll
// instead, and Totals counts both kinds. On macOS fsnotify uses kqueue, which holds a file descriptor
// for every entry of a watched directory, so watch the directories on the
// way to the files you care about, never a whole tree.
package fswatch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watcher watches directories (not recursively) and calls onChange(dir)
// once per burst of events in dir, after quiet without events.
type Watcher struct {
	quiet    time.Duration
	onChange func(dir string)
	fsw      *fsnotify.Watcher
	wake     chan struct{}

	mu sync.Mutex
	// wanted are the directories callers asked for, with what was at each
	// path at the last look (zero when missing), to notice a directory
	// appearing, vanishing or being replaced.
	wanted map[string]dirID
	// onPath holds every wanted directory and all its ancestors: an event
	// naming one of them may change which directory must be watched.
	onPath map[string]bool
	// watched are the paths with an fsnotify watch, and what was there when
	// the watch was added.
	watched map[string]dirID
	// noWatch are the directories never watched (see noWatch); polled the
	// wanted directories waiting below one of them, looked at every poll.
	noWatch  map[string]bool
	polled   map[string]bool
	poll     time.Duration
	bounce   debouncer
	onError  func(error)
	running  bool
	closed   bool
	events   uint64
	reported uint64
}

// dirID identifies a directory by device and inode, so that a directory
// replaced by another at the same path is noticed. The zero value means
// nothing there.
type dirID struct{ dev, ino uint64 }

// New returns a Watcher that calls onChange(dir) once per burst of changes
// in a watched dir, after quiet without further events. onChange runs on
// Run's goroutine, one call at a time; it may call Add and Remove.
func New(quiet time.Duration, onChange func(dir string)) (*Watcher, error) {
	if quiet <= 0 {
		return nil, fmt.Errorf("fswatch: quiet period must be positive, got %v", quiet)
	}
	if onChange == nil {
		return nil, errors.New("fswatch: onChange is nil")
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("fswatch: %w", err)
	}
	home, _ := os.UserHomeDir()
	w := &Watcher{
		quiet:    quiet,
		onChange: onChange,
		fsw:      fsw,
		wake:     make(chan struct{}, 1),
		wanted:   map[string]dirID{},
		onPath:   map[string]bool{},
		watched:  map[string]dirID{},
		noWatch:  noWatch(home),
		polled:   map[string]bool{},
		poll:     DefaultPoll,
		bounce:   debouncer{quiet: quiet, due: map[string]time.Time{}},
		onError: func(err error) {
			slog.Warn("fswatch", "err", err)
		},
	}
	registry.Store(w, struct{}{})
	return w, nil
}

// SetErrorHandler replaces the default handler (a slog warning) for errors
// that do not stop the watcher: a directory that could not be watched, or
// an event queue overflow (after which every directory is reported as
// changed). Call it before Run.
func (w *Watcher) SetErrorHandler(f func(error)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.onError = f
}

// Add watches dir. dir need not exist yet: its nearest existing ancestor is
// watched until it appears. A dir deleted and re-created, or replaced by a
// rename, is watched again. The error reports a watch that could not be set
// up (for example too many open files); dir stays wanted and is retried on
// the next change near it.
func (w *Watcher) Add(dir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("fswatch: add %s: %w", dir, err)
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return fmt.Errorf("fswatch: add %s: watcher closed", dir)
	}
	if _, ok := w.wanted[dir]; ok {
		w.mu.Unlock()
		return nil
	}
	w.wanted[dir] = statDir(dir)
	w.rebuildOnPath()
	errs := w.reconcile()
	w.mu.Unlock()
	w.poke()
	return errors.Join(errs...)
}

// Remove stops watching dir. Directories not added are ignored.
func (w *Watcher) Remove(dir string) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return
	}
	w.mu.Lock()
	if _, ok := w.wanted[dir]; !ok || w.closed {
		w.mu.Unlock()
		return
	}
	delete(w.wanted, dir)
	w.bounce.cancel(dir)
	w.rebuildOnPath()
	errs := w.reconcile()
	w.mu.Unlock()
	w.report(errs)
	w.poke()
}

// Dirs returns the directories added, sorted.
func (w *Watcher) Dirs() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return sortedKeys(w.wanted)
}

// Watching returns the paths with an OS watch right now, sorted: the
// directories added that exist, and the nearest existing ancestor of each
// one that does not.
func (w *Watcher) Watching() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return sortedKeys(w.watched)
}

// Stats reports how many file system events arrived and how many onChange
// calls they were folded into.
func (w *Watcher) Stats() (events, calls uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.events, w.reported
}

// Run delivers changes until ctx is done, then releases the OS watches and
// returns nil. A Watcher runs once; after Run returns, Add fails.
func (w *Watcher) Run(ctx context.Context) error {
	w.mu.Lock()
	if w.running || w.closed {
		w.mu.Unlock()
		return errors.New("fswatch: Run called twice")
	}
	w.running = true
	w.mu.Unlock()
	defer w.Close()

	timer := time.NewTimer(time.Hour)
	timer.Stop()
	w.mu.Lock()
	poll := time.NewTicker(w.poll)
	w.mu.Unlock()
	defer poll.Stop()
	for {
		w.mu.Lock()
		next, ok := w.bounce.next()
		w.mu.Unlock()
		if ok {
			timer.Reset(max(time.Until(next), 0))
		}
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return errors.New("fswatch: event channel closed")
			}
			w.handle(ev)
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return errors.New("fswatch: error channel closed")
			}
			w.handleError(err)
		case <-timer.C:
			w.fire()
		case <-poll.C:
			w.report(w.lookAgain())
		case <-w.wake:
		}
		timer.Stop()
	}
}

// Close releases the OS watches. Run calls it on return; call it only for
// a Watcher that never runs.
func (w *Watcher) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	registry.Delete(w)
	return w.fsw.Close()
}

func (w *Watcher) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *Watcher) handle(ev fsnotify.Event) {
	name := filepath.Clean(ev.Name)
	w.mu.Lock()
	w.events++
	now := time.Now()
	var errs []error
	if parent := filepath.Dir(name); w.isWatchedWanted(parent) {
		w.bounce.touch(parent, now)
	}
	if _, ok := w.wanted[name]; ok {
		w.bounce.touch(name, now)
	}
	if _, ok := w.watched[name]; ok && (ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)) {
		// The watched directory was deleted or moved away. Drop the watch
		// (fsnotify may still hold it, on an inode no longer at this path)
		// so that reconcile watches whatever is at the path now.
		w.fsw.Remove(name)
		delete(w.watched, name)
	}
	if w.onPath[name] {
		errs = w.reconcile()
	}
	w.mu.Unlock()
	w.report(errs)
}

func (w *Watcher) handleError(err error) {
	w.mu.Lock()
	var errs []error
	if errors.Is(err, fsnotify.ErrEventOverflow) {
		// Events were lost: look again at everything.
		errs = w.reconcile()
		now := time.Now()
		for dir := range w.wanted {
			w.bounce.touch(dir, now)
		}
	}
	w.mu.Unlock()
	w.report(append(errs, fmt.Errorf("fswatch: %w", err)))
}

// fire calls onChange for every directory whose quiet period is over.
func (w *Watcher) fire() {
	w.mu.Lock()
	ready := w.bounce.ready(time.Now())
	w.reported += uint64(len(ready))
	w.mu.Unlock()
	for _, dir := range ready {
		w.onChange(dir)
	}
}

func (w *Watcher) report(errs []error) {
	if len(errs) == 0 {
		return
	}
	w.mu.Lock()
	f := w.onError
	w.mu.Unlock()
	for _, err := range errs {
		f(err)
	}
}

// isWatchedWanted reports a wanted directory that is watched itself (not
// through an ancestor). Called with mu held.
func (w *Watcher) isWatchedWanted(dir string) bool {
	if _, ok := w.wanted[dir]; !ok {
		return false
	}
	_, ok := w.watched[dir]
	return ok
}

func (w *Watcher) rebuildOnPath() {
	w.onPath = map[string]bool{}
	for dir := range w.wanted {
		for p := dir; !w.onPath[p]; p = filepath.Dir(p) {
			w.onPath[p] = true
		}
	}
}

// reconcile makes the OS watches match what is on disk: each wanted
// directory that exists is watched, each missing one through its nearest
// existing ancestor, and nothing else. A wanted directory that appeared,
// vanished or was replaced since the last look is reported as changed.
// Called with mu held.
func (w *Watcher) reconcile() []error {
	var errs []error
	now := time.Now()
	// Each round either settles or finds that a directory appeared while
	// watches were being set up (mkdir -p racing with us), which takes the
	// next round one level deeper; the bound only guards against a file
	// system that keeps changing forever.
	for round := 0; round < 64; round++ {
		errs = errs[:0]
		raced := false
		want := map[string]dirID{}
		// below maps a watched ancestor to the children on the way to
		// the missing wanted directories under it.
		below := map[string][]string{}
		clear(w.polled)
		for dir, prev := range w.wanted {
			cur := statDir(dir)
			if cur != prev {
				w.wanted[dir] = cur
				w.bounce.touch(dir, now)
			}
			p, id := dir, cur
			for id == (dirID{}) && filepath.Dir(p) != p {
				child := p
				p = filepath.Dir(p)
				id = statDir(p)
				if id != (dirID{}) {
					below[p] = append(below[p], child)
				}
			}
			if p != dir && w.noWatch[p] {
				w.polled[dir] = true
				delete(below, p)
				continue
			}
			want[p] = id
		}
		for p := range w.watched {
			if _, ok := want[p]; !ok {
				w.fsw.Remove(p)
				delete(w.watched, p)
			}
		}
		for p, id := range want {
			if have, ok := w.watched[p]; !ok || have != id {
				if ok {
					w.fsw.Remove(p) // a different directory now; the old watch is stale
					delete(w.watched, p)
				}
				if err := w.fsw.Add(p); err != nil {
					if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
						raced = true // gone since the stat: look again
					} else {
						errs = append(errs, fmt.Errorf("fswatch: watch %s: %w", p, err))
					}
					continue
				}
				// Stat again now the watch is in place: a replacement
				// made in between would otherwise go unseen.
				if statDir(p) != id {
					w.fsw.Remove(p)
					raced = true
					continue
				}
				w.watched[p] = id
			}
			// Likewise a child created before the watch was in place.
			for _, child := range below[p] {
				if statDir(child) != (dirID{}) {
					raced = true
				}
			}
		}
		if !raced {
			break
		}
	}
	return errs
}

// statDir identifies the directory at path; zero if there is none.
func statDir(path string) dirID {
	fi, err := os.Stat(path)
	if err != nil || !fi.IsDir() {
		return dirID{}
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return dirID{dev: uint64(st.Dev), ino: uint64(st.Ino)}
	}
	return dirID{dev: 1, ino: 1} // no inode: at least tell present from missing
}

func sortedKeys(m map[string]dirID) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// debouncer holds, for each directory with recent events, when its quiet
// period ends. Every event pushes that time back.
type debouncer struct {
	quiet time.Duration
	due   map[string]time.Time
}

func (d *debouncer) touch(dir string, now time.Time) { d.due[dir] = now.Add(d.quiet) }

func (d *debouncer) cancel(dir string) { delete(d.due, dir) }

// next returns the earliest end of a quiet period.
func (d *debouncer) next() (time.Time, bool) {
	var first time.Time
	for _, t := range d.due {
		if first.IsZero() || t.Before(first) {
			first = t
		}
	}
	return first, !first.IsZero()
}

// ready removes and returns, sorted, the directories quiet since now.
func (d *debouncer) ready(now time.Time) []string {
	var out []string
	for dir, t := range d.due {
		if !t.After(now) {
			out = append(out, dir)
			delete(d.due, dir)
		}
	}
	sort.Strings(out)
	return out
}
