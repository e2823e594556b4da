package patcher

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// This file lays out pi-ai installs the way npm and pnpm do, from the
// committed catalog fixtures, for the tests.

// pnpmPackage creates pi-ai `version` in pnpm's virtual store under
// project/node_modules/.pnpm, with its catalog hard-linked to a file in
// store (pnpm's content store), and returns the package directory.
func pnpmPackage(t *testing.T, project, store, version, suffix string) string {
	t.Helper()
	name := "@mariozechner+pi-ai@" + version + suffix
	pkg := filepath.Join(project, "node_modules", ".pnpm", name, "node_modules", "@mariozechner", "pi-ai")
	writePackage(t, pkg, version)
	storeFile := filepath.Join(store, fmt.Sprintf("%s-%s-models.generated.js", version, suffix))
	mustMkdir(t, store)
	if _, err := os.Stat(storeFile); err != nil {
		mustWrite(t, storeFile, readFixture(t, version))
	}
	if err := os.Link(storeFile, filepath.Join(pkg, catalogRel)); err != nil {
		t.Fatal(err)
	}
	return pkg
}

// pnpmLink makes project/node_modules/@mariozechner/pi-ai the relative
// symlink into .pnpm that pnpm creates for a direct dependency.
func pnpmLink(t *testing.T, project, version, suffix string) {
	t.Helper()
	link := filepath.Join(project, "node_modules", "@mariozechner", "pi-ai")
	mustMkdir(t, filepath.Dir(link))
	target := filepath.Join("..", ".pnpm", "@mariozechner+pi-ai@"+version+suffix, "node_modules", "@mariozechner", "pi-ai")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// npmPackage creates pi-ai as npm installs it, a plain directory under
// nodeModules/@mariozechner/pi-ai, and returns it.
func npmPackage(t *testing.T, nodeModules, version string) string {
	t.Helper()
	pkg := filepath.Join(nodeModules, "@mariozechner", "pi-ai")
	writePackage(t, pkg, version)
	mustWrite(t, filepath.Join(pkg, catalogRel), readFixture(t, version))
	return pkg
}

// writePackage creates a pi-ai package directory without its catalog.
func writePackage(t *testing.T, pkg, version string) {
	t.Helper()
	mustMkdir(t, filepath.Join(pkg, "dist"))
	mustWrite(t, filepath.Join(pkg, "package.json"),
		[]byte(fmt.Sprintf(`{"name": "@mariozechner/pi-ai", "version": %q, "type": "module"}`, version)))
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t *testing.T, path string, data []byte) {
	t.Helper()
	mustMkdir(t, filepath.Dir(path))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fileID is what tells whether a file was rewritten: inode, mtime, mode
// and link count.
type fileID struct {
	ino   uint64
	mtime int64
	mode  os.FileMode
	links uint64
}

func statID(t *testing.T, path string) fileID {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return fileID{ino: uint64(st.Ino), mtime: fi.ModTime().UnixNano(), mode: fi.Mode(), links: uint64(st.Nlink)}
}
