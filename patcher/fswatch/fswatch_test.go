package fswatch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// hang guards how long a test waits for something that should happen; it
// is never a bound on how fast it happens.
const hang = 20 * time.Second

func TestDebouncerFoldsBurstIntoOneCall(t *testing.T) {
	d := debouncer{quiet: 100 * time.Millisecond, due: map[string]time.Time{}}
	t0 := time.Unix(1000, 0)
	for i := range 10 {
		d.touch("/a", t0.Add(time.Duration(i)*50*time.Millisecond)) // each within quiet of the last
	}
	d.touch("/b", t0)
	if got := d.ready(t0.Add(200 * time.Millisecond)); !slices.Equal(got, []string{"/b"}) {
		t.Fatalf("ready mid-burst = %v, want [/b]", got)
	}
	next, ok := d.next()
	if want := t0.Add(550 * time.Millisecond); !ok || !next.Equal(want) {
		t.Fatalf("next = %v %v, want %v", next, ok, want)
	}
	if got := d.ready(t0.Add(549 * time.Millisecond)); len(got) != 0 {
		t.Fatalf("ready before quiet = %v", got)
	}
	if got := d.ready(t0.Add(550 * time.Millisecond)); !slices.Equal(got, []string{"/a"}) {
		t.Fatalf("ready after quiet = %v, want [/a]", got)
	}
	if _, ok := d.next(); ok {
		t.Fatal("nothing should be pending")
	}
}

// harness runs a Watcher and collects its calls.
type harness struct {
	t     *testing.T
	w     *Watcher
	calls chan string
}

func start(t *testing.T, quiet time.Duration) *harness {
	t.Helper()
	return startWith(t, quiet, func(*Watcher) {})
}

// startWith is start with setup run on the Watcher before Run.
func startWith(t *testing.T, quiet time.Duration, setup func(*Watcher)) *harness {
	t.Helper()
	h := &harness{t: t, calls: make(chan string, 1000)}
	w, err := New(quiet, func(dir string) { h.calls <- dir })
	if err != nil {
		t.Fatal(err)
	}
	w.SetErrorHandler(func(err error) { t.Logf("watch error: %v", err) })
	setup(w)
	h.w = w
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(hang):
			t.Error("Run did not return after cancel")
		}
	})
	return h
}

func (h *harness) add(dir string) {
	h.t.Helper()
	if err := h.w.Add(dir); err != nil {
		h.t.Fatal(err)
	}
}

// waitCall waits for onChange(dir), skipping calls for other directories.
func (h *harness) waitCall(dir string) {
	h.t.Helper()
	deadline := time.After(hang)
	for {
		select {
		case got := <-h.calls:
			if got == dir {
				return
			}
		case <-deadline:
			h.t.Fatalf("no onChange(%s)", dir)
		}
	}
}

