// Package atomicfile replaces files so that a reader, or a crash, only ever
// sees the complete old or the complete new content: WriteFile, and
// WritePrivate for files that hold credentials. Every part of clawbridge
// that replaces a file writes through it.
//
// The new content goes to a temporary file in the same directory, is synced,
// and is renamed over the target. Renaming (rather than writing in place)
// also matters for pnpm: its node_modules files are hard links into a
// content store shared by every project, and an in-place write would change
// the store copy too. A rename gives the target a new inode and leaves the
// store alone.
//
// A writer killed between creating its temporary file and the rename
// (kill -9, a crash, a power cut) leaves that file behind: a hidden
// .<name>.clawbridge-<pid>-<n> beside the target, never the target half
// written. The name carries the writer's process id, so CleanTemps can
// tell a dead writer's leftovers from a live writer's file in progress.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// WriteFile atomically replaces path with data. An existing file keeps its
// permission bits; a new file gets perm. path must not be a symlink: callers
// that follow links decide where the link may lead before calling.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return write(path, data, perm, 0)
}

// WritePrivate is WriteFile for a file that holds a credential: it ends up
// readable and writable by its owner only. An existing file keeps its
// owner's permission bits and loses those for group and others; a new one
// is 0600. The temporary file is never more open than the result.
func WritePrivate(path string, data []byte) error {
	return write(path, data, 0o600, 0o077)
}

// write is WriteFile, with the permission bits in strip taken away from
// the mode the file ends up with.
func write(path string, data []byte, perm, strip fs.FileMode) error {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("write %s: is a symlink", path)
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("write %s: not a regular file", path)
		}
		perm = fi.Mode().Perm()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("write %s: %w", path, err)
	}
	perm &^= strip
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".clawbridge-"+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// CreateTemp makes the file 0600; set the final mode explicitly so the
	// umask cannot change it either.
	if err := tmp.Chmod(perm); err != nil {
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
	committed = true
	syncDir(dir)
	return nil
}

// syncDir makes the rename durable across a power cut. Errors are ignored:
// some file systems refuse to sync directories, and the rename has already
// happened for every running process.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// CleanTemps removes the temporary files that writers left in dir when
// they died before renaming them into place, for every target whose name
// starts with namePrefix, and returns their paths. A file whose writer is
// still running (or whose process id now belongs to another running
// process) is left alone. Callers run it before they write, so leftovers
// do not pile up; an error only means some leftover stays for next time.
func CleanTemps(dir, namePrefix string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("clean temporary files in %s: %w", dir, err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		pid, ok := writerOf(e.Name(), namePrefix)
		if !ok || !e.Type().IsRegular() || pid == os.Getpid() || !processGone(pid) {
			continue
		}
		name := filepath.Join(dir, e.Name())
		if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, name)
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("clean temporary files in %s: %w", dir, err)
	}
	return removed, nil
}

// writerOf returns the process id in the name of a temporary file made
// for a target whose name starts with namePrefix
// (.<target>.clawbridge-<pid>-<digits>), or false for any other name.
func writerOf(name, namePrefix string) (int, bool) {
	if !strings.HasPrefix(name, "."+namePrefix) {
		return 0, false
	}
	i := strings.LastIndex(name, ".clawbridge-")
	if i < len(namePrefix)+1 {
		return 0, false
	}
	p, n, ok := strings.Cut(name[i+len(".clawbridge-"):], "-")
	if !ok || !allDigits(p) || !allDigits(n) {
		return 0, false
	}
	pid, err := strconv.Atoi(p)
	return pid, err == nil && pid > 0
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
