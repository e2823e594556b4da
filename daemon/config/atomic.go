package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// writeFileAtomic replaces path with data through a synced temporary file
// in the same directory and a rename, so the daemon reloading the config, or
// a crash, never sees half a file. An existing file keeps its permission
// bits, less those for group and others when secret is set (data holds a
// key); a new one gets perm. A symlinked config (dotfile managers do this)
// is written through: the link's target is replaced and the link stays.
//
// A writer killed before the rename leaves its temporary file,
// .<name>.tmp-<pid>-<n>, beside the config; the next write removes it
// (cleanTemps) once that process is gone.
//
// patcher/atomicfile does the same for the patcher; config may not import
// a component package, so this copy stays until that helper moves to a
// shared package.
func writeFileAtomic(path string, data []byte, perm fs.FileMode, secret bool) error {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil {
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("write %s: not a regular file", path)
		}
		perm = fi.Mode().Perm()
		if secret {
			perm &^= 0o077
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("write %s: %w", path, err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	cleanTemps(dir, base)
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-"+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil { // exact mode, whatever the umask
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done = true
	// Make the rename survive a power cut; some file systems refuse to
	// sync a directory, and the new file is already in place regardless.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// cleanTempsOf is cleanTemps for the file path leads to: the daemon calls
// it when it starts (LoadOrCreate), so what an edit killed mid-write left
// goes even when nothing writes the config again.
func cleanTempsOf(path string) {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	cleanTemps(dir, base)
}

// cleanTemps removes the temporary files of base in dir whose writer died
// before renaming them into place; a running writer's file stays. Errors
// are ignored: a leftover harms nothing and goes next time.
func cleanTemps(dir, base string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := "." + base + ".tmp-"
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		p, n, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(p)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() || !allDigits(p) || !allDigits(n) || !processGone(pid) {
			continue
		}
		os.Remove(filepath.Join(dir, e.Name()))
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
