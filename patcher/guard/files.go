package guard

import (
	"bytes"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/clawbridge/clawbridge/patcher/atomicfile"
)

// writePlan carries out p for dir, whose store is target and held data,
// with the store lock held.
func writePlan(dir, target string, data []byte, p plan) error {
	if out := p.out; out.write != nil {
		if out.broken {
			if err := keepBrokenCopy(dir, data); err != nil {
				return fmt.Errorf("guard %s: keep a copy of the broken file: %w", target, err)
			}
		}
		// Private, as Clawdbot makes the store after each of its own writes.
		if err := atomicfile.WritePrivate(target, out.write); err != nil {
			return fmt.Errorf("guard: %w", err)
		}
	}
	if p.stateWrite != nil {
		// Private too, as OpenClaw keeps it.
		if err := atomicfile.WritePrivate(p.state.path, p.stateWrite); err != nil {
			return fmt.Errorf("guard: %w", err)
		}
	}
	return nil
}

// cleanTemps removes the temporary files dead writers left for the store
// (whose real path is target) and for the guard's backups in dir.
func cleanTemps(log *slog.Logger, dir, target string) {
	type place struct{ dir, prefix string }
	places := []place{{dir, FileName}}
	if filepath.Dir(target) != dir || filepath.Base(target) != FileName {
		places = append(places, place{filepath.Dir(target), filepath.Base(target)})
	}
	for _, p := range places {
		removed, err := atomicfile.CleanTemps(p.dir, p.prefix)
		if len(removed) > 0 {
			log.Info("guard: removed temporary files a killed writer left", "dir", p.dir, "files", len(removed))
		}
		if err != nil {
			log.Warn("guard: remove temporary files", "err", err)
		}
	}
}

// resolveTarget follows a symlinked auth-profiles.json to the file Clawdbot
// actually writes (proper-lockfile locks the real path, too).
func resolveTarget(path string) (string, error) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return path, nil
	}
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("guard: resolve %s: %w", path, err)
	}
	return target, nil
}

// keepBrokenCopy saves data as auth-profiles.json.broken-<UTC time> and
// prunes all but the newest keepBroken copies. An empty file is not worth
// a copy.
func keepBrokenCopy(dir string, data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	name := filepath.Join(dir, FileName+BrokenSuffix+time.Now().UTC().Format("20060102T150405.000000000Z"))
	if err := atomicfile.WritePrivate(name, data); err != nil {
		return err
	}
	copies, err := filepath.Glob(filepath.Join(dir, FileName+BrokenSuffix+"*"))
	if err != nil || len(copies) <= keepBroken {
		return nil
	}
	sort.Strings(copies)
	for _, old := range copies[:len(copies)-keepBroken] {
		os.Remove(old)
	}
	return nil
}
