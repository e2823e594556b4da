package guard

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/patcher/atomicfile"
	"github.com/clawbridge/clawbridge/patcher/atomicfile/crashtest"
)

func TestMain(m *testing.M) {
	crashtest.Child(map[string]func(dir string){"guard": guardForever})
	os.Exit(m.Run())
}

const killKey = "sk-clawbridge-kill-test-key"

// takenOver is the store as Claude-CLI sync leaves it: the OAuth profile
// first in order and last good. The guard must pin it back every time.
var takenOver = []byte(`{
  "version": 1,
  "profiles": {
    "anthropic:default": {
      "type": "api_key",
      "provider": "anthropic",
      "key": "` + killKey + `"
    },
    "anthropic:claude-cli": {
      "type": "oauth",
      "provider": "anthropic",
      "access": "sk-ant-oat01-kill-test-access",
      "refresh": "sk-ant-ort01-kill-test-refresh",
      "expires": 4102444800000
    },
    "openai:default": {
      "type": "api_key",
      "provider": "openai",
      "key": "sk-openai-kill-test"
    }
  },
  "order": {
    "anthropic": [
      "anthropic:claude-cli",
      "anthropic:default"
    ]
  },
  "lastGood": {
    "anthropic": "anthropic:claude-cli"
  }
}
`)

// killGuardOptions are the options of every guard in the kill test. A
// lock left by a killed guard counts as stale at once, so that the next
// round need not wait out the real 30 s.
func killGuardOptions(dir string) Options {
	return Options{Key: killKey, Dirs: []string{dir}, LockStale: time.Nanosecond, Logger: slog.New(slog.DiscardHandler)}
}

// guardForever is the writer TestKillDuringGuardWrite kills: the store is
// taken over (written whole, as the kill under test is the guard's) and
// the guard pins it back, as fast as it goes.
func guardForever(dir string) {
	g, err := New(killGuardOptions(dir))
	if err != nil {
		crashtest.Fail("%v", err)
	}
	path := filepath.Join(dir, FileName)
	for i := 0; ; i++ {
		if err := atomicfile.WriteFile(path, takenOver, 0o600); err != nil {
			crashtest.Fail("%v", err)
		}
		evs, err := g.Fix()
		if err != nil || len(evs) != 1 || evs[0].Kind != Restored {
			crashtest.Fail("fix: %+v %v", evs, err)
		}
		if i == 1 {
			crashtest.Ready()
		}
	}
}

// TestKillDuringGuardWrite SIGKILLs a guard at random moments while it
// pins the auth store, 200 times. After every kill auth-profiles.json must
// parse and be the taken-over or the pinned version, whole, 0600; the
// backup must be absent or the pinned version; and the guard started next
// must pin the store and remove the temporary copies of credentials a kill
// mid-write left.
func TestKillDuringGuardWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	bak := path + BackupSuffix
	pinned := decide(takenOver, true, nil, killKey, time.Now()).write
	if pinned == nil || !bytes.Equal(decide(takenOver, true, pinned, killKey, time.Now()).write, pinned) {
		t.Fatal("the pinned version depends on the guard's memory")
	}
	if err := os.WriteFile(path, takenOver, 0o600); err != nil {
		t.Fatal(err)
	}

	var midWrite, staleLocks int
	st := crashtest.Loop(t, "guard", dir, 200, 5*time.Millisecond, func(round int) {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if _, err := parseStore(got); err != nil || !bytes.Equal(got, takenOver) && !bytes.Equal(got, pinned) {
			t.Fatalf("round %d: the store is torn (%v):\n%s", round, err, got)
		}
		if b, err := os.ReadFile(bak); err == nil && !bytes.Equal(b, pinned) {
			t.Fatalf("round %d: the backup is not the pinned store:\n%s", round, b)
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		for _, f := range []string{path, bak} {
			if fi, err := os.Stat(f); err == nil && fi.Mode().Perm() != 0o600 {
				t.Fatalf("round %d: %s has mode %v", round, f, fi.Mode().Perm())
			}
		}
		if temps := tempFiles(t, dir); len(temps) > 0 {
			midWrite++
		}

		// The daemon starts again: a new guard checks the store.
		g, err := New(killGuardOptions(dir))
		if err != nil {
			t.Fatal(err)
		}
		if evs, err := g.Fix(); err != nil || len(evs) != 1 || evs[0].Kind == Failed {
			t.Fatalf("round %d: fix after the kill: %+v %v", round, evs, err)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, pinned) {
			t.Fatalf("round %d: the store after the guard ran again:\n%s", round, got)
		}
		if temps := tempFiles(t, dir); len(temps) > 0 {
			t.Fatalf("round %d: temporary files left after the guard ran again: %v", round, temps)
		}
		if _, err := os.Stat(path + ".lock"); err == nil {
			staleLocks++
		}
	})
	t.Logf("kill -9 during guard writes: %d kills, %d of them left a temporary file (killed mid-write), %d a lock (broken once stale), 0 torn stores (seed %d)", st.Kills, midWrite, staleLocks, st.Seed)
}

// tempFiles lists the hidden temporary files in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		switch n := e.Name(); {
		case n == FileName, n == FileName+BackupSuffix, n == FileName+".lock":
		case strings.HasPrefix(n, "."+FileName):
			out = append(out, n)
		default:
			t.Fatalf("unexpected file %s in the agent directory", n)
		}
	}
	return out
}
