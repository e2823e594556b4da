package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

func TestWriteFileNew(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f.json")
	if err := WriteFile(p, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	assertFile(t, p, "new", 0o600)
}

func TestWriteFileKeepsModeAndBreaksHardLink(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	p := filepath.Join(dir, "linked.js")
	if err := os.WriteFile(store, []byte("original"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(store, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(store, p); err != nil {
		t.Fatal(err)
	}
	before := inode(t, store)
	if err := WriteFile(p, []byte("patched"), 0o600); err != nil {
		t.Fatal(err)
	}
	assertFile(t, p, "patched", 0o755)
	assertFile(t, store, "original", 0o755)
	if inode(t, store) != before {
		t.Error("store file's inode changed")
	}
	if inode(t, p) == before {
		t.Error("target still shares the store's inode")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("temporary file left behind: %v", entries)
	}
}

func TestWriteFileRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("x"), 0o644)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, []byte("y"), 0o644); err == nil {
		t.Fatal("wrote through a symlink")
	}
	assertFile(t, target, "x", 0o644)
}

func TestWriteFileMissingDir(t *testing.T) {
	if err := WriteFile(filepath.Join(t.TempDir(), "no", "f"), []byte("y"), 0o644); err == nil {
		t.Fatal("want an error for a missing directory")
	}
}

func assertFile(t *testing.T, path, content string, perm os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != content {
		t.Errorf("%s = %q, want %q", path, b, content)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != perm {
		t.Errorf("%s mode = %v, want %v", path, fi.Mode().Perm(), perm)
	}
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// TestCleanTemps removes what dead writers left, and only that: not a
// live writer's file in progress, not this process's own, not files of
// other targets or of other programs.
func TestCleanTemps(t *testing.T) {
	dir := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	alive := exec.Command("sleep", "60")
	if err := alive.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { alive.Process.Kill(); alive.Wait() }()
	name := func(target string, pid int) string { return fmt.Sprintf(".%s.clawbridge-%d-12345", target, pid) }
	files := map[string]bool{ // name -> removed
		name("auth-profiles.json", dead.Process.Pid):                         true,
		name("auth-profiles.json.clawbridge-bak", dead.Process.Pid):          true,
		name("auth-profiles.json.broken-20260101T000000Z", dead.Process.Pid): true,
		name("auth-profiles.json", alive.Process.Pid):                        false,
		name("auth-profiles.json", os.Getpid()):                              false,
		name("other.json", dead.Process.Pid):                                 false,
		".auth-profiles.json.clawbridge-12345":                               false, // not ours: no pid
		".auth-profiles.json.tmp-" + strconv.Itoa(dead.Process.Pid) + "-1":   false,
		"auth-profiles.json":                                                 false,
		"auth-profiles.json.clawbridge-bak":                                  false,
	}
	for f := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A symlink named like a dead writer's file is not removed, and
	// neither is what it points to.
	outside := filepath.Join(t.TempDir(), "precious")
	if err := os.WriteFile(outside, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	trap := name("auth-profiles.json", dead.Process.Pid) + "9"
	if err := os.Symlink(outside, filepath.Join(dir, trap)); err != nil {
		t.Fatal(err)
	}
	files[trap] = false
	removed, err := CleanTemps(dir, "auth-profiles.json")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for f, gone := range files {
		_, err := os.Stat(filepath.Join(dir, f))
		if gone != errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: removed %v, want %v", f, !gone, gone)
		}
		if gone {
			n++
		}
	}
	if len(removed) != n {
		t.Errorf("reported %v, want %d files", removed, n)
	}
}

// TestWritePrivate keeps the owner's bits of an existing file and drops
// everyone else's; a new file is 0600.
func TestWritePrivate(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ before, want os.FileMode }{
		{0o644, 0o600}, {0o640, 0o600}, {0o600, 0o600}, {0o755, 0o700}, {0o400, 0o400},
	} {
		p := filepath.Join(dir, fmt.Sprintf("auth-%o.json", c.before))
		if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, c.before); err != nil {
			t.Fatal(err)
		}
		if err := WritePrivate(p, []byte("key")); err != nil {
			t.Fatal(err)
		}
		assertFile(t, p, "key", c.want)
	}
	p := filepath.Join(dir, "new.json")
	if err := WritePrivate(p, []byte("key")); err != nil {
		t.Fatal(err)
	}
	assertFile(t, p, "key", 0o600)
}
