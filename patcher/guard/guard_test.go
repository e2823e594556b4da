package guard

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// hangGuard bounds waits that only a bug could make long.
const hangGuard = 30 * time.Second

// agentDir makes an agent directory holding content (nil: no file).
func agentDir(t *testing.T, content []byte) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "agents", "main", "agent")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if content != nil {
		if err := os.WriteFile(filepath.Join(dir, FileName), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func testdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// newGuard returns a guard for dir with fast retries and a log that the
// test can search.
func newGuard(t *testing.T, log *bytes.Buffer, dirs ...string) *Guard {
	t.Helper()
	if log == nil {
		log = &bytes.Buffer{}
	}
	g, err := New(Options{
		Key:        testKey,
		Dirs:       dirs,
		RetryDelay: time.Millisecond,
		LockWait:   hangGuard,
		Logger:     slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func fixOne(t *testing.T, g *Guard) Event {
	t.Helper()
	evs, err := g.Fix()
	if len(evs) != 1 {
		t.Fatalf("Fix gave %d events (err %v), want 1", len(evs), err)
	}
	if (err != nil) != (evs[0].Kind == Failed) {
		t.Fatalf("Fix error %v with event kind %v", err, evs[0].Kind)
	}
	return evs[0]
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestFixPinsAndKeepsEverythingElse(t *testing.T) {
	in := testdata(t, "pin/claude-sync.in.json")
	dir := agentDir(t, in)
	os.Chmod(filepath.Join(dir, FileName), 0o644)
	var log bytes.Buffer
	var events []Event
	g := newGuard(t, &log, dir)
	g.opts.OnEvent = func(e Event) { events = append(events, e) }

	ev := fixOne(t, g)
	if ev.Kind != Restored || len(ev.Changes) != 2 {
		t.Fatalf("event %v %q", ev.Kind, ev.Changes)
	}
	path := filepath.Join(dir, FileName)
	got := readFile(t, path)
	if want := testdata(t, "pin/claude-sync.want.json"); !bytes.Equal(got, want) {
		t.Errorf("file:\n%s", got)
	}
	assertUntouched(t, in, got)
	if m := mode(t, path); m != 0o600 {
		t.Errorf("mode %o, want 600", m)
	}
	bak := filepath.Join(dir, FileName+BackupSuffix)
	if b := readFile(t, bak); !bytes.Equal(b, got) {
		t.Error("backup differs from the repaired file")
	}
	if m := mode(t, bak); m != 0o600 {
		t.Errorf("backup mode %o", m)
	}
	if _, err := os.Stat(path + ".lock"); !os.IsNotExist(err) {
		t.Errorf("lock left behind: %v", err)
	}
	if len(events) != 1 || events[0].Kind != Restored {
		t.Errorf("OnEvent got %v", events)
	}
	for _, secret := range []string{testKey, "sk-ant-oat01", "sk-ant-ort01", "sk-proj-OPENAI"} {
		if strings.Contains(log.String(), secret) || strings.Contains(strings.Join(ev.Changes, "\n"), secret) {
			t.Errorf("log or changes mention %q:\n%s", secret, log.String())
		}
	}
	if !strings.Contains(log.String(), "anthropic:claude-cli") {
		t.Errorf("log does not say what was wrong:\n%s", log.String())
	}
}

// TestNoWriteWhenHeld: a file that holds the invariant is left alone, the
// same inode and mtime, however often the guard looks.
func TestNoWriteWhenHeld(t *testing.T) {
	dir := agentDir(t, testdata(t, "pin/held.in.json"))
	path := filepath.Join(dir, FileName)
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	os.Chtimes(path, old, old)
	before, _ := os.Stat(path)
	g := newGuard(t, nil, dir)
	var events []Event
	g.opts.OnEvent = func(e Event) { events = append(events, e) }
	for i := 0; i < 3; i++ {
		if ev := fixOne(t, g); ev.Kind != OK {
			t.Fatalf("round %d: %v %q", i, ev.Kind, ev.Changes)
		}
	}
	after, _ := os.Stat(path)
	if !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("file rewritten: inode same=%v mtime %v -> %v", os.SameFile(before, after), before.ModTime(), after.ModTime())
	}
	if len(events) != 1 {
		t.Errorf("OnEvent called %d times for an unchanged file, want 1 (the first OK)", len(events))
	}
	// Repairing once makes the next rounds no-ops too.
	dir2 := agentDir(t, testdata(t, "pin/other-orders.in.json"))
	g2 := newGuard(t, nil, dir2)
	if ev := fixOne(t, g2); ev.Kind != Restored {
		t.Fatalf("first round %v", ev.Kind)
	}
	fixed, _ := os.Stat(filepath.Join(dir2, FileName))
	if ev := fixOne(t, g2); ev.Kind != OK {
		t.Fatalf("second round %v %q", ev.Kind, ev.Changes)
	}
	again, _ := os.Stat(filepath.Join(dir2, FileName))
	if !os.SameFile(fixed, again) {
		t.Error("second round rewrote the file")
	}
}

func TestFreshLockDelaysWrite(t *testing.T) {
	in := testdata(t, "pin/claude-sync.in.json")
	dir := agentDir(t, in)
	path := filepath.Join(dir, FileName)
	if err := os.Mkdir(path+".lock", 0o755); err != nil {
		t.Fatal(err)
	}
	g := newGuard(t, nil, dir)
	busy := make(chan struct{}, 1)
	g.lockBusy = func() {
		select {
		case busy <- struct{}{}:
		default:
		}
	}
	done := make(chan Event, 1)
	go func() {
		evs, _ := g.Fix()
		if len(evs) == 1 {
			done <- evs[0]
		}
		close(done)
	}()
	select {
	case <-busy:
	case <-time.After(hangGuard):
		t.Fatal("guard never waited on the lock")
	}
	if got := readFile(t, path); !bytes.Equal(got, in) {
		t.Fatal("guard wrote while another process held the lock")
	}
	select {
	case ev, ok := <-done:
		t.Fatalf("Fix returned while the lock was held: %v %v", ev, ok)
	default:
	}
	if err := os.Remove(path + ".lock"); err != nil {
		t.Fatal(err)
	}
	var ev Event
	select {
	case ev = <-done:
	case <-time.After(hangGuard):
		t.Fatal("guard never took the released lock")
	}
	if ev.Kind != Restored {
		t.Fatalf("event %v %v", ev.Kind, ev.Err)
	}
	assertInvariant(t, readFile(t, path), testKey)
	if _, err := os.Stat(path + ".lock"); !os.IsNotExist(err) {
		t.Error("guard left its lock behind")
	}
}

func TestStaleLockIsBroken(t *testing.T) {
	dir := agentDir(t, testdata(t, "pin/claude-sync.in.json"))
	path := filepath.Join(dir, FileName)
	os.Mkdir(path+".lock", 0o755)
	old := time.Now().Add(-time.Minute)
	os.Chtimes(path+".lock", old, old)
	g := newGuard(t, nil, dir)
	g.lockBusy = func() { t.Error("guard waited on a stale lock") }
	if ev := fixOne(t, g); ev.Kind != Restored {
		t.Fatalf("event %v %v", ev.Kind, ev.Err)
	}
	assertInvariant(t, readFile(t, path), testKey)
	if _, err := os.Stat(path + ".lock"); !os.IsNotExist(err) {
		t.Error("lock still there")
	}
}

func TestLockHeldTooLongFails(t *testing.T) {
	in := testdata(t, "pin/claude-sync.in.json")
	dir := agentDir(t, in)
	path := filepath.Join(dir, FileName)
	os.Mkdir(path+".lock", 0o755)
	g := newGuard(t, nil, dir)
	g.opts.LockWait = 10 * time.Millisecond
	ev := fixOne(t, g)
	if ev.Kind != Failed || !errors.Is(ev.Err, errLocked) {
		t.Fatalf("event %v %v", ev.Kind, ev.Err)
	}
	if !bytes.Equal(readFile(t, path), in) {
		t.Error("file changed")
	}
	if _, err := os.Stat(path + ".lock"); err != nil {
		t.Error("guard removed a lock it did not own")
	}
	// The next round after the holder is gone repairs, and an OK after a
	// failure is announced.
	os.Remove(path + ".lock")
	if ev := fixOne(t, g); ev.Kind != Restored {
		t.Fatalf("event %v", ev.Kind)
	}
}

// TestTornFileSettles: a file caught mid-write is read again, and once the
// writer finishes it is handled like any other; no broken copy is kept.
func TestTornFileSettles(t *testing.T) {
	full := testdata(t, "pin/claude-sync.in.json")
	dir := agentDir(t, full[:len(full)/2])
	path := filepath.Join(dir, FileName)
	g := newGuard(t, nil, dir)
	g.parseRetry = func(attempt int) {
		if attempt == 2 {
			os.WriteFile(path, full, 0o600)
		}
	}
	ev := fixOne(t, g)
	if ev.Kind != Restored {
		t.Fatalf("event %v %q", ev.Kind, ev.Changes)
	}
	if got := readFile(t, path); !bytes.Equal(got, testdata(t, "pin/claude-sync.want.json")) {
		t.Errorf("file:\n%s", got)
	}
	if m, _ := filepath.Glob(path + BrokenSuffix + "*"); len(m) != 0 {
		t.Errorf("broken copies kept: %v", m)
	}
}

// TestTornFileStaysBroken: a file that never finishes is kept aside and
// rebuilt from the last good version plus its complete entries.
func TestTornFileStaysBroken(t *testing.T) {
	dir := agentDir(t, testdata(t, "recover/torn.last.json"))
	path := filepath.Join(dir, FileName)
	g := newGuard(t, nil, dir)
	if ev := fixOne(t, g); ev.Kind != OK {
		t.Fatalf("first round: %v %q", ev.Kind, ev.Changes)
	}
	torn := testdata(t, "recover/torn.in.json")
	os.WriteFile(path, torn, 0o600)
	retries := 0
	g.parseRetry = func(int) { retries++ }
	ev := fixOne(t, g)
	if ev.Kind != Recovered {
		t.Fatalf("event %v %q %v", ev.Kind, ev.Changes, ev.Err)
	}
	if retries < 5 {
		t.Errorf("gave up after %d retries", retries)
	}
	if got := readFile(t, path); !bytes.Equal(got, testdata(t, "recover/torn.want.json")) {
		t.Errorf("file:\n%s", got)
	}
	copies, _ := filepath.Glob(path + BrokenSuffix + "*")
	if len(copies) != 1 {
		t.Fatalf("broken copies: %v", copies)
	}
	if !bytes.Equal(readFile(t, copies[0]), torn) {
		t.Error("broken copy differs from the broken file")
	}
	if m := mode(t, copies[0]); m != 0o600 {
		t.Errorf("broken copy mode %o", m)
	}
}

func TestBrokenCopiesArePruned(t *testing.T) {
	dir := agentDir(t, nil)
	for i := 0; i < keepBroken+5; i++ {
		if err := keepBrokenCopy(dir, []byte("{")); err != nil {
			t.Fatal(err)
		}
	}
	copies, _ := filepath.Glob(filepath.Join(dir, FileName+BrokenSuffix+"*"))
	if len(copies) != keepBroken {
		t.Errorf("%d copies, want %d", len(copies), keepBroken)
	}
}

func TestEmptyFile(t *testing.T) {
	t.Run("with history", func(t *testing.T) {
		good := testdata(t, "recover/rebuilt.last.json")
		dir := agentDir(t, good)
		path := filepath.Join(dir, FileName)
		g := newGuard(t, nil, dir)
		fixOne(t, g)
		os.WriteFile(path, nil, 0o600)
		if ev := fixOne(t, g); ev.Kind != Recovered {
			t.Fatalf("event %v %q", ev.Kind, ev.Changes)
		}
		if got := readFile(t, path); !bytes.Equal(got, good) {
			t.Errorf("file:\n%s", got)
		}
		if m, _ := filepath.Glob(path + BrokenSuffix + "*"); len(m) != 0 {
			t.Errorf("kept a copy of an empty file: %v", m)
		}
	})
	t.Run("without history", func(t *testing.T) {
		dir := agentDir(t, []byte{})
		g := newGuard(t, nil, dir)
		if ev := fixOne(t, g); ev.Kind != Recovered {
			t.Fatalf("event %v", ev.Kind)
		}
		assertInvariant(t, readFile(t, filepath.Join(dir, FileName)), testKey)
	})
}

// TestDataLossPathAfterRestart: Clawdbot replaced the file with a store
// holding only anthropic:claude-cli while clawbridge was not running; the
// next guard finds the last good version in the backup file.
func TestDataLossPathAfterRestart(t *testing.T) {
	last := testdata(t, "recover/rebuilt.last.json")
	dir := agentDir(t, last)
	path := filepath.Join(dir, FileName)
	fixOne(t, newGuard(t, nil, dir))

	os.WriteFile(path, testdata(t, "recover/rebuilt.in.json"), 0o600)
	g := newGuard(t, nil, dir)
	ev := fixOne(t, g)
	if ev.Kind != Recovered {
		t.Fatalf("event %v %q", ev.Kind, ev.Changes)
	}
	if got := readFile(t, path); !bytes.Equal(got, testdata(t, "recover/rebuilt.want.json")) {
		t.Errorf("file:\n%s", got)
	}
	if !bytes.Equal(readFile(t, path+BackupSuffix), readFile(t, path)) {
		t.Error("backup not updated to the recovered file")
	}
}

func TestMissingFileIsCreated(t *testing.T) {
	dir := agentDir(t, nil)
	g := newGuard(t, nil, dir)
	if ev := fixOne(t, g); ev.Kind != Created {
		t.Fatalf("event %v", ev.Kind)
	}
	path := filepath.Join(dir, FileName)
	assertInvariant(t, readFile(t, path), testKey)
	if m := mode(t, path); m != 0o600 {
		t.Errorf("mode %o", m)
	}
}

func TestMissingDirIsLeftAlone(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nope", "agent")
	g := newGuard(t, nil, dir)
	evs, err := g.Fix()
	if err != nil || len(evs) != 0 {
		t.Fatalf("Fix: %v %v", evs, err)
	}
	st, err := g.Check()
	if err != nil || len(st) != 1 || !st[0].Missing || !st[0].Held {
		t.Fatalf("Check: %+v %v", st, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Error("guard created the directory")
	}
}

func TestCheckReportsWithoutWriting(t *testing.T) {
	in := testdata(t, "pin/claude-sync.in.json")
	dir := agentDir(t, in)
	g := newGuard(t, nil, dir)
	st, err := g.Check()
	if err != nil || len(st) != 1 {
		t.Fatal(st, err)
	}
	s := st[0]
	if s.Held || len(s.Problems) != 2 || s.Using != ClaudeCLIProfile || s.Profiles != 3 {
		t.Errorf("status %+v", s)
	}
	for _, p := range s.Problems {
		if strings.Contains(p, testKey) || strings.Contains(p, "pinned") {
			t.Errorf("problem %q", p)
		}
	}
	if !bytes.Equal(readFile(t, filepath.Join(dir, FileName)), in) {
		t.Error("Check wrote the file")
	}
	if _, err := os.Stat(filepath.Join(dir, FileName+BackupSuffix)); !os.IsNotExist(err) {
		t.Error("Check wrote a backup")
	}
	fixOne(t, g)
	st, _ = g.Check()
	if !st[0].Held || st[0].Using != DefaultProfile || st[0].LastRestore.IsZero() {
		t.Errorf("after Fix: %+v", st[0])
	}
}

func TestSymlinkedStoreIsFollowed(t *testing.T) {
	dir := agentDir(t, nil)
	real := filepath.Join(t.TempDir(), "dotfiles-auth.json")
	os.WriteFile(real, testdata(t, "pin/claude-sync.in.json"), 0o600)
	link := filepath.Join(dir, FileName)
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	g := newGuard(t, nil, dir)
	if ev := fixOne(t, g); ev.Kind != Restored {
		t.Fatalf("event %v %v", ev.Kind, ev.Err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("symlink replaced by a file")
	}
	assertInvariant(t, readFile(t, real), testKey)
}

func TestNewRejectsBadKeys(t *testing.T) {
	for _, k := range []string{"sk local", "sk-\n", "ключ", " sk"} {
		if _, err := New(Options{Key: k, Dirs: []string{"/x"}}); err == nil {
			t.Errorf("key %q accepted", k)
		}
	}
	g, err := New(Options{Dirs: []string{"/x"}})
	if err != nil || g.Key() != DefaultKey {
		t.Errorf("default key: %v %v", g, err)
	}
}

func TestMaskKey(t *testing.T) {
	for k, want := range map[string]string{DefaultKey: "sk-…cal", "sk-litellm-local": "sk-…cal", "short": "…", "": "…"} {
		if got := MaskKey(k); got != want {
			t.Errorf("MaskKey(%q) = %q, want %q", k, got, want)
		}
	}
}

func TestDiscover(t *testing.T) {
	home := t.TempDir()
	custom := t.TempDir()
	for _, d := range []string{
		".clawdbot/agents/main/agent",
		".clawdbot/agents/work/agent",
		".clawdbot/agents/empty",
		".clawdbot-dev/agents/main/agent",
		".openclaw/agents/main/agent",
		".moltbot",
	} {
		os.MkdirAll(filepath.Join(home, d), 0o700)
	}
	os.MkdirAll(filepath.Join(custom, "agents", "ops", "agent"), 0o700)
	env := map[string]string{"CLAWDBOT_STATE_DIR": custom}
	got := Discover(home, func(k string) string { return env[k] })
	want := []string{
		filepath.Join(custom, "agents/main/agent"),
		filepath.Join(custom, "agents/ops/agent"),
		filepath.Join(home, ".clawdbot/agents/main/agent"),
		filepath.Join(home, ".clawdbot/agents/work/agent"),
		filepath.Join(home, ".clawdbot-dev/agents/main/agent"),
		filepath.Join(home, ".openclaw/agents/main/agent"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Discover:\n got %q\nwant %q", got, want)
	}
	env = map[string]string{"CLAWDBOT_AGENT_DIR": "~/elsewhere", "PI_CODING_AGENT_DIR": "/ignored"}
	got = Discover(home, func(k string) string { return env[k] })
	if got[0] != filepath.Join(home, "elsewhere") || contains(got, "/ignored") {
		t.Errorf("agent dir override: %q", got)
	}
	// A fresh machine: only the default main agent directories of
	// Clawdbot and OpenClaw, to watch for the app creating them (or to
	// create them, see Options.Create).
	got = Discover(t.TempDir(), func(string) string { return "" })
	if len(got) != 2 || !strings.HasSuffix(got[0], ".clawdbot/agents/main/agent") ||
		!strings.HasSuffix(got[1], ".openclaw/agents/main/agent") {
		t.Errorf("fresh machine: %q", got)
	}
}

// TestDiscoverOpenClawEnvironment: OpenClaw's own variables name agent
// and state directories that do not exist yet.
func TestDiscoverOpenClawEnvironment(t *testing.T) {
	home := t.TempDir()
	other := t.TempDir()
	os.MkdirAll(filepath.Join(other, ".openclaw", "agents", "ops", "agent"), 0o700)
	os.MkdirAll(filepath.Join(home, ".openclaw-work", "agents", "main", "agent"), 0o700)
	env := map[string]string{"OPENCLAW_AGENT_DIR": "~/agent-here", "OPENCLAW_STATE_DIR": "~/state-there"}
	got := Discover(home, func(k string) string { return env[k] })
	want := []string{
		filepath.Join(home, "agent-here"),
		filepath.Join(home, "state-there/agents/main/agent"),
		filepath.Join(home, ".clawdbot/agents/main/agent"),
		filepath.Join(home, ".openclaw/agents/main/agent"),
		filepath.Join(home, ".openclaw-work/agents/main/agent"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Discover:\n got %q\nwant %q", got, want)
	}
	env = map[string]string{"OPENCLAW_HOME": other, "OPENCLAW_PROFILE": "lab"}
	got = Discover(home, func(k string) string { return env[k] })
	want = []string{
		filepath.Join(other, ".openclaw-lab/agents/main/agent"),
		filepath.Join(home, ".clawdbot/agents/main/agent"),
		filepath.Join(other, ".openclaw/agents/main/agent"),
		filepath.Join(other, ".openclaw/agents/ops/agent"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("OPENCLAW_HOME and OPENCLAW_PROFILE:\n got %q\nwant %q", got, want)
	}
}

// TestConcurrentChecksSerialise: the watcher and a manual Fix may run at
// once; they must not interleave their reads and writes.
func TestConcurrentChecksSerialise(t *testing.T) {
	dir := agentDir(t, testdata(t, "pin/claude-sync.in.json"))
	g := newGuard(t, nil, dir)
	var wg sync.WaitGroup
	kinds := make(chan Kind, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			evs, _ := g.Fix()
			kinds <- evs[0].Kind
		}()
	}
	wg.Wait()
	close(kinds)
	restored := 0
	for k := range kinds {
		if k == Restored {
			restored++
		} else if k != OK {
			t.Errorf("kind %v", k)
		}
	}
	if restored != 1 {
		t.Errorf("%d rounds wrote, want exactly 1", restored)
	}
}
