package guard

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// createGuard is newGuard with Options.Create answering create for every
// directory.
func createGuard(t *testing.T, create bool, dirs ...string) *Guard {
	t.Helper()
	g := newGuard(t, nil, dirs...)
	g.opts.Create = func(string) bool { return create }
	return g
}

// freshStoreBytes is the store the guard creates for testKey: the
// invariant and nothing else, laid out as Clawdbot writes it.
const freshStoreBytes = "{\n  \"version\": 1,\n  \"profiles\": {\n    \"anthropic:default\": {\n      \"type\": \"api_key\",\n      \"provider\": \"anthropic\",\n      \"key\": \"sk-litellm-local\"\n    }\n  },\n  \"order\": {\n    \"anthropic\": [\n      \"anthropic:default\"\n    ]\n  },\n  \"lastGood\": {\n    \"anthropic\": \"anthropic:default\"\n  }\n}\n"

func TestCreateMakesTheAgentDirAndStore(t *testing.T) {
	state := filepath.Join(t.TempDir(), ".openclaw")
	dir := filepath.Join(state, "agents", "main", "agent")
	path := filepath.Join(dir, FileName)
	g := createGuard(t, true, dir)

	// Check only reports: the directory is missing and will be created.
	st, err := g.Check()
	if err != nil || len(st) != 1 || !st[0].Missing || st[0].Held || len(st[0].Problems) != 1 {
		t.Fatalf("Check before: %+v %v", st, err)
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Fatal("Check created something")
	}

	ev := fixOne(t, g)
	if ev.Kind != Created || !strings.Contains(strings.Join(ev.Changes, "\n"), "agent directory") {
		t.Fatalf("event %v %q", ev.Kind, ev.Changes)
	}
	if got := string(readFile(t, path)); got != freshStoreBytes {
		t.Errorf("created store:\n%s", got)
	}
	if m := mode(t, path); m != 0o600 {
		t.Errorf("store mode %o", m)
	}
	for _, d := range []string{state, filepath.Join(state, "agents"), filepath.Join(state, "agents", "main"), dir} {
		if m := mode(t, d); m&0o077 != 0 {
			t.Errorf("%s mode %o, want private", d, m)
		}
	}
	st, err = g.Check()
	if err != nil || len(st) != 1 || st[0].Missing || !st[0].Held || st[0].Using != DefaultProfile {
		t.Fatalf("Check after: %+v %v", st, err)
	}
	if ev := fixOne(t, g); ev.Kind != OK {
		t.Fatalf("second Fix: %v %q", ev.Kind, ev.Changes)
	}

	// Gone again: the file, then the whole state directory.
	os.Remove(path)
	if ev := fixOne(t, g); ev.Kind != Created || strings.Contains(strings.Join(ev.Changes, "\n"), "agent directory") {
		t.Fatalf("after removing the file: %v %q", ev.Kind, ev.Changes)
	}
	if err := os.RemoveAll(state); err != nil {
		t.Fatal(err)
	}
	if ev := fixOne(t, g); ev.Kind != Created {
		t.Fatalf("after removing the state directory: %v %q", ev.Kind, ev.Changes)
	}
	assertInvariant(t, readFile(t, path), testKey)
}

func TestCreateFalseCreatesNothing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "agents", "main", "agent")
	empty := agentDir(t, nil)
	g := createGuard(t, false, missing, empty)
	evs, err := g.Fix()
	if err != nil || len(evs) != 0 {
		t.Fatalf("Fix: %+v %v", evs, err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Error("created the agent directory")
	}
	if _, err := os.Stat(filepath.Join(empty, FileName)); !os.IsNotExist(err) {
		t.Error("created the store")
	}
	st, err := g.Check()
	if err != nil || len(st) != 2 || !st[0].Missing || !st[0].Held || !st[1].Missing || !st[1].Held {
		t.Fatalf("Check: %+v %v", st, err)
	}

	// A store the app made is still pinned.
	in := testdata(t, "pin/claude-sync.in.json")
	os.WriteFile(filepath.Join(empty, FileName), in, 0o600)
	evs, err = g.Fix()
	if err != nil || len(evs) != 1 || evs[0].Kind != Restored {
		t.Fatalf("Fix of the app's store: %+v %v", evs, err)
	}
	assertInvariant(t, readFile(t, filepath.Join(empty, FileName)), testKey)
}

