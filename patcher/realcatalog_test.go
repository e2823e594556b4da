package patcher

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// realCatalog is a complete pi-ai catalog as published.
type realCatalog struct {
	name string
	src  []byte
}

// realCatalogs collects the published catalogs provisioned for tests:
// every `npm pack @mariozechner/pi-ai@VERSION` tarball in
// CLAWBRIDGE_PIAI_PACKS, and every catalog in the real Clawdbot install at
// CLAWBRIDGE_CLAWDBOT_DIR (read only here).
func realCatalogs(t *testing.T) []realCatalog {
	t.Helper()
	var out []realCatalog
	packs := os.Getenv("CLAWBRIDGE_PIAI_PACKS")
	if packs != "" {
		tgzs, _ := filepath.Glob(filepath.Join(packs, "*.tgz"))
		if len(tgzs) == 0 {
			t.Fatalf("CLAWBRIDGE_PIAI_PACKS=%s holds no .tgz", packs)
		}
		for _, tgz := range tgzs {
			version, src := readPack(t, tgz)
			out = append(out, realCatalog{name: "pack " + version, src: src})
		}
	}
	if dir := os.Getenv("CLAWBRIDGE_CLAWDBOT_DIR"); dir != "" {
		targets, err := Discover([]string{dir}, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(targets) == 0 {
			t.Fatalf("no pi-ai catalog in CLAWBRIDGE_CLAWDBOT_DIR=%s", dir)
		}
		for _, tg := range targets {
			src, err := os.ReadFile(tg.File)
			if err != nil {
				t.Fatal(err)
			}
			// The install may be patched by an earlier, interrupted run;
			// compare against its original.
			if orig, n, err := undoCatalog(src); err == nil && n > 0 {
				src = orig
			}
			out = append(out, realCatalog{name: "install " + tg.Version, src: src})
		}
	}
	if len(out) == 0 {
		requirePeer(t, "no published pi-ai catalog: set CLAWBRIDGE_PIAI_PACKS (a directory of `npm pack @mariozechner/pi-ai@VERSION` tarballs) or CLAWBRIDGE_CLAWDBOT_DIR")
	}
	return out
}

// readPack returns the version and catalog inside an npm pack tarball.
func readPack(t *testing.T, path string) (string, []byte) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	tr := tar.NewReader(gz)
	var version string
	var src []byte
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		switch h.Name {
		case "package/package.json":
			var pkg struct{ Name, Version string }
			b, _ := io.ReadAll(tr)
			if err := json.Unmarshal(b, &pkg); err != nil || pkg.Name != piAIName {
				t.Fatalf("%s is not a pi-ai package (%q, %v)", path, pkg.Name, err)
			}
			version = pkg.Version
		case "package/dist/models.generated.js":
			src, _ = io.ReadAll(tr)
		}
	}
	if version == "" || src == nil {
		t.Fatalf("%s: no package.json or dist/models.generated.js", path)
	}
	return version, src
}

// TestRealCatalogs patches and restores the published catalogs: every
// Anthropic base URL moves (however many there are), nothing else changes
// by a byte, Node.js still loads the module, and undo gives back the
// original exactly.
func TestRealCatalogs(t *testing.T) {
	for _, rc := range realCatalogs(t) {
		t.Run(rc.name, func(t *testing.T) {
			c, err := parseCatalog(rc.src)
			if err != nil {
				t.Fatal(err)
			}
			urls, _ := c.counts(DefaultBaseURL)
			if urls == 0 || bytes.Count(rc.src, []byte(originalLine+"\n")) != urls {
				t.Fatalf("found %d Anthropic base URLs, file has %d lines %q", urls, bytes.Count(rc.src, []byte(originalLine+"\n")), originalLine)
			}
			out, n, err := patchCatalog(rc.src, DefaultBaseURL)
			if err != nil || n != urls {
				t.Fatalf("patch: n=%d err=%v, want %d", n, err, urls)
			}
			if bytes.Contains(out, []byte("api.anthropic.com")) {
				t.Error("api.anthropic.com still in the patched file")
			}
			assertOnlyBaseURLLinesChanged(t, rc.src, out, urls, false)
			assertLoadsPatched(t, rc.src, out, DefaultBaseURL)
			back, n, err := undoCatalog(out)
			if err != nil || n != urls || !bytes.Equal(back, rc.src) {
				t.Fatalf("undo: n=%d err=%v identical=%v", n, err, bytes.Equal(back, rc.src))
			}
			t.Logf("%d Anthropic base URLs, %d providers, %d models", urls, c.providers, c.models)
		})
	}
}
