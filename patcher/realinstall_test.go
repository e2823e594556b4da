package patcher

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestRealPnpmInstall runs the Keeper against real pnpm on a real Clawdbot
// install: it must patch every pi-ai catalog, and patch it again after
// `pnpm install --force` and after `rm -rf node_modules && pnpm install`,
// without ever touching the pnpm store.
//
// The provisioned install (CLAWBRIDGE_CLAWDBOT_DIR) is shared with the
// end-to-end tests, which may run at the same time as this package, so it
// is not modified: this test installs the same lockfile into a scratch
// project with --offline. pnpm hard-links the files from the same store,
// so that costs seconds and no disk, and the store check below covers the
// provisioned install too (its catalog is another link to the same file).
func TestRealPnpmInstall(t *testing.T) {
	dir := os.Getenv("CLAWBRIDGE_CLAWDBOT_DIR")
	node := os.Getenv("CLAWBRIDGE_NODE22_BIN")
	pnpm := strings.Fields(os.Getenv("CLAWBRIDGE_PNPM"))
	if dir == "" || node == "" || len(pnpm) == 0 {
		requirePeer(t, "no provisioned Clawdbot: CLAWBRIDGE_CLAWDBOT_DIR, CLAWBRIDGE_NODE22_BIN and CLAWBRIDGE_PNPM must be set (.ci/provision-clawdbot.sh)")
	}
	t.Setenv("CLAWBRIDGE_NODE22_BIN", node) // for assertLoadsPatched

	project := t.TempDir()
	for _, name := range []string{"package.json", "pnpm-lock.yaml", ".npmrc"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) && name == ".npmrc" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		mustWrite(t, filepath.Join(project, name), b)
	}
	install := func(args ...string) {
		t.Helper()
		cmd := exec.Command(pnpm[0], append(append(pnpm[1:], "install", "--offline", "--frozen-lockfile", "--reporter=append-only"), args...)...)
		cmd.Dir = project
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("pnpm install %v: %v\n%s", args, err, out)
		}
	}
	install()

	targets, err := Discover([]string{project}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) == 0 {
		t.Fatal("no pi-ai catalog in the installed Clawdbot")
	}

	// Hold each catalog's store file open: whatever happens to the paths
	// in node_modules, the descriptor keeps reading the store's copy.
	type storeCopy struct {
		f    *os.File
		ino  uint64
		orig []byte
	}
	stores := map[string]storeCopy{}
	for _, tg := range targets {
		f, err := os.Open(tg.File)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		fi, _ := f.Stat()
		st := fi.Sys().(*syscall.Stat_t)
		if st.Nlink < 2 {
			t.Fatalf("%s has %d link(s): pnpm did not hard-link it from its store (package-import-method?)", tg.File, st.Nlink)
		}
		orig, _ := io.ReadAll(f)
		stores[tg.File] = storeCopy{f: f, ino: uint64(st.Ino), orig: orig}
		t.Logf("pi-ai %s: %s (%d links)", tg.Version, tg.File, st.Nlink)
	}

	rec := &eventLog{}
	k, err := NewKeeper(KeeperOptions{
		Dirs:    []string{project},
		BaseURL: DefaultBaseURL,
		OnEvent: rec.add,
		Logger:  testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.Run(ctx) }()
	var stopOnce sync.Once
	stop := func() {
		stopOnce.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("keeper: %v", err)
			}
		})
	}
	defer stop()

	// settled waits until every catalog is patched and a kind event came
	// for each since mark.
	settled := func(step string, kind EventKind, mark int) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for {
			pending := ""
			now, _ := Discover([]string{project}, false)
			if len(now) != len(targets) {
				pending = "catalogs not all back"
			}
			for _, tg := range now {
				if !rec.has(kind, tg.File, mark) {
					pending = "no " + kind.String() + " event for " + tg.File
				} else if st := Inspect(tg, DefaultBaseURL); !st.IsPatched() {
					pending = tg.File + " is " + st.State()
				}
			}
			if pending == "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s; events:\n%s", step, pending, rec.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
		for _, tg := range targets {
			s := stores[tg.File]
			patched := mustRead(t, tg.File)
			if bytes.Contains(patched, []byte("api.anthropic.com")) {
				t.Fatalf("%s: api.anthropic.com left in %s", step, tg.File)
			}
			assertLoadsPatched(t, s.orig, patched, DefaultBaseURL)
			if got := statID(t, tg.File); got.ino == s.ino {
				t.Fatalf("%s: %s still shares the store's inode", step, tg.File)
			}
			s.f.Seek(0, io.SeekStart)
			now, _ := io.ReadAll(s.f)
			fi, _ := s.f.Stat()
			if !bytes.Equal(now, s.orig) || fi.Sys().(*syscall.Stat_t).Ino != s.ino {
				t.Fatalf("%s: the pnpm store copy of %s changed", step, tg.File)
			}
		}
		t.Logf("%s: all %d catalogs patched", step, len(targets))
	}

	settled("first start", Patched, 0)

	mark := rec.len()
	install("--force")
	settled("pnpm install --force", Repatched, mark)

	mark = rec.len()
	if err := os.RemoveAll(filepath.Join(project, "node_modules")); err != nil {
		t.Fatal(err)
	}
	install()
	settled("rm -rf node_modules && pnpm install", Repatched, mark)

	stop()
	for _, tg := range targets {
		if _, err := Undo(tg); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(mustRead(t, tg.File), stores[tg.File].orig) {
			t.Errorf("undo of %s is not the original", tg.File)
		}
	}
}

// eventLog records a Keeper's events for a test to look through.
type eventLog struct {
	mu     sync.Mutex
	events []Event
}

func (l *eventLog) add(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *eventLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.events)
}

// has reports an event of kind for file at or after index from.
func (l *eventLog) has(kind EventKind, file string, from int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.events[from:] {
		if e.Kind == kind && e.Target.File == file {
			return true
		}
	}
	return false
}

func (l *eventLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, e := range l.events {
		b.WriteString(e.Time.Format("15:04:05.000") + " " + e.String() + "\n")
	}
	return b.String()
}
