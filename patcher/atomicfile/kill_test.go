package atomicfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/patcher/atomicfile/crashtest"
)

func TestMain(m *testing.M) {
	crashtest.Child(map[string]func(dir string){"write": writeForever})
	os.Exit(m.Run())
}

// killFiles are the files the killed writer replaces: one through
// WriteFile, which must keep its mode, one through WritePrivate.
const killPlain, killSecret = "catalog.js", "auth-profiles.json"

// killVersions are the two contents the writer switches between, large
// enough that a kill often lands in the middle of a write.
var killVersions = [2][]byte{
	bytes.Repeat([]byte("version one\n"), 20000),
	bytes.Repeat([]byte("VERSION TWO, a different length\n"), 10000),
}

// writeForever is the writer TestKillDuringWrite kills: both files
// replaced by one version and then the other, as fast as it goes.
func writeForever(dir string) {
	for i := 0; ; i++ {
		v := killVersions[i%2]
		if err := WriteFile(filepath.Join(dir, killPlain), v, 0o644); err != nil {
			crashtest.Fail("%v", err)
		}
		if err := WritePrivate(filepath.Join(dir, killSecret), v); err != nil {
			crashtest.Fail("%v", err)
		}
		if i == 1 {
			crashtest.Ready()
		}
	}
}

// TestKillDuringWrite SIGKILLs a writer at random moments while it
// replaces two files, 200 times. After every kill each file must be one of
// the versions, whole, with its mode (0640 kept by WriteFile, 0600 by
// WritePrivate), and nothing else may be in the directory but the
// writer's temporary files; CleanTemps, which every writer runs before it
// writes, must then remove them all.
func TestKillDuringWrite(t *testing.T) {
	dir := t.TempDir()
	// The modes the files start with, and must have after every kill:
	// WritePrivate takes the secret's 0644 to 0600 on its first write.
	start := map[string]os.FileMode{killPlain: 0o640, killSecret: 0o644}
	modes := map[string]os.FileMode{killPlain: 0o640, killSecret: 0o600}
	for name, mode := range start {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, killVersions[0], 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}

	midWrite := 0
	st := crashtest.Loop(t, "write", dir, 200, 5*time.Millisecond, func(round int) {
		for name, mode := range modes {
			p := filepath.Join(dir, name)
			got, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if !bytes.Equal(got, killVersions[0]) && !bytes.Equal(got, killVersions[1]) {
				t.Fatalf("round %d: %s is torn (%d bytes, not a version the writer writes)", round, name, len(got))
			}
			if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != mode {
				t.Fatalf("round %d: %s has mode %v (%v), want %v", round, name, fi.Mode().Perm(), err, mode)
			}
		}
		temps := leftovers(t, dir)
		if len(temps) > 0 {
			midWrite++
		}
		// The writer's next run cleans up before it writes.
		var removed []string
		for name := range modes {
			r, err := CleanTemps(dir, name)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			removed = append(removed, r...)
		}
		if len(removed) != len(temps) {
			t.Fatalf("round %d: CleanTemps removed %v of %v", round, removed, temps)
		}
		if left := leftovers(t, dir); len(left) > 0 {
			t.Fatalf("round %d: temporary files left after CleanTemps: %v", round, left)
		}
	})
	t.Logf("kill -9 during atomic writes: %d kills, %d of them left a temporary file (killed mid-write), 0 torn files (seed %d)", st.Kills, midWrite, st.Seed)
}

// TestLeaveTempIsCleaned checks that what crashtest.LeaveTemp leaves, the
// stand-in its users test their clean-up with, is what CleanTemps removes.
func TestLeaveTempIsCleaned(t *testing.T) {
	path := filepath.Join(t.TempDir(), killSecret)
	temp := crashtest.LeaveTemp(t, path, []byte("half"))
	removed, err := CleanTemps(filepath.Dir(path), killSecret)
	if err != nil || len(removed) != 1 || removed[0] != temp {
		t.Fatalf("CleanTemps removed %v (%v), want %s", removed, err, temp)
	}
	if _, err := os.Stat(temp); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s is still there (%v)", temp, err)
	}
}

// leftovers lists the writer's temporary files in dir, failing on any file
// that is neither one of them nor one of the targets.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		switch n := e.Name(); {
		case n == killPlain, n == killSecret:
		case strings.HasPrefix(n, "."+killPlain+".clawbridge-"), strings.HasPrefix(n, "."+killSecret+".clawbridge-"):
			out = append(out, n)
		default:
			t.Fatalf("unexpected file %s", n)
		}
	}
	return out
}
