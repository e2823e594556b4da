package patcher

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// hang guards how long a test waits for the keeper; it is never a bound on
// how fast the keeper is.
const hang = 30 * time.Second

// testLogger logs to the test's log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testWriter sends log output to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

type keeperHarness struct {
	t      *testing.T
	k      *Keeper
	events chan Event
}

func startKeeper(t *testing.T, opts KeeperOptions) *keeperHarness {
	t.Helper()
	h := &keeperHarness{t: t, events: make(chan Event, 1000)}
	if opts.Quiet == 0 {
		opts.Quiet = 100 * time.Millisecond
	}
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	opts.OnEvent = func(e Event) { h.events <- e }
	opts.OnConfigEvent = func(e Event) { h.events <- e }
	opts.Logger = testLogger(t)
	k, err := NewKeeper(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.k = k
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("keeper: %v", err)
			}
		case <-time.After(hang):
			t.Error("keeper did not stop")
		}
	})
	return h
}

// wait returns the first event of kind for file (a catalog, or a config
// file for the config route), failing on a Failed event
// or when none comes.
func (h *keeperHarness) wait(kind EventKind, file string) Event {
	h.t.Helper()
	deadline := time.After(hang)
	var seen []string
	for {
		select {
		case e := <-h.events:
			seen = append(seen, e.Kind.String()+" "+e.Target.File+e.Config)
			if e.Kind == Failed {
				h.t.Fatalf("unexpected failure: %v", e)
			}
			if e.Kind == kind && (e.Target.File == file || e.Config == file) {
				return e
			}
		case <-deadline:
			h.t.Fatalf("no %v event for %s; saw:\n%s", kind, file, strings.Join(seen, "\n"))
		}
	}
}

// pnpmProjectWith lays out a pnpm Clawdbot directory with pi-ai 0.49.3 (a
// direct dependency) and 0.73.1, and returns it with both catalogs.
func pnpmProjectWith(t *testing.T, project, store string) (string, string) {
	t.Helper()
	a := pnpmPackage(t, project, store, "0.49.3", "_zod@4.3.6")
	b := pnpmPackage(t, project, store, "0.73.1", "_ws@8.19.0")
	pnpmLink(t, project, "0.49.3", "_zod@4.3.6")
	mustWrite(t, filepath.Join(project, "node_modules", ".modules.yaml"), []byte("layoutVersion: 5\n"))
	return filepath.Join(a, catalogRel), filepath.Join(b, catalogRel)
}

func assertPatched(t *testing.T, file string) {
	t.Helper()
	b := mustRead(t, file)
	if bytes.Contains(b, []byte("api.anthropic.com")) || !bytes.Contains(b, []byte(`baseUrl: "`+DefaultBaseURL+`" /* clawbridge */`)) {
		t.Fatalf("%s is not patched", file)
	}
}

func TestKeeperRepatchesAfterForcedInstall(t *testing.T) {
	tmp := t.TempDir()
	store := filepath.Join(tmp, "store")
	project := filepath.Join(tmp, "clawdbot")
	old, cur := pnpmProjectWith(t, project, store)
	storeFile := filepath.Join(store, "0.49.3-_zod@4.3.6-models.generated.js")
	storeOrig := mustRead(t, storeFile)
	storeID := statID(t, storeFile)

	h := startKeeper(t, KeeperOptions{Dirs: []string{project}})
	if e := h.wait(Patched, old); e.URLs != 6 || e.Target.Version != "0.49.3" {
		t.Fatalf("event %+v", e)
	}
	h.wait(Patched, cur)
	assertPatched(t, old)
	assertPatched(t, cur)

	// `pnpm install --force`: the package is rebuilt in a stage directory
	// (its catalog linked from the store again) and renamed over the old.
	pnpmDir := filepath.Join(project, "node_modules", ".pnpm", "@mariozechner+pi-ai@0.49.3_zod@4.3.6")
	stage := pnpmDir + "-stage_1"
	stagePkg := filepath.Join(stage, "node_modules", "@mariozechner", "pi-ai")
	writePackage(t, stagePkg, "0.49.3")
	if err := os.Link(storeFile, filepath.Join(stagePkg, catalogRel)); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(pnpmDir); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(stage, pnpmDir); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(project, "node_modules", ".modules.yaml"), []byte("layoutVersion: 5\n"))
	if e := h.wait(Repatched, old); e.URLs != 6 {
		t.Fatalf("event %+v", e)
	}
	assertPatched(t, old)

	// The same one level down: the package directory itself replaced.
	pkg := filepath.Dir(filepath.Dir(old))
	stagePkg = pkg + "_tmp_2"
	writePackage(t, stagePkg, "0.49.3")
	if err := os.Link(storeFile, filepath.Join(stagePkg, catalogRel)); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(pkg); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(stagePkg, pkg); err != nil {
		t.Fatal(err)
	}
	h.wait(Repatched, old)
	assertPatched(t, old)

	if !bytes.Equal(mustRead(t, storeFile), storeOrig) {
		t.Fatal("pnpm store file modified")
	}
	if got := statID(t, storeFile); got.ino != storeID.ino || got.mtime != storeID.mtime {
		t.Fatalf("pnpm store file replaced: %+v -> %+v", storeID, got)
	}
	for _, st := range h.k.Statuses() {
		if !st.IsPatched() {
			t.Errorf("status %s: %s %d/%d", st.Target.File, st.State(), st.Patched, st.URLs)
		}
	}
}

