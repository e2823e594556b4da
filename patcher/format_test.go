package patcher

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type formatFixture struct {
	file, pkg, version string
	format             Format
	urls               int
	orig, patched      string
}

// formatFixtures are trimmed published catalogs of every format
// (testdata/trim-catalog.js, testdata/trim-json.js), with the text of one
// Anthropic base URL before and after the patch in each file's own layout.
var formatFixtures = []formatFixture{
	{"pi-ai-0.75.5.models.generated.js", "@earendil-works/pi-ai", "0.75.5", ModelsJS, 6,
		`baseUrl: "https://api.anthropic.com",`, `baseUrl: "http://127.0.0.1:4000" /* clawbridge */,`},
	{"pi-ai-0.80.3.anthropic.models.js", "@earendil-works/pi-ai", "0.80.3", ProviderModelsJS, 3,
		`baseUrl: "https://api.anthropic.com",`, `baseUrl: "http://127.0.0.1:4000" /* clawbridge */,`},
	{"pi-ai-0.81.1.anthropic.json", "@earendil-works/pi-ai", "0.81.1", ProviderJSON, 3,
		`"baseUrl":"https://api.anthropic.com"`, `"baseUrl":"http://127.0.0.1:4000"`},
	{"pi-ai-0.87.1.anthropic.json", "@earendil-works/pi-ai", "0.87.1", ProviderJSON, 3,
		`"baseUrl":"https://api.anthropic.com"`, `"baseUrl":"http://127.0.0.1:4000"`},
	{"pi-ai-1.6.1.anthropic.json", "@earendil-works/pi-ai", "1.6.1", ProviderJSON, 3,
		`"baseUrl":"https://api.anthropic.com"`, `"baseUrl":"http://127.0.0.1:4000"`},
}

// TestFormatsPatchOnlyBaseURLs patches each format in memory: exactly the
// Anthropic base URLs change, a second patch changes nothing, another base URL moves them again, and
// undo gives back the published bytes.
func TestFormatsPatchOnlyBaseURLs(t *testing.T) {
	for _, f := range formatFixtures {
		t.Run(f.file, func(t *testing.T) {
			src := mustRead(t, filepath.Join("testdata", f.file))
			if n := strings.Count(string(src), f.orig); n != f.urls {
				t.Fatalf("fixture has %d %q, want %d", n, f.orig, f.urls)
			}
			c, err := f.format.parse(src)
			if err != nil {
				t.Fatal(err)
			}
			if total, patched := c.counts(DefaultBaseURL); total != f.urls || patched != 0 {
				t.Fatalf("counts %d/%d, want 0/%d", patched, total, f.urls)
			}
			out, n, err := patchAs(f.format, src, DefaultBaseURL)
			if err != nil || n != f.urls {
				t.Fatalf("patch: n=%d err=%v", n, err)
			}
			if want := strings.ReplaceAll(string(src), f.orig, f.patched); string(out) != want {
				t.Errorf("patched file is not the original with its base URLs replaced:\n%s", out)
			}
			if f.format.isJSON() && !json.Valid(out) {
				t.Error("patched file is not JSON")
			}
			if again, n, err := patchAs(f.format, out, DefaultBaseURL); err != nil || n != 0 || !bytes.Equal(again, out) {
				t.Errorf("second patch: n=%d err=%v", n, err)
			}
			moved, n, err := patchAs(f.format, out, "http://127.0.0.1:5000")
			if err != nil || n != f.urls {
				t.Fatalf("re-point: n=%d err=%v", n, err)
			}
			if c, err := f.format.parse(moved); err != nil {
				t.Fatal(err)
			} else if total, patched := c.counts("http://127.0.0.1:5000"); total != f.urls || patched != f.urls {
				t.Errorf("re-pointed counts %d/%d", patched, total)
			}
			for name, in := range map[string][]byte{"patched": out, "re-pointed": moved} {
				back, n, err := undoAs(f.format, in)
				if err != nil || n != f.urls || !bytes.Equal(back, src) {
					t.Errorf("undo %s: n=%d err=%v identical=%v", name, n, err, bytes.Equal(back, src))
				}
			}
			if back, n, err := undoAs(f.format, src); err != nil || n != 0 || !bytes.Equal(back, src) {
				t.Errorf("undo of the original: n=%d err=%v", n, err)
			}
		})
	}
}

