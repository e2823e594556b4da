package atomicfile

import (
	"os"
	"path/filepath"
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
