package guard

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sqliteDir makes an agent directory of a state directory that has moved
// to SQLite as c says, holding store as auth-profiles.json (nil: none).
func sqliteDir(t *testing.T, c int, store []byte) (dir, db string) {
	t.Helper()
	state := t.TempDir()
	dir = filepath.Join(state, "agents", "main", "agent")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if store != nil {
		if err := os.WriteFile(filepath.Join(dir, FileName), store, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	db = sqliteCases[c].file(state, dir)
	touch(t, db)
	return dir, db
}

// TestTakeBackOwnStore: in a directory that has moved to SQLite, the
// store clawbridge wrote (and the guard's backup of it) is moved aside,
// kept private, and Check tells it; nothing is written again.
func TestTakeBackOwnStore(t *testing.T) {
	for i, c := range sqliteCases {
		t.Run(c.name, func(t *testing.T) {
			dir, db := sqliteDir(t, i, []byte(freshStoreBytes))
			path := filepath.Join(dir, FileName)
			if err := os.WriteFile(path+BackupSuffix, []byte(freshStoreBytes), 0o600); err != nil {
				t.Fatal(err)
			}
			g := createGuard(t, true, dir)

			st, err := g.Check()
			if err != nil || len(st) != 1 || st[0].SQLite != db || st[0].Held || !st[0].Legacy || st[0].LegacyForeign || len(st[0].Problems) != 1 ||
				!strings.Contains(st[0].Problems[0], "moves it aside") || st[0].Removed != "" {
				t.Fatalf("Check before: %+v %v", st, err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Fatal("Check moved the file")
			}

			var events []Event
			g.opts.OnEvent = func(e Event) { events = append(events, e) }
			ev := fixOne(t, g)
			if ev.Kind != Removed || len(ev.Changes) != 2 || !strings.HasPrefix(ev.Changes[0], removedNote) {
				t.Fatalf("event %v %q", ev.Kind, ev.Changes)
			}
			if len(events) != 1 || events[0].Kind != Removed {
				t.Fatalf("told %+v", events)
			}
			for _, name := range []string{FileName, FileName + BackupSuffix} {
				if _, err := os.Lstat(filepath.Join(dir, name)); !os.IsNotExist(err) {
					t.Errorf("%s is still there", name)
				}
			}
			moved := lastRemoved(path)
			if moved == "" || !strings.Contains(ev.Changes[0], filepath.Base(moved)) {
				t.Fatalf("moved to %q; event %q", moved, ev.Changes)
			}
			if got := string(readFile(t, moved)); got != freshStoreBytes {
				t.Errorf("moved file:\n%s", got)
			}
			if m := mode(t, moved); m != 0o600 {
				t.Errorf("moved file mode %o", m)
			}
			if bak := lastRemoved(path + BackupSuffix); bak == "" || string(readFile(t, bak)) != freshStoreBytes {
				t.Errorf("backup moved to %q", bak)
			}

			st, err = g.Check()
			if err != nil || len(st) != 1 || st[0].Legacy || len(st[0].Problems) != 0 || st[0].Removed != moved {
				t.Fatalf("Check after: %+v %v", st, err)
			}
			if ev := fixOne(t, g); ev.Kind != SQLiteStore || len(events) != 1 {
				t.Fatalf("second Fix: %v %q; told %d events", ev.Kind, ev.Changes, len(events))
			}
			if _, err := os.Lstat(path); !os.IsNotExist(err) {
				t.Error("a store was written again")
			}
		})
	}
}

// TestForeignLegacyStoreIsKept: anything beyond clawbridge's own entries
// makes the file the user's (or the app's): never touched, reported with
// the fix.
func TestForeignLegacyStoreIsKept(t *testing.T) {
	own := strings.Replace(freshStoreBytes, `"version": 1,`, `"version": 1, "usageStats": {"anthropic:default": {"lastUsed": 1}},`, 1)
	link := filepath.Join(t.TempDir(), "auth.json")
	os.WriteFile(link, []byte(freshStoreBytes), 0o600)
	for _, in := range []struct {
		name    string
		content []byte
		symlink bool
	}{
		{"claude-sync", testdata(t, "pin/claude-sync.in.json"), false},
		{"usage stats", []byte(own), false},
		{"symlink to clawbridge's store", nil, true},
	} {
		t.Run(in.name, func(t *testing.T) {
			dir, db := sqliteDir(t, 1, in.content)
			path := filepath.Join(dir, FileName)
			if in.symlink {
				if err := os.Symlink(link, path); err != nil {
					t.Fatal(err)
				}
			}
			before, _ := os.ReadFile(path)
			g := createGuard(t, true, dir)
			ev := fixOne(t, g)
			if ev.Kind != LegacyStore || ev.Changes[0] != foreignNote {
				t.Fatalf("event %v %q", ev.Kind, ev.Changes)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, before) || lastRemoved(path) != "" {
				t.Error("the file was touched")
			}
			st, err := g.Check()
			if err != nil || len(st) != 1 || st[0].SQLite != db || !st[0].Legacy || !st[0].LegacyForeign || len(st[0].Problems) != 1 ||
				!strings.Contains(st[0].Problems[0], "run `openclaw doctor --fix` to migrate it into the SQLite store") {
				t.Fatalf("Check: %+v %v", st, err)
			}
		})
	}
}

// TestTakeBackLooksAgainUnderTheLock: a writer holding the store lock
// decides. One that replaces clawbridge's store with the user's keeps it;
// one that only releases the lock lets the guard take its store back.
func TestTakeBackLooksAgainUnderTheLock(t *testing.T) {
	user := testdata(t, "pin/claude-sync.in.json")
	for _, replace := range []bool{true, false} {
		dir, _ := sqliteDir(t, 0, []byte(freshStoreBytes))
		path := filepath.Join(dir, FileName)
		lock := path + ".lock"
		os.Mkdir(lock, 0o700)
		g := createGuard(t, true, dir)
		g.lockBusy = func() {
			if replace {
				os.WriteFile(path, user, 0o600)
			}
			os.Remove(lock)
		}
		ev := fixOne(t, g)
		switch {
		case replace && (ev.Kind != LegacyStore || !bytes.Equal(readFile(t, path), user)):
			t.Errorf("replaced under the lock: %v %q", ev.Kind, ev.Changes)
		case !replace && ev.Kind != Removed:
			t.Errorf("lock released: %v %q", ev.Kind, ev.Changes)
		}
		if _, err := os.Stat(lock); !os.IsNotExist(err) {
			t.Error("the lock was left behind")
		}
	}
}

func TestOwnStore(t *testing.T) {
	keys := []string{testKey, DefaultKey}
	fresh := freshStoreBytes
	for _, c := range []struct {
		name string
		data string
		own  bool
	}{
		{"as written", fresh, true},
		{"placeholder key", strings.Replace(fresh, testKey, DefaultKey, 1), true},
		{"order and lastGood moved out", `{"version":1,"profiles":{"anthropic:default":{"type":"api_key","provider":"anthropic","key":"` + testKey + `"}}}`, true},
		{"other member order", `{"lastGood":{"anthropic":"anthropic:default"},"profiles":{"anthropic:default":{"key":"` + testKey + `","provider":"anthropic","type":"api_key"}},"version":1,"order":{"anthropic":["anthropic:default"]}}`, true},
		{"another key", strings.Replace(fresh, testKey, "sk-ant-api03-users-own", 1), false},
		{"a second profile", strings.Replace(fresh, `"profiles": {`, `"profiles": {"anthropic:work": {"type": "api_key", "provider": "anthropic", "key": "k"},`, 1), false},
		{"usage stats", strings.Replace(fresh, `"version": 1,`, `"version": 1, "usageStats": {},`, 1), false},
		{"profiles twice", strings.Replace(fresh, `"version": 1,`, `"version": 1, "profiles": {"x:y": {}},`, 1), false},
		{"a field in the profile", strings.Replace(fresh, `"type": "api_key",`, `"type": "api_key", "email": "a@b",`, 1), false},
		{"a token", strings.Replace(fresh, `"api_key"`, `"token"`, 1), false},
		{"another provider in order", strings.Replace(fresh, `"order": {`, `"order": {"openai": ["openai:default"],`, 1), false},
		{"order pointing elsewhere", strings.Replace(fresh, `[
      "anthropic:default"
    ]`, `["anthropic:claude-cli"]`, 1), false},
		{"version 2", strings.Replace(fresh, `"version": 1`, `"version": 2`, 1), false},
		{"no profiles", `{"version":1}`, false},
		{"torn", fresh[:40], false},
		{"not an object", `[]`, false},
	} {
		if got := ownStore([]byte(c.data), keys); got != c.own {
			t.Errorf("%s: ownStore = %v, want %v\n%s", c.name, got, c.own, c.data)
		}
	}
}

// FuzzOwnStore: whatever ownStore calls clawbridge's decodes, with
// encoding/json as an independent reader, to exactly the invariant
// (order and lastGood optional) with one of the keys; so a file holding
// anything of the user's is never taken back.
func FuzzOwnStore(f *testing.F) {
	f.Add([]byte(freshStoreBytes))
	if sync, err := os.ReadFile(filepath.Join("testdata", "pin", "claude-sync.in.json")); err == nil {
		f.Add(sync)
	}
	f.Add([]byte(`{"version":1,"profiles":{"anthropic:default":{"type":"api_key","provider":"anthropic","key":"` + DefaultKey + `"}}}`))
	f.Add([]byte(`{"profiles":{"anthropic:default":{"key":"` + testKey + `","provider":"anthropic","type":"api_key"}},"profiles":{}}`))
	keys := []string{testKey, DefaultKey}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !ownStore(data, keys) {
			return
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(data, &top); err != nil {
			t.Fatalf("taken as clawbridge's but does not decode: %v\n%s", err, data)
		}
		var profiles map[string]map[string]any
		if err := json.Unmarshal(top["profiles"], &profiles); err != nil || len(profiles) != 1 {
			t.Fatalf("profiles %s", top["profiles"])
		}
		p := profiles[DefaultProfile]
		key, _ := p["key"].(string)
		if len(p) != 3 || p["type"] != "api_key" || p["provider"] != "anthropic" || !contains(keys, key) {
			t.Fatalf("profile %v", p)
		}
		want := map[string]string{"version": "1", "order": `{"anthropic":["anthropic:default"]}`, "lastGood": `{"anthropic":"anthropic:default"}`}
		for name, raw := range top {
			if name == "profiles" {
				continue
			}
			var b bytes.Buffer
			if err := json.Compact(&b, raw); err != nil || b.String() != want[name] {
				t.Fatalf("member %q = %s", name, raw)
			}
		}
	})
}

// TestRunTakesBackOnce: under Run, clawbridge's store in a SQLite
// directory is taken back and told once (the rename it causes is no
// news); a store the user puts there later is told, and kept.
func TestRunTakesBackOnce(t *testing.T) {
	dir, _ := sqliteDir(t, 1, []byte(freshStoreBytes))
	path := filepath.Join(dir, FileName)
	events := runCreating(t, dir)
	nextEvent(t, events, Removed, "clawbridge's store")
	noEvent(t, events, 300*time.Millisecond)
	user := testdata(t, "pin/claude-sync.in.json")
	os.WriteFile(path, user, 0o600)
	nextEvent(t, events, LegacyStore, "the user's store")
	if !bytes.Equal(readFile(t, path), user) {
		t.Error("the user's store was touched")
	}
}
