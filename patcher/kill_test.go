package patcher

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/patcher/atomicfile/crashtest"
)

func TestMain(m *testing.M) {
	crashtest.Child(map[string]func(dir string){"patch": patchForever})
	os.Exit(m.Run())
}

// killURLs are the base URLs the killed patcher switches between, so that
// every one of its patches writes.
var killURLs = []string{"http://127.0.0.1:4000", "http://127.0.0.1:4100"}

// patchForever is the writer TestKillDuringPatch kills: the project in dir
// patched to one base URL and then the other, as fast as it goes.
func patchForever(dir string) {
	targets, err := Discover([]string{dir}, false)
	if err != nil || len(targets) != 1 {
		crashtest.Fail("discover: %v %v", targets, err)
	}
	for i := 0; ; i++ {
		if _, err := Patch(targets[0], killURLs[i%2]); err != nil {
			crashtest.Fail("%v", err)
		}
		if i == 1 {
			crashtest.Ready()
		}
	}
}

// TestKillDuringPatch SIGKILLs a patcher at random moments while it
// rewrites a catalog, 200 times. After every kill the catalog must be one
// of the versions the patcher writes, whole, with its mode; the pnpm store
// file it is hard-linked from must be untouched; and the patcher run next
// must patch it and remove the temporary file a kill mid-write left.
func TestKillDuringPatch(t *testing.T) {
	project := t.TempDir()
	store := filepath.Join(t.TempDir(), "store")
	pkg := pnpmPackage(t, project, store, "0.49.3", "")
	pnpmLink(t, project, "0.49.3", "")
	file := filepath.Join(pkg, catalogRel)
	storeFile := filepath.Join(store, "0.49.3--models.generated.js")
	orig := mustRead(t, file)
	if err := os.Chmod(file, 0o640); err != nil {
		t.Fatal(err)
	}

	// Every version the writer can leave: the original, then each base
	// URL (patching from one URL to the other is the same as from the
	// original).
	versions := [][]byte{orig}
	for _, u := range killURLs {
		out, _, err := patchCatalog(orig, u)
		if err != nil {
			t.Fatal(err)
		}
		again, _, err := patchCatalog(out, killURLs[0])
		if err != nil {
			t.Fatal(err)
		}
		versions = append(versions, out, again)
	}
	isVersion := func(b []byte) bool {
		for _, v := range versions {
			if bytes.Equal(b, v) {
				return true
			}
		}
		return false
	}
	dist := filepath.Dir(file)
	listing := func() []string {
		entries, err := os.ReadDir(dist)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	want := strings.Join(listing(), " ")

	midWrite := 0
	st := crashtest.Loop(t, "patch", project, 200, 5*time.Millisecond, func(round int) {
		got := mustRead(t, file)
		if !isVersion(got) {
			t.Fatalf("round %d: the catalog is torn (%d bytes, not a version the patcher writes)", round, len(got))
		}
		if m := statID(t, file).mode.Perm(); m != 0o640 {
			t.Fatalf("round %d: mode %v, want 0640", round, m)
		}
		if names := listing(); strings.Join(names, " ") != want {
			midWrite++
			for _, n := range names {
				if n != "models.generated.js" && !strings.HasPrefix(n, ".models.generated.js.clawbridge-") {
					t.Fatalf("round %d: unexpected file %s in dist", round, n)
				}
			}
		}
		// The daemon starts again: it finds the catalog and patches it.
		targets, err := Discover([]string{project}, false)
		if err != nil || len(targets) != 1 {
			t.Fatalf("round %d: discover: %v %v", round, targets, err)
		}
		res, err := Patch(targets[0], killURLs[0])
		if err != nil || !res.Status.IsPatched() {
			t.Fatalf("round %d: patch after the kill: %+v %v", round, res, err)
		}
		if names := listing(); strings.Join(names, " ") != want {
			t.Fatalf("round %d: dist holds %v after the patcher ran again, want %s", round, names, want)
		}
	})
	if !bytes.Equal(mustRead(t, storeFile), orig) {
		t.Fatal("the pnpm store copy of the catalog changed")
	}
	t.Logf("kill -9 during patch writes: %d kills, %d of them left a temporary file (killed mid-write), 0 torn catalogs (seed %d)", st.Kills, midWrite, st.Seed)
}