// TestFormatsRejectIncompleteFiles: a file cut anywhere (an install half
// way) is not a catalog, and neither is the wrong kind of file.
func TestFormatsRejectIncompleteFiles(t *testing.T) {
	for _, f := range formatFixtures {
		src := mustRead(t, filepath.Join("testdata", f.file))
		for _, cut := range []int{0, 1, len(src) / 3, len(src) / 2, bytes.LastIndexByte(src, '}')} {
			if _, err := f.format.parse(src[:cut]); !errors.Is(err, ErrNotCatalog) {
				t.Errorf("%s cut at %d: err %v, want ErrNotCatalog", f.file, cut, err)
			}
		}
	}
	for name, tt := range map[string]struct {
		f   Format
		src string
	}{
		"provider data of others": {ProviderJSON, `{"openai-completions":{"gpt":{"provider":"openai","api":"openai-completions","baseUrl":"https://api.openai.com"}}}`},
		"trailing garbage":        {ProviderJSON, `{"anthropic-messages":{"m":{"provider":"anthropic","api":"anthropic-messages","baseUrl":"https://api.anthropic.com"}}} x`},
		"re-export only":          {ModelsJS, "export { MODELS } from \"./providers/all.js\";\n"},
	} {
		if _, err := tt.f.parse([]byte(tt.src)); !errors.Is(err, ErrNotCatalog) {
			t.Errorf("%s: err %v, want ErrNotCatalog", name, err)
		}
	}
}

// TestJSONFormatRefusesUnrestorableOriginal: JSON has no room for a marker
// recording the original, so only the canonical literal is patched.
func TestJSONFormatRefusesUnrestorableOriginal(t *testing.T) {
	src := []byte(`{"anthropic-messages":{"m":{"provider":"anthropic","api":"anthropic-messages","baseUrl":"https://api.anthropic.com/"}}}`)
	if _, _, err := patchAs(ProviderJSON, src, DefaultBaseURL); err == nil {
		t.Fatal("patched a base URL it could not restore byte for byte")
	}
}

// TestDiscoverEarendilScope lays each published pi-ai format out as npm
// and as pnpm install it under the new scope, beside an OpenClaw package,
// and patches and undoes it through Discover.
func TestDiscoverEarendilScope(t *testing.T) {
	for _, f := range formatFixtures {
		t.Run(f.version, func(t *testing.T) {
			project := t.TempDir()
			nm := filepath.Join(project, "node_modules")
			appPackage(t, filepath.Join(nm, "openclaw"), "openclaw", "2026.5.27")
			store := filepath.Join(nm, ".pnpm", "@earendil-works+pi-ai@"+f.version, "node_modules", "@earendil-works", "pi-ai")
			earendilPackage(t, store, f)
			link := filepath.Join(nm, "@earendil-works", "pi-ai")
			mustMkdir(t, filepath.Dir(link))
			if err := os.Symlink(filepath.Join("..", ".pnpm", "@earendil-works+pi-ai@"+f.version, "node_modules", "@earendil-works", "pi-ai"), link); err != nil {
				t.Fatal(err)
			}
			targets, err := Discover([]string{project}, false)
			if err != nil || len(targets) != 1 {
				t.Fatalf("discover: %+v %v", targets, err)
			}
			tg := targets[0]
			if tg.Format != f.format || tg.Package != f.pkg || tg.Version != f.version || tg.File != filepath.Join(store, f.format.Rel()) {
				t.Fatalf("target %+v", tg)
			}
			src := mustRead(t, tg.File)
			res, err := Patch(tg, DefaultBaseURL)
			if err != nil || res.Changed != f.urls || !res.Status.IsPatched() {
				t.Fatalf("patch: %+v %v", res, err)
			}
			if _, err := Undo(tg); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(mustRead(t, tg.File), src) {
				t.Error("undo did not restore the published bytes")
			}
		})
	}
}

// earendilPackage writes an @earendil-works/pi-ai package holding the
// fixture as its catalog (and, for the JSON format, the re-exporting
// models.generated.js the package also has, which must not be taken for
// the catalog).
func earendilPackage(t *testing.T, dir string, f formatFixture) {
	t.Helper()
	mustWrite(t, filepath.Join(dir, "package.json"), []byte(fmt.Sprintf(`{"name": %q, "version": %q, "type": "module"}`, f.pkg, f.version)))
	mustWrite(t, filepath.Join(dir, f.format.Rel()), mustRead(t, filepath.Join("testdata", f.file)))
	if f.format != ModelsJS {
		mustWrite(t, filepath.Join(dir, catalogRel), []byte("export * from \"./providers/all.js\";\n"))
	}
}

// appPackage writes a Clawdbot/OpenClaw package.json at dir.
func appPackage(t *testing.T, dir, name, version string) {
	t.Helper()
	mustWrite(t, filepath.Join(dir, "package.json"), []byte(fmt.Sprintf(`{"name": %q, "version": %q}`, name, version)))
}

func TestPiAIFormat(t *testing.T) {
	for _, tt := range []struct {
		name, version string
		want          Format
	}{
		{"@mariozechner/pi-ai", "0.73.1", ModelsJS},
		{"@earendil-works/pi-ai", "0.74.0", ModelsJS},
		{"@earendil-works/pi-ai", "0.79.10", ModelsJS},
		{"@earendil-works/pi-ai", "0.80.3", ProviderModelsJS},
		{"@earendil-works/pi-ai", "0.81.1", ProviderJSON},
		{"@earendil-works/pi-ai", "1.6.1", ProviderJSON},
	} {
		if got := piAIFormat(tt.name, tt.version); got != tt.want {
			t.Errorf("piAIFormat(%s, %s) = %v, want %v", tt.name, tt.version, got, tt.want)
		}
	}
}