func TestKeeperWatchesOnlyWhatLeadsToCatalogs(t *testing.T) {
	tmp := t.TempDir()
	project := filepath.Join(tmp, "clawdbot")
	old, _ := pnpmProjectWith(t, project, filepath.Join(tmp, "store"))
	for i := range 20 {
		mustMkdir(t, filepath.Join(project, "node_modules", ".pnpm", fmt.Sprintf("other@%d.0.0", i), "node_modules", "other"))
	}
	h := startKeeper(t, KeeperOptions{Dirs: []string{project}})
	h.wait(Patched, old)
	dirs := h.k.WatchedDirs()
	nm := filepath.Join(project, "node_modules")
	for _, want := range []string{project, nm, filepath.Join(nm, ".pnpm"), filepath.Join(nm, "@mariozechner"), filepath.Dir(old)} {
		if !slices.Contains(dirs, want) {
			t.Errorf("%s not watched", want)
		}
	}
	for _, d := range dirs {
		if strings.Contains(d, "other@") {
			t.Errorf("unrelated package watched: %s", d)
		}
	}
}

func TestKeeperSurvivesNodeModulesAndDirRecreated(t *testing.T) {
	tmp := t.TempDir()
	project := filepath.Join(tmp, "clawdbot") // not installed yet
	h := startKeeper(t, KeeperOptions{Dirs: []string{project}})

	install := func() string {
		return filepath.Join(npmPackage(t, filepath.Join(project, "node_modules"), "0.49.3"), catalogRel)
	}
	file := install()
	h.wait(Patched, file)
	assertPatched(t, file)

	// rm -rf node_modules && npm install
	if err := os.RemoveAll(filepath.Join(project, "node_modules")); err != nil {
		t.Fatal(err)
	}
	h.wait(Removed, file)
	install()
	h.wait(Repatched, file)
	assertPatched(t, file)

	// The whole Clawdbot directory deleted and cloned again.
	if err := os.RemoveAll(project); err != nil {
		t.Fatal(err)
	}
	h.wait(Removed, file)
	install()
	h.wait(Repatched, file)
	assertPatched(t, file)
}

func TestKeeperWaitsForHalfWrittenCatalog(t *testing.T) {
	tmp := t.TempDir()
	project := filepath.Join(tmp, "clawdbot")
	old, _ := pnpmProjectWith(t, project, filepath.Join(tmp, "store"))
	h := startKeeper(t, KeeperOptions{Dirs: []string{project}})
	h.wait(Patched, old)

	// A new version arrives, its catalog still being written.
	pkg := filepath.Join(project, "node_modules", ".pnpm", "@mariozechner+pi-ai@0.55.3", "node_modules", "@mariozechner", "pi-ai")
	writePackage(t, pkg, "0.55.3")
	file := filepath.Join(pkg, catalogRel)
	full := readFixture(t, "0.73.1")
	mustWrite(t, file, full[:len(full)/3])
	h.wait(Skipped, file)
	if !bytes.Equal(mustRead(t, file), full[:len(full)/3]) {
		t.Fatal("half-written catalog modified")
	}
	mustWrite(t, file, full)
	h.wait(Patched, file)
	assertPatched(t, file)
}

