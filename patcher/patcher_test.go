package patcher

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestDiscoverPnpmAndNpmLayouts(t *testing.T) {
	tmp := t.TempDir()
	store := filepath.Join(tmp, "store")
	pnpmProject := filepath.Join(tmp, "clawdbot")
	old := pnpmPackage(t, pnpmProject, store, "0.49.3", "_zod@4.3.6")
	cur := pnpmPackage(t, pnpmProject, store, "0.73.1", "_ws@8.19.0_zod@4.3.6")
	pnpmLink(t, pnpmProject, "0.49.3", "_zod@4.3.6")
	// A package pnpm is still building, and a package that only looks
	// like pi-ai, are not targets.
	stage := filepath.Join(pnpmProject, "node_modules", ".pnpm", "@mariozechner+pi-ai@0.49.3_zod@4.3.6_tmp_4242", "node_modules", "@mariozechner", "pi-ai")
	writePackage(t, stage, "0.49.3")
	mustWrite(t, filepath.Join(stage, catalogRel), readFixture(t, "0.49.3"))
	impostor := filepath.Join(pnpmProject, "node_modules", ".pnpm", "@mariozechner+pi-ai@9.9.9", "node_modules", "@mariozechner", "pi-ai")
	mustWrite(t, filepath.Join(impostor, "package.json"), []byte(`{"name": "not-pi-ai"}`))
	mustWrite(t, filepath.Join(impostor, catalogRel), readFixture(t, "0.49.3"))

	npmProject := filepath.Join(tmp, "npm-project")
	npm := npmPackage(t, filepath.Join(npmProject, "node_modules"), "0.49.3")
	nested := npmPackage(t, filepath.Join(npmProject, "node_modules", "clawdbot", "node_modules"), "0.73.1")

	targets, err := Discover([]string{pnpmProject, npmProject, filepath.Join(tmp, "not-installed-yet")}, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range targets {
		got = append(got, tg.Version+" "+tg.RealDir)
		if tg.File != filepath.Join(tg.RealDir, catalogRel) {
			t.Errorf("target file %s not in %s", tg.File, tg.RealDir)
		}
	}
	want := []string{"0.49.3 " + old, "0.73.1 " + cur, "0.49.3 " + npm, "0.73.1 " + nested}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("targets:\n got %q\nwant %q", got, want)
	}
}

