package patcher

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/clawbridge/clawbridge/patcher/atomicfile/crashtest"
)

// TestNextRunRemovesKilledWritersTemps checks what is the patcher's own in
// a crash (the atomic write itself is patcher/atomicfile's
// TestKillDuringWrite): a patch killed before its rename leaves a
// temporary copy beside the catalog, or beside the Clawdbot config it
// edits, and the next patch removes it.
func TestNextRunRemovesKilledWritersTemps(t *testing.T) {
	t.Run("catalog", func(t *testing.T) {
		project := t.TempDir()
		pkg := pnpmPackage(t, project, filepath.Join(t.TempDir(), "store"), "0.49.3", "")
		pnpmLink(t, project, "0.49.3", "")
		file := filepath.Join(pkg, catalogRel)
		temp := crashtest.LeaveTemp(t, file, mustRead(t, file)[:100])
		if res, err := Patch(onlyTarget(t, project), DefaultBaseURL); err != nil || !res.Status.IsPatched() {
			t.Fatalf("patch: %+v %v", res, err)
		}
		assertGone(t, temp)
	})
	t.Run("config", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "openclaw.json")
		mustWrite(t, path, []byte("{}\n"))
		temp := crashtest.LeaveTemp(t, path, []byte("{"))
		if _, err := PatchConfig(path, DefaultBaseURL, configNow); err != nil {
			t.Fatal(err)
		}
		assertGone(t, temp)
	})
}

func assertGone(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s is still there (%v)", filepath.Base(path), err)
	}
}
