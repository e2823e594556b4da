package guard

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/clawbridge/clawbridge/patcher/atomicfile/crashtest"
)

// TestNextFixRemovesKilledGuardsTemps checks what is the guard's own in a
// crash (the atomic write itself is patcher/atomicfile's
// TestKillDuringWrite; a killed guard's lock is TestStaleLockIsBroken): a
// guard killed before its rename leaves temporary copies of the
// credentials beside the store and its backup, and the next guard removes
// them when it looks, even with nothing to write, beside the target of a
// symlinked store too.
func TestNextFixRemovesKilledGuardsTemps(t *testing.T) {
	pinned := decide(testdata(t, "pin/claude-sync.in.json"), true, nil, testKey, testNow).write
	for _, linked := range []bool{false, true} {
		t.Run(map[bool]string{false: "store", true: "symlinked store"}[linked], func(t *testing.T) {
			dir := agentDir(t, nil)
			store := filepath.Join(dir, FileName)
			if linked {
				store = filepath.Join(t.TempDir(), "dotfiles-auth.json")
				if err := os.Symlink(store, filepath.Join(dir, FileName)); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(store, pinned, 0o600); err != nil {
				t.Fatal(err)
			}
			temps := []string{
				crashtest.LeaveTemp(t, store, pinned[:len(pinned)/2]),
				crashtest.LeaveTemp(t, filepath.Join(dir, FileName+BackupSuffix), pinned),
			}
			if ev := fixOne(t, newGuard(t, nil, dir)); ev.Kind != OK {
				t.Fatalf("event %v %q %v", ev.Kind, ev.Changes, ev.Err)
			}
			for _, temp := range temps {
				if _, err := os.Stat(temp); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s is still there (%v)", filepath.Base(temp), err)
				}
			}
		})
	}
}