func TestDiscoverGlobalNeedsClawdbot(t *testing.T) {
	tmp := t.TempDir()
	withApp := filepath.Join(tmp, "with", "lib", "node_modules")
	nested := npmPackage(t, filepath.Join(withApp, "openclaw", "node_modules"), "0.73.1")
	hoisted := npmPackage(t, withApp, "0.49.3")
	mustWrite(t, filepath.Join(withApp, "openclaw", "package.json"), []byte(`{"name": "openclaw"}`))
	without := filepath.Join(tmp, "without", "lib", "node_modules")
	npmPackage(t, without, "0.49.3") // pi-ai installed globally for something else

	targets, err := DiscoverRoots([]Root{
		{Dir: withApp, NodeModules: withApp, Global: true},
		{Dir: without, NodeModules: without, Global: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range targets {
		if !tg.Global {
			t.Errorf("%s not marked global", tg.File)
		}
		got = append(got, tg.RealDir)
	}
	want := []string{hoisted, nested}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("targets %q, want %q", got, want)
	}
}

func onlyTarget(t *testing.T, dir string) Target {
	t.Helper()
	targets, err := Discover([]string{dir}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 1 {
		t.Fatalf("%d targets in %s, want 1", len(targets), dir)
	}
	return targets[0]
}

func TestPatchLeavesPnpmStoreAndModeAlone(t *testing.T) {
	tmp := t.TempDir()
	store := filepath.Join(tmp, "store")
	project := filepath.Join(tmp, "clawdbot")
	pnpmPackage(t, project, store, "0.49.3", "_zod@4.3.6")
	pnpmLink(t, project, "0.49.3", "_zod@4.3.6")
	tg := onlyTarget(t, project)
	storeFile := filepath.Join(store, "0.49.3-_zod@4.3.6-models.generated.js")
	if err := os.Chmod(tg.File, 0o640); err != nil { // shared inode: the store copy too
		t.Fatal(err)
	}
	orig := mustRead(t, tg.File)
	storeBefore := statID(t, storeFile)
	if before := statID(t, tg.File); before.ino != storeBefore.ino || before.links != 2 {
		t.Fatalf("fixture: catalog not hard-linked to the store (%+v vs %+v)", before, storeBefore)
	}

	if st := Inspect(tg, DefaultBaseURL); st.State() != "unpatched" || st.URLs != 6 || st.Patched != 0 || st.ModTime.IsZero() {
		t.Fatalf("before: %+v", st)
	}
	res, err := Patch(tg, DefaultBaseURL)
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed != 6 || !res.Status.IsPatched() || res.Status.State() != "patched" {
		t.Fatalf("patch result %+v", res)
	}
	golden := mustRead(t, filepath.Join("testdata", "pi-ai-0.49.3.patched.js"))
	if !bytes.Equal(mustRead(t, tg.File), golden) {
		t.Error("patched catalog differs from the golden file")
	}
	if !bytes.Equal(mustRead(t, storeFile), orig) {
		t.Error("the pnpm store copy was modified")
	}
	if got := statID(t, storeFile); got.ino != storeBefore.ino || got.mtime != storeBefore.mtime || got.links != 1 {
		t.Errorf("store file %+v, was %+v (want same inode and mtime, now unshared)", got, storeBefore)
	}
	after := statID(t, tg.File)
	if after.ino == storeBefore.ino {
		t.Error("catalog still shares the store's inode")
	}
	if after.mode.Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", after.mode.Perm())
	}

	// A second run has nothing to do and writes nothing.
	res, err = Patch(tg, DefaultBaseURL)
	if err != nil || res.Changed != 0 {
		t.Fatalf("second patch: %+v %v", res, err)
	}
	if again := statID(t, tg.File); again != after {
		t.Errorf("second patch rewrote the file: %+v -> %+v", after, again)
	}

	res, err = Undo(tg)
	if err != nil || res.Changed != 6 || res.Status.State() != "unpatched" {
		t.Fatalf("undo: %+v %v", res, err)
	}
	if !bytes.Equal(mustRead(t, tg.File), orig) {
		t.Error("undo is not byte-identical to the original")
	}
	if got := statID(t, tg.File); got.mode.Perm() != 0o640 {
		t.Errorf("mode after undo %v", got.mode.Perm())
	}
	if res, err := Undo(tg); err != nil || res.Changed != 0 {
		t.Errorf("second undo: %+v %v", res, err)
	}
}

func TestPatchRefusesSymlinkEscapes(t *testing.T) {
	tmp := t.TempDir()
	outside := filepath.Join(tmp, "outside")
	outsideFile := filepath.Join(outside, "models.generated.js")
	mustWrite(t, outsideFile, readFixture(t, "0.49.3"))
	orig := mustRead(t, outsideFile)

	cases := map[string]func(pkg string){
		"catalog is a symlink": func(pkg string) {
			os.Symlink(outsideFile, filepath.Join(pkg, catalogRel))
		},
		"catalog is a symlink inside the package": func(pkg string) {
			mustWrite(t, filepath.Join(pkg, "real.js"), readFixture(t, "0.49.3"))
			os.Symlink(filepath.Join("..", "real.js"), filepath.Join(pkg, catalogRel))
		},
		"dist leads outside": func(pkg string) {
			os.Remove(filepath.Join(pkg, "dist"))
			os.Symlink(outside, filepath.Join(pkg, "dist"))
		},
		"dist leads outside through ..": func(pkg string) {
			os.Remove(filepath.Join(pkg, "dist"))
			rel, _ := filepath.Rel(pkg, outside)
			os.Symlink(filepath.Join("..", "pi-ai", rel), filepath.Join(pkg, "dist"))
		},
	}
	for name, breakIt := range cases {
		t.Run(name, func(t *testing.T) {
			project := filepath.Join(tmp, filepath.Base(t.Name()))
			pkg := filepath.Join(project, "node_modules", "@mariozechner", "pi-ai")
			writePackage(t, pkg, "0.49.3")
			breakIt(pkg)
			tg := onlyTarget(t, project)
			_, err := Patch(tg, DefaultBaseURL)
			if err == nil {
				t.Fatal("patched through a symlink")
			}
			t.Logf("refused: %v", err)
			if st := Inspect(tg, DefaultBaseURL); st.Err == nil {
				t.Error("Inspect reports no problem")
			}
			if !bytes.Equal(mustRead(t, outsideFile), orig) {
				t.Fatal("file outside the package was modified")
			}
		})
	}

	t.Run("dist symlinked inside the package is fine", func(t *testing.T) {
		project := filepath.Join(tmp, "inside")
		pkg := filepath.Join(project, "node_modules", "@mariozechner", "pi-ai")
		writePackage(t, pkg, "0.49.3")
		os.Remove(filepath.Join(pkg, "dist"))
		mustWrite(t, filepath.Join(pkg, "build", "models.generated.js"), readFixture(t, "0.49.3"))
		os.Symlink("build", filepath.Join(pkg, "dist"))
		tg := onlyTarget(t, project)
		if _, err := Patch(tg, DefaultBaseURL); err != nil {
			t.Fatal(err)
		}
		if !Inspect(tg, DefaultBaseURL).IsPatched() {
			t.Fatal("not patched")
		}
	})
}

func TestPatchSkipsHalfWrittenCatalog(t *testing.T) {
	project := t.TempDir()
	pkg := npmPackage(t, filepath.Join(project, "node_modules"), "0.49.3")
	file := filepath.Join(pkg, catalogRel)
	full := mustRead(t, file)
	half := full[:len(full)/2]
	mustWrite(t, file, half)
	tg := onlyTarget(t, project)

	_, err := Patch(tg, DefaultBaseURL)
	if !errors.Is(err, ErrNotCatalog) {
		t.Fatalf("err = %v, want ErrNotCatalog", err)
	}
	if !bytes.Equal(mustRead(t, file), half) {
		t.Fatal("half-written catalog was modified")
	}
	if st := Inspect(tg, DefaultBaseURL); !errors.Is(st.Err, ErrNotCatalog) || st.State() != "error" {
		t.Fatalf("status %+v", st)
	}

	mustWrite(t, file, full) // the installer finishes
	if res, err := Patch(tg, DefaultBaseURL); err != nil || res.Changed != 6 {
		t.Fatalf("after completion: %+v %v", res, err)
	}
}

func TestPatchNoticesReplacementWhilePatching(t *testing.T) {
	project := t.TempDir()
	pkg := npmPackage(t, filepath.Join(project, "node_modules"), "0.49.3")
	file := filepath.Join(pkg, catalogRel)
	tg := onlyTarget(t, project)
	fresh := append([]byte("// reinstalled\n"), readFixture(t, "0.49.3")...)

	_, err := rewrite(tg, DefaultBaseURL, func(src []byte) ([]byte, int, error) {
		// An installer renames a new copy into place meanwhile.
		tmp := file + ".new"
		mustWrite(t, tmp, fresh)
		if err := os.Rename(tmp, file); err != nil {
			t.Fatal(err)
		}
		return patchCatalog(src, DefaultBaseURL)
	})
	if !errors.Is(err, errReplaced) {
		t.Fatalf("err = %v, want errReplaced", err)
	}
	if !bytes.Equal(mustRead(t, file), fresh) {
		t.Fatal("the installer's new copy was overwritten")
	}
}

func TestPatchRejectsBadBaseURL(t *testing.T) {
	project := t.TempDir()
	npmPackage(t, filepath.Join(project, "node_modules"), "0.49.3")
	tg := onlyTarget(t, project)
	before := statID(t, tg.File)
	if _, err := Patch(tg, "http://127.0.0.1:4000/v1"); err == nil {
		t.Fatal("accepted a /v1 base URL")
	}
	if statID(t, tg.File) != before {
		t.Fatal("file written despite the bad base URL")
	}
}

func TestDiscoverPnpmGlobalLayout(t *testing.T) {
	// pnpm add -g clawdbot: <PNPM_HOME>/global/5/node_modules/clawdbot is a
	// symlink into .pnpm, where pi-ai sits beside clawdbot.
	home := t.TempDir()
	root := filepath.Join(home, "pnpm", "global", "5", "node_modules")
	pkg := pnpmPackage(t, filepath.Dir(root), filepath.Join(home, "store"), "0.49.3", "_zod@4.3.6")
	app := filepath.Join(root, ".pnpm", "clawdbot@2026.1.24-3", "node_modules")
	mustWrite(t, filepath.Join(app, "clawdbot", "package.json"), []byte(`{"name": "clawdbot"}`))
	mustMkdir(t, filepath.Join(app, "@mariozechner"))
	if err := os.Symlink(filepath.Join("..", "..", "@mariozechner+pi-ai@0.49.3_zod@4.3.6", "node_modules", "@mariozechner", "pi-ai"), filepath.Join(app, "@mariozechner", "pi-ai")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(".pnpm", "clawdbot@2026.1.24-3", "node_modules", "clawdbot"), filepath.Join(root, "clawdbot")); err != nil {
		t.Fatal(err)
	}

	t.Setenv("PNPM_HOME", filepath.Join(home, "pnpm"))
	t.Setenv("HOME", home)
	t.Setenv("PATH", "") // no npm or pnpm to ask
	var found *Root
	for _, r := range GlobalRoots() {
		if r.Dir == root {
			found = &r
		}
	}
	if found == nil || !found.Global || found.NodeModules != root {
		t.Fatalf("GlobalRoots() does not list %s: %+v", root, GlobalRoots())
	}
	targets, err := DiscoverRoots([]Root{*found})
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 1 || targets[0].RealDir != pkg || !targets[0].Global {
		t.Fatalf("targets %+v, want %s", targets, pkg)
	}
}