// waitWatching waits until dir has an OS watch of its own.
func (h *harness) waitWatching(dir string) {
	h.t.Helper()
	deadline := time.Now().Add(hang)
	for !slices.Contains(h.w.Watching(), dir) {
		if time.Now().After(deadline) {
			h.t.Fatalf("%s not watched; watching %v", dir, h.w.Watching())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// probe proves dir is watched by its own (current) watch: a file created in
// it produces an event and then a call. Nothing else in the test may be
// changing the file system meanwhile.
func (h *harness) probe(dir, name string) {
	h.t.Helper()
	h.drain()
	before, _ := h.w.Stats()
	write(h.t, filepath.Join(dir, name), "x")
	deadline := time.Now().Add(hang)
	for {
		if ev, _ := h.w.Stats(); ev > before {
			break
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("creating %s in %s produced no event: directory not watched", name, dir)
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.waitCall(dir)
}

// drain waits for pending calls to be delivered and discards them.
func (h *harness) drain() {
	for {
		select {
		case <-h.calls:
		case <-time.After(300 * time.Millisecond):
			return
		}
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestChangeInDirIsReported(t *testing.T) {
	dir := t.TempDir()
	h := start(t, 50*time.Millisecond)
	h.add(dir)
	write(t, filepath.Join(dir, "f"), "1")
	h.waitCall(dir)
}

func TestBurstIsFolded(t *testing.T) {
	dir := t.TempDir()
	h := start(t, 300*time.Millisecond)
	h.add(dir)
	for i := range 100 {
		write(t, filepath.Join(dir, fmt.Sprintf("f%d", i)), "x")
	}
	h.waitCall(dir)
	h.drain()
	events, calls := h.w.Stats()
	if events < 100 {
		t.Fatalf("only %d events for 100 new files", events)
	}
	// The exact count depends on scheduling; what matters is that events
	// are folded, never one call per event.
	if calls == 0 || calls*10 > events {
		t.Fatalf("%d events gave %d calls", events, calls)
	}
}

func TestMissingDirIsWatchedWhenItAppears(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "a", "b", "c")
	h := start(t, 50*time.Millisecond)
	h.add(dir)
	if got := h.w.Watching(); !slices.Equal(got, []string{root}) {
		t.Fatalf("watching %v, want the nearest existing ancestor %s", got, root)
	}
	mkdir(t, dir)
	h.waitCall(dir)
	h.waitWatching(dir)
	if got := h.w.Watching(); len(got) != 1 {
		t.Fatalf("ancestors still watched: %v", got)
	}
	h.probe(dir, "probe")
}

func TestDeletedAndRecreatedDirIsWatchedAgain(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "node_modules")
	mkdir(t, filepath.Join(dir, "sub"))
	h := start(t, 50*time.Millisecond)
	h.add(dir)

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	h.waitCall(dir)
	h.waitWatching(root)

	mkdir(t, dir)
	h.waitCall(dir)
	h.waitWatching(dir)
	h.probe(dir, "after-recreate")
}

func TestRenamedOverDirIsWatchedAgain(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "pi-ai")
	mkdir(t, dir)
	write(t, filepath.Join(dir, "old"), "old")
	h := start(t, 50*time.Millisecond)
	h.add(dir)
	h.add(root) // as the keeper does: the parent is watched too

	// What pnpm does to a package on a forced reinstall: build it in a
	// stage directory, remove the old one, rename the stage into place.
	stage := filepath.Join(root, "pi-ai_tmp_1")
	mkdir(t, stage)
	write(t, filepath.Join(stage, "new"), "new")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(stage, dir); err != nil {
		t.Fatal(err)
	}
	h.waitCall(dir)
	h.waitWatching(dir)
	h.probe(dir, "probe")
}

func TestRenameOverWithoutParentWatch(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "dist")
	mkdir(t, dir)
	h := start(t, 50*time.Millisecond)
	h.add(dir)

	// rename(2) replaces an empty directory in one step: the path never
	// goes missing, only the directory behind it changes.
	stage := filepath.Join(root, "dist-stage_1")
	mkdir(t, stage)
	write(t, filepath.Join(stage, "models.js"), "x")
	// os.Rename refuses an existing directory as the target; the system
	// call does not.
	if err := syscall.Rename(stage, dir); err != nil {
		t.Fatal(err)
	}
	h.waitCall(dir)
	h.waitWatching(dir)
	h.probe(dir, "probe")
}

func TestRemoveStopsWatching(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	h := start(t, 50*time.Millisecond)
	h.add(a)
	h.add(b)
	h.w.Remove(a)
	if got := h.w.Watching(); !slices.Equal(got, []string{b}) {
		t.Fatalf("watching %v after Remove, want [%s]", got, b)
	}
	if got := h.w.Dirs(); !slices.Equal(got, []string{b}) {
		t.Fatalf("dirs %v after Remove", got)
	}
	write(t, filepath.Join(a, "ignored"), "x")
	write(t, filepath.Join(b, "seen"), "x")
	h.waitCall(b)
}

func TestSharedAncestorKeptWhileNeeded(t *testing.T) {
	root := t.TempDir()
	x, y := filepath.Join(root, "x"), filepath.Join(root, "y")
	h := start(t, 50*time.Millisecond)
	h.add(x)
	h.add(y)
	h.w.Remove(x)
	if got := h.w.Watching(); !slices.Equal(got, []string{root}) {
		t.Fatalf("watching %v, want %s kept for y", got, root)
	}
	mkdir(t, y)
	h.waitCall(y)
}

func TestRunOnceAndAddAfterClose(t *testing.T) {
	w, err := New(time.Millisecond, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := w.Run(context.Background()); err == nil {
		t.Fatal("second Run succeeded")
	}
	if err := w.Add(t.TempDir()); err == nil {
		t.Fatal("Add after Run returned succeeded")
	}
}

func TestNewRejectsBadArguments(t *testing.T) {
	if _, err := New(0, func(string) {}); err == nil {
		t.Error("zero quiet accepted")
	}
	if _, err := New(time.Second, nil); err == nil {
		t.Error("nil onChange accepted")
	}
}