// sqliteCases are the two places a SQLite auth store shows up.
var sqliteCases = []struct {
	name string
	file func(state, agent string) string
}{
	{"agent database (2026.6)", func(_, agent string) string { return filepath.Join(agent, AgentDatabase) }},
	{"state database (2026.9)", func(state, _ string) string { return filepath.Join(state, "state", "openclaw.sqlite") }},
}

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("SQLite format 3\x00"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestSQLiteStoreIsLeftAlone(t *testing.T) {
	for i, c := range sqliteCases {
		for _, create := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/create=%v", c.name, create), func(t *testing.T) {
				in := testdata(t, "pin/claude-sync.in.json")
				dir, db := sqliteDir(t, i, in)
				path := filepath.Join(dir, FileName)
				g := createGuard(t, create, dir)

				// The store holds the user's profiles: left alone, with
				// the fix for OpenClaw 2026.9's refusal.
				ev := fixOne(t, g)
				if ev.Kind != LegacyStore || len(ev.Changes) != 1 || !strings.Contains(ev.Changes[0], "`openclaw doctor --fix`") {
					t.Fatalf("event %v %q", ev.Kind, ev.Changes)
				}
				if !bytes.Equal(readFile(t, path), in) {
					t.Error("the JSON store was written")
				}
				if _, err := os.Stat(path + BackupSuffix); !os.IsNotExist(err) {
					t.Error("a backup was written")
				}
				st, err := g.Check()
				if err != nil || len(st) != 1 || st[0].SQLite != db || st[0].Held || !st[0].Legacy || len(st[0].Problems) != 1 {
					t.Fatalf("Check: %+v %v", st, err)
				}

				// Without any JSON store, none is created either, and
				// nothing is left to do.
				os.Remove(path)
				if ev := fixOne(t, g); ev.Kind != SQLiteStore || len(ev.Changes) != 1 || !strings.Contains(ev.Changes[0], db) {
					t.Fatalf("without a store: %v %q", ev.Kind, ev.Changes)
				}
				st, err = g.Check()
				if err != nil || len(st) != 1 || st[0].SQLite != db || st[0].Held || st[0].Legacy || len(st[0].Problems) != 0 {
					t.Fatalf("Check without a store: %+v %v", st, err)
				}
				if _, err := os.Stat(path); !os.IsNotExist(err) {
					t.Error("created a JSON store beside a SQLite one")
				}
			})
		}
	}
}

func TestSQLiteStateDatabaseStopsDirCreation(t *testing.T) {
	state := t.TempDir()
	dir := filepath.Join(state, "agents", "main", "agent")
	touch(t, filepath.Join(state, "state", "openclaw.sqlite"))
	g := createGuard(t, true, dir)
	if ev := fixOne(t, g); ev.Kind != SQLiteStore {
		t.Fatalf("event %v %q", ev.Kind, ev.Changes)
	}
	if _, err := os.Stat(filepath.Join(state, "agents")); !os.IsNotExist(err) {
		t.Error("created the agent directory of a SQLite state directory")
	}
}

// TestSQLiteAppearingBeforeTheWrite: the app moves the directory to
// SQLite while the guard waits for the store lock; the look just before
// the write sees it.
func TestSQLiteAppearingBeforeTheWrite(t *testing.T) {
	for _, c := range sqliteCases {
		t.Run(c.name, func(t *testing.T) {
			state := t.TempDir()
			dir := filepath.Join(state, "agents", "main", "agent")
			os.MkdirAll(dir, 0o700)
			path := filepath.Join(dir, FileName)
			lock := path + ".lock"
			os.Mkdir(lock, 0o700)
			g := createGuard(t, true, dir)
			g.lockBusy = func() {
				touch(t, c.file(state, dir))
				os.Remove(lock)
			}
			if ev := fixOne(t, g); ev.Kind != SQLiteStore {
				t.Fatalf("event %v %q", ev.Kind, ev.Changes)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Error("wrote a JSON store after the SQLite one appeared")
			}
		})
	}
}

// TestRunTellsSQLiteOnce: Run creates the store, and when the app later
// moves the directory to SQLite (and its JSON store goes), the guard
// creates nothing more and says so once, however often the app writes its
// database.
func TestRunTellsSQLiteOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "agents", "main", "agent")
	path := filepath.Join(dir, FileName)
	events := runCreating(t, dir)
	nextEvent(t, events, Created, "first event")
	db := filepath.Join(dir, AgentDatabase)
	touch(t, db)
	os.Remove(path)
	nextEvent(t, events, SQLiteStore, "after the database appeared")
	for i := 0; i < 5; i++ {
		os.WriteFile(db, []byte("SQLite format 3\x00"+strings.Repeat("x", i)), 0o600)
		time.Sleep(30 * time.Millisecond)
	}
	noEvent(t, events, 200*time.Millisecond)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Error("recreated the JSON store beside the SQLite one")
	}
}

// TestRunRecreatesTheStore: under Run, a store (or the whole state
// directory) that disappears comes back without waiting for a rescan.
func TestRunRecreatesTheStore(t *testing.T) {
	state := filepath.Join(t.TempDir(), ".openclaw")
	dir := filepath.Join(state, "agents", "main", "agent")
	path := filepath.Join(dir, FileName)
	events := runCreating(t, dir)
	created := func(what string) {
		t.Helper()
		nextEvent(t, events, Created, what)
		if got := string(readFile(t, path)); got != freshStoreBytes {
			t.Fatalf("%s: store\n%s", what, got)
		}
	}
	created("first check")
	os.Remove(path)
	created("file removed")
	os.RemoveAll(state)
	created("state directory removed")
}
