package patcher

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestPatchRefusesRetargetedPackage: the package directory is a symlink
// (as pnpm makes it) and is pointed elsewhere after discovery. The
// patcher must not follow it to a directory it did not discover and
// check: Patch, Undo and Inspect refuse until the next discovery, and the
// other directory's catalog is left alone.
func TestPatchRefusesRetargetedPackage(t *testing.T) {
	tmp := t.TempDir()
	project := filepath.Join(tmp, "clawdbot")
	real := filepath.Join(project, "node_modules", ".pnpm", "pi-ai-real")
	writePackage(t, real, "0.49.3")
	mustWrite(t, filepath.Join(real, catalogRel), readFixture(t, "0.49.3"))
	link := filepath.Join(project, "node_modules", "@mariozechner", "pi-ai")
	mustMkdir(t, filepath.Dir(link))
	if err := os.Symlink(filepath.Join("..", ".pnpm", "pi-ai-real"), link); err != nil {
		t.Fatal(err)
	}
	tg := onlyTarget(t, project)

	elsewhere := filepath.Join(tmp, "elsewhere", "pi-ai")
	writePackage(t, elsewhere, "0.49.3")
	outside := filepath.Join(elsewhere, catalogRel)
	mustWrite(t, outside, readFixture(t, "0.49.3"))
	orig := mustRead(t, outside)
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(filepath.Dir(link), elsewhere) // a path full of ..
	if err := os.Symlink(rel, link); err != nil {
		t.Fatal(err)
	}

	if _, err := Patch(tg, DefaultBaseURL); err == nil {
		t.Fatal("patched a package the link now leads to")
	} else {
		t.Logf("refused: %v", err)
	}
	if _, err := Undo(tg); err == nil {
		t.Error("undo followed the link")
	}
	if st := Inspect(tg, DefaultBaseURL); st.Err == nil {
		t.Error("Inspect reports no problem")
	}
	if !bytes.Equal(mustRead(t, outside), orig) {
		t.Fatal("the catalog the link now leads to was written")
	}
	if entries, _ := os.ReadDir(filepath.Dir(outside)); len(entries) != 1 {
		t.Fatalf("files were created beside it: %v", entries)
	}
}