func TestKeeperReportOnly(t *testing.T) {
	project := t.TempDir()
	file := filepath.Join(npmPackage(t, filepath.Join(project, "node_modules"), "0.49.3"), catalogRel)
	before := statID(t, file)
	h := startKeeper(t, KeeperOptions{Dirs: []string{project}, ReportOnly: true})
	if e := h.wait(Unpatched, file); e.URLs != 6 {
		t.Fatalf("event %+v", e)
	}
	if statID(t, file) != before {
		t.Fatal("report-only keeper wrote the catalog")
	}
}

// TestKeeperPatchNow: PatchNow runs a look itself and answers with what it
// found. The watcher is made too slow to ever act (an hour of quiet, no
// rescans), so every change here is seen only through PatchNow.
func TestKeeperPatchNow(t *testing.T) {
	project := t.TempDir()
	h := startKeeper(t, KeeperOptions{Dirs: []string{project}, Quiet: time.Hour, Rescan: -1})
	ctx, cancel := context.WithTimeout(context.Background(), hang)
	defer cancel()

	st, err := h.k.PatchNow(ctx)
	if err != nil || len(st) != 0 {
		t.Fatalf("PatchNow with no install = %+v, %v", st, err)
	}
	if roots := h.k.Roots(); len(roots) != 1 || roots[0].Dir != project {
		t.Fatalf("Roots = %+v, want just %s", roots, project)
	}

	file := filepath.Join(npmPackage(t, filepath.Join(project, "node_modules"), "0.49.3"), catalogRel)
	orig := mustRead(t, file)
	st, err = h.k.PatchNow(ctx)
	if err != nil || len(st) != 1 || st[0].Target.File != file || !st[0].IsPatched() || st[0].URLs != 6 {
		t.Fatalf("PatchNow after the install = %+v, %v; want %s patched (6 URLs)", st, err, file)
	}
	assertPatched(t, file)
	h.wait(Patched, file)

	t.Log("an install restores the catalog: PatchNow patches it again")
	mustWrite(t, file, orig)
	if st, err = h.k.PatchNow(ctx); err != nil || len(st) != 1 || !st[0].IsPatched() {
		t.Fatalf("PatchNow after the restore = %+v, %v", st, err)
	}
	assertPatched(t, file)
	h.wait(Repatched, file)

	t.Log("a catalog that cannot be patched comes back with its error")
	mustWrite(t, file, orig[:len(orig)/3])
	st, err = h.k.PatchNow(ctx)
	if err != nil || len(st) != 1 || st[0].IsPatched() || !errors.Is(st[0].Err, ErrNotCatalog) {
		t.Fatalf("PatchNow on a half-written catalog = %+v, %v; want ErrNotCatalog", st, err)
	}
}

// TestKeeperPatchNowWithoutRun: PatchNow never hangs on a keeper that is
// not running: it waits for a Run that has not started only as long as
// ctx, and fails at once after Run returns.
func TestKeeperPatchNowWithoutRun(t *testing.T) {
	k, err := NewKeeper(KeeperOptions{Dirs: []string{t.TempDir()}, BaseURL: DefaultBaseURL, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := k.PatchNow(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("PatchNow before Run = %v, want a deadline error", err)
	}

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.Run(ctx) }()
	wait, cancelWait := context.WithTimeout(context.Background(), hang)
	defer cancelWait()
	if _, err := k.PatchNow(wait); err != nil {
		t.Fatalf("PatchNow while running: %v", err)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, err := k.PatchNow(wait); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("PatchNow after Run returned = %v, want ErrNotRunning", err)
	}
}

func TestNewKeeperRejectsBadBaseURL(t *testing.T) {
	if _, err := NewKeeper(KeeperOptions{BaseURL: "localhost:4000"}); err == nil {
		t.Fatal("accepted a base URL without scheme")
	}
}
